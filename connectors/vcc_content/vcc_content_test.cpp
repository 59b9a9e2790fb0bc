// The Interaction Content API connector against its emulator: windows, continuation, tokens,
// faults, the content lookup over the Salesforce sample, and the CLI with the plan of its report.
#define CATCH_CONFIG_MAIN
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "connector_test_kit.hpp"
#include "content_lookup.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/http.hpp"
#include "vcc_content_connector.hpp"
#include "vcc_emulator.hpp"

namespace fs = std::filesystem;
using crmscan::Action;
using crmscan::Report;
using crmscan::vcc::ContentLookup;
using crmscan::vcc::VccContentConnector;
using crmscan::vccemu::Emulator;

namespace {

using crmscan::testkit::errors_of;
using crmscan::testkit::kSource;

const crmscan::testkit::Sample sample{"salesforce", "salesforce-export", "salesforce"};
const std::string kSample = kSource + "/samples/vcc-content/interactions.json";

/// The client credentials of the emulator, in the environment for one test.
class Credentials : public crmscan::testkit::Environment {
 public:
  Credentials()
      : Environment({}, {{"VCC_CLIENT_ID", crmscan::vccemu::EmulatorOptions{}.client_id},
                         {"VCC_CLIENT_SECRET", crmscan::vccemu::EmulatorOptions{}.client_secret}}) {
  }
};

/// The emulator serving the sample's interactions.
struct Api {
  Api() {
    crmscan::vccemu::EmulatorOptions options;
    options.data_file = kSample;
    emulator = std::make_unique<Emulator>(options);
    emulator->start();
  }
  std::unique_ptr<Emulator> emulator;
  Credentials credentials;
};

/// A connector pointed at the emulator, waits recorded instead of slept.
std::unique_ptr<VccContentConnector> connect(const Emulator& emulator,
                                             crmscan::ConnectorConfig overrides,
                                             std::vector<std::chrono::milliseconds>* waits) {
  auto config = crmscan::testkit::defaults_of(
      VccContentConnector::describe_connector(),
      {{"token_url", emulator.token_url()}, {"base_url", emulator.base_url()}});
  for (auto& [key, value] : overrides) config[key] = value;
  return std::make_unique<VccContentConnector>(config, crmscan::testkit::no_waiting(waits));
}

/// The Salesforce sample scanned from its export, then its content looked up.
Report scan_with_content(VccContentConnector& api) {
  auto crm = crmscan::create_connector("file", {{"input", kSource + "/samples/salesforce-export"}});
  const auto lookup = api.stage(sample.subjects(), false);
  crmscan::ScanOptions options;
  options.stages.push_back(lookup.get());
  return crmscan::run_scan(*crm, sample.rules(), sample.subjects(), options);
}

std::vector<const crmscan::Finding*> content_findings(const Report& report) {
  std::vector<const crmscan::Finding*> found;
  for (const auto& finding : report.findings) {
    if (finding.connector == "vcc_content") found.push_back(&finding);
  }
  return found;
}

std::set<std::string> guids_of(const Report& report, const std::string& request_id, Action action) {
  std::set<std::string> guids;
  for (const auto* finding : content_findings(report)) {
    if (finding->request_id == request_id && finding->action == action)
      guids.insert(finding->record_id);
  }
  return guids;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The decoys of the sample: numbers that share a prefix with a request's, one digit off, a
// stranger's, a colleague's, another customer's, and calls outside the range.
const std::vector<std::string> kDecoys = {
    "d2f1e7a4-6b3c-4f0e-8d9a-71c5e4b3a2f1", "f7e6d5c4-b3a2-4190-8f7e-6d5c4b3a2190",
    "28a8f746-379f-4d9a-ba96-fd4933ed9c27", "8297a8ef-1c89-4590-a7bd-b8c32917d9ab",
    "705f8d80-6288-434b-acf9-8d16ac9e0dc8", "efd68fd2-f261-4576-9437-f68ef975374c",
    "99a8c00a-c63e-4988-8c8d-9562a1c12fff", "3e9d2c1b-0a8f-47e6-b5d4-c3b2a1908f7e",
    "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e"};

}  // namespace

TEST_CASE("A range is split into windows of at most 7 days", "[connector][vcc]") {
  const auto start = *crmscan::vcc::parse_utc("2024-01-01");
  const auto windows = VccContentConnector::windows({start, start + 40 * 24 * 3600});
  REQUIRE(windows.size() == 6);
  CHECK(windows.front().start == start);
  CHECK(windows.back().end == start + 40 * 24 * 3600);
  for (std::size_t i = 0; i < windows.size(); ++i) {
    CHECK(windows[i].end - windows[i].start <= crmscan::vcc::kMaxWindowSeconds);
    if (i > 0) CHECK(windows[i].start == windows[i - 1].end);
  }
  CHECK(VccContentConnector::windows({start, start + 7 * 24 * 3600}).size() == 1);
  CHECK(VccContentConnector::windows({start, start + 7 * 24 * 3600 + 1}).size() == 2);
  CHECK_FALSE(crmscan::vcc::parse_utc("2024-02-30"));
  CHECK_FALSE(crmscan::vcc::parse_utc("2024-03-14T09:31:07+02:00"));
  CHECK(crmscan::vcc::parse_utc("2024-03-14T09:31:07.000Z") ==
        crmscan::vcc::parse_utc("2024-03-14T09:31:07Z"));
}

TEST_CASE("The emulator checks the version header, GUIDs, windows and credentials",
          "[connector][vcc][emulator]") {
  Api api;
  crmscan::HttpClient http;
  const auto post_token = [&](const std::string& secret) {
    return http.send({"POST",
                      api.emulator->token_url(),
                      {{"Content-Type", "application/x-www-form-urlencoded"}},
                      "grant_type=client_credentials&client_id=crmscan-vcc-emulator-client&"
                      "client_secret=" +
                          secret + "&scope=interaction-content:read"});
  };
  CHECK(post_token("wrong").status == 400);
  const auto token_reply = post_token("crmscan-vcc-emulator-secret");
  REQUIRE(token_reply.status == 200);
  const auto at = token_reply.body.find("\"access_token\":\"") + 16;
  const auto token = token_reply.body.substr(at, token_reply.body.find('"', at) - at);
  const auto get = [&](const std::string& path, const std::string& accept) {
    crmscan::HttpRequest request{"GET", api.emulator->base_url() + path, {}, {}};
    request.headers.emplace_back("Authorization", "Bearer " + token);
    if (!accept.empty()) request.headers.emplace_back("Accept", accept);
    return http.send(request);
  };
  const std::string v3(crmscan::vcc::kAcceptV3);
  const std::string guid = "/interactions/0f25f29e-cbd1-40ea-9c8a-54a83a5560d4";
  CHECK(get(guid, v3).status == 200);
  CHECK(get(guid, "").status == 400);
  CHECK(get(guid, "application/vnd.newvoicemedia.v2+json").status == 400);
  CHECK(get("/interactions/not-a-guid", v3).status == 400);
  CHECK(get("/interactions/00000000-0000-0000-0000-000000000000", v3).status == 404);
  CHECK(get("/interactions?start=2024-03-01T00:00:00Z&end=2024-03-08T00:00:00Z", v3).status == 200);
  CHECK(get("/interactions?start=2024-03-01T00:00:00Z&end=2024-03-08T00:00:01Z", v3).status == 400);
  CHECK(get("/interactions?start=2024-03-01T00:00:00Z&end=2024-03-08T00:00:00Z&"
            "continuationToken=5-forged",
            v3)
            .status == 400);
  crmscan::HttpRequest anonymous{"GET", api.emulator->base_url() + guid, {{"Accept", v3}}, {}};
  CHECK(http.send(anonymous).status == 401);
}

TEST_CASE("Searches follow continuation tokens and keep the API's prefix matches",
          "[connector][vcc]") {
  Api api;
  auto connector = connect(*api.emulator, {{"page_size", "1"}}, nullptr);
  const auto start = *crmscan::vcc::parse_utc("2024-03-12");
  std::vector<std::string> guids;
  connector->search(
      "connectFrom", "+442079460958", {start, start + 7 * 24 * 3600},
      [&](crmscan::vcc::Interaction&& interaction) { guids.push_back(interaction.guid); });
  // Three calls of REQ-1001's number that week and the decoy whose number extends it, one a page.
  CHECK(guids == std::vector<std::string>{"0f25f29e-cbd1-40ea-9c8a-54a83a5560d4",
                                          "d2f1e7a4-6b3c-4f0e-8d9a-71c5e4b3a2f1",
                                          "a03f7bf4-3118-43f4-9600-709547a5ff26"});
  CHECK(api.emulator->request_count("/interaction-content/interactions") == 3);
}

TEST_CASE(
    "The Salesforce sample with its content lists the requests' recordings, voicemails and "
    "transcripts, and none of the decoys'",
    "[connector][vcc][e2e]") {
  Api api;
  auto connector =
      connect(*api.emulator, {{"since", "2023-11-01"}, {"until", "2024-03-31"}}, nullptr);
  const auto report = scan_with_content(*connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());

  CHECK(guids_of(report, "REQ-1001", Action::kDeleteContent) ==
        std::set<std::string>{
            "c14e6906-296e-4f71-b048-70ba82de5bce", "8febd489-5e7a-4c71-99bf-f1d850959713",
            "0f25f29e-cbd1-40ea-9c8a-54a83a5560d4", "0850a992-2d32-48db-8703-5b2f763e5886",
            "a03f7bf4-3118-43f4-9600-709547a5ff26", "5b0c7c3e-1d2a-4e8f-9a41-3c6e2b7d8f90"});
  CHECK(guids_of(report, "REQ-1002", Action::kDeleteContent) ==
        std::set<std::string>{"8b181369-9e3e-4bbf-9bbb-f486f74b5275",
                              "3b24e605-da99-4dfa-9b5b-82188bca0bef"});
  CHECK(guids_of(report, "REQ-1003", Action::kDeleteContent) ==
        std::set<std::string>{"656646ae-981f-4d8f-8c29-c6d70dc33464",
                              "e5416a02-dfab-48be-9d89-cafd60350b8f"});
  for (const auto* finding : content_findings(report)) {
    INFO(finding->request_id << " " << finding->record_id << " " << finding->field);
    CHECK(std::find(kDecoys.begin(), kDecoys.end(), finding->record_id) == kDecoys.end());
    CHECK(finding->object == "Interaction");
    CHECK_FALSE(finding->field.empty());
    // Values are redacted: the number is never shown whole.
    CHECK(finding->preview.find('*') != std::string::npos);
  }

  std::set<std::string> categories;
  for (const auto* finding : content_findings(report)) categories.insert(finding->category);
  for (const auto* category :
       {"call.recording", "call.voicemail", "call.transcript", "call.categorization",
        "call.screen_recording", "call.ivr_recording"}) {
    CHECK(categories.count(category) == 1);
  }

  // Each finding names the CRM record that led to it.
  const auto recording =
      std::find_if(report.findings.begin(), report.findings.end(), [](const crmscan::Finding& f) {
        return f.record_id == "0f25f29e-cbd1-40ea-9c8a-54a83a5560d4" && f.field == "rec-0f25f29e";
      });
  REQUIRE(recording != report.findings.end());
  CHECK(recording->action == Action::kDeleteContent);
  CHECK(recording->category == "call.recording");
  CHECK_THAT(recording->detail, Catch::Contains("Task 00T5g00008AhdkLEAR (CallObject)") &&
                                    Catch::Contains("VoiceCall 0LQ5g0000JaWNheGQG"));
  CHECK(report.api_calls > 0);
}

TEST_CASE("A 40-day range gives exactly 6 window calls per number form and direction",
          "[connector][vcc]") {
  Api api;
  auto connector =
      connect(*api.emulator, {{"since", "2024-01-01"}, {"until", "2024-02-09"}}, nullptr);
  const auto report = scan_with_content(*connector);
  REQUIRE(report.complete());
  std::map<std::string, std::size_t> window_calls;  // "connectFrom=+44…" → calls
  for (const auto& request : api.emulator->requests()) {
    if (request.path != "/interaction-content/interactions") continue;
    for (const char* parameter : {"connectFrom", "connectTo"}) {
      const auto found = request.params.find(parameter);
      if (found != request.params.end()) ++window_calls[parameter + ("=" + found->second)];
    }
  }
  // The six requests of the sample with one number each, searched as caller and as called, with
  // and without its plus.
  REQUIRE(window_calls.size() == 24);
  for (const auto& [search, calls] : window_calls) {
    INFO(search);
    CHECK(calls == 6);
  }
}

TEST_CASE("429 responses are waited out and the lookup completes", "[connector][vcc]") {
  Api api;
  crmscan::vccemu::Faults faults;
  faults.throttled.at = 1;
  faults.throttled.count = 2;
  faults.retry_after_seconds = 2;
  api.emulator->set_faults(faults);
  std::vector<std::chrono::milliseconds> waits;
  auto connector = connect(*api.emulator, {}, &waits);
  const auto report = scan_with_content(*connector);
  INFO(errors_of(report));
  CHECK(report.complete());
  CHECK(waits ==
        std::vector<std::chrono::milliseconds>{std::chrono::seconds(2), std::chrono::seconds(2)});
  CHECK(guids_of(report, "REQ-1003", Action::kDeleteContent).size() == 2);
}

TEST_CASE("An expired token is renewed once and the lookup completes", "[connector][vcc]") {
  Api api;
  crmscan::vccemu::Faults faults;
  faults.token_expires_after = 3;
  api.emulator->set_faults(faults);
  auto connector = connect(*api.emulator, {}, nullptr);
  const auto report = scan_with_content(*connector);
  INFO(errors_of(report));
  CHECK(report.complete());
  CHECK(api.emulator->request_count("/Auth/connect/token") >= 3);
  CHECK(guids_of(report, "REQ-1001", Action::kDeleteContent).size() == 5);
}

TEST_CASE("A persistent failure or a spent budget leaves the report incomplete",
          "[connector][vcc]") {
  Api api;
  SECTION("unavailable") {
    crmscan::vccemu::Faults faults;
    faults.unavailable.at = 1;
    faults.unavailable.count = 1'000'000;
    api.emulator->set_faults(faults);
    std::vector<std::chrono::milliseconds> waits;
    auto connector = connect(*api.emulator, {{"max_retries", "2"}}, &waits);
    const auto report = scan_with_content(*connector);
    CHECK_FALSE(report.complete());
    CHECK_THAT(errors_of(report), Catch::Contains("503"));
    // The lookup stops at the first request that fails for good: 1 token + 3 attempts.
    CHECK(api.emulator->requests().size() == 4);
    CHECK(content_findings(report).empty());
  }
  SECTION("budget") {
    auto connector = connect(*api.emulator, {{"max_api_calls", "4"}}, nullptr);
    const auto report = scan_with_content(*connector);
    CHECK_FALSE(report.complete());
    CHECK_THAT(errors_of(report), Catch::Contains("stopped after 4 API calls"));
  }
}

namespace {

/// Runs crmscan on the sample with the content lookup against the emulator; the exit code.
int run_cli(const Emulator& emulator, const fs::path& out, const std::string& extra) {
  const crmscan::vccemu::EmulatorOptions defaults;
  const auto command = "VCC_CLIENT_ID=" + defaults.client_id + " VCC_CLIENT_SECRET_FILE='" +
                       (out.parent_path() / "secret").string() + "' '" + CRMSCAN_BINARY +
                       "' scan --input '" + kSource + "/samples/salesforce-export' --subjects '" +
                       kSource +
                       "/samples/salesforce-expected/subjects.csv' --default-region GB "
                       "--content vcc --since 2023-11-01 --until 2024-03-31 "
                       "--content-option token_url=" +
                       emulator.token_url() + " --content-option base_url=" + emulator.base_url() +
                       " --format json,csv --out '" + out.string() + "' " + extra + " >'" +
                       (out.parent_path() / "stdout").string() + "' 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE(
    "crmscan scan --content vcc writes one report, whose plan deletes the content before the "
    "Tasks, or exits 2 on failure",
    "[connector][vcc][cli][plan]") {
  Api api;
  const auto scratch =
      fs::temp_directory_path() / ("crmscan-vcc-cli-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  const crmscan::vccemu::EmulatorOptions defaults;
  std::ofstream(scratch / "secret") << defaults.client_secret << "\n";
  const auto out = scratch / "report";

  REQUIRE(run_cli(*api.emulator, out, "") == 0);
  const auto json = read_text(out / "findings.json");
  CHECK_THAT(json, Catch::Contains("\"complete\": true") &&
                       Catch::Contains("\"connector\": \"vcc_content\"") &&
                       Catch::Contains("\"action\": \"delete_content\"") &&
                       Catch::Contains("00T5g00008AloBgEAJ"));
  const auto csv = read_text(out / "findings.csv");
  CHECK_THAT(csv, Catch::Contains("vcc_content,Interaction,0f25f29e-cbd1-40ea-9c8a-54a83a5560d4,"
                                  "rec-0f25f29e,call.recording,delete_content"));
  const auto stdout_text = read_text(scratch / "stdout");
  CHECK_THAT(stdout_text, Catch::Contains("content API call") && Catch::Contains("scan COMPLETE"));

  // The plan: the content deletions are its first step, before any Task is deleted.
  const auto plan_dir = scratch / "plan";
  const auto plan_command = "'" + std::string(CRMSCAN_BINARY) + "' plan '" + out.string() +
                            "' --out '" + plan_dir.string() + "' >'" +
                            (scratch / "plan-stdout").string() + "' 2>&1";
  REQUIRE(std::system(plan_command.c_str()) == 0);
  rapidjson::Document plan;
  plan.Parse(read_text(plan_dir / "plan.json").c_str());
  REQUIRE(plan.IsObject());
  const auto& steps = plan["steps"];
  REQUIRE(steps.Size() > 1);
  CHECK(std::string(steps[0]["operation"].GetString()) == "delete_content");
  CHECK(std::string(steps[0]["crm"].GetString()) == "vcc");
  std::size_t task_deletes = 0;
  for (const auto& step : steps.GetArray()) {
    if (std::string(step["object"].GetString()) == "Task")
      task_deletes += std::string(step["operation"].GetString()) == "delete" ? 1 : 0;
  }
  CHECK(task_deletes == 1);
  const auto content_file = plan_dir / steps[0]["file"].GetString();
  struct stat info {};
  REQUIRE(::stat(content_file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  const auto content_plan = read_text(content_file);
  CHECK_THAT(content_plan, Catch::Contains("0f25f29e-cbd1-40ea-9c8a-54a83a5560d4") &&
                               !Catch::Contains("d2f1e7a4-6b3c-4f0e-8d9a-71c5e4b3a2f1"));
  for (const auto& text : {json, csv, stdout_text, content_plan})
    CHECK(text.find(defaults.client_secret) == std::string::npos);

  crmscan::vccemu::Faults faults;
  faults.unavailable.at = 1;
  faults.unavailable.count = 1'000'000;
  api.emulator->set_faults(faults);
  CHECK(run_cli(*api.emulator, out, "--content-option max_retries=0") == 2);
  CHECK_THAT(read_text(out / "findings.json"), Catch::Contains("\"complete\": false"));
  CHECK_THAT(read_text(scratch / "stdout"), Catch::Contains("scan INCOMPLETE"));

  // A private CA for every connector that takes one (plain http to the emulator ignores it); a
  // missing file is missing input.
  api.emulator->set_faults({});
  CHECK(run_cli(*api.emulator, out, "--ca-file '" + (scratch / "secret").string() + "'") == 0);
  CHECK(run_cli(*api.emulator, out, "--ca-file '" + (scratch / "none.pem").string() + "'") == 66);
  fs::remove_all(scratch);
}

TEST_CASE("A number is matched only against the remote party, stored with or without its plus",
          "[connector][vcc]") {
  Api api;
  const auto call = [](const std::string& guid, const std::string& direction,
                       const std::string& from, const std::string& to) {
    crmscan::vcc::Interaction interaction;
    interaction.guid = guid;
    interaction.start = "2024-01-15T10:00:00Z";
    interaction.direction = direction;
    interaction.connect_from = from;
    interaction.connect_to = to;
    interaction.content.push_back(
        {"rec-" + guid.substr(0, 8), "callRecording", "audio/wav", 1000, "2024-01-15T10:05:00Z"});
    return interaction;
  };
  // REQ-1003's number, stored without its plus, calling in: the customer's call.
  api.emulator->add_interaction(
      call("aaaa0001-0000-4000-8000-000000000001", "Inbound", "14155550132", "+442079460000"));
  // The same number as the line called on an inbound call: the company's side.
  api.emulator->add_interaction(
      call("aaaa0002-0000-4000-8000-000000000002", "Inbound", "+442079461111", "+14155550132"));
  // Dialled out to it: the remote party again.
  api.emulator->add_interaction(
      call("aaaa0003-0000-4000-8000-000000000003", "Outbound", "+442079460000", "+14155550132"));
  auto connector =
      connect(*api.emulator, {{"since", "2024-01-01"}, {"until", "2024-02-09"}}, nullptr);
  const auto report = scan_with_content(*connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());
  const auto deleted = guids_of(report, "REQ-1003", Action::kDeleteContent);
  const auto reviewed = guids_of(report, "REQ-1003", Action::kReview);
  CHECK(deleted.count("aaaa0001-0000-4000-8000-000000000001") == 1);
  CHECK(deleted.count("aaaa0003-0000-4000-8000-000000000003") == 1);
  CHECK(deleted.count("aaaa0002-0000-4000-8000-000000000002") == 0);
  CHECK(reviewed.count("aaaa0002-0000-4000-8000-000000000002") == 1);
}

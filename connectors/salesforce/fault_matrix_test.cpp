// The fault matrix: the Salesforce connector against its emulator failing in every way a network
// and an org can. Each row ends either complete, with the same findings as the fault-free scan,
// or marked incomplete with the error named (and, through the CLI, exit code 2): never a crash,
// a hang or a silent loss.
#define CATCH_CONFIG_MAIN
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>

#include "connector_test_kit.hpp"
#include "crmscan/csv_reader.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/http.hpp"
#include "crmscan/normalize.hpp"
#include "salesforce_connector.hpp"
#include "sf_emulator.hpp"

namespace fs = std::filesystem;
using crmscan::Report;
using crmscan::sfemu::Emulator;
using crmscan::sfemu::Faults;

namespace {

using crmscan::testkit::errors_of;
using crmscan::testkit::keys_of;
using crmscan::testkit::kSource;

const crmscan::testkit::Sample sample{"salesforce", "salesforce-export", "salesforce"};
constexpr std::size_t kExtraTasks = 1'000;  // five pages of 200 in a full read of Task

// The emulator's client credentials in the environment for one test.
crmscan::testkit::Environment client_credentials() {
  return {{"SF_CLIENT_ID", "SF_CLIENT_SECRET"},
          {{"SF_CLIENT_ID", "crmscan-emulator-client"},
           {"SF_CLIENT_SECRET", "crmscan-emulator-secret"}}};
}

// The sample org with unrelated call Tasks added, so that a full read of Task pages.
std::unique_ptr<Emulator> sample_org() {
  crmscan::sfemu::EmulatorOptions options;
  options.data_dir = kSource + "/samples/salesforce-export";
  auto org = std::make_unique<Emulator>(options);
  std::ifstream in(kSource + "/samples/salesforce-export/Task.csv", std::ios::binary);
  crmscan::CsvReader reader(in);
  std::vector<std::string> header, row;
  std::vector<std::vector<std::string>> rows;
  reader.next(header);
  while (reader.next(row)) rows.push_back(row);
  const auto column = [&header](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (std::size_t i = 0; i < kExtraTasks; ++i) {
    std::vector<std::string> task(header.size(), "");
    char id[16];
    std::snprintf(id, sizeof id, "00T9z%010zu", i);
    task[column("Id")] = crmscan::salesforce_id18(id);
    task[column("Subject")] = "Inbound call " + std::to_string(i);
    task[column("TaskSubtype")] = "Call";
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (header[c].rfind("Is", 0) == 0) task[c] = "false";
    }
    rows.push_back(std::move(task));
  }
  org->add_object("Task", header, rows);
  org->start();
  return org;
}

// The largest resident set the process has had so far, in bytes.
std::size_t peak_rss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;
}

struct Scan {
  Report report;
  std::vector<std::chrono::milliseconds> waits;  // backoff and Retry-After waits asked for
  std::chrono::steady_clock::duration took{};
};

Scan scan(const Emulator& org, const crmscan::ConnectorConfig& extra,
          const std::function<void(crmscan::HttpOptions&)>& tune) {
  crmscan::ConnectorConfig config{{"login_url", org.instance_url()},
                                  {"auth", "client-credentials"},
                                  {"api_version", "60.0"},
                                  {"max_api_calls", "0"},
                                  {"api_reserve", "0"},
                                  {"batch_size", "200"},
                                  {"bulk_threshold", "100000"}};
  for (const auto& [key, value] : extra) config[key] = value;
  Scan result;
  crmscan::HttpOptions http;
  http.total_timeout = std::chrono::seconds(10);
  http.sleep = [&result](std::chrono::milliseconds wait) { result.waits.push_back(wait); };
  if (tune) tune(http);
  crmscan::salesforce::SalesforceConnector connector(config, http);
  crmscan::ScanOptions options;
  options.full_read = true;
  const auto start = std::chrono::steady_clock::now();
  result.report = crmscan::run_scan(connector, sample.rules(), sample.subjects(), options);
  result.took = std::chrono::steady_clock::now() - start;
  return result;
}

const Scan& fault_free() {
  static const Scan kScan = [] {
    const auto org = sample_org();
    return scan(*org, {}, {});
  }();
  return kScan;
}

/// Runs the crmscan program against the org; returns its exit code and the JSON report.
std::pair<int, std::string> run_cli(const Emulator& org, const std::string& options) {
  const auto out = fs::temp_directory_path() / ("crmscan-faults-" + std::to_string(::getpid()));
  fs::remove_all(out);
  const auto command =
      "SF_CLIENT_ID=crmscan-emulator-client SF_CLIENT_SECRET=crmscan-emulator-secret '" +
      std::string(CRMSCAN_BINARY) +
      "' scan --connector salesforce --full-read --option login_url=" + org.instance_url() +
      " --option api_reserve=0 " + options + " --subjects '" + kSource +
      "/samples/salesforce-expected/subjects.csv' --default-region GB --format json --out '" +
      out.string() + "' >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(out / "findings.json");
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove_all(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, json};
}

struct Row {
  std::string name;
  std::function<void(Faults&)> faults;
  /// Empty: the scan must be complete and find what the fault-free scan finds. Otherwise the
  /// scan must be incomplete with this in its errors.
  std::string error;
  std::function<void(crmscan::HttpOptions&)> tune = {};
  /// Options for the crmscan program: an incomplete row is also run through it (exit code 2).
  std::optional<std::string> cli = std::nullopt;
};

const std::vector<Row>& matrix() {
  using namespace std::chrono_literals;
  static const std::vector<Row> kRows = {
      {"401 INVALID_SESSION_ID in the middle of paging: the session is renewed",
       [](Faults& f) { f.session_expires_after = 6; }, ""},
      {"403 REQUEST_LIMIT_EXCEEDED: the scan stops",
       [](Faults& f) { f.api_limit = 8; },
       "REQUEST_LIMIT_EXCEEDED",
       {},
       ""},
      {"429 with Retry-After: waited for and retried",
       [](Faults& f) {
         f.throttled.at = 5;
         f.throttled.count = 2;
         f.retry_after_seconds = 2;
       },
       ""},
      {"429 with a Retry-After of two minutes: waited in full, not cut to the backoff cap",
       [](Faults& f) {
         f.throttled.at = 5;
         f.retry_after_seconds = 120;
       },
       ""},
      {"429 with a Retry-After past the scan's wait budget: stopped, incomplete",
       [](Faults& f) {
         f.throttled.at = 5;
         f.retry_after_seconds = 600;
       },
       "wait budget of 300 s"},
      {"a burst of 500s: retried",
       [](Faults& f) {
         f.unavailable.at = 5;
         f.unavailable.count = 3;
         f.unavailable_status = 500;
       },
       ""},
      {"a burst of 503s: retried",
       [](Faults& f) {
         f.unavailable.at = 5;
         f.unavailable.count = 4;
       },
       ""},
      {"503s that do not end: the objects are reported",
       [](Faults& f) {
         f.unavailable.at = 5;
         f.unavailable.count = 1'000'000;
       },
       "HTTP 503"},
      {"a connection reset before any answer: retried", [](Faults& f) { f.reset_at = 5; }, ""},
      {"a server that stops sending once: timed out and retried",
       [](Faults& f) {
         f.stalled.at = 5;
         f.stall_time = 4s;
       },
       "", [](crmscan::HttpOptions& h) { h.total_timeout = 1s; }},
      {"a server that stops sending for good: timed out and reported",
       [](Faults& f) {
         f.stalled.at = 1;
         f.stalled.count = 1'000'000;
         f.stall_time = 3s;
       },
       "Timeout was reached",
       [](crmscan::HttpOptions& h) {
         h.total_timeout = 500ms;
         h.max_retries = 1;
       },
       "--option timeout=1"},
      {"a body cut short under a full Content-Length: retried",
       [](Faults& f) { f.truncated_at = 5; }, ""},
      {"invalid JSON: the object is reported",
       [](Faults& f) { f.malformed_json_at = 5; },
       "not valid JSON",
       {},
       ""},
      {"an HTML page instead of JSON: the object is reported",
       [](Faults& f) { f.wrong_content_type_at = 5; },
       "not JSON",
       {},
       ""},
      {"a decompression bomb: refused at max_body_bytes",
       [](Faults& f) {
         f.gzip_bomb_at = 5;
         f.bomb_bytes = std::size_t{256} << 20;
       },
       "larger than", [](crmscan::HttpOptions& h) { h.max_body_bytes = std::size_t{16} << 20; }},
      {"a body over max_body_bytes: refused", [](Faults&) {}, "larger than",
       [](crmscan::HttpOptions& h) { h.max_body_bytes = 4096; }},
  };
  return kRows;
}

}  // namespace

TEST_CASE("The Salesforce fault matrix: complete and equal, or incomplete and said",
          "[connector][salesforce][faults]") {
  const auto environment = client_credentials();
  const auto& baseline = fault_free();
  REQUIRE(baseline.report.complete());
  REQUIRE_FALSE(baseline.report.findings.empty());

  const auto row = GENERATE(from_range(matrix()));
  INFO("row: " << row.name);
  const auto org = sample_org();
  Faults faults;
  row.faults(faults);
  org->set_faults(faults);
  const auto rss_before = peak_rss();
  const auto result = scan(*org, {}, row.tune);
  INFO(errors_of(result.report));
  // Bounded: no row takes long or holds much more memory than a clean scan.
  CHECK(result.took < std::chrono::seconds(30));
  CHECK(peak_rss() - rss_before < (std::size_t{96} << 20));
  if (row.error.empty()) {
    CHECK(result.report.complete());
    CHECK(keys_of(result.report) == keys_of(baseline.report));
  } else {
    CHECK_FALSE(result.report.complete());
    CHECK_THAT(errors_of(result.report), Catch::Contains(row.error));
  }
  if (faults.retry_after_seconds > 0 && row.error.empty()) {
    CHECK(std::count(result.waits.begin(), result.waits.end(),
                     std::chrono::milliseconds(faults.retry_after_seconds * 1000)) >= 1);
  }
  if (row.cli) {
    org->set_faults(faults);
    const auto [exit_code, json] = run_cli(*org, *row.cli);
    CHECK(exit_code == 2);
    CHECK_THAT(json, Catch::Contains("\"complete\": false") && Catch::Contains(row.error));
  }
}

TEST_CASE("A 100 MB field value is read and searched in bounded memory",
          "[connector][salesforce][faults]") {
  const auto environment = client_credentials();
  crmscan::sfemu::EmulatorOptions options;
  options.data_dir = kSource + "/samples/salesforce-export";
  Emulator org(options);
  std::string huge;
  const std::string word(999, 'x');
  while (huge.size() < (std::size_t{100} << 20)) huge += word + ' ';
  huge += "write to amelie.dubois@example.fr";
  org.add_object("Huge_Note__c", {"Id", "Body__c"},
                 {{crmscan::salesforce_id18("a0H5g00000HUGE1"), std::move(huge)}});
  org.start();
  const auto rss_before = peak_rss();
  const auto result =
      scan(org, {}, [](crmscan::HttpOptions& h) { h.total_timeout = std::chrono::minutes(3); });
  INFO(errors_of(result.report));
  CHECK(result.report.complete());
  const auto found =
      std::any_of(result.report.findings.begin(), result.report.findings.end(),
                  [](const crmscan::Finding& f) { return f.object == "Huge_Note__c"; });
  CHECK(found);
  // The value passes through the response, its parse and the record: a few copies, no more.
  CHECK(peak_rss() - rss_before < (std::size_t{900} << 20));
}

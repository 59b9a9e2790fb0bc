// The HubSpot connector against the emulated account: the same findings as a scan of the JSON
// export it is loaded from, few API calls, and every failure either recovered or reported.
#define CATCH_CONFIG_MAIN
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <tuple>

#include "connector_test_kit.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/http.hpp"
#include "hubspot_connector.hpp"
#include "hubspot_emulator.hpp"

namespace fs = std::filesystem;
using crmscan::ConnectorConfig;
using crmscan::Report;
using crmscan::hubspot::FilterGroup;

namespace {

using crmscan::testkit::difference;
using crmscan::testkit::errors_of;
using crmscan::testkit::found;
using crmscan::testkit::keys_of;
using crmscan::testkit::kSource;
using crmscan::testkit::read_csv;

const crmscan::testkit::Sample sample{"hubspot", "hubspot", "hubspot"};

const std::string kSamples = kSource + "/samples/hubspot";
const std::string kExpected = kSource + "/samples/hubspot-expected";

/// Sets the token variables for one test and takes them away after it.
class Environment : public crmscan::testkit::Environment {
 public:
  Environment(std::initializer_list<std::pair<std::string, std::string>> values)
      : crmscan::testkit::Environment({"HUBSPOT_ACCESS_TOKEN"}, values) {}
};

struct Account {
  crmscan::hsemu::Emulator emulator;
  Environment token;
  explicit Account(crmscan::hsemu::EmulatorOptions options = sample_options())
      : emulator(std::move(options)), token{{"HUBSPOT_ACCESS_TOKEN", emulator.access_token()}} {
    emulator.start();
  }
  // The tests' clients do not really sleep: HubSpot's search rate is enforced by the one test
  // that paces for real.
  static crmscan::hsemu::EmulatorOptions sample_options() {
    crmscan::hsemu::EmulatorOptions options;
    options.data_dir = kSamples;
    options.search_limit = 0;
    return options;
  }
};

crmscan::HttpOptions no_waiting(std::vector<std::chrono::milliseconds>* waits = nullptr) {
  auto options = crmscan::testkit::no_waiting(waits);
  options.total_timeout = std::chrono::milliseconds(5000);
  return options;
}

std::unique_ptr<crmscan::hubspot::HubSpotConnector> connect(
    const Account& account, ConnectorConfig extra = {},
    std::vector<std::chrono::milliseconds>* waits = nullptr) {
  ConnectorConfig config{{"base_url", account.emulator.base_url()},
                         {"max_api_calls", "0"},
                         {"api_reserve", "0"},
                         {"page_size", "100"}};
  for (const auto& [key, value] : extra) config[key] = value;
  return std::make_unique<crmscan::hubspot::HubSpotConnector>(config, no_waiting(waits));
}

Report scan(crmscan::Connector& connector, bool full_read = false) {
  crmscan::ScanOptions options;
  options.full_read = full_read;
  return crmscan::run_scan(connector, sample.rules(), sample.subjects(), options);
}

// Calls of other customers, with other numbers, and their contacts.
void grow(crmscan::hsemu::Emulator& emulator, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const auto contact = std::to_string(100'000 + i), call = std::to_string(500'000 + i);
    const auto number = "+4420794" + std::to_string(10'000 + i % 80'000);
    crmscan::hsemu::HubRecord person;
    person.id = contact;
    person.properties = {{"firstname", "Customer"},
                         {"lastname", "Number" + std::to_string(i)},
                         {"email", "customer" + std::to_string(i) + "@example.org"},
                         {"phone", number}};
    emulator.add_record("contacts", person);
    crmscan::hsemu::HubRecord logged;
    logged.id = call;
    logged.properties = {{"hs_call_title", "Inbound call"},
                         {"hs_call_body", "Order " + std::to_string(700'000 + i) + " delivered"},
                         {"hs_call_from_number", number},
                         {"hs_call_to_number", "+442079460000"}};
    logged.associations["contacts"] = {contact};
    emulator.add_record("calls", logged);
  }
}

/// Adds contact 7000, with 300 custom properties: more than one request can name.
void add_wide_contact(Account& account) {
  crmscan::hsemu::HubRecord wide;
  wide.id = "7000";
  for (int i = 0; i < 300; ++i)
    wide.properties["custom_property_number_" + std::to_string(i)] = "value " + std::to_string(i);
  account.emulator.add_record("contacts", wide);
}

}  // namespace

TEST_CASE("A subject scan through the API finds what a scan of the export finds",
          "[connector][hubspot]") {
  Account account;
  auto connector = connect(account);
  const auto report = scan(*connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());
  REQUIRE(sample.file_report().complete());
  INFO(difference(report, sample.file_report()));
  CHECK(keys_of(report) == keys_of(sample.file_report()));
  // Every request is counted, and the count is what the account saw.
  CHECK(report.api_calls == account.emulator.request_count("/crm/"));
  // 71 on the sample: five objects searched, their associations read in batches.
  CHECK(report.api_calls < 80);
  const auto findings = keys_of(report);
  // Only the association ties this call to the subject: it has no number.
  CHECK(findings.count({"HS-2001", "calls", "9003", "", "delete_record"}) == 1);
  // Only the number ties these: no association. 9002 by the mobile learned from the contact,
  // which is in no allocated range (Ofcom's drama range): for review only.
  CHECK(findings.count({"HS-2001", "calls", "9002", "", "review"}) == 1);
  CHECK(findings.count({"HS-2002", "calls", "9004", "", "delete_record"}) == 1);
  // A decoy whose number shares the subject's first digits, and one whose number is longer.
  CHECK_FALSE(found(report, "calls", "9007"));
  CHECK_FALSE(found(report, "calls", "9008"));
  CHECK_FALSE(found(report, "contacts", "5105"));
}

TEST_CASE("The sample's expected findings are found and its decoys are not, from file and API",
          "[connector][hubspot]") {
  Account account;
  auto connector = connect(account);
  const auto live = scan(*connector);
  for (const auto* report : {&sample.file_report(), &live}) {
    const auto findings = keys_of(*report);
    for (const auto& row : read_csv(kExpected + "/expected-findings.csv")) {
      INFO(row[0] + " " + row[1] + " " + row[2] + " " + row[3] + " " + row[4]);
      CHECK(findings.count({row[0], row[1], row[2], row[3], row[4]}) == 1);
    }
    CHECK(findings.size() == read_csv(kExpected + "/expected-findings.csv").size());
    for (const auto& row : read_csv(kExpected + "/decoys.csv")) {
      INFO(row[0] + " " + row[1]);
      const bool deleted =
          std::any_of(report->findings.begin(), report->findings.end(), [&](const auto& f) {
            return f.object == row[0] && f.record_id == row[1] &&
                   f.action == crmscan::Action::kDeleteRecord;
          });
      CHECK_FALSE(deleted);
    }
  }
}

TEST_CASE("A full read lists every record, archived ones too, and finds the same",
          "[connector][hubspot]") {
  Account account;
  auto connector = connect(account);
  const auto report = scan(*connector, true);
  sample.require_same_as_file(report);
  CHECK(account.emulator.request_count("/crm/v3/objects/calls") > 0);
}

TEST_CASE("A subject scan spends the same API calls when 40,000 unrelated records are added",
          "[connector][hubspot]") {
  Account small;
  auto small_connector = connect(small);
  const auto baseline = scan(*small_connector);
  REQUIRE(baseline.complete());

  Account large;
  grow(large.emulator, 20'000);
  auto large_connector = connect(large);
  const auto report = scan(*large_connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());
  CHECK(keys_of(report) == keys_of(baseline));
  CHECK(report.api_calls == baseline.api_calls);
}

TEST_CASE("A search past the 10,000-results cap is narrowed, never cut short",
          "[connector][hubspot]") {
  // More calls than a rolling window allows, which these tests do not wait out.
  auto options = Account::sample_options();
  options.window_limit = 100'000;
  Account account(options);
  // 10,500 calls from the subject's number: more than one search may page through.
  for (std::size_t i = 0; i < 10'500; ++i) {
    crmscan::hsemu::HubRecord call;
    call.id = std::to_string(200'000 + i);
    call.properties = {{"hs_call_title", "Inbound call"},
                       {"hs_call_from_number", "+442079460311"},
                       {"hs_call_to_number", "+442079460000"}};
    account.emulator.add_record("calls", call);
  }
  auto connector = connect(account, {{"page_size", "200"}});
  const auto report = scan(*connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());
  std::size_t calls = 0;
  for (const auto& f : report.findings) {
    if (f.request_id == "HS-2001" && f.object == "calls" &&
        f.action == crmscan::Action::kDeleteRecord && f.record_id.size() == 6) {
      ++calls;
    }
  }
  CHECK(calls == 10'500);
  const auto requests = account.emulator.requests();
  const bool narrowed = std::any_of(requests.begin(), requests.end(), [](const auto& r) {
    return r.body.find(R"("propertyName":"hs_object_id","operator":"GT")") != std::string::npos;
  });
  CHECK(narrowed);
  // The emulator refuses a page past the cap with 400: the connector never asked for one.
  const bool refused =
      std::any_of(requests.begin(), requests.end(), [](const auto& r) { return r.status == 400; });
  CHECK_FALSE(refused);
}

TEST_CASE("Filter groups stay within HubSpot's limits, long term lists split",
          "[connector][hubspot]") {
  std::vector<FilterGroup> groups;
  for (int i = 0; i < 23; ++i) groups.push_back({{"email", "EQ", {std::to_string(i)}}});
  groups.push_back({{"firstname", "CONTAINS_TOKEN", {"a"}}, {"lastname", "CONTAINS_TOKEN", {"b"}}});
  const auto searches = crmscan::hubspot::pack_filter_groups(groups, 1);
  std::size_t packed = 0;
  for (const auto& search : searches) {
    std::size_t filters = 0;
    for (const auto& group : search) filters += group.size() + 1;  // with the narrowing filter
    CHECK(search.size() <= 5);
    CHECK(filters <= 18);
    packed += search.size();
  }
  CHECK(packed == groups.size());
  CHECK(searches.size() == 5);

  // A request of many identifiers: searches the emulator accepts, each within the limits.
  Account account;
  auto connector = connect(account);
  std::vector<crmscan::SubjectRequest> requests;
  crmscan::SubjectRequest many;
  many.request_id = "MANY";
  for (int i = 0; i < 40; ++i) many.emails.push_back("person" + std::to_string(i) + "@example.org");
  many.emails.push_back("lena.fischer@example.org");
  requests.push_back(many);
  const crmscan::SubjectSet subjects(requests, "GB");
  const auto report = crmscan::run_scan(*connector, sample.rules(), subjects, {});
  INFO(errors_of(report));
  CHECK(report.complete());
  CHECK(found(report, "contacts", "5103"));
  // 207: a batch read of associations in which some records have none of that type.
  for (const auto& request : account.emulator.requests())
    CHECK((request.status == 200 || request.status == 207));
}

TEST_CASE("Phone numbers are searched in the forms HubSpot holds them in", "[connector][hubspot]") {
  const auto variants = crmscan::phone_variants("+442079460311");
  for (const auto* form :
       {"+442079460311", "442079460311", "+44 20 7946 0311", "020 7946 0311", "02079460311"}) {
    CHECK(std::find(variants.begin(), variants.end(), form) != variants.end());
  }
  const auto us = crmscan::phone_variants("+14155550187");
  CHECK(std::find(us.begin(), us.end(), "(415) 555-0187") != us.end());
}

TEST_CASE("Each fault is recovered or leaves a report marked incomplete, never a crash",
          "[connector][hubspot][faults]") {
  struct Row {
    const char* name;
    crmscan::hsemu::Faults faults;
    bool complete;
    const char* error;
  };
  using F = crmscan::hsemu::Faults;
  const auto at = [](std::size_t F::*field) {
    F faults;
    faults.*field = 8;
    return faults;
  };
  const auto burst = [](crmscan::emulator::Burst F::*field, std::size_t count,
                        int retry_after = 0) {
    F faults;
    faults.*field = {8, count};
    faults.retry_after_seconds = retry_after;
    return faults;
  };
  const std::vector<Row> rows{
      // Call 8 is a search, after the five objects' properties.
      {"429 with Retry-After", burst(&F::throttled, 2, 1), true, ""},
      {"a burst of 503s", burst(&F::unavailable, 3), true, ""},
      {"a 503 that does not stop", burst(&F::unavailable, 1000), false, "HTTP 503"},
      {"a truncated body", at(&F::truncated_at), true, ""},
      {"invalid JSON", at(&F::malformed_json_at), false, "not valid JSON"},
      {"a page that is not JSON", at(&F::wrong_content_type_at), false, "not JSON"},
      {"the token revoked", at(&F::token_revoked_at), false,
       "refused the private app's access token"},
  };
  const auto clean_calls = [] {
    Account account;
    auto connector = connect(account);
    return scan(*connector).api_calls;
  }();
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.name) {
      Account account;
      account.emulator.set_faults(row.faults);
      std::vector<std::chrono::milliseconds> waits;
      auto connector = connect(account, {}, &waits);
      const auto report = scan(*connector);
      const auto errors = errors_of(report);
      INFO(errors);
      CHECK(report.complete() == row.complete);
      if (row.complete) {
        INFO(difference(report, sample.file_report()));
        CHECK(keys_of(report) == keys_of(sample.file_report()));
        CHECK(report.api_calls > clean_calls);  // the fault was served, and retried
      } else {
        CHECK_THAT(errors, Catch::Contains(row.error));
      }
      CHECK_THAT(errors, !Catch::Contains(account.emulator.access_token()));
      if (row.faults.retry_after_seconds > 0) {
        // The wait that Retry-After asked for, not the client's own backoff.
        CHECK(std::count(waits.begin(), waits.end(), std::chrono::milliseconds(1000)) >= 2);
      }
    }
  }
}

TEST_CASE("A scope missing for calls leaves contacts scanned and calls reported",
          "[connector][hubspot][faults]") {
  Account account;
  crmscan::hsemu::Faults faults;
  faults.forbidden_object = "calls";
  account.emulator.set_faults(faults);
  auto connector = connect(account);
  const auto report = scan(*connector);
  CHECK_FALSE(report.complete());
  CHECK(found(report, "contacts", "5101"));
  CHECK_FALSE(found(report, "calls", "9001"));
  const bool named = std::any_of(report.errors.begin(), report.errors.end(), [](const auto& e) {
    return e.object == "calls" && e.message.find("MISSING_SCOPES") != std::string::npos;
  });
  CHECK(named);
}

TEST_CASE("The rolling rate-limit window is waited out before HubSpot refuses a call",
          "[connector][hubspot][faults]") {
  auto options = Account::sample_options();
  options.window_limit = 5;
  options.window = std::chrono::milliseconds(200);
  Account account(options);
  std::vector<std::chrono::milliseconds> waits;
  crmscan::HttpOptions http;
  http.sleep = [&waits](std::chrono::milliseconds wait) {
    waits.push_back(wait);
    std::this_thread::sleep_for(wait);
  };
  // Searches not paced: the waits are the window's alone.
  crmscan::hubspot::HubSpotConnector connector({{"base_url", account.emulator.base_url()},
                                                {"max_api_calls", "0"},
                                                {"api_reserve", "0"},
                                                {"page_size", "100"},
                                                {"search_rate", "0"}},
                                               http);
  const auto report = scan(connector);
  sample.require_same_as_file(report);
  CHECK(std::count(waits.begin(), waits.end(), std::chrono::milliseconds(200)) >= 4);
  const auto requests = account.emulator.requests();
  CHECK(std::none_of(requests.begin(), requests.end(),
                     [](const auto& r) { return r.status == 429; }));
}

TEST_CASE("Limits stop the scan: the daily limit, the reserve, the user's cap",
          "[connector][hubspot][faults]") {
  auto options = Account::sample_options();
  std::string expected;
  ConnectorConfig extra;
  SECTION("the daily limit") {
    options.daily_limit = 6;
    expected = "daily API limit";
  }
  SECTION("the reserve kept for the account's other integrations") {
    options.daily_limit = 1010;
    extra = {{"api_reserve", "1000"}};
    expected = "reserve";
  }
  SECTION("--max-api-calls") {
    extra = {{"max_api_calls", "4"}};
    expected = "--max-api-calls";
  }
  Account account(options);
  auto connector = connect(account, extra);
  const auto report = scan(*connector);
  CHECK_FALSE(report.complete());
  CHECK_THAT(errors_of(report), Catch::Contains(expected));
}

TEST_CASE("The token comes from the environment or a file, never from options",
          "[connector][hubspot][security]") {
  Account account;
  const ConnectorConfig config{{"base_url", account.emulator.base_url()},
                               {"max_api_calls", "0"},
                               {"api_reserve", "0"},
                               {"page_size", "100"}};
  SECTION("no token") {
    const Environment none{};
    CHECK_THROWS_AS(crmscan::hubspot::HubSpotConnector(config), crmscan::ConfigError);
  }
  SECTION("a token file") {
    const auto path =
        fs::temp_directory_path() / ("crmscan-hubspot-token-" + std::to_string(::getpid()));
    std::ofstream(path) << account.emulator.access_token() << "\n";
    const Environment file{{"HUBSPOT_ACCESS_TOKEN_FILE", path.string()}};
    crmscan::hubspot::HubSpotConnector connector(config, no_waiting());
    const auto report = scan(connector);
    fs::remove(path);
    INFO(errors_of(report));
    CHECK(report.complete());
  }
  SECTION("an unknown option such as a token") {
    auto with_token = config;
    with_token["token"] = "pat-na1-oops";
    CHECK_THROWS_AS(crmscan::create_connector("hubspot", with_token), crmscan::ConfigError);
  }
  SECTION("plain http to another host") {
    auto remote = config;
    remote["base_url"] = "http://api.hubapi.com";
    CHECK_THROWS_AS(crmscan::hubspot::HubSpotConnector(remote), crmscan::ConfigError);
  }
}

TEST_CASE("crmscan scan --connector hubspot exits 0 when complete and 2 when not",
          "[connector][hubspot][cli]") {
  Account account;
  const auto out =
      fs::temp_directory_path() / ("crmscan-hubspot-cli-" + std::to_string(::getpid()));
  const auto run = [&](const std::string& extra) {
    const auto command =
        "HUBSPOT_ACCESS_TOKEN='" + account.emulator.access_token() + "' '" +
        std::string(CRMSCAN_BINARY) +
        "' scan --connector hubspot --option base_url=" + account.emulator.base_url() +
        " --option api_reserve=0 --subjects '" + kExpected +
        "/subjects.csv' --default-region GB --format json --out '" + out.string() + "' " + extra +
        " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const auto report_text = [&] {
    std::ifstream json(out / "findings.json");
    return std::string((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  };
  CHECK(run("") == 0);
  CHECK_THAT(report_text(), Catch::Contains("\"complete\": true") && Catch::Contains("9003"));
  CHECK_THAT(report_text(), !Catch::Contains(account.emulator.access_token()));
  CHECK(run("--max-api-calls 3") == 2);
  crmscan::hsemu::Faults faults;
  faults.token_revoked_at = 3;
  account.emulator.set_faults(faults);
  CHECK(run("") == 2);
  CHECK_THAT(report_text(), Catch::Contains("\"complete\": false") &&
                                Catch::Contains("refused the private app's access token"));
  CHECK_THAT(report_text(), !Catch::Contains(account.emulator.access_token()));
  fs::remove_all(out);
}

TEST_CASE("A full read of an account with many properties reads them by batch, archived too",
          "[connector][hubspot]") {
  Account account;
  add_wide_contact(account);
  crmscan::hsemu::HubRecord archived;
  archived.id = "9100";
  archived.archived = true;
  archived.properties = {{"hs_call_title", "Inbound call"},
                         {"hs_call_from_number", "+442079460311"},
                         {"hs_call_to_number", "+442079460000"}};
  account.emulator.add_record("calls", archived);
  auto connector = connect(account);
  const auto report = scan(*connector, true);
  INFO(errors_of(report));
  REQUIRE(report.complete());
  CHECK(account.emulator.request_count("/crm/v3/objects/contacts/batch/read") > 0);
  const auto deleted_call =
      std::find_if(report.findings.begin(), report.findings.end(),
                   [](const crmscan::Finding& f) { return f.record_id == "9100"; });
  REQUIRE(deleted_call != report.findings.end());
  CHECK(deleted_call->archived);
  CHECK(deleted_call->action == crmscan::Action::kDeleteRecord);
}

TEST_CASE("The emulator refuses what HubSpot refuses", "[hubspot][emulator]") {
  Account account;
  crmscan::HttpClient http(no_waiting());
  const auto search = [&](const std::string& body, const std::string& token) {
    return http.send({"POST",
                      account.emulator.base_url() + "/crm/v3/objects/contacts/search",
                      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                      body});
  };
  const auto token = account.emulator.access_token();
  const std::string group = R"({"filters":[{"propertyName":"email","operator":"EQ","value":"x"}]})";
  CHECK(search(R"({"filterGroups":[)" + group + "]}", token).status == 200);
  CHECK(search(R"({"filterGroups":[)" + group + "]}", "pat-na1-wrong").status == 401);
  std::string six = group;
  for (int i = 0; i < 5; ++i) six += "," + group;
  CHECK(search(R"({"filterGroups":[)" + six + "]}", token).status == 400);
  // A filter group of `count` filters.
  const auto filters = [](int count) {
    std::string text = R"({"filters":[)";
    for (int i = 0; i < count; ++i)
      text += std::string(i ? "," : "") + R"({"propertyName":"email","operator":"HAS_PROPERTY"})";
    return text + "]}";
  };
  CHECK(search(R"({"filterGroups":[)" + filters(7) + "]}", token).status == 400);
  const auto five_filters = filters(5);
  const auto four_groups =
      five_filters + "," + five_filters + "," + five_filters + "," + five_filters;  // 20 filters
  CHECK(search(R"({"filterGroups":[)" + four_groups + "]}", token).status == 400);
  CHECK(search(R"({"after":"10000","limit":100})", token).status == 400);
  const auto paged = search(R"({"limit":2})", token);
  CHECK_THAT(paged.body, Catch::Contains(R"("paging":{"next":{"after":"2"}})") &&
                             Catch::Contains(R"("total":11)"));
  const auto links =
      http.send({"GET",
                 account.emulator.base_url() + "/crm/v4/objects/contacts/5101/associations/calls",
                 {{"Authorization", "Bearer " + token}},
                 {}});
  CHECK(links.status == 200);
  CHECK_THAT(links.body, Catch::Contains(R"("toObjectId":9001)") &&
                             Catch::Contains(R"("toObjectId":9003)") && !Catch::Contains("9002"));
  CHECK_FALSE(links.header("x-hubspot-ratelimit-daily-remaining").empty());
  const auto one = http.send({"GET",
                              account.emulator.base_url() +
                                  "/crm/v3/objects/calls/9001?properties=hs_call_to_number"
                                  "&associations=contacts",
                              {{"Authorization", "Bearer " + token}},
                              {}});
  CHECK(one.status == 200);
  CHECK_THAT(one.body, Catch::Contains(R"("hs_call_to_number":"+442079460000")") &&
                           Catch::Contains(R"("contacts":{"results":[{"id":"5101")"));
}

TEST_CASE("The emulator matches only what HubSpot's search documents", "[hubspot][emulator]") {
  auto options = Account::sample_options();
  options.search_limit = 5;
  options.search_window = std::chrono::milliseconds(60'000);
  Account account(options);
  crmscan::hsemu::HubRecord archived;
  archived.id = "5999";
  archived.archived = true;
  archived.properties = {{"email", "gone@example.org"}};
  account.emulator.add_record("contacts", archived);
  crmscan::HttpClient http(no_waiting());
  const auto token = account.emulator.access_token();
  const auto search = [&](const std::string& object, const std::string& filter) {
    return http.send({"POST",
                      account.emulator.base_url() + "/crm/v3/objects/" + object + "/search",
                      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                      R"({"filterGroups":[{"filters":[)" + filter + "]}]}"});
  };
  const auto hits = [](const crmscan::HttpResponse& response) {
    const auto at = response.body.find(R"("total":)");
    return at == std::string::npos ? -1 : std::atoi(response.body.c_str() + at + 8);
  };
  // EQ: the whole value as stored, without regard to case; no normalising of numbers.
  CHECK(hits(search("contacts",
                    R"({"propertyName":"phone","operator":"EQ","value":"020 7946 0311"})")) == 1);
  CHECK(hits(search("contacts",
                    R"({"propertyName":"phone","operator":"EQ","value":"02079460311"})")) == 0);
  CHECK(hits(search(
            "contacts",
            R"({"propertyName":"email","operator":"EQ","value":"PRIYA.SHAH@example.com"})")) == 1);
  // IN: "values must be lowercase".
  CHECK(hits(search(
            "contacts",
            R"({"propertyName":"email","operator":"IN","values":["Priya.Shah@example.com"]})")) ==
        0);
  CHECK(hits(search(
            "contacts",
            R"({"propertyName":"email","operator":"IN","values":["priya.shah@example.com"]})")) ==
        1);
  // Five searches a second per account: the sixth within the window is refused.
  const auto refused =
      search("contacts",
             R"({"propertyName":"email","operator":"IN","values":["priya.shah@example.com"]})");
  CHECK(refused.status == 429);
  CHECK_THAT(refused.body, Catch::Contains("RATE_LIMIT"));

  Account fresh;  // no search limit
  crmscan::hsemu::HubRecord deleted = archived;
  fresh.emulator.add_record("contacts", deleted);
  const auto search_fresh = [&](const std::string& object, const std::string& body) {
    return http.send({"POST",
                      fresh.emulator.base_url() + "/crm/v3/objects/" + object + "/search",
                      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                      body});
  };
  const auto token_search = [&](const std::string& object, const std::string& property,
                                const std::string& value) {
    return hits(search_fresh(object, R"({"filterGroups":[{"filters":[{"propertyName":")" +
                                         property + R"(","operator":"CONTAINS_TOKEN","value":")" +
                                         value + R"("}]}]})"));
  };
  // CONTAINS_TOKEN: whole tokens, a phrase in a row, `*` completing a token; never a substring.
  CHECK(token_search("calls", "hs_call_title", "020 7946 0311") == 1);
  CHECK(token_search("calls", "hs_call_title", "7946 031") == 0);
  CHECK(token_search("calls", "hs_call_title", "*0311") == 1);
  CHECK(token_search("contacts", "email", "*@example.es") == 2);
  CHECK(token_search("notes", "hs_note_body", "*0311") == 2);
  // Archived records are never found by search; a batch read with archived=true reads them.
  CHECK(
      hits(search_fresh(
          "contacts",
          R"({"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"gone@example.org"}]}]})")) ==
      0);
  const auto read =
      http.send({"POST",
                 fresh.emulator.base_url() + "/crm/v3/objects/contacts/batch/read?archived=true",
                 {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                 R"({"inputs":[{"id":"5999"}]})"});
  CHECK(read.status == 200);
  CHECK_THAT(read.body, Catch::Contains(R"("archived":true)"));
  // A body of more than 3,000 characters is refused.
  std::string values;
  for (int i = 0; i < 200; ++i)
    values += std::string(i ? "," : "") + "\"" + std::to_string(i) + "@example.org\"";
  const auto long_body = search_fresh(
      "contacts",
      R"({"filterGroups":[{"filters":[{"propertyName":"email","operator":"IN","values":[)" +
          values + "]}]}]}");
  CHECK(long_body.status == 400);
}

TEST_CASE("A number is found in the spellings people type, in identity fields and call text",
          "[connector][hubspot]") {
  // An account whose records hold two customers' numbers written every way people write them,
  // read by the file connector and served by the emulator: the live scan finds the same.
  const auto folder =
      fs::temp_directory_path() / ("crmscan-hubspot-spellings-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  std::ofstream(folder / "contacts.json") << R"({"results":[
    {"id":"8001","properties":{"phone":"312.555.0175","firstname":"Ada","lastname":"One"},"archived":false},
    {"id":"8002","properties":{"mobilephone":"+1-312-555-0175","firstname":"Ada","lastname":"One"},"archived":false},
    {"id":"8003","properties":{"phone":"0044 20 7946 0372","firstname":"Ben","lastname":"Three"},"archived":false},
    {"id":"8004","properties":{"phone":"+44 (0)20 7946 0372","firstname":"Ben","lastname":"Three"},"archived":false},
    {"id":"8005","properties":{"phone":"020 7946 0372","firstname":"Ben","lastname":"Three"},"archived":false},
    {"id":"8006","properties":{"phone":"020 7946 0373","firstname":"Not","lastname":"Him"},"archived":false}]})";
  std::ofstream(folder / "calls.json") << R"({"results":[
    {"id":"8101","properties":{"hs_call_title":"Call back 312.555.0175","hs_call_body":"x"},"archived":false},
    {"id":"8102","properties":{"hs_call_title":"Inbound","hs_call_body":"Reached on +44 (0)20 7946 0372 at last"},"archived":false},
    {"id":"8103","properties":{"hs_call_title":"Inbound","hs_call_body":"Callback (312) 555-0175 tomorrow"},"archived":false},
    {"id":"8104","properties":{"hs_call_title":"Outbound","hs_call_from_number":"+1 312-555-0175"},"archived":false},
    {"id":"8105","properties":{"hs_call_title":"Order 2079460372001","hs_call_body":"ref"},"archived":false}]})";
  crmscan::SubjectRequest request;
  request.request_id = "SPELL";
  request.phones = {"+1 312 555 0175", "+44 20 7946 0372"};
  const crmscan::SubjectSet subjects({request}, "GB");
  auto file = crmscan::create_connector("file", {{"input", folder.string()}, {"crm", "hubspot"}});
  const auto expected = crmscan::run_scan(*file, sample.rules(), subjects, {});
  crmscan::hsemu::EmulatorOptions options;
  options.data_dir = folder;
  options.search_limit = 0;
  Account account(options);
  auto connector = connect(account);
  const auto live = crmscan::run_scan(*connector, sample.rules(), subjects, {});
  fs::remove_all(folder);
  INFO(errors_of(live));
  REQUIRE(live.complete());
  INFO(difference(live, expected));
  CHECK(keys_of(live) == keys_of(expected));
  for (const auto* id : {"8001", "8002", "8003", "8004", "8005"}) {
    INFO(id);
    CHECK(keys_of(live).count({"SPELL", "contacts", id, "", "delete_record"}) == 1);
  }
  CHECK(keys_of(live).count({"SPELL", "calls", "8104", "", "delete_record"}) == 1);
  CHECK(found(live, "calls", "8101"));
  CHECK(found(live, "calls", "8102"));
  CHECK_FALSE(found(live, "contacts", "8006"));
  // The filters sent were ones HubSpot accepts: lower-case IN values, bodies within 3,000
  // characters.
  for (const auto& sent : account.emulator.requests()) {
    CHECK(sent.body.size() <= 3'000);
    CHECK(sent.status < 400);
  }
}

TEST_CASE("Records associated with the customer are read whether archived or not",
          "[connector][hubspot]") {
  Account account;
  crmscan::hsemu::HubRecord call;
  call.id = "9901";
  call.archived = true;
  call.properties = {{"hs_call_title", "Outbound call"}, {"hs_call_body", "No number logged."}};
  call.associations["contacts"] = {"5101"};
  account.emulator.add_record("calls", call);
  auto connector = connect(account);
  const auto report = scan(*connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());
  const auto archived =
      std::find_if(report.findings.begin(), report.findings.end(),
                   [](const crmscan::Finding& f) { return f.record_id == "9901"; });
  REQUIRE(archived != report.findings.end());
  CHECK(archived->archived);
  CHECK(archived->request_id == "HS-2001");
  CHECK(archived->action == crmscan::Action::kDeleteRecord);
  // What search could not see is in the report.
  const bool noted = std::any_of(report.notes.begin(), report.notes.end(), [](const auto& note) {
    return note.find("never returns archived records") != std::string::npos;
  });
  CHECK(noted);
}

TEST_CASE("An account with many properties is searched for ids, its records read by batch",
          "[connector][hubspot]") {
  Account account;
  add_wide_contact(account);
  auto connector = connect(account);
  const auto report = scan(*connector);
  sample.require_same_as_file(report);
  CHECK(account.emulator.request_count("/crm/v3/objects/contacts/batch/read") > 0);
  for (const auto& sent : account.emulator.requests()) {
    if (sent.path.ends_with("/search")) CHECK(sent.body.size() <= 3'000);
  }
}

TEST_CASE("Searches keep to HubSpot's search rate", "[connector][hubspot][faults]") {
  // Five searches in each 100 ms here, and the connector paced to 40 a second: never refused.
  auto options = Account::sample_options();
  options.search_limit = 5;
  options.search_window = std::chrono::milliseconds(100);
  Account account(options);
  crmscan::HttpOptions http;
  http.total_timeout = std::chrono::milliseconds(5000);
  http.sleep = [](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); };
  crmscan::hubspot::HubSpotConnector connector({{"base_url", account.emulator.base_url()},
                                                {"max_api_calls", "0"},
                                                {"api_reserve", "0"},
                                                {"page_size", "100"},
                                                {"search_rate", "40"}},
                                               http);
  const auto report = scan(connector);
  sample.require_same_as_file(report);
  const auto requests = account.emulator.requests();
  CHECK(std::none_of(requests.begin(), requests.end(),
                     [](const auto& r) { return r.status == 429; }));
}

TEST_CASE("Retry-After is honoured in full within the scan's wait budget",
          "[connector][hubspot][faults]") {
  crmscan::hsemu::Faults faults;
  faults.throttled.at = 8;
  faults.throttled.count = 1;
  faults.retry_after_seconds = 120;
  SECTION("within the budget: the whole wait, then the scan goes on") {
    Account account;
    account.emulator.set_faults(faults);
    std::vector<std::chrono::milliseconds> waits;
    auto connector = connect(account, {}, &waits);
    const auto report = scan(*connector);
    INFO(errors_of(report));
    CHECK(report.complete());
    CHECK(std::count(waits.begin(), waits.end(), std::chrono::milliseconds(120'000)) == 1);
  }
  SECTION("past the budget: stopped, incomplete, saying why") {
    Account account;
    account.emulator.set_faults(faults);
    std::vector<std::chrono::milliseconds> waits;
    auto connector = connect(account, {{"max_wait", "60"}}, &waits);
    const auto report = scan(*connector);
    CHECK_FALSE(report.complete());
    CHECK_THAT(errors_of(report), Catch::Contains("wait budget of 60 s"));
    // Searches were paced, but the two minutes asked for were never waited.
    CHECK(std::none_of(waits.begin(), waits.end(),
                       [](auto wait) { return wait >= std::chrono::seconds(60); }));
  }
}

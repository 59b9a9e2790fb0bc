// The Dynamics 365 connector against the emulated environment: the same findings as a scan of
// the export it is loaded from, few API calls, and every failure either recovered or reported.
#define CATCH_CONFIG_MAIN
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "connector_test_kit.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/http.hpp"
#include "d365_emulator.hpp"
#include "dynamics365_connector.hpp"

namespace fs = std::filesystem;
using crmscan::ConnectorConfig;
using crmscan::Report;
using crmscan::d365emu::Emulator;
using crmscan::d365emu::Faults;

namespace {

using crmscan::testkit::difference;
using crmscan::testkit::errors_of;
using crmscan::testkit::keys_of;
using crmscan::testkit::kSource;
using crmscan::testkit::read_csv;

const crmscan::testkit::Sample sample{"dynamics365", "dynamics365", "dynamics365"};

const std::string kSample = kSource + "/samples/dynamics365";
const std::string kExpected = kSource + "/samples/dynamics365-expected";

/// Sets the D365_* variables for one test and takes them away after it.
class Environment : public crmscan::testkit::Environment {
 public:
  Environment(std::initializer_list<std::pair<std::string, std::string>> values)
      : crmscan::testkit::Environment({"D365_TENANT_ID", "D365_CLIENT_ID", "D365_CLIENT_SECRET"},
                                      values) {}
};

Environment emulator_credentials() {
  const crmscan::d365emu::EmulatorOptions defaults;
  return {{"D365_TENANT_ID", defaults.tenant},
          {"D365_CLIENT_ID", defaults.client_id},
          {"D365_CLIENT_SECRET", defaults.client_secret}};
}

struct Dataverse {
  Emulator emulator;
  Dataverse() : emulator(sample_options()) { emulator.start(); }
  static crmscan::d365emu::EmulatorOptions sample_options() {
    crmscan::d365emu::EmulatorOptions options;
    options.data_dir = kSample;
    return options;
  }
};

/// Waits asked for by the HTTP layer, recorded instead of slept.
struct Waits {
  std::vector<std::chrono::milliseconds> asked;
  crmscan::HttpOptions options() {
    crmscan::HttpOptions http;
    http.sleep = [this](std::chrono::milliseconds wait) { asked.push_back(wait); };
    http.total_timeout = std::chrono::milliseconds(5000);
    return http;
  }
};

std::unique_ptr<crmscan::dynamics365::Dynamics365Connector> connect(const Dataverse& dataverse,
                                                                    Waits& waits,
                                                                    ConnectorConfig extra = {}) {
  ConnectorConfig config{{"url", dataverse.emulator.url()},
                         {"authority", dataverse.emulator.url()},
                         {"api_version", "9.2"},
                         {"page_size", "5000"},
                         {"max_api_calls", "0"}};
  for (const auto& [key, value] : extra) config[key] = value;
  return std::make_unique<crmscan::dynamics365::Dynamics365Connector>(config, waits.options());
}

Report scan(crmscan::Connector& connector) {
  return crmscan::run_scan(connector, sample.rules(), sample.subjects(), {});
}

}  // namespace

TEST_CASE("The file scan of the sample finds every expected finding and leaves the decoys alone",
          "[connector][dynamics365][sample]") {
  const auto& report = sample.file_report();
  INFO(errors_of(report));
  REQUIRE(report.complete());
  const auto keys = keys_of(report);
  const auto expected = read_csv(kExpected + "/expected-findings.csv");
  REQUIRE(expected.size() > 10);
  for (const auto& row : expected) {
    INFO(row[0] + " " + row[1] + " " + row[2] + " " + row[3] + " " + row[4]);
    CHECK(keys.count({row[0], row[1], row[2], row[3], row[4]}) == 1);
  }
  CHECK(keys.size() == expected.size());
  for (const auto& decoy : read_csv(kExpected + "/decoys.csv")) {
    for (const auto& f : report.findings) {
      INFO(decoy[0] + " " + decoy[1] + ": " + decoy[2]);
      CHECK_FALSE((f.object == decoy[0] && f.record_id == decoy[1]));
    }
  }
}

TEST_CASE("A subject scan through the Web API finds what a scan of the export finds",
          "[connector][dynamics365]") {
  const auto env = emulator_credentials();
  Dataverse dataverse;
  Waits waits;
  auto connector = connect(dataverse, waits);
  const auto report = scan(*connector);
  sample.require_same_as_file(report);
  // Every request is counted, the token requests included, and the count is what the server saw.
  CHECK(report.api_calls == dataverse.emulator.request_count("/"));
  CHECK(report.api_calls < 100);
  const auto findings = keys_of(report);
  // Calls that only one link ties to the subject: an unresolved party's addressused, the
  // Regarding lookup, a party that resolves to the subject's lead.
  for (const auto& [request, call] :
       {std::pair{"REQ-2001", "ca110000-0000-4000-8000-000000000003"},
        std::pair{"REQ-2002", "ca110000-0000-4000-8000-000000000004"},
        std::pair{"REQ-2003", "ca110000-0000-4000-8000-000000000006"}}) {
    INFO(call);
    CHECK(findings.count({request, "phonecall", call, "", "delete_record"}) == 1);
  }
  // The decoy that shares a prefix with REQ-2002's number, and its call, are left alone.
  for (const auto& f : report.findings) {
    CHECK(f.record_id != "c0000000-0000-4000-8000-000000000004");
    CHECK(f.record_id != "ca110000-0000-4000-8000-000000000007");
  }
  // The email with an apostrophe went out as an OData literal with the quote doubled.
  const auto requests = dataverse.emulator.requests();
  CHECK(std::any_of(requests.begin(), requests.end(), [](const auto& r) {
    return r.filter.find("emailaddress1 eq 'aoife.o''brien@example.ie'") != std::string::npos;
  }));
}

TEST_CASE("A full read through the Web API, paged, finds the same as the export",
          "[connector][dynamics365]") {
  const auto env = emulator_credentials();
  Dataverse dataverse;
  Waits waits;
  auto connector = connect(dataverse, waits, {{"page_size", "3"}});
  crmscan::ScanOptions options;
  options.full_read = true;
  const auto report = crmscan::run_scan(*connector, sample.rules(), sample.subjects(), options);
  sample.require_same_as_file(report);
  CHECK(report.records_read == sample.file_report().records_read);
}

TEST_CASE("Every fault is recovered with the same findings, or reported as incomplete",
          "[connector][dynamics365][faults]") {
  struct Row {
    const char* name;
    Faults faults;
    const char* error;  // empty: the scan completes with the file scan's findings
  };
  const auto faults = [](auto set) {
    Faults f;
    set(f);
    return f;
  };
  const std::vector<Row> rows{
      {"a token that expires in the middle of paging",
       faults([](Faults& f) { f.token_expires_after = 5; }), ""},
      {"429 with Retry-After", faults([](Faults& f) {
         f.throttled.at = 4;
         f.throttled.count = 2;
         f.retry_after_seconds = 2;
       }),
       ""},
      {"a burst of 503", faults([](Faults& f) {
         f.unavailable.at = 6;
         f.unavailable.count = 3;
       }),
       ""},
      {"a truncated body", faults([](Faults& f) { f.truncated_at = 7; }), ""},
      {"a 503 that does not stop", faults([](Faults& f) {
         f.unavailable.at = 6;
         f.unavailable.count = 100'000;
       }),
       "HTTP 503"},
      {"invalid JSON", faults([](Faults& f) { f.malformed_json_at = 12; }), "not valid JSON"},
      {"an HTML page instead of JSON", faults([](Faults& f) { f.wrong_content_type_at = 12; }),
       "not JSON (text/html"},
  };
  const auto env = emulator_credentials();
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.name) {
      Dataverse dataverse;
      dataverse.emulator.set_faults(row.faults);
      Waits waits;
      // Pages of two records, so that every query pages and faults land inside paging too.
      auto connector = connect(dataverse, waits, {{"page_size", "2"}});
      const auto report = scan(*connector);
      INFO(errors_of(report));
      if (std::string(row.error).empty()) {
        CHECK(report.complete());
        INFO(difference(report, sample.file_report()));
        CHECK(keys_of(report) == keys_of(sample.file_report()));
      } else {
        CHECK_FALSE(report.complete());
        CHECK_THAT(errors_of(report), Catch::Contains(row.error));
      }
      if (row.faults.throttled.at != 0) {
        // Retry-After was waited out, through the sleep the test put in.
        CHECK(std::count(waits.asked.begin(), waits.asked.end(), std::chrono::seconds(2)) == 2);
      }
      if (row.faults.token_expires_after != 0) {
        const auto requests = dataverse.emulator.requests();
        // Some token ran out on a page after the first, and paging went on.
        CHECK(std::any_of(requests.begin(), requests.end(),
                          [](const auto& r) { return r.status == 401 && r.next_page; }));
      }
    }
  }
}

TEST_CASE("Paging follows @odata.nextLink with the page size asked for",
          "[connector][dynamics365]") {
  const auto env = emulator_credentials();
  Dataverse whole, paged;
  Waits waits;
  const auto one_page = scan(*connect(whole, waits));
  const auto small_pages = scan(*connect(paged, waits, {{"page_size", "1"}}));
  REQUIRE(small_pages.complete());
  CHECK(keys_of(small_pages) == keys_of(one_page));
  CHECK(small_pages.api_calls > one_page.api_calls);
}

TEST_CASE("A subject scan spends the same API calls when 100,000 unrelated records are added",
          "[connector][dynamics365]") {
  const auto env = emulator_credentials();
  Waits waits;
  Dataverse small;
  const auto baseline = scan(*connect(small, waits));
  REQUIRE(baseline.complete());

  Dataverse large;
  // Other customers, one in a hundred with a number that ends like a subject's, and their calls.
  std::string contacts = "[", calls = "[";
  char id[40];
  for (int i = 0; i < 50'000; ++i) {
    std::snprintf(id, sizeof id, "c1000000-0000-4000-8000-%012d", i);
    const std::string contact_id = id;
    const auto number =
        i % 100 == 0 ? "+44 113 496 0958" : "+44 113 496 " + std::to_string(1000 + i % 9000);
    contacts += std::string(i ? "," : "") + R"({"contactid":")" + contact_id +
                R"(","firstname":"Pat","lastname":"Customer)" + std::to_string(i) +
                R"(","fullname":"Pat Customer)" + std::to_string(i) +
                R"(","emailaddress1":"customer)" + std::to_string(i) +
                R"(@example.org","telephone1":")" + number + R"("})";
    std::snprintf(id, sizeof id, "ca120000-0000-4000-8000-%012d", i);
    calls += std::string(i ? "," : "") + R"({"activityid":")" + id +
             R"(","subject":"Inbound call","phonenumber":")" + number +
             R"(","_regardingobjectid_value":")" + contact_id + R"("})";
  }
  large.emulator.add_records("contact", contacts + "]");
  large.emulator.add_records("phonecall", calls + "]");
  const auto report = scan(*connect(large, waits));
  INFO(errors_of(report));
  REQUIRE(report.complete());
  CHECK(keys_of(report) == keys_of(baseline));
  CHECK(report.api_calls == baseline.api_calls);
}

TEST_CASE("Credentials come from the environment and never show in errors",
          "[connector][dynamics365][security]") {
  Dataverse dataverse;
  Waits waits;
  const crmscan::d365emu::EmulatorOptions defaults;
  SECTION("the secret from a file") {
    const auto path = fs::temp_directory_path() / ("crmscan-d365-" + std::to_string(::getpid()));
    std::ofstream(path) << defaults.client_secret << "\n";
    const Environment env{{"D365_TENANT_ID", defaults.tenant},
                          {"D365_CLIENT_ID", defaults.client_id},
                          {"D365_CLIENT_SECRET_FILE", path.string()}};
    const auto report = scan(*connect(dataverse, waits));
    fs::remove(path);
    INFO(errors_of(report));
    CHECK(report.complete());
  }
  SECTION("a wrong secret") {
    const Environment env{{"D365_TENANT_ID", defaults.tenant},
                          {"D365_CLIENT_ID", defaults.client_id},
                          {"D365_CLIENT_SECRET", "wrong-secret-value"}};
    const auto report = scan(*connect(dataverse, waits));
    CHECK_FALSE(report.complete());
    CHECK_THAT(errors_of(report), Catch::Contains("refused the token request") &&
                                      Catch::Contains("invalid_client") &&
                                      !Catch::Contains("wrong-secret-value"));
  }
  SECTION("a missing variable") {
    const Environment env{{"D365_TENANT_ID", defaults.tenant}, {"D365_CLIENT_ID", "x"}};
    CHECK_THROWS_AS(connect(dataverse, waits), crmscan::ConfigError);
  }
  SECTION("plain http to another machine") {
    const auto env = emulator_credentials();
    CHECK_THROWS_AS(connect(dataverse, waits, {{"url", "http://contoso.crm.dynamics.com"}}),
                    crmscan::ConfigError);
  }
}

TEST_CASE("A service protection limit's Retry-After is waited in full within the wait budget",
          "[connector][dynamics365][faults]") {
  const auto env = emulator_credentials();
  Faults faults;
  faults.throttled.at = 4;
  faults.throttled.count = 1;
  faults.retry_after_seconds = 120;
  Dataverse dataverse;
  dataverse.emulator.set_faults(faults);
  Waits waits;
  SECTION("two minutes asked for, two minutes waited: not cut to the backoff cap") {
    auto connector = connect(dataverse, waits);
    const auto report = scan(*connector);
    INFO(errors_of(report));
    CHECK(report.complete());
    CHECK(std::count(waits.asked.begin(), waits.asked.end(), std::chrono::seconds(120)) == 1);
  }
  SECTION("past --option max_wait: stopped, incomplete, saying why") {
    auto connector = connect(dataverse, waits, {{"max_wait", "60"}});
    const auto report = scan(*connector);
    CHECK_FALSE(report.complete());
    CHECK_THAT(errors_of(report), Catch::Contains("wait budget of 60 s"));
    CHECK(waits.asked.empty());
  }
}

TEST_CASE("crmscan scan --connector dynamics365 exits 0 on a complete scan and 2 on a failure",
          "[connector][dynamics365][cli]") {
  Dataverse dataverse;
  const crmscan::d365emu::EmulatorOptions defaults;
  const auto out = fs::temp_directory_path() / ("crmscan-d365-cli-" + std::to_string(::getpid()));
  const auto run = [&](const std::string& extra) {
    const auto command =
        "D365_TENANT_ID=" + defaults.tenant + " D365_CLIENT_ID=" + defaults.client_id +
        " D365_CLIENT_SECRET=" + defaults.client_secret + " '" + std::string(CRMSCAN_BINARY) +
        "' scan --connector dynamics365 --option url=" + dataverse.emulator.url() +
        " --option authority=" + dataverse.emulator.url() + " --subjects '" + kExpected +
        "/subjects.csv' --default-region GB --format json --out '" + out.string() + "' " + extra +
        " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const auto findings_json = [&] {
    std::ifstream json(out / "findings.json");
    return std::string((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  };
  CHECK(run("") == 0);
  CHECK_THAT(findings_json(), Catch::Contains("\"complete\": true") &&
                                  Catch::Contains("ca110000-0000-4000-8000-000000000003") &&
                                  !Catch::Contains(defaults.client_secret));
  Faults faults;
  faults.unavailable.at = 3;
  faults.unavailable.count = 100'000;
  faults.retry_after_seconds = 0;
  dataverse.emulator.set_faults(faults);
  CHECK(run("--max-api-calls 40") == 2);
  CHECK_THAT(findings_json(),
             Catch::Contains("\"complete\": false") && Catch::Contains("HTTP 503"));
  fs::remove_all(out);
}

TEST_CASE("The emulator answers the OData subset the connector speaks, and refuses the rest",
          "[emulator][dynamics365]") {
  Dataverse dataverse;
  const crmscan::d365emu::EmulatorOptions defaults;
  const auto url = dataverse.emulator.url();
  crmscan::HttpClient http;
  const auto token_reply =
      http.send({"POST",
                 url + "/" + defaults.tenant + "/oauth2/v2.0/token",
                 {{"Content-Type", "application/x-www-form-urlencoded"}},
                 "grant_type=client_credentials&client_id=" + defaults.client_id +
                     "&client_secret=" + defaults.client_secret +
                     "&scope=" + crmscan::HttpClient::escape(url + "/.default")});
  REQUIRE(token_reply.status == 200);
  const auto token_at = token_reply.body.find("\"access_token\":\"") + 16;
  const auto token =
      token_reply.body.substr(token_at, token_reply.body.find('"', token_at) - token_at);
  const auto get = [&](const std::string& query, const std::string& page_size = "5000") {
    return http.send(
        {"GET",
         url + "/api/data/v9.2/contacts?" + query,
         {{"Authorization", "Bearer " + token}, {"Prefer", "odata.maxpagesize=" + page_size}},
         {}});
  };
  const auto filter = [&](const std::string& text) {
    return get("$select=contactid&$filter=" + crmscan::HttpClient::escape(text));
  };
  const auto count = [](const crmscan::HttpResponse& r) {
    std::size_t n = 0;
    for (auto at = r.body.find("\"contactid\""); at != std::string::npos;
         at = r.body.find("\"contactid\"", at + 1))
      ++n;
    return n;
  };
  // A quote inside a literal is doubled; letter case does not matter.
  CHECK(count(filter("emailaddress1 eq 'AOIFE.O''BRIEN@example.ie'")) == 1);
  // Accents do not matter either (Dataverse's default collation): Amélie and Amelie.
  CHECK(count(filter("contains(fullname,'amelie') and not (telephone1 eq null)")) == 2);
  CHECK(count(filter("_parentcustomerid_value eq ACC00000-0000-4000-8000-000000000001 or "
                     "contactid eq c0000000-0000-4000-8000-000000000002")) == 3);
  CHECK_THAT(filter("nosuchcolumn eq 'x'").body, Catch::Contains("0x80060888"));
  CHECK(filter("emailaddress1 eq 'unterminated").status == 400);
  CHECK(get("$top=1").status == 400);
  // Pages of two, each pointing to the next; the last has no nextLink.
  std::size_t records = 0, pages = 0;
  auto page = get("$select=contactid,fullname", "2");
  for (;;) {
    REQUIRE(page.status == 200);
    records += count(page);
    ++pages;
    const auto at = page.body.find("\"@odata.nextLink\":\"");
    if (at == std::string::npos) break;
    const auto start = at + 19;
    const auto next = page.body.substr(start, page.body.find('"', start) - start);
    CHECK_THAT(next, Catch::Contains("$select=contactid%2Cfullname"));
    page = http.send({"GET",
                      next,
                      {{"Authorization", "Bearer " + token}, {"Prefer", "odata.maxpagesize=2"}},
                      {}});
  }
  CHECK(records == 10);
  CHECK(pages == 5);
  CHECK(http.send({"GET", url + "/api/data/v9.2/contacts", {}, {}}).status == 401);
}

namespace {

/// A Web API client for the emulator's strictness tests: a token, then $filter queries.
struct RawClient {
  const Emulator& emulator;
  crmscan::HttpClient http;
  std::string token;

  explicit RawClient(const Emulator& e) : emulator(e) {
    const crmscan::d365emu::EmulatorOptions defaults;
    const auto url = emulator.url();
    const auto reply = http.send({"POST",
                                  url + "/" + defaults.tenant + "/oauth2/v2.0/token",
                                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                                  "grant_type=client_credentials&client_id=" + defaults.client_id +
                                      "&client_secret=" + defaults.client_secret +
                                      "&scope=" + crmscan::HttpClient::escape(url + "/.default")});
    const auto at = reply.body.find("\"access_token\":\"") + 16;
    token = reply.body.substr(at, reply.body.find('"', at) - at);
  }

  crmscan::HttpResponse filter(const std::string& set, const std::string& text) {
    return http.send(
        {"GET",
         emulator.url() + "/api/data/v9.2/" + set + "?$filter=" + crmscan::HttpClient::escape(text),
         {{"Authorization", "Bearer " + token}},
         {}});
  }

  /// How many records a filter finds (-1 when the query fails).
  int count(const std::string& set, const std::string& text) {
    const auto reply = filter(set, text);
    if (reply.status != 200) return -1;
    int n = 0;
    for (auto at = reply.body.find("\"@odata.etag\""); at != std::string::npos;
         at = reply.body.find("\"@odata.etag\"", at + 1))
      ++n;
    return n;
  }
};

constexpr const char* kTypedContacts = R"([
  {"contactid":"d0000000-0000-4000-8000-000000000001","fullname":"Amélie Dotted",
   "telephone1":"312.555.0175","emailaddress1":"amelie_d@example.fr"},
  {"contactid":"d0000000-0000-4000-8000-000000000002","fullname":"Dash Person",
   "telephone1":"+1-312-555-0175"},
  {"contactid":"d0000000-0000-4000-8000-000000000003","fullname":"Zero Zero",
   "telephone1":"001 312 555 0175"},
  {"contactid":"d0000000-0000-4000-8000-000000000004","fullname":"Trunk Prefix",
   "telephone1":"+44 (0)20 7946 0958"},
  {"contactid":"d0000000-0000-4000-8000-000000000005","fullname":"Grouped Spaces",
   "telephone1":"+1 312 555 0175"}
])";

}  // namespace

TEST_CASE("The emulator matches only what Dataverse's string filters match",
          "[emulator][dynamics365][strict]") {
  Emulator emulator;
  emulator.add_records("contact", kTypedContacts);
  emulator.start();
  RawClient client(emulator);
  SECTION("eq is the whole value as stored: no other spelling of the same number") {
    CHECK(client.count("contacts", "telephone1 eq '312.555.0175'") == 1);
    CHECK(client.count("contacts", "telephone1 eq '+1 312 555 0175'") == 1);
    CHECK(client.count("contacts", "telephone1 eq '+13125550175'") == 0);
    CHECK(client.count("contacts", "telephone1 eq '(312) 555-0175'") == 0);
    CHECK(client.count("contacts", "telephone1 eq '312.555.017'") == 0);
    // eq reads no wildcards.
    CHECK(client.count("contacts", "telephone1 eq '312_555_0175'") == 0);
    CHECK(client.count("contacts", "telephone1 eq '%0175'") == 0);
  }
  SECTION("contains, startswith and endswith: substring, prefix, suffix of the stored text") {
    CHECK(client.count("contacts", "contains(telephone1,'555.0175')") == 1);
    CHECK(client.count("contacts", "contains(telephone1,'5550175')") == 0);
    CHECK(client.count("contacts", "contains(telephone1,'0175')") == 4);
    CHECK(client.count("contacts", "startswith(telephone1,'312')") == 1);
    CHECK(client.count("contacts", "startswith(telephone1,'0175')") == 0);
    CHECK(client.count("contacts", "endswith(telephone1,'0958')") == 1);
    CHECK(client.count("contacts", "endswith(telephone1,'7946')") == 0);
  }
  SECTION("their values' %, _ and [] are wildcards, as T-SQL LIKE's") {
    CHECK(client.count("contacts", "contains(telephone1,'312_555_0175')") == 4);
    CHECK(client.count("contacts", "startswith(telephone1,'+1%0175')") == 2);
    CHECK(client.count("contacts", "startswith(telephone1,'[0-9]')") == 2);
    CHECK(client.count("contacts", "startswith(telephone1,'[^+]')") == 2);
    CHECK(client.count("contacts", "contains(emailaddress1,'amelie_d@')") == 1);
  }
  SECTION("never case-sensitive; accents as the collation says") {
    CHECK(client.count("contacts", "emailaddress1 eq 'AMELIE_D@EXAMPLE.FR'") == 1);
    CHECK(client.count("contacts", "contains(fullname,'DOTTED')") == 1);
    CHECK(client.count("contacts", "contains(fullname,'amelie')") == 1);
    crmscan::d365emu::EmulatorOptions options;
    options.accent_sensitive = true;
    Emulator finnish(options);
    finnish.add_records("contact", kTypedContacts);
    finnish.start();
    RawClient sensitive(finnish);
    CHECK(sensitive.count("contacts", "contains(fullname,'amelie')") == 0);
    CHECK(sensitive.count("contacts", "contains(fullname,'AMÉLIE')") == 1);
  }
  SECTION("a leading wildcard on a large table times out with 0x80048573, told so") {
    Faults faults;
    faults.leading_wildcard_timeout_rows = 4;
    emulator.set_faults(faults);
    for (const auto* filter : {"contains(telephone1,'0175')", "endswith(telephone1,'0175')",
                               "startswith(telephone1,'%0175')",
                               "telephone1 eq '312.555.0175' or contains(fullname,'x')"}) {
      INFO(filter);
      const auto reply = client.filter("contacts", filter);
      CHECK(reply.status == 500);
      CHECK_THAT(reply.body, Catch::Contains("0x80048573"));
    }
    CHECK(client.count("contacts", "telephone1 eq '312.555.0175'") == 1);
    CHECK(client.count("contacts", "startswith(telephone1,'312')") == 1);
    // A table at most that large is scanned in time.
    faults.leading_wildcard_timeout_rows = 5;
    emulator.set_faults(faults);
    CHECK(client.count("contacts", "contains(telephone1,'0175')") == 4);
  }
}

namespace {

/// A Dataverse export written to a temporary folder: the file scan reads it, the emulator
/// serves it.
struct ExportFolder {
  fs::path path;
  explicit ExportFolder(const std::map<std::string, std::string>& entities) {
    path = fs::temp_directory_path() /
           ("crmscan-d365-export-" + std::to_string(::getpid()) + "-" + std::to_string(++made));
    fs::create_directories(path);
    for (const auto& [name, json] : entities) std::ofstream(path / (name + ".json")) << json;
  }
  ~ExportFolder() { fs::remove_all(path); }
  static inline int made = 0;
};

crmscan::SubjectSet one_subject(const std::string& request, const std::string& phone) {
  crmscan::SubjectRequest subject;
  subject.request_id = request;
  subject.phones = {phone};
  subject.source = "test";
  return crmscan::SubjectSet({subject}, "GB");
}

constexpr const char* kTypedCalls = R"([
  {"activityid":"da110000-0000-4000-8000-000000000001","subject":"Call back 312.555.0175",
   "description":"Left a message"},
  {"activityid":"da110000-0000-4000-8000-000000000002","subject":"312.555.0175 asked for a quote",
   "description":""},
  {"activityid":"da110000-0000-4000-8000-000000000003","subject":"Inbound call",
   "description":"Caller gave +44 (0)20 7946 0958 as a call-back number"},
  {"activityid":"da110000-0000-4000-8000-000000000004","subject":"Inbound call",
   "description":"Caller gave 0033 6 22 12 34 56"}
])";

}  // namespace

TEST_CASE("Numbers typed in any common spelling are found live as in the export",
          "[connector][dynamics365][spellings]") {
  const auto env = emulator_credentials();
  const ExportFolder folder({{"contact", kTypedContacts}, {"phonecall", kTypedCalls}});
  crmscan::d365emu::EmulatorOptions options;
  options.data_dir = folder.path;
  Emulator emulator(options);
  emulator.start();
  Waits waits;
  const ConnectorConfig config{{"url", emulator.url()},
                               {"authority", emulator.url()},
                               {"api_version", "9.2"},
                               {"page_size", "5000"},
                               {"max_api_calls", "0"}};
  const auto file = [&](const crmscan::SubjectSet& subjects) {
    auto connector = crmscan::create_connector(
        "file", {{"input", folder.path.string()}, {"crm", "dynamics365"}});
    return crmscan::run_scan(*connector, sample.rules(), subjects, {});
  };
  const auto live = [&](const crmscan::SubjectSet& subjects) {
    crmscan::dynamics365::Dynamics365Connector connector(config, waits.options());
    return crmscan::run_scan(connector, sample.rules(), subjects, {});
  };
  for (const auto& [request, phone, records] :
       {std::tuple{
            "REQ-US", "+1 312 555 0175",
            std::vector<std::string>{
                "d0000000-0000-4000-8000-000000000001", "d0000000-0000-4000-8000-000000000002",
                "d0000000-0000-4000-8000-000000000003", "d0000000-0000-4000-8000-000000000005",
                "da110000-0000-4000-8000-000000000001", "da110000-0000-4000-8000-000000000002"}},
        std::tuple{"REQ-GB", "+44 20 7946 0958",
                   std::vector<std::string>{"d0000000-0000-4000-8000-000000000004",
                                            "da110000-0000-4000-8000-000000000003"}},
        std::tuple{"REQ-FR", "+33 6 22 12 34 56",
                   std::vector<std::string>{"da110000-0000-4000-8000-000000000004"}}}) {
    DYNAMIC_SECTION(request) {
      const auto subjects = one_subject(request, phone);
      const auto from_file = file(subjects);
      const auto from_api = live(subjects);
      INFO(errors_of(from_api));
      REQUIRE(from_api.complete());
      INFO(difference(from_api, from_file));
      CHECK(keys_of(from_api) == keys_of(from_file));
      std::set<std::string> found;
      for (const auto& f : from_api.findings) found.insert(f.record_id);
      for (const auto& id : records) {
        INFO(id);
        CHECK(found.count(id) == 1);
      }
    }
  }
}

TEST_CASE("A search Dataverse times out for its leading wildcard is reported, never retried",
          "[connector][dynamics365][faults][strict]") {
  const auto env = emulator_credentials();
  const ExportFolder folder({{"contact", kTypedContacts}, {"phonecall", kTypedCalls}});
  crmscan::d365emu::EmulatorOptions options;
  options.data_dir = folder.path;
  Emulator emulator(options);
  // Either status Dataverse may give it: a 5xx must not be retried either.
  const auto status = GENERATE(500, 400);
  Faults faults;
  faults.leading_wildcard_timeout_rows = 3;
  faults.leading_wildcard_status = status;
  emulator.set_faults(faults);
  emulator.start();
  Waits waits;
  crmscan::dynamics365::Dynamics365Connector connector({{"url", emulator.url()},
                                                        {"authority", emulator.url()},
                                                        {"api_version", "9.2"},
                                                        {"page_size", "5000"},
                                                        {"max_api_calls", "0"}},
                                                       waits.options());
  const auto report =
      crmscan::run_scan(connector, sample.rules(), one_subject("REQ-US", "+1 312 555 0175"), {});
  // Incomplete, saying why, with the error code the user can look up.
  CHECK_FALSE(report.complete());
  CHECK_THAT(errors_of(report), Catch::Contains("0x80048573") &&
                                    Catch::Contains("leading wildcard on contact") &&
                                    Catch::Contains("leading wildcard on phonecall"));
  // What the exact spellings find in identity columns, and a number at the start of a subject,
  // are found all the same.
  std::set<std::string> found;
  for (const auto& f : report.findings) found.insert(f.record_id);
  for (const auto* id :
       {"d0000000-0000-4000-8000-000000000001", "d0000000-0000-4000-8000-000000000002",
        "d0000000-0000-4000-8000-000000000003", "d0000000-0000-4000-8000-000000000005",
        "da110000-0000-4000-8000-000000000002"}) {
    INFO(id);
    CHECK(found.count(id) == 1);
  }
  // Each refused query was sent once: no retry, no waiting.
  std::map<std::string, int> refused;
  for (const auto& request : emulator.requests()) {
    if (request.status == status) ++refused[request.path + "?" + request.filter];
  }
  CHECK_FALSE(refused.empty());
  for (const auto& [query, times] : refused) {
    INFO(query);
    CHECK(times == 1);
  }
  CHECK(waits.asked.empty());
}

TEST_CASE("Tables no rule names are not searched, and the report says which",
          "[connector][dynamics365][notes]") {
  const auto env = emulator_credentials();
  const ExportFolder folder(
      {{"contact", kTypedContacts},
       {"new_callnote", R"([{"new_callnoteid":"e0000000-0000-4000-8000-000000000001",
                           "new_text":"Customer 312.555.0175 called"}])"},
       {"msdyn_ocliveworkitem",
        R"([{"msdyn_ocliveworkitemid":"e1000000-0000-4000-8000-000000000001",
                                    "msdyn_title":"Chat with 312.555.0175"}])"}});
  crmscan::d365emu::EmulatorOptions options;
  options.data_dir = folder.path;
  Emulator emulator(options);
  emulator.start();
  Waits waits;
  crmscan::dynamics365::Dynamics365Connector connector({{"url", emulator.url()},
                                                        {"authority", emulator.url()},
                                                        {"api_version", "9.2"},
                                                        {"page_size", "5000"},
                                                        {"max_api_calls", "0"}},
                                                       waits.options());
  const auto report =
      crmscan::run_scan(connector, sample.rules(), one_subject("REQ-US", "+1 312 555 0175"), {});
  INFO(errors_of(report));
  REQUIRE(report.complete());
  for (const auto& request : emulator.requests()) {
    CHECK_THAT(request.path,
               !Catch::Contains("new_callnotes") && !Catch::Contains("msdyn_ocliveworkitems"));
  }
  std::string notes;
  for (const auto& note : report.notes) notes += note + "\n";
  CHECK_THAT(notes, Catch::Contains("1 custom table(s)") && Catch::Contains("new_callnote") &&
                        Catch::Contains("1 platform or managed-solution table(s)"));
  // Only ruled columns are searched: no condition names a column the rules do not name.
  for (const auto& request : emulator.requests()) {
    CHECK_THAT(request.filter,
               !Catch::Contains("fullname,'312") && !Catch::Contains("contains(fullname,'0175"));
  }
}

TEST_CASE("Each request alone finds through the Web API what it finds in the export",
          "[connector][dynamics365][sample]") {
  const auto env = emulator_credentials();
  for (const auto& request : crmscan::load_subjects_file(kExpected + "/subjects.csv")) {
    DYNAMIC_SECTION(request.request_id) {
      const crmscan::SubjectSet subjects({request}, "GB");
      auto file_connector =
          crmscan::create_connector("file", {{"input", kSample}, {"crm", "dynamics365"}});
      const auto from_file = crmscan::run_scan(*file_connector, sample.rules(), subjects, {});
      Dataverse dataverse;
      Waits waits;
      auto connector = connect(dataverse, waits);
      const auto from_api = crmscan::run_scan(*connector, sample.rules(), subjects, {});
      INFO(errors_of(from_api));
      REQUIRE(from_api.complete());
      INFO(difference(from_api, from_file));
      CHECK(keys_of(from_api) == keys_of(from_file));
      CHECK_FALSE(from_file.findings.empty());
    }
  }
}

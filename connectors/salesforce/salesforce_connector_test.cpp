// The Salesforce connector against the emulated org: the same findings as a scan of the export
// it is loaded from, few API calls, and every failure either recovered or reported.
#define CATCH_CONFIG_MAIN
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "connector_test_kit.hpp"
#include "crmscan/csv_reader.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/http.hpp"
#include "crmscan/normalize.hpp"
#include "salesforce_connector.hpp"
#include "sf_emulator.hpp"

namespace fs = std::filesystem;
using crmscan::ConnectorConfig;
using crmscan::Report;

namespace {

using crmscan::testkit::difference;
using crmscan::testkit::errors_of;
using crmscan::testkit::FindingKey;
using crmscan::testkit::keys_of;
using crmscan::testkit::kSource;

const crmscan::testkit::Sample sample{"salesforce", "salesforce-export", "salesforce"};

/// Salesforce credentials in the environment for one test: every other SF_ variable taken away.
class Environment : public crmscan::testkit::Environment {
 public:
  Environment(std::initializer_list<std::pair<std::string, std::string>> values)
      : crmscan::testkit::Environment(
            {"SF_ACCESS_TOKEN", "SF_INSTANCE_URL", "SF_AUTH_FILE", "SF_CLIENT_ID",
             "SF_CLIENT_SECRET", "SF_REFRESH_TOKEN", "SF_USERNAME", "SF_PASSWORD",
             "SF_SECURITY_TOKEN", "SF_JWT_KEY"},
            values) {}
};

struct Org {
  crmscan::sfemu::Emulator emulator;
  explicit Org(crmscan::sfemu::EmulatorOptions options = sample_options())
      : emulator(std::move(options)) {
    emulator.start();
  }
  static crmscan::sfemu::EmulatorOptions sample_options() {
    crmscan::sfemu::EmulatorOptions options;
    options.data_dir = kSource + "/samples/salesforce-export";
    return options;
  }
};

std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> read_csv(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  crmscan::CsvReader reader(in);
  std::vector<std::string> header, row;
  reader.next(header);
  std::vector<std::vector<std::string>> rows;
  while (reader.next(row)) rows.push_back(row);
  return {header, rows};
}

// Adds `count` records of other customers, with other numbers, to an object of the sample org.
void grow(crmscan::sfemu::Emulator& emulator, const std::string& object, const std::string& prefix,
          std::size_t count) {
  auto [header, rows] = read_csv(kSource + "/samples/salesforce-export/" + object + ".csv");
  const auto column = [&header = header](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<std::string> row(header.size());
    char id[16];
    std::snprintf(id, sizeof id, "%s9z%010zu", prefix.c_str(), i);
    row[column("Id")] = crmscan::salesforce_id18(id);
    const auto number = "020 7946 " + std::to_string(1000 + i % 9000);
    if (object == "Task") {
      row[column("Subject")] = "Inbound call from " + number;
      row[column("TaskSubtype")] = "Call";
      row[column("Description")] = "Order " + std::to_string(500000 + i) + " delivered";
    } else {
      row[column("LastName")] = "Customer" + std::to_string(i);
      row[column("Email")] = "customer" + std::to_string(i) + "@example.org";
      row[column("Phone")] = number;
    }
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (header[c].rfind("Is", 0) == 0 && row[c].empty()) row[c] = "false";
    }
    rows.push_back(std::move(row));
  }
  emulator.add_object(object, header, rows);
}

crmscan::HttpOptions no_waiting() {
  auto options = crmscan::testkit::no_waiting();
  options.total_timeout = std::chrono::milliseconds(5000);
  return options;
}

std::unique_ptr<crmscan::salesforce::SalesforceConnector> connect(const Org& org,
                                                                  ConnectorConfig extra = {}) {
  ConnectorConfig config{{"login_url", org.emulator.instance_url()},
                         {"auth", "client-credentials"},
                         {"api_version", "60.0"},
                         {"max_api_calls", "0"},
                         {"api_reserve", "0"},
                         {"batch_size", "200"},
                         {"bulk_threshold", "10000"}};
  for (const auto& [key, value] : extra) config[key] = value;
  return std::make_unique<crmscan::salesforce::SalesforceConnector>(config, no_waiting());
}

Report scan(crmscan::Connector& connector, bool full_read = false) {
  crmscan::ScanOptions options;
  options.full_read = full_read;
  return crmscan::run_scan(connector, sample.rules(), sample.subjects(), options);
}

const Environment client_credentials() {
  return {{"SF_CLIENT_ID", "crmscan-emulator-client"},
          {"SF_CLIENT_SECRET", "crmscan-emulator-secret"}};
}

}  // namespace

TEST_CASE("A subject scan through the API finds what a scan of the export finds, with few calls",
          "[connector][salesforce]") {
  const auto env = client_credentials();
  Org org;
  auto connector = connect(org);
  const auto report = scan(*connector);
  sample.require_same_as_file(report);
  // Every request is counted, the sign-in included, and the count is what the org saw.
  CHECK(report.api_calls == org.emulator.request_count("/services/"));
  CHECK(report.api_calls < 300);
  // Archived and deleted call Tasks are there: the connector asks with queryAll.
  const auto findings = keys_of(report);
  CHECK(findings.count({"REQ-1001", "Task", "00T5g00008ATVXcEAP", "", "delete_record"}) == 1);
  CHECK(findings.count({"REQ-1001", "Task", "00T5g00008AdxnlEAB", "", "delete_record"}) == 1);
}

TEST_CASE(
    "Each request alone, live through search that matches whole tokens, finds what the "
    "file scan finds",
    "[connector][salesforce][sosl]") {
  const auto env = client_credentials();
  Org org;
  for (const auto& request :
       crmscan::load_subjects_file(kSource + "/samples/salesforce-expected/subjects.csv")) {
    const crmscan::SubjectSet one({request}, "GB");
    auto files =
        crmscan::create_connector("file", {{"input", kSource + "/samples/salesforce-export"}});
    const auto expected = crmscan::run_scan(*files, sample.rules(), one, {});
    auto connector = connect(org);
    const auto report = crmscan::run_scan(*connector, sample.rules(), one, {});
    INFO(request.request_id << "\n" << errors_of(report));
    REQUIRE(report.complete());
    INFO(difference(report, expected));
    CHECK(keys_of(report) == keys_of(expected));
  }
}

TEST_CASE("A caller known only by the number in call Tasks' Subjects is found live",
          "[connector][salesforce][sosl]") {
  const auto env = client_credentials();
  Org org;
  auto [header, rows] = read_csv(kSource + "/samples/salesforce-export/Task.csv");
  const auto column = [&header = header](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const auto add = [&, &rows = rows](const std::string& id, const std::string& subject,
                                     bool archived) {
    std::vector<std::string> row(header.size());
    row[column("Id")] = id;
    row[column("Subject")] = subject;
    row[column("TaskSubtype")] = "Call";
    row[column("IsArchived")] = archived ? "true" : "false";
    row[column("IsDeleted")] = "false";
    rows.push_back(std::move(row));
  };
  add(crmscan::salesforce_id18("00T5g00009PHN01"), "Inbound call from +447400123987", false);
  add(crmscan::salesforce_id18("00T5g00009PHN02"), "Outbound call to 07400 123987", false);
  add(crmscan::salesforce_id18("00T5g00009PHN03"), "Missed call 07400 123987",
      true);  // archived: not in search
  add(crmscan::salesforce_id18("00T5g00009PHN04"), "Inbound call from +447400123988",
      false);  // one digit off
  org.emulator.add_object("Task", header, rows);
  const crmscan::SubjectSet caller({{"REQ-9", {}, {"+44 7400 123987"}, {}, {}, "test"}}, "GB");
  auto connector = connect(org);
  const auto report = crmscan::run_scan(*connector, sample.rules(), caller, {});
  INFO(errors_of(report));
  REQUIRE(report.complete());
  const auto found = keys_of(report);
  for (const auto& id :
       {crmscan::salesforce_id18("00T5g00009PHN01"), crmscan::salesforce_id18("00T5g00009PHN02"),
        crmscan::salesforce_id18("00T5g00009PHN03")})
    CHECK(found.count({"REQ-9", "Task", id, "", "delete_record"}) == 1);
  for (const auto& key : found)
    CHECK(std::get<2>(key) != crmscan::salesforce_id18("00T5g00009PHN04"));
}

TEST_CASE("A search that reaches the results cap is searched again, and never silently cut",
          "[connector][salesforce][sosl]") {
  const auto env = client_credentials();
  auto options = Org::sample_options();
  options.search.max_results = 4;
  Org org(options);
  auto [header, rows] = read_csv(kSource + "/samples/salesforce-export/Task.csv");
  const auto column = [&header = header](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (int i = 0; i < 6; ++i) {
    std::vector<std::string> row(header.size());
    row[column("Id")] = crmscan::salesforce_id18("00T5g00009CAP0" + std::to_string(i));
    row[column("Subject")] = "Inbound call from 020 7946 0958";
    row[column("TaskSubtype")] = "Call";
    row[column("IsArchived")] = "false";
    row[column("IsDeleted")] = "false";
    rows.push_back(std::move(row));
  }
  org.emulator.add_object("Task", header, rows);
  auto connector = connect(org, {{"search_limit", "4"}});
  const auto report = scan(*connector);
  // Ten Tasks hold the number: one search cannot return them all, so the scan says so...
  CHECK_FALSE(report.complete());
  CHECK(errors_of(report).find("records of Task, the most one search returns") !=
        std::string::npos);
  // ...and still finds them, through queryAll on the Subject the rules name.
  const auto found = keys_of(report);
  for (int i = 0; i < 6; ++i) {
    CHECK(found.count({"REQ-1001", "Task",
                       crmscan::salesforce_id18("00T5g00009CAP0" + std::to_string(i)), "",
                       "delete_record"}) == 1);
  }
  // Everything the file scan finds of the sample is there too.
  for (const auto& key : keys_of(sample.file_report())) CHECK(found.count(key) == 1);
}

TEST_CASE("A select list too long for one URL is read in parts, each record whole",
          "[connector][salesforce]") {
  const auto env = client_credentials();
  Org org;
  std::vector<std::string> fields{"Id"};
  std::vector<std::string> row{crmscan::salesforce_id18("a0W5g0000000001")};
  for (int i = 0; i < 700; ++i) {
    fields.push_back("Rather_Long_Custom_Field_Name_" + std::to_string(i) + "__c");
    row.push_back("value " + std::to_string(i));
  }
  org.emulator.add_object("Wide__c", fields, {row});
  auto connector = connect(org);
  std::vector<crmscan::Record> records;
  connector->fetch(
      "Wide__c", "Id", {crmscan::salesforce_id18("a0W5g0000000001")},
      [&](const crmscan::Record& record) { records.push_back(record); },
      [](const std::string&, const std::string& message) { FAIL(message); });
  REQUIRE(records.size() == 1);
  CHECK(crmscan::value_text(records[0].get("Rather_Long_Custom_Field_Name_0__c")) == "value 0");
  CHECK(crmscan::value_text(records[0].get("Rather_Long_Custom_Field_Name_699__c")) == "value 699");
  CHECK(org.emulator.request_count("/services/data/v60.0/queryAll") > 1);
}

TEST_CASE("A number is searched in the token forms it takes in text", "[connector][salesforce]") {
  using Forms = std::vector<std::vector<std::string>>;
  const auto forms = crmscan::salesforce::SalesforceConnector::phone_token_forms("+442079460958");
  // E.164 digits, national digits with the trunk prefix, the national significant number, the
  // national grouping, and the international one without its country code (a run of the one with
  // it, which therefore adds nothing).
  CHECK(forms == Forms{{"442079460958"},
                       {"02079460958"},
                       {"2079460958"},
                       {"020", "7946", "0958"},
                       {"20", "7946", "0958"}});
  const auto american = crmscan::salesforce::SalesforceConnector::phone_token_forms("+14155550132");
  CHECK(american == Forms{{"14155550132"}, {"4155550132"}, {"415", "555", "0132"}});
}

TEST_CASE("A full read through the API, Bulk API 2.0 for large objects, finds the same",
          "[connector][salesforce]") {
  const auto env = client_credentials();
  Org org;
  auto connector = connect(org, {{"bulk_threshold", "3"}});
  const auto report = scan(*connector, true);
  sample.require_same_as_file(report);
  CHECK(org.emulator.request_count("/jobs/query") > 0);
}

TEST_CASE("Expired sessions are renewed, 503 bursts and broken bodies retried",
          "[connector][salesforce]") {
  const auto env = client_credentials();
  Org org;
  crmscan::sfemu::Faults faults;
  SECTION("a session that expires every few calls") {
    faults.session_expires_after = 7;
  }
  SECTION("two 503s with Retry-After, then success") {
    faults.unavailable.at = 4;
    faults.unavailable.count = 2;
    faults.retry_after_seconds = 1;
  }
  SECTION("a truncated body") {
    faults.truncated_at = 5;
  }
  org.emulator.set_faults(faults);
  auto connector = connect(org);
  const auto report = scan(*connector);
  INFO(errors_of(report));
  CHECK(report.complete());
  INFO(difference(report, sample.file_report()));
  CHECK(keys_of(report) == keys_of(sample.file_report()));
}

TEST_CASE("Failures that persist leave a report marked incomplete", "[connector][salesforce]") {
  const auto env = client_credentials();
  Org org;
  crmscan::sfemu::Faults faults;
  std::string expected;
  auto extra = ConnectorConfig{};
  SECTION("the org's request limit") {
    faults.api_limit = 12;
    expected = "REQUEST_LIMIT_EXCEEDED";
  }
  SECTION("the reserve of API calls kept for the org's other integrations") {
    faults.api_limit = 15000;
    org.emulator.set_api_usage(15000 - 20);
    extra = {{"api_reserve", "10"}};
    expected = "reserve";
  }
  SECTION("the user's cap on API calls") {
    extra = {{"max_api_calls", "6"}};
    expected = "--max-api-calls";
  }
  SECTION("a 503 that does not stop") {
    faults.unavailable.at = 3;
    faults.unavailable.count = 1000;
    expected = "HTTP 503";
  }
  bool names_object = false;
  SECTION("malformed JSON") {
    faults.malformed_json_at = 12;
    expected = "not valid JSON";
    names_object = true;
  }
  SECTION("a page that is not JSON") {
    faults.wrong_content_type_at = 12;
    expected = "not JSON";
    names_object = true;
  }
  org.emulator.set_faults(faults);
  auto connector = connect(org, extra);
  const auto report = scan(*connector);
  CHECK_FALSE(report.complete());
  CHECK_THAT(errors_of(report), Catch::Contains(expected));
  if (names_object) {
    const bool named = std::any_of(report.errors.begin(), report.errors.end(),
                                   [](const crmscan::ReportError& e) { return !e.object.empty(); });
    CHECK(named);
  }
}

TEST_CASE("Archived and deleted rows come only through queryAll, which is all the connector uses",
          "[connector][salesforce]") {
  const auto env = client_credentials();
  Org org;
  auto connector = connect(org);
  const auto report = scan(*connector);
  REQUIRE(report.complete());
  for (const auto& request : org.emulator.requests()) {
    INFO(request.path);
    const auto name = request.path.substr(request.path.rfind('/') + 1);
    CHECK(name != "query");  // `query` hides archived and deleted rows
  }
  const auto findings = keys_of(report);
  CHECK(findings.count({"REQ-1001", "Task", "00T5g00008ATVXcEAP", "", "delete_record"}) ==
        1);  // archived
  CHECK(findings.count({"REQ-1001", "Task", "00T5g00008AdxnlEAB", "", "delete_record"}) ==
        1);  // deleted
}

TEST_CASE("A subject scan spends the same API calls when 100,000 unrelated records are added",
          "[connector][salesforce]") {
  const auto env = client_credentials();
  Org small;
  auto small_connector = connect(small);
  const auto baseline = scan(*small_connector);
  REQUIRE(baseline.complete());

  Org large;
  grow(large.emulator, "Task", "00T", 60'000);
  grow(large.emulator, "Contact", "003", 40'000);
  auto large_connector = connect(large);
  const auto report = scan(*large_connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());
  CHECK(keys_of(report) == keys_of(baseline));
  // The same requests: reading the 100,000 records would take hundreds more. A request retried
  // on a slow machine (seen under AddressSanitizer with the suite in parallel: 4 of 175) counts
  // as a call too, so a few are allowed.
  CHECK(report.api_calls >= baseline.api_calls);
  CHECK(report.api_calls <= baseline.api_calls + 10);
}

TEST_CASE("A session that expires in the middle of paging is renewed and the read completes",
          "[connector][salesforce]") {
  const auto env = client_credentials();
  Org org;
  grow(org.emulator, "Task", "00T", 1'000);  // five pages of 200
  crmscan::sfemu::Faults faults;
  faults.session_expires_after = 2;
  org.emulator.set_faults(faults);
  auto connector = connect(org);
  const auto report = scan(*connector, true);
  INFO(errors_of(report));
  CHECK(report.complete());
  CHECK(keys_of(report) == keys_of(sample.file_report()));
  const auto tasks =
      std::find_if(report.coverage.begin(), report.coverage.end(),
                   [](const crmscan::ObjectCoverage& c) { return c.object == "Task"; });
  REQUIRE(tasks != report.coverage.end());
  CHECK(tasks->records > 1'000);
}

TEST_CASE("Sign-in flows take their secrets from the environment", "[connector][salesforce]") {
  Org org;
  const auto tmp = fs::temp_directory_path() / ("crmscan-sf-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  SECTION("a token at hand, which cannot be renewed when it expires") {
    const Environment env{{"SF_ACCESS_TOKEN", org.emulator.issue_token()},
                          {"SF_INSTANCE_URL", org.emulator.instance_url()}};
    auto connector = connect(org, {{"auth", "auto"}});
    crmscan::sfemu::Faults faults;
    faults.session_expires_after = 4;
    org.emulator.set_faults(faults);
    const auto report = scan(*connector);
    CHECK_FALSE(report.complete());
    CHECK_THAT(errors_of(report), Catch::Contains("cannot be renewed"));
  }
  SECTION("the JSON of 'sf org display --json'") {
    const auto path = tmp / "org.json";
    std::ofstream(path) << R"({"status":0,"result":{"accessToken":")" << org.emulator.issue_token()
                        << R"(","instanceUrl":")" << org.emulator.instance_url() << R"("}})";
    const Environment env{{"SF_AUTH_FILE", path.string()}};
    auto connector = connect(org, {{"auth", "auto"}});
    const auto report = scan(*connector);
    INFO(errors_of(report));
    CHECK(report.complete());
  }
  SECTION("username and password, the password from a file") {
    const auto path = tmp / "password";
    std::ofstream(path) << "emulator-password\n";
    const Environment env{{"SF_CLIENT_ID", "crmscan-emulator-client"},
                          {"SF_CLIENT_SECRET", "crmscan-emulator-secret"},
                          {"SF_USERNAME", "scanner@example.com"},
                          {"SF_PASSWORD_FILE", path.string()}};
    auto connector = connect(org, {{"auth", "password"}});
    const auto report = scan(*connector);
    INFO(errors_of(report));
    CHECK(report.complete());
  }
  SECTION("a refresh token") {
    const Environment env{{"SF_CLIENT_ID", "crmscan-emulator-client"},
                          {"SF_REFRESH_TOKEN", "crmscan-emulator-refresh-token"}};
    auto connector = connect(org, {{"auth", "auto"}});
    const auto report = scan(*connector);
    INFO(errors_of(report));
    CHECK(report.complete());
  }
  SECTION("wrong credentials") {
    const Environment env{{"SF_CLIENT_ID", "crmscan-emulator-client"},
                          {"SF_CLIENT_SECRET", "wrong"}};
    auto connector = connect(org);
    const auto report = scan(*connector);
    CHECK_FALSE(report.complete());
    CHECK_THAT(errors_of(report), Catch::Contains("refused to sign in"));
    CHECK_THAT(errors_of(report), !Catch::Contains("wrong"));
  }
  SECTION("no credentials at all") {
    const Environment env{};
    CHECK_THROWS_AS(connect(org, {{"auth", "auto"}}), crmscan::ConfigError);
  }
  fs::remove_all(tmp);
}

TEST_CASE("The JWT bearer flow signs its assertion with RS256", "[connector][salesforce]") {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
      EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  REQUIRE(EVP_PKEY_keygen_init(context.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_keygen_bits(context.get(), 2048) == 1);
  REQUIRE(EVP_PKEY_keygen(context.get(), &raw) == 1);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, &EVP_PKEY_free);
  const auto pem = [&](bool private_key) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (private_key) {
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio.get(), key.get());
    }
    char* data = nullptr;
    const auto length = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  };
  auto options = Org::sample_options();
  options.jwt_public_key_pem = pem(false);
  Org org(options);
  const Environment env{{"SF_CLIENT_ID", "crmscan-emulator-client"},
                        {"SF_USERNAME", "scanner@example.com"},
                        {"SF_JWT_KEY", pem(true)}};
  auto connector = connect(org, {{"auth", "auto"}});
  const auto report = scan(*connector);
  INFO(errors_of(report));
  CHECK(report.complete());
  // Its audience is Salesforce's login host, not the org's own URL, which Salesforce refuses.
  const auto refused =
      scan(*connect(org, {{"auth", "auto"}, {"jwt_audience", org.emulator.instance_url()}}));
  CHECK_FALSE(refused.complete());
  CHECK(refused.findings.empty());
  using crmscan::salesforce::Authenticator;
  CHECK(Authenticator::jwt_audience_for("https://acme.my.salesforce.com") ==
        "https://login.salesforce.com");
  CHECK(Authenticator::jwt_audience_for("https://test.salesforce.com/") ==
        "https://test.salesforce.com");
  CHECK(Authenticator::jwt_audience_for("https://acme--uat.sandbox.my.salesforce.com") ==
        "https://test.salesforce.com");
}

TEST_CASE("Plain http is refused except to this machine", "[connector][salesforce][security]") {
  CHECK_THROWS_AS(crmscan::HttpClient::check_url("http://login.salesforce.com"),
                  crmscan::ConfigError);
  CHECK_THROWS_AS(crmscan::HttpClient::check_url("ftp://127.0.0.1/"), crmscan::ConfigError);
  CHECK_NOTHROW(crmscan::HttpClient::check_url("http://127.0.0.1:8080/services"));
  CHECK_NOTHROW(crmscan::HttpClient::check_url("https://example.my.salesforce.com"));
  const auto env = client_credentials();
  CHECK_THROWS_AS(
      crmscan::salesforce::SalesforceConnector({{"login_url", "http://login.example.com"},
                                                {"auth", "client-credentials"},
                                                {"api_version", "60.0"},
                                                {"max_api_calls", "0"},
                                                {"api_reserve", "0"},
                                                {"batch_size", "200"},
                                                {"bulk_threshold", "10000"}}),
      crmscan::ConfigError);
}

TEST_CASE("crmscan scan --connector salesforce exits 0 on a complete scan and 2 on a limit",
          "[connector][salesforce][cli]") {
  Org org;
  const auto out = fs::temp_directory_path() / ("crmscan-sf-cli-" + std::to_string(::getpid()));
  const auto run = [&](const std::string& extra) {
    const auto command =
        "SF_CLIENT_ID=crmscan-emulator-client SF_CLIENT_SECRET=crmscan-emulator-secret '" +
        std::string(CRMSCAN_BINARY) +
        "' scan --connector salesforce --option login_url=" + org.emulator.instance_url() +
        " --option api_reserve=0 --subjects '" + kSource +
        "/samples/salesforce-expected/subjects.csv' --default-region GB --format json --out '" +
        out.string() + "' " + extra + " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  CHECK(run("") == 0);
  std::ifstream json(out / "findings.json");
  const std::string content((std::istreambuf_iterator<char>(json)),
                            std::istreambuf_iterator<char>());
  CHECK_THAT(content,
             Catch::Contains("\"complete\": true") && Catch::Contains("00T5g00008AloBgEAJ"));
  CHECK_THAT(content, !Catch::Contains("crmscan-emulator-secret"));
  CHECK(run("--max-api-calls 5") == 2);
  crmscan::sfemu::Faults faults;
  faults.api_limit = 10;  // REQUEST_LIMIT_EXCEEDED from the eleventh call on
  org.emulator.set_faults(faults);
  CHECK(run("") == 2);
  std::ifstream incomplete(out / "findings.json");
  const std::string report((std::istreambuf_iterator<char>(incomplete)),
                           std::istreambuf_iterator<char>());
  CHECK_THAT(report,
             Catch::Contains("\"complete\": false") && Catch::Contains("REQUEST_LIMIT_EXCEEDED"));
  fs::remove_all(out);
}

TEST_CASE("Children the describe lists, standard and custom, are followed live as in the export",
          "[connector][salesforce][children]") {
  const auto env = client_credentials();
  // The sample export with children of REQ-1001's Contact that no rule names: a work order, a
  // field-history row holding the number it had, and a sharing row.
  const auto folder =
      fs::temp_directory_path() / ("crmscan-sf-children-" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::copy(kSource + "/samples/salesforce-export", folder);
  struct Remove {
    fs::path path;
    ~Remove() { fs::remove_all(path); }
  } remove{folder};
  const auto contact = std::string("0035g00000QxB7kAAF");
  std::ofstream(folder / "WorkOrder.csv")
      << "Id,ContactId,Subject,IsDeleted\n"
      << crmscan::salesforce_id18("0WO5g00000WO001") << "," << contact
      << ",Replace the router,false\n"
      << crmscan::salesforce_id18("0WO5g00000WO002") << ",,Unrelated job,false\n";
  std::ofstream(folder / "ContactHistory.csv")
      << "Id,ContactId,Field,OldValue,NewValue,IsDeleted\n"
      << crmscan::salesforce_id18("0175g00000CH001") << "," << contact
      << ",Title,Customer,Former customer,false\n";
  std::ofstream(folder / "ContactShare.csv")
      << "Id,ContactId,UserOrGroupId,RowCause,IsDeleted\n"
      << crmscan::salesforce_id18("03s5g00000CS001") << "," << contact << ","
      << crmscan::salesforce_id18("0055g00000AGENT") << ",Manual,false\n";

  auto files = crmscan::create_connector("file", {{"input", folder.string()}});
  const auto expected = crmscan::run_scan(*files, sample.rules(), sample.subjects(), {});
  crmscan::sfemu::EmulatorOptions options;
  options.data_dir = folder;
  Org org(options);
  auto connector = connect(org);
  const auto report = scan(*connector);
  INFO(errors_of(report));
  REQUIRE(report.complete());

  const auto live = keys_of(report);
  const auto work_order = crmscan::salesforce_id18("0WO5g00000WO001");
  const auto history = crmscan::salesforce_id18("0175g00000CH001");
  // The export's scan reports them for review; so does the live scan.
  for (const auto& id : {work_order, history}) {
    INFO(id);
    CHECK(std::any_of(live.begin(), live.end(), [&](const FindingKey& k) {
      return std::get<0>(k) == "REQ-1001" && std::get<2>(k) == id && std::get<4>(k) == "review";
    }));
  }
  // Everything else is the same, but the sharing row, which live is named in the notes instead.
  auto without_shares = keys_of(expected);
  std::erase_if(without_shares,
                [](const FindingKey& k) { return std::get<1>(k) == "ContactShare"; });
  CHECK(without_shares.size() < keys_of(expected).size());
  INFO(difference(report, expected));
  CHECK(live == without_shares);
  std::string notes;
  for (const auto& note : report.notes) notes += note + "\n";
  CHECK_THAT(notes, Catch::Contains("ContactShare"));

  SECTION("past max_children, what is not followed is named") {
    Org capped(options);
    auto limited = connect(capped, {{"max_children", "1"}});
    const auto less = scan(*limited);
    std::string capped_notes;
    for (const auto& note : less.notes) capped_notes += note + "\n";
    CHECK_THAT(capped_notes, Catch::Contains("max_children=1"));
  }
}

// End to end: the built crmscan program on the sample exports, on broken exports, and its
// commands, help and exit codes.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "crmscan/normalize.hpp"
#include "crmscan/version.hpp"
#include "support.hpp"

using namespace crmscan::test;
namespace fs = std::filesystem;

namespace {

using Row = std::map<std::string, std::string>;

// The rows of a CSV file as maps from column name to value.
std::vector<Row> read_table(const std::string& path) {
  const auto rows = read_csv_file(path);
  REQUIRE_FALSE(rows.empty());
  std::vector<Row> table;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    INFO(path << " row " << i + 1);
    REQUIRE(rows[i].size() == rows[0].size());
    Row row;
    for (std::size_t c = 0; c < rows[0].size(); ++c) row[rows[0][c]] = rows[i][c];
    table.push_back(std::move(row));
  }
  return table;
}

std::string key(const std::string& id) {
  return crmscan::record_id_key(id);
}

// Scans a sample export into `out` and checks the findings against the expected ones and the
// decoys beside it.
void check_sample_scan(const std::vector<std::string>& args, const std::string& expected_dir,
                       const TempDir& scratch) {
  const auto out = scratch / "out";
  auto command = args;
  command.insert(command.end(), {"--format", "csv,json", "--out", out});
  const auto result = run_crmscan(command, scratch);
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE(fs::exists(out + "/findings.csv"));
  REQUIRE(fs::exists(out + "/findings.json"));
  CHECK(crmscan::test::permissions_of(out + "/findings.csv") == 0600U);
  CHECK(crmscan::test::permissions_of(out + "/findings.json") == 0600U);

  const auto findings = read_table(out + "/findings.csv");
  // (request, object, record key, field) -> action
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::string> found;
  for (const auto& f : findings) {
    found[{f.at("request_id"), f.at("object"), key(f.at("record_id")), f.at("field")}] =
        f.at("action");
  }

  const auto expected = read_table(source_path(expected_dir + "/expected-findings.csv"));
  REQUIRE_FALSE(expected.empty());
  std::set<std::tuple<std::string, std::string, std::string, std::string>> expected_keys;
  for (const auto& e : expected) {
    const std::tuple<std::string, std::string, std::string, std::string> where{
        e.at("request_id"), e.at("object"), key(e.at("record_id")), e.at("field")};
    expected_keys.insert(where);
    INFO("expected: " << e.at("request_id") << " " << e.at("object") << " " << e.at("record_id")
                      << " field '" << e.at("field") << "' " << e.at("action") << " ("
                      << e.at("note") << ")");
    const auto hit = found.find(where);
    CHECK(hit != found.end());
    if (hit != found.end()) CHECK(hit->second == e.at("action"));
  }

  // A decoy is never deleted, and no field of it is erased beyond what is expected; one whose
  // `allowed` is `none` (a stranger's look-alike, the company's own staff, what hangs off a shared
  // identifier) gets no finding at all.
  for (const auto& decoy : read_table(source_path(expected_dir + "/decoys.csv"))) {
    const auto allowed = decoy.find("allowed");
    const bool none = allowed != decoy.end() && allowed->second == "none";
    for (const auto& f : findings) {
      if (f.at("object") != decoy.at("object") ||
          key(f.at("record_id")) != key(decoy.at("record_id")))
        continue;
      INFO("decoy " << decoy.at("object") << " " << decoy.at("record_id") << " ("
                    << decoy.at("note") << ") got " << f.at("request_id") << " field '"
                    << f.at("field") << "' " << f.at("action") << " rule " << f.at("rule"));
      CHECK_FALSE(none);
      if (f.at("field").empty()) CHECK(f.at("action") != "delete_record");
      if (f.at("action") == "erase_field") {
        CHECK(expected_keys.count({f.at("request_id"), f.at("object"), key(f.at("record_id")),
                                   f.at("field")}) == 1);
      }
    }
  }

  const auto json = parse_json(read_file(out + "/findings.json"));
  CHECK(json["complete"].GetBool());
  CHECK(json["findings"].Size() == findings.size());
}

// A copy of the small export in the scratch folder, with a row of the wrong length in
// Contact.csv (line 3) and a quote that never closes on the last row of Task.csv (line 6).
std::string broken_export(const TempDir& scratch) {
  const auto input = scratch / "export";
  fs::copy(source_path("tests/fixtures/small-export"), input, fs::copy_options::recursive);
  auto contact = read_file(input + "/Contact.csv");
  const auto second_row = contact.find("\r\n", contact.find("\r\n") + 2) + 2;
  contact.insert(second_row, "\"0035g00005KzAZvAAN\",\"Too\",\"Short\"\r\n");
  write_file(input + "/Contact.csv", contact);
  write_file(input + "/Task.csv",
             read_file(input + "/Task.csv") +
                 "\"00T5g00008Al3jMEAR\",\"0035g00000QxB7kAAF\",\"Outbound call,Call,\r\n");
  return input;
}

}  // namespace

TEST_CASE("Scanning the Salesforce sample finds what is expected and spares the decoys",
          "[cli][connector][file]") {
  const TempDir scratch;
  check_sample_scan(
      {"scan", "--input", source_path("samples/salesforce-export"), "--subjects",
       source_path("samples/salesforce-expected/subjects.csv"), "--default-region", "GB"},
      "samples/salesforce-expected", scratch);
}

TEST_CASE("Scanning the CRM Lite sample finds what is expected and spares the decoys",
          "[cli][connector][file]") {
  const TempDir scratch;
  check_sample_scan(
      {"scan", "--input", source_path("samples/crm-lite"), "--crm", "crm-lite", "--subjects",
       source_path("samples/crm-lite-expected/subjects.yaml"), "--default-region", "GB"},
      "samples/crm-lite-expected", scratch);
}

TEST_CASE("Scanning the Dynamics 365 sample finds what is expected and spares the decoys",
          "[cli][connector][file]") {
  const TempDir scratch;
  check_sample_scan(
      {"scan", "--input", source_path("samples/dynamics365"), "--crm", "dynamics365", "--subjects",
       source_path("samples/dynamics365-expected/subjects.csv"), "--default-region", "GB"},
      "samples/dynamics365-expected", scratch);
}

TEST_CASE("Scanning the HubSpot sample finds what is expected and spares the decoys",
          "[cli][connector][file]") {
  const TempDir scratch;
  check_sample_scan(
      {"scan", "--input", source_path("samples/hubspot"), "--crm", "hubspot", "--subjects",
       source_path("samples/hubspot-expected/subjects.csv"), "--default-region", "GB"},
      "samples/hubspot-expected", scratch);
}

TEST_CASE(
    "A malformed export is reported incomplete, naming file and line, and the rest is scanned",
    "[cli][connector][file]") {
  const TempDir scratch;
  const auto input = broken_export(scratch);
  write_file(scratch / "subjects.csv",
             "request_id,email\nREQ-1,amelie.dubois@example.fr\nREQ-2,tomas.garcia@example.com\n");
  const auto out = scratch / "out";
  const auto result = run_crmscan(
      {"scan", "--input", input, "--subjects", scratch / "subjects.csv", "--rules",
       source_path("tests/fixtures/engine-rules.yaml"), "--format", "json,csv", "--out", out},
      scratch);
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.out, Catch::Contains("INCOMPLETE"));

  const auto json = parse_json(read_file(out + "/findings.json"));
  CHECK_FALSE(json["complete"].GetBool());
  std::vector<std::string> errors;
  for (const auto& error : json["errors"].GetArray())
    errors.emplace_back(error["message"].GetString());
  const auto has_error = [&](const std::string& where) {
    return std::any_of(errors.begin(), errors.end(), [&](const std::string& message) {
      return message.find(where) != std::string::npos;
    });
  };
  CHECK(has_error("Contact.csv:3"));
  CHECK(has_error("Task.csv:6"));

  // Rows after the bad Contact row and before the unclosed quote are still read.
  std::set<std::tuple<std::string, std::string, std::string, std::string>> found;
  for (const auto& f : json["findings"].GetArray()) {
    found.insert({f["request_id"].GetString(), f["object"].GetString(), f["record_id"].GetString(),
                  f["action"].GetString()});
  }
  CHECK(found.count({"REQ-1", "Contact", "0035g00000QxB7kAAF", "delete_record"}) == 1);
  CHECK(found.count({"REQ-1", "Task", "00T5g00008AhdkLEAR", "delete_record"}) == 1);
  CHECK(found.count({"REQ-2", "Contact", "0035g00005L0l38AAB", "delete_record"}) == 1);
  CHECK(found.count({"REQ-2", "Task", "00T5g00008B0KgvEAF", "delete_record"}) == 1);
}

TEST_CASE("A missing input path exits 66", "[cli]") {
  const TempDir scratch;
  const auto result = run_crmscan(
      {"scan", "--input", scratch / "no-such-export", "--email", "amelie.dubois@example.fr"},
      scratch);
  CHECK(result.exit_code == 66);
  CHECK_THAT(result.err, Catch::Contains("no-such-export"));
}

TEST_CASE("The budget for waiting (max-wait) is refused by a connector that never waits", "[cli]") {
  const TempDir scratch;
  const auto result = run_crmscan({"scan", "--input", source_path("samples/salesforce-export"),
                                   "--email", "amelie.dubois@example.fr", "--max-wait", "30"},
                                  scratch);
  CHECK(result.exit_code == 64);
  CHECK_THAT(result.err, Catch::Contains("--max-wait") && Catch::Contains("file connector"));
  CHECK(result.out.empty());
}

TEST_CASE("A scan with no subject exits 64", "[cli]") {
  const TempDir scratch;
  const auto result =
      run_crmscan({"scan", "--input", source_path("samples/salesforce-export")}, scratch);
  CHECK(result.exit_code == 64);
  CHECK_THAT(result.err, Catch::Contains("--email"));
  CHECK(result.out.empty());
}

TEST_CASE("A rule file with an unknown key exits 78 naming file:line:column", "[cli][rules]") {
  const TempDir scratch;
  const auto pack = scratch / "bad-pack.yaml";
  write_file(pack,
             "pack: bad-pack\n"
             "crm: salesforce\n"
             "version: 1.0.0\n"
             "objects:\n"
             "  Contact:\n"
             "    identity:\n"
             "      - id: contact-email\n"
             "        kind: email\n"
             "        feilds: [Email]\n");
  const auto result = run_crmscan({"scan", "--input", source_path("tests/fixtures/small-export"),
                                   "--email", "amelie.dubois@example.fr", "--rules", pack},
                                  scratch);
  CHECK(result.exit_code == 78);
  CHECK_THAT(result.err, Catch::Contains(pack + ":9:9") && Catch::Contains("feilds"));
  CHECK(result.out.empty());

  const auto validate = run_crmscan({"rules", "validate", pack}, scratch);
  CHECK(validate.exit_code == 78);
  CHECK_THAT(validate.err, Catch::Contains(pack + ":9:9"));
}

TEST_CASE("The shipped rule packs validate", "[cli][rules]") {
  const TempDir scratch;
  const auto result = run_crmscan({"rules", "validate", source_path("rules")}, scratch);
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("ok  salesforce-standard") &&
                             Catch::Contains("ok  salesforce-vonage-contact-center"));
}

TEST_CASE("The shipped rule packs pass their own tests", "[cli][rules]") {
  const TempDir scratch;
  const auto result = run_crmscan({"rules", "test", source_path("rules")}, scratch);
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains(" 0 failed"));
}

TEST_CASE("The version option prints the version", "[cli]") {
  const TempDir scratch;
  const auto result = run_crmscan({"--version"}, scratch);
  CHECK(result.exit_code == 0);
  CHECK(result.out == std::string("crmscan ") + crmscan::kVersion + "\n");
}

TEST_CASE("Help for each command exits 0 and describes its options", "[cli]") {
  const TempDir scratch;
  SECTION("scan --help") {
    const auto result = run_crmscan({"scan", "--help"}, scratch);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("--subjects") && Catch::Contains("--fail-on-findings") &&
                               Catch::Contains("exit codes"));
  }
  SECTION("rules --help") {
    const auto result = run_crmscan({"rules", "--help"}, scratch);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("validate") && Catch::Contains("test"));
  }
  SECTION("--help") {
    const auto result = run_crmscan({"--help"}, scratch);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("connectors"));
  }
}

TEST_CASE("crmscan connectors lists the file connector and its options", "[cli][connector]") {
  const TempDir scratch;
  const auto result = run_crmscan({"connectors"}, scratch);
  CHECK(result.exit_code == 0);
  // Connectors come in the order of their list, which others extend.
  CHECK_THAT(result.out, (Catch::StartsWith("file: ") || Catch::Contains("\nfile: ")) &&
                             Catch::Contains("input (path, required)") &&
                             Catch::Contains("encoding") && Catch::Contains("--option KEY=VALUE"));
  CHECK_THAT(result.out, Catch::Contains("\nsalesforce: ") && Catch::Contains("login_url"));
}

TEST_CASE("The fail-on-findings option exits 1 when a complete scan finds something", "[cli]") {
  const TempDir scratch;
  const std::vector<std::string> base{
      "scan", "--input",           source_path("samples/salesforce-export"), "--default-region",
      "GB",   "--fail-on-findings"};
  SECTION("the sample requests") {
    auto args = base;
    args.insert(args.end(),
                {"--subjects", source_path("samples/salesforce-expected/subjects.csv")});
    const auto result = run_crmscan(args, scratch);
    CHECK(result.exit_code == 1);
    const auto json = parse_json(result.out);
    CHECK(json["complete"].GetBool());
    CHECK(json["findings"].Size() > 0);
  }
  SECTION("a request with nothing in the export") {
    auto args = base;
    args.insert(args.end(), {"--email", "nobody@nowhere.example"});
    const auto result = run_crmscan(args, scratch);
    CHECK(result.exit_code == 0);
    const auto json = parse_json(result.out);
    CHECK(json["findings"].Size() == 0);
  }
}

TEST_CASE("Records are followed to their parent in JSON and NDJSON exports as in CSV ones",
          "[cli][connector][file]") {
  const TempDir scratch;
  const auto input = scratch / "export";
  SECTION("CSV") {
    write_file(input + "/Order.csv", "OrderId,Email\nO-1,ann@example.com\nO-2,bob@example.com\n");
    write_file(input + "/Delivery.csv", "DeliveryId,OrderId\nD-1,O-1\nD-2,O-2\n");
  }
  SECTION("NDJSON") {
    write_file(input + "/Order.ndjson",
               "{\"OrderId\": \"O-1\", \"Email\": \"ann@example.com\"}\n"
               "{\"OrderId\": \"O-2\", \"Email\": \"bob@example.com\"}\n");
    write_file(input + "/Delivery.ndjson",
               "{\"DeliveryId\": \"D-1\", \"OrderId\": \"O-1\"}\n"
               "{\"DeliveryId\": \"D-2\", \"OrderId\": \"O-2\"}\n");
  }
  SECTION("JSON") {
    write_file(
        input + "/Order.json",
        R"([{"OrderId": "O-1", "Email": "ann@example.com"}, {"OrderId": "O-2", "Email": "bob@example.com"}])");
    write_file(
        input + "/Delivery.json",
        R"({"records": [{"DeliveryId": "D-1", "OrderId": "O-1"}, {"DeliveryId": "D-2", "OrderId": "O-2"}]})");
  }
  const auto result = run_crmscan(
      {"scan", "--input", input, "--rules", source_path("tests/fixtures/orders-rules.yaml"),
       "--email", "ann@example.com", "--format", "csv"},
      scratch);
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains(",Order,O-1,,order.record,delete_record,"));
  CHECK_THAT(result.out, Catch::Contains(",Delivery,D-1,,delivery.record,delete_record,"));
  CHECK_THAT(result.out, !Catch::Contains(",O-2,") && !Catch::Contains(",D-2,"));
}

TEST_CASE("Two scans of the same export write the same findings", "[cli]") {
  const TempDir scratch;
  const std::vector<std::string> args{"scan",
                                      "--input",
                                      source_path("samples/salesforce-export"),
                                      "--subjects",
                                      source_path("samples/salesforce-expected/subjects.yaml"),
                                      "--default-region",
                                      "GB",
                                      "--format",
                                      "csv"};
  const auto first = run_crmscan(args, scratch);
  const auto second = run_crmscan(args, scratch);
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  CHECK(std::count(first.out.begin(), first.out.end(), '\n') > 10);
  CHECK(first.out == second.out);
  CHECK_THAT(first.out, Catch::StartsWith("fingerprint,request_id,"));
}

TEST_CASE("Wrong usage and bad input give their exit codes", "[cli]") {
  const TempDir scratch;
  const std::vector<std::string> scan{"scan", "--input",
                                      source_path("tests/fixtures/small-export")};
  const auto run = [&](const std::vector<std::string>& extra) {
    auto args = scan;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_crmscan(args, scratch);
  };
  SECTION("several formats without --out") {
    const auto result = run({"--email", "ann@example.com", "--format", "csv,json"});
    CHECK(result.exit_code == 64);
    CHECK_THAT(result.err, Catch::Contains("--out"));
  }
  SECTION("an unknown format") {
    CHECK(run({"--email", "ann@example.com", "--format", "xml"}).exit_code == 64);
  }
  SECTION("subjects both from a file and the command line") {
    CHECK(run({"--email", "ann@example.com", "--subjects",
               source_path("samples/salesforce-expected/subjects.csv")})
              .exit_code == 64);
  }
  SECTION("an email that is not one") {
    const auto result = run({"--email", "ann.example.com"});
    CHECK(result.exit_code == 65);
    CHECK_THAT(result.err, Catch::Contains("command line") && Catch::Contains("email"));
  }
  SECTION("a missing subjects file") {
    CHECK(run({"--subjects", scratch / "absent.csv"}).exit_code == 66);
  }
  SECTION("an unknown command") {
    CHECK(run_crmscan({"scna"}, scratch).exit_code == 64);
  }
}

TEST_CASE("The content options need --content, a known content API and its credentials",
          "[cli][content]") {
  const TempDir scratch;
  const std::vector<std::string> base{"scan", "--input", source_path("samples/salesforce-export"),
                                      "--email", "amelie.dubois@example.fr"};
  const auto run = [&](std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_crmscan(args, scratch);
  };
  for (const auto& flag : {"--since", "--until", "--content-option"}) {
    INFO(flag);
    const auto result = run({flag, std::string(flag) == "--content-option" ? "scope=x" : "x"});
    CHECK(result.exit_code == 64);
    CHECK_THAT(result.err, Catch::Contains("needs --content"));
  }
  CHECK(run({"--content", "genesys"}).exit_code == 64);
  // The credentials come from the environment, which the test leaves without them.
  const auto missing = run({"--content", "vcc"});
  CHECK(missing.exit_code == 78);
  CHECK_THAT(missing.err, Catch::Contains("VCC_CLIENT_ID"));
  CHECK(run({"--content", "vcc", "--content-option", "colour=blue"}).exit_code == 78);
  CHECK(run({"--ca-file", scratch / "no-such-ca.pem"}).exit_code == 66);
}

TEST_CASE("crmscan connectors lists the content connector with its options", "[cli][content]") {
  const TempDir scratch;
  const auto result = run_crmscan({"connectors"}, scratch);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("\nvcc_content: ") && Catch::Contains("base_url") &&
                             Catch::Contains("--content-option KEY=VALUE"));
  const auto help = run_crmscan({"scan", "--help"}, scratch);
  CHECK_THAT(help.out, Catch::Contains("--content") && Catch::Contains("--ca-file"));
  // The content deletions are steps of `crmscan plan`, not a file of the scan's.
  CHECK_THAT(help.out, !Catch::Contains("--plan"));
}

// The file connector without --crm: it recognises which CRM wrote the export and says so, and an
// export it cannot place is an error, never a scan with another CRM's rules.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support.hpp"

using namespace crmscan::test;

namespace {

// Each finding of a JSON report as one line: what it is and why.
std::vector<std::string> findings_of(const std::string& path) {
  rapidjson::Document json;
  json.Parse(read_file(path).c_str());
  REQUIRE(json.IsObject());
  CHECK(json["complete"].GetBool());
  std::vector<std::string> lines;
  for (const auto& f : json["findings"].GetArray()) {
    std::string line;
    for (const char* key : {"fingerprint", "request_id", "object", "record_id", "field", "action"})
      line += std::string(f[key].GetString()) + "|";
    lines.push_back(line + f["why"]["rule"].GetString());
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// The rule packs a JSON report says the scan used, one line each, in its order.
std::vector<std::string> packs_of(const std::string& path) {
  rapidjson::Document json;
  json.Parse(read_file(path).c_str());
  REQUIRE(json.IsObject());
  std::vector<std::string> lines;
  for (const auto& p : json["metadata"]["rule_packs"].GetArray()) {
    std::string line;
    for (const char* key : {"id", "version", "path", "sha256"})
      line += std::string(p[key].GetString()) + "|";
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

TEST_CASE("Each sample scanned without --crm gives the findings it gives with it",
          "[cli][connector][file][recognise]") {
  const std::vector<std::vector<std::string>> samples = {
      {"hubspot", "samples/hubspot", "samples/hubspot-expected/subjects.csv"},
      {"dynamics365", "samples/dynamics365", "samples/dynamics365-expected/subjects.csv"},
      {"salesforce", "samples/salesforce-export", "samples/salesforce-expected/subjects.csv"},
      {"crm-lite", "samples/crm-lite", "samples/crm-lite-expected/subjects.yaml"}};
  for (const auto& sample : samples) {
    const auto& crm = sample[0];
    SECTION(crm) {
      const TempDir scratch;
      const std::vector<std::string> scan = {"scan",
                                             "--input",
                                             source_path(sample[1]),
                                             "--subjects",
                                             source_path(sample[2]),
                                             "--default-region",
                                             "GB",
                                             "--format",
                                             "json"};
      auto with = scan;
      with.insert(with.end(), {"--crm", crm, "--out", scratch / "with"});
      auto without = scan;
      without.insert(without.end(), {"--out", scratch / "without"});
      const auto given = run_crmscan(with, scratch);
      const auto recognised = run_crmscan(without, scratch);
      INFO(recognised.out << recognised.err);
      REQUIRE(given.exit_code == 0);
      REQUIRE(recognised.exit_code == 0);
      CHECK(recognised.out.find("recognised as a " + crm + " export") != std::string::npos);
      CHECK(given.out.find("recognised as") == std::string::npos);
      const auto expected = findings_of(scratch / "with/findings.json");
      CHECK_FALSE(expected.empty());
      CHECK(findings_of(scratch / "without/findings.json") == expected);
      // The packs recognition loaded are the scan's: the same files, in the same order.
      const auto packs = packs_of(scratch / "with/findings.json");
      CHECK_FALSE(packs.empty());
      CHECK(packs_of(scratch / "without/findings.json") == packs);
      CHECK(read_file(scratch / "without/findings.json").find("recognised as a " + crm) !=
            std::string::npos);
    }
  }
}

TEST_CASE("A folder of unrelated CSV files is an error, not a complete scan",
          "[cli][connector][file][recognise]") {
  const TempDir scratch;
  const auto input = scratch / "export";
  std::filesystem::create_directory(input);
  write_file(input + "/sales.csv", "Region,Quarter,Total\nNorth,Q1,1200\n");
  write_file(input + "/inventory.csv", "Sku,Name,Stock\nA-1,Oak table,3\n");
  const std::vector<std::string> scan = {"scan",          "--input",  input, "--email",
                                         "a@example.com", "--format", "json"};
  SECTION("without --crm: nothing fits") {
    const auto result = run_crmscan(scan, scratch);
    CHECK(result.exit_code == 78);
    CHECK(result.err.find("not an export of a CRM crmscan has rule packs for") !=
          std::string::npos);
    CHECK(result.out.empty());
  }
  SECTION("with --crm: no object of the export has rules, so the scan is incomplete") {
    auto with = scan;
    with.insert(with.end(), {"--crm", "salesforce"});
    const auto result = run_crmscan(with, scratch);
    CHECK(result.exit_code == 2);
    CHECK(result.out.find("\"complete\": false") != std::string::npos);
    CHECK(result.err.find("has rules in the packs used") != std::string::npos);
  }
}

TEST_CASE("An export that two CRMs' packs fit equally asks for --crm",
          "[cli][connector][file][recognise]") {
  const TempDir scratch;
  const auto input = scratch / "export";
  std::filesystem::create_directory(input);
  // Salesforce's Contact and Dataverse's contact, and nothing to tell them apart.
  write_file(input + "/Contact.csv", "Name,Email\nAmelie Dubois,amelie.dubois@example.fr\n");
  const auto result =
      run_crmscan({"scan", "--input", input, "--email", "amelie.dubois@example.fr"}, scratch);
  CHECK(result.exit_code == 78);
  CHECK(result.err.find("could be an export of dynamics365 or salesforce") != std::string::npos);
}

TEST_CASE("A file in Salesforce's shape whose object only another CRM's packs rule is that CRM's",
          "[cli][connector][file][recognise]") {
  const TempDir scratch;
  const auto input = scratch / "export";
  std::filesystem::create_directory(input);
  // A first column Id holding a Salesforce id, but Customer is an object of the CRM Lite pack.
  write_file(input + "/Customer.csv",
             "Id,Name,Email\n0035g00000AbCdEAAZ,Amelie Dubois,amelie.dubois@example.fr\n");
  const auto result = run_crmscan(
      {"scan", "--input", input, "--email", "amelie.dubois@example.fr", "--format", "json"},
      scratch);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("recognised as a crm-lite export") != std::string::npos);
}

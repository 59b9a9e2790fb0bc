// crmscan plan and verify, end to end on the Salesforce sample: scan, plan, apply the plan to a
// copy of the export the way Data Loader would, verify.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/memory_connector.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/plan.hpp"
#include "crmscan/request_values.hpp"
#include "crmscan/rules.hpp"
#include "support.hpp"

using crmscan::test::parse_json;
using crmscan::test::read_csv_file;
using crmscan::test::read_file;
using crmscan::test::run_crmscan;
using crmscan::test::source_path;
using crmscan::test::TempDir;
using crmscan::test::write_csv_file;
using crmscan::test::write_file;
namespace fs = std::filesystem;

namespace {

using Table = std::vector<std::vector<std::string>>;  // header first

std::size_t column(const Table& table, const std::string& name) {
  const auto& header = table.front();
  for (std::size_t i = 0; i < header.size(); ++i) {
    const auto bom = std::string("\xEF\xBB\xBF");
    const auto cell = header[i].rfind(bom, 0) == 0 ? header[i].substr(bom.size()) : header[i];
    if (cell == name) return i;
  }
  return header.size();
}

// What Data Loader does with the plan's files, on a copy of a Salesforce Data Export: deletes
// rows by Id (hard deletes too), sets fields (`#N/A` blanks one). A delete that leaves a record
// of the plan pointing to a deleted record through a reference the packs declare fails, as
// Salesforce refuses to delete a Contact that a Case still points to.
class DataLoader {
 public:
  DataLoader(std::string export_dir, const crmscan::RuleSet& rules)
      : dir_(std::move(export_dir)), rules_(rules) {}

  void run(const std::string& plan_dir) {
    const auto plan = parse_json(read_file(plan_dir + "/plan.json"));
    for (const auto& step : plan["steps"].GetArray()) {
      const auto rows = read_csv_file(plan_dir + "/" + step["file"].GetString());
      REQUIRE_FALSE(rows.empty());
      CHECK(rows[0][0] == "Id");
      for (std::size_t i = 1; i < rows.size(); ++i)
        planned_.insert(crmscan::record_id_key(rows[i][0]));
    }
    for (const auto& step : plan["steps"].GetArray()) {
      const std::string operation = step["operation"].GetString();
      const std::string object = step["object"].GetString();
      const auto rows = read_csv_file(plan_dir + "/" + step["file"].GetString());
      INFO("step " << step["step"].GetUint() << " " << operation << " " << object);
      if (operation == "update") {
        update(object, rows);
      } else {
        REQUIRE((operation == "delete" || operation == "hard_delete"));
        std::set<std::string> ids;
        for (std::size_t i = 1; i < rows.size(); ++i)
          ids.insert(crmscan::record_id_key(rows[i][0]));
        remove(object, ids);
      }
    }
  }

  void remove(const std::string& object, const std::set<std::string>& ids) {
    auto table = load(object);
    const auto id = column(table, "Id");
    std::size_t removed = 0;
    table.erase(std::remove_if(table.begin() + 1, table.end(),
                               [&](const std::vector<std::string>& row) {
                                 const bool hit = ids.count(crmscan::record_id_key(row[id])) != 0;
                                 removed += hit ? 1 : 0;
                                 return hit;
                               }),
                table.end());
    CHECK(removed == ids.size());
    write_csv_file(path(object), table);
    // No planned record may still point to what is gone.
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const auto other = entry.path().stem().string();
      const auto rows = load(other);
      const auto other_id = column(rows, "Id");
      for (const auto* object_rules : rules_.rules_for(other)) {
        for (const auto& rule : object_rules->related) {
          const auto field = column(rows, rule.via);
          if (field >= rows[0].size()) continue;
          for (std::size_t r = 1; r < rows.size(); ++r) {
            if (planned_.count(crmscan::record_id_key(rows[r][other_id])) == 0) continue;
            INFO(other << " " << rows[r][other_id] << " " << rule.via << " still points to "
                       << object << " " << rows[r][field]);
            CHECK(ids.count(crmscan::record_id_key(rows[r][field])) == 0);
          }
        }
      }
    }
  }

  void update(const std::string& object, const std::vector<std::vector<std::string>>& rows) {
    auto table = load(object);
    const auto id = column(table, "Id");
    for (std::size_t r = 1; r < rows.size(); ++r) {
      bool found = false;
      for (std::size_t t = 1; t < table.size(); ++t) {
        if (crmscan::record_id_key(table[t][id]) != crmscan::record_id_key(rows[r][0])) continue;
        found = true;
        for (std::size_t c = 1; c < rows[0].size(); ++c) {
          if (rows[r][c].empty()) continue;  // Data Loader leaves an empty cell alone
          const auto field = column(table, rows[0][c]);
          REQUIRE(field < table[0].size());
          table[t][field] = rows[r][c] == "#N/A" ? "" : rows[r][c];
        }
      }
      CHECK(found);
    }
    write_csv_file(path(object), table);
  }

  Table load(const std::string& object) const { return read_csv_file(path(object)); }
  std::string path(const std::string& object) const { return dir_ + "/" + object + ".csv"; }

 private:
  std::string dir_;
  const crmscan::RuleSet& rules_;
  std::set<std::string> planned_;
};

void copy_export(const std::string& to) {
  fs::copy(source_path("samples/salesforce-export"), to, fs::copy_options::recursive);
  fs::remove(fs::path(to) / "README.md");
}

struct Scanned {
  std::string report;
  std::string export_copy;
};

Scanned scan_sample(const TempDir& dir) {
  const auto result =
      run_crmscan({"scan", "--input", source_path("samples/salesforce-export"), "--subjects",
                   source_path("samples/salesforce-expected/subjects.csv"), "--default-region",
                   "GB", "--format", "json", "--out", dir / "report"},
                  dir);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  copy_export(dir / "export");
  return {dir / "report", dir / "export"};
}

crmscan::test::CommandResult verify(const Scanned& scanned, const TempDir& dir) {
  return run_crmscan(
      {"verify", scanned.report, "--input", scanned.export_copy, "--default-region", "GB"}, dir);
}

}  // namespace

TEST_CASE("A plan applied as Data Loader would leaves nothing for verify to find",
          "[plan][verify][cli]") {
  TempDir dir;
  const auto scanned = scan_sample(dir);
  CHECK(crmscan::test::permissions_of(scanned.report + "/values.json") == 0600);
  const auto planned = run_crmscan({"plan", scanned.report, "--out", dir / "plan"}, dir);
  INFO(planned.out << planned.err);
  REQUIRE(planned.exit_code == 0);

  const auto plan = parse_json(read_file(dir / "plan/plan.json"));
  CHECK(std::string(plan["report"]["sha256"].GetString()).size() == 64);
  std::map<std::string, std::size_t> first_delete;
  std::size_t last_update = 0;
  for (const auto& step : plan["steps"].GetArray()) {
    const std::string file = step["file"].GetString();
    CHECK(crmscan::test::permissions_of(dir / ("plan/" + file)) == 0600);
    const std::string operation = step["operation"].GetString();
    if (operation == "update") last_update = step["step"].GetUint();
    if (operation == "delete")
      first_delete.emplace(step["object"].GetString(), step["step"].GetUint());
  }
  // Children before parents: what points to a Contact goes before it, the Contact before the
  // Account its Cases and Tasks also point to; the updates (a kept Case's ContactId) before all.
  REQUIRE(first_delete.count("Contact") != 0);
  CHECK(first_delete.at("Task") < first_delete.at("Contact"));
  CHECK(first_delete.at("NVMContactWorld__InteractionEventNote__c") <
        first_delete.at("NVMContactWorld__InteractionEvent__c"));
  CHECK(first_delete.at("Contact") < first_delete.at("Account"));
  CHECK(last_update < std::min_element(
                          first_delete.begin(), first_delete.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
                          ->second);
  // Review findings go to a person, never into a step.
  const auto review = read_csv_file(dir / "plan/review.csv");
  CHECK(std::any_of(review.begin(), review.end(), [](const std::vector<std::string>& row) {
    return row.size() > 3 && row[3] == "0035g00000qXb7KAAS";  // the namesake
  }));
  for (const auto& step : plan["steps"].GetArray()) {
    const auto rows = read_csv_file(dir / ("plan/" + std::string(step["file"].GetString())));
    for (const auto& row : rows) CHECK(row[0] != "0035g00000qXb7KAAS");
  }

  const auto rules = crmscan::RuleSet::load({source_path("rules/salesforce")});
  DataLoader loader(scanned.export_copy, rules);
  loader.run(dir / "plan");

  const auto verified = verify(scanned, dir);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::Contains("REQ-1001: gone"));
  CHECK_THAT(verified.out, Catch::Contains("still present 0, new 0"));
  CHECK(crmscan::test::permissions_of(scanned.report + "/verification.json") == 0600);

  // One deleted Task back: verify names it.
  const auto original = read_csv_file(source_path("samples/salesforce-export/Task.csv"));
  auto tasks = loader.load("Task");
  for (const auto& row : original) {
    if (row[0] == "00T5g00008AhdkLEAR") tasks.push_back(row);
  }
  write_csv_file(loader.path("Task"), tasks);
  const auto again = verify(scanned, dir);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.out, Catch::Contains("still present: REQ-1001 Task 00T5g00008AhdkLEAR"));
}

TEST_CASE("Verify after deleting only the Contact still reports the Task with her learned mobile",
          "[verify][cli]") {
  TempDir dir;
  const auto scanned = scan_sample(dir);
  const auto rules = crmscan::RuleSet::load({source_path("rules/salesforce")});
  DataLoader loader(scanned.export_copy, rules);
  loader.remove("Contact", {crmscan::record_id_key("0035g00000QxB7kAAF")});
  const auto verified = verify(scanned, dir);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 1);
  // Its Subject holds only the mobile learned from the deleted Contact ("+44 7700 900123").
  CHECK_THAT(verified.out, Catch::Contains("still present: REQ-1001 Task 00T5g00008AdxnlEAB"));
  CHECK_THAT(verified.out, !Catch::Contains("still present: REQ-1001 Contact 0035g00000QxB7kAAF"));
}

TEST_CASE("Verify refuses a values file of another report", "[verify][cli]") {
  TempDir dir;
  const auto scanned = scan_sample(dir);
  auto values = read_file(scanned.report + "/values.json");
  const auto at = values.find("amelie.dubois@example.fr");
  REQUIRE(at != std::string::npos);
  values.replace(at, 6, "amelia");
  write_file(dir / "other-values.json", values);
  const auto result = run_crmscan({"verify", scanned.report, "--values", dir / "other-values.json",
                                   "--input", scanned.export_copy},
                                  dir);
  CHECK(result.exit_code == 65);
  CHECK_THAT(result.err, Catch::Contains("does not belong to the report"));
}

// A decisions file (YAML) that decides every review finding of a report not_subject, and one
// fingerprint no finding has.
std::string decide_reviews(const std::string& report_dir) {
  rapidjson::Document report;
  report.Parse(read_file(report_dir + "/findings.json").c_str());
  REQUIRE(report.IsObject());
  std::string yaml = "decisions:\n";
  for (const auto& f : report["findings"].GetArray()) {
    if (std::string(f["action"].GetString()) != "review") continue;
    yaml += std::string("  - fingerprint: ") + f["fingerprint"].GetString() +
            "\n    decision: not_subject\n    by: dpo@acme.example\n    at: 2026-12-01\n"
            "    note: checked, another person\n";
  }
  return yaml + "  - {fingerprint: 0123456789abcdef, decision: erased_manually}\n";
}

TEST_CASE("Decided reviews: left out of the plan, and after the erasure nothing fails",
          "[plan][verify][decisions][cli]") {
  TempDir dir;
  const auto scanned = scan_sample(dir);
  write_file(dir / "decisions.yaml", decide_reviews(scanned.report));
  const auto planned = run_crmscan(
      {"plan", scanned.report, "--out", dir / "plan", "--decisions", dir / "decisions.yaml"}, dir);
  INFO(planned.out << planned.err);
  REQUIRE(planned.exit_code == 0);
  CHECK(read_csv_file(dir / "plan/review.csv").size() == 1);  // the header alone
  CHECK_THAT(planned.out, Catch::Contains("11 finding(s) decided"));
  CHECK_THAT(planned.err, Catch::Contains("stale decision") &&
                              Catch::Contains("0123456789abcdef") &&
                              Catch::Contains("decisions.yaml:"));
  const auto rules = crmscan::RuleSet::load({source_path("rules/salesforce")});
  DataLoader loader(scanned.export_copy, rules);
  loader.run(dir / "plan");

  // Scanned again: only the namesakes and shared numbers are left (7 of the 11 reviews; the
  // others went with the records they hung off, and their decisions are stale), all decided.
  const std::vector<std::string> rescan = {"scan",
                                           "--input",
                                           scanned.export_copy,
                                           "--subjects",
                                           source_path("samples/salesforce-expected/subjects.csv"),
                                           "--default-region",
                                           "GB",
                                           "--fail-on-findings",
                                           "--format",
                                           "json",
                                           "--out",
                                           dir / "after"};
  const auto undecided = run_crmscan(rescan, dir);
  INFO(undecided.out << undecided.err);
  CHECK(undecided.exit_code == 1);
  auto with_decisions = rescan;
  with_decisions.insert(with_decisions.end(), {"--decisions", dir / "decisions.yaml"});
  const auto decided = run_crmscan(with_decisions, dir);
  INFO(decided.out << decided.err);
  CHECK(decided.exit_code == 0);
  CHECK_THAT(decided.out, Catch::Contains("findings: 7  review 7  (decided 7)") &&
                              Catch::Contains("7 finding(s) decided, 5 stale"));
  rapidjson::Document after;
  after.Parse(read_file(dir / "after/findings.json").c_str());
  REQUIRE(after.IsObject());
  REQUIRE(after["findings"].Size() == 7);
  CHECK_THAT(read_file(dir / "after/findings.json"), Catch::Contains("0035g00000qXb7KAAS"));
  for (const auto& f : after["findings"].GetArray()) {
    REQUIRE(f.HasMember("decision"));
    CHECK(std::string(f["decision"]["decision"].GetString()) == "not_subject");
    CHECK(std::string(f["decision"]["by"].GetString()) == "dpo@acme.example");
  }
  CHECK(std::string(after["metadata"]["decisions"]["sha256"].GetString()).size() == 64);

  // One deleted Task back, but retained with a legal basis: verify does not count it.
  const auto original = read_csv_file(source_path("samples/salesforce-export/Task.csv"));
  auto tasks = loader.load("Task");
  for (const auto& row : original) {
    if (row[0] == "00T5g00008AhdkLEAR") tasks.push_back(row);
  }
  write_csv_file(loader.path("Task"), tasks);
  rapidjson::Document report;
  report.Parse(read_file(scanned.report + "/findings.json").c_str());
  std::string retained;
  for (const auto& f : report["findings"].GetArray()) {
    if (std::string(f["record_id"].GetString()) == "00T5g00008AhdkLEAR")
      retained = f["fingerprint"].GetString();
  }
  REQUIRE_FALSE(retained.empty());
  write_file(dir / "retain.csv",
             "fingerprint,decision,legal_basis,by\r\n" + retained +
                 ",retain,\"Art. 17(3)(e) GDPR: a pending claim\",legal@acme.example\r\n");
  const auto verified = run_crmscan({"verify", scanned.report, "--input", scanned.export_copy,
                                     "--default-region", "GB", "--decisions", dir / "retain.csv"},
                                    dir);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::Contains("REQ-1001: gone 21, still present 0, new 0, decided 1"));
  CHECK_THAT(read_file(scanned.report + "/verification.json"),
             Catch::Contains("\"status\": \"decided\"") && Catch::Contains("a pending claim"));
}

TEST_CASE("Free text keeps everything but the request's identifiers", "[plan]") {
  crmscan::RequestIdentifiers ids;
  ids.emails = {"amelie.dubois@example.fr"};
  ids.phones = {"+442079460958"};
  ids.names = {"amelie dubois"};
  ids.learned_phones = {"+447700900123"};
  const crmscan::PhoneNormalizer phones({"GB"});
  const std::vector<std::string> regions = {"GB"};
  CHECK(crmscan::erase_identifiers(
            "Supplier contact: Amélie DUBOIS (amelie.dubois+shop@example.fr), tel 020 7946 "
            "0958, mobile +44 (0)7700 900123. Invoices to accounts@acme.example, INV2079460958.",
            ids, phones, regions) ==
        "Supplier contact: [erased] ([erased]), tel [erased], mobile [erased]. Invoices to "
        "accounts@acme.example, INV2079460958.");
  // A number broken across a line is still the number; a longer run of digits is not.
  CHECK(crmscan::erase_identifiers("call 020 7946\n0958 or 4402079460958123", ids, phones,
                                   regions) == "call [erased] or 4402079460958123");
}

namespace {

// The same records through a connector of another name (an export and a live read of one org).
class OtherConnector : public crmscan::MemoryConnector {
 public:
  const crmscan::ConnectorDescriptor& descriptor() const override {
    static const crmscan::ConnectorDescriptor kDescriptor{"other", "the same records, live", {}};
    return kDescriptor;
  }
};

template <typename Connector>
std::vector<std::string> fingerprints_of(Connector& connector) {
  connector.add("Contact", {{"Id", "0035g00000QxB7kAAF"},
                            {"FirstName", "Amelie"},
                            {"LastName", "Dubois"},
                            {"Email", "amelie.dubois@example.fr"},
                            {"Description", "Prefers calls on 020 7946 0958"}});
  connector.add(
      "Task", {{"Id", "00T5g00008ATVXcEAP"}, {"WhoId", "0035g00000QxB7kAAF"}, {"Subject", "Call"}});
  const auto rules = crmscan::RuleSet::load({source_path("rules/salesforce")});
  const crmscan::SubjectSet subjects({{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}},
                                     "GB");
  const auto report = crmscan::run_scan(connector, rules, subjects, crmscan::ScanOptions{});
  std::vector<std::string> fingerprints;
  for (const auto& finding : report.findings) fingerprints.push_back(finding.fingerprint);
  return fingerprints;
}

}  // namespace

TEST_CASE("A finding's fingerprint does not depend on the connector that read the record",
          "[plan][fingerprint]") {
  crmscan::MemoryConnector memory;
  OtherConnector other;
  const auto first = fingerprints_of(memory);
  REQUIRE(first.size() >= 2);
  CHECK(fingerprints_of(other) == first);
}

TEST_CASE("An export without an object's id column is an error, never a finding without an id",
          "[plan][cli]") {
  TempDir dir;
  copy_export(dir / "export");
  auto contacts = read_csv_file(dir / "export/Contact.csv");
  for (auto& row : contacts) row.erase(row.begin());  // the Id column
  write_csv_file(dir / "export/Contact.csv", contacts);
  const auto result = run_crmscan(
      {"scan", "--input", dir / "export", "--email", "amelie.dubois@example.fr", "--format", "csv"},
      dir);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("Contact.csv"));
  CHECK_THAT(result.err, Catch::Contains("id column"));
  CHECK_THAT(result.out, !Catch::Contains(",Contact,,,contact.record,delete_record"));
}

// Review decisions (--decisions) and the request's record (received, verified_by, verification,
// ticket, deadline): how the files are read, what is refused, and where they show.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "crmscan/decisions.hpp"
#include "crmscan/error.hpp"
#include "crmscan/report.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/subject.hpp"
#include "crmscan/verify.hpp"
#include "support.hpp"

using crmscan::Action;
using crmscan::DataError;
using crmscan::Decision;
using crmscan::load_decisions_file;
using crmscan::test::read_csv_file;
using crmscan::test::read_file;
using crmscan::test::run_crmscan;
using crmscan::test::source_path;
using crmscan::test::TempDir;
using crmscan::test::write_file;

namespace {

// Loads `content` written to a file of that name; the message of the DataError it throws, or "".
std::string load_error(const TempDir& dir, const std::string& name, const std::string& content) {
  write_file(dir / name, content);
  try {
    load_decisions_file(dir / name);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

crmscan::Finding finding(const std::string& fingerprint, const std::string& request,
                         const std::string& object, const std::string& id, Action action) {
  crmscan::Finding f;
  f.fingerprint = fingerprint;
  f.request_id = request;
  f.connector = "file";
  f.object = object;
  f.record_id = id;
  f.action = action;
  return f;
}

std::string render(const std::string& format, const crmscan::Report& report) {
  std::ostringstream out;
  crmscan::make_reporter(format)->write(report, out);
  return out.str();
}

}  // namespace

TEST_CASE("A decisions file is read from CSV or YAML", "[decisions]") {
  TempDir dir;
  SECTION("CSV") {
    write_file(
        dir / "decisions.csv",
        "fingerprint,decision,legal_basis,by,at,note\r\n"
        "A1B2C3D4E5F60718,not_subject,,dpo@acme.example,2026-12-01,\"namesake, born 1971\"\r\n"
        ",,,,,\r\n"
        "0f1e2d3c4b5a6978,retain,Art. 17(3)(b) GDPR,legal,2026-12-01T09:30:00Z,\r\n");
    const auto set = load_decisions_file(dir / "decisions.csv");
    CHECK(set.sha256.size() == 64);
    REQUIRE(set.by_fingerprint.size() == 2);
    const auto& namesake = set.by_fingerprint.at("a1b2c3d4e5f60718");  // case-folded
    CHECK(namesake.kind == Decision::Kind::kNotSubject);
    CHECK(namesake.by == "dpo@acme.example");
    CHECK(namesake.note == "namesake, born 1971");
    CHECK(namesake.source == dir / "decisions.csv:2");
    CHECK(set.by_fingerprint.at("0f1e2d3c4b5a6978").legal_basis == "Art. 17(3)(b) GDPR");
  }
  SECTION("YAML, a list or under `decisions`") {
    for (const std::string prefix : {"", "decisions:\n"}) {
      write_file(dir / "decisions.yaml",
                 prefix +
                     "- fingerprint: a1b2c3d4e5f60718\n  decision: erased_manually\n"
                     "  at: 2026-12-01\n");
      const auto set = load_decisions_file(dir / "decisions.yaml");
      REQUIRE(set.by_fingerprint.size() == 1);
      CHECK(set.by_fingerprint.begin()->second.kind == Decision::Kind::kErasedManually);
      CHECK(set.by_fingerprint.begin()->second.at == "2026-12-01");
    }
  }
}

TEST_CASE("A malformed decisions file is refused naming file, line and what is wrong",
          "[decisions]") {
  TempDir dir;
  const std::string header = "fingerprint,decision,legal_basis,by,at,note\n";
  CHECK_THAT(load_error(dir, "d.csv", "fingerprint,decision,reviewer\n"),
             Catch::Contains("d.csv:1:") && Catch::Contains("column 3 'reviewer' is unknown"));
  CHECK_THAT(load_error(dir, "d.csv", "fingerprint,note\n"),
             Catch::Contains("d.csv:1:") && Catch::Contains("no 'decision' column"));
  CHECK_THAT(load_error(dir, "d.csv",
                        header + "a1b2c3d4e5f60718,not_subject,,,,\n0035g00000,"
                                 "not_subject,,,,\n"),
             Catch::Contains("d.csv:3:") && Catch::Contains("16 hex digits"));
  CHECK_THAT(load_error(dir, "d.csv", header + "a1b2c3d4e5f60718,keep,,,,\n"),
             Catch::Contains("d.csv:2:") && Catch::Contains("unknown decision 'keep'"));
  CHECK_THAT(load_error(dir, "d.csv", header + "a1b2c3d4e5f60718,retain,,dpo,,\n"),
             Catch::Contains("d.csv:2:") && Catch::Contains("retain needs a legal_basis"));
  CHECK_THAT(load_error(dir, "d.csv", header + "a1b2c3d4e5f60718,,,dpo,,\n"),
             Catch::Contains("d.csv:2:") && Catch::Contains("no decision"));
  CHECK_THAT(load_error(dir, "d.csv", header + "a1b2c3d4e5f60718,not_subject,,,1/12/2026,\n"),
             Catch::Contains("d.csv:2:") && Catch::Contains("ISO 8601"));
  CHECK_THAT(load_error(dir, "d.csv",
                        header + "a1b2c3d4e5f60718,not_subject,,,,\n"
                                 "A1B2C3D4E5F60718,retain,a law,,,\n"),
             Catch::Contains("d.csv:3:") && Catch::Contains("decided already at") &&
                 Catch::Contains("d.csv:2"));
  CHECK_THAT(load_error(dir, "d.csv", header + "a1b2c3d4e5f60718,not_subject\n"),
             Catch::Contains("d.csv:2:") && Catch::Contains("2 values, the header has 6"));
  // YAML names the column too.
  CHECK_THAT(load_error(dir, "d.yaml", "- fingerprint: a1b2c3d4e5f60718\n  decison: retain\n"),
             Catch::Contains("d.yaml:2:3:") && Catch::Contains("unknown key 'decison'"));
  CHECK_THAT(load_error(dir, "d.yaml", "- fingerprint: a1b2c3d4e5f60718\n  decision: [retain]\n"),
             Catch::Contains("d.yaml:2:13:") && Catch::Contains("must be a string"));
  CHECK_THAT(load_error(dir, "d.yaml", "- fingerprint: a1b2\n  decision: retain\n"),
             Catch::Contains("d.yaml:1:16:") && Catch::Contains("16 hex digits"));
  CHECK_THAT(load_error(dir, "d.yaml", "- fingerprint: \"a1b2c3d4e5f60718\n"),
             Catch::Contains("d.yaml:"));
  CHECK_THAT(load_error(dir, "d.yaml", "fingerprint: a1b2c3d4e5f60718\n"),
             Catch::Contains("d.yaml:1:1:") && Catch::Contains("expected a list of decisions"));
  CHECK_THAT(load_error(dir, "d.txt", header), Catch::Contains("d.txt: a decisions file is"));
  CHECK_THROWS_AS(load_decisions_file(dir / "missing.csv"), crmscan::MissingInputError);
}

TEST_CASE("ISO 8601 dates are checked as calendar dates", "[decisions][subjects]") {
  CHECK(crmscan::is_iso_date("2026-12-01"));
  CHECK(crmscan::is_iso_date("2028-02-29"));
  CHECK_FALSE(crmscan::is_iso_date("2026-02-29"));
  CHECK_FALSE(crmscan::is_iso_date("2026-13-01"));
  CHECK_FALSE(crmscan::is_iso_date("2026-1-01"));
  CHECK_FALSE(crmscan::is_iso_date("01/12/2026"));
  CHECK_FALSE(crmscan::is_iso_date("2026-12-01T10:00"));
}

TEST_CASE("A subjects file carries each request's record", "[subjects][decisions]") {
  TempDir dir;
  SECTION("CSV, rows of one request merge") {
    write_file(dir / "s.csv",
               "request_id,email,received,verified_by,verification,ticket,deadline\n"
               "REQ-1,a@example.com,2026-11-02,J. Smith,passport seen at the desk,DPO-881,\n"
               "REQ-1,b@example.com,,,,,2026-12-02\n"
               "REQ-2,c@example.com,,,,,\n");
    const auto requests = crmscan::load_subjects_file(dir / "s.csv");
    REQUIRE(requests.size() == 2);
    const auto& record = requests[0].record;
    CHECK(record.received == "2026-11-02");
    CHECK(record.verified_by == "J. Smith");
    CHECK(record.verification == "passport seen at the desk");
    CHECK(record.ticket == "DPO-881");
    CHECK(record.deadline == "2026-12-02");
    CHECK(requests[0].emails.size() == 2);
    CHECK(requests[1].record.empty());
  }
  SECTION("YAML") {
    write_file(dir / "s.yaml",
               "- request_id: REQ-1\n  email: a@example.com\n  ticket: DPO-881\n"
               "  deadline: 2026-12-02\n");
    const auto requests = crmscan::load_subjects_file(dir / "s.yaml");
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].record.ticket == "DPO-881");
    CHECK(requests[0].record.deadline == "2026-12-02");
  }
  SECTION("a date that is none is refused naming file and line") {
    write_file(dir / "s.csv",
               "request_id,email,deadline\nREQ-1,a@example.com,2026-12-02\n"
               "REQ-2,c@example.com,02/12/2026\n");
    CHECK_THROWS_WITH(crmscan::load_subjects_file(dir / "s.csv"), Catch::Contains("s.csv:3") &&
                                                                      Catch::Contains("deadline") &&
                                                                      Catch::Contains("ISO 8601"));
    write_file(dir / "s.yaml",
               "- request_id: REQ-1\n  email: a@example.com\n"
               "  received: 2026-11-31\n");
    CHECK_THROWS_WITH(crmscan::load_subjects_file(dir / "s.yaml"),
                      Catch::Contains("s.yaml:3:13") && Catch::Contains("received"));
  }
  SECTION("two rows of a request that disagree") {
    write_file(dir / "s.csv",
               "request_id,email,ticket\nREQ-1,a@example.com,DPO-1\n"
               "REQ-1,b@example.com,DPO-2\n");
    CHECK_THROWS_WITH(crmscan::load_subjects_file(dir / "s.csv"),
                      Catch::Contains("s.csv:3") && Catch::Contains("ticket differs"));
  }
}

TEST_CASE("Reports show decided findings as decided and each request's record",
          "[report][decisions]") {
  TempDir dir;
  crmscan::Report report;
  report.tool_version = "0.0.0-test";
  report.request_ids = {"REQ-1", "REQ-2"};
  report.request_records["REQ-1"].ticket = "DPO-881";
  report.request_records["REQ-1"].deadline = "2026-12-02";
  report.request_records["REQ-2"].ticket = "DPO-882";
  report.findings = {
      finding("a1b2c3d4e5f60718", "REQ-1", "Contact", "0035g00000QxB7kAAF", Action::kDeleteRecord),
      finding("0f1e2d3c4b5a6978", "REQ-1", "Contact", "0035g00000qXb7KAAS", Action::kReview)};
  write_file(dir / "decisions.csv",
             "fingerprint,decision,by,note\n0f1e2d3c4b5a6978,not_subject,dpo,a namesake\n"
             "ffffffffffffffff,not_subject,dpo,\n");
  const auto stale = crmscan::decide_findings(report, load_decisions_file(dir / "decisions.csv"));
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].fingerprint == "ffffffffffffffff");

  rapidjson::Document json;
  json.Parse(render("json", report).c_str());
  REQUIRE(json.IsObject());
  const auto& findings = json["findings"];
  CHECK_FALSE(findings[0].HasMember("decision"));
  CHECK(std::string(findings[1]["decision"]["decision"].GetString()) == "not_subject");
  CHECK(std::string(findings[1]["decision"]["note"].GetString()) == "a namesake");
  CHECK(json["metadata"]["decisions"]["decided"].GetUint() == 1);
  CHECK(std::string(json["metadata"]["decisions"]["stale"][0]["fingerprint"].GetString()) ==
        "ffffffffffffffff");
  CHECK(std::string(json["requests"][0]["ticket"].GetString()) == "DPO-881");
  CHECK(std::string(json["requests"][0]["deadline"].GetString()) == "2026-12-02");
  CHECK(json["requests"][0]["decided"].GetUint() == 1);
  CHECK_FALSE(json["requests"][1]["found"].GetBool());

  // CSV: the decision in columns appended after the others, which keep their places.
  write_file(dir / "f.csv", render("csv", report));
  const auto rows = read_csv_file(dir / "f.csv");
  const auto& columns = crmscan::csv_columns();
  REQUIRE(rows[0] == columns);
  CHECK(columns[0] == "fingerprint");
  CHECK(columns[17] == "via_record_id");
  CHECK(columns[18] == "decision");
  CHECK(rows[1][18].empty());
  CHECK(rows[2][18] == "not_subject");
  CHECK(rows[2][20] == "dpo");

  const auto summary = render("summary", report);
  CHECK_THAT(summary, Catch::Contains("(decided 1)"));
  CHECK_THAT(summary,
             Catch::Contains("review 1 (decided 1)  [ticket DPO-881, deadline 2026-12-02]"));
  CHECK_THAT(summary, Catch::Contains("no data found  [ticket DPO-882]"));
  CHECK_THAT(summary, Catch::Contains("stale decision") && Catch::Contains("ffffffffffffffff"));

  const auto html = render("html", report);
  CHECK_THAT(html, Catch::Contains("not_subject by dpo: a namesake"));
  CHECK_THAT(html, Catch::Contains("<td class=\"num\" data-decided>1</td><td>DPO-881</td>"));
}

TEST_CASE("verify lists a decided finding as decided and does not count it",
          "[verify][decisions]") {
  crmscan::SavedReport before;
  before.request_ids = {"REQ-1"};
  before.findings = {
      finding("a1b2c3d4e5f60718", "REQ-1", "Task", "00T5g00008AhdkLEAR", Action::kDeleteRecord),
      finding("0f1e2d3c4b5a6978", "REQ-1", "Contact", "0035g00000QxB7kAAF", Action::kDeleteRecord)};
  crmscan::Report after;
  after.findings = {before.findings[0]};  // the Task is still there
  CHECK(crmscan::compare_reports(before, after).exit_code() == 1);

  crmscan::DecisionSet decisions;
  decisions.path = "decisions.csv";
  decisions.by_fingerprint["a1b2c3d4e5f60718"] = {
      "a1b2c3d4e5f60718", Decision::Kind::kRetain, "a pending claim", "legal", "", "", "d.csv:2"};
  decisions.by_fingerprint["ffffffffffffffff"] = {
      "ffffffffffffffff", Decision::Kind::kRetain, "a law", "", "", "", "d.csv:3"};
  const auto verification = crmscan::compare_reports(before, after, decisions);
  CHECK(verification.exit_code() == 0);
  REQUIRE(verification.requests.size() == 1);
  CHECK(verification.requests[0].gone == 1);
  CHECK(verification.requests[0].still_present == 0);
  CHECK(verification.requests[0].decided == 1);
  REQUIRE(verification.decisions.stale.size() == 1);
  CHECK(verification.decisions.stale[0].fingerprint == "ffffffffffffffff");

  // A decision the report recorded counts the same, without a file.
  before.decisions.by_fingerprint["a1b2c3d4e5f60718"] =
      decisions.by_fingerprint.at("a1b2c3d4e5f60718");
  CHECK(crmscan::compare_reports(before, after).exit_code() == 0);
  // A new destructive finding that is decided is no failure either.
  after.findings.push_back(
      finding("1122334455667788", "REQ-1", "Case", "5005g0000IgcL6IAQU", Action::kDeleteRecord));
  CHECK(crmscan::compare_reports(before, after).exit_code() == 1);
  before.decisions.by_fingerprint["1122334455667788"] = {"1122334455667788",
                                                         Decision::Kind::kNotSubject};
  CHECK(crmscan::compare_reports(before, after).exit_code() == 0);
}

TEST_CASE("scan refuses a malformed decisions file before it scans", "[decisions][cli]") {
  TempDir dir;
  write_file(dir / "decisions.csv", "fingerprint,decision\na1b2c3d4e5f60718,retain\n");
  const auto result = run_crmscan(
      {"scan", "--input", source_path("samples/salesforce-export"), "--email",
       "amelie.dubois@example.fr", "--decisions", dir / "decisions.csv", "--out", dir / "out"},
      dir);
  CHECK(result.exit_code == 65);
  CHECK_THAT(result.err,
             Catch::Contains("decisions.csv:2:") && Catch::Contains("retain needs a legal_basis"));
  CHECK_FALSE(std::filesystem::exists(dir / "out/findings.json"));
}

TEST_CASE("The request's record goes into findings.json, the summary and plan.json",
          "[decisions][plan][cli]") {
  TempDir dir;
  auto subjects = read_file(source_path("samples/salesforce-expected/subjects.csv"));
  // The sample's requests with a record: a ticket and deadline for each, more for REQ-1001.
  std::string with_record;
  std::istringstream lines(subjects);
  std::string line;
  bool header = true;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (header) {
      with_record += line + ",received,verified_by,verification,ticket,deadline\n";
      header = false;
      continue;
    }
    const auto id = line.substr(0, line.find(','));
    with_record += line +
                   (id == "REQ-1001" ? ",2026-11-02,J. Smith,passport seen at the desk" : ",,,") +
                   ",T-" + id + ",2026-12-02\n";
  }
  write_file(dir / "subjects.csv", with_record);
  const auto scanned = run_crmscan(
      {"scan", "--input", source_path("samples/salesforce-export"), "--subjects",
       dir / "subjects.csv", "--default-region", "GB", "--format", "json", "--out", dir / "report"},
      dir);
  INFO(scanned.out << scanned.err);
  REQUIRE(scanned.exit_code == 0);
  CHECK_THAT(scanned.out, Catch::Contains("[ticket T-REQ-1004, deadline 2026-12-02]"));
  rapidjson::Document report;
  report.Parse(read_file(dir / "report/findings.json").c_str());
  REQUIRE(report.IsObject());
  const auto& first = report["requests"][0];
  CHECK(std::string(first["request_id"].GetString()) == "REQ-1001");
  CHECK(std::string(first["received"].GetString()) == "2026-11-02");
  CHECK(std::string(first["verified_by"].GetString()) == "J. Smith");
  CHECK(std::string(first["verification"].GetString()) == "passport seen at the desk");
  CHECK(std::string(first["ticket"].GetString()) == "T-REQ-1001");
  CHECK_FALSE(report["requests"][1].HasMember("received"));
  CHECK(crmscan::test::permissions_of(dir / "report/findings.json") == 0600);

  const auto planned = run_crmscan({"plan", dir / "report", "--out", dir / "plan"}, dir);
  INFO(planned.out << planned.err);
  REQUIRE(planned.exit_code == 0);
  rapidjson::Document plan;
  plan.Parse(read_file(dir / "plan/plan.json").c_str());
  REQUIRE(plan.IsObject());
  const auto& requests = plan["requests"];
  REQUIRE(requests.Size() == 6);
  CHECK(std::string(requests[0]["request_id"].GetString()) == "REQ-1001");
  CHECK(std::string(requests[0]["verification"].GetString()) == "passport seen at the desk");
  CHECK(std::string(requests[0]["deadline"].GetString()) == "2026-12-02");
  CHECK(std::string(requests[5]["ticket"].GetString()) == "T-REQ-1006");
}

TEST_CASE(
    "A request's value written into a decision or a request's record is redacted in every "
    "report",
    "[decisions][security][cli]") {
  TempDir dir;
  write_file(dir / "subjects.csv",
             "request_id,email,name,verified_by,verification\n"
             "REQ-1,amelie.dubois@example.fr,Amélie Dubois,desk,"
             "\"called amelie.dubois@example.fr back\"\n");
  const std::vector<std::string> scan = {"scan",
                                         "--input",
                                         source_path("samples/salesforce-export"),
                                         "--subjects",
                                         dir / "subjects.csv",
                                         "--default-region",
                                         "GB",
                                         "--format",
                                         "json,csv,ndjson,html",
                                         "--out",
                                         dir / "report"};
  REQUIRE(run_crmscan(scan, dir).exit_code == 0);
  rapidjson::Document report;
  report.Parse(read_file(dir / "report/findings.json").c_str());
  REQUIRE(report.IsObject());
  std::string fingerprint;
  for (const auto& f : report["findings"].GetArray()) {
    if (std::string(f["record_id"].GetString()) == "0035g00000qXb7KAAS")  // the namesake
      fingerprint = f["fingerprint"].GetString();
  }
  REQUIRE_FALSE(fingerprint.empty());
  write_file(dir / "decisions.csv", "fingerprint,decision,by,note\n" + fingerprint +
                                        ",not_subject,dpo,\"not Amélie Dubois "
                                        "(amelie.dubois@example.fr)\"\n");
  auto with_decisions = scan;
  with_decisions.insert(with_decisions.end(), {"--decisions", dir / "decisions.csv"});
  const auto result = run_crmscan(with_decisions, dir);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  for (const auto* file : {"findings.json", "findings.csv", "findings.ndjson", "report.html"}) {
    INFO(file);
    const auto text = read_file(dir / ("report/" + std::string(file)));
    CHECK_THAT(text, Catch::Contains("not_subject"));
    CHECK_THAT(text,
               !Catch::Contains("amelie.dubois@example.fr") && !Catch::Contains("Amélie Dubois"));
  }
  CHECK_THAT(read_file(dir / "report/findings.json"),
             Catch::Contains("\"note\": \"not A*** D*** (a***@e***.fr)\"") &&
                 Catch::Contains("\"verification\": \"called a***@e***.fr back\""));
}

// Reporters: JSON, NDJSON, CSV and the terminal summary against golden files; CSV cells that a
// spreadsheet would run; private output files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/report.hpp"
#include "crmscan/reporter.hpp"
#include "support.hpp"

using crmscan::Action;
using crmscan::Finding;
using crmscan::Report;
using namespace crmscan::test;

namespace {

Report base_report() {
  auto report = test_report("samples/salesforce-export");
  report.packs = {{"salesforce-standard", "1.0.0", "rules/salesforce/standard.yaml",
                   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}};
  report.request_ids = {"REQ-1001", "REQ-1002"};
  report.coverage = {{"Contact", 3, 0, 0, 1, true}, {"Task", 4, 1, 1, 2, true}};
  report.records_read = 7;
  return report;
}

Finding finding(const std::string& fingerprint, const std::string& request,
                const std::string& object, const std::string& id, const std::string& field,
                Action action) {
  Finding f;
  f.fingerprint = fingerprint;
  f.request_id = request;
  f.connector = "file";
  f.object = object;
  f.record_id = id;
  f.field = field;
  f.action = action;
  return f;
}

// Three findings: a record to delete, a field to erase (a detail with commas and quotes), and a
// record to review (archived and deleted, a detail over two lines).
Report three_findings_report() {
  auto report = base_report();
  report.notes = {"no FeedComment records in the source (rules for it were not used)"};
  auto contact = finding("a1b2c3d4e5f60718", "REQ-1001", "Contact", "0035g00000QxB7kAAF", "",
                         Action::kDeleteRecord);
  contact.category = "contact.record";
  contact.reason = "identity";
  contact.rule = "contact-email";
  contact.detail = "Email holds the request's email";
  contact.confidence = "high";
  contact.preview = "A***@E***.FR";
  contact.location = "Contact.csv:2";
  auto account = finding("0f1e2d3c4b5a6978", "REQ-1001", "Account", "0015g0000FOBVrXAQX",
                         "Description", Action::kEraseField);
  account.category = "free_text";
  account.reason = "text";
  account.rule = "identifier-in-text";
  account.detail = "Description mentions the request's \"phone number\", twice";
  account.confidence = "medium";
  account.preview = "+44********23";
  account.location = "Account.csv:3";
  auto task =
      finding("9988776655443322", "REQ-1002", "Task", "00T5g00008ATVXcEAP", "", Action::kReview);
  task.category = "activity.task";
  task.reason = "name";
  task.rule = "contact-name";
  task.detail = "WhoId points to Contact 0035g00000qXb7KAAS\n(itself only possibly the subject's)";
  task.confidence = "low";
  task.archived = true;
  task.deleted = true;
  task.preview = "T*** G***";
  task.location = "Task.csv:14";
  report.findings = {contact, account, task};
  return report;
}

Report empty_report() {
  auto report = base_report();
  report.request_ids = {"REQ-1001"};
  return report;
}

Report incomplete_report() {
  auto report = base_report();
  report.errors = {
      {"Task", "Task.csv:9: a quoted value opened on line 9 never closes; the row was not read"}};
  auto contact = finding("1122334455667788", "REQ-1001", "Contact", "0035g00000QxB7kAAF", "",
                         Action::kDeleteRecord);
  contact.category = "contact.record";
  contact.reason = "identity";
  contact.rule = "contact-phone";
  contact.detail = "Phone holds the request's phone number";
  contact.confidence = "high";
  contact.preview = "0**********58";
  contact.location = "Contact.csv:2";
  report.findings = {contact};
  return report;
}

std::string render(const std::string& format, const Report& report) {
  std::ostringstream out;
  crmscan::make_reporter(format)->write(report, out);
  return out.str();
}

std::string summary(const Report& report) {
  std::ostringstream out;
  crmscan::make_reporter("summary")->write(report, out);
  return out.str();
}

// Compares with tests/golden/<name>; CRMSCAN_UPDATE_GOLDEN=1 rewrites the file instead.
void check_golden(const std::string& name, const std::string& actual) {
  const auto path = crmscan::test::source_path("tests/golden/" + name);
  const char* update = std::getenv("CRMSCAN_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    write_file(path, actual);
    WARN("updated " << path);
    return;
  }
  INFO("golden file " << path << " (CRMSCAN_UPDATE_GOLDEN=1 rewrites it)");
  REQUIRE(std::filesystem::exists(path));
  CHECK(actual == read_file(path));
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::istringstream in(text);
  crmscan::CsvReader reader(in);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  while (reader.next(row)) {
    INFO("line " << reader.row_line());
    CHECK_FALSE(reader.error());
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("Reports with three findings match the golden files", "[report]") {
  const auto report = three_findings_report();
  check_golden("three-findings.json", render("json", report));
  check_golden("three-findings.ndjson", render("ndjson", report));
  check_golden("three-findings.csv", render("csv", report));
  check_golden("three-findings.summary.txt", summary(report));
}

TEST_CASE("Reports of a complete scan without findings match the golden files", "[report]") {
  const auto report = empty_report();
  check_golden("empty.json", render("json", report));
  check_golden("empty.ndjson", render("ndjson", report));
  check_golden("empty.csv", render("csv", report));
  check_golden("empty.summary.txt", summary(report));
}

TEST_CASE("Reports of an incomplete scan match the golden files", "[report]") {
  const auto report = incomplete_report();
  check_golden("incomplete.json", render("json", report));
  check_golden("incomplete.ndjson", render("ndjson", report));
  check_golden("incomplete.csv", render("csv", report));
  check_golden("incomplete.summary.txt", summary(report));
}

TEST_CASE("Every report says whether the scan is complete", "[report]") {
  const auto complete = empty_report();
  const auto incomplete = incomplete_report();
  CHECK_THAT(render("json", complete), Catch::Contains("\"complete\": true"));
  CHECK_THAT(render("json", incomplete), Catch::Contains("\"complete\": false"));
  CHECK_THAT(render("ndjson", incomplete), Catch::Contains("\"complete\":false"));
  CHECK_THAT(summary(complete), Catch::Contains("scan COMPLETE"));
  CHECK_THAT(summary(incomplete), Catch::Contains("INCOMPLETE") && Catch::Contains("Task.csv:9"));
}

TEST_CASE("An unknown report format is a usage error", "[report]") {
  CHECK_THROWS_AS(crmscan::make_reporter("xml"), crmscan::UsageError);
  for (const auto& format : crmscan::report_formats()) {
    CHECK(crmscan::make_reporter(format.name)->format() == format.name);
  }
}

TEST_CASE("CSV cells that a spreadsheet would run as formulas are neutralised", "[report][csv]") {
  auto report = base_report();
  auto f = finding("=1+1", "+44 20 7946 0958", "-Task", "@SUM(A1:A9)",
                   "=HYPERLINK(\"http://x.example\")", Action::kReview);
  f.category = "@category";
  f.rule = "-rule";
  f.detail = "=cmd|' /C calc'!A0";
  f.preview = "+44********58";
  f.location = "plain";
  report.findings = {f};
  const auto text = render("csv", report);
  const auto rows = parse_csv(text);
  REQUIRE(rows.size() == 2);
  const auto& columns = crmscan::csv_columns();
  REQUIRE(rows[0] == columns);
  REQUIRE(rows[1].size() == columns.size());
  const auto cell = [&](const std::string& column) {
    const auto at = std::find(columns.begin(), columns.end(), column);
    REQUIRE(at != columns.end());
    return rows[1][static_cast<std::size_t>(at - columns.begin())];
  };
  CHECK(cell("fingerprint") == "'=1+1");
  CHECK(cell("request_id") == "'+44 20 7946 0958");
  CHECK(cell("object") == "'-Task");
  CHECK(cell("record_id") == "'@SUM(A1:A9)");
  CHECK(cell("field") == "'=HYPERLINK(\"http://x.example\")");
  CHECK(cell("category") == "'@category");
  CHECK(cell("rule") == "'-rule");
  CHECK(cell("detail") == "'=cmd|' /C calc'!A0");
  CHECK(cell("preview") == "'+44********58");
  CHECK(cell("location") == "plain");
  CHECK(cell("action") == "review");
  // No line of the file starts a cell with a formula character.
  CHECK_THAT(text, !Catch::Contains(",=") && !Catch::Contains(",+") && !Catch::Contains(",-") &&
                       !Catch::Contains(",@") && !Catch::StartsWith("="));
}

TEST_CASE("CSV cells with commas, quotes or line breaks are quoted as RFC 4180 says",
          "[report][csv]") {
  auto report = base_report();
  auto f = finding("fp", "REQ-1", "Task", "00T5g00008ATVXcEAP", "Description", Action::kEraseField);
  f.detail = "mentions \"Amelie\", twice";
  f.preview = "line one\nline two";
  f.location = "Task.csv:3,4";
  f.category = "carriage\rreturn";
  report.findings = {f};
  const auto text = render("csv", report);
  CHECK_THAT(text, Catch::Contains("\"mentions \"\"Amelie\"\", twice\""));
  CHECK_THAT(text, Catch::Contains("\"line one\nline two\""));
  CHECK_THAT(text, Catch::Contains("\"Task.csv:3,4\""));
  CHECK_THAT(text, Catch::Contains("\"carriage\rreturn\""));
  const auto rows = parse_csv(text);
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[1].size() == crmscan::csv_columns().size());
  CHECK(rows[1][0] == "fp");
  const auto& columns = crmscan::csv_columns();
  const auto detail = std::find(columns.begin(), columns.end(), "detail") - columns.begin();
  CHECK(rows[1][static_cast<std::size_t>(detail)] == "mentions \"Amelie\", twice");
  CHECK(std::find(rows[1].begin(), rows[1].end(), "line one\nline two") != rows[1].end());
  CHECK(std::find(rows[1].begin(), rows[1].end(), "Task.csv:3,4") != rows[1].end());
}

TEST_CASE("write_private_file writes a file only its owner can read", "[report]") {
  const TempDir dir;
  const auto path = dir / "findings.json";
  SECTION("a new file") {
    crmscan::write_private_file(path, "{\"complete\": true}\n");
    CHECK(read_file(path) == "{\"complete\": true}\n");
    CHECK(crmscan::test::permissions_of(path) == 0600U);
  }
  SECTION("an existing file readable by others") {
    write_file(path, "old content that is longer than the new one\n");
    std::filesystem::permissions(path, std::filesystem::perms(0644));
    REQUIRE(crmscan::test::permissions_of(path) == 0644U);
    crmscan::write_private_file(path, "new\n");
    CHECK(read_file(path) == "new\n");
    CHECK(crmscan::test::permissions_of(path) == 0600U);
  }
}

TEST_CASE("write_private_file refuses to write through a symbolic link", "[report]") {
  const TempDir dir;
  const auto target = dir / "elsewhere.txt";
  const auto link = dir / "findings.csv";
  write_file(target, "not yours\n");
  std::filesystem::create_symlink(target, link);
  CHECK_THROWS_AS(crmscan::write_private_file(link, "findings\n"), crmscan::Error);
  CHECK(read_file(target) == "not yours\n");
  CHECK(std::filesystem::is_symlink(link));
}

TEST_CASE("redact keeps enough shape to recognise a value, not to read it", "[report]") {
  CHECK(crmscan::redact(" Amelie.Dubois@Example.FR ") == "A***@E***.FR");
  CHECK(crmscan::redact("+44 20 7946 0958") == "+44********58");
  CHECK(crmscan::redact("Am\xC3\xA9lie Dubois") == "A*** D***");
  CHECK(crmscan::redact("\xC3\x89milie Dubois") == "\xC3\x89*** D***");
  CHECK(crmscan::redact("") == "");
}

TEST_CASE("redact never cuts a character of a long text in two", "[report]") {
  // The 80th byte starts a two-byte character.
  const auto text = std::string(78, 'a') + " \xC3\x89milie Dubois called about her order";
  const auto redacted = crmscan::redact(text);
  CHECK(crmscan::test::is_valid_utf8(redacted));
  CHECK_THAT(redacted, !Catch::Contains("Dubois"));
}

TEST_CASE("A finding list past its budget keeps its findings in a file, in order",
          "[report][memory]") {
  const TempDir folder;
  crmscan::FindingList list;
  list.set_budget(0, folder.path().string());
  std::vector<Finding> expected;
  for (int i = 0; i < 50; ++i) {
    auto f = finding("fp" + std::to_string(i), "REQ-" + std::to_string(i % 3), "Task",
                     "00T5g00008ATVXc" + std::to_string(i), i % 2 ? "Description" : "",
                     i % 2 ? Action::kEraseField : Action::kDeleteRecord);
    f.detail = std::string(static_cast<std::size_t>(i) * 7, 'x');
    f.archived = i % 5 == 0;
    f.deleted = i % 7 == 0;
    expected.push_back(f);
    list.push_back(f);
  }
  CHECK(list.spilled());
  CHECK(list.size() == 50);
  CHECK_FALSE(list.empty());
  // Nothing of it has a name in the folder.
  CHECK(std::filesystem::is_empty(folder.path()));
  const auto same = [&](const crmscan::FindingList& findings) {
    std::size_t i = 0;
    for (const auto& f : findings) {
      REQUIRE(i < expected.size());
      CHECK(f.fingerprint == expected[i].fingerprint);
      CHECK(f.request_id == expected[i].request_id);
      CHECK(f.record_id == expected[i].record_id);
      CHECK(f.field == expected[i].field);
      CHECK(f.detail == expected[i].detail);
      CHECK(f.action == expected[i].action);
      CHECK(f.archived == expected[i].archived);
      CHECK(f.deleted == expected[i].deleted);
      ++i;
    }
    CHECK(i == expected.size());
  };
  same(list);
  same(list);  // read again
  const auto copy = list;
  list.set_budget(crmscan::FindingList::kDefaultBudget);
  auto last = finding("last", "REQ-9", "Contact", "0035g00000QxB7kAAF", "", Action::kReview);
  list.push_back(last);
  expected.push_back(last);
  same(list);
  expected.pop_back();
  same(copy);
  const auto found = std::find_if(list.begin(), list.end(),
                                  [](const Finding& f) { return f.fingerprint == "fp17"; });
  REQUIRE(found != list.end());
  CHECK(found->detail.size() == 17 * 7);
  // The same report, in memory or not.
  auto in_memory = base_report();
  auto on_disk = base_report();
  on_disk.findings.set_budget(0, folder.path().string());
  for (const auto& f : expected) {
    in_memory.findings.push_back(f);
    on_disk.findings.push_back(f);
  }
  for (const auto& format : crmscan::report_formats())
    CHECK(render(format.name, in_memory) == render(format.name, on_disk));
}

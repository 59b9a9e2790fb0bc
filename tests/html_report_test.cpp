// The HTML report as written: its file name, counts, escaping of hostile values, and its size
// and speed with 10,000 findings. tests/browser/ checks it as a browser shows it.
#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>
#include <string>

#include "crmscan/report.hpp"
#include "crmscan/reporter.hpp"
#include "support.hpp"

using crmscan::Action;
using crmscan::Finding;
using crmscan::Report;

namespace {

Report small_report() {
  auto report = crmscan::test::test_report("export");
  report.request_ids = {"REQ-1", "REQ-2"};
  Finding contact;
  contact.request_id = "REQ-1";
  contact.object = "Contact";
  contact.record_id = "0035g00000QxB7kAAF";
  contact.category = "contact.record";
  contact.action = Action::kDeleteRecord;
  contact.reason = "identity";
  Finding task = contact;
  task.object = "Task";
  task.record_id = "00T5g00008BCk1aEAD";
  task.reason = "related";
  task.via_object = "Contact";
  task.via_record_id = "0035g00000QxB7kAAF";
  Finding note = contact;
  note.object = "Note";
  note.record_id = "0025g00000NtD2B";
  note.field = "Body";
  note.action = Action::kEraseField;
  note.reason = "text";
  report.findings = {contact, task, note};
  return report;
}

std::string html_of(const Report& report) {
  std::ostringstream out;
  crmscan::make_reporter("html")->write(report, out);
  return out.str();
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

}  // namespace

TEST_CASE("The html format writes report.html; the others findings.<format>", "[report][html]") {
  CHECK(crmscan::make_reporter("html")->file_name() == "report.html");
  CHECK(crmscan::make_reporter("json")->file_name() == "findings.json");
  CHECK(crmscan::make_reporter("csv")->file_name() == "findings.csv");
}

TEST_CASE("The HTML report counts each request's findings by action, and says no data found",
          "[report][html]") {
  const auto page = html_of(small_report());
  CHECK(page.find("<tr data-request-id=\"REQ-1\"><td><a href=\"#request-0\">REQ-1</a></td>"
                  "<td class=\"num\" data-action=\"total\">3</td>"
                  "<td class=\"num\" data-action=\"delete_record\">2</td>"
                  "<td class=\"num\" data-action=\"delete_content\">0</td>"
                  "<td class=\"num\" data-action=\"erase_field\">1</td>"
                  "<td class=\"num\" data-action=\"review\">0</td>"
                  "<td class=\"num\" data-decided>0</td><td></td><td></td></tr>") !=
        std::string::npos);
  CHECK(page.find("REQ-2: no data found") != std::string::npos);
  CHECK(page.find("Scan COMPLETE") != std::string::npos);
  // The record that led to the Task travels with it, for the graph.
  CHECK(page.find("\"related\",\"\",\"\",\"\",false,false,\"\",\"\",\"Contact\","
                  "\"0035g00000QxB7kAAF\",\"\"]") != std::string::npos);
}

TEST_CASE("An incomplete scan's HTML report says so and lists the errors", "[report][html]") {
  auto report = small_report();
  report.errors.push_back({"Task", "Task.csv:7: unterminated quote; the row was not read"});
  const auto page = html_of(report);
  CHECK(page.find("Scan INCOMPLETE: 1 error(s)") != std::string::npos);
  CHECK(page.find("Task: Task.csv:7: unterminated quote") != std::string::npos);
  CHECK(page.find("Scan COMPLETE") == std::string::npos);
}

TEST_CASE("No value in the HTML report can open an element or run as script", "[report][html]") {
  auto report = small_report();
  const std::string hostile = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>";
  report.request_ids = {hostile};
  report.source = hostile;
  report.notes = {hostile};
  auto findings = report.findings;
  report.findings.clear();
  for (auto f : findings) {
    f.request_id = hostile;
    f.object = hostile;
    f.record_id = hostile + "\xE2\x80\xA8" + "\xFF";  // U+2028, and a byte that is not UTF-8
    f.detail = hostile;
    f.preview = hostile;
    f.via_object = f.via_object.empty() ? "" : hostile;
    report.findings.push_back(f);
  }
  const auto page = html_of(report);
  // The page's own two script elements (its data and its code), and nothing else.
  CHECK(count_of(page, "<script") == 2);
  CHECK(count_of(page, "</script") == 2);
  CHECK(count_of(page, "<img") == 0);
  CHECK(count_of(page, "<!--") == 0);
  CHECK(page.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(page.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)") != std::string::npos);
  CHECK(crmscan::test::is_valid_utf8(page));
  // Only the page's own script and style may run, and nothing may be fetched.
  CHECK(page.find("default-src 'none'; script-src 'sha256-") != std::string::npos);
}

TEST_CASE("An HTML report of 10,000 findings is written in a moment and stays small",
          "[report][html]") {
  auto report = small_report();
  report.findings.clear();
  for (int i = 0; i < 10000; ++i) {
    Finding f;
    f.request_id = i % 2 ? "REQ-1" : "REQ-2";
    f.object = "Task";
    f.record_id = "00T5g00008B" + std::to_string(1000000 + i);
    f.category = "call.activity";
    f.action = i % 3 ? Action::kDeleteRecord : Action::kReview;
    f.reason = "related";
    f.rule = "task-call-who";
    f.detail = "WhoId points to Contact 0035g00000QxB7kAAF";
    f.confidence = "high";
    f.preview = "0***";
    f.location = "Task.csv:" + std::to_string(i + 2);
    f.via_object = "Contact";
    f.via_record_id = "0035g00000QxB7kAAF";
    report.findings.push_back(f);
  }
  const auto started = std::chrono::steady_clock::now();
  const auto page = html_of(report);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < std::chrono::seconds(2));
  INFO("page of " << page.size() << " bytes");
  CHECK(page.size() < 4 * 1024 * 1024);
  CHECK(page.find("data-action=\"total\">5000</td>") != std::string::npos);
}

// The full read's traversal: an object is read again when a record read before something was
// reached holds what was reached, and only then.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/memory_connector.hpp"
#include "support.hpp"

namespace {

const std::string kCall = "5f0c1b9e-8d2a-4c7e-9b1f-3a6d2e8c4b10";
const std::string kOtherCall = "a2e4c6d8-1b3f-4a5c-8e7d-9f0b2c4d6e81";

// `adapt`: the threads used only while the cores hand data over quickly, as without --jobs.
crmscan::Report scan(crmscan::MemoryConnector& connector, std::size_t jobs = 1,
                     bool adapt = false) {
  static const auto kRules =
      crmscan::RuleSet::load({crmscan::test::source_path("tests/fixtures/traversal-rules.yaml")});
  const crmscan::SubjectSet subjects({{"REQ-1", {}, {"+44 20 7946 0958"}, {}, {}, "test"}}, "GB");
  crmscan::ScanOptions options;
  options.full_read = true;
  options.jobs = jobs;
  options.adapt_jobs = adapt;
  return crmscan::run_scan(connector, kRules, subjects, options);
}

// The subject's call Task: the caller's number in its Subject, the call's key.
void add_subject_call(crmscan::MemoryConnector& connector, const std::string& id) {
  connector.add("Task",
                {{"Id", id}, {"Subject", "Call from 020 7946 0958"}, {"CallObject", kCall}});
}

std::string action_on(const crmscan::Report& report, const std::string& object,
                      const std::string& id) {
  for (const auto& f : report.findings) {
    if (f.object == object && f.record_id == id && f.field.empty())
      return std::string(crmscan::to_string(f.action));
  }
  return "none";
}

std::size_t passes(const crmscan::Report& report, const std::string& object) {
  for (const auto& c : report.coverage) {
    if (c.object == object) return c.passes;
  }
  return 0;
}

}  // namespace

TEST_CASE(
    "A record of the call read before the subject's call was reached is found by a read again",
    "[traversal]") {
  crmscan::MemoryConnector connector;
  // Call_Log__c is read before Task (same level, by name).
  connector.add("Call_Log__c", {{"Id", "a0L5g00000Aa1bQAAR"}, {"CallKey__c", kCall}});
  connector.add("Call_Log__c", {{"Id", "a0L5g00000Aa1bRAAR"}, {"CallKey__c", kOtherCall}});
  add_subject_call(connector, "00T5g00008AhdkLEAR");
  connector.add("VoiceCall", {{"Id", "0LQ5g00000Bb2cDGAZ"}, {"VendorCallKey", kCall}});
  const auto report = scan(connector);
  CHECK(action_on(report, "Task", "00T5g00008AhdkLEAR") == "delete_record");
  CHECK(action_on(report, "Call_Log__c", "a0L5g00000Aa1bQAAR") == "delete_record");
  CHECK(action_on(report, "Call_Log__c", "a0L5g00000Aa1bRAAR") == "none");
  CHECK(action_on(report, "VoiceCall", "0LQ5g00000Bb2cDGAZ") == "delete_record");
  CHECK(passes(report, "Call_Log__c") == 2);
  // VoiceCall was read after the call was reached: once is enough.
  CHECK(passes(report, "VoiceCall") == 1);
  CHECK(report.complete());
}

TEST_CASE("An earlier Task of the same call is found by reading Task again", "[traversal]") {
  crmscan::MemoryConnector connector;
  connector.add("Task",
                {{"Id", "00T5g00008AsKz2EAF"}, {"Subject", "Transfer"}, {"CallObject", kCall}});
  add_subject_call(connector, "00T5g00008AhdkLEAR");
  const auto report = scan(connector);
  CHECK(action_on(report, "Task", "00T5g00008AhdkLEAR") == "delete_record");
  CHECK(action_on(report, "Task", "00T5g00008AsKz2EAF") == "delete_record");
  CHECK(passes(report, "Task") == 2);
}

TEST_CASE("An object none of whose records read before holds what was reached is read once",
          "[traversal]") {
  crmscan::MemoryConnector connector;
  connector.add("Call_Log__c", {{"Id", "a0L5g00000Aa1bRAAR"}, {"CallKey__c", kOtherCall}});
  // The subject's call first, then a transfer of the same call: read after, found in one read.
  add_subject_call(connector, "00T5g00008AhdkLEAR");
  connector.add("Task",
                {{"Id", "00T5g00008AsKz2EAF"}, {"Subject", "Transfer"}, {"CallObject", kCall}});
  connector.add(
      "Task", {{"Id", "00T5g00008AXquVEAT"}, {"Subject", "Callback"}, {"CallObject", kOtherCall}});
  const auto report = scan(connector);
  CHECK(action_on(report, "Task", "00T5g00008AsKz2EAF") == "delete_record");
  CHECK(action_on(report, "Task", "00T5g00008AXquVEAT") == "none");
  CHECK(action_on(report, "Call_Log__c", "a0L5g00000Aa1bRAAR") == "none");
  CHECK(passes(report, "Task") == 1);
  CHECK(passes(report, "Call_Log__c") == 1);
}

TEST_CASE("With four threads, a problem the connector reports mid-read leaves the scan incomplete",
          "[traversal][jobs]") {
  crmscan::MemoryConnector connector;
  // Enough Tasks for several batches, the subject's call on both sides of the problem.
  for (int i = 0; i < 700; ++i) {
    if (i == 350) connector.problem_before_next("Task", "Task.csv:352: a row that was not read");
    const auto id = "00T5g0000" + std::to_string(100000 + i) + "AAA";
    if (i == 10 || i == 690) {
      add_subject_call(connector, id);
    } else {
      connector.add("Task", {{"Id", id},
                             {"Subject", "Call " + std::to_string(i)},
                             {"CallObject", "call-" + std::to_string(i)}});
    }
  }
  const auto one = scan(connector, 1);
  const auto four = scan(connector, 4);
  const auto adapting = scan(connector, 4, true);
  for (const auto* report : {&one, &four, &adapting}) {
    CHECK_FALSE(report->complete());
    REQUIRE(report->errors.size() == 1);
    CHECK(report->errors[0].message == "Task.csv:352: a row that was not read");
    CHECK(action_on(*report, "Task", "00T5g0000100010AAA") == "delete_record");
    CHECK(action_on(*report, "Task", "00T5g0000100690AAA") == "delete_record");
  }
  CHECK(one.findings.size() == four.findings.size());
  CHECK(one.records_read == four.records_read);
  CHECK(one.findings.size() == adapting.findings.size());
  CHECK(one.records_read == adapting.records_read);
}

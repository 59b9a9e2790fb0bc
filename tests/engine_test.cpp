// The scan engine over records served from memory: roots, hops, namesakes, business accounts,
// undeclared references, many requests, incomplete sources and redaction.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/memory_connector.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/text.hpp"
#include "support.hpp"

using crmscan::Action;
using crmscan::Finding;
using crmscan::Report;
using crmscan::ScanOptions;
using crmscan::SubjectRequest;
using crmscan::SubjectSet;

namespace {

using MemoryConnector = crmscan::MemoryConnector;

const crmscan::RuleSet& rules() {
  static const auto kRules =
      crmscan::RuleSet::load({crmscan::test::source_path("tests/fixtures/engine-rules.yaml")});
  return kRules;
}

std::string id18(const std::string& id15) {
  return crmscan::salesforce_id18(id15);
}

// Ids of the records below (the 15-character forms; records carry the 18-character ones).
const std::string kContact15 = "0035g00000QxB7k";   // the subject's Contact
const std::string kNamesake15 = "0035g00000qXb7K";  // differs only in letter case
const std::string kColleague15 = "0035g00005KwTcC";
const std::string kAcme15 = "0015g0000FOBVrX";  // a business Account
const std::string kTask15 = "00T5g00008AhdkL";
const std::string kNamesakeTask15 = "00T5g00008AsKz2";
const std::string kColleagueTask15 = "00T5g00008AXquV";

SubjectRequest amelie() {
  return {
      "REQ-1001", {"amelie.dubois@example.fr"}, {"+44 20 7946 0958"}, {"Am\xC3\xA9lie Dubois"}, {},
      "test"};
}

// The subject's Contact at a business Account, a namesake, a colleague, their Tasks and the call
// summaries that point to the Tasks by their 15-character ids.
void add_people(MemoryConnector& connector) {
  connector.add("Contact", {{"Id", id18(kContact15)},
                            {"FirstName", "Am\xC3\xA9lie"},
                            {"LastName", "Dubois"},
                            {"Email", " Amelie.Dubois@Example.FR "},
                            {"Phone", "020 7946 0958"},
                            {"AccountId", id18(kAcme15)},
                            {"IsPersonAccount", "false"}});
  connector.add("Contact", {{"Id", id18(kNamesake15)},
                            {"FirstName", "Amelie"},
                            {"LastName", "Dubois"},
                            {"Email", "amelie.dubois@brightwater.example"},
                            {"Phone", "020 7946 0777"},
                            {"IsPersonAccount", "false"}});
  connector.add("Contact", {{"Id", id18(kColleague15)},
                            {"FirstName", "Priya"},
                            {"LastName", "Shah"},
                            {"Email", "priya.shah@acme.example"},
                            {"AccountId", id18(kAcme15)},
                            {"IsPersonAccount", "false"}});
  connector.add("Task",
                {{"Id", id18(kTask15)}, {"WhoId", id18(kContact15)}, {"Subject", "Inbound call"}});
  connector.add("Task",
                {{"Id", id18(kNamesakeTask15)}, {"WhoId", id18(kNamesake15)}, {"Subject", "Call"}});
  connector.add(
      "Task",
      {{"Id", id18(kColleagueTask15)}, {"WhoId", id18(kColleague15)}, {"WhatId", id18(kAcme15)}});
  connector.add("Call_Summary__c", {{"Id", id18("a0C5g00008Iv1nz")}, {"TaskID__c", kTask15}});
  connector.add("Call_Summary__c",
                {{"Id", id18("a0C5g00008IzEwG")}, {"TaskID__c", kNamesakeTask15}});
  connector.add("Call_Summary__c",
                {{"Id", id18("a0C5g00008IvkAf")}, {"TaskID__c", kColleagueTask15}});
}

Report scan(MemoryConnector& connector, const std::vector<SubjectRequest>& requests,
            bool show_values = false) {
  const SubjectSet subjects(requests, "GB");
  ScanOptions options;
  options.show_values = show_values;
  return crmscan::run_scan(connector, rules(), subjects, options);
}

std::vector<const Finding*> findings_for(const Report& report, const std::string& object,
                                         const std::string& id15) {
  std::vector<const Finding*> found;
  for (const auto& f : report.findings) {
    if (f.object == object && crmscan::record_id_key(f.record_id) == crmscan::record_id_key(id15)) {
      found.push_back(&f);
    }
  }
  return found;
}

// The record-level finding of one request on a record, or null.
const Finding* record_finding(const Report& report, const std::string& request,
                              const std::string& object, const std::string& id15) {
  for (const auto* f : findings_for(report, object, id15)) {
    if (f->request_id == request && f->field.empty()) return f;
  }
  return nullptr;
}

std::string action_of(const Finding* finding) {
  return finding == nullptr ? "none" : std::string(crmscan::to_string(finding->action));
}

}  // namespace

TEST_CASE("A subject's record is found by email, whatever its case and spaces", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const auto report =
      scan(connector, {{"REQ-1", {"AMELIE.DUBOIS@example.fr"}, {}, {}, {}, "test"}});
  const auto* contact = record_finding(report, "REQ-1", "Contact", kContact15);
  REQUIRE(contact != nullptr);
  CHECK(action_of(contact) == "delete_record");
  CHECK(contact->reason == "identity");
  CHECK(contact->rule == "contact-email");
  CHECK(contact->record_id == id18(kContact15));
  CHECK(contact->category == "contact.record");
  CHECK(contact->location == "Contact.memory:2");
  CHECK(findings_for(report, "Contact", kNamesake15).empty());
  CHECK(findings_for(report, "Contact", kColleague15).empty());
  CHECK(report.complete());
}

TEST_CASE("A subject's record is found by a phone number written another way", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const auto report = scan(connector, {{"REQ-1", {}, {"+44 (0)20 7946 0958"}, {}, {}, "test"}});
  const auto* contact = record_finding(report, "REQ-1", "Contact", kContact15);
  REQUIRE(contact != nullptr);
  CHECK(action_of(contact) == "delete_record");
  CHECK(contact->rule == "contact-phone");
  CHECK(findings_for(report, "Contact", kNamesake15).empty());
}

TEST_CASE("A record asked for by its 15-character id is found under its 18-character id",
          "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const auto report = scan(connector, {{"REQ-1", {}, {}, {}, {kContact15}, "test"}});
  const auto* contact = record_finding(report, "REQ-1", "Contact", kContact15);
  REQUIRE(contact != nullptr);
  CHECK(action_of(contact) == "delete_record");
  CHECK(contact->rule == "request-id");
  CHECK(action_of(record_finding(report, "REQ-1", "Task", kTask15)) == "delete_record");
  // The namesake's id differs only in letter case: another record.
  CHECK(findings_for(report, "Contact", kNamesake15).empty());
}

TEST_CASE("Records are followed over several hops, to a 15-character id in a text field",
          "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const auto report =
      scan(connector, {{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}});
  CHECK(action_of(record_finding(report, "REQ-1", "Contact", kContact15)) == "delete_record");
  const auto* task = record_finding(report, "REQ-1", "Task", kTask15);
  REQUIRE(task != nullptr);
  CHECK(action_of(task) == "delete_record");
  CHECK(task->rule == "task-who");
  CHECK(task->reason == "related");
  // Each record says which record of hers led to it: the path a reviewer can follow back.
  CHECK(task->via_object == "Contact");
  CHECK(crmscan::record_id_key(task->via_record_id) == crmscan::record_id_key(kContact15));
  CHECK(record_finding(report, "REQ-1", "Contact", kContact15)->via_object.empty());
  const auto* summary = record_finding(report, "REQ-1", "Call_Summary__c", "a0C5g00008Iv1nz");
  REQUIRE(summary != nullptr);
  CHECK(action_of(summary) == "delete_record");
  CHECK(summary->rule == "call-summary-task");
  CHECK(summary->via_object == "Task");
  // Nothing of the namesake's or the colleague's.
  CHECK(findings_for(report, "Task", kNamesakeTask15).empty());
  CHECK(findings_for(report, "Task", kColleagueTask15).empty());
  CHECK(findings_for(report, "Call_Summary__c", "a0C5g00008IzEwG").empty());
  CHECK(findings_for(report, "Call_Summary__c", "a0C5g00008IvkAf").empty());
}

TEST_CASE("A namesake and what hangs off it are only ever to review", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const auto report = scan(connector, {amelie()});
  // The subject's own records are still deleted.
  CHECK(action_of(record_finding(report, "REQ-1001", "Contact", kContact15)) == "delete_record");
  const auto* namesake = record_finding(report, "REQ-1001", "Contact", kNamesake15);
  REQUIRE(namesake != nullptr);
  CHECK(action_of(namesake) == "review");
  CHECK(namesake->reason == "name");
  CHECK(namesake->confidence == "low");
  for (const auto& [object, id] :
       std::vector<std::pair<std::string, std::string>>{{"Contact", kNamesake15},
                                                        {"Task", kNamesakeTask15},
                                                        {"Call_Summary__c", "a0C5g00008IzEwG"}}) {
    for (const auto* f : findings_for(report, object, id)) {
      INFO(object << " " << id << " field '" << f->field << "' rule " << f->rule);
      CHECK(action_of(f) == "review");
    }
  }
}

TEST_CASE("A business Account that the subject's Contact belongs to is not deleted", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  connector.add("Account",
                {{"Id", id18(kAcme15)},
                 {"Name", "Acme Logistics Ltd"},
                 {"IsPersonAccount", "false"},
                 {"PersonEmail", ""},
                 {"Description", "Key account. Ask for amelie.dubois@example.fr about invoices."}});
  const auto report = scan(connector, {amelie()});
  REQUIRE(action_of(record_finding(report, "REQ-1001", "Contact", kContact15)) == "delete_record");
  for (const auto* f : findings_for(report, "Account", kAcme15)) {
    INFO("Account finding on field '" << f->field << "' rule " << f->rule);
    CHECK(f->action != Action::kDeleteRecord);
  }
  // What names her there is erased; the record stays.
  const auto account = findings_for(report, "Account", kAcme15);
  const bool description_erased = std::any_of(account.begin(), account.end(), [](const Finding* f) {
    return f->field == "Description" && f->action == Action::kEraseField;
  });
  CHECK(description_erased);
  // The colleague's Task on the business Account is not hers.
  CHECK(findings_for(report, "Task", kColleagueTask15).empty());
}

TEST_CASE("A person Account is deleted, found by identity or through its person Contact",
          "[engine]") {
  MemoryConnector connector;
  const std::string by_email = "0015g0000FOJgY3";
  const std::string by_contact = "0015g0000FOJgY4";
  connector.add("Account", {{"Id", id18(by_email)},
                            {"IsPersonAccount", "true"},
                            {"PersonEmail", "siobhan.oneill@example.com"}});
  connector.add("Account",
                {{"Id", id18(by_contact)}, {"IsPersonAccount", "true"}, {"PersonEmail", ""}});
  connector.add("Contact", {{"Id", id18("0035g00005L3gxj")},
                            {"Email", "tomas.garcia@example.com"},
                            {"AccountId", id18(by_contact)},
                            {"IsPersonAccount", "true"}});
  const auto report =
      scan(connector, {{"REQ-1003", {"siobhan.oneill@example.com"}, {}, {}, {}, "test"},
                       {"REQ-1002", {"tomas.garcia@example.com"}, {}, {}, {}, "test"}});
  CHECK(action_of(record_finding(report, "REQ-1003", "Account", by_email)) == "delete_record");
  const auto* reached = record_finding(report, "REQ-1002", "Account", by_contact);
  REQUIRE(reached != nullptr);
  CHECK(action_of(reached) == "delete_record");
  CHECK(reached->rule == "contact-person-account");
}

TEST_CASE("An undeclared field holding the 15-character id of the subject's Contact is to review",
          "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  connector.add("Loyalty_Card__c",
                {{"Id", id18("a0L5g00009A3o0W")}, {"Customer_Ref__c", kContact15}});
  connector.add("Loyalty_Card__c",
                {{"Id", id18("a0L5g00009A4YgM")}, {"Customer_Ref__c", kNamesake15}});
  const auto report =
      scan(connector, {{"REQ-1001", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}});
  const auto* card = record_finding(report, "REQ-1001", "Loyalty_Card__c", "a0L5g00009A3o0W");
  REQUIRE(card != nullptr);
  CHECK(action_of(card) == "review");
  CHECK(card->reason == "reference");
  CHECK_THAT(card->detail, Catch::Contains("Customer_Ref__c"));
  CHECK(card->via_object == "Contact");
  // The namesake's card holds an id equal to hers but for letter case: another record.
  CHECK(findings_for(report, "Loyalty_Card__c", "a0L5g00009A4YgM").empty());
}

TEST_CASE("Many requests in one run each get their own findings", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const auto report = scan(connector, {{"REQ-A", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"},
                                       {"REQ-B", {"PRIYA.SHAH@acme.example"}, {}, {}, {}, "test"}});
  CHECK(report.request_ids == std::vector<std::string>{"REQ-A", "REQ-B"});
  CHECK(action_of(record_finding(report, "REQ-A", "Contact", kContact15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-A", "Task", kTask15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-A", "Call_Summary__c", "a0C5g00008Iv1nz")) ==
        "delete_record");
  CHECK(action_of(record_finding(report, "REQ-B", "Contact", kColleague15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-B", "Task", kColleagueTask15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-B", "Call_Summary__c", "a0C5g00008IvkAf")) ==
        "delete_record");
  // No request gets the other's records.
  CHECK(record_finding(report, "REQ-B", "Contact", kContact15) == nullptr);
  CHECK(record_finding(report, "REQ-B", "Task", kTask15) == nullptr);
  CHECK(record_finding(report, "REQ-A", "Contact", kColleague15) == nullptr);
  CHECK(record_finding(report, "REQ-A", "Task", kColleagueTask15) == nullptr);
  for (const auto& f : report.findings) CHECK((f.request_id == "REQ-A" || f.request_id == "REQ-B"));
}

TEST_CASE("Two rows of an export with one id are each decided for the request they hold",
          "[engine]") {
  // An export that repeats an id (two snapshots appended, a row edited and appended again): both
  // rows wait for the holders of their emails, and the second must not take the first's place.
  MemoryConnector connector;
  connector.add("Contact", {{"Id", id18(kColleague15)},
                            {"FirstName", "Priya"},
                            {"LastName", "Shah"},
                            {"Email", "priya.shah@acme.example"}});
  connector.add("Contact", {{"Id", id18(kColleague15)},
                            {"FirstName", "Am\xC3\xA9lie"},
                            {"LastName", "Dubois"},
                            {"Email", "amelie.dubois@example.fr"}});
  const auto report = scan(connector, {{"REQ-A", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"},
                                       {"REQ-B", {"priya.shah@acme.example"}, {}, {}, {}, "test"}});
  const auto* first = record_finding(report, "REQ-B", "Contact", kColleague15);
  const auto* second = record_finding(report, "REQ-A", "Contact", kColleague15);
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  CHECK(action_of(first) == "delete_record");
  CHECK(first->location == "Contact.memory:2");
  CHECK(action_of(second) == "delete_record");
  CHECK(second->location == "Contact.memory:3");
  CHECK(report.complete());
}

TEST_CASE("A row decided at once does not drop the row with the same id that waits", "[engine]") {
  // The first row holds an email, so it waits for the email's holders; the second, with the same
  // id and no email, is the record a request asked for by id and is decided as it is read.
  MemoryConnector connector;
  connector.add("Contact", {{"Id", id18(kColleague15)},
                            {"FirstName", "Priya"},
                            {"LastName", "Shah"},
                            {"Email", "priya.shah@acme.example"}});
  connector.add("Contact",
                {{"Id", id18(kColleague15)}, {"FirstName", "Priya"}, {"LastName", "Shah"}});
  const auto report = scan(connector, {{"REQ-A", {}, {}, {}, {kColleague15}, "test"},
                                       {"REQ-B", {"priya.shah@acme.example"}, {}, {}, {}, "test"}});
  const auto* by_email = record_finding(report, "REQ-B", "Contact", kColleague15);
  REQUIRE(by_email != nullptr);
  CHECK(action_of(by_email) == "delete_record");
  CHECK(by_email->location == "Contact.memory:2");
  CHECK(action_of(record_finding(report, "REQ-A", "Contact", kColleague15)) == "delete_record");
  CHECK(report.complete());
}

TEST_CASE("A problem reported by the connector makes the scan incomplete", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  connector.problem_before_next(
      "Task", "Task.csv:9: 3 values where the header has 4; the row was not read");
  connector.add("Task", {{"Id", id18("00T5g00008Al3jM")}, {"WhoId", id18(kContact15)}});
  const auto report =
      scan(connector, {{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}});
  CHECK_FALSE(report.complete());
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].object == "Task");
  CHECK_THAT(report.errors[0].message, Catch::Contains("Task.csv:9"));
  // What could be read is still reported.
  CHECK(action_of(record_finding(report, "REQ-1", "Task", kTask15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-1", "Task", "00T5g00008Al3jM")) == "delete_record");
}

TEST_CASE("A scan with no problem is complete", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const auto report = scan(connector, {amelie()});
  CHECK(report.complete());
  CHECK(report.errors.empty());
  CHECK(report.records_read == 9);
  CHECK(report.connector == "memory");
}

TEST_CASE("Previews are redacted unless values are asked for", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  const std::vector<SubjectRequest> requests{
      {"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"},
      {"REQ-2", {}, {"020 7946 0777"}, {}, {}, "test"}};
  SECTION("by default") {
    const auto report = scan(connector, requests);
    CHECK_FALSE(report.show_values);
    const auto* email = record_finding(report, "REQ-1", "Contact", kContact15);
    REQUIRE(email != nullptr);
    REQUIRE(email->rule == "contact-email");
    CHECK_FALSE(email->preview.empty());
    const auto preview = crmscan::ascii_lower(email->preview);
    CHECK_THAT(preview, !Catch::Contains("amelie.dubois") && !Catch::Contains("dubois@"));
    const auto* phone = record_finding(report, "REQ-2", "Contact", kNamesake15);
    REQUIRE(phone != nullptr);
    REQUIRE(phone->rule == "contact-phone");
    CHECK_THAT(phone->preview, !Catch::Contains("7946") && !Catch::Contains("0777"));
  }
  SECTION("with show_values") {
    const auto report = scan(connector, requests, true);
    CHECK(report.show_values);
    const auto* email = record_finding(report, "REQ-1", "Contact", kContact15);
    REQUIRE(email != nullptr);
    CHECK_THAT(crmscan::ascii_lower(email->preview), Catch::Contains("amelie.dubois@example.fr"));
    const auto* phone = record_finding(report, "REQ-2", "Contact", kNamesake15);
    REQUIRE(phone != nullptr);
    CHECK_THAT(phone->preview, Catch::Contains("020 7946 0777"));
  }
}

TEST_CASE("A record kept for legal reasons is reviewed and its personal fields listed for erasure",
          "[engine]") {
  MemoryConnector connector;
  const std::string case15 = "5005g0000IgZvTd";
  connector.add("Case", {{"Id", id18(case15)},
                         {"Subject", "Table not delivered"},
                         {"SuppliedName",
                          "Tom\xC3\xA1s Garc\xC3\xAD"
                          "a"},
                         {"SuppliedEmail", "Tomas.Garcia@example.com"},
                         {"SuppliedPhone", ""},
                         {"SuppliedCompany", "Garcia Joinery"}});
  const auto report =
      scan(connector, {{"REQ-1002", {"tomas.garcia@example.com"}, {}, {}, {}, "test"}});
  std::map<std::string, std::string> actions;  // field -> action
  for (const auto* f : findings_for(report, "Case", case15)) actions[f->field] = action_of(f);
  CHECK(actions == std::map<std::string, std::string>{{"", "review"},
                                                      {"SuppliedName", "erase_field"},
                                                      {"SuppliedEmail", "erase_field"},
                                                      {"SuppliedCompany", "review"}});
}

TEST_CASE("Archived and deleted records are found and flagged as such", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  connector.add("Task", {{"Id", id18("00T5g00008ATVXc")},
                         {"WhoId", id18(kContact15)},
                         {"IsArchived", "true"},
                         {"IsDeleted", "false"}});
  connector.add("Task", {{"Id", id18("00T5g00008Adxnl")},
                         {"WhoId", id18(kContact15)},
                         {"IsArchived", "false"},
                         {"IsDeleted", "1"}});
  const auto report =
      scan(connector, {{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}});
  const auto* archived = record_finding(report, "REQ-1", "Task", "00T5g00008ATVXc");
  const auto* deleted = record_finding(report, "REQ-1", "Task", "00T5g00008Adxnl");
  REQUIRE(archived != nullptr);
  REQUIRE(deleted != nullptr);
  CHECK(action_of(archived) == "delete_record");
  CHECK(archived->archived);
  CHECK_FALSE(archived->deleted);
  CHECK(action_of(deleted) == "delete_record");
  CHECK(deleted->deleted);
  CHECK_FALSE(deleted->archived);
  const auto* live = record_finding(report, "REQ-1", "Task", kTask15);
  REQUIRE(live != nullptr);
  CHECK_FALSE(live->archived);
  CHECK_FALSE(live->deleted);
  const auto task =
      std::find_if(report.coverage.begin(), report.coverage.end(),
                   [](const crmscan::ObjectCoverage& c) { return c.object == "Task"; });
  REQUIRE(task != report.coverage.end());
  CHECK(task->records == 5);
  CHECK(task->archived == 1);
  CHECK(task->deleted == 1);
}

TEST_CASE("Values shown in previews are never cut inside a character", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  // The reference, then text whose 200th byte starts a two-byte character.
  const std::string value = kContact15 + " " + std::string(183, 'x') + "\xC3\xA9t\xC3\xA9 card";
  REQUIRE(static_cast<unsigned char>(value[199]) == 0xC3);
  connector.add("Loyalty_Card__c", {{"Id", id18("a0L5g00009A3o0W")}, {"Customer_Ref__c", value}});
  const auto report =
      scan(connector, {{"REQ-1001", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}}, true);
  const auto* card = record_finding(report, "REQ-1001", "Loyalty_Card__c", "a0L5g00009A3o0W");
  REQUIRE(card != nullptr);
  CHECK_THAT(card->preview, Catch::StartsWith(kContact15));
  CHECK(crmscan::test::is_valid_utf8(card->preview));
}

TEST_CASE("A call is found by the caller's number written in its Subject or in a CLI field",
          "[engine]") {
  MemoryConnector connector;
  connector.add("Task", {{"Id", id18("00T5g00008AloBg")},
                         {"Subject", "Inbound call from 0044 20 7946 0958"}});
  connector.add(
      "Task", {{"Id", id18("00T5g00008Ap4ew")}, {"Subject", "Order ref 4402079460958123 shipped"}});
  connector.add("Task",
                {{"Id", id18("00T5g00008Auf12")}, {"Subject", "Inbound call from 020 7946 0959"}});
  connector.add("Call_Summary__c", {{"Id", id18("a0C5g00008IvkAf")}, {"CLID__c", "442079460958"}});
  connector.add("Call_Summary__c", {{"Id", id18("a0C5g00008IzEwG")}, {"CLID__c", "442079460959"}});
  const auto report = scan(connector, {{"REQ-1001", {}, {"+44 20 7946 0958"}, {}, {}, "test"}});
  const auto* call = record_finding(report, "REQ-1001", "Task", "00T5g00008AloBg");
  REQUIRE(call != nullptr);
  CHECK(action_of(call) == "delete_record");
  CHECK(call->rule == "task-subject-number");
  CHECK(action_of(record_finding(report, "REQ-1001", "Call_Summary__c", "a0C5g00008IvkAf")) ==
        "delete_record");
  // Digits inside a longer reference, and a number one digit off, are not hers.
  CHECK(findings_for(report, "Task", "00T5g00008Ap4ew").empty());
  CHECK(findings_for(report, "Task", "00T5g00008Auf12").empty());
  CHECK(findings_for(report, "Call_Summary__c", "a0C5g00008IzEwG").empty());
}

TEST_CASE("A caller's number after a date at the start of a Subject is still found", "[engine]") {
  MemoryConnector connector;
  connector.add(
      "Task", {{"Id", id18("00T5g00008AhdkL")}, {"Subject", "2024-03-14 09:31 +44 20 7946 0958"}});
  connector.add(
      "Task", {{"Id", id18("00T5g00008Al3jM")}, {"Subject", "2024-03-14T09:31:07Z 020 7946 0958"}});
  connector.add("Task", {{"Id", id18("00T5g00008An7MM")},
                         {"Subject", "Call 2024-03-14 09:31 +44 20 7946 0958"}});
  const auto report = scan(connector, {{"REQ-1001", {}, {"+44 20 7946 0958"}, {}, {}, "test"}});
  // The control: the same Subject with a word before the date.
  REQUIRE(action_of(record_finding(report, "REQ-1001", "Task", "00T5g00008An7MM")) ==
          "delete_record");
  CHECK(action_of(record_finding(report, "REQ-1001", "Task", "00T5g00008AhdkL")) ==
        "delete_record");
  CHECK(action_of(record_finding(report, "REQ-1001", "Task", "00T5g00008Al3jM")) ==
        "delete_record");
}

TEST_CASE("A number written nationally with digits its international form lacks is still found",
          "[engine]") {
  // In Argentina a mobile is +54 9 11 …, dialled at home as 011 15 ….
  const crmscan::PhoneNormalizer argentina({"AR"});
  REQUIRE(argentina.parse("011 15-2345-6789", "AR") == "+5491123456789");
  MemoryConnector connector;
  connector.add("Call_Summary__c",
                {{"Id", id18("a0C5g00008IvkAf")}, {"CLID__c", "011 15-2345-6789"}});
  connector.add("Task",
                {{"Id", id18("00T5g00008AhdkL")}, {"Subject", "Call from 011 15-2345-6789"}});
  connector.add("Task",
                {{"Id", id18("00T5g00008Al3jM")}, {"Subject", "Call from +54 9 11 2345-6789"}});
  const auto report = scan(connector, {{"REQ-7", {}, {"+54 9 11 2345-6789"}, {}, {}, "test"}});
  REQUIRE(action_of(record_finding(report, "REQ-7", "Task", "00T5g00008Al3jM")) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-7", "Call_Summary__c", "a0C5g00008IvkAf")) ==
        "delete_record");
  CHECK(action_of(record_finding(report, "REQ-7", "Task", "00T5g00008AhdkL")) == "delete_record");
}

TEST_CASE("A number learned from the subject's Contact is found written as its own country does",
          "[engine]") {
  // The request gives an email only and the scan reads national numbers as British; the Contact
  // holds an American mobile, which calls and call summaries write the American way.
  MemoryConnector connector;
  connector.add("Contact", {{"Id", id18(kContact15)},
                            {"Email", "amelie.dubois@example.fr"},
                            {"MobilePhone", "+1 202 555 0143"},
                            {"IsPersonAccount", "false"}});
  connector.add("Task", {{"Id", id18("00T5g00008AhdkL")}, {"Subject", "Call from (202) 555-0143"}});
  connector.add("Task", {{"Id", id18("00T5g00008Al3jM")}, {"Subject", "Call from (202) 555-0144"}});
  connector.add("Call_Summary__c", {{"Id", id18("a0C5g00008IvkAf")}, {"CLID__c", "2025550143"}});
  const auto report =
      scan(connector, {{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}});
  REQUIRE(action_of(record_finding(report, "REQ-1", "Contact", kContact15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-1", "Task", "00T5g00008AhdkL")) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-1", "Call_Summary__c", "a0C5g00008IvkAf")) ==
        "delete_record");
  CHECK(findings_for(report, "Task", "00T5g00008Al3jM").empty());
}

namespace {

// Every member of a finding, to compare two reports finding by finding.
std::string everything(const Finding& f) {
  std::string text;
  for (const auto* value : {&f.fingerprint, &f.request_id, &f.connector, &f.object, &f.record_id,
                            &f.field, &f.category, &f.reason, &f.rule, &f.detail, &f.confidence,
                            &f.preview, &f.location, &f.via_object, &f.via_record_id}) {
    text += *value + '\x1f';
  }
  return text + std::string(crmscan::to_string(f.action)) + (f.archived ? " archived" : "") +
         (f.deleted ? " deleted" : "");
}

std::vector<std::string> everything(const Report& report) {
  std::vector<std::string> all;
  for (const auto& f : report.findings) all.push_back(everything(f));
  return all;
}

}  // namespace

TEST_CASE("Among two thousand requests, one finds what it finds alone, and what is learned",
          "[engine]") {
  // Two thousand requests, each with its own email, British number and name. Request 1,777's
  // Contact, found by her number, holds an email and an American mobile that no request gives:
  // both are learned after thousands were indexed, and find her Case and her call summary.
  const std::vector<std::string> firsts{"Ana",  "Ben",   "Chloe", "Dev",  "Elif",
                                        "Femi", "Grace", "Hugo",  "Ines", "Jonas"};
  const std::vector<std::string> syllables{"ka", "lo", "mi", "ne", "ro",
                                           "sa", "ti", "vu", "da", "be"};
  const auto name = [&](int i) {
    const auto syllable = [&](int n) { return syllables[static_cast<std::size_t>(n % 10)]; };
    auto last = syllable(i / 10) + syllable(i / 100) + syllable(i / 1'000) + "n";
    last[0] = static_cast<char>(last[0] - 'a' + 'A');
    return firsts[static_cast<std::size_t>(i % 10)] + " " + last;
  };
  const auto number = [](int i) {
    const auto digits = std::to_string(1'000 + i % 1'000).substr(1);
    return i < 1'000 ? "+44 7700 900" + digits : "+44 20 7946 0" + digits;
  };
  std::vector<SubjectRequest> requests;
  for (int i = 0; i < 2'000; ++i) {
    requests.push_back({"REQ-" + std::to_string(10'000 + i),
                        {"person" + std::to_string(i) + "@example.org"},
                        {number(i)},
                        {name(i)},
                        {},
                        "test"});
  }
  const auto& ana = requests[1'777];
  MemoryConnector connector;
  connector.add("Contact", {{"Id", id18(kContact15)},
                            {"Phone", "020 7946 0777"},
                            {"Email", "ana.home@example.net"},
                            {"MobilePhone", "+1 202 555 0143"},
                            {"IsPersonAccount", "false"}});
  connector.add("Case",
                {{"Id", id18("5005g00000AbCdE")}, {"SuppliedEmail", "ana.home@example.net"}});
  connector.add("Case",
                {{"Id", id18("5005g00000AbCdF")}, {"SuppliedEmail", "ana.home@example.com"}});
  connector.add("Call_Summary__c", {{"Id", id18("a0C5g00008IvkAf")}, {"CLID__c", "2025550143"}});
  connector.add("Call_Summary__c", {{"Id", id18("a0C5g00008IvkAg")}, {"CLID__c", "2025550144"}});
  // Look-alikes of her email and number, and a namesake of hers.
  connector.add("Contact", {{"Id", id18(kColleague15)},
                            {"Email", "person1777@example.com"},
                            {"Phone", "020 7946 1777"},
                            {"IsPersonAccount", "false"}});
  const auto words = crmscan::split_list(ana.names[0], ' ');
  connector.add("Contact", {{"Id", id18(kNamesake15)},
                            {"FirstName", words[0]},
                            {"LastName", words[1]},
                            {"IsPersonAccount", "false"}});

  const auto many = scan(connector, requests);
  const auto& id = ana.request_id;
  CHECK(action_of(record_finding(many, id, "Contact", kContact15)) == "delete_record");
  CHECK(action_of(record_finding(many, id, "Case", "5005g00000AbCdE")) == "review");
  CHECK(findings_for(many, "Case", "5005g00000AbCdE").size() >= 2);  // its fields listed
  CHECK(action_of(record_finding(many, id, "Call_Summary__c", "a0C5g00008IvkAf")) ==
        "delete_record");
  CHECK(action_of(record_finding(many, id, "Contact", kNamesake15)) == "review");
  CHECK(findings_for(many, "Case", "5005g00000AbCdF").empty());
  CHECK(findings_for(many, "Call_Summary__c", "a0C5g00008IvkAg").empty());
  CHECK(findings_for(many, "Contact", kColleague15).empty());
  // Hers are the findings she gets when she is the only request.
  const auto alone = scan(connector, {ana});
  std::vector<std::string> hers;
  for (const auto& f : many.findings) {
    if (f.request_id == id) hers.push_back(everything(f));
  }
  CHECK(hers == everything(alone));
  CHECK(many.findings.size() == alone.findings.size());
}

TEST_CASE("A namesake read again is decided again when it holds what was learned since",
          "[engine]") {
  // The Contacts are read in this order. The first two have her name only when first read; her
  // own Contact, read last, gives her mobile, learned, and the Contacts are read again: the
  // second holds that mobile and is hers; the first is still only a namesake.
  MemoryConnector connector;
  connector.add("Contact", {{"Id", id18(kNamesake15)},
                            {"FirstName", "Amelie"},
                            {"LastName", "Dubois"},
                            {"IsPersonAccount", "false"}});
  connector.add("Contact", {{"Id", id18(kColleague15)},
                            {"FirstName", "Amelie"},
                            {"LastName", "Dubois"},
                            {"MobilePhone", "(202) 555-0143"},
                            {"IsPersonAccount", "false"}});
  connector.add("Contact", {{"Id", id18(kContact15)},
                            {"FirstName", "Amelie"},
                            {"LastName", "Dubois"},
                            {"Email", "amelie.dubois@example.fr"},
                            {"MobilePhone", "+1 202 555 0143"},
                            {"IsPersonAccount", "false"}});
  const auto report = scan(connector, {amelie()});
  const auto contacts = std::find_if(report.coverage.begin(), report.coverage.end(),
                                     [](const auto& c) { return c.object == "Contact"; });
  REQUIRE(contacts != report.coverage.end());
  CHECK(contacts->passes >= 2);
  CHECK(action_of(record_finding(report, "REQ-1001", "Contact", kContact15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-1001", "Contact", kColleague15)) == "delete_record");
  CHECK(action_of(record_finding(report, "REQ-1001", "Contact", kNamesake15)) == "review");
  CHECK(findings_for(report, "Contact", kNamesake15).size() == 1);
}

namespace {

std::size_t passes_over(const Report& report, const std::string& object) {
  for (const auto& covered : report.coverage) {
    if (covered.object == object) return covered.passes;
  }
  return 0;
}

}  // namespace

TEST_CASE("What is learned is looked for again where it may be held, in every form, and only there",
          "[engine]") {
  // Read in this order: Accounts, Cases, then Contacts. Her Contact gives a second email and a
  // mobile, learned after the Accounts and the Cases were read. Cases that hold one of
  // them as people write it are read again; those that hold a look-alike and the Accounts (a
  // number one digit longer, another address) are not.
  using Fields = std::vector<std::pair<std::string, std::string>>;
  const auto scan_with = [](const std::vector<std::pair<std::string, Fields>>& cases) {
    MemoryConnector connector;
    connector.add("Account", {{"Id", id18(kAcme15)},
                              {"Name", "Acme Ltd"},
                              {"Phone", "+44 7700 900144"},
                              {"Description", "Call 07700 9001437 or write to home@home.example"}});
    for (const auto& [id15, fields] : cases) {
      Fields record{{"Id", id18(id15)}};
      record.insert(record.end(), fields.begin(), fields.end());
      connector.add("Case", record);
    }
    connector.add("Contact", {{"Id", id18(kContact15)},
                              {"Email", "amelie.dubois@example.fr; amelie@home.example"},
                              {"MobilePhone", "+44 7700 900143"},
                              {"IsPersonAccount", "false"}});
    return scan(connector, {{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}});
  };
  // Found, then look-alikes: a digit more, two swapped, another domain.
  const std::vector<std::pair<std::string, Fields>> numbers{
      {"5005g00000AbCd2", {{"Description", "Call back on 07700 900143 after six"}}},
      {"5005g00000AbCd3", {{"Description", "Mobile: +44 (0)7700-900-143"}}},
      {"5005g00000AbCd5", {{"Description", "Mobile 07700\n900143 (home)"}}},
      {"5005g00000AbCd6", {{"Description", "Call back on 07700 9001431"}}},
      {"5005g00000AbCd7", {{"Description", "Ref 07700900134"}}}};
  const std::vector<std::pair<std::string, Fields>> emails{
      {"5005g00000AbCd1", {{"SuppliedEmail", "Amelie+Crm@HOME.example"}}},
      {"5005g00000AbCd4", {{"Description", "She wrote from <amelie@home.example>."}}},
      {"5005g00000AbCd8", {{"SuppliedEmail", "amelie@home.example.org"}}}};
  for (const auto* cases : {&numbers, &emails}) {
    // Each Case alone, then all of them: what one holds is no reason to read it again for another.
    for (const auto& one : *cases) {
      const auto& [id15, fields] = one;
      INFO(id15 << " " << fields[0].second);
      const bool look_alike = id15 >= "5005g00000AbCd6";
      const auto report = scan_with({one});
      REQUIRE(action_of(record_finding(report, "REQ-1", "Contact", kContact15)) == "delete_record");
      CHECK(findings_for(report, "Case", id15).empty() == look_alike);
      CHECK(passes_over(report, "Case") == (look_alike ? 1 : 2));
    }
    const auto report = scan_with(*cases);
    CHECK(findings_for(report, "Account", kAcme15).empty());
    CHECK(passes_over(report, "Case") == 2);
    CHECK(passes_over(report, "Account") == 1);
  }
}

TEST_CASE("A number learned later is looked for in fields that hold it as a number, not text",
          "[engine]") {
  // An NDJSON export writes some phone fields as JSON numbers. A Contact with no name, read
  // before hers, holds her mobile so: the Contacts are read again, and it is found.
  MemoryConnector connector;
  connector.add_values(
      "Contact",
      {{"Id", id18(kColleague15)}, {"MobilePhone", 7400123456.0}, {"IsPersonAccount", "false"}}, 2);
  connector.add("Contact", {{"Id", id18(kContact15)},
                            {"Email", "amelie.dubois@example.fr"},
                            {"MobilePhone", "+44 7400 123456"},
                            {"IsPersonAccount", "false"}});
  const auto report =
      scan(connector, {{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}});
  CHECK(action_of(record_finding(report, "REQ-1", "Contact", kContact15)) == "delete_record");
  CHECK(passes_over(report, "Contact") == 2);
  CHECK(record_finding(report, "REQ-1", "Contact", kColleague15) != nullptr);
}

TEST_CASE("A number learned in another country reads her records again for its national forms",
          "[engine]") {
  // No default region: her first Contact's "020 7946 0958" is no number until the second, read
  // after it, teaches a British mobile. Read again in Britain, the first teaches its number,
  // and the call Task that holds it is hers.
  MemoryConnector connector;
  connector.add("Contact", {{"Id", id18(kContact15)},
                            {"Email", "amelie.dubois@example.fr"},
                            {"Phone", "020 7946 0958"},
                            {"IsPersonAccount", "false"}});
  connector.add("Contact", {{"Id", id18(kColleague15)},
                            {"Email", "amelie.dubois@example.fr"},
                            {"MobilePhone", "+44 7400 123456"},
                            {"IsPersonAccount", "false"}});
  connector.add("Task", {{"Id", id18(kTask15)}, {"Subject", "Inbound call 020 7946 0958"}});
  const SubjectSet subjects({{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}}, "");
  const auto report = crmscan::run_scan(connector, rules(), subjects, ScanOptions{});
  CHECK(action_of(record_finding(report, "REQ-1", "Task", kTask15)) == "delete_record");
}

TEST_CASE("Findings written out past the memory budget come back the same, merged", "[engine]") {
  MemoryConnector connector;
  add_people(connector);
  // A person Account read before the Contact: its Description mentions the request's email (a
  // field to erase) before the Contact's second email, learned, makes it a record to delete on
  // a later pass; the field finding is then superseded by the record's.
  const std::string account15 = "0015g0000FOJgY9";
  connector.add("Account", {{"Id", id18(account15)},
                            {"IsPersonAccount", "true"},
                            {"PersonEmail", "amelie@home.example"},
                            {"Description", "Ask amelie.dubois@example.fr first"}});
  connector.add("Contact", {{"Id", id18("0035g00000QxC9a")},
                            {"FirstName", "Am\xC3\xA9lie"},
                            {"LastName", "D."},
                            {"Email", "amelie.dubois@example.fr; amelie@home.example"},
                            {"IsPersonAccount", "false"}});
  const std::vector<SubjectRequest> requests = {
      amelie(), {"REQ-B", {"PRIYA.SHAH@acme.example"}, {}, {}, {}, "test"}};
  const SubjectSet subjects(requests, "GB");
  const crmscan::test::TempDir folder;
  ScanOptions in_memory;
  const auto expected = crmscan::run_scan(connector, rules(), subjects, in_memory);
  REQUIRE_FALSE(expected.findings.spilled());
  CHECK(action_of(record_finding(expected, "REQ-1001", "Account", account15)) == "delete_record");
  const auto account = findings_for(expected, "Account", account15);
  CHECK(std::none_of(account.begin(), account.end(),
                     [](const Finding* f) { return f->field == "Description"; }));

  for (const std::size_t budget : {std::size_t{0}, std::size_t{2000}}) {
    ScanOptions tiny;
    tiny.findings_memory = budget;  // every finding, or a few, a run of its own
    tiny.spill_folder = folder.path().string();
    const auto report = crmscan::run_scan(connector, rules(), subjects, tiny);
    INFO("budget " << budget);
    CHECK(report.findings.spilled());
    CHECK(report.findings.size() == expected.findings.size());
    CHECK(everything(report) == everything(expected));
    // Read twice, the same; and the temporary files have no name in the folder.
    CHECK(everything(report) == everything(expected));
    CHECK(std::filesystem::is_empty(folder.path()));
  }
}

TEST_CASE("A Dataverse lookup written in capitals or braces still points to the subject's record",
          "[engine]") {
  // The Web API writes GUIDs in lower case; exports and hand-made files may not.
  static const auto kDataverse =
      crmscan::RuleSet::load({crmscan::test::source_path("rules/dynamics365/standard.yaml")});
  MemoryConnector connector;
  connector.add("contact", {{"contactid", "6f1d2c3b-8a4e-4f21-9c3d-2b7e5a1f0c9d"},
                            {"firstname", "Am\xC3\xA9lie"},
                            {"lastname", "Dubois"},
                            {"emailaddress1", "amelie.dubois@example.fr"}});
  connector.add("phonecall",
                {{"activityid", "0b9a8c7d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"},
                 {"subject", "Call"},
                 {"_regardingobjectid_value", "{6F1D2C3B-8A4E-4F21-9C3D-2B7E5A1F0C9D}"}});
  // Another person's call: the same hex digits but one.
  connector.add("phonecall",
                {{"activityid", "1c9a8c7d-1e2f-4a3b-8c9d-0e1f2a3b4c5e"},
                 {"subject", "Call"},
                 {"_regardingobjectid_value", "6F1D2C3B-8A4E-4F21-9C3D-2B7E5A1F0C9E"}});
  const SubjectSet subjects({{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}}, "GB");
  for (const std::size_t jobs : {1, 3}) {
    ScanOptions options;
    options.jobs = jobs;
    const auto report = crmscan::run_scan(connector, kDataverse, subjects, options);
    INFO("jobs " << jobs);
    CHECK(action_of(record_finding(report, "REQ-1", "phonecall",
                                   "0b9a8c7d-1e2f-4a3b-8c9d-0e1f2a3b4c5d")) == "delete_record");
    CHECK(findings_for(report, "phonecall", "1c9a8c7d-1e2f-4a3b-8c9d-0e1f2a3b4c5e").empty());
  }
}

TEST_CASE("Values typed as an API gives them (true, a number) are read as their text is",
          "[engine]") {
  // JSON exports and live APIs give booleans and numbers where a CSV export gives text: the
  // conditions, the deleted flag and the identity fields read them the same.
  using crmscan::Value;
  const std::string person15 = "0015g0000FOJgY9", contact15 = "0035g00000QxC9a",
                    caller15 = "0035g00000QxC9b";
  const auto records = [&](bool typed) {
    const auto flag = [&](bool on) {
      return typed ? Value{on} : Value{std::string(on ? "true" : "false")};
    };
    const Value phone = typed ? Value{2079460958.0} : Value{std::string("2079460958")};
    MemoryConnector connector;
    connector.add_values("Account",
                         {{"Id", id18(person15)},
                          {"IsPersonAccount", flag(true)},
                          {"IsDeleted", flag(true)},
                          {"PersonEmail", std::string("amelie.dubois@example.fr")}},
                         2);
    connector.add_values("Contact",
                         {{"Id", id18(contact15)},
                          {"LastName", std::string("Dubois")},
                          {"Email", std::string("amelie.dubois@example.fr")},
                          {"IsPersonAccount", flag(false)}},
                         2);
    connector.add_values("Contact",
                         {{"Id", id18(caller15)},
                          {"LastName", std::string("Caller")},
                          {"Phone", phone},
                          {"IsPersonAccount", flag(false)}},
                         3);
    return connector;
  };
  auto typed = records(true), text = records(false);
  const auto from_typed = scan(typed, {amelie()}), from_text = scan(text, {amelie()});
  CHECK(everything(from_typed) == everything(from_text));
  const auto* account = record_finding(from_typed, "REQ-1001", "Account", person15);
  CHECK(action_of(account) == "delete_record");  // IsPersonAccount: true holds
  REQUIRE(account != nullptr);
  CHECK(account->deleted);  // IsDeleted: true
  CHECK(action_of(record_finding(from_typed, "REQ-1001", "Contact", caller15)) != "none");
}

// Never erase a stranger: identifiers that other people or a business hold too, records tied to
// a call only by the call's identifier, undeclared references for every shape of record id, and
// the company's own people. Each case runs over records read whole and over lookups.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/memory_connector.hpp"
#include "crmscan/normalize.hpp"
#include "support.hpp"

using crmscan::Finding;
using crmscan::MemoryConnector;
using crmscan::Report;
using crmscan::SubjectRequest;

namespace {

const crmscan::RuleSet& rules() {
  static const auto kRules =
      crmscan::RuleSet::load({crmscan::test::source_path("tests/fixtures/stranger-rules.yaml")});
  return kRules;
}

Report scan(MemoryConnector& connector, const crmscan::RuleSet& rules,
            const std::vector<SubjectRequest>& requests, bool lookups) {
  if (lookups) connector.enable_lookups();
  const crmscan::SubjectSet subjects(requests, "GB");
  return crmscan::run_scan(connector, rules, subjects, crmscan::ScanOptions{});
}

// The action of the record-level finding on a record ("none" without one).
std::string action_on(const Report& report, const std::string& object, const std::string& id) {
  for (const auto& f : report.findings) {
    if (f.object == object && f.field.empty() &&
        crmscan::record_id_key(f.record_id) == crmscan::record_id_key(id))
      return std::string(crmscan::to_string(f.action));
  }
  return "none";
}

const Finding* finding_on(const Report& report, const std::string& object, const std::string& id,
                          const std::string& field = "") {
  for (const auto& f : report.findings) {
    if (f.object == object && f.field == field &&
        crmscan::record_id_key(f.record_id) == crmscan::record_id_key(id))
      return &f;
  }
  return nullptr;
}

SubjectRequest amelie() {
  return {"REQ-1", {"amelie.dubois@example.fr"}, {"020 7946 0958"}, {}, {}, "test"};
}

// Amélie's Contact and her husband's, who share the household landline; the husband's call.
void add_household(MemoryConnector& connector) {
  connector.add("Contact", {{"Id", "0035g00000JEAN1"},
                            {"FirstName", "Jean"},
                            {"LastName", "Dubois"},
                            {"Email", "jean.dubois@example.fr"},
                            {"Phone", "+44 20 7946 0958"}});
  connector.add("Contact", {{"Id", "0035g00000AMEL1"},
                            {"FirstName", "Am\xC3\xA9lie"},
                            {"LastName", "Dubois"},
                            {"Email", "amelie.dubois@example.fr"},
                            {"Phone", "020 7946 0958"},
                            {"MobilePhone", "07400 123456"}});
  connector.add("Task", {{"Id", "00T5g00000JEAN2"},
                         {"WhoId", "0035g00000JEAN1"},
                         {"Subject", "Call about his order"}});
  connector.add("Task", {{"Id", "00T5g00000AMEL2"},
                         {"WhoId", "0035g00000AMEL1"},
                         {"Subject", "Call about her order"}});
  connector.add("Task", {{"Id", "00T5g00000HOME3"}, {"Subject", "Inbound call 020 7946 0958"}});
  connector.add("Task", {{"Id", "00T5g00000MOBI4"}, {"Subject", "Outbound call +447400123456"}});
}

}  // namespace

TEST_CASE("A number that another person's record holds too gives only reviews, with no cascade",
          "[engine][stranger]") {
  const bool lookups = GENERATE(false, true);
  MemoryConnector connector;
  add_household(connector);
  const auto report = scan(connector, rules(), {amelie()}, lookups);
  INFO("lookups: " << lookups);
  // Her own Contact is hers by her email: deleted, and what hangs off it with it.
  CHECK(action_on(report, "Contact", "0035g00000AMEL1") == "delete_record");
  CHECK(action_on(report, "Task", "00T5g00000AMEL2") == "delete_record");
  // Her mobile (in an allocated range: a number that can be no other), learned from her
  // Contact, is hers alone: its call is hers.
  CHECK(action_on(report, "Task", "00T5g00000MOBI4") == "delete_record");
  // The landline is the household's: her husband's Contact is only to review, and says why.
  const auto* husband = finding_on(report, "Contact", "0035g00000JEAN1");
  REQUIRE(husband != nullptr);
  CHECK(crmscan::to_string(husband->action) == "review");
  CHECK(husband->reason == "shared");
  CHECK(husband->detail.find("other people's records") != std::string::npos);
  // A call to the landline may be his: review, not delete.
  CHECK(action_on(report, "Task", "00T5g00000HOME3") == "review");
  // Nothing hangs off a record reached only through a shared number.
  CHECK(action_on(report, "Task", "00T5g00000JEAN2") == "none");
  CHECK(report.complete());
}

TEST_CASE("A number the request gives that a business's record holds gives only reviews",
          "[engine][stranger]") {
  const bool lookups = GENERATE(false, true);
  MemoryConnector connector;
  connector.add("Account", {{"Id", "0015g00000ACME1"},
                            {"Name", "Acme Logistics Ltd"},
                            {"IsPersonAccount", "false"},
                            {"Phone", "020 7946 0000"}});
  connector.add("Task", {{"Id", "00T5g00000SWIT1"}, {"Subject", "Inbound call +442079460000"}});
  connector.add("Task", {{"Id", "00T5g00000NOTE2"},
                         {"Subject", "Follow-up"},
                         {"Description", "She called from the switchboard, 020 7946 0000"}});
  const auto report =
      scan(connector, rules(), {{"REQ-2", {}, {"+44 20 7946 0000"}, {}, {}, "test"}}, lookups);
  INFO("lookups: " << lookups);
  const auto* call = finding_on(report, "Task", "00T5g00000SWIT1");
  REQUIRE(call != nullptr);
  CHECK(crmscan::to_string(call->action) == "review");
  CHECK(call->detail.find("a business's records") != std::string::npos);
  const auto* note = finding_on(report, "Task", "00T5g00000NOTE2", "Description");
  REQUIRE(note != nullptr);
  CHECK(crmscan::to_string(note->action) == "review");
  // The business's own record is only to review: a sole trader's number may be the person's.
  CHECK(action_on(report, "Account", "0015g00000ACME1") == "review");
}

TEST_CASE("A number held by one person's records alone, under several spellings, is not shared",
          "[engine][stranger]") {
  const bool lookups = GENERATE(false, true);
  MemoryConnector connector;
  // The same person twice (a duplicate Contact), with the accent typed and not.
  connector.add("Contact", {{"Id", "0035g00000AMEL1"},
                            {"FirstName", "Am\xC3\xA9lie"},
                            {"LastName", "Dubois"},
                            {"Phone", "020 7946 0958"}});
  connector.add("Contact", {{"Id", "0035g00000AMEL9"},
                            {"FirstName", "AMELIE"},
                            {"LastName", "dubois"},
                            {"MobilePhone", "0044 20 7946 0958"}});
  connector.add("Task", {{"Id", "00T5g00000HOME3"}, {"Subject", "Inbound call 020 7946 0958"}});
  const auto report =
      scan(connector, rules(), {{"REQ-3", {}, {"+44 20 7946 0958"}, {}, {}, "test"}}, lookups);
  INFO("lookups: " << lookups);
  CHECK(action_on(report, "Contact", "0035g00000AMEL1") == "delete_record");
  CHECK(action_on(report, "Contact", "0035g00000AMEL9") == "delete_record");
  CHECK(action_on(report, "Task", "00T5g00000HOME3") == "delete_record");
}

TEST_CASE("A phone-only caller's call leads to every record that carries the call's identifier",
          "[engine][stranger]") {
  const bool lookups = GENERATE(false, true);
  MemoryConnector connector;
  connector.add("Task", {{"Id", "00T5g00000CALL1"},
                         {"Subject", "Inbound call from +447700900987"},
                         {"CallObject", "7f3e9c21-55aa-4c1e-9d0b-000000000001"}});
  connector.add("Task", {{"Id", "00T5g00000CALL2"},
                         {"Subject", "Inbound call from 07700 900988"},
                         {"CallObject", "7f3e9c21-55aa-4c1e-9d0b-000000000002"}});
  connector.add("InteractionEvent", {{"Id", "a0A5g00000EVT01"},
                                     {"Name", "Call connected"},
                                     {"CallId", "7f3e9c21-55aa-4c1e-9d0b-000000000001"}});
  connector.add("InteractionEvent", {{"Id", "a0A5g00000EVT02"},
                                     {"Name", "Call connected"},
                                     {"CallId", "7f3e9c21-55aa-4c1e-9d0b-000000000002"}});
  connector.add("InteractionEvent",
                {{"Id", "a0A5g00000EVT03"}, {"Name", "Wrap-up"}, {"CallId", "1"}});
  const auto report =
      scan(connector, rules(), {{"REQ-4", {}, {"+44 7700 900987"}, {}, {}, "test"}}, lookups);
  INFO("lookups: " << lookups);
  CHECK(action_on(report, "Task", "00T5g00000CALL1") == "delete_record");
  const auto* event = finding_on(report, "InteractionEvent", "a0A5g00000EVT01");
  REQUIRE(event != nullptr);
  CHECK(crmscan::to_string(event->action) == "delete_record");
  CHECK(event->reason == "key");
  CHECK(event->rule == "interaction-event-call-key");
  CHECK(event->detail == "CallId holds the call identifier of Task 00T5g00000CALL1");
  // Another caller's call (one digit off) and its event; a key too short to name one call.
  CHECK(action_on(report, "Task", "00T5g00000CALL2") == "none");
  CHECK(action_on(report, "InteractionEvent", "a0A5g00000EVT02") == "none");
  CHECK(action_on(report, "InteractionEvent", "a0A5g00000EVT03") == "none");
}

TEST_CASE("A call identifier of a call that is only to review passes on only a review",
          "[engine][stranger]") {
  MemoryConnector connector;
  connector.add(
      "Account",
      {{"Id", "0015g00000ACME1"}, {"IsPersonAccount", "false"}, {"Phone", "020 7946 0000"}});
  connector.add("Task", {{"Id", "00T5g00000SWIT1"},
                         {"Subject", "Inbound call +442079460000"},
                         {"CallObject", "b1c2d3e4-0000-0000-0000-00000000000a"}});
  connector.add("InteractionEvent",
                {{"Id", "a0A5g00000EVT09"}, {"CallId", "b1c2d3e4-0000-0000-0000-00000000000a"}});
  const auto report =
      scan(connector, rules(), {{"REQ-5", {}, {"+44 20 7946 0000"}, {}, {}, "test"}}, false);
  CHECK(action_on(report, "Task", "00T5g00000SWIT1") == "review");
  // Reached only through a shared number: nothing follows from it, not even a review.
  CHECK(action_on(report, "InteractionEvent", "a0A5g00000EVT09") == "none");
}

TEST_CASE("The company's own people never get findings from the text scan", "[engine][stranger]") {
  MemoryConnector connector;
  connector.add("Contact", {{"Id", "0035g00000AMEL1"},
                            {"FirstName", "Am\xC3\xA9lie"},
                            {"LastName", "Dubois"},
                            {"Email", "amelie.dubois@example.fr"}});
  connector.add("User", {{"Id", "0055g00000AGNT1"},
                         {"Name", "Agent Smith"},
                         {"AboutMe", "Handles amelie.dubois@example.fr and 020 7946 0958"},
                         {"Notes__c", "Customer 0035g00000AMEL1 calls often"}});
  const auto report = scan(connector, rules(), {amelie()}, false);
  CHECK(action_on(report, "Contact", "0035g00000AMEL1") == "delete_record");
  for (const auto& f : report.findings) CHECK(f.object != "User");
}

TEST_CASE("An undeclared reference is found for each shape of record id", "[engine][stranger]") {
  struct Shape {
    std::string ids;
    std::string contact_id;
    std::string reference;      // a field value that holds the Contact's id
    std::string not_reference;  // a field value that only contains its digits or letters
  };
  const auto shape =
      GENERATE(Shape{"salesforce", "0035g00000AMEL1",
                     "see " + crmscan::salesforce_id18("0035g00000AMEL1") + " for her card",
                     "00350000AMEL1x"},
               Shape{"guid", "6f1d2c3b-8a4e-4f21-9c3d-2b7e5a1f0c9d",
                     "Linked to {6F1D2C3B-8A4E-4F21-9C3D-2B7E5A1F0C9D}",
                     "6f1d2c3b-8a4e-4f21-9c3d-2b7e5a1f0c9"},
               Shape{"number", "51017", "51017", "order 51017 shipped"},
               Shape{"key", "C-0001", "C-0001", "C-00011"});
  INFO("ids: " << shape.ids);
  crmscan::test::TempDir folder;
  crmscan::test::write_file(folder / "pack.yaml",
                            "pack: shape-test\ncrm: test\nversion: 1.0.0\nids: " + shape.ids +
                                "\nobjects:\n  Contact:\n    person: true\n    identity:\n"
                                "      - {id: contact-email, kind: email, fields: [Email]}\n");
  const auto shaped_rules = crmscan::RuleSet::load({folder / "pack.yaml"});
  REQUIRE((shaped_rules.id_shape() != crmscan::IdShape::kKey || shape.ids == "key"));
  MemoryConnector connector;
  connector.add("Contact", {{"Id", shape.contact_id}, {"Email", "amelie.dubois@example.fr"}});
  connector.add("Loyalty_Card__c", {{"Id", "LC-1"}, {"Customer_Ref__c", shape.reference}});
  connector.add("Loyalty_Card__c", {{"Id", "LC-2"}, {"Customer_Ref__c", shape.not_reference}});
  const auto report = scan(connector, shaped_rules, {amelie()}, false);
  CHECK(action_on(report, "Contact", shape.contact_id) == "delete_record");
  const auto* card = finding_on(report, "Loyalty_Card__c", "LC-1");
  REQUIRE(card != nullptr);
  CHECK(crmscan::to_string(card->action) == "review");
  CHECK(card->rule == "undeclared-reference");
  CHECK(action_on(report, "Loyalty_Card__c", "LC-2") == "none");
}

TEST_CASE("A kept Case says what to do with it: erase, and clear its link before the Contact goes",
          "[engine][stranger]") {
  const auto salesforce = crmscan::RuleSet::load({crmscan::test::source_path("rules/salesforce")});
  MemoryConnector connector;
  connector.add("Contact", {{"Id", "0035g00000AMEL1"},
                            {"FirstName", "Am\xC3\xA9lie"},
                            {"LastName", "Dubois"},
                            {"Email", "amelie.dubois@example.fr"}});
  connector.add(
      "Case",
      {{"Id", "5005g00000CASE1"}, {"ContactId", "0035g00000AMEL1"}, {"Subject", "Damaged parcel"}});
  const auto report = scan(connector, salesforce, {amelie()}, false);
  CHECK(action_on(report, "Contact", "0035g00000AMEL1") == "delete_record");
  const auto* kept = finding_on(report, "Case", "5005g00000CASE1");
  REQUIRE(kept != nullptr);
  CHECK(crmscan::to_string(kept->action) == "review");
  CHECK_THAT(kept->detail, Catch::Contains("clear ContactId before the Contact is deleted"));
  const auto* link = finding_on(report, "Case", "5005g00000CASE1", "ContactId");
  REQUIRE(link != nullptr);
  CHECK(crmscan::to_string(link->action) == "erase_field");
}

TEST_CASE("A number learned is shared when another person holds it too, whoever is read first",
          "[stranger]") {
  // Her Contact teaches her mobile; Jean Dubois holds the same one (a household's), on a Contact
  // read before hers or on a Lead read after. His record is for review: her own record, which
  // taught the number, is one of its holders although nothing makes it be read again.
  for (const bool lookups : {false, true}) {
    for (const auto* jeans : {"Contact", "Lead"}) {
      INFO("Jean's " << jeans << (lookups ? ", looked up" : ", read whole"));
      MemoryConnector connector;
      const auto jean = [&] {
        connector.add(jeans,
                      {{"Id", std::string(jeans) == "Lead" ? "00Q5g00000JEAN1" : "0035g00000JEAN1"},
                       {"FirstName", "Jean"},
                       {"LastName", "Dubois"},
                       {"Email", "jean.dubois@example.fr"},
                       {"MobilePhone", "07400 123456"}});
      };
      if (std::string(jeans) == "Contact") jean();
      connector.add("Contact", {{"Id", "0035g00000AMEL1"},
                                {"FirstName", "Am\xC3\xA9lie"},
                                {"LastName", "Dubois"},
                                {"Email", "amelie.dubois@example.fr"},
                                {"MobilePhone", "07400 123456"}});
      if (std::string(jeans) == "Lead") jean();
      const auto report =
          scan(connector, rules(), {{"REQ-1", {"amelie.dubois@example.fr"}, {}, {}, {}, "test"}},
               lookups);
      CHECK(action_on(report, "Contact", "0035g00000AMEL1") == "delete_record");
      const auto* his = finding_on(
          report, jeans, std::string(jeans) == "Lead" ? "00Q5g00000JEAN1" : "0035g00000JEAN1");
      REQUIRE(his != nullptr);
      CHECK(crmscan::to_string(his->action) == std::string("review"));
      CHECK(his->reason == "shared");
    }
  }
}

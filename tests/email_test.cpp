// Emails through whole scans: case, sub-addresses, HTML, and names inside other addresses.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/memory_connector.hpp"
#include "support.hpp"

namespace {

const crmscan::RuleSet& rules() {
  static const auto kRules =
      crmscan::RuleSet::load({crmscan::test::source_path("tests/fixtures/precision-rules.yaml")});
  return kRules;
}

crmscan::Report scan(crmscan::MemoryConnector& records, const std::string& email,
                     const std::string& name = "") {
  const crmscan::SubjectSet subjects(
      {{"R1",
        {email},
        {},
        name.empty() ? std::vector<std::string>{} : std::vector{name},
        {},
        "test"}},
      "GB");
  return crmscan::run_scan(records, rules(), subjects, crmscan::ScanOptions{});
}

// "action" of the record's finding on the field ("" for the record), or "none".
std::string action_on(const crmscan::Report& report, const std::string& id,
                      const std::string& field = "") {
  for (const auto& f : report.findings) {
    if (f.record_id == id && f.field == field) return std::string(crmscan::to_string(f.action));
  }
  return "none";
}

const crmscan::Finding* finding_on(const crmscan::Report& report, const std::string& id,
                                   const std::string& field = "") {
  for (const auto& f : report.findings) {
    if (f.record_id == id && f.field == field) return &f;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("An email in another case is the subject's", "[email]") {
  crmscan::MemoryConnector records;
  records.add("Person", {{"Id", "P-1"}, {"Email", " Amelie.Dubois@Example.FR "}});
  records.add("Call", {{"Id", "C-1"}, {"Notes", "Sent to AMELIE.DUBOIS@EXAMPLE.FR"}});
  const auto report = scan(records, "amelie.dubois@example.fr");
  CHECK(action_on(report, "P-1") == "delete_record");
  CHECK(action_on(report, "C-1", "Notes") == "erase_field");
}

TEST_CASE("A sub-addressed variant of the subject's email is for review, never deleted",
          "[email]") {
  crmscan::MemoryConnector records;
  records.add("Person", {{"Id", "P-1"}, {"Email", "amelie.dubois+crm@example.fr"}});
  records.add("Call",
              {{"Id", "C-1"}, {"Notes", "Confirmation sent to Amelie.Dubois+Orders@example.fr"}});
  SECTION("the request gives the address, the data holds a +tag of it") {
    const auto report = scan(records, "amelie.dubois@example.fr");
    const auto* person = finding_on(report, "P-1");
    REQUIRE(person != nullptr);
    CHECK(person->action == crmscan::Action::kReview);
    CHECK_THAT(person->detail, Catch::Contains("+tag"));
    const auto* note = finding_on(report, "C-1", "Notes");
    REQUIRE(note != nullptr);
    CHECK(note->action == crmscan::Action::kReview);
    CHECK_THAT(note->detail, Catch::Contains("not the address given"));
    for (const auto& f : report.findings) CHECK(f.action == crmscan::Action::kReview);
  }
  SECTION("the request gives a +tag, the data holds another") {
    const auto report = scan(records, "amelie.dubois+shop@example.fr");
    CHECK(action_on(report, "P-1") == "review");
    CHECK(action_on(report, "C-1", "Notes") == "review");
  }
  SECTION("the request gives the +tag the data holds: the subject's") {
    const auto report = scan(records, "amelie.dubois+crm@example.fr");
    CHECK(action_on(report, "P-1") == "delete_record");
  }
}

TEST_CASE("Another mailbox that shares the local part or the domain is no one's finding",
          "[email]") {
  crmscan::MemoryConnector records;
  records.add("Person", {{"Id", "P-1"}, {"Email", "amelie.dubois@example.com"}});
  records.add("Person", {{"Id", "P-2"}, {"Email", "amelie.duboisx@example.fr"}});
  records.add("Person", {{"Id", "P-3"}, {"Email", "xamelie.dubois@example.fr"}});
  const auto report = scan(records, "amelie.dubois@example.fr");
  CHECK(report.findings.size() == 0);
}

TEST_CASE("An email written in HTML is found", "[email]") {
  crmscan::MemoryConnector records;
  const std::vector<std::string> notes = {
      "<p>Write to <a href=\"mailto:Amelie.Dubois@example.fr\">her</a></p>",
      "<a href='mailto:amelie.dubois%40example.fr?subject=Order'>mail</a>",
      "Contact: amelie.dubois&#64;example.fr",
      "Contact: amelie&#46;dubois&#x40;example&#46;fr",
      "Contact: amelie.dubois&commat;example.fr",
      "<td>&lt;amelie.dubois@example.fr&gt;</td>",
      "She wrote from 'amelie.dubois@example.fr' yesterday",
  };
  for (std::size_t i = 0; i < notes.size(); ++i)
    records.add("Call", {{"Id", "C-" + std::to_string(i)}, {"Notes", notes[i]}});
  const auto report = scan(records, "amelie.dubois@example.fr");
  for (std::size_t i = 0; i < notes.size(); ++i) {
    INFO(notes[i]);
    CHECK(action_on(report, "C-" + std::to_string(i), "Notes") == "erase_field");
  }
}

TEST_CASE("A name found only inside another person's email address is not a name finding",
          "[email]") {
  crmscan::MemoryConnector records;
  records.add("Call", {{"Id", "C-1"}, {"Notes", "Forwarded to amelie.dubois@othercorp.example"}});
  records.add("Call",
              {{"Id", "C-2"}, {"Notes", "From Am\xC3\xA9lie Dubois <ad@othercorp.example>"}});
  records.add("Call",
              {{"Id", "C-3"}, {"Notes", "cc amelie.dubois@othercorp.example, then Amelie Dubois"}});
  const auto report = scan(records, "amelie.dubois@example.fr", "Am\xC3\xA9lie Dubois");
  CHECK(action_on(report, "C-1", "Notes") == "none");
  // Written as a name, it is one: for review.
  CHECK(action_on(report, "C-2", "Notes") == "review");
  CHECK(action_on(report, "C-3", "Notes") == "review");
}

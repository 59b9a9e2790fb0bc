// Rule packs: strict loading, and errors that point at the file, line and column to fix.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crmscan/error.hpp"
#include "crmscan/pack_tests.hpp"
#include "crmscan/rules.hpp"
#include "support.hpp"

using crmscan::ConfigError;
using crmscan::RuleSet;
using namespace crmscan::test;

namespace {

// A valid pack, one line per entry, so that a test can change one line and know where it is.
std::vector<std::string> base_pack() {
  return {
      "pack: test-pack",                // 1
      "crm: test",                      // 2
      "version: 1.0.0",                 // 3
      "objects:",                       // 4
      "  Contact:",                     // 5
      "    person: true",               // 6
      "    identity:",                  // 7
      "      - id: contact-email",      // 8
      "        kind: email",            // 9
      "        fields: [Email]",        // 10
      "    related:",                   // 11
      "      - id: contact-account",    // 12
      "        via: AccountId",         // 13
      "        to: [Account]",          // 14
      "  Account:",                     // 15
      "    text:",                      // 16
      "      - id: account-text",       // 17
      "        fields: [Description]",  // 18
  };
}

std::string join(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// The 1-based column of `needle` in `line`.
int column_of(const std::string& line, const std::string& needle) {
  const auto at = line.find(needle);
  REQUIRE(at != std::string::npos);
  return static_cast<int>(at) + 1;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

// The message of the ConfigError that loading the pack throws; fails the test if none is thrown.
std::string load_error(const std::string& path) {
  try {
    RuleSet::load({path});
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL_CHECK("loading " << path << " did not throw a ConfigError");
  return "(no ConfigError)";
}

// The base pack in a file of its own, for a test to change and load.
struct PackFile {
  TempDir dir;
  std::string path = dir / "pack.yaml";
  std::vector<std::string> lines = base_pack();
  // Writes the lines as they stand.
  void write() const { write_file(path, join(lines)); }
  // The message of the ConfigError that loading the lines as they stand throws.
  std::string error() const {
    write();
    return load_error(path);
  }
};

}  // namespace

TEST_CASE("A valid pack loads with its objects and rules", "[rules]") {
  const TempDir dir;
  const auto path = dir / "pack.yaml";
  write_file(path, join(base_pack()));
  const auto pack = crmscan::load_rule_pack(path);
  CHECK(pack.id == "test-pack");
  CHECK(pack.crm == "test");
  REQUIRE(pack.objects.size() == 2);
  CHECK(pack.objects[0].object.text() == "Contact");
  REQUIRE(pack.objects[0].identity.size() == 1);
  CHECK(pack.objects[0].identity[0].id == "contact-email");
  CHECK(pack.objects[0].identity[0].mark.where() == path + ":8:9");
  const auto rules = RuleSet::load({path});
  CHECK(rules.is_defined("Contact"));
  CHECK(rules.is_defined("contact"));
  CHECK_FALSE(rules.is_defined("Lead"));
}

TEST_CASE("A pack rewritten between two loads is loaded as it now stands", "[rules]") {
  PackFile pack;
  pack.write();
  const auto before = crmscan::load_rule_pack(pack.path);
  CHECK(RuleSet::load({pack.path}).is_defined("Account"));
  pack.lines.resize(14);  // Contact alone, its relation to Account now pointing at a Lead
  pack.lines[13] = "        to: [Lead]";
  pack.lines.insert(pack.lines.end(), {"  Lead:", "    text:", "      - id: lead-text",
                                       "        fields: [Description]"});
  pack.write();
  const auto after = crmscan::load_rule_pack(pack.path);
  CHECK(after.sha256 != before.sha256);
  REQUIRE(after.objects.size() == 2);
  CHECK(after.objects[1].object.text() == "Lead");
  const auto rules = RuleSet::load({pack.path});
  CHECK(rules.is_defined("Lead"));
  CHECK_FALSE(rules.is_defined("Account"));
  pack.lines[13] = "        to: [Account]";
  CHECK_THAT(pack.error(), Catch::StartsWith(pack.path + ":12:9:") && Catch::Contains("Account"));
}

TEST_CASE("An unknown key is one ConfigError naming file:line:column and the rule", "[rules]") {
  PackFile pack;
  const std::string bad = "        colour: blue";
  pack.lines.insert(pack.lines.begin() + 10, bad);  // line 11, inside rule contact-email
  pack.write();

  REQUIRE_THROWS_AS(crmscan::load_rule_pack(pack.path), ConfigError);
  const auto message = load_error(pack.path);
  const auto where = pack.path + ":11:" + std::to_string(column_of(bad, "colour")) + ":";
  CHECK_THAT(message, Catch::StartsWith(where));
  CHECK_THAT(message, Catch::Contains("contact-email") && Catch::Contains("colour"));
  CHECK(count_of(message, pack.path) == 1);
  CHECK(count_of(message, "unknown key") == 1);
}

TEST_CASE("An unknown key of an object or of the pack names its position", "[rules]") {
  const TempDir dir;
  const auto path = dir / "pack.yaml";
  SECTION("object") {
    auto lines = base_pack();
    lines.insert(lines.begin() + 5, "    persn: true");  // line 6
    write_file(path, join(lines));
    CHECK_THAT(load_error(path), Catch::StartsWith(path + ":6:5:") && Catch::Contains("persn"));
  }
  SECTION("pack") {
    auto lines = base_pack();
    lines.insert(lines.begin() + 3, "verison: 2");  // line 4
    write_file(path, join(lines));
    CHECK_THAT(load_error(path), Catch::StartsWith(path + ":4:1:") && Catch::Contains("verison"));
  }
}

TEST_CASE("A glob that is not well-formed is a ConfigError naming file:line:column", "[rules]") {
  const TempDir dir;
  const auto path = dir / "pack.yaml";
  SECTION("in a rule's fields") {
    auto lines = base_pack();
    lines[9] = "        fields: [\"Foo[ab\"]";
    write_file(path, join(lines));
    const auto message = load_error(path);
    CHECK_THAT(message, Catch::Matches(".*pack\\.yaml:10:[0-9]+: .*", Catch::CaseSensitive::Yes));
    CHECK_THAT(message, Catch::Contains("Foo[ab") && Catch::Contains("contact-email"));
  }
  SECTION("as an object name") {
    auto lines = base_pack();
    lines[14] = "  \"Foo[ab\":";
    write_file(path, join(lines));
    CHECK_THAT(load_error(path), Catch::StartsWith(path + ":15:3:") && Catch::Contains("Foo[ab"));
  }
}

TEST_CASE("A bad regex in a when condition is a ConfigError naming file:line:column", "[rules]") {
  PackFile pack;
  const std::string bad = "        when: [{field: Subject, regex: \"(unclosed\"}]";
  pack.lines.insert(pack.lines.begin() + 14, bad);  // line 15, inside rule contact-account
  const auto message = pack.error();
  CHECK_THAT(
      message,
      Catch::StartsWith(pack.path + ":15:" + std::to_string(column_of(bad, "\"(unclosed")) + ":"));
  CHECK_THAT(message, Catch::Contains("contact-account") && Catch::Contains("regex"));
}

TEST_CASE("A relation to an undefined object is a ConfigError naming the rule's position",
          "[rules]") {
  PackFile pack;
  pack.lines[13] = "        to: [Acount]";
  const auto message = pack.error();
  // The rule spans lines 12 to 14.
  CHECK_THAT(message, Catch::Matches(".*pack\\.yaml:1[234]:[0-9]+: .*"));
  CHECK_THAT(message, Catch::Contains("contact-account") && Catch::Contains("Acount"));
}

TEST_CASE("A rule id used twice is a ConfigError naming the second use", "[rules]") {
  PackFile pack;
  const std::string duplicate = "      - id: contact-email";
  pack.lines.insert(pack.lines.end(), {"    identity:", duplicate, "        kind: email",
                                       "        fields: [PersonEmail]"});  // lines 19 to 22
  const auto message = pack.error();
  CHECK_THAT(message,
             Catch::StartsWith(
                 pack.path + ":20:" + std::to_string(column_of(duplicate, "contact-email")) + ":"));
  CHECK_THAT(message, Catch::Contains("contact-email") && Catch::Contains("twice"));
}

TEST_CASE("A pack extending a pack in its folder loads both and merges their rules", "[rules]") {
  const TempDir dir;
  write_file(dir / "base.yaml", join(base_pack()));
  write_file(dir / "child.yaml",
             "pack: child-pack\n"
             "crm: test\n"
             "version: 1.0.0\n"
             "extends: [test-pack]\n"
             "objects:\n"
             "  Contact:\n"
             "    identity:\n"
             "      - {id: contact-phone, kind: phone, fields: [Phone]}\n");
  const auto rules = RuleSet::load({dir / "child.yaml"});
  REQUIRE(rules.packs().size() == 2);
  CHECK(rules.packs()[0].id == "test-pack");
  CHECK(rules.packs()[1].id == "child-pack");
  const auto contact = rules.rules_for("Contact");
  REQUIRE(contact.size() == 1);
  REQUIRE(contact[0]->identity.size() == 2);
  CHECK(contact[0]->identity[0].id == "contact-email");
  CHECK(contact[0]->identity[1].id == "contact-phone");
}

TEST_CASE("Extending a pack that cannot be found is a ConfigError naming file:line:column",
          "[rules]") {
  PackFile pack;
  pack.lines.insert(pack.lines.begin() + 3, "extends: [missing-base]");  // line 4
  const auto message = pack.error();
  CHECK_THAT(message, Catch::Contains("missing-base"));
  CHECK_THAT(message, Catch::StartsWith(pack.path + ":4:"));
}

TEST_CASE("A glob on its own line of a block list is named at that line", "[rules]") {
  PackFile pack;
  pack.lines[9] = "        fields:";
  pack.lines.insert(pack.lines.begin() + 10,
                    {"          - Email", "          - \"Foo[ab\""});  // lines 11, 12
  const auto message = pack.error();
  CHECK_THAT(message, Catch::Contains("Foo[ab"));
  CHECK_THAT(message, Catch::StartsWith(pack.path + ":12:13:"));
}

TEST_CASE("A flag of a rule that is not true or false is a ConfigError", "[rules]") {
  PackFile pack;
  SECTION("in_text: maybe") {
    pack.lines.insert(pack.lines.begin() + 10, "        in_text: maybe");  // line 11
    CHECK_THAT(pack.error(),
               Catch::StartsWith(pack.path + ":11:18:") && Catch::Contains("in_text"));
  }
  SECTION("in_text: True, a YAML boolean, is not silently false") {
    pack.lines.insert(pack.lines.begin() + 10, "        in_text: True");
    pack.write();
    bool rejected = false;
    bool in_text = false;
    try {
      in_text = crmscan::load_rule_pack(pack.path).objects[0].identity[0].in_text;
    } catch (const ConfigError&) {
      rejected = true;
    }
    CHECK((rejected || in_text));
  }
}

TEST_CASE("A key given twice is a ConfigError naming the second one", "[rules]") {
  PackFile pack;
  SECTION("in a rule") {
    pack.lines.insert(pack.lines.begin() + 10,
                      "        kind: phone");  // line 11: the rule's second 'kind'
    CHECK_THAT(pack.error(), Catch::StartsWith(pack.path + ":11:9:") && Catch::Contains("kind"));
  }
  SECTION("an object") {
    pack.lines.insert(pack.lines.end(), {"  Contact:", "    category: person.record"});  // line 19
    CHECK_THAT(pack.error(), Catch::StartsWith(pack.path + ":19:3:") && Catch::Contains("Contact"));
  }
}

TEST_CASE("Record ids, keys, holders and staff are read; a bad value names its position",
          "[rules]") {
  PackFile pack;
  pack.lines.insert(pack.lines.begin() + 3, "ids: guid");  // line 4
  pack.lines.insert(
      pack.lines.end(),
      {"    staff: true", "    keys:", "      - {id: account-call, key: call, fields: [CallId]}",
       "    holders:", "      - {id: account-phone, kind: phone, fields: [Phone]}"});
  pack.write();
  const auto rules = RuleSet::load({pack.path});
  CHECK(rules.id_shape() == crmscan::IdShape::kGuid);
  const auto account = rules.rules_for("Account");
  REQUIRE(account.size() == 1);
  CHECK(account[0]->staff == true);
  REQUIRE(account[0]->keys.size() == 1);
  CHECK(account[0]->keys[0].key == "call");
  REQUIRE(account[0]->holders.size() == 1);
  CHECK(account[0]->holders[0].kind == crmscan::IdentifierKind::kPhone);

  pack.lines[3] = "ids: uuid";
  CHECK_THAT(pack.error(), Catch::StartsWith(pack.path + ":4:6:") && Catch::Contains("uuid"));
  pack.lines[3] = "ids: guid";
  pack.lines.back() = "      - {id: account-name, kind: name, fields: [Name]}";
  CHECK_THAT(pack.error(), Catch::Contains("account-name") &&
                               Catch::Contains("a holder rule's kind is email or phone"));
}

TEST_CASE("A pack's tests name text rules, run in both traversal modes and want every rule found",
          "[rules]") {
  const TempDir dir;
  write_file(dir / "pack.yaml", join(base_pack()));
  write_file(dir / "pack.test.yaml",
             "tests:\n"
             "  - name: the contact, a mention in an account and a memo\n"
             "    subject: {email: jane.roe@example.com}\n"
             "    records:\n"
             "      Contact:\n"
             "        - {Id: C1, Email: jane.roe@example.com}\n"
             "      Account:\n"
             "        - {Id: A1, Description: \"Invoices to jane.roe@example.com\"}\n"
             "      Memo:\n"
             "        - {Id: M1, Text: \"Call jane.roe@example.com\"}\n"
             "    expect:\n"
             "      - {object: Contact, id: C1, rule: contact-email}\n"
             "      - {object: Account, id: A1, field: Description, rule: account-text}\n"
             "      - {object: Memo, id: M1, field: Text, rule: identifier-in-text}\n"
             "      - {object: Contact, id: C2}\n");
  const auto results = crmscan::run_pack_tests({dir / "pack.yaml"});
  REQUIRE(results.size() == 2);
  // The account's mention carries its text rule; the memo's, in no ruled field, the generic one.
  // Lookups search the ruled objects only, so the memo is found in a full read alone.
  CHECK(
      results[0].failures ==
      std::vector<std::string>{
          dir / "pack.test.yaml:15: expected Contact C2 (full read and lookups)",
          dir /
              "pack.test.yaml:14: expected Memo M1 field Text rule identifier-in-text (lookups)"});
  // No case finds a record through contact-account.
  CHECK(results[1].name == "every rule has a positive case");
  CHECK(results[1].failures ==
        std::vector<std::string>{dir / "pack.yaml:12:9: rule contact-account has no positive case "
                                       "(no `expect` entry's finding carries it)"});
}

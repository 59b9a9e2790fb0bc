// Hostile files: YAML alias bombs and deep nesting, pathological regexes, JSON built to exhaust
// the stack or the parser, invalid UTF-8 and NUL bytes. Each gives a clear error (file, line,
// column where the format has them) within bounded time, or is read as data.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "crmscan/error.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"
#include "file_connector.hpp"
#include "support.hpp"

using namespace crmscan::test;
using Clock = std::chrono::steady_clock;
using namespace std::string_literals;

namespace {

constexpr auto kQuick = std::chrono::seconds(5);

const std::string kPackHead =
    "pack: hostile\ncrm: test\nversion: 1.0.0\nobjects:\n  Task:\n    identity:\n";

// The message of the ConfigError that loading the pack throws, and how long that took.
std::pair<std::string, Clock::duration> pack_error(const std::string& path) {
  const auto start = Clock::now();
  try {
    crmscan::RuleSet::load({path});
  } catch (const crmscan::ConfigError& e) {
    return {e.what(), Clock::now() - start};
  }
  FAIL_CHECK("loading " << path << " did not throw a ConfigError");
  return {"(no ConfigError)", Clock::now() - start};
}

// A "billion laughs" of conditions for a rule's `when` list: each entry an `any` of ten aliases
// to the entry before it.
std::string condition_bomb(int levels) {
  std::string text = "        when:\n          - &l0 {field: Subject, equals: a}\n";
  for (int level = 1; level <= levels; ++level) {
    text += "          - &l" + std::to_string(level) + " {any: [";
    for (int i = 0; i < 10; ++i)
      text += std::string(i ? ", " : "") + "*l" + std::to_string(level - 1);
    text += "]}\n";
  }
  return text;
}

struct Scanned {
  std::size_t records = 0;
  std::vector<std::string> problems;
};

Scanned scan_file(const std::string& path, const std::string& object) {
  crmscan::FileConnector connector({{"input", path}, {"encoding", "utf-8"}, {"crm", "salesforce"}});
  Scanned scanned;
  connector.scan(
      object, [&](const crmscan::Record&) { ++scanned.records; },
      [&](const std::string&, const std::string& message) { scanned.problems.push_back(message); });
  return scanned;
}

}  // namespace

TEST_CASE("A rule pack with an alias bomb of conditions is refused at once", "[rules][hostile]") {
  const TempDir dir;
  const auto path = dir / "bomb.yaml";
  // Nine levels of ten: a billion conditions if the aliases were followed.
  write_file(path, kPackHead +
                       "      - id: bomb\n        kind: phone\n        fields: [Subject]\n" +
                       condition_bomb(9));
  const auto [message, took] = pack_error(path);
  CHECK(took < kQuick);
  CHECK_THAT(message, Catch::Contains("bomb.yaml:") && Catch::Contains("alias bomb"));
}

TEST_CASE("A rule pack whose condition holds itself through an alias is refused",
          "[rules][hostile]") {
  const TempDir dir;
  const auto path = dir / "cycle.yaml";
  write_file(path, kPackHead +
                       "      - id: loop\n        kind: phone\n        fields: [Subject]\n"
                       "        when: [&self {any: [*self]}]\n");
  const auto [message, took] = pack_error(path);
  CHECK(took < kQuick);
  CHECK_THAT(message, Catch::Contains("cycle.yaml:10:") && Catch::Contains("alias inside"));
}

TEST_CASE("A rule pack nested a hundred thousand deep is refused with its position",
          "[rules][hostile]") {
  const TempDir dir;
  const auto path = dir / "deep.yaml";
  write_file(path, kPackHead + "      - " + std::string(100'000, '[') + "\n");
  const auto [message, took] = pack_error(path);
  CHECK(took < kQuick);
  CHECK_THAT(message, Catch::Contains("deep.yaml:") && Catch::Contains("not valid YAML"));
}

TEST_CASE("A rule pack with keys that are not single values is refused", "[rules][hostile]") {
  const TempDir dir;
  const auto path = dir / "keys.yaml";
  write_file(path, kPackHead + "      - {id: odd, kind: phone, fields: [Subject], [when]: []}\n");
  CHECK_THAT(pack_error(path).first,
             Catch::Contains("keys.yaml:7:") && Catch::Contains("a key must be a single value"));
}

TEST_CASE("A pathological regex in a rule runs in linear time on a long input",
          "[rules][hostile]") {
  const TempDir dir;
  const auto path = dir / "regex.yaml";
  // (a+)+$ takes exponential time in a backtracking engine on "aaa…a!"; RE2 has none.
  write_file(path, kPackHead +
                       "      - id: slow\n        kind: phone\n        fields: [Subject]\n"
                       "        when: [{field: Subject, regex: '(a+)+$'}]\n");
  const auto rules = crmscan::RuleSet::load({path});
  const auto& regex = *rules.objects().at(0).identity.at(0).when.at(0).regex;
  const auto time_match = [&regex](std::size_t length) {
    const std::string input = std::string(length, 'a') + "!";
    const auto start = Clock::now();
    CHECK_FALSE(RE2::PartialMatch(input, regex));
    return Clock::now() - start;
  };
  const auto short_input = time_match(1 << 20);
  const auto long_input = time_match(8 << 20);
  CHECK(long_input < kQuick);
  // Eight times the input, about eight times the time (a generous bound for a loaded machine).
  CHECK(long_input < short_input * 40 + std::chrono::milliseconds(200));
}

TEST_CASE("A subjects file with a YAML alias bomb or deep nesting is a clear DataError",
          "[subjects][hostile]") {
  const TempDir dir;
  const auto path = dir / "subjects.yaml";
  SECTION("deep nesting") {
    write_file(path, "- request_id: R1\n  email: " + std::string(100'000, '[') + "\n");
  }
  SECTION("a self-referential alias") {
    write_file(path, "- request_id: R1\n  email: &self [*self]\n");
  }
  const auto start = Clock::now();
  CHECK_THROWS_AS(crmscan::load_subjects_file(path), crmscan::DataError);
  CHECK(Clock::now() - start < kQuick);
}

TEST_CASE("A YAML file of two documents, or a stray ',', is refused at once, never half read",
          "[subjects][rules][hostile]") {
  const TempDir dir;
  const auto subjects = dir / "subjects.yaml";
  std::string where;
  SECTION("a second document would be dropped unread") {
    write_file(subjects, "- request_id: R1\n  email: a@example.com\n---\n- request_id: R2\n");
    where = ":3:1:";
  }
  SECTION("a stray ',' (yaml-cpp reads it as endless empty documents)") {
    write_file(subjects, ",");
    where = ":1:1:";
  }
  const auto start = Clock::now();
  try {
    crmscan::load_subjects_file(subjects);
    FAIL("the file was read");
  } catch (const crmscan::DataError& e) {
    CHECK_THAT(std::string(e.what()),
               Catch::Contains(subjects + where) && Catch::Contains("must hold one"));
  }
  CHECK(Clock::now() - start < kQuick);

  const auto pack = dir / "two.yaml";
  write_file(pack, kPackHead + "---\n" + kPackHead);
  CHECK_THAT(pack_error(pack).first,
             Catch::Contains("two.yaml:") && Catch::Contains("must hold one"));
}

TEST_CASE("A subjects file with invalid UTF-8 or a NUL byte is read or refused, never crashes",
          "[subjects][hostile]") {
  const TempDir dir;
  std::string path;
  SECTION("CSV with invalid UTF-8 in a name") {
    path = dir / "subjects.csv";
    write_file(path, "request_id,email,name\nR1,a@example.com,Am\xff\xfe lie\xc3\n");
  }
  SECTION("CSV with a NUL byte in an email") {
    path = dir / "subjects.csv";
    write_file(path, "request_id,email\nR1,a@exa\0mple.com\n"s);
  }
  SECTION("YAML with invalid UTF-8") {
    path = dir / "subjects.yaml";
    write_file(path, "- request_id: R1\n  name: \"Am\xff\xfe lie\"\n");
  }
  try {
    const crmscan::SubjectSet subjects(crmscan::load_subjects_file(path), "GB");
    CHECK(subjects.subjects().size() == 1);
  } catch (const crmscan::DataError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains(path));
  }
}

TEST_CASE("JSON nested deeper than any export is refused with its line and column",
          "[connector][file][hostile]") {
  const TempDir dir;
  const auto path = dir / "Contact.json";
  write_file(path, "[{\"Id\": \"1\"},\n {\"Deep\": " + std::string(1'000'000, '[') + "\n");
  const auto start = Clock::now();
  const auto scanned = scan_file(path, "Contact");
  CHECK(Clock::now() - start < kQuick);
  CHECK(scanned.records == 1);
  REQUIRE(scanned.problems.size() == 1);
  CHECK_THAT(scanned.problems[0],
             Catch::Contains("Contact.json:2:") && Catch::Contains("nested deeper than 64 levels"));
}

TEST_CASE("NDJSON nested too deep loses that line only, named", "[connector][file][hostile]") {
  const TempDir dir;
  const auto path = dir / "Contact.ndjson";
  write_file(path, "{\"Id\": \"1\"}\n{\"Deep\": " + std::string(100, '[') + std::string(100, ']') +
                       "}\n{\"Id\": \"3\"}\n");
  const auto scanned = scan_file(path, "Contact");
  CHECK(scanned.records == 2);
  REQUIRE(scanned.problems.size() == 1);
  CHECK_THAT(scanned.problems[0], Catch::Contains("Contact.ndjson:2:1: nested deeper"));
}

TEST_CASE("JSON with invalid UTF-8 or a raw NUL byte is an error naming line and column",
          "[connector][file][hostile]") {
  const TempDir dir;
  const auto path = dir / "Contact.json";
  SECTION("invalid UTF-8") {
    write_file(path, "[{\"Id\": \"1\"},\n {\"Name\": \"Am\xff\xfelie\"}]");
  }
  SECTION("a NUL byte") {
    write_file(path, "[{\"Id\": \"1\"},\n {\"Name\": \"Am\0lie\"}]"s);
  }
  const auto scanned = scan_file(path, "Contact");
  CHECK(scanned.records == 1);
  REQUIRE(scanned.problems.size() == 1);
  CHECK_THAT(scanned.problems[0], Catch::Contains("Contact.json:2:"));
}

TEST_CASE("JSON with a huge string, a long list or many keys is read in linear time",
          "[connector][file][hostile]") {
  const TempDir dir;
  const auto path = dir / "Contact.json";
  std::string json = "[{\"Id\": \"1\", \"Body\": \"" + std::string(64 << 20, 'x') + "\"},\n";
  json += "{\"Id\": \"2\", \"Tags\": [";
  for (int i = 0; i < 200'000; ++i) json += std::string(i ? "," : "") + "\"tag\"";
  json += "]},\n{\"Id\": \"3\"";
  for (int i = 0; i < 50'000; ++i) json += ", \"k" + std::to_string(i) + "\": 1";
  json += "}]";
  write_file(path, json);
  const auto start = Clock::now();
  const auto scanned = scan_file(path, "Contact");
  CHECK(Clock::now() - start < std::chrono::seconds(20));
  CHECK(scanned.records == 3);
  CHECK(scanned.problems.empty());
}

#include "crmscan/pack_tests.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/input.hpp"
#include "crmscan/memory_connector.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {
namespace fs = std::filesystem;

struct Expectation {
  std::string object, id, field, action, category, rule;
  bool field_given = false;
  std::string where;
};

class TestFileReader {
 public:
  explicit TestFileReader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw ConfigError(path_ + ":" + std::to_string(node.Mark().line + 1) + ":" +
                      std::to_string(node.Mark().column + 1) + ": " + message);
  }
  void check_keys(const YAML::Node& map, std::initializer_list<const char*> allowed,
                  const std::string& what) const {
    if (!map.IsMap()) fail(map, what + " must be a map");
    for (const auto& item : map) {
      const auto key = item.first.as<std::string>();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return key == k; })) {
        fail(item.first, what + ": unknown key '" + key + "'");
      }
    }
  }
  std::string where(const YAML::Node& node) const {
    return path_ + ":" + std::to_string(node.Mark().line + 1);
  }

  std::vector<Expectation> expectations(const YAML::Node& list, const std::string& what) const {
    std::vector<Expectation> result;
    if (!list) return result;
    if (!list.IsSequence()) fail(list, what + " is a list");
    for (const auto& item : list) {
      check_keys(item, {"object", "id", "field", "action", "category", "rule"}, what);
      Expectation e;
      if (!item["object"] || !item["id"]) fail(item, what + " needs 'object' and 'id'");
      e.object = item["object"].as<std::string>();
      e.id = item["id"].as<std::string>();
      if (item["field"]) {
        e.field = item["field"].as<std::string>();
        e.field_given = true;
      }
      if (item["action"]) e.action = item["action"].as<std::string>();
      if (item["category"]) e.category = item["category"].as<std::string>();
      if (item["rule"]) e.rule = item["rule"].as<std::string>();
      e.where = where(item);
      result.push_back(std::move(e));
    }
    return result;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool matches(const Finding& f, const Expectation& e, bool record_level_by_default) {
  if (f.object != e.object || record_id_key(f.record_id) != record_id_key(e.id)) return false;
  if (e.field_given ? f.field != e.field : (record_level_by_default && !f.field.empty()))
    return false;
  if (!e.action.empty() && to_string(f.action) != e.action) return false;
  if (!e.category.empty() && f.category != e.category) return false;
  if (!e.rule.empty() && f.rule != e.rule) return false;
  return true;
}

std::string describe_expectation(const Expectation& e) {
  std::string text = e.object + " " + e.id;
  if (e.field_given) text += " field " + e.field;
  if (!e.action.empty()) text += " " + e.action;
  if (!e.category.empty()) text += " category " + e.category;
  if (!e.rule.empty()) text += " rule " + e.rule;
  return text;
}

// A test case's scan in one traversal mode, and what its expectations found there.
struct ModeRun {
  const char* mode;
  std::vector<std::string> failures;
};

// Runs one case's expectations against one scan's findings; the rule ids of the findings that
// satisfied an `expect` entry go to `covered`.
std::vector<std::string> check_findings(const Report& report,
                                        const std::vector<Expectation>& expect,
                                        const std::vector<Expectation>& reject,
                                        std::set<std::string>& covered) {
  std::vector<std::string> failures;
  for (const auto& error : report.errors) failures.push_back("scan error: " + error.message);
  for (const auto& expected : expect) {
    bool found = false;
    for (const auto& f : report.findings) {
      if (!matches(f, expected, true)) continue;
      found = true;
      covered.insert(f.rule);
    }
    if (found) continue;
    // The same finding under another rule is the likeliest slip: name the rule it carries.
    auto other = expected;
    other.rule.clear();
    const auto near = std::find_if(report.findings.begin(), report.findings.end(),
                                   [&](const Finding& f) { return matches(f, other, true); });
    failures.push_back(expected.where + ": expected " + describe_expectation(expected) +
                       (expected.rule.empty() || near == report.findings.end()
                            ? ""
                            : " (found under rule " + near->rule + ")"));
  }
  for (const auto& rejected : reject) {
    for (const auto& f : report.findings) {
      if (matches(f, rejected, false)) {
        failures.push_back(rejected.where + ": unexpected " + f.object + " " + f.record_id +
                           (f.field.empty() ? "" : " field " + f.field) + " " +
                           std::string(to_string(f.action)) + " (rule " + f.rule + ")");
      }
    }
  }
  return failures;
}

// A failure seen in one mode names it; one seen in both says so once.
std::vector<std::string> by_mode(const ModeRun& full, const ModeRun& lookups) {
  std::vector<std::string> failures;
  const auto in = [](const ModeRun& run, const std::string& failure) {
    return std::find(run.failures.begin(), run.failures.end(), failure) != run.failures.end();
  };
  for (const auto& failure : full.failures) {
    failures.push_back(failure + (in(lookups, failure) ? " (full read and lookups)"
                                                       : " (" + std::string(full.mode) + ")"));
  }
  for (const auto& failure : lookups.failures) {
    if (!in(full, failure)) failures.push_back(failure + " (" + std::string(lookups.mode) + ")");
  }
  return failures;
}

// The rules of the pack file itself (not of the packs it extends) that no satisfied `expect`
// entry's finding carries: a rule without a positive case is untested.
std::vector<std::string> uncovered_rules(const std::string& pack_path,
                                         const std::set<std::string>& covered) {
  std::vector<std::string> failures;
  const auto check = [&](const std::string& id, const SourceMark& mark) {
    if (covered.count(id) == 0)
      failures.push_back(mark.where() + ": rule " + id + " has no positive case (no `expect` " +
                         "entry's finding carries it)");
  };
  const auto check_all = [&](const auto& rules) {
    for (const auto& rule : rules) check(rule.id, rule.mark);
  };
  for (const auto& object : load_rule_pack(pack_path).objects) {
    check_all(object.identity);
    check_all(object.holders);
    check_all(object.keys);
    check_all(object.related);
    check_all(object.reaches);
    check_all(object.fields);
    check_all(object.text);
  }
  return failures;
}

std::vector<PackTestResult> run_test_file(const std::string& test_path,
                                          const std::string& pack_path) {
  TestFileReader reader(test_path);
  YAML::Node document;
  try {
    document = load_yaml_file(test_path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(test_path + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg);
  }
  reader.check_keys(document, {"default_region", "tests"}, "test file");
  const auto rules = RuleSet::load({pack_path});
  const auto default_region =
      document["default_region"] ? document["default_region"].as<std::string>() : "";
  const auto tests = document["tests"];
  if (!tests || !tests.IsSequence()) reader.fail(document, "'tests' is a list of test cases");
  std::vector<PackTestResult> results;
  std::set<std::string> covered;
  for (const auto& test : tests) {
    reader.check_keys(test, {"name", "subject", "default_region", "records", "expect", "reject"},
                      "test case");
    PackTestResult result;
    result.file = test_path;
    result.name = test["name"] ? test["name"].as<std::string>() : reader.where(test);
    const auto subject_node = test["subject"];
    if (!subject_node) reader.fail(test, "test case '" + result.name + "' has no 'subject'");
    reader.check_keys(subject_node, {"request_id", "email", "phone", "name", "id"}, "subject");
    SubjectRequest request;
    request.request_id =
        subject_node["request_id"] ? subject_node["request_id"].as<std::string>() : "test";
    request.source = reader.where(subject_node);
    const auto values = [&](const char* key) {
      const auto node = subject_node[key];
      if (!node) return std::vector<std::string>{};
      if (node.IsSequence()) return node.as<std::vector<std::string>>();
      return std::vector<std::string>{node.as<std::string>()};
    };
    request.emails = values("email");
    request.phones = values("phone");
    request.names = values("name");
    request.ids = values("id");
    const auto region =
        test["default_region"] ? test["default_region"].as<std::string>() : default_region;
    const SubjectSet subjects({request}, region);

    MemoryConnector connector;
    const auto records = test["records"];
    if (!records || !records.IsMap())
      reader.fail(test, "test case '" + result.name + "' needs 'records' by object");
    for (const auto& object : records) {
      for (const auto& record : object.second) {
        if (!record.IsMap()) reader.fail(record, "a record is a map of field values");
        std::vector<std::pair<std::string, Value>> fields;
        for (const auto& field : record) {
          Value value;
          if (!field.second.IsNull()) value = field.second.as<std::string>();
          fields.emplace_back(field.first.as<std::string>(), std::move(value));
        }
        connector.add_values(object.first.as<std::string>(), fields,
                             static_cast<std::size_t>(record.Mark().line + 1));
      }
    }
    const auto expect = reader.expectations(test["expect"], "expect");
    const auto reject = reader.expectations(test["reject"], "reject");
    // Every case runs both ways a scan can go: reading every record, and following lookups (the
    // searches and fetches of an API connector) from the subject's identifiers.
    connector.enable_lookups();
    ScanOptions full_read;
    full_read.full_read = true;
    ModeRun full{"full read", check_findings(run_scan(connector, rules, subjects, full_read),
                                             expect, reject, covered)};
    ModeRun lookups{"lookups", check_findings(run_scan(connector, rules, subjects, ScanOptions{}),
                                              expect, reject, covered)};
    result.failures = by_mode(full, lookups);
    results.push_back(std::move(result));
  }
  results.push_back(
      {pack_path, "every rule has a positive case", uncovered_rules(pack_path, covered)});
  return results;
}

std::string test_file_for(const fs::path& pack) {
  auto test = pack;
  test.replace_extension(".test" + pack.extension().string());
  return test.string();
}

}  // namespace

std::vector<PackTestResult> run_pack_tests(const std::vector<std::string>& paths) {
  std::vector<PackTestResult> results;
  for (const auto& pack : find_pack_files(paths)) {
    const auto test = test_file_for(pack);
    if (!fs::exists(test)) {
      results.push_back(
          {pack,
           "has tests",
           {pack + ": no test file beside it (" + fs::path(test).filename().string() + ")"}});
      continue;
    }
    // yaml-cpp's own exceptions (a list where a value belongs, say) are one error like the rest.
    try {
      auto file_results = run_test_file(test, pack);
      results.insert(results.end(), file_results.begin(), file_results.end());
    } catch (const YAML::Exception& e) {
      throw ConfigError(test + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
  }
  return results;
}

}  // namespace crmscan

#include "crmscan/pack_tests.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/input.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {
namespace fs = std::filesystem;

// The records of a test case, served as a connector would.
class MemoryConnector : public Connector {
 public:
  const ConnectorDescriptor& descriptor() const override {
    static const ConnectorDescriptor kDescriptor{"test", "records of a rule-pack test case", {}};
    return kDescriptor;
  }
  std::string crm() const override { return {}; }
  std::string source() const override { return "test case"; }
  std::vector<ObjectSchema> describe() override {
    std::vector<ObjectSchema> schemas;
    for (const auto& [object, data] : objects_) schemas.push_back(*data.schema);
    return schemas;
  }
  void scan(const std::string& object, const RecordSink& on_record, const ProblemSink&) override {
    for (const auto& record : objects_[object].records) on_record(record);
  }

  void add(const std::string& object, const std::vector<std::pair<std::string, Value>>& fields,
           std::size_t line) {
    auto& data = objects_[object];
    if (!data.schema) data.schema = std::make_shared<ObjectSchema>(ObjectSchema{object, {}});
    for (const auto& [name, value] : fields) {
      if (!data.schema->index_of(name)) data.schema->fields.push_back({name, {}});
    }
    Record record;
    record.schema = data.schema;
    record.source = "test record";
    record.line = line;
    record.values.assign(data.schema->fields.size(), Value{});
    for (const auto& [name, value] : fields) record.values[*data.schema->index_of(name)] = value;
    record.id = value_text(record.get("Id"));
    data.records.push_back(std::move(record));
  }
  // Records added before a later record widened the schema get the new fields as null.
  void finish() {
    for (auto& [object, data] : objects_) {
      for (auto& record : data.records) record.values.resize(data.schema->fields.size());
    }
  }

 private:
  struct Data {
    std::shared_ptr<ObjectSchema> schema;
    std::vector<Record> records;
  };
  std::map<std::string, Data> objects_;
};

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
        connector.add(object.first.as<std::string>(), fields,
                      static_cast<std::size_t>(record.Mark().line + 1));
      }
    }
    connector.finish();
    const auto report = run_scan(connector, rules, subjects, ScanOptions{});
    for (const auto& error : report.errors)
      result.failures.push_back("scan error: " + error.message);
    for (const auto& expected : reader.expectations(test["expect"], "expect")) {
      const bool found = std::any_of(report.findings.begin(), report.findings.end(),
                                     [&](const Finding& f) { return matches(f, expected, true); });
      if (!found)
        result.failures.push_back(expected.where + ": expected " + describe_expectation(expected));
    }
    for (const auto& rejected : reader.expectations(test["reject"], "reject")) {
      for (const auto& f : report.findings) {
        if (matches(f, rejected, false)) {
          result.failures.push_back(rejected.where + ": unexpected " + f.object + " " +
                                    f.record_id + (f.field.empty() ? "" : " field " + f.field) +
                                    " " + std::string(to_string(f.action)) + " (rule " + f.rule +
                                    ")");
        }
      }
    }
    results.push_back(std::move(result));
  }
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

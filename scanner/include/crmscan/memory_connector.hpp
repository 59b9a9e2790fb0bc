// Records held in memory and served as a connector would: by reading every record, or (with
// lookups on) by answering searches and fetches as an API connector does. The rule-pack tests
// (`crmscan rules test`) and the engine's tests serve their records with it.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/record.hpp"
#include "crmscan/rules.hpp"

namespace crmscan {

/// A connector over records added in memory; lookups are off until enable_lookups().
class MemoryConnector : public Connector, public Lookup {
 public:
  const ConnectorDescriptor& descriptor() const override {
    static const ConnectorDescriptor kDescriptor{"memory", "records held by a test", {}};
    return kDescriptor;
  }
  std::string crm() const override { return "test"; }
  std::string source() const override { return "memory"; }
  std::vector<ObjectSchema> describe() override {
    std::vector<ObjectSchema> schemas;
    for (const auto& [object, data] : objects_) schemas.push_back(*data.schema);
    return schemas;
  }
  void scan(const std::string& object, const RecordSink& on_record,
            const ProblemSink& on_problem) override {
    const auto& data = objects_[object];
    for (std::size_t i = 0; i < data.records.size(); ++i) {
      if (const auto problem = data.problems.find(i); problem != data.problems.end()) {
        on_problem(object, problem->second);
      }
      on_record(data.records[i]);
    }
  }
  Lookup* lookup() override { return lookups_ ? this : nullptr; }

  /// Answer lookups (searches and fetches) instead of being read whole.
  void enable_lookups() { lookups_ = true; }
  /// How many searches and fetches were asked for.
  std::size_t lookups_asked() const { return lookups_asked_; }

  /// Records of the objects with a field that holds one of the terms: the whole value for ids,
  /// else the digits of a number's national part, or an email as written in any case; a name's
  /// words anywhere in the record (a first and a last name are two fields) — as lenient as a
  /// search that the engine then checks.
  void search(IdentifierKind kind, bool, const std::vector<std::string>& terms,
              const std::vector<std::string>& objects, const RecordSink& on_record,
              const ProblemSink&) override {
    ++lookups_asked_;
    for (const auto& object : objects) {
      for (const auto& record : objects_[object].records) {
        if (kind == IdentifierKind::kName) {
          if (holds_name(record, terms)) on_record(record);
          continue;
        }
        const bool holds =
            std::any_of(record.values.begin(), record.values.end(), [&](const Value& v) {
              const auto text = value_text(v);
              return std::any_of(terms.begin(), terms.end(), [&](const std::string& term) {
                return holds_term(kind, text, term);
              });
            });
        if (holds) on_record(record);
      }
    }
  }
  void fetch(const std::string& object, const std::string& field,
             const std::vector<std::string>& ids, const RecordSink& on_record,
             const ProblemSink&) override {
    ++lookups_asked_;
    // "Id" asks for the records themselves: by the id field the packs give the object.
    const auto id_field = id_fields_.find(object);
    const auto& by = field == "Id" && id_field != id_fields_.end() ? id_field->second : field;
    for (const auto& record : objects_[object].records) {
      const auto key = record_id_key(value_text(record.get(by)));
      if (std::any_of(ids.begin(), ids.end(),
                      [&](const std::string& id) { return record_id_key(id) == key; }))
        on_record(record);
    }
  }
  bool has_field(const std::string& object, const std::string& field) override {
    const auto found = objects_.find(object);
    return found != objects_.end() && found->second.schema->index_of(field).has_value();
  }
  std::vector<std::pair<std::string, std::string>> references_to(const std::string&) override {
    return {};
  }
  void use_rules(const RuleSet& rules) override {
    for (const auto& [object, data] : objects_) {
      for (const auto* object_rules : rules.rules_for(object)) {
        if (object_rules->id_field != "Id") id_fields_[object] = object_rules->id_field;
      }
    }
  }

  /// Adds a record; fields unknown so far widen the object's schema (earlier records get null).
  void add(const std::string& object,
           const std::vector<std::pair<std::string, std::string>>& fields) {
    std::vector<std::pair<std::string, Value>> values;
    for (const auto& [name, value] : fields) values.emplace_back(name, value);
    add_values(object, values, objects_[object].records.size() + 2);
  }
  /// Adds a record of typed values (null among them) read from `line` of its source.
  void add_values(const std::string& object,
                  const std::vector<std::pair<std::string, Value>>& fields, std::size_t line) {
    auto& data = objects_[object];
    if (!data.schema) data.schema = std::make_shared<ObjectSchema>(ObjectSchema{object, {}});
    for (const auto& [name, value] : fields) {
      if (!data.schema->index_of(name)) data.schema->fields.push_back({name, {}});
    }
    for (auto& record : data.records) record.values.resize(data.schema->fields.size());
    Record record;
    record.schema = data.schema;
    record.source = object + ".memory";
    record.line = line;
    record.values.assign(data.schema->fields.size(), Value{});
    for (const auto& [name, value] : fields) record.values[*data.schema->index_of(name)] = value;
    record.id = value_text(record.get("Id"));
    data.records.push_back(std::move(record));
  }
  /// Reports a problem just before the next record of the object is served.
  void problem_before_next(const std::string& object, const std::string& message) {
    auto& data = objects_[object];
    data.problems[data.records.size()] = message;
  }

 private:
  static bool holds_name(const Record& record, const std::vector<std::string>& names) {
    std::vector<std::string> words;
    for (const auto& value : record.values) {
      for (auto& word : folded_words(value_text(value))) words.push_back(std::move(word));
    }
    return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
      const auto wanted = folded_words(name);
      return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& word) {
        return std::find(words.begin(), words.end(), word) != words.end();
      });
    });
  }
  static bool holds_term(IdentifierKind kind, const std::string& text, const std::string& term) {
    if (kind == IdentifierKind::kId) return record_id_key(text) == record_id_key(term);
    if (kind == IdentifierKind::kPhone) {
      std::string digits;
      for (const char c : text)
        if (c >= '0' && c <= '9') digits.push_back(c);
      const auto national = PhoneNormalizer::national_number(term);
      return !national.empty() && digits.find(national) != std::string::npos;
    }
    std::string lower;
    for (const char c : text)
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return lower.find(term) != std::string::npos;
  }

  struct Data {
    std::shared_ptr<ObjectSchema> schema;
    std::vector<Record> records;
    std::map<std::size_t, std::string> problems;
  };
  std::map<std::string, Data> objects_;
  std::map<std::string, std::string> id_fields_;  // by object, from the packs
  bool lookups_ = false;
  std::size_t lookups_asked_ = 0;
};

}  // namespace crmscan

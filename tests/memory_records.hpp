// Records held in memory and served as a connector would, for tests that run whole scans.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/connector.hpp"

namespace crmscan::test {

class MemoryRecords : public Connector {
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
  void scan(const std::string& object, const RecordSink& on_record, const ProblemSink&) override {
    for (const auto& record : objects_[object].records) on_record(record);
  }

  /// Adds a record; fields unknown so far widen the object's schema (earlier records get null).
  void add(const std::string& object,
           const std::vector<std::pair<std::string, std::string>>& fields) {
    auto& data = objects_[object];
    if (!data.schema) data.schema = std::make_shared<ObjectSchema>(ObjectSchema{object, {}});
    for (const auto& [name, value] : fields) {
      if (!data.schema->index_of(name)) data.schema->fields.push_back({name, {}});
    }
    for (auto& record : data.records) record.values.resize(data.schema->fields.size());
    Record record;
    record.schema = data.schema;
    record.source = object + ".memory";
    record.line = data.records.size() + 2;
    record.values.assign(data.schema->fields.size(), Value{});
    for (const auto& [name, value] : fields) record.values[*data.schema->index_of(name)] = value;
    record.id = value_text(record.get("Id"));
    data.records.push_back(std::move(record));
  }

 private:
  struct Data {
    std::shared_ptr<ObjectSchema> schema;
    std::vector<Record> records;
  };
  std::map<std::string, Data> objects_;
};

}  // namespace crmscan::test

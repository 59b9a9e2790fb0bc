#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace crmscan {

/// A field value as connectors deliver it: null, bool, number or string.
using Value = std::variant<std::monostate, bool, double, std::string>;

/// The text of a value as a user would read it; empty for null.
std::string value_text(const Value& value);
/// The same, without a copy: a text value itself, or the text of another value put in `storage`.
const std::string& value_text(const Value& value, std::string& storage);

/// True when the value is null or an empty string.
bool value_empty(const Value& value);

/// One field of an object as the connector describes it.
struct FieldSchema {
  std::string name;
  /// The CRM's field type (`email`, `phone`, `reference`…); empty when the source does not say.
  std::string type;
};

/// The fields of one object in the order that its records carry their values.
struct ObjectSchema {
  std::string object;
  std::vector<FieldSchema> fields;

  /// Index of the field, compared case-insensitively as Salesforce API names are.
  std::optional<std::size_t> index_of(std::string_view field) const;
};

/// One record: its values in the order of its schema, shared by every record of the object.
struct Record {
  std::shared_ptr<const ObjectSchema> schema;
  std::vector<Value> values;
  std::string id;
  bool archived = false;
  bool deleted = false;
  /// Where the record came from, for messages: a file relative to the input, and its line.
  std::string source;
  std::size_t line = 0;

  const std::string& object() const { return schema->object; }
  /// "Task.csv:118", or the source alone when it has no lines.
  std::string location() const;
  /// The value of a field by name, or null when the schema lacks it.
  const Value& get(std::string_view field) const;
};

}  // namespace crmscan

#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan::sfemu {

/// An error answered to the client: HTTP status, Salesforce error code and message.
struct ApiError : std::runtime_error {
  ApiError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status(status), code(std::move(code)) {}
  int status;
  std::string code;
};

/// The field types the emulator infers from the data.
enum class FieldType {
  kId,
  kReference,
  kString,
  kTextArea,
  kEmail,
  kPhone,
  kBoolean,
  kDate,
  kDateTime
};

/// The type as describe names it ("reference", "textarea"…).
std::string_view type_name(FieldType type);

/// A field of an object, its type inferred from its name and values.
struct Field {
  std::string name;
  FieldType type = FieldType::kString;
  /// For a reference: the objects its values point to.
  std::vector<std::string> reference_to;
};

/// A reference field of another object that points to this one.
struct ChildRelationship {
  std::string child;
  std::string field;
  /// Empty when the child already has a named relationship to this object.
  std::string name;
};

/// One object of the org: its fields and its rows, one value per field.
struct SObject {
  std::string name;
  /// The first three characters of its ids; empty when unknown.
  std::string key_prefix;
  std::vector<Field> fields;
  std::vector<std::vector<std::string>> rows;
  std::vector<ChildRelationship> children;

  /// The column of a field, its name matched without regard to case.
  std::optional<std::size_t> column(std::string_view field) const;
  /// The record id of a row, or empty when the object has no Id field.
  std::string_view id(const std::vector<std::string>& row) const;
  /// Whether a row is in the recycle bin (IsDeleted) or archived (IsArchived).
  bool is_deleted(const std::vector<std::string>& row) const;
  bool is_archived(const std::vector<std::string>& row) const;

 private:
  friend class Org;
  std::map<std::string, std::size_t> columns_;  // lower-cased name → column
  std::optional<std::size_t> id_column_;
  std::optional<std::size_t> deleted_column_;
  std::optional<std::size_t> archived_column_;
};

/// The objects of an emulated org, with field types and relationships inferred from the data.
class Org {
 public:
  /// Text fields whose values are ids: a field whose name contains one of `text_id_fields`
  /// is typed string even when it holds ids.
  explicit Org(std::vector<std::string> text_id_fields);

  /// Loads every .csv below a folder, one object per file stem (several files of one stem are
  /// one object); throws std::runtime_error on a file that cannot be read or a malformed row.
  void load_folder(const std::filesystem::path& folder, bool latin1);
  /// Adds an object, or replaces the one of the same name, and infers the types again.
  void add_object(const std::string& name, std::vector<std::string> fields,
                  std::vector<std::vector<std::string>> rows);

  /// The object of that name (matched without regard to case), or nullptr.
  const SObject* find(std::string_view name) const;
  const std::vector<SObject>& objects() const { return objects_; }

 private:
  void append(const std::string& name, const std::vector<std::string>& header,
              std::vector<std::vector<std::string>> rows);
  void infer();
  FieldType infer_type(const SObject& object, std::size_t column,
                       std::vector<std::string>& reference_to) const;
  std::string object_with_prefix(std::string_view prefix) const;

  std::vector<std::string> text_id_fields_;
  std::vector<SObject> objects_;
};

/// Whether the text is a date ("2024-03-14").
bool is_date(std::string_view text);
/// Whether the text is a datetime ("2024-03-14T09:31:07.000Z", "…+01:00", "…+0100").
bool is_datetime(std::string_view text);

/// A datetime as Salesforce's REST API writes it ("…T17:50:19.000+0000" for "…T17:50:19Z").
std::string rest_datetime(std::string_view value);

}  // namespace crmscan::sfemu

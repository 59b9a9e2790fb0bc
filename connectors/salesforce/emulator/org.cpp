#include "org.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <utility>

#include "crmscan/csv_reader.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/text.hpp"

namespace crmscan::sfemu {
namespace {

namespace fs = std::filesystem;

// Key prefixes of standard objects, for references to objects that the export does not hold.
constexpr std::pair<std::string_view, std::string_view> kStandardPrefixes[] = {
    {"001", "Account"},    {"002", "Note"},         {"003", "Contact"},
    {"005", "User"},       {"006", "Opportunity"},  {"00D", "Organization"},
    {"00G", "Group"},      {"00P", "Attachment"},   {"00Q", "Lead"},
    {"00T", "Task"},       {"00U", "Event"},        {"00v", "CampaignMember"},
    {"012", "RecordType"}, {"02s", "EmailMessage"}, {"069", "ContentDocument"},
    {"0D5", "FeedItem"},   {"0D7", "FeedComment"},  {"0LQ", "VoiceCall"},
    {"0PK", "Individual"}, {"500", "Case"},         {"701", "Campaign"},
};

bool is_digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(from),
                     text.begin() + static_cast<std::ptrdiff_t>(from + count),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// "2024-03-14T09:31:07", then optional ".fff", then "Z", "+hh:mm", "+hhmm" or nothing.
struct DateTimeParts {
  std::string_view seconds;
  std::string_view fraction;
  std::string_view zone;
};

bool is_date_text(std::string_view text) {
  return text.size() == 10 && is_digits(text, 0, 4) && text[4] == '-' && is_digits(text, 5, 2) &&
         text[7] == '-' && is_digits(text, 8, 2);
}

std::optional<DateTimeParts> split_datetime(std::string_view text) {
  if (text.size() < 19 || !is_date_text(text.substr(0, 10)) || text[10] != 'T' ||
      !is_digits(text, 11, 2) || text[13] != ':' || !is_digits(text, 14, 2) || text[16] != ':' ||
      !is_digits(text, 17, 2)) {
    return std::nullopt;
  }
  DateTimeParts parts{text.substr(0, 19), {}, {}};
  std::size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    std::size_t end = at + 1;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end == at + 1) return std::nullopt;
    parts.fraction = text.substr(at + 1, end - at - 1);
    at = end;
  }
  parts.zone = text.substr(at);
  const auto zone = parts.zone;
  const bool zone_ok =
      zone.empty() || zone == "Z" ||
      ((zone[0] == '+' || zone[0] == '-') &&
       ((zone.size() == 6 && is_digits(zone, 1, 2) && zone[3] == ':' && is_digits(zone, 4, 2)) ||
        (zone.size() == 5 && is_digits(zone, 1, 4))));
  if (!zone_ok) return std::nullopt;
  return parts;
}

bool is_boolean(std::string_view text) {
  return iequals(text, "true") || iequals(text, "false");
}

// "NVMStatsSF__Transcript__c" → "Transcript": the name without namespace and custom suffix.
std::string_view base_name(std::string_view name) {
  if (name.size() > 3 && (name.ends_with("__c") || name.ends_with("__r"))) name.remove_suffix(3);
  if (const auto at = name.rfind("__"); at != std::string_view::npos) name.remove_prefix(at + 2);
  return name;
}

std::string plural(std::string_view name) {
  std::string text(name);
  if (text.ends_with("y")) return text.substr(0, text.size() - 1) + "ies";
  if (text.ends_with("s")) return text + "es";
  return text + "s";
}

// The relationship name of a child object: Tasks, NVMContactWorld__InteractionEvents__r.
std::string child_relationship_name(std::string_view child) {
  if (child.ends_with("__c")) return plural(child.substr(0, child.size() - 3)) + "__r";
  return plural(child);
}

}  // namespace

std::string_view type_name(FieldType type) {
  switch (type) {
    case FieldType::kId:
      return "id";
    case FieldType::kReference:
      return "reference";
    case FieldType::kString:
      return "string";
    case FieldType::kTextArea:
      return "textarea";
    case FieldType::kEmail:
      return "email";
    case FieldType::kPhone:
      return "phone";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kDate:
      return "date";
    case FieldType::kDateTime:
      return "datetime";
  }
  return "string";
}

bool is_date(std::string_view text) {
  return is_date_text(text);
}

bool is_datetime(std::string_view text) {
  return split_datetime(text).has_value();
}

std::string rest_datetime(std::string_view value) {
  const auto parts = split_datetime(value);
  if (!parts) return std::string(value);
  std::string out(parts->seconds);
  out += '.';
  out += (std::string(parts->fraction) + "000").substr(0, 3);
  if (parts->zone.empty() || parts->zone == "Z") {
    out += "+0000";
  } else {
    for (const char c : parts->zone)
      if (c != ':') out += c;
  }
  return out;
}

std::optional<std::size_t> SObject::column(std::string_view field) const {
  const auto found = columns_.find(ascii_lower(field));
  if (found == columns_.end()) return std::nullopt;
  return found->second;
}

std::string_view SObject::id(const std::vector<std::string>& row) const {
  return id_column_ ? std::string_view(row[*id_column_]) : std::string_view();
}

bool SObject::is_deleted(const std::vector<std::string>& row) const {
  return deleted_column_ && iequals(row[*deleted_column_], "true");
}

bool SObject::is_archived(const std::vector<std::string>& row) const {
  return archived_column_ && iequals(row[*archived_column_], "true");
}

Org::Org(std::vector<std::string> text_id_fields) : text_id_fields_(std::move(text_id_fields)) {}

void Org::load_folder(const fs::path& folder, bool latin1) {
  if (!fs::is_directory(folder)) throw std::runtime_error(folder.string() + ": not a folder");
  std::vector<fs::path> paths;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file() && iequals(entry.path().extension().string(), ".csv"))
      paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": cannot be opened");
    CsvReader reader(in, latin1);
    std::vector<std::string> header;
    if (!reader.next(header)) continue;
    const auto where = [&] { return path.string() + ":" + std::to_string(reader.row_line()); };
    if (reader.error()) throw std::runtime_error(where() + ": " + *reader.error());
    for (auto& name : header) name = std::string(trim(name));
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    while (reader.next(row)) {
      if (reader.error()) throw std::runtime_error(where() + ": " + *reader.error());
      if (row.size() == 1 && row[0].empty()) continue;  // a blank line
      if (row.size() != header.size()) {
        throw std::runtime_error(where() + ": " + std::to_string(row.size()) +
                                 " values where the header has " + std::to_string(header.size()));
      }
      rows.push_back(row);
    }
    append(path.stem().string(), header, std::move(rows));
  }
  infer();
}

void Org::add_object(const std::string& name, std::vector<std::string> fields,
                     std::vector<std::vector<std::string>> rows) {
  for (const auto& row : rows) {
    if (row.size() != fields.size())
      throw std::invalid_argument(name + ": a row has a value count unlike the field count");
  }
  std::erase_if(objects_, [&](const SObject& object) { return iequals(object.name, name); });
  append(name, fields, std::move(rows));
  infer();
}

const SObject* Org::find(std::string_view name) const {
  for (const auto& object : objects_) {
    if (iequals(object.name, name)) return &object;
  }
  return nullptr;
}

void Org::append(const std::string& name, const std::vector<std::string>& header,
                 std::vector<std::vector<std::string>> rows) {
  auto found = std::find_if(objects_.begin(), objects_.end(),
                            [&](const SObject& object) { return iequals(object.name, name); });
  if (found == objects_.end()) {
    objects_.push_back(SObject{});
    found = objects_.end() - 1;
    found->name = name;
  }
  SObject& object = *found;
  // Map this file's columns onto the object's, adding the ones it did not have yet.
  std::vector<std::size_t> target;
  for (const auto& field : header) {
    auto column = object.column(field);
    if (!column) {
      column = object.fields.size();
      object.fields.push_back(Field{field, FieldType::kString, {}});
      object.columns_[ascii_lower(field)] = *column;
      for (auto& row : object.rows) row.emplace_back();
    }
    target.push_back(*column);
  }
  for (auto& row : rows) {
    std::vector<std::string> values(object.fields.size());
    for (std::size_t i = 0; i < row.size(); ++i) values[target[i]] = std::move(row[i]);
    object.rows.push_back(std::move(values));
  }
}

void Org::infer() {
  std::sort(objects_.begin(), objects_.end(),
            [](const SObject& a, const SObject& b) { return a.name < b.name; });
  for (auto& object : objects_) {
    object.id_column_ = object.column("Id");
    object.deleted_column_ = object.column("IsDeleted");
    object.archived_column_ = object.column("IsArchived");
    object.key_prefix.clear();
    object.children.clear();
    if (object.id_column_) {
      std::map<std::string, std::size_t> counts;
      for (const auto& row : object.rows) {
        const auto& id = row[*object.id_column_];
        if (id.size() >= 3) ++counts[id.substr(0, 3)];
      }
      const auto most =
          std::max_element(counts.begin(), counts.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      if (most != counts.end()) object.key_prefix = most->first;
    }
    if (object.key_prefix.empty()) {
      for (const auto& [prefix, name] : kStandardPrefixes) {
        if (name == object.name) object.key_prefix = prefix;
      }
    }
  }
  for (auto& object : objects_) {
    for (std::size_t column = 0; column < object.fields.size(); ++column) {
      auto& field = object.fields[column];
      field.reference_to.clear();
      field.type = infer_type(object, column, field.reference_to);
    }
  }
  for (const auto& child : objects_) {
    for (const auto& field : child.fields) {
      for (const auto& parent_name : field.reference_to) {
        const auto parent = std::find_if(objects_.begin(), objects_.end(),
                                         [&](const SObject& o) { return o.name == parent_name; });
        if (parent == objects_.end()) continue;
        const bool named = std::any_of(
            parent->children.begin(), parent->children.end(),
            [&](const ChildRelationship& r) { return r.child == child.name && !r.name.empty(); });
        parent->children.push_back(
            {child.name, field.name, named ? std::string() : child_relationship_name(child.name)});
      }
    }
  }
}

FieldType Org::infer_type(const SObject& object, std::size_t column,
                          std::vector<std::string>& reference_to) const {
  const auto& name = object.fields[column].name;
  if (iequals(name, "Id")) return FieldType::kId;
  std::vector<std::string_view> values;
  for (const auto& row : object.rows) {
    if (!row[column].empty()) values.push_back(row[column]);
  }
  const auto all = [&](auto predicate) {
    return !values.empty() && std::all_of(values.begin(), values.end(), predicate);
  };
  const bool text_ids =
      std::any_of(text_id_fields_.begin(), text_id_fields_.end(), [&](const std::string& part) {
        return !part.empty() && name.find(part) != std::string::npos;
      });
  if (!text_ids && all([](std::string_view v) { return salesforce_id_key(v).has_value(); })) {
    for (const auto value : values) {
      auto target = object_with_prefix(value.substr(0, 3));
      if (!target.empty() &&
          std::find(reference_to.begin(), reference_to.end(), target) == reference_to.end()) {
        reference_to.push_back(std::move(target));
      }
    }
    std::sort(reference_to.begin(), reference_to.end());
    if (!reference_to.empty()) return FieldType::kReference;
  }
  if (all(is_boolean)) return FieldType::kBoolean;
  if (all(is_datetime)) return FieldType::kDateTime;
  if (all(is_date)) return FieldType::kDate;
  const auto base = base_name(name);
  const bool email_name = base.ends_with("Email") || base.ends_with("Address");
  if (email_name && std::all_of(values.begin(), values.end(), [](std::string_view v) {
        return v.find('@') != std::string_view::npos;
      })) {
    return FieldType::kEmail;
  }
  for (const std::string_view part : {"Phone", "Mobile", "Fax"}) {
    if (name.find(part) != std::string::npos) return FieldType::kPhone;
  }
  for (const std::string_view long_text :
       {"Description", "Body", "TextBody", "Comments", "Transcript"}) {
    if (base == long_text) return FieldType::kTextArea;
  }
  if (std::any_of(values.begin(), values.end(), [](std::string_view v) {
        return v.size() > 255 || v.find_first_of("\r\n") != std::string_view::npos;
      })) {
    return FieldType::kTextArea;
  }
  return FieldType::kString;
}

std::string Org::object_with_prefix(std::string_view prefix) const {
  for (const auto& object : objects_) {
    if (object.key_prefix == prefix) return object.name;
  }
  for (const auto& [standard_prefix, name] : kStandardPrefixes) {
    if (standard_prefix == prefix) return std::string(name);
  }
  return {};
}

}  // namespace crmscan::sfemu

#include "crmscan/record.hpp"

#include <cmath>
#include <cstdio>

#include "crmscan/text.hpp"

namespace crmscan {

std::string value_text(const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  if (const auto* number = std::get_if<double>(&value)) {
    char buffer[32];
    if (std::nearbyint(*number) == *number && std::fabs(*number) < 1e15) {
      std::snprintf(buffer, sizeof buffer, "%.0f", *number);
    } else {
      std::snprintf(buffer, sizeof buffer, "%.17g", *number);
    }
    return buffer;
  }
  return {};
}

const std::string& value_text(const Value& value, std::string& storage) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  storage = value_text(value);
  return storage;
}

bool value_empty(const Value& value) {
  if (std::holds_alternative<std::monostate>(value)) return true;
  const auto* text = std::get_if<std::string>(&value);
  return text != nullptr && text->empty();
}

std::optional<std::size_t> ObjectSchema::index_of(std::string_view field) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (iequals(fields[i].name, field)) return i;
  }
  return std::nullopt;
}

std::string Record::location() const {
  return line == 0 ? source : source + ":" + std::to_string(line);
}

const Value& Record::get(std::string_view field) const {
  static const Value kNull;
  const auto index = schema->index_of(field);
  return index && *index < values.size() ? values[*index] : kNull;
}

}  // namespace crmscan

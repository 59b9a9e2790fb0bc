#include "crmscan/json_members.hpp"

namespace crmscan {

std::string member_string(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  const auto found = object.FindMember(key);
  return found != object.MemberEnd() && found->value.IsString()
             ? std::string(found->value.GetString(), found->value.GetStringLength())
             : std::string();
}

bool member_bool(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return false;
  const auto found = object.FindMember(key);
  return found != object.MemberEnd() && found->value.IsBool() && found->value.GetBool();
}

std::vector<std::string> member_strings(const rapidjson::Value& object, const char* key) {
  std::vector<std::string> values;
  const auto* array = member_of_type(object, key, true);
  if (array == nullptr) return values;
  for (const auto& value : array->GetArray()) {
    if (value.IsString()) values.emplace_back(value.GetString(), value.GetStringLength());
  }
  return values;
}

const rapidjson::Value* member_of_type(const rapidjson::Value& object, const char* key,
                                       bool is_array) {
  if (!object.IsObject()) return nullptr;
  const auto found = object.FindMember(key);
  if (found == object.MemberEnd()) return nullptr;
  return (is_array ? found->value.IsArray() : found->value.IsObject()) ? &found->value : nullptr;
}

}  // namespace crmscan

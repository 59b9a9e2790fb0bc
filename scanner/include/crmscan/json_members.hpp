// Reading the members of a parsed JSON object: what a member of the wrong type or a missing one
// reads as, the same everywhere (a report read back, the values file, an API's response).
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace crmscan {

/// The string member `key` of an object, or empty (also when `object` is no object).
std::string member_string(const rapidjson::Value& object, const char* key);
/// The boolean member `key` of an object; false when it is missing or no boolean.
bool member_bool(const rapidjson::Value& object, const char* key);
/// The strings of the array member `key` of an object (other elements skipped); empty when it is
/// missing or no array.
std::vector<std::string> member_strings(const rapidjson::Value& object, const char* key);
/// The member `key` of an object when it is an object or an array (as `is_array` asks), else null.
const rapidjson::Value* member_of_type(const rapidjson::Value& object, const char* key,
                                       bool is_array);

}  // namespace crmscan

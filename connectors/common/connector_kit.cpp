#include "connector_kit.hpp"

#include <algorithm>

#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "wait_budget.hpp"

namespace crmscan {
namespace {

// Digits only, and few enough to fit any count a connector keeps.
bool whole_number(std::string_view text) {
  return !text.empty() && text.size() <= 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Why `value` does not fit the option's type, or empty when it does.
std::string misfit(const ConnectorOption& option, const std::string& value) {
  if (option.type == "int" && !whole_number(value))
    return option.key + " must be a whole number, not '" + value + "'";
  if (option.type == "bool" && !iequals(value, "true") && !iequals(value, "false"))
    return option.key + " must be true or false, not '" + value + "'";
  return {};
}

}  // namespace

ConnectorOption max_api_calls_option(const std::string& default_value) {
  return {"max_api_calls", "int", default_value,
          "stop the scan after this many requests (0: no cap)", false};
}

ConnectorOption ca_file_option() {
  return {"ca_file", "path", "", "a CA bundle to trust (a private CA); TLS is always verified",
          false};
}

void check_options(const ConnectorDescriptor& descriptor, const ConnectorConfig& config) {
  for (const auto& [key, value] : config) {
    const auto option =
        std::find_if(descriptor.options.begin(), descriptor.options.end(),
                     [&key = key](const ConnectorOption& o) { return o.key == key; });
    if (option == descriptor.options.end()) {
      throw ConfigError("connector " + descriptor.name + ": unknown option '" + key +
                        "' (see 'crmscan connectors')");
    }
    if (const auto why = misfit(*option, value); !why.empty())
      throw ConfigError("connector " + descriptor.name + ": " + why);
  }
}

ConnectorOptions::ConnectorOptions(ConnectorDescriptor descriptor, ConnectorConfig config)
    : descriptor_(std::move(descriptor)), config_(std::move(config)) {
  check_options(descriptor_, config_);
}

const ConnectorOption& ConnectorOptions::option(const std::string& key) const {
  const auto found = std::find_if(descriptor_.options.begin(), descriptor_.options.end(),
                                  [&key](const ConnectorOption& o) { return o.key == key; });
  // A connector asking for an option it does not describe is a bug of the connector.
  if (found == descriptor_.options.end())
    throw std::logic_error("connector " + descriptor_.name + " has no option " + key);
  return *found;
}

bool ConnectorOptions::given(const std::string& key) const {
  return config_.count(key) != 0;
}

const std::string& ConnectorOptions::text(const std::string& key) const {
  const auto found = config_.find(key);
  return found != config_.end() ? found->second : option(key).default_value;
}

std::size_t ConnectorOptions::number(const std::string& key) const {
  const auto& value = text(key);
  if (!whole_number(value)) throw error(misfit(option(key), value));
  return std::stoull(value);
}

std::size_t ConnectorOptions::number(const std::string& key, std::size_t low,
                                     std::size_t high) const {
  return std::clamp(number(key), low, high);
}

std::chrono::seconds ConnectorOptions::max_wait() const {
  return std::chrono::seconds(number("max_wait"));
}

HttpOptions ConnectorOptions::http(HttpOptions options) const {
  if (const auto& ca_file = text("ca_file"); !ca_file.empty()) options.ca_file = ca_file;
  return options;
}

HttpOptions ConnectorOptions::http_with_wait_budget(HttpOptions options) const {
  return with_wait_budget(http(std::move(options)), max_wait());
}

ConfigError ConnectorOptions::error(const std::string& message) const {
  return ConfigError("connector " + descriptor_.name + ": " + message);
}

std::string json_text(const rapidjson::Value& value) {
  if (value.IsString()) return {value.GetString(), value.GetStringLength()};
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  return {};
}

Value json_value(const rapidjson::Value& value) {
  if (value.IsString()) return std::string(value.GetString(), value.GetStringLength());
  if (value.IsBool()) return value.GetBool();
  if (value.IsNumber()) return value.GetDouble();
  return Value{};
}

rapidjson::Document json_body(const HttpResponse& response, const std::string& what, bool object) {
  if (response.header("content-type").find("json") == std::string::npos) {
    throw ApiError(what + ": the response is not JSON (" + response.header("content-type") + ")");
  }
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError() || (object && !document.IsObject()))
    throw ApiError(what + ": the response is not valid JSON (truncated?)");
  return document;
}

const rapidjson::Value& json_array(const rapidjson::Value& object, const char* key,
                                   const std::string& what) {
  const auto member = object.IsObject() ? object.FindMember(key) : object.MemberEnd();
  if (!object.IsObject() || member == object.MemberEnd() || !member->value.IsArray())
    throw ApiError(what + ": no " + key + " in the response");
  return member->value;
}

std::string api_error_text(const HttpResponse& response, const ErrorShape& shape) {
  std::string text = "HTTP " + std::to_string(response.status);
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError()) return text;
  const rapidjson::Value* error = &document;
  if (shape.in_array) {
    if (!document.IsArray() || document.Empty()) return text;
    error = &document[0];
  }
  if (shape.container != nullptr) {
    if (!error->IsObject()) return text;
    const auto member = error->FindMember(shape.container);
    if (member == error->MemberEnd()) return text;
    error = &member->value;
  }
  if (!error->IsObject()) return text;
  for (const char* key : shape.code_keys) {
    if (const auto code = member_string(*error, key); !code.empty()) {
      text += " " + code;
      break;
    }
  }
  if (const auto message = member_string(*error, shape.message_key); !message.empty())
    text += ": " + message;
  return scrub(text, 300);
}

HttpResponse send_renewing_once(const std::function<HttpResponse()>& send,
                                const std::function<bool(const HttpResponse&)>& expired,
                                const std::function<void()>& renew,
                                const std::function<void(const HttpResponse&)>& refused) {
  auto response = send();
  if (!expired(response)) return response;
  renew();
  response = send();
  if (!expired(response)) return response;
  refused(response);
  throw Error(ExitCode::kIncomplete, "the API refused a renewed token too");
}

void check_call_cap(std::size_t calls, std::size_t cap) {
  if (cap != 0 && calls >= cap)
    throw LimitReached("stopped after " + std::to_string(calls) + " API calls (--max-api-calls)");
}

bool is_guid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex) return false;
  }
  return true;
}

}  // namespace crmscan

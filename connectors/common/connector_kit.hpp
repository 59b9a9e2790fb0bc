#pragma once

// What every connector that talks to an API shares: its errors, its options read against its
// descriptor, JSON helpers, the reading of an API's error body, the call that renews a token
// once on 401, and its registration.

#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/error.hpp"
#include "crmscan/http.hpp"
#include "crmscan/json_members.hpp"
#include "crmscan/record.hpp"
#include "wait_budget.hpp"

namespace crmscan {

/// The API's limits or the user's cap were reached, or the API cannot be used any more: the
/// scan stops, incomplete.
class LimitReached : public Error {
 public:
  explicit LimitReached(const std::string& message) : Error(ExitCode::kIncomplete, message) {}
};

/// The API answered one request with an error: what it was reading is incomplete, the scan goes
/// on with the rest.
class ApiError : public Error {
 public:
  explicit ApiError(const std::string& message) : Error(ExitCode::kIncomplete, message) {}
};

// ---- Options ----

/// An option every connector with a request cap takes.
ConnectorOption max_api_calls_option(const std::string& default_value = "0");
/// The `ca_file` option of every connector that talks HTTPS.
ConnectorOption ca_file_option();

/// Checks every value the configuration gives against its option's type, as
/// create_connector() does before any connector is made: `int` a whole number, `bool` true or
/// false (an `enum` the connector reads itself, with its aliases); unknown keys are refused.
/// ConfigError naming the connector.
void check_options(const ConnectorDescriptor& descriptor, const ConnectorConfig& config);

/// A connector's configuration read once against its descriptor (fluent-bit's config map is the
/// model): values checked by type, an option not given has its default.
class ConnectorOptions {
 public:
  /// ConfigError when a value does not fit its option (see check_options()).
  ConnectorOptions(ConnectorDescriptor descriptor, ConnectorConfig config);

  /// Whether the configuration gives the option (its default does not count).
  bool given(const std::string& key) const;
  /// The option's value, or its default.
  const std::string& text(const std::string& key) const;
  /// An `int` option's value, or its default.
  std::size_t number(const std::string& key) const;
  /// An `int` option's value clamped to [low, high].
  std::size_t number(const std::string& key, std::size_t low, std::size_t high) const;
  /// The `max_wait` option's budget.
  std::chrono::seconds max_wait() const;
  /// `options` with what this configuration sets of them (`ca_file`).
  HttpOptions http(HttpOptions options) const;
  /// `options` with what this configuration sets of them, under the wait budget of `max_wait`.
  HttpOptions http_with_wait_budget(HttpOptions options) const;
  /// A ConfigError naming the connector: "connector NAME: message".
  ConfigError error(const std::string& message) const;

 private:
  const ConnectorOption& option(const std::string& key) const;

  ConnectorDescriptor descriptor_;
  ConnectorConfig config_;
};

// ---- JSON ----

/// A string or an integer as text ("5101" whether sent as "5101" or 5101); empty otherwise.
std::string json_text(const rapidjson::Value& value);
/// A JSON scalar as a record value: strings, booleans and numbers; null for anything else.
Value json_value(const rapidjson::Value& value);
/// The JSON body of a response already found successful; ApiError naming `what` when it is not
/// labelled JSON, or is no valid JSON (an object when `object` is set).
rapidjson::Document json_body(const HttpResponse& response, const std::string& what,
                              bool object = true);

/// The array member `key` of a JSON object; ApiError "WHAT: no KEY in the response" when it is
/// missing or no array.
const rapidjson::Value& json_array(const rapidjson::Value& object, const char* key,
                                   const std::string& what);

// ---- Error bodies ----

/// Where an API writes its error's code and message in an error body.
struct ErrorShape {
  /// The body is an array whose first element is the error (Salesforce).
  bool in_array = false;
  /// The member holding the error object ("error" in OData); null: the body itself.
  const char* container = nullptr;
  /// The members that may hold its code, the first present one counts.
  std::vector<const char*> code_keys;
  const char* message_key = "message";
};

/// "HTTP 400 CODE: message" from an error response of that shape, scrubbed and shortened;
/// "HTTP 400" alone when the body says nothing readable.
std::string api_error_text(const HttpResponse& response, const ErrorShape& shape);

// ---- Calls ----

/// One request with a token that may expire: `send` sends it (signing in first when it holds no
/// token, checking any request cap); when `expired` says the answer refused the token, `renew`
/// drops it (or throws, when it cannot be renewed) and the request goes once more; a second
/// refusal is handed to `refused`, which throws the connector's error.
HttpResponse send_renewing_once(const std::function<HttpResponse()>& send,
                                const std::function<bool(const HttpResponse&)>& expired,
                                const std::function<void()>& renew,
                                const std::function<void(const HttpResponse&)>& refused);

/// Throws LimitReached when `calls` reached a cap that is not 0 (`--max-api-calls`).
void check_call_cap(std::size_t calls, std::size_t cap);

// ---- Identifiers ----

/// A GUID as Dataverse and Vonage write them: 8-4-4-4-12 hex digits, any case, no braces.
bool is_guid(std::string_view text);

// ---- Registration ----

/// A connector's descriptor, made once from its `describe_connector()`.
template <class C>
const ConnectorDescriptor& descriptor_of() {
  static const ConnectorDescriptor kDescriptor = C::describe_connector();
  return kDescriptor;
}

/// The registry entry of a connector class that has `static ConnectorDescriptor
/// describe_connector()` and a constructor from a ConnectorConfig.
template <class C>
ConnectorEntry connector_entry() {
  return {&C::describe_connector, [](const ConnectorConfig& config) -> std::unique_ptr<Connector> {
            return std::make_unique<C>(config);
          }};
}

}  // namespace crmscan

#include "dynamics365_auth.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crmscan/error.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace crmscan::dynamics365 {
namespace {

// Tokens are renewed this long before Azure AD says they expire, so that none expires in flight.
constexpr auto kExpiryMargin = std::chrono::seconds(120);

std::string json_string(const rapidjson::Value& object, const char* key) {
  const auto member = object.FindMember(key);
  return member != object.MemberEnd() && member->value.IsString() ? member->value.GetString()
                                                                  : std::string();
}

std::string required(const std::string& name) {
  auto value = environment_secret(name);
  if (value.empty()) {
    throw ConfigError("connector dynamics365: set " + name + " (or " + name +
                      "_FILE, a file holding it) in the environment");
  }
  return value;
}

// A tenant id (GUID) or a verified domain: nothing that could change the token URL's path.
bool valid_tenant(std::string_view tenant) {
  return !tenant.empty() && std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

}  // namespace

ClientCredentials::ClientCredentials(std::string authority, std::string resource, HttpClient& http)
    : http_(http) {
  const auto tenant = required("D365_TENANT_ID");
  if (!valid_tenant(tenant)) {
    throw ConfigError("connector dynamics365: D365_TENANT_ID must be a tenant id or a domain name");
  }
  client_id_ = required("D365_CLIENT_ID");
  client_secret_ = required("D365_CLIENT_SECRET");
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  while (!resource.empty() && resource.back() == '/') resource.pop_back();
  HttpClient::check_url(authority);
  token_url_ = authority + "/" + tenant + "/oauth2/v2.0/token";
  scope_ = resource + "/.default";
}

AccessToken ClientCredentials::fetch() {
  const auto form = "grant_type=client_credentials&client_id=" + HttpClient::escape(client_id_) +
                    "&client_secret=" + HttpClient::escape(client_secret_) +
                    "&scope=" + HttpClient::escape(scope_);
  const auto response = http_.send(
      {"POST",
       token_url_,
       {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
       form});
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  const bool object = !document.HasParseError() && document.IsObject();
  if (response.status != 200 || !object || json_string(document, "access_token").empty()) {
    // Azure AD's `error` and the AADSTS code that starts its description say why; the rest of
    // the description (trace and correlation ids) is left out.
    std::string why = "HTTP " + std::to_string(response.status);
    if (object) {
      if (const auto error = json_string(document, "error"); !error.empty()) why += " " + error;
      const auto description = json_string(document, "error_description");
      if (description.rfind("AADSTS", 0) == 0)
        why += " (" + description.substr(0, description.find(':')) + ")";
      why = scrub(why, 300);
    }
    throw Error(ExitCode::kIncomplete, "Azure AD refused the token request at " + token_url_ +
                                           ": " + why +
                                           "; check D365_TENANT_ID, D365_CLIENT_ID and "
                                           "D365_CLIENT_SECRET");
  }
  long seconds = 3599;
  if (const auto member = document.FindMember("expires_in"); member != document.MemberEnd()) {
    if (member->value.IsInt64()) seconds = static_cast<long>(member->value.GetInt64());
    if (member->value.IsString()) seconds = std::strtol(member->value.GetString(), nullptr, 10);
  }
  const auto lifetime =
      std::max(std::chrono::seconds(seconds) - kExpiryMargin, std::chrono::seconds(seconds / 2));
  register_secret(json_string(document, "access_token"));
  return {json_string(document, "access_token"), std::chrono::steady_clock::now() + lifetime};
}

}  // namespace crmscan::dynamics365

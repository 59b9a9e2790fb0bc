#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "crmscan/http.hpp"

namespace crmscan::dynamics365 {

/// An access token for the Dataverse Web API and when it stops being usable.
struct AccessToken {
  std::string value;
  std::chrono::steady_clock::time_point expires;
};

/// Gets Azure AD (Microsoft Entra ID) tokens with the OAuth 2.0 client-credentials grant, for
/// an application user of the Dataverse environment. Credentials come only from the environment
/// or from files named there, never from arguments: `D365_TENANT_ID`, `D365_CLIENT_ID`,
/// `D365_CLIENT_SECRET`, any of them as `X_FILE` (the path of a file holding it).
class ClientCredentials {
 public:
  /// `authority` is the sign-in host (https://login.microsoftonline.com, a national cloud's, or
  /// an emulator); `resource` is the environment URL whose `/.default` scope is asked for.
  /// Throws ConfigError when a variable is missing or the tenant is not a tenant id or domain.
  ClientCredentials(std::string authority, std::string resource, HttpClient& http);

  /// A new token; throws Error (incomplete) when Azure AD refuses or cannot be reached.
  AccessToken fetch();

 private:
  std::string token_url_;
  std::string client_id_;
  std::string client_secret_;
  std::string scope_;
  HttpClient& http_;
};

}  // namespace crmscan::dynamics365

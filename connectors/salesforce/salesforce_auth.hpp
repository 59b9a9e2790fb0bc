#pragma once

#include <string>

#include "crmscan/connector.hpp"
#include "crmscan/http.hpp"

namespace crmscan::salesforce {

/// An access token and the org's instance URL.
struct Session {
  std::string access_token;
  std::string instance_url;
};

/// Signs in to Salesforce with credentials taken only from the environment or from files named
/// there, never from arguments:
/// - `SF_ACCESS_TOKEN` + `SF_INSTANCE_URL`: a token already at hand;
/// - `SF_AUTH_FILE`: the JSON that `sf org display --json` prints;
/// - `SF_CLIENT_ID` + `SF_CLIENT_SECRET`: the client-credentials flow (My Domain login URL);
/// - `SF_CLIENT_ID` + `SF_REFRESH_TOKEN`: the refresh-token flow;
/// - `SF_CLIENT_ID` + `SF_USERNAME` + `SF_JWT_KEY_FILE`: the JWT bearer flow (RS256);
/// - `SF_CLIENT_ID` + `SF_USERNAME` + `SF_PASSWORD` (+ `SF_SECURITY_TOKEN`): username-password.
/// Any `X` may instead be given as `X_FILE`, the path of a file holding it.
class Authenticator {
 public:
  /// `flow` is one of auto, token, sf-cli, client-credentials, refresh-token, jwt, password.
  /// `jwt_audience` is the JWT bearer assertion's `aud`; empty: the login host it stands for
  /// (https://test.salesforce.com for a sandbox, else https://login.salesforce.com).
  Authenticator(std::string flow, std::string login_url, HttpClient& http,
                std::string jwt_audience = {});
  /// The `aud` of JWT bearer assertions for a login URL: Salesforce wants its login host, not a
  /// My Domain — test.salesforce.com for sandboxes, login.salesforce.com otherwise.
  static std::string jwt_audience_for(const std::string& login_url);

  /// Signs in; throws ConfigError when the credentials for the flow are missing, and Error
  /// (incomplete) when Salesforce refuses them.
  Session sign_in();
  /// Whether sign_in() can get a new token after a session expires (a bare token cannot).
  bool can_renew() const { return flow_ != "token" && flow_ != "sf-cli"; }
  /// The flow chosen (auto resolved).
  const std::string& flow() const { return flow_; }

 private:
  Session token_request(const std::string& form);
  std::string jwt_assertion() const;

  std::string flow_;
  std::string login_url_;
  std::string jwt_audience_;
  HttpClient& http_;
  std::string refresh_token_;  // a refresh token handed back by a flow, used on renewal
};

}  // namespace crmscan::salesforce

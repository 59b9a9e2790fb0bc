// What the security and attack tests share: the Salesforce sample served by the emulator, with
// credentials of the test's, distinct enough that a leak of any of them is found by grep; and
// the emulator behind a server of the test's.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sf_emulator.hpp"
#include "support.hpp"

namespace crmscan::test {

/// The credentials an emulated org accepts.
struct OrgCredentials {
  std::string client_id;
  std::string client_secret;
  std::string password;
  std::string security_token;
  /// A refresh token it accepts too (empty: only the ones it issues).
  std::string refresh_token;

  /// The Salesforce sample, served with these credentials.
  sfemu::EmulatorOptions sample_org() const {
    sfemu::EmulatorOptions options;
    options.data_dir = source_path("samples/salesforce-export");
    options.client_id = client_id;
    options.client_secret = client_secret;
    options.password = password + security_token;
    if (!refresh_token.empty()) options.refresh_token = refresh_token;
    return options;
  }

  /// The environment of a sign-in with username, password and security token.
  std::vector<std::pair<std::string, std::string>> password_sign_in() const {
    return {{"SF_CLIENT_ID", client_id},
            {"SF_CLIENT_SECRET", client_secret},
            {"SF_USERNAME", "scanner@example.com"},
            {"SF_PASSWORD", password},
            {"SF_SECURITY_TOKEN", security_token}};
  }
};

/// The emulator's answer (on 127.0.0.1:`port`) to a request that came to a server in front of
/// it, sent on with its headers but those httplib writes itself; none when it cannot be reached.
inline httplib::Result forward(std::uint16_t port, const httplib::Request& request) {
  httplib::Client client("127.0.0.1", port);
  httplib::Headers headers;
  for (const auto& [name, value] : request.headers) {
    if (name != "Host" && name != "Content-Length" && name != "Accept-Encoding")
      headers.emplace(name, value);
  }
  return request.method == "GET" ? client.Get(request.target, headers)
                                 : client.Post(request.target, headers, request.body,
                                               request.get_header_value("Content-Type"));
}

}  // namespace crmscan::test

#include "salesforce_auth.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "crmscan/error.hpp"
#include "crmscan/input.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace crmscan::salesforce {
namespace {

std::string read_file(const std::string& path, const std::string& what) {
  std::string why;
  auto content = read_regular_file(path, kMaxCredentialFileBytes, why);
  if (!content) throw ConfigError(what + ": " + path + " " + why);
  return std::move(*content);
}

// A session's token is a secret wherever it came from: whole, and its part after the org id.
Session remember(Session session) {
  register_secret(session.access_token);
  if (const auto bang = session.access_token.find('!'); bang != std::string::npos)
    register_secret(session.access_token.substr(bang + 1));
  return session;
}

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    const auto n = static_cast<unsigned char>(bytes[i]) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63]};
  } else if (i + 2 == bytes.size()) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63]};
  }
  return out;
}

std::string json_string(const rapidjson::Value& object, const char* key) {
  const auto member = object.FindMember(key);
  return member != object.MemberEnd() && member->value.IsString() ? member->value.GetString()
                                                                  : std::string();
}

std::string form_field(const std::string& key, const std::string& value) {
  return key + "=" + HttpClient::escape(value);
}

}  // namespace

Authenticator::Authenticator(std::string flow, std::string login_url, HttpClient& http,
                             std::string jwt_audience)
    : flow_(std::move(flow)),
      login_url_(std::move(login_url)),
      jwt_audience_(std::move(jwt_audience)),
      http_(http) {
  while (!login_url_.empty() && login_url_.back() == '/') login_url_.pop_back();
  if (jwt_audience_.empty()) jwt_audience_ = jwt_audience_for(login_url_);
  if (flow_ == "auto") {
    if (!environment_secret("SF_ACCESS_TOKEN").empty())
      flow_ = "token";
    else if (std::getenv("SF_AUTH_FILE") != nullptr)
      flow_ = "sf-cli";
    else if (!environment_secret("SF_JWT_KEY").empty())
      flow_ = "jwt";
    else if (!environment_secret("SF_REFRESH_TOKEN").empty())
      flow_ = "refresh-token";
    else if (!environment_secret("SF_PASSWORD").empty())
      flow_ = "password";
    else if (!environment_secret("SF_CLIENT_SECRET").empty())
      flow_ = "client-credentials";
    else {
      throw ConfigError(
          "connector salesforce: no credentials in the environment (set SF_ACCESS_TOKEN and "
          "SF_INSTANCE_URL, "
          "SF_AUTH_FILE, or SF_CLIENT_ID with SF_CLIENT_SECRET, SF_REFRESH_TOKEN, SF_JWT_KEY_FILE "
          "or SF_PASSWORD; "
          "see the README)");
    }
  }
  static const char* const kFlows[] = {"token",         "sf-cli", "client-credentials",
                                       "refresh-token", "jwt",    "password"};
  if (std::find(std::begin(kFlows), std::end(kFlows), flow_) == std::end(kFlows)) {
    throw ConfigError(
        "connector salesforce: auth '" + flow_ +
        "' is not one of auto, token, sf-cli, client-credentials, refresh-token, jwt, password");
  }
}

std::string Authenticator::jwt_audience_for(const std::string& login_url) {
  auto host =
      login_url.substr(login_url.find("://") == std::string::npos ? 0 : login_url.find("://") + 3);
  host = ascii_lower(host.substr(0, host.find_first_of("/:")));
  const auto ends_with = [&host](std::string_view suffix) {
    return host.size() >= suffix.size() &&
           host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return host == "test.salesforce.com" || ends_with(".sandbox.my.salesforce.com")
             ? "https://test.salesforce.com"
             : "https://login.salesforce.com";
}

Session Authenticator::sign_in() {
  const auto need = [this](const char* name) {
    auto value = environment_secret(name);
    if (value.empty()) {
      throw ConfigError(std::string("connector salesforce: the ") + flow_ + " flow needs " + name +
                        " (or " + name + "_FILE) in the environment");
    }
    return value;
  };
  if (flow_ == "token") {
    auto instance = environment_secret("SF_INSTANCE_URL");
    if (instance.empty())
      throw ConfigError("connector salesforce: SF_ACCESS_TOKEN needs SF_INSTANCE_URL too");
    return remember({need("SF_ACCESS_TOKEN"), instance});
  }
  if (flow_ == "sf-cli") {
    const char* path = std::getenv("SF_AUTH_FILE");
    if (path == nullptr)
      throw ConfigError("connector salesforce: the sf-cli flow needs SF_AUTH_FILE");
    const auto content = read_file(path, "SF_AUTH_FILE");
    rapidjson::Document document;
    document.Parse(content.c_str(), content.size());
    if (document.HasParseError() || !document.IsObject() || !document.HasMember("result") ||
        !document["result"].IsObject()) {
      throw ConfigError(
          "connector salesforce: SF_AUTH_FILE does not hold the JSON of 'sf org display --json'");
    }
    Session session{json_string(document["result"], "accessToken"),
                    json_string(document["result"], "instanceUrl")};
    if (session.access_token.empty() || session.instance_url.empty()) {
      throw ConfigError(
          "connector salesforce: SF_AUTH_FILE has no result.accessToken and result.instanceUrl");
    }
    return remember(session);
  }
  const auto client_id = need("SF_CLIENT_ID");
  if (!refresh_token_.empty() || flow_ == "refresh-token") {
    const auto token = refresh_token_.empty() ? need("SF_REFRESH_TOKEN") : refresh_token_;
    auto form = form_field("grant_type", "refresh_token") + "&" +
                form_field("refresh_token", token) + "&" + form_field("client_id", client_id);
    if (const auto client_secret = environment_secret("SF_CLIENT_SECRET"); !client_secret.empty()) {
      form += "&" + form_field("client_secret", client_secret);
    }
    return token_request(form);
  }
  if (flow_ == "client-credentials") {
    return token_request(form_field("grant_type", "client_credentials") + "&" +
                         form_field("client_id", client_id) + "&" +
                         form_field("client_secret", need("SF_CLIENT_SECRET")));
  }
  if (flow_ == "jwt") {
    return token_request(form_field("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer") +
                         "&" + form_field("assertion", jwt_assertion()));
  }
  // Username-password: the security token, when the org wants one, follows the password.
  auto form = form_field("grant_type", "password") + "&" + form_field("client_id", client_id) +
              "&" + form_field("username", need("SF_USERNAME")) + "&" +
              form_field("password", need("SF_PASSWORD") + environment_secret("SF_SECURITY_TOKEN"));
  if (const auto client_secret = environment_secret("SF_CLIENT_SECRET"); !client_secret.empty()) {
    form += "&" + form_field("client_secret", client_secret);
  }
  return token_request(form);
}

Session Authenticator::token_request(const std::string& form) {
  HttpRequest request{
      "POST",
      login_url_ + "/services/oauth2/token",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
      form};
  const auto response = http_.send(request);
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (response.status != 200 || document.HasParseError() || !document.IsObject()) {
    std::string reason = "HTTP " + std::to_string(response.status);
    if (!document.HasParseError() && document.IsObject()) {
      reason +=
          ": " + json_string(document, "error") + " " + json_string(document, "error_description");
    }
    throw Error(ExitCode::kIncomplete, "Salesforce refused to sign in (" + flow_ + " flow at " +
                                           login_url_ + "): " + scrub(reason, 300));
  }
  Session session{json_string(document, "access_token"), json_string(document, "instance_url")};
  if (session.access_token.empty() || session.instance_url.empty()) {
    throw Error(ExitCode::kIncomplete,
                "Salesforce's token response has no access_token or instance_url");
  }
  if (auto refresh = json_string(document, "refresh_token"); !refresh.empty()) {
    register_secret(refresh);
    refresh_token_ = std::move(refresh);
  }
  return remember(session);
}

std::string Authenticator::jwt_assertion() const {
  const auto pem = environment_secret("SF_JWT_KEY");
  if (pem.empty())
    throw ConfigError(
        "connector salesforce: the jwt flow needs SF_JWT_KEY_FILE (a PEM private key)");
  const auto expires =
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch() + std::chrono::minutes(3))
          .count();
  const auto client_id = environment_secret("SF_CLIENT_ID"),
             username = environment_secret("SF_USERNAME");
  if (username.empty()) throw ConfigError("connector salesforce: the jwt flow needs SF_USERNAME");
  const auto escape_json = [](const std::string& text) {
    std::string out;
    for (const char c : text) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  };
  const std::string header = base64url(R"({"alg":"RS256","typ":"JWT"})");
  const std::string payload = base64url(
      "{\"iss\":\"" + escape_json(client_id) + "\",\"sub\":\"" + escape_json(username) +
      "\",\"aud\":\"" + escape_json(jwt_audience_) + "\",\"exp\":" + std::to_string(expires) + "}");
  const auto signing_input = header + "." + payload;

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key)
    throw ConfigError("connector salesforce: SF_JWT_KEY_FILE does not hold a PEM private key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  std::size_t length = 0;
  if (EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw ConfigError("connector salesforce: the JWT key cannot sign RS256");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    throw ConfigError("connector salesforce: the JWT key cannot sign RS256");
  }
  signature.resize(length);
  return signing_input + "." + base64url(signature);
}

}  // namespace crmscan::salesforce

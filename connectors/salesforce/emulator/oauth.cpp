#include "oauth.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <vector>

namespace crmscan::sfemu {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c == '-') return 62;  // base64url
  if (c == '_') return 63;
  const auto at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

std::optional<rapidjson::Document> parse_json_part(std::string_view part) {
  const auto bytes = base64_decode(part);
  if (!bytes) return std::nullopt;
  rapidjson::Document document;
  document.Parse(bytes->data(), bytes->size());
  if (document.HasParseError() || !document.IsObject()) return std::nullopt;
  return document;
}

bool string_member_is(const rapidjson::Document& document, const char* name,
                      std::string_view expected) {
  const auto found = document.FindMember(name);
  return found != document.MemberEnd() && found->value.IsString() &&
         std::string_view(found->value.GetString(), found->value.GetStringLength()) == expected;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t chunk = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) chunk |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) chunk |= static_cast<std::uint8_t>(bytes[i + 2]);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = sextet(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string hmac_sha256_base64(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

struct PublicKey::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

PublicKey::PublicKey(const std::string& pem) : key_(std::make_unique<Key>()) {
  const auto read = [&](auto reader) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    auto* result = reader(bio);
    BIO_free(bio);
    return result;
  };
  key_->pkey = read([](BIO* bio) { return PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr); });
  if (!key_->pkey) {
    // A connected app is given a certificate: take the key it certifies.
    X509* certificate =
        read([](BIO* bio) { return PEM_read_bio_X509(bio, nullptr, nullptr, nullptr); });
    if (certificate) {
      key_->pkey = X509_get_pubkey(certificate);
      X509_free(certificate);
    }
  }
  if (!key_->pkey) throw std::invalid_argument("not a PEM public key or certificate");
}

PublicKey::~PublicKey() = default;

bool PublicKey::verify(std::string_view data, std::string_view signature) const {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
      EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(context);
  return ok;
}

bool verify_jwt(std::string_view assertion, const std::string& issuer, const std::string& subject,
                const std::vector<std::string>& audiences, const PublicKey* key,
                std::int64_t now_seconds) {
  const auto first = assertion.find('.');
  const auto second = assertion.find('.', first == std::string_view::npos ? 0 : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos ||
      assertion.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  const auto header = parse_json_part(assertion.substr(0, first));
  const auto payload = parse_json_part(assertion.substr(first + 1, second - first - 1));
  const auto signature = base64_decode(assertion.substr(second + 1));
  if (!header || !payload || !signature || signature->empty()) return false;
  if (!string_member_is(*header, "alg", "RS256")) return false;
  if (!string_member_is(*payload, "iss", issuer) || !string_member_is(*payload, "sub", subject))
    return false;
  if (std::none_of(audiences.begin(), audiences.end(), [&](const std::string& audience) {
        return string_member_is(*payload, "aud", audience);
      }))
    return false;
  const auto exp = payload->FindMember("exp");
  if (exp == payload->MemberEnd() || !exp->value.IsNumber() ||
      exp->value.GetDouble() <= now_seconds)
    return false;
  return !key || key->verify(assertion.substr(0, second), *signature);
}

}  // namespace crmscan::sfemu

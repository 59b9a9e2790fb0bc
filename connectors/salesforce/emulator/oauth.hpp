#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan::sfemu {

/// Base64 with the standard alphabet and padding.
std::string base64_encode(std::string_view bytes);

/// The bytes of base64 or base64url text, padded or not; nothing when it is neither.
std::optional<std::string> base64_decode(std::string_view text);

/// HMAC-SHA256 of `data` under `key`, base64-encoded (a token response's `signature`).
std::string hmac_sha256_base64(std::string_view key, std::string_view data);

/// An RSA public key that RS256 signatures are checked against.
class PublicKey {
 public:
  /// From a PEM public key or X.509 certificate; throws std::invalid_argument when it is neither.
  explicit PublicKey(const std::string& pem);
  ~PublicKey();
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  /// Whether `signature` is an RS256 (RSASSA-PKCS1-v1_5 SHA-256) signature of `data`.
  bool verify(std::string_view data, std::string_view signature) const;

 private:
  struct Key;
  std::unique_ptr<Key> key_;
};

/// Whether a JWT bearer assertion is a well-formed RS256 JWT whose payload names `issuer` (iss)
/// and `subject` (sub), is addressed (aud) to one of `audiences`, and expires (exp) after
/// `now_seconds`; its signature is checked when a key is given.
bool verify_jwt(std::string_view assertion, const std::string& issuer, const std::string& subject,
                const std::vector<std::string>& audiences, const PublicKey* key,
                std::int64_t now_seconds);

}  // namespace crmscan::sfemu

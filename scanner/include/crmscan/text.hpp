#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan {

/// ASCII case-insensitive equality (API names, keywords).
bool iequals(std::string_view a, std::string_view b);

/// Whether every byte is ASCII (below 0x80); eight bytes at a time.
bool is_ascii(std::string_view text);

/// The C locale's tolower of one byte (crmscan never sets another locale).
inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// An ASCII letter or digit (the C locale's isalnum).
inline bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/// ASCII lower-case copy.
std::string ascii_lower(std::string_view text);

/// The text without leading and trailing ASCII white space.
std::string_view trim(std::string_view text);

/// Splits on a separator character, trimming each part and dropping empty ones.
std::vector<std::string> split_list(std::string_view text, char separator);

/// At most `max_bytes` of UTF-8 text, never cutting a character in two.
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);

/// Converts ISO-8859-1 bytes to UTF-8.
std::string latin1_to_utf8(std::string_view bytes);

/// Lower-case hexadecimal SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

/// The largest credential file environment_secret() reads (a PEM key is a few kilobytes).
constexpr std::size_t kMaxCredentialFileBytes = 64 * 1024;

/// A credential from the environment: the variable NAME as it is (a password may end in a space),
/// else the contents of the file that NAME_FILE names without its surrounding white space (the
/// final newline), else empty. Throws ConfigError naming NAME_FILE when that file cannot be
/// read, is not a regular file or is larger than kMaxCredentialFileBytes. Credentials never come
/// from arguments, where other users of the machine can see them. Every value read is registered
/// with register_secret(), so that scrub() removes it from any text.
std::string environment_secret(const std::string& name);

/// True when the bytes are well-formed UTF-8 (no overlong forms, surrogates or values past
/// U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace crmscan

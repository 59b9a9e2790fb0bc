#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace crmscan {

/// The longest text scrub() returns by default, in bytes (before its "…").
constexpr std::size_t kScrubMaxBytes = 1000;

/// Remembers a credential (a token, a client secret, a password) for the rest of the process, so
/// that scrub() removes it from any text. environment_secret() registers every value it reads;
/// connectors register the tokens they obtain. Values shorter than 4 bytes are not looked for.
void register_secret(std::string_view value);

/// Remembers a value of a request (an email, a phone number in the forms sent to an API, a name,
/// an id) so that scrub() redacts it unless request values are shown.
void register_request_value(std::string_view value);

/// After many values were registered at once (a subjects file's): gives back the room the
/// registry grew by and will not fill, before the scan needs the memory.
void release_registry_spare();

/// Whether scrub() leaves request values as they are (`--show-values`). Secrets are always
/// removed.
void set_request_values_shown(bool shown);

/// The one gate for text that came from outside (a server's error body, an echoed query, a file's
/// header) before it goes into an error, a report or the terminal: every registered secret
/// replaced by "[secret]" (also percent-encoded), every registered request value redacted unless
/// shown, control characters and invalid UTF-8 replaced, and the result cut to `max_bytes` (never
/// inside a character) with "…" when it was longer. Matching ignores ASCII case.
std::string scrub(std::string_view text, std::size_t max_bytes = kScrubMaxBytes);

/// Text safe to print on a terminal: control characters (C0, DEL, C1), bidirectional overrides
/// and invalid UTF-8 replaced; nothing else changed. For names that came from outside (file
/// names, object names).
std::string printable(std::string_view text);

/// Valid UTF-8: every invalid byte replaced by U+FFFD, nothing else changed.
std::string valid_utf8(std::string_view text);

}  // namespace crmscan

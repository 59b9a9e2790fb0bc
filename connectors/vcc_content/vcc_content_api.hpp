#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan::vcc {

/// The media type that selects version 3 of the Interaction Content API; other versions or a
/// missing Accept header are refused.
inline constexpr std::string_view kAcceptV3 = "application/vnd.newvoicemedia.v3+json";
/// The longest window `GET /interactions` accepts between start and end.
inline constexpr std::int64_t kMaxWindowSeconds = 7 * 24 * 3600;
/// The most interactions one page (and one batch delete) holds.
inline constexpr std::size_t kMaxPageSize = 1000;

/// One stored item of an interaction: a recording, a voicemail, a transcript…
struct ContentItem {
  std::string content_key;
  std::string type;  ///< callRecording, voicemail, transcript, chatTranscript…
  std::string content_type;
  std::int64_t content_length = 0;
  std::string last_modified;
};

/// An interaction as the API describes it.
struct Interaction {
  std::string guid;
  std::string start;  ///< ISO 8601 UTC
  std::string connect_from;
  std::string connect_to;
  std::string direction;  ///< Inbound, Outbound…
  std::vector<std::string> handling_agents;
  std::vector<ContentItem> content;

  /// The customer's side of the call: connectTo for outbound calls, connectFrom otherwise.
  const std::string& remote_party() const;
};

/// Reads one interaction from its JSON object; nothing when it has no guid.
std::optional<Interaction> parse_interaction(const rapidjson::Value& value);

/// The finding category of a content type ("callRecording" → "call.recording").
std::string content_category(std::string_view type);

/// Seconds since 1970 of an ISO 8601 UTC date or date-time ("2024-03-14",
/// "2024-03-14T09:31:07Z", "2024-03-14T09:31:07.000+00:00"); nothing when it is not one.
std::optional<std::int64_t> parse_utc(std::string_view text);
/// "2024-03-14T09:31:07Z".
std::string format_utc(std::int64_t seconds);

}  // namespace crmscan::vcc

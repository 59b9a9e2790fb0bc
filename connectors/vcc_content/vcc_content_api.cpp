#include "vcc_content_api.hpp"

#include <cctype>
#include <ctime>
#include <map>

namespace crmscan::vcc {
namespace {

std::string string_member(const rapidjson::Value& object, const char* key) {
  const auto member = object.FindMember(key);
  if (member == object.MemberEnd() || !member->value.IsString()) return {};
  return {member->value.GetString(), member->value.GetStringLength()};
}

// Agents appear as plain strings or as objects carrying an id.
std::string agent_text(const rapidjson::Value& agent) {
  if (agent.IsString()) return agent.GetString();
  if (!agent.IsObject()) return {};
  for (const char* key : {"id", "agentId", "name"}) {
    const auto member = agent.FindMember(key);
    if (member == agent.MemberEnd()) continue;
    if (member->value.IsString()) return member->value.GetString();
    if (member->value.IsInt64()) return std::to_string(member->value.GetInt64());
  }
  return {};
}

bool digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

const std::string& Interaction::remote_party() const {
  return direction.starts_with("Out") || direction.starts_with("out") ? connect_to : connect_from;
}

std::optional<Interaction> parse_interaction(const rapidjson::Value& value) {
  if (!value.IsObject()) return std::nullopt;
  Interaction interaction;
  interaction.guid = string_member(value, "guid");
  if (interaction.guid.empty()) return std::nullopt;
  interaction.start = string_member(value, "start");
  interaction.connect_from = string_member(value, "connectFrom");
  interaction.connect_to = string_member(value, "connectTo");
  interaction.direction = string_member(value, "direction");
  if (const auto agents = value.FindMember("handlingAgents");
      agents != value.MemberEnd() && agents->value.IsArray()) {
    for (const auto& agent : agents->value.GetArray()) {
      if (auto text = agent_text(agent); !text.empty())
        interaction.handling_agents.push_back(std::move(text));
    }
  }
  if (const auto content = value.FindMember("content");
      content != value.MemberEnd() && content->value.IsArray()) {
    for (const auto& entry : content->value.GetArray()) {
      if (!entry.IsObject()) continue;
      ContentItem item{string_member(entry, "contentKey"), string_member(entry, "type"),
                       string_member(entry, "contentType"), 0,
                       string_member(entry, "lastModified")};
      if (item.content_key.empty()) continue;
      if (const auto length = entry.FindMember("contentLength");
          length != entry.MemberEnd() && length->value.IsInt64()) {
        item.content_length = length->value.GetInt64();
      }
      interaction.content.push_back(std::move(item));
    }
  }
  return interaction;
}

std::string content_category(std::string_view type) {
  static const std::map<std::string_view, std::string_view> kCategories = {
      {"callRecording", "call.recording"},
      {"screenRecording", "call.screen_recording"},
      {"voicemail", "call.voicemail"},
      {"transcript", "call.transcript"},
      {"chatTranscript", "chat.transcript"},
      {"categorizationResult", "call.categorization"},
      {"attachment", "interaction.attachment"},
      {"ivrAudioRecording", "call.ivr_recording"},
      {"videoRecording", "call.video_recording"},
  };
  const auto found = kCategories.find(type);
  return std::string(found != kCategories.end() ? found->second : "interaction.content");
}

std::optional<std::int64_t> parse_utc(std::string_view text) {
  std::tm parts{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || text[7] != '-' ||
      !digits(text, 5, 2, month) || !digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != ' ') || text.size() < 19 || text[13] != ':' ||
        text[16] != ':' || !digits(text, 11, 2, hour) || !digits(text, 14, 2, minute) ||
        !digits(text, 17, 2, second)) {
      return std::nullopt;
    }
    auto zone = text.substr(19);
    if (zone.starts_with('.')) {
      zone.remove_prefix(1);
      while (!zone.empty() && std::isdigit(static_cast<unsigned char>(zone.front())))
        zone.remove_prefix(1);
    }
    // UTC only: the API and the CRM write UTC, and a local offset would shift every window.
    if (zone != "Z" && zone != "+00:00" && zone != "+0000" && !zone.empty()) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  const auto seconds = timegm(&parts);
  // timegm normalises 31 February into March: such a date is not one.
  if (parts.tm_mday != day) return std::nullopt;
  return static_cast<std::int64_t>(seconds);
}

std::string format_utc(std::int64_t seconds) {
  const auto time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

}  // namespace crmscan::vcc

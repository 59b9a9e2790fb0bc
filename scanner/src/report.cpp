#include "crmscan/report.hpp"

#include <cctype>
#include <chrono>
#include <ctime>

#include "crmscan/text.hpp"

namespace crmscan {

std::string finding_fingerprint(std::string_view request_id, std::string_view crm,
                                std::string_view object, std::string_view record_key,
                                std::string_view field) {
  std::string joined;
  for (const auto part : {request_id, crm, object, record_key, field}) {
    joined += part;
    joined += '\x1f';
  }
  return sha256_hex(joined).substr(0, 16);
}

std::vector<RequestCounts> count_by_request(const Report& report) {
  std::vector<RequestCounts> counts;
  std::map<std::string, std::size_t> index;
  for (const auto& id : report.request_ids) {
    if (index.emplace(id, counts.size()).second) counts.push_back({id});
  }
  for (const auto& finding : report.findings) {
    const auto [slot, added] = index.emplace(finding.request_id, counts.size());
    if (added) counts.push_back({finding.request_id});
    auto& count = counts[slot->second];
    if (report.decisions.find(finding.fingerprint) != nullptr) ++count.decided;
    switch (finding.action) {
      case Action::kDeleteRecord:
        ++count.delete_record;
        break;
      case Action::kEraseField:
        ++count.erase_field;
        break;
      case Action::kDeleteContent:
        ++count.delete_content;
        break;
      case Action::kReview:
        ++count.review;
        break;
    }
  }
  return counts;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

namespace {

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Keeps the first character (whole UTF-8 sequence) of each word, masks the rest.
std::string mask_words(std::string_view text) {
  std::string masked;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool word_char =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80;
    if (!word_char) {
      in_word = false;
      masked.push_back(c);
      continue;
    }
    if (!in_word) {
      in_word = true;
      masked.push_back(c);
      while (i + 1 < text.size() && is_continuation(text[i + 1])) masked.push_back(text[++i]);
      masked += "***";
    }
  }
  return masked;
}

}  // namespace

std::string redact(std::string_view value) {
  value = trim(value);
  if (value.empty()) return {};
  const auto at = value.find('@');
  if (at != std::string_view::npos && value.find(' ') == std::string_view::npos) {
    const auto domain = value.substr(at + 1);
    const auto dot = domain.rfind('.');
    std::string masked(value.substr(0, 1));
    masked += "***@";
    if (!domain.empty()) masked += std::string(domain.substr(0, 1)) + "***";
    if (dot != std::string_view::npos) masked += domain.substr(dot);
    return masked;
  }
  std::size_t digits = 0;
  for (const char c : value) digits += std::isdigit(static_cast<unsigned char>(c)) != 0 ? 1 : 0;
  bool phone_like = digits >= 7;
  for (const char c : value) {
    if (!std::isdigit(static_cast<unsigned char>(c)) &&
        std::string_view("+()-. ").find(c) == std::string_view::npos) {
      phone_like = false;
    }
  }
  if (phone_like) {
    // Keep a leading '+' with the first two digits and the last two: a country, not a person.
    std::string masked;
    std::size_t seen = 0;
    for (const char c : value) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        if (c == '+') masked.push_back(c);
        continue;
      }
      ++seen;
      const bool keep = (value.front() == '+' && seen <= 2) || seen > digits - 2;
      masked.push_back(keep ? c : '*');
    }
    return masked;
  }
  return mask_words(utf8_prefix(value, 80)) + (value.size() > 80 ? "…" : "");
}

std::string preview_of(std::string_view value, bool show_values) {
  return show_values ? utf8_prefix(value, 200) : redact(value);
}

}  // namespace crmscan

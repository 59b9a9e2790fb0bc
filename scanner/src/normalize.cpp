#include "crmscan/normalize.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <set>

#include "crmscan/text.hpp"

namespace crmscan {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberUtil;

// Case fold, strip accents and apply compatibility mappings; nothing for invalid UTF-8.
std::optional<std::string> unicode_fold(std::string_view text, bool strip_marks) {
  utf8proc_uint8_t* folded = nullptr;
  int options = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD;
  if (strip_marks) options |= UTF8PROC_STRIPMARK;
  const auto length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                   static_cast<utf8proc_ssize_t>(text.size()), &folded,
                                   static_cast<utf8proc_option_t>(options));
  if (length < 0) return std::nullopt;
  std::string result(reinterpret_cast<char*>(folded), static_cast<std::size_t>(length));
  std::free(folded);
  return result;
}

char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool is_word_byte(unsigned char c) {
  return std::isalnum(c) != 0 || c >= 0x80;
}

// "'" and "’" (U+2019) join the parts of a name such as O'Neill.
std::size_t apostrophe_length(std::string_view text, std::size_t at) {
  if (text[at] == '\'') return 1;
  if (text.compare(at, 3, "\xE2\x80\x99") == 0) return 3;
  return 0;
}

}  // namespace

std::optional<std::string> normalize_email(std::string_view text) {
  const auto trimmed = trim(text);
  const auto at = trimmed.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= trimmed.size() ||
      trimmed.find('@', at + 1) != std::string_view::npos ||
      trimmed.find_first_of(" \t\r\n,;<>") != std::string_view::npos) {
    return std::nullopt;
  }
  // ASCII folds to lower case alone (most addresses): Unicode folding only where needed.
  const bool ascii = std::all_of(trimmed.begin(), trimmed.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ascii) {
    if (auto folded = unicode_fold(trimmed, false)) return folded;
  }
  return ascii_lower(trimmed);
}

void fold_words_into(std::string_view text, std::string& folded,
                     std::vector<std::pair<std::size_t, std::size_t>>& words) {
  folded.clear();
  words.clear();
  // Most CRM text is ASCII, which folds to lower case alone: Unicode folding only where needed.
  const bool ascii = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::optional<std::string> unicode;
  if (!ascii) unicode = unicode_fold(text, true);
  const std::string_view source = unicode ? std::string_view(*unicode) : text;
  std::size_t word_start = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < source.size();) {
    if (in_word) {
      if (const auto skip = apostrophe_length(source, i); skip > 0) {
        i += skip;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(source[i]);
    if (is_word_byte(c)) {
      if (!in_word) {
        if (!folded.empty()) folded.push_back(' ');
        word_start = folded.size();
        in_word = true;
      }
      folded.push_back(static_cast<char>(unicode ? c : std::tolower(c)));
    } else if (in_word) {
      words.emplace_back(word_start, folded.size() - word_start);
      in_word = false;
    }
    ++i;
  }
  if (in_word) words.emplace_back(word_start, folded.size() - word_start);
}

std::vector<std::string> folded_words(std::string_view text) {
  std::string folded;
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  fold_words_into(text, folded, spans);
  std::vector<std::string> words;
  words.reserve(spans.size());
  for (const auto& [offset, length] : spans) words.emplace_back(folded, offset, length);
  return words;
}

std::string fold_name(std::string_view text) {
  std::string folded;
  std::vector<std::pair<std::size_t, std::size_t>> words;
  fold_words_into(text, folded, words);
  return folded;
}

std::string salesforce_id18(std::string_view id15) {
  if (id15.size() != 15) return std::string(id15);
  static constexpr char kSuffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string id(id15);
  for (int chunk = 0; chunk < 3; ++chunk) {
    int bits = 0;
    for (int i = 0; i < 5; ++i) {
      const char c = id15[static_cast<std::size_t>(chunk * 5 + i)];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    id.push_back(kSuffix[bits]);
  }
  return id;
}

bool salesforce_id_key(std::string_view text, IdKey& key) {
  if (text.size() != 15 && text.size() != 18) return false;
  bool has_digit = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool digit = c >= '0' && c <= '9';
    if (!digit && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    has_digit |= digit && i < 15;
  }
  if (!has_digit) return false;
  static constexpr char kSuffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  for (int chunk = 0; chunk < 3; ++chunk) {
    int bits = 0;
    for (int i = 0; i < 5; ++i) {
      const char c = text[static_cast<std::size_t>(chunk * 5 + i)];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    const char suffix = kSuffix[bits];
    if (text.size() == 18 && ascii_upper(text[static_cast<std::size_t>(15 + chunk)]) != suffix) {
      return false;
    }
    key[static_cast<std::size_t>(15 + chunk)] = suffix;
  }
  for (std::size_t i = 0; i < 15; ++i) key[i] = ascii_upper(text[i]);
  return true;
}

std::optional<std::string> salesforce_id_key(std::string_view text) {
  IdKey key;
  if (!salesforce_id_key(text, key)) return std::nullopt;
  return std::string(key.data(), key.size());
}

bool guid_key(std::string_view text, GuidKey& key) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}') text = text.substr(1, 36);
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
      key[i] = c;
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      key[i] = c;
    } else if (c >= 'A' && c <= 'F') {
      key[i] = static_cast<char>(c - 'A' + 'a');
    } else {
      return false;
    }
  }
  return true;
}

std::string record_id_key(std::string_view id) {
  if (auto key = salesforce_id_key(id)) return *key;
  const auto trimmed = trim(id);
  if (GuidKey guid; guid_key(trimmed, guid)) return std::string(guid.data(), guid.size());
  return std::string(trimmed);
}

PhoneNormalizer::PhoneNormalizer(std::vector<std::string> regions) {
  for (auto& region : regions) add_region(region);
}

void PhoneNormalizer::add_region(const std::string& region) {
  std::string upper;
  for (const char c : region)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper.empty() || upper == "ZZ") return;
  if (std::find(regions_.begin(), regions_.end(), upper) == regions_.end()) {
    regions_.push_back(upper);
  }
}

namespace {

// A whole value read in one region: its E.164 form, and whether it was read as one of that
// region's own numbers rather than dialled abroad from it.
struct PhoneReading {
  std::string e164;
  bool domestic = false;
};

std::optional<PhoneReading> read_phone(std::string_view value, const std::string& region) {
  const auto& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(std::string(trim(value)), region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::nullopt;
  }
  if (!util.IsPossibleNumber(number)) return std::nullopt;
  PhoneReading reading;
  util.Format(number, PhoneNumberUtil::E164, &reading.e164);
  reading.domestic = number.country_code() == util.GetCountryCodeForRegion(region);
  return reading;
}

// The country calling code that starts an E.164 number (calling codes are prefix-free), or 0.
int calling_code_of(std::string_view e164) {
  static const std::set<int> kCallingCodes = [] {
    std::set<int> codes;
    PhoneNumberUtil::GetInstance()->GetSupportedCallingCodes(&codes);
    return codes;
  }();
  if (e164.size() < 2 || e164[0] != '+') return 0;
  int code = 0;
  for (std::size_t i = 1; i <= 3 && i < e164.size(); ++i) {
    if (e164[i] < '0' || e164[i] > '9') return 0;
    code = code * 10 + (e164[i] - '0');
    if (kCallingCodes.count(code) != 0) return code;
  }
  return 0;
}

}  // namespace

std::optional<std::string> PhoneNormalizer::parse(std::string_view value,
                                                  const std::string& region) const {
  auto reading = read_phone(value, region);
  if (!reading) return std::nullopt;
  return std::move(reading->e164);
}

const std::vector<std::string>& PhoneNormalizer::reading_regions() const {
  static const std::vector<std::string> kInternationalOnly{"ZZ"};
  return regions_.empty() ? kInternationalOnly : regions_;
}

std::vector<std::string> PhoneNormalizer::parse_all(std::string_view value) const {
  return parse_all(value, reading_regions());
}

std::vector<std::string> PhoneNormalizer::parse_all(std::string_view value,
                                                    const std::vector<std::string>& regions) const {
  std::vector<PhoneReading> readings;
  for (const auto& region : regions) {
    if (region == "ZZ" && regions.size() > 1) continue;
    if (auto reading = read_phone(value, region)) readings.push_back(std::move(*reading));
  }
  // A value that one region reads as its own number is not also a call abroad from another
  // region: "0114 496 0712" is a Sheffield number, not 011 (dialling out of the US) + 44 960712.
  const bool any_domestic = std::any_of(readings.begin(), readings.end(),
                                        [](const PhoneReading& r) { return r.domestic; });
  std::vector<std::string> forms;
  for (auto& reading : readings) {
    if (any_domestic && !reading.domestic) continue;
    if (std::find(forms.begin(), forms.end(), reading.e164) == forms.end())
      forms.push_back(std::move(reading.e164));
  }
  return forms;
}

void PhoneNormalizer::find_in_text(std::string_view text, std::vector<std::string>& out) const {
  find_in_text(text, reading_regions(), out);
}

void PhoneNormalizer::find_in_text(std::string_view text, const std::vector<std::string>& regions,
                                   std::vector<std::string>& out) const {
  const auto& util = *PhoneNumberUtil::GetInstance();
  const std::string owned(text);
  for (const auto& region : regions) {
    // Any region's reading finds the international numbers that "ZZ" would.
    if (region == "ZZ" && regions.size() > 1) continue;
    // POSSIBLE, not VALID: fictional and newly allocated ranges are still someone's number;
    // precision comes from comparing the result with the subjects' own numbers.
    PhoneNumberMatcher matcher(util, owned, region, PhoneNumberMatcher::POSSIBLE, 1000);
    while (matcher.HasNext()) {
      PhoneNumberMatch match;
      matcher.Next(&match);
      std::string e164;
      util.Format(match.number(), PhoneNumberUtil::E164, &e164);
      if (std::find(out.begin(), out.end(), e164) == out.end()) out.push_back(std::move(e164));
    }
  }
}

std::string PhoneNormalizer::national_number(const std::string& e164) {
  const int code = calling_code_of(e164);
  if (code == 0) return {};
  return e164.substr(1 + std::to_string(code).size());
}

std::string PhoneNormalizer::region_of(const std::string& e164) {
  const int code = calling_code_of(e164);
  if (code == 0) return "ZZ";
  // The main region of the calling code (US for +1, GB for +44): the national format is shared.
  std::string region;
  PhoneNumberUtil::GetInstance()->GetRegionCodeForCountryCode(code, &region);
  return region.empty() || region == "001" ? "ZZ" : region;
}

}  // namespace crmscan

#include "crmscan/normalize.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>
#include <utf8proc.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

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

// unicode_fold(text, true), a run at a time: ASCII bytes lowered, and only the runs of other
// characters through utf8proc. The same text: folding never joins a character to an ASCII
// neighbour (marks are stripped, and no composition pairs an ASCII character with a character
// that stays; checked for every code point before and after every ASCII byte), so a text folds
// as its runs do. Nothing for invalid UTF-8, as for the whole text.
std::optional<std::string> fold_runs(std::string_view text) {
  if (!is_valid_utf8(text)) return std::nullopt;
  std::string folded;
  folded.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    auto end = at;
    while (end < text.size() && static_cast<unsigned char>(text[end]) < 0x80) {
      const char c = text[end++];
      folded.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    at = end;
    while (end < text.size() && static_cast<unsigned char>(text[end]) >= 0x80) ++end;
    if (end == at) continue;
    const auto run = unicode_fold(text.substr(at, end - at), true);
    if (!run) return std::nullopt;
    folded += *run;
    at = end;
  }
  return folded;
}

char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// A letter or digit, or a byte of UTF-8 beyond ASCII.
bool is_word_byte(unsigned char c) {
  return is_ascii_alnum(static_cast<char>(c)) || c >= 0x80;
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
  if (!is_ascii(trimmed)) {
    if (auto folded = unicode_fold(trimmed, false)) return folded;
  }
  return ascii_lower(trimmed);
}

void fold_words_into(std::string_view text, std::string& folded,
                     std::vector<std::pair<std::size_t, std::size_t>>& words) {
  folded.clear();
  words.clear();
  // Most CRM text is ASCII, which folds to lower case alone: Unicode folding only where needed.
  std::optional<std::string> unicode;
  if (!is_ascii(text)) unicode = fold_runs(text);
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
      folded.push_back(unicode ? static_cast<char>(c) : ascii_lower(static_cast<char>(c)));
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
  static constexpr char kSuffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  if (text.size() != 15 && text.size() != 18) return false;
  // The first 15 characters: all letters and digits, one digit at least, and a bit per capital
  // (the checksum's input); the key is them in upper case.
  unsigned capitals = 0;
#if defined(__SSE2__)
  // 16 bytes at a time: a bit per byte of each class.
  std::array<char, 16> head{};
  std::memcpy(head.data(), text.data(), 15);
  const auto bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(head.data()));
  const auto in_range = [&](char low, char span) {
    // (unsigned)(byte - low) <= span - 1, as min(x, span - 1) == x.
    const auto offset = _mm_sub_epi8(bytes, _mm_set1_epi8(low));
    return _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(static_cast<char>(span - 1))), offset);
  };
  const auto upper = in_range('A', 26);
  const auto lower = in_range('a', 26);
  const auto digit = in_range('0', 10);
  const auto bits = [](__m128i lanes) {
    return static_cast<unsigned>(_mm_movemask_epi8(lanes)) & 0x7FFFu;
  };
  if ((bits(upper) | bits(lower) | bits(digit)) != 0x7FFFu || bits(digit) == 0) return false;
  capitals = bits(upper);
  std::array<char, 16> upper_case{};
  _mm_storeu_si128(reinterpret_cast<__m128i*>(upper_case.data()),
                   _mm_sub_epi8(bytes, _mm_and_si128(lower, _mm_set1_epi8(0x20))));
  std::memcpy(key.data(), upper_case.data(), 15);
#else
  bool has_digit = false;
  for (std::size_t i = 0; i < 15; ++i) {
    const char c = text[i];
    const bool digit = c >= '0' && c <= '9';
    const bool capital = c >= 'A' && c <= 'Z';
    if (!digit && !capital && !(c >= 'a' && c <= 'z')) return false;
    has_digit |= digit;
    capitals |= capital ? 1u << i : 0u;
    key[i] = ascii_upper(c);
  }
  if (!has_digit) return false;
#endif
  // The checksum: a character per five, from which of them are capitals. An 18-character id's
  // last three must be it, in either case (so they are letters and digits too).
  for (std::size_t chunk = 0; chunk < 3; ++chunk) {
    const char suffix = kSuffix[capitals >> (5 * chunk) & 31];
    if (text.size() == 18 && ascii_upper(text[15 + chunk]) != suffix) return false;
    key[15 + chunk] = suffix;
  }
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
  std::string key;
  record_id_key(id, key);
  return key;
}

void record_id_key(std::string_view id, std::string& into) {
  const auto trimmed = trim(id);
  if (IdKey key; salesforce_id_key(id, key)) {
    into.assign(key.data(), key.size());
  } else if (GuidKey guid; guid_key(trimmed, guid)) {
    into.assign(guid.data(), guid.size());
  } else {
    into.assign(trimmed);
  }
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

// One region's reading of a written number, before the readings of all regions are weighed.
struct RegionReading {
  PhoneNumber number;
  std::string raw;     // as written
  std::string region;  // read in
  PhoneReading reading;
  bool domestic = false;  // one of the region's own numbers, not a call abroad from it
  // Whether `number` knows how it was written (its raw input, and whether its country code was
  // written with + or an international prefix): a match in text does not, until read again.
  bool source_known = false;
};

// A number found in text read again on its own, to know how it was written.
void learn_source(RegionReading& region_reading) {
  if (region_reading.source_known) return;
  region_reading.source_known = true;
  PhoneNumber number;
  if (PhoneNumberUtil::GetInstance()->ParseAndKeepRawInput(
          region_reading.raw, region_reading.region, &number) != PhoneNumberUtil::NO_PARSING_ERROR)
    return;
  region_reading.number = std::move(number);
  region_reading.reading.international |=
      region_reading.number.country_code_source() == PhoneNumber::FROM_NUMBER_WITH_IDD;
}

// Whether libphonenumber finds a number valid, remembered by E.164 form: the same few numbers
// (the subjects') are asked about again and again, and a check costs tens of thousands of
// instructions.
bool is_valid(const RegionReading& region_reading) {
  thread_local std::unordered_map<std::string, bool> known;
  const auto& e164 = region_reading.reading.e164;
  if (const auto found = known.find(e164); found != known.end()) return found->second;
  if (known.size() >= 100000) known.clear();
  const bool valid = PhoneNumberUtil::GetInstance()->IsValidNumber(region_reading.number);
  known.emplace(e164, valid);
  return valid;
}

// A whole value (or a number found in text) read in one region, if it is a possible number.
// Its validity is left for settle, which needs it only for the numbers that are wanted.
std::optional<RegionReading> read_phone(std::string_view value, const std::string& region) {
  const auto& util = *PhoneNumberUtil::GetInstance();
  RegionReading region_reading;
  region_reading.region = region;
  region_reading.raw = std::string(trim(value));
  region_reading.source_known = true;
  auto& number = region_reading.number;
  if (util.ParseAndKeepRawInput(region_reading.raw, region, &number) !=
          PhoneNumberUtil::NO_PARSING_ERROR ||
      !util.IsPossibleNumber(number)) {
    return std::nullopt;
  }
  auto& reading = region_reading.reading;
  util.Format(number, PhoneNumberUtil::E164, &reading.e164);
  reading.international = number.country_code_source() == PhoneNumber::FROM_NUMBER_WITH_PLUS_SIGN ||
                          number.country_code_source() == PhoneNumber::FROM_NUMBER_WITH_IDD;
  region_reading.domestic = number.country_code() == util.GetCountryCodeForRegion(region);
  return region_reading;
}

std::string digits_of(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

// Whether a number read as national was written without the trunk prefix its region writes
// before it ("715-555-0128" read in Britain is the mobile 07155 550128 written without its 0).
bool trunk_prefix_omitted(RegionReading& region_reading) {
  learn_source(region_reading);
  const auto& number = region_reading.number;
  if (number.country_code_source() != PhoneNumber::FROM_DEFAULT_COUNTRY) return false;
  const auto& util = *PhoneNumberUtil::GetInstance();
  std::string national, significant;
  util.Format(number, PhoneNumberUtil::NATIONAL, &national);
  util.GetNationalSignificantNumber(number, &significant);
  national = digits_of(national);
  if (national.size() <= significant.size() ||
      national.compare(national.size() - significant.size(), significant.size(), significant) != 0)
    return false;
  const auto prefix = national.substr(0, national.size() - significant.size());
  return digits_of(region_reading.raw).rfind(prefix, 0) != 0;
}

// Adds a reading to `out`, or what it adds to the reading of the same number already there.
void add_reading(PhoneReading reading, std::vector<PhoneReading>& out) {
  const auto same = std::find_if(out.begin(), out.end(),
                                 [&](const PhoneReading& r) { return r.e164 == reading.e164; });
  if (same == out.end()) {
    out.push_back(std::move(reading));
    return;
  }
  same->valid |= reading.valid;
  same->international |= reading.international;
  same->certain |= reading.certain;
}

// Weighs the readings of one written number in several regions and adds what stands to `out`;
// nothing when `wanted` wants none of them.
void settle(std::vector<RegionReading>& readings, const PhoneNormalizer::Wanted& wanted,
            std::vector<PhoneReading>& out) {
  if (wanted && std::none_of(readings.begin(), readings.end(),
                             [&](const RegionReading& r) { return wanted(r.reading.e164); }))
    return;
  // A valid reading outweighs merely possible ones ("06 22 12 34 56" is a French mobile, not
  // +44 622123456); failing one, a region's own number outweighs a call abroad from another.
  std::vector<const std::string*> valid_forms;
  for (auto& region_reading : readings) {
    auto& reading = region_reading.reading;
    reading.valid = is_valid(region_reading);
    // Written with an international prefix, a number is certain even if it is not valid.
    if (!reading.valid && !reading.international) learn_source(region_reading);
    if (reading.valid &&
        std::none_of(valid_forms.begin(), valid_forms.end(),
                     [&](const std::string* e164) { return *e164 == reading.e164; }))
      valid_forms.push_back(&reading.e164);
  }
  // 3: valid as written; 2: valid without its trunk prefix (told apart only when another
  // region reads another valid number); 1: domestic; 0: possible.
  const auto rank = [&](RegionReading& r) {
    if (r.reading.valid) return valid_forms.size() > 1 && trunk_prefix_omitted(r) ? 2 : 3;
    return r.domestic ? 1 : 0;
  };
  std::vector<int> ranks;
  for (auto& region_reading : readings) ranks.push_back(rank(region_reading));
  const int best = ranks.empty() ? 0 : *std::max_element(ranks.begin(), ranks.end());
  std::vector<std::pair<PhoneReading, int>> kept;  // one per E.164 form, with its best rank
  for (std::size_t i = 0; i < readings.size(); ++i) {
    const auto r = ranks[i];
    if (r < best && !(r == 2 && best == 3)) continue;
    const auto& reading = readings[i].reading;
    const auto same = std::find_if(kept.begin(), kept.end(),
                                   [&](const auto& k) { return k.first.e164 == reading.e164; });
    if (same == kept.end()) {
      kept.emplace_back(reading, r);
    } else {
      same->first.international |= reading.international;
      same->second = std::max(same->second, r);
    }
  }
  // One number standing leaves no doubt. Of several valid ones, the one written as its region
  // writes it is certain if the others omit their region's trunk prefix ("715-555-0128" is
  // American; the British 07155 550128 written without its 0 is only possible), and none is
  // otherwise (a French mobile and a Rome landline: "06 22 12 34 56").
  const auto top =
      std::count_if(kept.begin(), kept.end(), [&](const auto& k) { return k.second == best; });
  for (auto& [reading, r] : kept) {
    const bool alone = kept.size() == 1 || (best == 3 && r == 3 && top == 1);
    reading.international &= alone;
    reading.certain = alone && (reading.valid || reading.international);
    add_reading(std::move(reading), out);
  }
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Whether a Latin letter starts at `at` (or ends just before it): ASCII letters, and the
// letters that take two bytes in UTF-8 from U+00C0 to U+027F (Latin-1 Supplement, Latin
// Extended-A and B, IPA) but for × and ÷.
bool latin_letter_at(std::string_view text, std::size_t at) {
  if (at >= text.size()) return false;
  const auto c = static_cast<unsigned char>(text[at]);
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  if (c < 0xC3 || c > 0xC9 || at + 1 >= text.size()) return false;
  const auto next = static_cast<unsigned char>(text[at + 1]);
  return c != 0xC3 || (next != 0x97 && next != 0xB7);
}
bool latin_letter_before(std::string_view text, std::size_t at) {
  if (at == 0) return false;
  if (static_cast<unsigned char>(text[at - 1]) < 0x80) return latin_letter_at(text, at - 1);
  return at >= 2 && (static_cast<unsigned char>(text[at - 1]) & 0xC0) == 0x80 &&
         latin_letter_at(text, at - 2);
}

// Whether the number written at [start, end) of a text is glued to letters: part of a code
// ("1Z999AA10123456784", "INV4930…"), not a phone number. libphonenumber's POSSIBLE leniency
// does not look at the characters around a candidate.
bool glued_to_letters(std::string_view text, std::size_t start, std::size_t end) {
  return latin_letter_before(text, start) || latin_letter_at(text, end);
}

// The span of a whole value from its first digit or '+' to its last digit.
std::pair<std::size_t, std::size_t> number_span(std::string_view value) {
  const auto first = value.find_first_of("+0123456789");
  const auto last = value.find_last_of("0123456789");
  if (first == std::string_view::npos || last == std::string_view::npos) return {0, 0};
  return {first, last + 1};
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Whether the run of white space at `at` (to `end`) breaks a number: a line break, a tab or
// several spaces between digits, as in "020 7946\n0018" or "(312) 555\n0175". libphonenumber
// takes neither for a separator inside a number.
bool breaks_number(std::string_view text, std::size_t at, std::size_t end) {
  return (end - at > 1 || text[at] != ' ') && at > 0 &&
         (is_digit(text[at - 1]) || text[at - 1] == ')') && end < text.size() &&
         (is_digit(text[end]) || text[end] == '(');
}

// Whether "00" at `at` starts an international number: at the start of a run of digits, and
// followed by a country calling code ("0049 30…", "00 353 87…"), not by a third 0.
bool double_zero_at(std::string_view text, std::size_t at) {
  if (text.compare(at, 2, "00") != 0) return false;
  if (at > 0) {
    const char before = text[at - 1];
    if (!is_blank(before) && before != '(' && before != ':' && before != '"' && before != '\'' &&
        before != '<' && before != '>' && before != ';')
      return false;
  }
  auto next = at + 2;
  if (next < text.size() && text[next] == ' ') ++next;
  return next < text.size() && text[next] >= '1' && text[next] <= '9';
}

bool in_number(char c) {
  return is_digit(c) || is_blank(c) || c == '(' || c == ')' || c == '-' || c == '.' || c == '/' ||
         c == '+';
}

// The pieces of a text that libphonenumber would not read as a number as they are written — a
// number broken across lines or by a run of spaces, or one written with 00 where the regions in
// play dial abroad otherwise (011 in North America) — rewritten so that it does: the white
// space made one space, "00" made "+" (an international number is read as written, and 00 is
// how most of the world dials abroad). Each piece is the run of digits, white space and the
// punctuation of numbers around such a place, with the character on either side (so that a
// number glued to letters is still seen as such).
void rewritten_pieces(std::string_view text, std::vector<std::string>& pieces) {
  constexpr std::size_t kLongest = 64;  // no one writes a number longer than that
  std::size_t covered = 0;              // where the last piece ends
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto spot_end = i;
    if (is_blank(text[i])) {
      while (spot_end < text.size() && is_blank(text[spot_end])) ++spot_end;
      if (!breaks_number(text, i, spot_end)) {
        i = spot_end - 1;
        continue;
      }
    } else if (double_zero_at(text, i)) {
      spot_end = i + 2;
    } else {
      continue;
    }
    auto start = i, end = spot_end;
    while (start > covered && in_number(text[start - 1]) && i - start < kLongest) --start;
    while (end < text.size() && in_number(text[end]) && end - spot_end < kLongest) ++end;
    i = std::max(i, end - 1);
    if ((start > covered && in_number(text[start - 1])) ||
        (end < text.size() && in_number(text[end])))
      continue;  // too long to be a number
    // The whole character on either side.
    if (start > 0) {
      --start;
      while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    }
    if (end < text.size()) {
      ++end;
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    }
    covered = end;
    // Joined, and joined with 00 made "+" where there is one ("0018" on the line after
    // "020 7946" is the end of a number, not +1 8…).
    const auto piece = text.substr(start, end - start);
    std::string joined, international;
    bool double_zero = false;
    for (std::size_t j = 0; j < piece.size();) {
      if (is_blank(piece[j])) {
        auto run_end = j;
        while (run_end < piece.size() && is_blank(piece[run_end])) ++run_end;
        const auto blank =
            breaks_number(piece, j, run_end) ? std::string_view(" ") : piece.substr(j, run_end - j);
        joined.append(blank);
        international.append(blank);
        j = run_end;
      } else if (double_zero_at(piece, j)) {
        joined.append("00");
        international.push_back('+');
        double_zero = true;
        j += 2;
      } else {
        joined.push_back(piece[j]);
        international.push_back(piece[j++]);
      }
    }
    if (joined != piece) pieces.push_back(std::move(joined));
    if (double_zero) pieces.push_back(std::move(international));
  }
}

// A number libphonenumber's matcher found in a text read in one of a set of regions.
struct TextMatch {
  std::size_t start, end;
  RegionReading reading;
};

// The numbers libphonenumber's matcher finds in a text in each region, ordered by where they are
// written.
std::vector<TextMatch> match_text(const std::string& text,
                                  const std::vector<std::string>& regions) {
  const auto& util = *PhoneNumberUtil::GetInstance();
  std::vector<TextMatch> found;
  for (const auto& region : regions) {
    // Any region's reading finds the international numbers that "ZZ" would.
    if (region == "ZZ" && regions.size() > 1) continue;
    // POSSIBLE, not VALID: fictional and newly allocated ranges are still someone's number
    // (their readings are not certain, see settle); VALID's other checks are done here.
    PhoneNumberMatcher matcher(util, text, region, PhoneNumberMatcher::POSSIBLE, 1000);
    while (matcher.HasNext()) {
      PhoneNumberMatch match;
      matcher.Next(&match);
      const auto start = static_cast<std::size_t>(match.start());
      const auto end = start + match.raw_string().size();
      if (glued_to_letters(text, start, end)) continue;
      TextMatch one{start, end, {}};
      auto& reading = one.reading;
      reading.region = region;
      reading.number = match.number();
      reading.raw = match.raw_string();
      util.Format(reading.number, PhoneNumberUtil::E164, &reading.reading.e164);
      // A number read in a region under another country's code was written with + or an
      // international prefix; under its own, with + only where it says so.
      const auto own_code = util.GetCountryCodeForRegion(region);
      const auto raw = trim(match.raw_string());
      reading.domestic = reading.number.country_code() == own_code;
      reading.reading.international = !reading.domestic || raw.rfind('+', 0) == 0 ||
                                      raw.rfind("\xEF\xBC\x8B", 0) == 0;  // or a fullwidth +
      found.push_back(std::move(one));
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const TextMatch& a, const TextMatch& b) {
    return std::tie(a.start, a.end) < std::tie(b.start, b.end);
  });
  return found;
}

// An answer that depends on a text and the regions it is read in alone (libphonenumber's readings
// of it), remembered by each thread for short texts: the same texts ("Inbound call from +44 20
// 7946 0958", a number alone in a note or a phone field) come back record after record, and
// libphonenumber costs tens of thousands of instructions a parse and about a quarter of a million
// a matcher pass, however short the text. A remembered answer is the one `compute` would give.
template <typename Answer, typename Compute>
const Answer& remembered(std::string_view text, const std::vector<std::string>& regions,
                         Compute compute) {
  constexpr std::size_t kLongestRemembered = 256;  // long notes rarely come back word for word
  constexpr std::size_t kRemembered = 2048;        // texts, a few hundred bytes each
  thread_local Answer unremembered;
  if (text.size() > kLongestRemembered) {
    unremembered = compute();
    return unremembered;
  }
  thread_local std::unordered_map<std::string, Answer> known;
  thread_local std::string key;
  key.clear();
  for (const auto& region : regions) key.append(region).push_back(',');
  key.append(" ").append(text);
  if (const auto found = known.find(key); found != known.end()) return found->second;
  if (known.size() >= kRemembered) known.clear();
  return known.emplace(key, compute()).first->second;
}

// Reads the numbers of a text in each region, then weighs the readings of each written number
// that `wanted` wants.
void read_text(const std::string& text, const std::vector<std::string>& regions,
               const PhoneNormalizer::Wanted& wanted, std::vector<PhoneReading>& out) {
  const auto& found =
      remembered<std::vector<TextMatch>>(text, regions, [&] { return match_text(text, regions); });
  std::vector<RegionReading> same_number;
  for (std::size_t i = 0, j = 0; i < found.size(); i = j) {
    bool any_wanted = false;
    for (j = i;
         j < found.size() && found[j].start == found[i].start && found[j].end == found[i].end;
         ++j) {
      any_wanted |= !wanted || wanted(found[j].reading.reading.e164);
    }
    if (!any_wanted) continue;
    same_number.clear();
    for (auto k = i; k < j; ++k) same_number.push_back(found[k].reading);
    settle(same_number, wanted, out);
  }
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
  return std::move(reading->reading.e164);
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
  std::vector<std::string> forms;
  for (auto& reading : read_all(value, regions)) forms.push_back(std::move(reading.e164));
  return forms;
}

std::vector<PhoneReading> PhoneNormalizer::read_all(std::string_view value,
                                                    const std::vector<std::string>& regions,
                                                    const Wanted& wanted) const {
  auto readings = remembered<std::vector<RegionReading>>(value, regions, [&] {
    std::vector<RegionReading> readings;
    const auto [start, end] = number_span(value);
    if (start == end || glued_to_letters(value, start, end)) return readings;
    for (const auto& region : regions) {
      if (region == "ZZ" && regions.size() > 1) continue;
      if (auto reading = read_phone(value, region)) readings.push_back(std::move(*reading));
    }
    if (double_zero_at(value, start)) {
      if (auto reading = read_phone("+" + std::string(value.substr(start + 2)), "ZZ"))
        readings.push_back(std::move(*reading));
    }
    return readings;
  });
  std::vector<PhoneReading> out;
  settle(readings, wanted, out);
  return out;
}

void PhoneNormalizer::find_in_text(std::string_view text, std::vector<std::string>& out) const {
  find_in_text(text, reading_regions(), out);
}

void PhoneNormalizer::find_in_text(std::string_view text, const std::vector<std::string>& regions,
                                   std::vector<std::string>& out) const {
  std::vector<PhoneReading> readings;
  read_in_text(text, regions, readings);
  for (auto& reading : readings) {
    if (std::find(out.begin(), out.end(), reading.e164) == out.end())
      out.push_back(std::move(reading.e164));
  }
}

void PhoneNormalizer::read_in_text(std::string_view text, const std::vector<std::string>& regions,
                                   std::vector<PhoneReading>& out, const Wanted& wanted) const {
  read_text(std::string(text), regions, wanted, out);
  // What the text gave as it is stands; a number broken across lines, or written with 00, is
  // read again from its piece of the text, rewritten.
  std::vector<std::string> pieces;
  rewritten_pieces(text, pieces);
  for (const auto& piece : pieces) read_text(piece, regions, wanted, out);
}

std::string PhoneNormalizer::national_number(const std::string& e164) {
  const int code = calling_code_of(e164);
  if (code == 0) return {};
  return e164.substr(1 + std::to_string(code).size());
}

std::string PhoneNormalizer::region_of(const std::string& e164) {
  // The main region of each calling code (US for +1, GB for +44: the national format is shared),
  // looked up once: ten thousand requests' numbers ask again and again.
  static const std::map<int, std::string> kRegions = [] {
    const auto& util = *PhoneNumberUtil::GetInstance();
    std::set<int> codes;
    util.GetSupportedCallingCodes(&codes);
    std::map<int, std::string> regions;
    for (const int code : codes) {
      std::string region;
      util.GetRegionCodeForCountryCode(code, &region);
      if (!region.empty() && region != "001") regions.emplace(code, std::move(region));
    }
    return regions;
  }();
  const auto found = kRegions.find(calling_code_of(e164));
  return found == kRegions.end() ? "ZZ" : found->second;
}

}  // namespace crmscan

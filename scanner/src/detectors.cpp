#include "crmscan/detectors.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "crmscan/text.hpp"

namespace crmscan {

IdentifierDetector::IdentifierDetector(const SubjectSet& subjects) : subjects_(subjects) {
  index_name_starts();
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// HTML and links write the characters of an address in other ways: character references
// ("&#64;", "&#x40;", "&commat;", "&period;") and, in `mailto:` links, percent-escapes
// ("%40", "%2B"). Decodes those of printable ASCII characters into `decoded`; false when the text
// has none of them (the common case, found without a copy).
bool decode_address_escapes(std::string_view text, std::string& decoded) {
  const bool references = text.find("&#") != std::string_view::npos ||
                          text.find("&commat;") != std::string_view::npos ||
                          text.find("&period;") != std::string_view::npos;
  const bool escapes =
      text.find('%') != std::string_view::npos && (text.find("mailto:") != std::string_view::npos ||
                                                   text.find("MAILTO:") != std::string_view::npos ||
                                                   text.find("%40") != std::string_view::npos);
  if (!references && !escapes) return false;
  decoded.clear();
  for (std::size_t i = 0; i < text.size();) {
    int code = -1;
    std::size_t length = 0;
    if (escapes && text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      code = hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]);
      length = 3;
    } else if (references && text.compare(i, 8, "&commat;") == 0) {
      code = '@';
      length = 8;
    } else if (references && text.compare(i, 8, "&period;") == 0) {
      code = '.';
      length = 8;
    } else if (references && text.compare(i, 2, "&#") == 0) {
      const bool hex = i + 2 < text.size() && (text[i + 2] == 'x' || text[i + 2] == 'X');
      auto at = i + (hex ? 3 : 2);
      int value = 0;
      const auto digits_start = at;
      while (at < text.size() && at - digits_start < 4 &&
             (hex ? hex_value(text[at]) >= 0 : text[at] >= '0' && text[at] <= '9')) {
        value = value * (hex ? 16 : 10) + hex_value(text[at]);
        ++at;
      }
      if (at > digits_start && at < text.size() && text[at] == ';') {
        code = value;
        length = at + 1 - i;
      }
    }
    if (code > 0x20 && code < 0x7F) {
      decoded.push_back(static_cast<char>(code));
      i += length;
    } else {
      decoded.push_back(text[i++]);
    }
  }
  return true;
}

}  // namespace

void IdentifierDetector::emails(std::string_view text, std::vector<std::string>& out) const {
  // Most texts have neither an '@' nor anything that may stand for one.
  if (text.find('@') == std::string_view::npos && text.find('&') == std::string_view::npos &&
      text.find('%') == std::string_view::npos)
    return;
  std::string_view source = text;
  if (decode_address_escapes(text, decoded_)) source = decoded_;
  if (source.find('@') == std::string_view::npos) return;
  for_each_address(source, [&](std::size_t offset, std::size_t length) {
    if (auto normalised = normalize_email(source.substr(offset, length)))
      out.push_back(std::move(*normalised));
  });
}

namespace {

// The number of ASCII digits at the front of the text, at most `most`.
std::size_t leading_digits(std::string_view text, std::size_t most) {
  std::size_t n = 0;
  while (n < text.size() && n < most && text[n] >= '0' && text[n] <= '9') ++n;
  return n;
}

// A value that is a date or a timestamp and nothing else ("2024-03-14",
// "2024-03-14T09:31:07.000Z", "2018-12-10T17:50:19.000+0000"): many digits, no phone number.
// The whole text must match
//   \d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?
// (read left to right: at each optional part the next byte says whether it is there).
bool is_timestamp(std::string_view text) {
  if (text.size() < 10 || text.size() > 32) return false;
  const auto digits = [&](std::size_t count) {
    if (leading_digits(text, count) != count) return false;
    text.remove_prefix(count);
    return true;
  };
  const auto byte = [&](auto accept) {
    if (text.empty() || !accept(text.front())) return false;
    text.remove_prefix(1);
    return true;
  };
  const auto is = [](char wanted) { return [wanted](char c) { return c == wanted; }; };
  if (!digits(4) || !byte(is('-')) || !digits(2) || !byte(is('-')) || !digits(2)) return false;
  if (text.empty()) return true;
  if (!byte([](char c) { return c == 'T' || c == ' '; }) || !digits(2) || !byte(is(':')) ||
      !digits(2))
    return false;
  if (byte(is(':'))) {
    if (!digits(2)) return false;
    if (byte(is('.')) && !digits(std::max<std::size_t>(leading_digits(text, text.size()), 1)))
      return false;
  }
  if (byte(is('Z'))) return text.empty();
  if (byte([](char c) { return c == '+' || c == '-'; })) {
    if (!digits(2)) return false;
    byte(is(':'));
    if (!digits(2)) return false;
  }
  return text.empty();
}

// Whether a text is worth reading for phone numbers: six digits at least, and not a timestamp.
bool may_hold_phone(std::string_view text) {
  std::size_t digits = 0;
  for (const char c : text) digits += c >= '0' && c <= '9' ? 1 : 0;
  return digits >= 6 && !is_timestamp(text);
}

// What candidates() looks for in up to 64 bytes: a bit per byte.
struct ByteMasks {
  std::uint64_t alnum = 0, digit = 0, email = 0, space = 0;
};

#if defined(__SSE2__)
// The first 16 × `chunks` bytes of a block (it may be read that far), 16 at a time.
ByteMasks classify(const char* block, int chunks = 4) {
  ByteMasks masks;
  const auto in_range = [](__m128i bytes, char low, char span) {
    // (unsigned)(byte - low) <= span - 1, as min(x, span - 1) == x.
    const auto offset = _mm_sub_epi8(bytes, _mm_set1_epi8(low));
    return _mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(static_cast<char>(span - 1))), offset);
  };
  for (int chunk = 0; chunk < chunks; ++chunk) {
    const auto bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * chunk));
    const auto digit = in_range(bytes, '0', 10);
    const auto letter = in_range(_mm_or_si128(bytes, _mm_set1_epi8(0x20)), 'a', 26);
    const auto email = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('@')),
                                                 _mm_cmpeq_epi8(bytes, _mm_set1_epi8('&'))),
                                    _mm_cmpeq_epi8(bytes, _mm_set1_epi8('%')));
    const auto space = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(' '));
    const auto bits = [&](__m128i lanes) {
      return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(lanes)))
             << (16 * chunk);
    };
    masks.alnum |= bits(_mm_or_si128(digit, letter));
    masks.digit |= bits(digit);
    masks.email |= bits(email);
    masks.space |= bits(space);
  }
  return masks;
}
#else
ByteMasks classify(const char* block, int chunks = 4) {
  ByteMasks masks;
  for (int i = 0; i < 16 * chunks; ++i) {
    const char c = block[i];
    const bool digit = c >= '0' && c <= '9';
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const std::uint64_t bit = std::uint64_t{1} << static_cast<unsigned>(i);
    masks.alnum |= digit || letter ? bit : 0;
    masks.digit |= digit ? bit : 0;
    masks.email |= c == '@' || c == '&' || c == '%' ? bit : 0;
    masks.space |= c == ' ' ? bit : 0;
  }
  return masks;
}
#endif

// The number of bits set, without a call: the x86-64 baseline has no popcnt instruction, and
// __builtin_popcountll calls libgcc.
std::size_t count_bits(std::uint64_t bits) {
  bits -= bits >> 1 & 0x5555555555555555ULL;
  bits = (bits & 0x3333333333333333ULL) + (bits >> 2 & 0x3333333333333333ULL);
  bits = (bits + (bits >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<std::size_t>((bits * 0x0101010101010101ULL) >> 56);
}

// Calls `each(masks, width, offset)` with each block of up to 64 bytes of the text, in order,
// while it returns true; the last, shorter one is read in place when the `readable` bytes from
// text.data() reach the end of its last 16, its bits past the text cleared, else from a copy
// padded with bytes that are none of those looked for. False when `each` stopped it.
template <typename Each>
bool for_each_block(std::string_view text, Each&& each, std::size_t readable = 0) {
  std::size_t at = 0;
  for (; at + 64 <= text.size(); at += 64) {
    if (!each(classify(text.data() + at), 64u, at)) return false;
  }
  if (at == text.size()) return true;
  const auto width = static_cast<unsigned>(text.size() - at);
  const auto chunks = static_cast<int>((width + 15) / 16);
  if (at + 16 * static_cast<std::size_t>(chunks) <= readable) {
    auto masks = classify(text.data() + at, chunks);
    const auto inside = (std::uint64_t{1} << width) - 1;
    for (auto* bits : {&masks.alnum, &masks.digit, &masks.email, &masks.space}) *bits &= inside;
    return each(masks, width, at);
  }
  std::array<char, 64> tail{};
  std::memcpy(tail.data(), text.data() + at, width);
  return each(classify(tail.data(), chunks), width, at);
}

// Follows the runs of letters and digits through blocks of bytes (a bit per byte) and reports
// each run of exactly 15 or 18 as (offset, length), in order. A block costs a few operations on
// its bits, whatever its runs: its runs of 15 and 18 are found together.
class IdTokenRuns {
 public:
  template <typename Found>
  void add(std::uint64_t alnum, unsigned width, std::size_t offset, Found&& found) {
    if (open_ > 0) {
      // The run open at the end of the last block goes on to this block's first byte that is not
      // a letter or digit (bits past `width` are clear; all 64 set: ctz of zero is undefined).
      const auto clear = ~alnum;
      const auto ones = clear == 0 ? 64u : static_cast<unsigned>(__builtin_ctzll(clear));
      if (ones >= width) {
        open_ += width;
        return;
      }
      close(offset + ones, open_ + ones, found);
      alnum &= ~((std::uint64_t{1} << ones) - 1);
    }
    // A run through the block's last byte may go on in the next block: it is left open.
    std::uint64_t last = 0;
    if ((alnum >> (width - 1) & 1) != 0) {
      const auto shifted = ~(alnum << (64 - width));
      last = shifted == 0 ? 64u : static_cast<unsigned>(__builtin_clzll(shifted));
      alnum &= last == width ? 0 : (std::uint64_t{1} << (width - last)) - 1;
    }
    // The runs wholly inside: a run of exactly n starts at a bit that follows a clear one, holds
    // n set bits from there, and its n-th is followed by a clear one.
    const auto starts = alnum & ~(alnum << 1);
    const auto ends = alnum & ~(alnum >> 1);
    const auto two = alnum & alnum >> 1;  // bit i: bits i to i + 1 set
    const auto four = two & two >> 2;
    const auto eight = four & four >> 4;
    const auto fifteen = eight & eight >> 7;
    const auto eighteen = eight & eight >> 8 & two >> 16;
    const auto of15 = starts & fifteen & ends >> 14;
    for (auto tokens = of15 | (starts & eighteen & ends >> 17); tokens != 0; tokens &= tokens - 1) {
      const auto bit = static_cast<unsigned>(__builtin_ctzll(tokens));
      found(offset + bit, (of15 >> bit & 1) != 0 ? 15u : 18u);
    }
    open_ = last;
  }
  // The end of the text, `end` bytes in: a run still open ends there.
  template <typename Found>
  void finish(std::size_t end, Found&& found) {
    close(end, open_, found);
    open_ = 0;
  }

 private:
  template <typename Found>
  static void close(std::size_t end, std::size_t length, Found&& found) {
    if (length == 15 || length == 18) found(end - length, length);
  }
  std::size_t open_ = 0;  // the length of a run through the last block's last byte
};

}  // namespace

TextCandidates IdentifierDetector::candidates(std::string_view text, std::size_t readable) {
  TextCandidates found;
  IdTokenRuns runs;
  bool id_token = false;
  const auto token = [&](std::size_t offset, std::size_t length) {
    id_token = true;
    if (found.id_token_count == found.id_token_places.size() ||
        offset > std::numeric_limits<std::uint32_t>::max() / 2) {
      found.id_tokens_listed = false;
      return;
    }
    found.id_token_places[found.id_token_count++] =
        static_cast<std::uint32_t>(offset << 1 | (length == 18 ? 1 : 0));
  };
  std::uint64_t email = 0, space = 0;
  std::size_t digits = 0;
  if (text.size() <= 16 && readable >= 16) {
    // Most values are this short (dates, numbers, picklists, ids of 15): one load, in place.
    const auto width = static_cast<unsigned>(text.size());
    const auto inside = (std::uint64_t{1} << width) - 1;
    const auto masks = classify(text.data(), 1);
    if (width >= 15) {
      runs.add(masks.alnum & inside, width, 0, token);
      runs.finish(width, token);
    }
    found.id_token = id_token;
    found.email = (masks.email & inside) != 0;
    found.phone = count_bits(masks.digit & inside) >= 6 && !is_timestamp(text);
    found.words = (masks.space & inside) != 0;
    return found;
  }
  for_each_block(
      text,
      [&](const ByteMasks& masks, unsigned width, std::size_t offset) {
        runs.add(masks.alnum, width, offset, token);
        email |= masks.email;
        space |= masks.space;
        digits += count_bits(masks.digit);
        return true;
      },
      readable);
  runs.finish(text.size(), token);
  found.id_token = id_token;
  found.email = email != 0;
  found.phone = digits >= 6 && !is_timestamp(text);
  found.words = space != 0;
  return found;
}

void IdentifierDetector::for_each_id_token_run(std::string_view text, IdTokenRunFound found,
                                               void* context) {
  IdTokenRuns runs;
  const auto report = [&](std::size_t offset, std::size_t length) {
    found(context, offset, length);
  };
  for_each_block(text, [&](const ByteMasks& masks, unsigned width, std::size_t offset) {
    runs.add(masks.alnum, width, offset, report);
    return true;
  });
  runs.finish(text.size(), report);
}

void IdentifierDetector::phones(std::string_view text, std::vector<std::string>& out) const {
  if (may_hold_phone(text)) subjects_.phones().find_in_text(text, out);
}

void IdentifierDetector::phones(std::string_view text, const std::vector<std::string>& regions,
                                std::vector<PhoneReading>& out,
                                const PhoneNormalizer::Wanted& wanted) const {
  if (may_hold_phone(text)) subjects_.phones().read_in_text(text, regions, out, wanted);
}

void IdentifierDetector::id_tokens(std::string_view text, std::vector<std::string>& out) {
  for_each_id_token(text, [&](std::string_view key) { out.emplace_back(key); });
}

std::string_view IdentifierDetector::whole_value_id(std::string_view text, IdShape shape) {
  text = trim(text);
  if (text.size() < 2) return {};
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (shape == IdShape::kNumber) return std::all_of(text.begin(), text.end(), is_digit) ? text : "";
  const bool one_word = std::none_of(text.begin(), text.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
  });
  return one_word && std::any_of(text.begin(), text.end(), is_digit) ? text : "";
}

namespace {

// ASCII text's words fold as fold_words_into() folds them: runs of letters and digits in lower
// case, an apostrophe inside a word dropped ("O'Neill" → "oneill"), anything else between words.
// Hashes the word that starts at `at` and returns where it ends.
std::size_t hash_ascii_word(std::string_view text, std::size_t at, SubjectSet::WordHash& hash) {
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (is_ascii_alnum(c)) {
      hash.add(static_cast<unsigned char>(ascii_lower(c)));
    } else if (c != '\'') {
      break;
    }
  }
  return at;
}

// Whether the letter or digit at `at` starts a word of ASCII text, rather than continuing one
// across apostrophes.
bool starts_ascii_word(std::string_view text, std::size_t at) {
  while (at > 0 && text[at - 1] == '\'') --at;
  return at == 0 || !is_ascii_alnum(text[at - 1]);
}

}  // namespace

std::uint16_t IdentifierDetector::name_start(unsigned char first, unsigned char second) {
  return static_cast<std::uint16_t>(first | second << 8);
}

void IdentifierDetector::index_name_starts() {
  for (const auto& subject : subjects_.subjects()) {
    for (const auto& name : subject.names) {
      const auto second = name.size() > 1 ? static_cast<unsigned char>(name[1]) : ' ';
      name_starts_.set(name_start(static_cast<unsigned char>(name[0]), second));
      name_firsts_.set(static_cast<unsigned char>(name[0]));
    }
  }
}

bool IdentifierDetector::may_hold_name(std::string_view text) const {
  if (text.find('@') == std::string_view::npos) return has_name_window(text, true);
  // names() reads the text with its addresses blanked, which joins the words around them: a name
  // it finds is a window of that text. Then the text as it is must pass, as it always had to.
  masked_.assign(text);
  for_each_address(text, [&](std::size_t offset, std::size_t length) {
    masked_.replace(offset, length, length, ' ');
  });
  return has_name_window(masked_, true) && has_name_window(text, false);
}

bool IdentifierDetector::has_name_window(std::string_view text, bool by_start) const {
  // A run of words can be a name only if its folded form (words in lower case, apostrophes
  // dropped, one space apart) hashes as a subject's whole name. `by_start`: and only if its first
  // two folded bytes (or its one byte and a space) start a subject's name, which rules out most
  // words before they are hashed.
  const auto& lengths = subjects_.name_lengths();
  const auto longest = *std::max_element(lengths.begin(), lengths.end());
  const auto is_length = [&](std::size_t length) {
    return std::find(lengths.begin(), lengths.end(), length) != lengths.end();
  };
  const auto may_start = [&](unsigned char first, unsigned char second) {
    return !by_start || name_starts_[name_start(first, second)];
  };
  if (!is_ascii(text)) {
    // Other than ASCII: the words of the folded text.
    fold_words_into(text, folded_, words_);
    const std::string_view folded(folded_);
    const auto word = [&](std::size_t index) {
      return folded.substr(words_[index].first, words_[index].second);
    };
    for (std::size_t start = 0; start < words_.size(); ++start) {
      const auto first = word(start);
      const auto second = first.size() > 1 ? static_cast<unsigned char>(first[1]) : ' ';
      if (!may_start(static_cast<unsigned char>(first[0]), second)) continue;
      auto hash = SubjectSet::word_hash(first);
      if (!subjects_.may_start_name(hash)) continue;
      for (std::size_t length = 1;; ++length) {
        if (is_length(length) && subjects_.may_be_name(hash)) return true;
        if (length == longest || start + length == words_.size()) break;
        hash.add(' ');
        for (const char c : word(start + length)) hash.add(static_cast<unsigned char>(c));
      }
    }
    return false;
  }
  // ASCII text, most of it, is read as it would fold, 64 bytes at a time: a bit per letter or
  // digit. A word starts at one that follows neither a letter or digit nor apostrophes after one.
  const auto at_word = [&](std::size_t at) {
    const auto first = static_cast<unsigned char>(ascii_lower(text[at]));
    if (by_start && !name_firsts_[first]) return false;
    auto next = at + 1;
    while (next < text.size() && text[next] == '\'') ++next;
    const auto second = static_cast<unsigned char>(
        next < text.size() && is_ascii_alnum(text[next]) ? ascii_lower(text[next]) : ' ');
    if (!may_start(first, second)) return false;
    SubjectSet::WordHash hash;
    auto end = hash_ascii_word(text, at, hash);
    if (!subjects_.may_start_name(hash)) return false;
    for (std::size_t length = 1;; ++length) {
      if (is_length(length) && subjects_.may_be_name(hash)) return true;
      while (end < text.size() && !is_ascii_alnum(text[end])) ++end;
      if (length == longest || end == text.size()) return false;
      hash.add(' ');
      end = hash_ascii_word(text, end, hash);
    }
  };
  std::uint64_t previous = 0;  // the last block's bit per letter or digit
  return !for_each_block(text, [&](const ByteMasks& masks, unsigned, std::size_t offset) {
    const auto alnum = masks.alnum;
    for (auto starts = alnum & ~(alnum << 1 | previous >> 63); starts != 0; starts &= starts - 1) {
      const auto at = offset + static_cast<std::size_t>(__builtin_ctzll(starts));
      if (at > 0 && text[at - 1] == '\'' && !starts_ascii_word(text, at)) continue;
      if (at_word(at)) return false;
    }
    previous = alnum;
    return true;
  });
}

void IdentifierDetector::names(std::string_view text,
                               const std::function<void(const std::string&)>& found) const {
  if (!subjects_.has_names() || !may_hold_name(text)) return;
  if (text.find('@') != std::string_view::npos) {
    // A name inside an address is no finding: an address of the subject's is found as such,
    // and one of someone else's (amelie.dubois@othercorp.example) is not the subject.
    decoded_.assign(text);
    for_each_address(text, [&](std::size_t offset, std::size_t length) {
      decoded_.replace(offset, length, length, ' ');
    });
    text = decoded_;
  }
  fold_words_into(text, folded_, words_);
  const std::string_view folded(folded_);
  for (std::size_t start = 0; start < words_.size(); ++start) {
    const auto [offset, first_length] = words_[start];
    if (!subjects_.may_start_name(SubjectSet::word_hash(folded.substr(offset, first_length))))
      continue;
    for (const auto length : subjects_.name_lengths()) {
      if (start + length > words_.size()) continue;
      // Words are one space apart in the folded text: a run of them is one substring.
      const auto& [last_offset, last_length] = words_[start + length - 1];
      const auto candidate = folded.substr(offset, last_offset + last_length - offset);
      if (subjects_.by_name(candidate) != nullptr) {
        candidate_.assign(candidate);
        found(candidate_);
      }
    }
  }
}

}  // namespace crmscan

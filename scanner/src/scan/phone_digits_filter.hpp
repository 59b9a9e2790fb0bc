#pragma once

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "crmscan/normalize.hpp"

namespace crmscan::scanning {

// Whether a text can hold one of a set of phone numbers, so that libphonenumber only reads the
// few texts that can match. The text's digits, separators dropped, must hold the last seven
// digits of a number's national significant number in one run (one hash lookup per window), and
// then the whole national significant number ending there — except in Argentina, whose national
// forms insert digits into it ("011 15 2345-6789" for +54 9 11 2345-6789), where the last seven
// must do. Many numbers share their last seven digits (0113 496 0232 and 0121 496 0232).
class PhoneDigitsFilter {
 public:
  explicit PhoneDigitsFilter(const std::string& home_region) : home_(home_region) {}

  void add(const std::string& e164) {
    const auto national = PhoneNormalizer::national_number(e164);
    if (national.empty()) return;
    const auto tail = std::min(national.size(), kTailDigits);
    std::uint64_t value = 0;
    for (const char digit : national.substr(national.size() - tail))
      value = value << 4 | static_cast<std::uint64_t>(digit - '0');
    auto& numbers = keys_[key(tail, value)];
    const bool whole = e164.rfind("+54", 0) != 0;
    const auto bit = region_bit(PhoneNormalizer::region_of(e164));
    if (std::none_of(numbers.begin(), numbers.end(), [&](const Number& number) {
          return number.national == national && number.region_bit == bit;
        })) {
      numbers.push_back({national, bit, whole});
    }
    seen_.set(slot(tail, value));
    last_three_.set(value & 0xFFF);
    last_five_.set(last_five_slot(value));
    if (std::find(lengths_.begin(), lengths_.end(), tail) == lengths_.end())
      lengths_.push_back(tail);
  }

  // Whether the text can hold one of the numbers. If it can, `regions` is set to the regions to
  // read it in: the home region, and the regions of the numbers it can hold (a national number
  // written in a text is written as its own country does; reading every text in every request's
  // region cost a PhoneNumberMatcher pass per region).
  bool may_hold(std::string_view text, std::vector<std::string>& regions) const {
    if (keys_.empty()) return false;
    std::uint64_t found = 0;
    for (const auto length : lengths_) found |= regions_of_windows(text, length);
    if (found == 0) return false;
    regions.clear();
    if (!home_.empty()) regions.push_back(home_);
    for (std::size_t i = 0; i < regions_.size(); ++i) {
      if ((found & (std::uint64_t{1} << std::min<std::size_t>(i, 63))) != 0 &&
          std::find(regions.begin(), regions.end(), regions_[i]) == regions.end()) {
        regions.push_back(regions_[i]);
      }
    }
    return true;
  }

  /// What a record holds of a number (Held::kPhoneTail): its last seven digits, four bits each.
  static std::uint64_t tail_hash(std::uint64_t packed) {
    return packed * 0x9E3779B97F4A7C15ULL + 'p';
  }
  /// The tail_hash() of a number's last seven digits, or none for a shorter number.
  static std::optional<std::uint64_t> tail_hash_of(const std::string& e164) {
    const auto national = PhoneNormalizer::national_number(e164);
    if (national.size() < kTailDigits) return std::nullopt;
    std::uint64_t packed = 0;
    for (const char digit : std::string_view(national).substr(national.size() - kTailDigits))
      packed = packed << 4 | static_cast<std::uint64_t>(digit - '0');
    return tail_hash(packed);
  }
  /// Adds the tail_hash() of every seven digits of the text (separators dropped) that end a run
  /// of digits: a number is read in a text only where its digits end (libphonenumber reads a run
  /// of digits whole, and a number glued to a further digit is another number).
  static void add_tails(std::string_view text, std::vector<std::uint64_t>& tails) {
    constexpr std::uint64_t kMask = (std::uint64_t{1} << (4 * kTailDigits)) - 1;
    std::uint64_t value = 0;
    std::size_t count = 0;
    for_each_digit<true>(text, [&](std::size_t at, bool ends_run) {
      value = (value << 4 | static_cast<unsigned char>(text[at] - '0')) & kMask;
      if (++count >= kTailDigits && ends_run) tails.push_back(tail_hash(value));
    });
  }

 private:
  static constexpr std::size_t kTailDigits = 7;

  /// Calls `each(offset, ends_run)` with the offset of each ASCII digit of the text, in order,
  /// and (with kRunEnds, false otherwise) whether no ASCII digit follows it: 16 bytes at a time,
  /// so that the bytes between digits cost next to nothing.
  template <bool kRunEnds, typename Each>
  static void for_each_digit(std::string_view text, Each&& each) {
    const auto is_digit = [](char c) { return static_cast<unsigned char>(c - '0') < 10; };
#if defined(__SSE2__)
    const auto digits_of = [&](const char* bytes, std::size_t at) {
      const auto lanes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
      // (unsigned)(byte - '0') <= 9, as min(x, 9) == x.
      const auto offset = _mm_sub_epi8(lanes, _mm_set1_epi8('0'));
      const auto digits = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(offset, _mm_set1_epi8(9)), offset)));
      unsigned ends = 0;
      if constexpr (kRunEnds) {
        const bool next_is_digit = at + 16 < text.size() && is_digit(text[at + 16]);
        ends = digits & ~(digits >> 1 | (next_is_digit ? 1U << 15 : 0U));
      }
      for (auto bits = digits; bits != 0; bits &= bits - 1) {
        const auto bit = static_cast<unsigned>(__builtin_ctz(bits));
        each(at + bit, (ends >> bit & 1U) != 0);
      }
    };
    std::size_t at = 0;
    for (; at + 16 <= text.size(); at += 16) digits_of(text.data() + at, at);
    if (at < text.size()) {
      // The last bytes, in a block padded with bytes that are no digits.
      std::array<char, 16> tail{};
      std::memcpy(tail.data(), text.data() + at, text.size() - at);
      digits_of(tail.data(), at);
    }
#else
    for (std::size_t at = 0; at < text.size(); ++at) {
      if (is_digit(text[at]))
        each(at, kRunEnds && (at + 1 == text.size() || !is_digit(text[at + 1])));
    }
#endif
  }

  struct Number {
    std::string national;  // its national significant number
    std::uint64_t region_bit;
    bool whole;  // written with its whole national significant number in one run of digits
  };

  // The region bits of the numbers whose last `length` digits end a window of the text's digits
  // (and whose whole national significant number does, where it must). The window's digits are
  // kept four bits each, so that sliding it is a shift and a mask.
  std::uint64_t regions_of_windows(std::string_view text, std::size_t length) const {
    const std::uint64_t mask = (std::uint64_t{1} << (4 * length)) - 1;
    std::uint64_t value = 0;
    std::uint64_t found = 0;
    std::size_t count = 0;
    for_each_digit<false>(text, [&](std::size_t i, bool) {
      value = (value << 4 | static_cast<unsigned char>(text[i] - '0')) & mask;
      if (++count < length || !last_three_[value & 0xFFF] || !last_five_[last_five_slot(value)] ||
          !seen_[slot(length, value)])
        return;
      const auto hit = keys_.find(key(length, value));
      if (hit == keys_.end()) return;
      for (const auto& number : hit->second) {
        if (!number.whole || digits_end_with(text.substr(0, i + 1), number.national))
          found |= number.region_bit;
      }
    });
    return found;
  }
  // Whether the digits of a text, separators dropped, end with these digits.
  static bool digits_end_with(std::string_view text, std::string_view digits) {
    auto at = text.size();
    for (auto wanted = digits.size(); wanted > 0; --wanted) {
      while (at > 0 && (text[at - 1] < '0' || text[at - 1] > '9')) --at;
      if (at == 0 || text[--at] != digits[wanted - 1]) return false;
    }
    return true;
  }
  // Regions past the 63rd share the last bit, which then stands for all of them.
  std::uint64_t region_bit(const std::string& region) {
    auto at = std::find(regions_.begin(), regions_.end(), region);
    if (at == regions_.end()) at = regions_.insert(regions_.end(), region);
    const auto index = static_cast<std::size_t>(at - regions_.begin());
    return std::uint64_t{1} << std::min<std::size_t>(index, 63);
  }
  // `value` holds the last `length` digits, four bits each.
  static std::uint64_t key(std::size_t length, std::uint64_t value) {
    return value * 32 + length;
  }
  // A bit per hashed key in front of the map: most digit windows are ruled out by one load.
  static std::size_t slot(std::size_t length, std::uint64_t value) {
    return static_cast<std::size_t>((key(length, value) * 0x9E3779B97F4A7C15ULL) >> 44);
  }
  // The last five digits (four bits each; fewer for a shorter number), hashed into 2^17 bits.
  static std::size_t last_five_slot(std::uint64_t value) {
    return static_cast<std::size_t>(((value & 0xFFFFF) * 0x9E3779B97F4A7C15ULL) >> 47);
  }
  std::string home_;
  std::vector<std::string> regions_;
  std::unordered_map<std::uint64_t, std::vector<Number>> keys_;  // by their last digits
  std::bitset<std::size_t{1} << 20> seen_;
  // The last three digits of the numbers, four bits each: a digit ends a window that can be one
  // only if it and the two before it end one of them (one load, from a small table).
  std::bitset<std::size_t{1} << 12> last_three_;
  // Their last five digits: with thousands of numbers every last three digits are someone's, and
  // this table (16 KB, kept in the core's first cache) still rules out nine windows in ten before
  // seen_ (128 KB) is read.
  std::bitset<std::size_t{1} << 17> last_five_;
  std::vector<std::size_t> lengths_;
};

}  // namespace crmscan::scanning

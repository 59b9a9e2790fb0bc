// IdentifierDetector::candidates(): the one pass over a value that decides which matchers run on
// it. A "no" must never hide what a matcher would find.
#include <re2/re2.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/detectors.hpp"
#include "crmscan/normalize.hpp"

namespace {

// The pattern the phone matcher used to tell a date or timestamp alone, before candidates().
bool timestamp_by_pattern(const std::string& text) {
  static const RE2 kTimestamp(
      R"(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)");
  return text.size() >= 10 && text.size() <= 32 && RE2::FullMatch(text, kTimestamp);
}

std::size_t digits_in(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) n += c >= '0' && c <= '9' ? 1 : 0;
  return n;
}

bool has_run_of_15_or_18(const std::string& text) {
  std::size_t run = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])) != 0) {
      ++run;
      continue;
    }
    if (run == 15 || run == 18) return true;
    run = 0;
  }
  return false;
}

}  // namespace

TEST_CASE("candidates() tells a date or timestamp alone as its pattern does, whatever the shape",
          "[candidates]") {
  using crmscan::IdentifierDetector;
  for (const std::string text :
       {"2024-03-14", "2024-03-14T09:31:07.000Z", "2018-12-10T17:50:19.000+0000",
        "2024-03-14 09:31", "2024-03-14T09:31+01:00", "2024-03-14T09:31:07.123456-05:30"}) {
    CHECK_FALSE(IdentifierDetector::candidates(text).phone);
  }
  for (const std::string text : {"2024-03-14 call 020 7946 0958", "2024-03-14T09:31:07.Z",
                                 "2024-03-14Z", "020 7946 0958", "2024-03-14T09:31:07+01:0"}) {
    CHECK(IdentifierDetector::candidates(text).phone);
  }
  // Texts built from a timestamp's pieces, in every order, against the pattern.
  const std::vector<std::string> pieces{"2024", "-", "03", "14",   "T", " ", ":",  "07",    ".",
                                        "000",  "Z", "+",  "0000", "5", "x", "Tx", "01:00", "-05"};
  std::mt19937 random(18);
  for (int i = 0; i < 20'000; ++i) {
    std::string text = i % 2 == 0 ? "2024-03-14" : "";
    const auto count = random() % 9;
    for (unsigned k = 0; k < count; ++k) text += pieces[random() % pieces.size()];
    INFO(text);
    CHECK(IdentifierDetector::candidates(text).phone ==
          (digits_in(text) >= 6 && !timestamp_by_pattern(text)));
  }
}

TEST_CASE(
    "candidates() finds an id token, an email's '@' and a run of words where the matchers "
    "would",
    "[candidates]") {
  using crmscan::IdentifierDetector;
  const auto id = IdentifierDetector::candidates("see 0035g0000QZFMeeAQH.");
  CHECK(id.id_token);
  CHECK_FALSE(IdentifierDetector::candidates("0035g0000QZFMeeAQHx").id_token);  // 19 characters
  CHECK(IdentifierDetector::candidates("003000000000001").id_token);            // 15, alone
  CHECK(IdentifierDetector::candidates("mail amelie&#64;example.fr").email);
  CHECK_FALSE(IdentifierDetector::candidates("Inbound").email);
  CHECK(IdentifierDetector::candidates("Amelie Dubois").words);
  CHECK_FALSE(IdentifierDetector::candidates("Amelie_Dubois").words);
  // Every 15- or 18-character token that the id matcher keys is seen as one.
  std::mt19937 random(15);
  const std::string alphabet = "aZ09aZ09aZ09aZ09 -.@";  // runs of 15 and 18 are common
  for (int i = 0; i < 20'000; ++i) {
    std::string text;
    const auto length = random() % 200;  // across blocks of 64 bytes
    for (unsigned k = 0; k < length; ++k) text += alphabet[random() % alphabet.size()];
    std::vector<std::string> keys;
    IdentifierDetector::id_tokens(text, keys);
    INFO(text);
    const auto found = IdentifierDetector::candidates(text);
    if (!keys.empty()) CHECK(found.id_token);
    CHECK(found.id_token == has_run_of_15_or_18(text));
    CHECK(found.email == (text.find('@') != std::string::npos));
    CHECK(found.words == (text.find(' ') != std::string::npos));
  }
}

TEST_CASE(
    "candidates() says the same of a value whether its last bytes are read in place or from a "
    "copy, and the id tokens it places key as reading the text again would",
    "[candidates]") {
  using crmscan::IdentifierDetector;
  std::mt19937 random(64);
  const std::string alphabet = "aZ09aZ09aZ09aZ09 -.@";
  const auto keys_of = [](std::string_view text, const crmscan::TextCandidates* places) {
    std::vector<std::string> keys;
    const auto add = [&](std::string_view key) { keys.emplace_back(key); };
    if (places != nullptr) {
      IdentifierDetector::for_each_id_token(text, *places, add);
    } else {
      IdentifierDetector::for_each_id_token(text, add);
    }
    return keys;
  };
  for (int i = 0; i < 20'000; ++i) {
    // The storage past the value holds what an earlier, longer value left there: '@', digits,
    // spaces and letters that a reading past the value's end would take for its own.
    std::string value(static_cast<std::size_t>(random() % 300), '@');
    for (auto& c : value) c = "@ 7aZ"[random() % 5];
    std::string text;
    const auto length = random() % 200;
    for (unsigned k = 0; k < length; ++k) text += alphabet[random() % alphabet.size()];
    if (i % 10 == 0) {
      text.clear();  // more tokens than candidates() places: the text is read again for them
      for (int k = 0; k < 9; ++k) text += "003000000000001 ";
    }
    value.assign(text);
    INFO(text);
    const auto copied = IdentifierDetector::candidates(text);
    const auto in_place = IdentifierDetector::value_candidates(value);
    CHECK(in_place.id_token == copied.id_token);
    CHECK(in_place.email == copied.email);
    CHECK(in_place.phone == copied.phone);
    CHECK(in_place.words == copied.words);
    CHECK(in_place.email == (text.find('@') != std::string::npos));
    CHECK(keys_of(value, &in_place) == keys_of(text, nullptr));
    if (i % 10 == 0) CHECK_FALSE(in_place.id_tokens_listed);
  }
}

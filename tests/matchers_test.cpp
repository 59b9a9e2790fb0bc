// The per-value matchers against plain reference readings of what they must find: every fast path
// (addresses read outward from each '@', names looked up only at word starts that can begin a
// request's name, folding text a run at a time) must find exactly what the reference finds, on
// many generated and hostile texts.
#include <re2/re2.h>
#include <utf8proc.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/detectors.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"
#include "crmscan/text_index.hpp"
#include "scan/phone_digits_filter.hpp"
#include "scan/prepared_record.hpp"
#include "support.hpp"

namespace {

// Random texts made of pieces that matter to the matchers: parts of addresses, separators,
// quotes, digits, accented and look-alike letters, invalid UTF-8.
std::string random_text(std::mt19937& random, const std::vector<std::string>& pieces,
                        std::size_t most) {
  std::string text;
  const auto count = random() % (most + 1);
  for (std::size_t i = 0; i < count; ++i) text += pieces[random() % pieces.size()];
  return text;
}

// Each address as the pattern the matcher used before reads them: RE2, leftmost, consumed left to
// right, quotes and dots at the front dropped.
std::vector<std::pair<std::size_t, std::size_t>> addresses_by_pattern(const std::string& text) {
  static const RE2 kEmail(R"(([\w.%+'\-]+@[\w\-]+(?:\.[\w\-]+)+))");
  std::vector<std::pair<std::size_t, std::size_t>> found;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece address;
  while (RE2::FindAndConsume(&input, kEmail, &address)) {
    while (!address.empty() && (address[0] == '\'' || address[0] == '.')) address.remove_prefix(1);
    found.emplace_back(static_cast<std::size_t>(address.data() - text.data()), address.size());
  }
  return found;
}

std::vector<std::pair<std::size_t, std::size_t>> addresses(const std::string& text) {
  std::vector<std::pair<std::size_t, std::size_t>> found;
  crmscan::IdentifierDetector::for_each_address(
      text, [&](std::size_t offset, std::size_t length) { found.emplace_back(offset, length); });
  return found;
}

}  // namespace

TEST_CASE("Addresses read outward from each '@' are the pattern's matches", "[matchers][email]") {
  CHECK(addresses("mail 'amelie.dubois@example.fr', or a@b") ==
        std::vector<std::pair<std::size_t, std::size_t>>{{6, 24}});
  CHECK(addresses("a@b.c@d.e").size() == 1);  // the second '@' has no local part left
  CHECK(addresses("x@y z@w.com x@y.").size() == 1);
  CHECK(addresses("@example.com a@.com a@b..c a@b.-").size() == 1);  // only a@b.- ('-' a label)
  // Pieces of addresses and their look-alikes, in every order.
  const std::vector<std::string> pieces{"a",
                                        "Z",
                                        "0",
                                        "_",
                                        "-",
                                        ".",
                                        "..",
                                        "%",
                                        "+",
                                        "'",
                                        "@",
                                        "@",
                                        "@",
                                        " ",
                                        "\t",
                                        "\n",
                                        ",",
                                        ";",
                                        "<",
                                        ">",
                                        "\"",
                                        "(",
                                        "ex",
                                        "fr",
                                        "co",
                                        "uk",
                                        "amelie",
                                        "\xC3\xA9",
                                        "\xEF\xBC\xA0" /* ＠ */,
                                        "\xC3",
                                        "\xFF",
                                        "\xE2\x80\x99",
                                        "&#64;",
                                        "mailto:",
                                        "%40",
                                        std::string(1, '\0')};
  std::mt19937 random(18);
  for (int i = 0; i < 40'000; ++i) {
    const auto text = random_text(random, pieces, 40);
    INFO(text);
    CHECK(addresses(text) == addresses_by_pattern(text));
  }
  // Address-shaped texts: a local part, '@', labels and dots, between other words.
  const std::vector<std::string> parts{"amelie.dubois", "o'neill", "a+b", "x_y", "-", ".",
                                       "example",       "co",      "uk",  "@",   "'", " "};
  for (int i = 0; i < 20'000; ++i) {
    const auto text = random_text(random, parts, 12);
    INFO(text);
    CHECK(addresses(text) == addresses_by_pattern(text));
  }
}

namespace {

// fold_words_into() as it was: the whole text through utf8proc (raw bytes, lowered, where it is
// not UTF-8), then words of letters, digits and other characters, an apostrophe inside a word
// dropped.
std::vector<std::string> folded_words_by_reference(const std::string& text) {
  utf8proc_uint8_t* mapped = nullptr;
  const auto length = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
      static_cast<utf8proc_ssize_t>(text.size()), &mapped,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                     UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK));
  std::string source = text;
  if (length >= 0) {
    source.assign(reinterpret_cast<char*>(mapped), static_cast<std::size_t>(length));
  } else {
    for (auto& c : source) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::free(mapped);
  std::vector<std::string> words;
  bool in_word = false;
  for (std::size_t i = 0; i < source.size();) {
    if (in_word && source[i] == '\'') {
      ++i;
      continue;
    }
    if (in_word && source.compare(i, 3, "\xE2\x80\x99") == 0) {
      i += 3;
      continue;
    }
    const auto c = static_cast<unsigned char>(source[i]);
    if (std::isalnum(c) != 0 || c >= 0x80) {
      if (!in_word) words.emplace_back();
      in_word = true;
      words.back().push_back(static_cast<char>(c));
    } else {
      in_word = false;
    }
    ++i;
  }
  return words;
}

std::string join(const std::vector<std::string>& words, std::size_t start, std::size_t count) {
  std::string joined;
  for (std::size_t i = start; i < start + count; ++i) joined += (i > start ? " " : "") + words[i];
  return joined;
}

// IdentifierDetector::names() as it was: nothing unless a run of the text's folded words hashes
// as a subject's name; then each run of words of the text, its addresses blanked, that is one.
std::vector<std::string> names_by_reference(const crmscan::SubjectSet& subjects,
                                            const std::string& text) {
  using crmscan::SubjectSet;
  const auto& lengths = subjects.name_lengths();
  const auto words = folded_words_by_reference(text);
  bool may_hold = false;
  for (std::size_t start = 0; start < words.size() && !may_hold; ++start) {
    if (!subjects.may_start_name(SubjectSet::word_hash(words[start]))) continue;
    for (std::size_t length = 1; length <= 6 && start + length <= words.size(); ++length) {
      if (std::find(lengths.begin(), lengths.end(), length) != lengths.end() &&
          subjects.may_be_name(SubjectSet::word_hash(join(words, start, length)))) {
        may_hold = true;
      }
    }
  }
  std::vector<std::string> found;
  if (!may_hold) return found;
  auto masked = text;
  if (text.find('@') != std::string::npos) {
    for (const auto& [offset, length] : addresses_by_pattern(text))
      masked.replace(offset, length, length, ' ');
  }
  const auto masked_words = folded_words_by_reference(masked);
  for (std::size_t start = 0; start < masked_words.size(); ++start) {
    for (const auto length : lengths) {
      if (start + length > masked_words.size()) continue;
      const auto candidate = join(masked_words, start, length);
      if (subjects.by_name(candidate) != nullptr) found.push_back(candidate);
    }
  }
  return found;
}

std::vector<std::string> names(const crmscan::IdentifierDetector& detector,
                               const std::string& text) {
  std::vector<std::string> found;
  detector.names(text, [&](const std::string& name) { found.push_back(name); });
  return found;
}

crmscan::SubjectSet subjects_named(const std::vector<std::string>& names) {
  std::vector<crmscan::SubjectRequest> requests;
  for (std::size_t i = 0; i < names.size(); ++i)
    requests.push_back({"R" + std::to_string(i), {}, {}, {names[i]}, {}, "test"});
  return crmscan::SubjectSet(requests, "GB");
}

// Letters, words and separators that names are written with, and their look-alikes.
const std::vector<std::string>& name_pieces() {
  static const std::vector<std::string> kPieces{"amelie",
                                                "Am\xC3\xA9lie",
                                                "AM\xC3\x89LIE",
                                                "Ame\xCC\x81lie" /* combining acute */,
                                                "\xEF\xBC\xA1m\xC3\xA9lie" /* fullwidth A */,
                                                "dubois",
                                                "Dubois",
                                                "DUBOIS",
                                                "du",
                                                "bois",
                                                "o'neill",
                                                "O\xE2\x80\x99Neill",
                                                "O''Neill",
                                                "oneill",
                                                "siobhan",
                                                "Siobh\xC3\xA1n",
                                                "jean",
                                                "Jean-Luc",
                                                "luc",
                                                "picard",
                                                "j",
                                                "J.",
                                                "smith",
                                                "zo\xC3\xAB",
                                                "Zoe",
                                                "ng",
                                                "x",
                                                "\xEF\xAC\x81" /* fi */,
                                                "fiona",
                                                "\xC3\x9F",
                                                "ss",
                                                "\xC4\xB0",
                                                "42",
                                                "_",
                                                " ",
                                                " ",
                                                " ",
                                                "  ",
                                                "\n",
                                                "\t",
                                                "-",
                                                ".",
                                                ",",
                                                "'",
                                                "\xE2\x80\x99",
                                                "\xC2\xA0" /* no-break space */,
                                                "\xE3\x80\x80" /* ideographic */,
                                                "@",
                                                "amelie.dubois@example.fr",
                                                "x@y.com",
                                                "@example.org",
                                                "\xC3" /* invalid */,
                                                "\xFF",
                                                "\xEF\xBC\x8E" /* fullwidth . */,
                                                "\xEF\xBC\x87" /* fullwidth ' */,
                                                "\xCC\x81"};
  return kPieces;
}

}  // namespace

TEST_CASE("Folding text a run at a time folds it as utf8proc folds it whole", "[matchers][names]") {
  // Random characters of every plane next to ASCII letters, digits, apostrophes and separators.
  std::mt19937 random(7);
  const std::string ascii = "aZ09' -.@_\t";
  for (int i = 0; i < 30'000; ++i) {
    std::string text;
    const auto count = random() % 12;
    for (unsigned k = 0; k < count; ++k) {
      if (random() % 2 == 0) {
        text += ascii[random() % ascii.size()];
        continue;
      }
      const auto range = random() % 3 == 0 ? 0x110000u : 0x3000u;
      auto code = static_cast<utf8proc_int32_t>(random() % range);
      if (code >= 0xD800 && code <= 0xDFFF) code = 0xE9;
      utf8proc_uint8_t bytes[4];
      const auto length = utf8proc_encode_char(code < 0x80 ? 0xE9 : code, bytes);
      text.append(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
    }
    if (random() % 50 == 0) text += "\xC3";  // invalid: raw bytes, as before
    INFO(text);
    CHECK(crmscan::folded_words(text) == folded_words_by_reference(text));
  }
  std::mt19937 pieces(8);
  for (int i = 0; i < 20'000; ++i) {
    const auto text = random_text(pieces, name_pieces(), 10);
    INFO(text);
    CHECK(crmscan::folded_words(text) == folded_words_by_reference(text));
  }
}

TEST_CASE("Names are found where they were, looked up only at word starts that can begin one",
          "[matchers][names]") {
  const auto subjects =
      subjects_named({"Am\xC3\xA9lie Dubois", "Siobh\xC3\xA1n O'Neill", "Jean-Luc Picard",
                      "J Smith", "Zo\xC3\xAB", "x", "Ng", "Fiona Amelie Du Bois", "\xC3\x9F"});
  const crmscan::IdentifierDetector detector(subjects);
  CHECK(names(detector, "Call from AMELIE DUBOIS re: order") ==
        std::vector<std::string>{"amelie dubois"});
  CHECK(names(detector, "Siobh\xC3\xA1n O\xE2\x80\x99Neill, J. Smith") ==
        std::vector<std::string>{"siobhan oneill", "j smith"});
  CHECK(names(detector, "amelie.dubois@example.fr wrote").empty());  // a name inside an address
  CHECK(names(detector, "Amelie Duboisson").empty());
  std::mt19937 random(21);
  for (int i = 0; i < 40'000; ++i) {
    const auto text = random_text(random, name_pieces(), 14);
    INFO(text);
    CHECK(names(detector, text) == names_by_reference(subjects, text));
  }
}

TEST_CASE("With ten thousand names, names are found where they were", "[matchers][names]") {
  // Names made of few syllables, so that texts of the same syllables hold many of them and their
  // hashes collide often with a word start that begins none.
  const std::vector<std::string> syllables{"an", "bo", "ca", "de", "el", "fi", "ga", "ho", "i",
                                           "jo", "ka", "lu", "ma", "ni", "o'", "pa", "ri", "su"};
  std::mt19937 random(10'000);
  const auto word = [&] {
    std::string w;
    for (auto n = 1 + random() % 3; n > 0; --n) w += syllables[random() % syllables.size()];
    return w;
  };
  std::vector<std::string> all;
  for (int i = 0; i < 10'000; ++i) {
    std::string name = word();
    for (auto n = random() % 3; n > 0; --n) name += " " + word();
    all.push_back(name);
  }
  const auto subjects = subjects_named(all);
  const crmscan::IdentifierDetector detector(subjects);
  std::vector<std::string> pieces = syllables;
  for (const std::string separator : {" ", " ", " ", "-", "'", "@", "x@ex.com", "\xC3\xA9"})
    pieces.push_back(separator);
  for (int i = 0; i < 20'000; ++i) {
    const auto text = random_text(random, pieces, 24);
    INFO(text);
    CHECK(names(detector, text) == names_by_reference(subjects, text));
  }
}

TEST_CASE("An index of thousands of keys finds every key it holds and nothing else",
          "[matchers][index]") {
  // Keys added one at a time, looked up after each addition: while the index compares them one
  // by one, as it starts keeping a bit per key, and after (a key added then sets its own bit).
  // Their look-alikes (a letter's case, a character more or less, another domain) are no key.
  crmscan::TextIndex<std::vector<crmscan::SubjectIndex>> index;
  std::map<std::string, crmscan::SubjectIndex> reference;
  const auto key = [](int i) { return "person" + std::to_string(i) + "@example.org"; };
  const auto look_alikes = [](const std::string& held) {
    return std::vector<std::string>{held + ".", held.substr(1), "P" + held.substr(1),
                                    held.substr(0, held.size() - 3) + "com", held + " "};
  };
  const auto check_all = [&] {
    for (const auto& [held, subject] : reference) {
      const auto* found = index.find(held);
      REQUIRE(found != nullptr);
      CHECK(*found == std::vector<crmscan::SubjectIndex>{subject});
      for (const auto& other : look_alikes(held)) {
        if (reference.count(other) == 0) CHECK(index.find(other) == nullptr);
      }
    }
  };
  for (int i = 0; i < 3'000; ++i) {
    index[key(i)].push_back(static_cast<crmscan::SubjectIndex>(i));
    reference[key(i)] = static_cast<crmscan::SubjectIndex>(i);
    if (i < 40 || i % 500 == 0) check_all();
  }
  check_all();
  CHECK(index.size() == 3'000);
  std::size_t iterated = 0;
  for (const auto& [held, subjects] : index) iterated += reference.count(held);
  CHECK(iterated == 3'000);
  // A million keys it does not hold: none is found.
  std::size_t found = 0;
  for (int i = 3'000; i < 1'003'000; ++i) found += index.contains(key(i)) ? 1 : 0;
  CHECK(found == 0);
}

namespace {

// salesforce_id_key() as it was, a character at a time.
std::optional<std::string> id_key_by_reference(const std::string& text) {
  if (text.size() != 15 && text.size() != 18) return std::nullopt;
  bool has_digit = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool digit = c >= '0' && c <= '9';
    if (!digit && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return std::nullopt;
    has_digit |= digit && i < 15;
  }
  if (!has_digit) return std::nullopt;
  static constexpr char kSuffix[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string key;
  for (std::size_t i = 0; i < 15; ++i)
    key.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i]))));
  for (int chunk = 0; chunk < 3; ++chunk) {
    int bits = 0;
    for (int i = 0; i < 5; ++i) {
      const char c = text[static_cast<std::size_t>(chunk * 5 + i)];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    const char suffix = kSuffix[bits];
    if (text.size() == 18 && std::toupper(static_cast<unsigned char>(
                                 text[static_cast<std::size_t>(15 + chunk)])) != suffix) {
      return std::nullopt;
    }
    key.push_back(suffix);
  }
  return key;
}

}  // namespace

TEST_CASE("Id keys are the keys they were, for ids and for what only looks like one",
          "[matchers][ids]") {
  std::mt19937 random(18);
  // Letters and digits, the bytes next to them in ASCII, and others.
  const std::string alphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
      "09AZaz/:@[`{ -_.\x7F\x80\xC3\xFF";
  for (int i = 0; i < 100'000; ++i) {
    std::string text;
    const auto length = i % 3 == 0 ? 15 : i % 3 == 1 ? 18 : 13 + random() % 8;
    // Mostly letters and digits, so that many are ids; a stray byte now and then.
    for (std::size_t k = 0; k < length; ++k) {
      const auto range = random() % 8 == 0 ? alphabet.size() : 62;
      text += alphabet[random() % range];
    }
    if (text.size() == 18 && random() % 2 == 0) {
      // The right checksum, in either case.
      const auto key = id_key_by_reference(text.substr(0, 15));
      if (key) {
        for (std::size_t k = 15; k < 18; ++k) {
          const auto c = (*key)[k];
          text[k] = random() % 2 == 0 ? c : static_cast<char>(std::tolower(c));
        }
      }
    }
    INFO(text);
    CHECK(crmscan::salesforce_id_key(text) == id_key_by_reference(text));
  }
}

TEST_CASE("Id tokens are found where they were, across blocks of 64 bytes", "[matchers][ids]") {
  // The keys of the runs of exactly 15 or 18 letters and digits, found a byte at a time.
  const auto by_reference = [](const std::string& text) {
    std::vector<std::string> keys;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])) != 0) continue;
      if (const auto key = id_key_by_reference(text.substr(start, i - start))) keys.push_back(*key);
      start = i + 1;
    }
    return keys;
  };
  std::mt19937 random(64);
  const std::vector<std::string> pieces{"0035g00000QxB7kAAF",
                                        "0035g00000QxB7k",
                                        "a0L5g00009A3o0W",
                                        "x",
                                        "Z9",
                                        "00000",
                                        "aaaaaaa",
                                        " ",
                                        "-",
                                        ".",
                                        "\xC3\xA9",
                                        "\n",
                                        "0035g00000qXb7KAAS",
                                        "001M000000qfPySIAU"};
  for (int i = 0; i < 40'000; ++i) {
    // Up to 300 bytes, shifted by a random few, so that runs cross block boundaries anywhere.
    auto text = std::string(random() % 70, ' ') + random_text(random, pieces, 24);
    INFO(text);
    std::vector<std::string> keys;
    crmscan::IdentifierDetector::id_tokens(text, keys);
    CHECK(keys == by_reference(text));
  }
}

namespace {

// PhoneDigitsFilter::may_hold() by its definition: the text's digits, separators dropped, hold
// the last seven digits of a number's national significant number (all of them when shorter) in
// one run, and for all but Argentina's the whole national significant number ending there; the
// regions read in are the home region, then those of such numbers in the order they were added.
bool may_hold_by_reference(const std::vector<std::string>& numbers, const std::string& home,
                           const std::string& text, std::vector<std::string>& regions) {
  using crmscan::PhoneNormalizer;
  std::string digits;
  for (const char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  std::vector<std::string> order, held;
  for (const auto& e164 : numbers) {
    const auto national = PhoneNormalizer::national_number(e164);
    if (national.empty()) continue;
    const auto region = PhoneNormalizer::region_of(e164);
    if (std::find(order.begin(), order.end(), region) == order.end()) order.push_back(region);
    const auto tail = national.substr(national.size() - std::min<std::size_t>(7, national.size()));
    const bool whole = e164.rfind("+54", 0) != 0;
    for (std::size_t end = tail.size(); end <= digits.size(); ++end) {
      const auto before = digits.substr(0, end);
      if (before.compare(end - tail.size(), tail.size(), tail) != 0) continue;
      if (whole && (before.size() < national.size() ||
                    before.compare(end - national.size(), national.size(), national) != 0))
        continue;
      held.push_back(region);
    }
  }
  if (held.empty()) return false;
  regions.clear();
  if (!home.empty()) regions.push_back(home);
  for (const auto& region : order) {
    if (std::find(held.begin(), held.end(), region) != held.end() &&
        std::find(regions.begin(), regions.end(), region) == regions.end())
      regions.push_back(region);
  }
  return true;
}

}  // namespace

TEST_CASE("The phone digit filter lets through the texts it let through, with their regions",
          "[matchers][phone]") {
  // Numbers that share their last seven digits, a short one, and an Argentine mobile, whose
  // national forms insert digits into it.
  const std::vector<std::string> numbers{"+442079460958", "+441134960958",  "+33612345678",
                                         "+12025550123",  "+5491123456789", "+2983123"};
  crmscan::scanning::PhoneDigitsFilter filter("GB");
  for (const auto& number : numbers) filter.add(number);
  const std::vector<std::string> pieces{
      "020", "7946",     "0958", "0113",       "496",         "06", "12",   "34",   "56",
      "78",  "+44",      "+33",  "(0)",        "011",         "15", "2345", "6789", "202",
      "555", "0123",     "3123", "9",          "0",           " ",  "-",    ".",    "x",
      "INV", "\xC3\xA9", "\n",   "2024-03-14", "\xEF\xBC\x90" /* fullwidth 0 */};
  std::mt19937 random(7946);
  for (int i = 0; i < 40'000; ++i) {
    const auto text = std::string(random() % 20, 'a') + random_text(random, pieces, 16);
    INFO(text);
    std::vector<std::string> regions, expected;
    const bool held = filter.may_hold(text, regions);
    REQUIRE(held == may_hold_by_reference(numbers, "GB", text, expected));
    if (held) CHECK(regions == expected);
  }
}

TEST_CASE("A text holds the last seven digits of each run of digits it ends, across blocks",
          "[matchers][phone]") {
  // What a record holds of a number learned later (PhoneDigitsFilter::add_tails), against its
  // definition: the text's digits, separators dropped, at each digit no ASCII digit follows.
  using crmscan::scanning::PhoneDigitsFilter;
  const std::vector<std::string> pieces{"020", "7946", "0958", "+44", "(0)", " ",           "-",
                                        "x",   "12",   "9",    "\n",  "INV", "\xEF\xBC\x90"};
  std::mt19937 random(958);
  for (int i = 0; i < 20'000; ++i) {
    const auto text = std::string(random() % 20, 'a') + random_text(random, pieces, 14);
    INFO(text);
    std::vector<std::uint64_t> expected;
    std::string digits;
    for (std::size_t at = 0; at < text.size(); ++at) {
      if (text[at] < '0' || text[at] > '9') continue;
      digits.push_back(text[at]);
      const bool ends_run = at + 1 == text.size() || text[at + 1] < '0' || text[at + 1] > '9';
      if (digits.size() < 7 || !ends_run) continue;
      std::uint64_t packed = 0;
      for (const char digit : digits.substr(digits.size() - 7))
        packed = packed << 4 | static_cast<std::uint64_t>(digit - '0');
      expected.push_back(PhoneDigitsFilter::tail_hash(packed));
    }
    std::vector<std::uint64_t> tails;
    PhoneDigitsFilter::add_tails(text, tails);
    REQUIRE(tails == expected);
  }
  // A number's own tail is held where it is written, and not where a digit is glued to it.
  const auto holds = [](const std::string& text) {
    std::vector<std::uint64_t> tails;
    PhoneDigitsFilter::add_tails(text, tails);
    return std::find(tails.begin(), tails.end(),
                     *PhoneDigitsFilter::tail_hash_of("+442079460958")) != tails.end();
  };
  CHECK(holds("Call 020 7946 0958 today"));
  CHECK(holds("+44 (0)20 7946-0958x12"));
  CHECK_FALSE(holds("Call 020 7946 09581"));
  CHECK_FALSE(PhoneDigitsFilter::tail_hash_of("+2983123"));  // too short: every record may hold it
}

TEST_CASE("With a thousand numbers, the phone digit filter lets through what it must",
          "[matchers][phone]") {
  // Dense enough that every last three digits are some number's: the tables behind them decide.
  std::mt19937 random(2079);
  const auto digits = [&](std::size_t count) {
    std::string text;
    for (std::size_t i = 0; i < count; ++i) text.push_back(static_cast<char>('0' + random() % 10));
    return text;
  };
  std::vector<std::string> numbers;
  for (int i = 0; i < 1000; ++i) {
    switch (i % 3) {
      case 0:
        numbers.push_back("+447700" + digits(6));
        break;
      case 1:
        numbers.push_back("+3361" + digits(7));
        break;
      default:
        numbers.push_back("+1202555" + digits(4));
        break;
    }
  }
  crmscan::scanning::PhoneDigitsFilter filter("GB");
  for (const auto& number : numbers) filter.add(number);
  std::size_t held = 0;
  for (int i = 0; i < 400; ++i) {
    // A number's national digits, cut by separators, or digits that are nobody's, among words.
    auto national = crmscan::PhoneNormalizer::national_number(numbers[random() % numbers.size()]);
    if (i % 2 == 1) national = digits(national.size());
    std::string text = "Call ";
    for (std::size_t at = 0; at < national.size(); ++at) {
      if (at != 0 && random() % 4 == 0) text += random() % 2 == 0 ? " " : "-";
      text.push_back(national[at]);
    }
    text += " re " + digits(random() % 12);
    INFO(text);
    std::vector<std::string> regions, expected;
    const bool found = filter.may_hold(text, regions);
    REQUIRE(found == may_hold_by_reference(numbers, "GB", text, expected));
    if (found) CHECK(regions == expected);
    held += found ? 1 : 0;
  }
  CHECK(held >= 200);  // every text with a number's digits, and a few others
}

TEST_CASE("A record prepared into the storage of the records before it holds its own values alone",
          "[matchers]") {
  using namespace crmscan;
  const auto rules = RuleSet::load({test::source_path("tests/fixtures/engine-rules.yaml")});
  const SubjectSet subjects({{"R1", {"amelie.dubois@example.fr"}, {}, {"Amelie Dubois"}, {}, "t"}},
                            "GB");
  scanning::Preparer preparer(subjects, rules);
  auto schema = std::make_shared<ObjectSchema>();
  schema->object = "Task";
  for (const auto* field : {"Id", "WhoId", "Subject", "Description"})
    schema->fields.push_back({field, {}});
  const auto record = [&](std::vector<std::string> texts) {
    Record made;
    made.schema = schema;
    for (auto& text : texts) made.values.emplace_back(std::move(text));
    made.id = std::get<std::string>(made.values[0]);
    return made;
  };
  // What a value's lists hold, field by field.
  const auto summary = [](const scanning::PreparedRecord& prepared) {
    std::vector<std::string> lines{prepared.key};
    for (const auto& value : prepared.values) {
      std::string line = std::to_string(value.field) + ":";
      for (const auto& id : value.ids) line += " id " + id;
      for (const auto& email : value.emails) line += " email " + email;
      for (const auto& name : value.names) line += " name " + name;
      if (value.phone) line += " phone";
      for (const auto& region : value.regions) line += " in " + region;
      const auto& found = value.candidates;
      line += std::string(" candidates ") + (found.id_token ? "i" : "") + (found.email ? "e" : "") +
              (found.phone ? "p" : "") + (found.words ? "w" : "");
      lines.push_back(line);
    }
    return lines;
  };
  const auto full = record({"00T5g000001AbCdEAK", "0035g0000QZFMeeAQH",
                            "Call 003000000000001 and 0035g0000QZFMeeAQH from +1 415 555 0134",
                            "Amelie Dubois wrote from Amelie.Dubois@example.fr"});
  const auto sparse = record({"00T5g000001AbCeEAK", "0035g0000QZFMeeAQH", "Inbound call", ""});
  auto filter = std::make_shared<scanning::PhoneDigitsFilter>("GB");
  filter->add("+14155550134");
  const scanning::PhoneFilterSnapshot phones{filter, 0};
  scanning::PreparedRecord fresh, reused;
  preparer.prepare(full, phones, fresh);
  const auto full_summary = summary(fresh);
  CHECK(full_summary.size() == 4);  // the key, then WhoId, Subject and Description
  CHECK(full_summary[2] ==
        "2: id 003000000000001AAA id 0035G0000QZFMEEAQH phone in GB in US candidates ipw");
  CHECK(full_summary[3] == "3: email amelie.dubois@example.fr name amelie dubois candidates ew");
  preparer.prepare(full, phones, reused);
  preparer.prepare(sparse, phones, reused);
  scanning::PreparedRecord sparse_fresh;
  preparer.prepare(sparse, phones, sparse_fresh);
  CHECK(summary(reused) == summary(sparse_fresh));
  CHECK(summary(reused) ==  // WhoId and Subject, nothing of the record before
        std::vector<std::string>{"00T5G000001ABCEEAK", "1: id 0035G0000QZFMEEAQH candidates ip",
                                 "2: candidates w"});
  preparer.prepare(full, phones, reused);
  CHECK(summary(reused) == full_summary);
}

TEST_CASE("Held values that differ hash apart: ids a character apart, keys, and their kinds",
          "[matchers]") {
  using crmscan::scanning::Held;
  using crmscan::scanning::held_hash;
  // A collision costs a read that finds nothing new; many would read everything again. Ids that
  // differ in one character anywhere (the tail past the last eight bytes too), texts that differ
  // only in length or trailing zero bytes, every kind and key name.
  std::vector<std::uint64_t> hashes;
  std::vector<std::string> texts;
  for (int i = 0; i < 40000; ++i) {
    auto id = crmscan::salesforce_id18("0035g" + std::string(10 - std::to_string(i).size(), '0') +
                                       std::to_string(i));
    texts.push_back(id);
    texts.push_back(id.substr(0, 15));
    id[17] = id[17] == 'A' ? 'B' : 'A';
    texts.push_back(id);
  }
  for (std::size_t length = 0; length <= 24; ++length) {
    texts.push_back(std::string(length, 'a'));
    texts.push_back(std::string(length, '\0'));
  }
  std::sort(texts.begin(), texts.end());
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  for (const auto& text : texts) {
    for (const auto kind : {Held::kOwnId, Held::kMention, Held::kEmail}) {
      hashes.push_back(held_hash(kind, text));
    }
    hashes.push_back(held_hash(Held::kKey, text, "call"));
    hashes.push_back(held_hash(Held::kKey, text, "dial"));
  }
  const auto count = hashes.size();
  std::sort(hashes.begin(), hashes.end());
  CHECK(std::unique(hashes.begin(), hashes.end()) == hashes.end());
  CHECK(count == texts.size() * 5);
  // The same value hashes alike wherever it is hashed (a record's, an event's).
  CHECK(held_hash(Held::kMention, std::string("0035g000000AbCdEFG")) ==
        held_hash(Held::kMention, std::string_view("x0035g000000AbCdEFG").substr(1)));
}

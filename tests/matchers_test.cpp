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
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/detectors.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/subject.hpp"

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
      auto code = static_cast<utf8proc_int32_t>(random() % (random() % 3 == 0 ? 0x110000 : 0x3000));
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

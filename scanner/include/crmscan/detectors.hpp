#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"

namespace crmscan {

/// What a value can hold, from one pass over its bytes: a matcher that it cannot feed is not
/// run on it.
struct TextCandidates {
  /// A run of exactly 15 or 18 ASCII letters and digits (a Salesforce id token).
  bool id_token = false;
  /// An '@', or an '&' or '%' that may write one (IdentifierDetector::emails).
  bool email = false;
  /// Six digits or more, and not a date or timestamp alone (IdentifierDetector::phones).
  bool phone = false;
  /// A space: a run of words (IdentifierDetector::names).
  bool words = false;
  /// Where the id tokens are, in order (offset × 2, + 1 for 18 characters), so that their keys
  /// are taken without reading the text again; all of them when id_tokens_listed.
  std::array<std::uint32_t, 6> id_token_places{};
  std::uint8_t id_token_count = 0;
  bool id_tokens_listed = true;
};

/// Finds identifiers written anywhere in a value: emails, phone numbers in any format,
/// Salesforce ids, and the subjects' names. Cheap checks come first, so that most values cost
/// a scan for '@' and a count of digits.
class IdentifierDetector {
 public:
  explicit IdentifierDetector(const SubjectSet& subjects);

  /// Which matchers can find something in the text; each finds nothing where this says no.
  /// `readable`: how many bytes from text.data() may be read (the storage of a std::string
  /// holding it), so that its last bytes are read in place instead of from a padded copy.
  static TextCandidates candidates(std::string_view text, std::size_t readable = 0);
  /// candidates() of a value held in a std::string, its last bytes read in place: the string's
  /// storage is its capacity and a terminating byte (as libstdc++, libc++ and MSVC lay it out).
  static TextCandidates value_candidates(const std::string& value) {
    return candidates(value, value.capacity() + 1);
  }

  /// Normalised emails in the text, also where HTML writes them (`mailto:` links, `&#64;`).
  void emails(std::string_view text, std::vector<std::string>& out) const;
  /// E.164 phone numbers in the text, national ones read in every region of the subject set.
  void phones(std::string_view text, std::vector<std::string>& out) const;
  /// The readings of the phone numbers in the text (PhoneNormalizer::read_in_text), national
  /// ones read in the given regions only, of the numbers `wanted` wants.
  void phones(std::string_view text, const std::vector<std::string>& regions,
              std::vector<PhoneReading>& out, const PhoneNormalizer::Wanted& wanted = {}) const;
  /// Id keys (salesforce_id_key) of the 15- and 18-character id tokens in the text.
  static void id_tokens(std::string_view text, std::vector<std::string>& out);
  /// The same keys, each passed to `found` as a view of a buffer (no allocation per token).
  template <typename Found>
  static void for_each_id_token(std::string_view text, Found&& found) {
    if (text.size() < 15) return;
    IdKey key;
    auto each = [&](std::size_t offset, std::size_t length) {
      if (salesforce_id_key(text.substr(offset, length), key))
        found(std::string_view(key.data(), key.size()));
    };
    for_each_id_token_run(
        text,
        [](void* context, std::size_t offset, std::size_t length) {
          (*static_cast<decltype(each)*>(context))(offset, length);
        },
        &each);
  }
  /// The same keys, from the places candidates() found the text's id tokens at.
  template <typename Found>
  static void for_each_id_token(std::string_view text, const TextCandidates& candidates,
                                Found&& found) {
    if (!candidates.id_tokens_listed) return for_each_id_token(text, found);
    IdKey key;
    for (std::size_t i = 0; i < candidates.id_token_count; ++i) {
      const auto place = candidates.id_token_places[i];
      if (salesforce_id_key(text.substr(place >> 1, (place & 1) != 0 ? 18 : 15), key))
        found(std::string_view(key.data(), key.size()));
    }
  }
  /// The keys (record_id_key) of the record ids of a CRM written in a field, each passed to
  /// `found`: Salesforce ids and GUIDs wherever they stand as a word of the text, numeric ids and
  /// other keys only as the whole value (a number inside a sentence proves nothing). The scan
  /// takes Salesforce ids from the places value_candidates() found instead, with the same keys.
  template <typename Found>
  static void for_each_id(std::string_view text, IdShape shape, Found&& found) {
    switch (shape) {
      case IdShape::kSalesforce:
        for_each_id_token(text, found);
        return;
      case IdShape::kGuid:
        for_each_guid_token(text, found);
        return;
      case IdShape::kNumber:
      case IdShape::kKey:
        if (const auto whole = whole_value_id(text, shape); !whole.empty()) {
          const auto key = record_id_key(whole);
          found(std::string_view(key));
        }
        return;
    }
  }
  /// Calls `found(offset, length)` with each email address written in the text: the matches,
  /// left to right and not overlapping, of [\w.%+'\-]+@[\w\-]+(?:\.[\w\-]+)+ (\w: ASCII
  /// letters, digits and '_'; leftmost, every quantifier greedy), without the quotes or dots that
  /// begin one ('amelie.dubois@example.fr'). Read outward from each '@': the local part is the run
  /// of its bytes before the '@' (from the end of the previous address on), the domain a label and
  /// one or more '.'-and-label after it, each label as long as it goes.
  template <typename Found>
  static void for_each_address(std::string_view text, Found&& found) {
    std::size_t resume = 0;  // where the previous address ended
    for (auto at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
      auto start = at;
      while (start > resume && is_local_byte(text[start - 1])) --start;
      if (start == at) continue;
      const auto label_end = [&](std::size_t from) {
        while (from < text.size() && is_domain_byte(text[from])) ++from;
        return from;
      };
      auto end = label_end(at + 1);
      if (end == at + 1) continue;
      bool dotted = false;
      while (end + 1 < text.size() && text[end] == '.' && is_domain_byte(text[end + 1])) {
        end = label_end(end + 1);
        dotted = true;
      }
      if (!dotted) continue;
      resume = end;
      while (text[start] == '\'' || text[start] == '.') ++start;  // stops at the '@'
      found(start, end - start);
    }
  }
  /// Calls `found` with each run of words in the text that is a subject's folded name, except
  /// inside an email address ("amelie.dubois@othercorp.example" names no one).
  void names(std::string_view text, const std::function<void(const std::string&)>& found) const;

 private:
  template <typename Found>
  static void for_each_guid_token(std::string_view text, Found&& found) {
    const auto is_guid_char = [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f') || c == '-';
    };
    GuidKey key;
    for (std::size_t start = 0; start < text.size();) {
      while (start < text.size() && !is_guid_char(text[start])) ++start;
      std::size_t end = start;
      while (end < text.size() && is_guid_char(text[end])) ++end;
      if (end - start == 36 && guid_key(text.substr(start, 36), key))
        found(std::string_view(key.data(), key.size()));
      start = end;
    }
  }
  static bool is_domain_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  }
  static bool is_local_byte(char c) {
    return is_domain_byte(c) || c == '.' || c == '%' || c == '+' || c == '\'';
  }
  using IdTokenRunFound = void (*)(void* context, std::size_t offset, std::size_t length);
  /// Calls `found(context, offset, length)` with each run of exactly 15 or 18 ASCII letters and
  /// digits in the text, in order.
  static void for_each_id_token_run(std::string_view text, IdTokenRunFound found, void* context);
  /// The whole value as a numeric id (digits only) or a key (one word holding a digit), or empty.
  static std::string_view whole_value_id(std::string_view text, IdShape shape);

  /// False only when names() can find nothing in the text; false whenever no run of the text's
  /// words hashes as a subject's whole name (where names() has always found nothing).
  bool may_hold_name(std::string_view text) const;
  /// Whether a run of the text's words hashes as a subject's whole name (`by_start`: and its first
  /// word starts as a subject's name does, in name_starts_).
  bool has_name_window(std::string_view text, bool by_start) const;
  /// The key of name_starts_ for a name's first two folded bytes.
  static std::uint16_t name_start(unsigned char first, unsigned char second);
  void index_name_starts();

  const SubjectSet& subjects_;
  // The first two bytes of each subject's folded name (a one-letter first word: it and a space).
  std::bitset<std::size_t{1} << 16> name_starts_;
  std::bitset<256> name_firsts_;  // their first bytes alone
  // Reused between values, so that matching allocates only when the text grows.
  mutable std::string folded_;
  mutable std::vector<std::pair<std::size_t, std::size_t>> words_;
  mutable std::string candidate_;
  mutable std::string decoded_;  // the text with its email addresses, or entities, rewritten
  mutable std::string masked_;   // the text with its email addresses blanked
};

}  // namespace crmscan

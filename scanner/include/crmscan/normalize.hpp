#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crmscan {

/// An email trimmed and case-folded, or nothing when the text is not one address.
std::optional<std::string> normalize_email(std::string_view text);

/// A name case-folded, stripped of accents, its words joined by single spaces ("Amélie  DUBOIS"
/// → "amelie dubois"); apostrophes vanish ("O'Neill" → "oneill"), other punctuation separates.
std::string fold_name(std::string_view text);

/// The words of folded text, as fold_name splits them.
std::vector<std::string> folded_words(std::string_view text);

/// The same words without an allocation per word: `folded` receives the folded text and
/// `words` each word's (offset, length) in it. Both are reused buffers.
void fold_words_into(std::string_view text, std::string& folded,
                     std::vector<std::pair<std::size_t, std::size_t>>& words);

/// A Salesforce id as its case-safe 18-character form upper-cased, so that 15- and 18-character
/// spellings compare equal; nothing when the text is not shaped like an id (15 or 18 letters and
/// digits with at least one digit, and for 18 a checksum that matches).
std::optional<std::string> salesforce_id_key(std::string_view text);

/// The same key written into a buffer, without an allocation: false when the text is no id.
using IdKey = std::array<char, 18>;
bool salesforce_id_key(std::string_view text, IdKey& key);

/// The 18-character form of a 15-character Salesforce id (unchanged when already 18).
std::string salesforce_id18(std::string_view id15);

/// A GUID (8-4-4-4-12 hexadecimal digits, in braces or not) in lower case without braces, as
/// Dataverse writes its ids: false when the text is no GUID.
using GuidKey = std::array<char, 36>;
bool guid_key(std::string_view text, GuidKey& key);

/// A key for any record id: the Salesforce form or the GUID form where the id has that shape,
/// else the text trimmed.
std::string record_id_key(std::string_view id);
/// The same into `into`, whose storage is reused (a key a record, read after read).
void record_id_key(std::string_view id, std::string& into);

/// One way of reading a phone number written in a value or a text.
struct PhoneReading {
  std::string e164;
  /// libphonenumber finds it valid: a number of a range its region has allocated.
  bool valid = false;
  /// The value says which country it is: written with `+`, or with the international prefix
  /// (00, 011…) and read as no other number in another region.
  bool international = false;
  /// The value can be no other number: written with `+`, or its only reading in the regions read
  /// in, and that reading valid or written with the international prefix.
  bool certain = false;
};

/// Phone numbers to E.164 through libphonenumber, reading national numbers in a set of regions.
class PhoneNormalizer {
 public:
  /// Which E.164 numbers a caller wants readings of (all when empty): a written number none of
  /// whose readings is wanted is not weighed at all, which saves checking its validity.
  using Wanted = std::function<bool(const std::string&)>;

  /// Regions (ISO 3166 alpha-2) in which national numbers are read; empty reads only
  /// international ones.
  explicit PhoneNormalizer(std::vector<std::string> regions = {});

  /// The E.164 forms of a whole value (read_all's), in every region.
  std::vector<std::string> parse_all(std::string_view value) const;
  /// The same, read in the given regions only ("ZZ": as an international number).
  std::vector<std::string> parse_all(std::string_view value,
                                     const std::vector<std::string>& regions) const;
  /// The readings of a whole value, one per number that a region reads it as. Where some region
  /// reads it as a valid number, readings that are merely possible elsewhere are dropped; where
  /// none does but some region reads it as one of its own numbers, readings as a call abroad are
  /// dropped ("0114 496 0712" is a Sheffield number, not 011 + 44 960712). Of several valid
  /// readings, one written as its region writes it is certain when the others omit their trunk
  /// prefix ("715-555-0128" is American, not the British 07155 550128), and none is otherwise. A
  /// value starting with 00 is also read as international; one whose digits are glued to
  /// letters ("INV4930…") is no number.
  std::vector<PhoneReading> read_all(std::string_view value,
                                     const std::vector<std::string>& regions,
                                     const Wanted& wanted = {}) const;
  /// The E.164 form of a whole value in one region, or nothing.
  std::optional<std::string> parse(std::string_view value, const std::string& region) const;
  /// Every phone number written inside free text, as E.164 (read_in_text's), in every region.
  void find_in_text(std::string_view text, std::vector<std::string>& out) const;
  /// The same, national numbers read in the given regions only ("ZZ": international ones).
  void find_in_text(std::string_view text, const std::vector<std::string>& regions,
                    std::vector<std::string>& out) const;
  /// The readings of every number written inside free text, each written number read as by
  /// read_all, added to `out` once per E.164 form. Digits inside a longer run of digits or glued
  /// to letters ("1Z999AA10123456784", "INV4930…") are not taken for a number; a number broken
  /// across two lines or by a run of spaces is still read.
  void read_in_text(std::string_view text, const std::vector<std::string>& regions,
                    std::vector<PhoneReading>& out, const Wanted& wanted = {}) const;
  /// The national significant number of a number in E.164 ("+442079460958" → "2079460958"):
  /// the digits that every way of writing the number contains in one run.
  static std::string national_number(const std::string& e164);
  /// The main region of the country calling code of a number in E.164 ("GB" for +44, "US" for
  /// +1), or "ZZ": the region whose national format the number is written in.
  static std::string region_of(const std::string& e164);
  /// Adds a region if it is not there yet.
  void add_region(const std::string& region);
  const std::vector<std::string>& regions() const { return regions_; }

 private:
  /// The regions, or "ZZ" (international numbers only) when there are none.
  const std::vector<std::string>& reading_regions() const;
  std::vector<std::string> regions_;
};

}  // namespace crmscan

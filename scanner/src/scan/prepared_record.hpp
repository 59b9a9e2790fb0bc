// What the scan works out of a record alone, before it decides on it: which matchers can find
// something in each value and what the ones that need no scan state find. Made on worker threads
// when the scan has several (Traversal, RecordPipeline), on the reading thread otherwise.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crmscan/detectors.hpp"
#include "crmscan/record.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"
#include "scan/object_plan.hpp"
#include "scan/phone_digits_filter.hpp"

namespace crmscan::scanning {

/// What a record read holds that something reached or learned later may name (Traversal::holds).
enum class Held : char {
  kOwnId = 'i',    // its own id key: what a pointer names
  kMention = 'm',  // an id key in one of its fields: a reached parent, a reference
  kKey = 'k',      // a key's value (`keys:`), with the key's name
  // Only where the traversal keeps them (PhoneFilterSnapshot::identifiers):
  kEmail = 'e',      // an email's base (email_base): a subject's email learned later matches it
  kPhoneTail = 'p',  // seven digits that end a run of digits (PhoneDigitsFilter::tail_hash)
};

/// A hash of a short text (an id, a key, an email's base), eight bytes at a time: a dozen per
/// record are hashed, and std::hash's byte loop cost as much as the rest of what is held.
inline std::uint64_t short_text_hash(std::string_view text) {
  const auto mix = [](std::uint64_t hash, std::uint64_t word) {
    hash = (hash ^ word) * 0xBF58476D1CE4E5B9ULL;
    return hash ^ (hash >> 31);
  };
  auto hash = 0x9E3779B97F4A7C15ULL ^ text.size();
  std::size_t at = 0;
  for (; at + 8 <= text.size(); at += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + at, sizeof word);
    hash = mix(hash, word);
  }
  if (at < text.size()) {
    std::uint64_t word = 0;
    for (unsigned shift = 0; at < text.size(); ++at, shift += 8)
      word |= std::uint64_t{static_cast<unsigned char>(text[at])} << shift;
    hash = mix(hash, word);
  }
  hash *= 0x94D049BB133111EBULL;
  return hash ^ (hash >> 29);
}

/// Two values that hash alike cost a read that finds nothing new, never a record missed.
inline std::uint64_t held_hash(Held kind, std::string_view value, std::string_view key_name = {}) {
  const auto named = key_name.empty() ? 0 : short_text_hash(key_name) * 0x9E3779B97F4A7C15ULL;
  return (short_text_hash(value) ^ named) + static_cast<std::uint64_t>(kind);
}

/// The Held value a subject's email or number learned from a person record names, or none when
/// what records hold cannot tell (a number of fewer than seven digits: every record may hold it).
std::optional<std::uint64_t> learned_hash(IdentifierKind kind, const std::string& identifier);

/// Key values shorter than this name too many things to tie records together.
inline constexpr std::size_t kMinKeyLength = 6;

/// Strings whose storage outlives them: the next ones are copied into it (most of a record's
/// lists are emptied and filled again for each record).
class StringList {
 public:
  void clear() { count_ = 0; }
  void push_back(std::string_view text) {
    if (count_ == items_.size()) {
      items_.emplace_back(text);
    } else {
      items_[count_].assign(text);
    }
    ++count_;
  }
  const std::string* begin() const { return items_.data(); }
  const std::string* end() const { return items_.data() + count_; }

 private:
  std::vector<std::string> items_;
  std::size_t count_ = 0;
};

/// One string value searched for identifiers (field_mentions).
struct PreparedValue {
  std::size_t field = 0;
  TextCandidates candidates;
  StringList ids;                    // id tokens (IdentifierDetector::for_each_id)
  std::vector<std::string> emails;   // IdentifierDetector::emails
  std::vector<std::string> names;    // the subjects' names written in it
  bool phone = false;                // the digits filter says it may hold a subject's number
  std::vector<std::string> regions;  // and the regions to read it in

  /// Empty again, its lists' storage kept (every member above).
  void reset() {
    field = 0;
    candidates = {};
    ids.clear();
    emails.clear();
    names.clear();
    phone = false;
    regions.clear();
  }
};

/// The values of a record to search, in field order. Those of the records before are kept, so
/// that a value's lists reuse their storage instead of being allocated for each record.
class PreparedValues {
 public:
  void clear() { count_ = 0; }
  /// A new value, empty.
  PreparedValue& add() {
    if (count_ == items_.size()) {
      ++count_;
      return items_.emplace_back();
    }
    auto& value = items_[count_++];
    value.reset();
    return value;
  }
  const PreparedValue* begin() const { return items_.data(); }
  const PreparedValue* end() const { return items_.data() + count_; }

 private:
  std::vector<PreparedValue> items_;
  std::size_t count_ = 0;
};

/// What the scan works out of one record alone.
struct PreparedRecord {
  std::string key;                     // record_key()
  std::vector<std::string> link_keys;  // the id key of each relation's value (plan.related)
  std::vector<std::uint64_t> held;     // held_hash() of what a later reach may name
  PreparedValues values;               // the values to search, in field order
  /// The generation of the digits filter the phone checks were made with: a subject's number
  /// learned since makes them stale (checked again when the record is decided).
  std::uint64_t phone_generation = 0;
};

/// The phone numbers looked for, as the scan knew them when a batch of records was read.
struct PhoneFilterSnapshot {
  std::shared_ptr<const PhoneDigitsFilter> filter;
  std::uint64_t generation = 0;
  /// The emails and numbers the records hold are to be held too (Held::kEmail, kPhoneTail): the
  /// object is read where a subject's email or number may still be learned.
  bool identifiers = false;
};

/// Prepares records; one per thread (a detector keeps scratch space).
class Preparer {
 public:
  Preparer(const SubjectSet& subjects, const RuleSet& rules)
      : detector_(subjects), rules_(rules), id_shape_(rules.id_shape()) {}

  void prepare(const Record& record, const PhoneFilterSnapshot& phones, PreparedRecord& into);
  /// The plan of the record's schema, compiled once.
  const ObjectPlan& plan_for(const Record& record);

 private:
  void prepare_values(const Record& record, const ObjectPlan& plan,
                      const PhoneFilterSnapshot& phones, PreparedRecord& into);
  void hold_identifiers(const Record& record, const ObjectPlan& plan, PreparedRecord& into);

  IdentifierDetector detector_;
  std::vector<std::string> emails_;  // hold_identifiers's, kept from record to record
  const RuleSet& rules_;
  IdShape id_shape_;
  // Plans by schema: each holds its schema, so a cached address is never reused.
  std::unordered_map<const ObjectSchema*, ObjectPlan> plans_;
};

}  // namespace crmscan::scanning

#pragma once

#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/decisions.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/text_index.hpp"

namespace crmscan {

struct Report;

/// One right-to-be-forgotten request as the user wrote it.
struct SubjectRequest {
  std::string request_id;
  std::vector<std::string> emails;
  std::vector<std::string> phones;
  std::vector<std::string> names;
  std::vector<std::string> ids;
  /// Where it came from, for messages: "subjects.csv:4" or "command line".
  std::string source;
  /// What the controller recorded about it (the subjects file's received, verified_by, …).
  RequestRecord record = {};
};

/// One request with its identifiers normalised once.
struct Subject {
  std::string request_id;
  std::vector<std::string> emails;     ///< trimmed, case-folded
  std::vector<std::string> phones;     ///< E.164
  std::vector<std::string> names;      ///< folded (fold_name)
  std::vector<std::string> ids;        ///< record_id_key
  std::vector<std::string> given_ids;  ///< as the request wrote them (an API wants them so)
};

using SubjectIndex = std::uint32_t;

/// Every subject of a run, indexed by identifier so that a value is matched against all of them
/// with one hash lookup.
class SubjectSet {
 public:
  /// Normalises each request; national phone numbers are read in `default_region`. Throws
  /// DataError naming the request's source for an identifier that cannot be normalised.
  SubjectSet(const std::vector<SubjectRequest>& requests, const std::string& default_region);

  const std::vector<Subject>& subjects() const { return subjects_; }
  /// The record of each request that has one, by request id.
  const std::map<std::string, RequestRecord>& records() const { return records_; }
  /// Reads phone numbers in the default region and in the regions of the subjects' numbers.
  const PhoneNormalizer& phones() const { return phones_; }
  /// The region national numbers are read in first (upper case), or empty.
  const std::string& default_region() const { return default_region_; }

  const std::vector<SubjectIndex>* by_email(const std::string& email) const;
  const std::vector<SubjectIndex>* by_phone(const std::string& e164) const;
  const std::vector<SubjectIndex>* by_name(std::string_view folded) const;
  const std::vector<SubjectIndex>* by_id(std::string_view id_key) const;
  /// How many words the subjects' names have (1 to 6), to look for them in text.
  const std::vector<std::size_t>& name_lengths() const { return name_lengths_; }
  bool has_names() const { return !names_.empty(); }
  /// FNV-1a over the bytes of a folded word, fed a byte at a time (so that text can be hashed
  /// while it is folded).
  struct WordHash {
    std::uint64_t value = 14695981039346656037ULL;
    void add(unsigned char byte) { value = (value ^ byte) * 1099511628211ULL; }
  };
  static WordHash word_hash(std::string_view word) {
    WordHash hash;
    for (const char c : word) hash.add(static_cast<unsigned char>(c));
    return hash;
  }
  /// False when no subject's name starts with the word of this hash (true may be a false
  /// alarm): most words of a text are ruled out without building a candidate name.
  bool may_start_name(WordHash word) const {
    return first_words_[word.value % first_words_.size()];
  }
  /// False when no subject's folded name has this hash (true may be a false alarm).
  bool may_be_name(WordHash name) const {
    const auto bit = name.value % (whole_names_.size() * 64);
    return (whole_names_[bit / 64] >> (bit % 64) & 1) != 0;
  }

 private:
  using Index = TextIndex<std::vector<SubjectIndex>>;

  std::vector<Subject> subjects_;
  std::map<std::string, RequestRecord> records_;
  PhoneNormalizer phones_;
  std::string default_region_;
  Index emails_, phone_numbers_, names_, ids_;
  std::vector<std::size_t> name_lengths_;
  std::bitset<1 << 16> first_words_;
  std::vector<std::uint64_t> whole_names_ = std::vector<std::uint64_t>((1 << 20) / 64);
};

/// Reads requests from a CSV (`request_id,email,phone,name,id`; `;` between several values;
/// rows with the same request id merge) or YAML file (a list of maps with those keys, each a
/// string or a list). Either may add the request's record: `received`, `verified_by`,
/// `verification`, `ticket`, `deadline` (one value each; the dates ISO 8601, YYYY-MM-DD).
/// Throws MissingInputError or DataError naming file and line.
std::vector<SubjectRequest> load_subjects_file(const std::string& path);

/// Puts each subject's record (where it has one) into the report, by request id.
void add_request_records(Report& report, const SubjectSet& subjects);

}  // namespace crmscan

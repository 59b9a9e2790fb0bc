#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crmscan/decisions.hpp"
#include "crmscan/rules.hpp"

namespace crmscan {

/// One thing to erase or review, for one request.
struct Finding {
  /// Stable across runs and sources: the same for the same request, CRM, object, record and
  /// field, whether read from an export or live (finding_fingerprint()).
  std::string fingerprint;
  std::string request_id;
  std::string connector;
  std::string object;
  std::string record_id;
  std::string field;  ///< empty for the whole record
  std::string category;
  Action action = Action::kReview;
  std::string reason;      ///< identity, related, reaches, text, field, reference, name
  std::string rule;        ///< the rule id that decided it
  std::string detail;      ///< why, in words
  std::string confidence;  ///< high, medium, low
  bool archived = false;
  bool deleted = false;
  std::string preview;   ///< redacted unless the scan ran with --show-values
  std::string location;  ///< where the record was read ("Task.csv:12")
  /// The record of the subject's that led the scan here (a reference, a call identifier, a
  /// pointer), for reasons related, reaches, key and reference; empty otherwise.
  std::string via_object;
  std::string via_record_id;
};

/// The findings of a report, in order: in memory while they are few, in a private temporary file
/// (mode 0600, removed when the list goes) past a budget, so that a report of any size takes
/// little memory. Read with begin()/end() as often as needed; copies share what was written out.
class FindingList {
 public:
  /// Bytes of findings kept in memory before they go to a temporary file (a finding takes about
  /// 500 bytes and its text).
  static constexpr std::size_t kDefaultBudget = 4 * 1024 * 1024;

  class const_iterator;
  using iterator = const_iterator;
  using value_type = Finding;
  using size_type = std::size_t;

  FindingList() = default;
  FindingList(std::initializer_list<Finding> findings);

  /// Adds a finding at the end.
  void push_back(Finding finding);
  std::size_t size() const { return spilled_ + memory_.size(); }
  bool empty() const { return size() == 0; }
  const_iterator begin() const;
  const_iterator end() const;
  void clear();

  /// The memory budget in bytes (0: write everything out) and the folder of the temporary file
  /// (empty: $TMPDIR, else the system's temporary folder). Applies to what is added next.
  void set_budget(std::size_t bytes, std::string folder = {});
  /// Whether some findings are in a temporary file.
  bool spilled() const { return spilled_ != 0; }

 private:
  struct Segment;
  void spill();

  std::vector<std::shared_ptr<const Segment>> segments_;  // written out, in order
  std::size_t spilled_ = 0;                               // findings in segments_
  std::vector<Finding> memory_;                           // after them
  std::size_t memory_bytes_ = 0;
  std::size_t budget_ = kDefaultBudget;
  std::string folder_;
};

/// Reads the findings in order; a finding read from a file lives in the iterator until it moves.
class FindingList::const_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Finding;
  using difference_type = std::ptrdiff_t;
  using pointer = const Finding*;
  using reference = const Finding&;

  const_iterator() = default;
  reference operator*() const;
  pointer operator->() const { return &**this; }
  const_iterator& operator++();
  const_iterator operator++(int) {
    auto before = *this;
    ++*this;
    return before;
  }
  bool operator==(const const_iterator& other) const { return position_ == other.position_; }
  bool operator!=(const const_iterator& other) const { return position_ != other.position_; }

 private:
  friend class FindingList;
  struct Cursor;
  const_iterator(const FindingList* list, std::size_t position);
  const FindingList* list_ = nullptr;
  std::size_t position_ = 0;
  std::shared_ptr<Cursor> cursor_;  // reads the segments
};

struct PackInfo {
  std::string id;
  std::string version;
  std::string path;
  std::string sha256;
};

struct ObjectCoverage {
  std::string object;
  std::size_t records = 0;
  std::size_t archived = 0;
  std::size_t deleted = 0;
  std::size_t passes = 0;
  bool ruled = false;  ///< a rule pack has rules for it
};

struct ReportError {
  std::string object;
  std::string message;
};

/// An email or number the scan learned from a request's own person records and looked for too.
struct LearnedIdentifier {
  std::string request_id;
  std::string kind;   ///< email, phone
  std::string value;  ///< normalised (case-folded email, E.164)
  /// A phone number no numbering plan allocates: what it alone finds is only for review.
  bool review_only = false;
};

/// The outcome of a scan. A scan with any error is not complete.
struct Report {
  std::string tool_version;
  std::string connector;
  std::string crm;  ///< the CRM the connector reads (salesforce, dynamics365, hubspot, …)
  std::string source;
  std::string started;   ///< ISO 8601 UTC
  std::string finished;  ///< ISO 8601 UTC
  std::vector<PackInfo> packs;
  std::vector<std::string> request_ids;
  /// Per request, what the controller recorded about it (received, verified_by, …), when given.
  std::map<std::string, RequestRecord> request_records;
  /// The review decisions about its findings (--decisions), and the stale ones.
  AppliedDecisions decisions;
  /// Identifiers learned on the way, per request, in the order learned (never in a report file
  /// as values unless --show-values: verify reads them from the private values file).
  std::vector<LearnedIdentifier> learned;
  /// Per request, the keyed hashes of the identifiers it was scanned with (RequestValues).
  std::map<std::string, std::vector<std::string>> identifier_hashes;
  bool show_values = false;
  std::vector<ObjectCoverage> coverage;
  std::size_t records_read = 0;
  std::size_t api_calls = 0;
  std::vector<ReportError> errors;
  std::vector<std::string> notes;
  FindingList findings;

  bool complete() const { return errors.empty(); }
};

/// A finding's preview of a value: redacted, or the value itself (cut to 200 bytes at a character
/// boundary) with --show-values.
std::string preview_of(std::string_view value, bool show_values);
/// What a report found for one request, by action: a request with none is "no data found".
struct RequestCounts {
  std::string request_id;
  std::size_t delete_record = 0;
  std::size_t erase_field = 0;
  std::size_t delete_content = 0;
  std::size_t review = 0;
  std::size_t decided = 0;  ///< of those, decided by a person (--decisions)
  std::size_t total() const { return delete_record + erase_field + delete_content + review; }
};

/// Every request of the report, in its order, with its counts (zero for a request with none);
/// decided findings count under their action and as decided.
std::vector<RequestCounts> count_by_request(const Report& report);

/// A finding's fingerprint: the first 16 hex digits of SHA-256 over request, CRM, object, record
/// key and field. No connector and no action: an export and a live read of the same record give
/// the same fingerprint, and a finding whose action changes (review, then delete) keeps it.
std::string finding_fingerprint(std::string_view request_id, std::string_view crm,
                                std::string_view object, std::string_view record_key,
                                std::string_view field);

/// The current time as ISO 8601 UTC ("2026-11-29T08:00:00Z").
std::string utc_now();

/// A value as reports show it by default: enough shape to recognise, not enough to read
/// ("a***@e***.fr", "+44********58", "A*** D***").
std::string redact(std::string_view value);

}  // namespace crmscan

// What the scan works out of a record alone, before it decides on it: which matchers can find
// something in each value and what the ones that need no scan state find. Made on worker threads
// when the scan has several (Traversal, RecordPipeline), on the reading thread otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "crmscan/detectors.hpp"
#include "crmscan/record.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"
#include "scan/object_plan.hpp"
#include "scan/phone_digits_filter.hpp"

namespace crmscan::scanning {

/// One string value searched for identifiers (field_mentions).
struct PreparedValue {
  std::size_t field = 0;
  TextCandidates candidates;
  std::vector<std::string> ids;      // id tokens (IdentifierDetector::for_each_id)
  std::vector<std::string> emails;   // IdentifierDetector::emails
  std::vector<std::string> names;    // the subjects' names written in it
  bool phone = false;                // the digits filter says it may hold a subject's number
  std::vector<std::string> regions;  // and the regions to read it in
};

/// The values of one record to search, in field order.
struct PreparedRecord {
  std::vector<PreparedValue> values;
  /// The generation of the digits filter the phone checks were made with: a subject's number
  /// learned since makes them stale (checked again when the record is decided).
  std::uint64_t phone_generation = 0;
};

/// The phone numbers looked for, as the scan knew them when a batch of records was read.
struct PhoneFilterSnapshot {
  std::shared_ptr<const PhoneDigitsFilter> filter;
  std::uint64_t generation = 0;
};

/// Prepares records; one per thread (a detector keeps scratch space).
class Preparer {
 public:
  Preparer(const SubjectSet& subjects, const RuleSet& rules)
      : detector_(subjects), rules_(rules), id_shape_(rules.id_shape()) {}

  void prepare(const Record& record, const PhoneFilterSnapshot& phones, PreparedRecord& into);

 private:
  const ObjectPlan& plan_for(const Record& record);

  IdentifierDetector detector_;
  const RuleSet& rules_;
  IdShape id_shape_;
  // Plans by schema: each holds its schema, so a cached address is never reused.
  std::unordered_map<const ObjectSchema*, ObjectPlan> plans_;
};

}  // namespace crmscan::scanning

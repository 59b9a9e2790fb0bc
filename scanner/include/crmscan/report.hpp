#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "crmscan/rules.hpp"

namespace crmscan {

/// One thing to erase or review, for one request.
struct Finding {
  std::string
      fingerprint;  ///< stable across runs: request, connector, object, record, field, action
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

/// The outcome of a scan. A scan with any error is not complete.
struct Report {
  std::string tool_version;
  std::string connector;
  std::string source;
  std::string started;   ///< ISO 8601 UTC
  std::string finished;  ///< ISO 8601 UTC
  std::vector<PackInfo> packs;
  std::vector<std::string> request_ids;
  bool show_values = false;
  std::vector<ObjectCoverage> coverage;
  std::size_t records_read = 0;
  std::size_t api_calls = 0;
  std::vector<ReportError> errors;
  std::vector<std::string> notes;
  std::vector<Finding> findings;

  bool complete() const { return errors.empty(); }
};

/// The current time as ISO 8601 UTC ("2026-11-29T08:00:00Z").
std::string utc_now();

/// A value as reports show it by default: enough shape to recognise, not enough to read
/// ("a***@e***.fr", "+44********58", "A*** D***").
std::string redact(std::string_view value);

}  // namespace crmscan

// Decisions and request records as a JSON report holds them, read back by `plan` and `verify`;
// and the filter that leaves decided findings out of a plan.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <vector>

#include "crmscan/decisions.hpp"
#include "crmscan/plan.hpp"

namespace crmscan {

/// The decision a finding of a findings.json carries (its `decision` object), or nothing. Throws
/// DataError naming `where` for a decision of an unknown kind.
std::optional<Decision> decision_from_json(const rapidjson::Value& finding,
                                           const std::string& fingerprint,
                                           const std::string& where);

/// The record a request of a findings.json carries (received, verified_by, …).
RequestRecord request_record_from_json(const rapidjson::Value& request);

/// The decisions file a findings.json names in its metadata (path and sha256).
void decisions_source_from_json(const rapidjson::Value& metadata, AppliedDecisions& decisions);

/// Leaves out of a report read back every finding a person decided about: those the report
/// records, and those of the decisions file at `path` (none when empty), which win. A decided
/// finding reached through another record (why.via) stays as a review, so that the plan keeps
/// the record and clears its reference to a record it deletes; the plan lists it nowhere else.
/// Adds to `notes` what was decided, and to `warnings` (also notes) the stale decisions.
void leave_out_decided(SavedReport& report, const std::string& path,
                       std::vector<std::string>& notes, std::vector<std::string>& warnings);

}  // namespace crmscan

#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "crmscan/decisions.hpp"
#include "crmscan/plan.hpp"
#include "crmscan/report.hpp"
#include "crmscan/request_values.hpp"
#include "crmscan/subject.hpp"

namespace crmscan {

/// What became of one destructive finding of a report, or a destructive finding found anew.
struct VerifiedFinding {
  /// kDecided: a person decided about it (--decisions, or the report's own decisions): not
  /// checked, and not counted for the exit status.
  enum class Status { kGone, kStillPresent, kNew, kNotChecked, kDecided };
  Status status = Status::kGone;
  Finding finding;                   ///< as the report had it (kNew: as found now)
  std::optional<Decision> decision;  ///< kDecided: the decision
};

std::string_view to_string(VerifiedFinding::Status status);

/// Per request: how many of its destructive findings are gone, still present, new or unchecked.
struct VerifiedRequest {
  std::string request_id;
  std::size_t gone = 0;
  std::size_t still_present = 0;
  std::size_t found_new = 0;
  std::size_t not_checked = 0;
  std::size_t decided = 0;
};

/// The outcome of a verify scan against a report.
struct Verification {
  std::vector<VerifiedFinding> findings;  ///< the report's destructive findings, then new ones
  std::vector<VerifiedRequest> requests;
  /// The decisions applied: the report's, then the decisions file's; stale ones match no finding
  /// of the report nor of the verify scan.
  AppliedDecisions decisions;
  bool complete = false;  ///< the verify scan was complete and every finding could be checked
  /// 0: every destructive finding is gone and nothing new is destructive; 1: not so;
  /// 2: incomplete.
  int exit_code() const;
};

/// Compares a report's destructive findings (delete_record, erase_field, delete_content) with
/// a new scan of the same requests, by fingerprint: one found again, whatever its action now, is
/// still present; one not found again is gone; a destructive finding of the new scan that the
/// report did not have is new. Content findings are not checked by a CRM scan. A finding decided
/// by a person — in the report, or in `decisions` (a decisions file, which wins) — is neither:
/// it is listed as decided and does not count.
Verification compare_reports(const SavedReport& before, const Report& after,
                             const DecisionSet& decisions = {});

/// The requests to scan again: every identifier each request was scanned with, given or learned.
/// Throws DataError when
/// the values file does not belong to the report (its identifiers' keyed hashes are not the
/// report's).
std::vector<SubjectRequest> verify_requests(const SavedReport& report, const RequestValues& values);

/// verification.json: the report's sha256, when, the decisions applied, per request its record
/// and counts, and each finding's status (a decided one with its decision).
std::string verification_json(const SavedReport& report, const Verification& verification);

}  // namespace crmscan

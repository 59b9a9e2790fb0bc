// Review decisions: what a person decided about a finding, read from a decisions file and carried
// into the report, the plan and verify. And the record of a request (when it came, how the
// requester was identified, its ticket and deadline), which travels the same way.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan {

struct Report;

/// What the controller records about one request, as the subjects file gives it (all optional).
struct RequestRecord {
  std::string received;      ///< ISO 8601 date the request was received
  std::string verified_by;   ///< who checked the requester's identity
  std::string verification;  ///< how it was checked
  std::string ticket;        ///< the case or ticket that tracks it
  std::string deadline;      ///< ISO 8601 date the answer is due
  bool empty() const {
    return received.empty() && verified_by.empty() && verification.empty() && ticket.empty() &&
           deadline.empty();
  }
  /// The fields in order, as key and value ("received", …), the empty ones included.
  std::vector<std::pair<const char*, const std::string*>> fields() const {
    return {{"received", &received},
            {"verified_by", &verified_by},
            {"verification", &verification},
            {"ticket", &ticket},
            {"deadline", &deadline}};
  }
  std::vector<std::pair<const char*, std::string*>> fields() {
    return {{"received", &received},
            {"verified_by", &verified_by},
            {"verification", &verification},
            {"ticket", &ticket},
            {"deadline", &deadline}};
  }
};

/// True when the text is an ISO 8601 calendar date (YYYY-MM-DD) that exists.
bool is_iso_date(std::string_view text);

/// A person's decision about one finding.
struct Decision {
  enum class Kind { kNotSubject, kRetain, kErasedManually };
  std::string fingerprint;  ///< the finding's: 16 lower-case hex digits
  Kind kind = Kind::kNotSubject;
  std::string legal_basis;  ///< why the data is kept (required for retain)
  std::string by;
  std::string at;  ///< an ISO 8601 date or date and time
  std::string note;
  std::string source;  ///< where it was read ("decisions.csv:4"), for messages
};

/// not_subject, retain, erased_manually.
std::string_view to_string(Decision::Kind kind);
/// The kind a decision's name stands for, or nothing.
std::optional<Decision::Kind> parse_decision_kind(std::string_view text);

/// The decisions of one file, by fingerprint.
struct DecisionSet {
  std::string path;
  std::string sha256;  ///< of the file's bytes
  std::map<std::string, Decision> by_fingerprint;
};

/// Reads a decisions file: CSV (`fingerprint,decision,legal_basis,by,at,note`; a header row
/// names the columns, fingerprint and decision required) or YAML (a list of maps with those keys,
/// or a map whose `decisions` holds it). Throws MissingInputError for a file it cannot read and
/// DataError naming file, line (and column for YAML) and what is wrong: an unknown column or
/// key, a fingerprint that is not 16 hex digits or is listed twice, an unknown decision, a
/// retain without a legal basis, an `at` that is no ISO 8601 date or date and time.
DecisionSet load_decisions_file(const std::string& path);

/// The decisions a report carries or a command applies: by fingerprint, and where they came from.
struct AppliedDecisions {
  /// The decisions file's path and sha256 (empty: no file was given).
  std::string path;
  std::string sha256;
  /// The decisions that match a finding, by fingerprint.
  std::map<std::string, Decision> by_fingerprint;
  /// The decisions whose fingerprint matches no finding.
  std::vector<Decision> stale;

  /// The decision about a finding, or nullptr.
  const Decision* find(const std::string& fingerprint) const {
    const auto found = by_fingerprint.find(fingerprint);
    return found == by_fingerprint.end() ? nullptr : &found->second;
  }
  bool empty() const { return path.empty() && by_fingerprint.empty(); }
};

/// The decisions that apply to a list of findings (anything with a `fingerprint`): those already
/// recorded (a report read back), then the file's, which replace a recorded decision about the
/// same finding. A decision of the file whose fingerprint no finding has is stale.
template <typename Findings>
AppliedDecisions apply_decisions(const DecisionSet& file, const Findings& findings,
                                 AppliedDecisions recorded = {}) {
  AppliedDecisions applied = std::move(recorded);
  applied.stale.clear();
  if (!file.path.empty()) {
    applied.path = file.path;
    applied.sha256 = file.sha256;
  }
  std::set<std::string> matched;
  for (const auto& finding : findings) {
    if (file.by_fingerprint.count(finding.fingerprint) != 0) matched.insert(finding.fingerprint);
  }
  for (const auto& [fingerprint, decision] : file.by_fingerprint) {
    if (matched.count(fingerprint) != 0)
      applied.by_fingerprint[fingerprint] = decision;
    else
      applied.stale.push_back(decision);
  }
  return applied;
}

/// What a report or plan says of a stale decision (a note; also printed on stderr).
std::string stale_note(const Decision& decision);

/// What the summary and the plan say of the decisions applied ("decisions: FILE (sha256 …): N
/// finding(s) decided, M stale").
std::string decisions_note(const AppliedDecisions& decisions);

/// Applies a decisions file to a scan's report: the decisions that match its findings go into
/// report.decisions, and the report's notes say which file decided how many (and name each stale
/// decision). Returns the stale decisions, for the user's terminal.
std::vector<Decision> decide_findings(Report& report, const DecisionSet& file);

}  // namespace crmscan

#include "report_decisions.hpp"

#include <utility>

#include "crmscan/error.hpp"

namespace crmscan {
namespace {

std::string member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  const auto found = object.FindMember(key);
  return found != object.MemberEnd() && found->value.IsString()
             ? std::string(found->value.GetString(), found->value.GetStringLength())
             : std::string();
}

}  // namespace

std::optional<Decision> decision_from_json(const rapidjson::Value& finding,
                                           const std::string& fingerprint,
                                           const std::string& where) {
  const auto found = finding.FindMember("decision");
  if (found == finding.MemberEnd() || !found->value.IsObject()) return std::nullopt;
  const auto& object = found->value;
  const auto name = member(object, "decision");
  const auto kind = parse_decision_kind(name);
  if (!kind) throw DataError(where + ": unknown decision '" + name + "'");
  Decision decision;
  decision.fingerprint = fingerprint;
  decision.kind = *kind;
  decision.legal_basis = member(object, "legal_basis");
  decision.by = member(object, "by");
  decision.at = member(object, "at");
  decision.note = member(object, "note");
  decision.source = where;
  return decision;
}

RequestRecord request_record_from_json(const rapidjson::Value& request) {
  RequestRecord record;
  for (auto& [key, value] : record.fields()) *value = member(request, key);
  return record;
}

void decisions_source_from_json(const rapidjson::Value& metadata, AppliedDecisions& decisions) {
  const auto found = metadata.FindMember("decisions");
  if (found == metadata.MemberEnd() || !found->value.IsObject()) return;
  decisions.path = member(found->value, "file");
  decisions.sha256 = member(found->value, "sha256");
}

void leave_out_decided(SavedReport& report, const std::string& path,
                       std::vector<std::string>& notes, std::vector<std::string>& warnings) {
  const auto file = path.empty() ? DecisionSet{} : load_decisions_file(path);
  report.decisions = apply_decisions(file, report.findings, std::move(report.decisions));
  for (const auto& stale : report.decisions.stale) warnings.push_back(stale_note(stale));
  if (report.decisions.by_fingerprint.empty()) {
    notes.insert(notes.end(), warnings.begin(), warnings.end());
    return;
  }
  // A decided record that the scan reached through another record stays in the list as a kept
  // record (a review, which the plan lists nowhere once decided): the plan still clears its
  // reference to a record it deletes (a Case's ContactId), or the CRM would refuse that delete.
  // One erased by hand is gone already.
  std::vector<Finding> kept;
  for (auto& finding : report.findings) {
    const auto* decision = report.decisions.find(finding.fingerprint);
    if (decision == nullptr) {
      kept.push_back(std::move(finding));
    } else if (!finding.via_object.empty() && decision->kind != Decision::Kind::kErasedManually) {
      finding.action = Action::kReview;
      kept.push_back(std::move(finding));
    }
  }
  report.findings = std::move(kept);
  notes.push_back(decisions_note(report.decisions) + ", left out of every step and of review.csv");
  notes.insert(notes.end(), warnings.begin(), warnings.end());
}

}  // namespace crmscan

#include "crmscan/verify.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <map>
#include <set>

#include "crmscan/error.hpp"
#include "report/json_support.hpp"

namespace crmscan {
namespace {

bool destructive(Action action) {
  return action != Action::kReview;
}

}  // namespace

std::string_view to_string(VerifiedFinding::Status status) {
  switch (status) {
    case VerifiedFinding::Status::kGone:
      return "gone";
    case VerifiedFinding::Status::kStillPresent:
      return "still present";
    case VerifiedFinding::Status::kNew:
      return "new";
    case VerifiedFinding::Status::kNotChecked:
      return "not checked";
    case VerifiedFinding::Status::kDecided:
      return "decided";
  }
  return "";
}

int Verification::exit_code() const {
  if (!complete) return static_cast<int>(ExitCode::kIncomplete);
  for (const auto& finding : findings) {
    if (finding.status == VerifiedFinding::Status::kStillPresent ||
        finding.status == VerifiedFinding::Status::kNew)
      return static_cast<int>(ExitCode::kFindings);
  }
  return 0;
}

namespace {

// The decisions that apply: the report's and the file's; a decision of the file that matches no
// finding of the report may match one that the verify scan found anew.
AppliedDecisions verify_decisions(const SavedReport& before, const Report& after,
                                  const DecisionSet& file) {
  auto decisions = apply_decisions(file, before.findings, before.decisions);
  std::set<std::string> stale;
  for (const auto& decision : decisions.stale) stale.insert(decision.fingerprint);
  for (const auto& finding : after.findings) {
    if (stale.erase(finding.fingerprint) != 0)
      decisions.by_fingerprint[finding.fingerprint] = file.by_fingerprint.at(finding.fingerprint);
  }
  decisions.stale.erase(std::remove_if(decisions.stale.begin(), decisions.stale.end(),
                                       [&stale](const Decision& decision) {
                                         return stale.count(decision.fingerprint) == 0;
                                       }),
                        decisions.stale.end());
  return decisions;
}

}  // namespace

Verification compare_reports(const SavedReport& before, const Report& after,
                             const DecisionSet& decisions) {
  Verification verification;
  verification.complete = after.complete();
  verification.decisions = verify_decisions(before, after, decisions);
  std::map<std::string, VerifiedRequest> requests;
  for (const auto& id : before.request_ids) requests[id].request_id = id;
  const auto count_for = [&requests](const Finding& finding) -> VerifiedRequest& {
    auto& counts = requests[finding.request_id];
    counts.request_id = finding.request_id;
    return counts;
  };
  // A decided finding is listed as such, and neither checked nor counted.
  const auto decided = [&](const Finding& finding) {
    const auto* decision = verification.decisions.find(finding.fingerprint);
    if (decision == nullptr) return false;
    ++count_for(finding).decided;
    verification.findings.push_back({VerifiedFinding::Status::kDecided, finding, *decision});
    return true;
  };
  std::set<std::string> now;
  for (const auto& finding : after.findings) now.insert(finding.fingerprint);
  std::set<std::string> then;
  for (const auto& finding : before.findings) {
    then.insert(finding.fingerprint);
    if (!destructive(finding.action) || decided(finding)) continue;
    auto& counts = count_for(finding);
    VerifiedFinding verified{VerifiedFinding::Status::kGone, finding, std::nullopt};
    if (finding.action == Action::kDeleteContent && finding.connector == "vcc_content") {
      verified.status = VerifiedFinding::Status::kNotChecked;
      ++counts.not_checked;
      verification.complete = false;
    } else if (now.count(finding.fingerprint) != 0) {
      verified.status = VerifiedFinding::Status::kStillPresent;
      ++counts.still_present;
    } else {
      ++counts.gone;
    }
    verification.findings.push_back(std::move(verified));
  }
  for (const auto& finding : after.findings) {
    if (!destructive(finding.action) || then.count(finding.fingerprint) != 0 || decided(finding))
      continue;
    ++count_for(finding).found_new;
    verification.findings.push_back({VerifiedFinding::Status::kNew, finding, std::nullopt});
  }
  for (auto& [id, counts] : requests) verification.requests.push_back(std::move(counts));
  return verification;
}

std::vector<SubjectRequest> verify_requests(const SavedReport& report,
                                            const RequestValues& values) {
  std::vector<SubjectRequest> requests;
  auto hash = values.hasher();
  for (const auto& identifiers : values.requests) {
    const auto hashes = report.identifier_hashes.find(identifiers.request_id);
    if (hashes == report.identifier_hashes.end())
      throw DataError("the values file has request " + identifiers.request_id +
                      ", which the report does not: it belongs to another report");
    const std::set<std::string> known(hashes->second.begin(), hashes->second.end());
    for (const auto& [kind, value] : RequestValues::identifiers(identifiers)) {
      if (known.count(hash(kind, value)) == 0)
        throw DataError("the values file does not belong to the report: request " +
                        identifiers.request_id + " has an identifier the report does not list");
    }
    if (known.size() != RequestValues::identifiers(identifiers).size())
      throw DataError("the values file does not belong to the report: request " +
                      identifiers.request_id + " lists other identifiers in the report");
    SubjectRequest request;
    request.request_id = identifiers.request_id;
    request.emails = identifiers.emails;
    request.emails.insert(request.emails.end(), identifiers.learned_emails.begin(),
                          identifiers.learned_emails.end());
    request.phones = identifiers.phones;
    request.phones.insert(request.phones.end(), identifiers.learned_phones.begin(),
                          identifiers.learned_phones.end());
    // A number in no allocated range found records only for review then; it must find them now
    // too, or a call Task that holds only it would pass for gone.
    request.phones.insert(request.phones.end(), identifiers.learned_review_phones.begin(),
                          identifiers.learned_review_phones.end());
    request.names = identifiers.names;
    request.ids = identifiers.ids;
    request.source = "the report's values file";
    requests.push_back(std::move(request));
  }
  return requests;
}

namespace {

using VerificationWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// Per request: its record (when the subjects file gave one) and its counts.
void write_requests(VerificationWriter& w, const SavedReport& report,
                    const Verification& verification) {
  w.Key("requests");
  w.StartArray();
  for (const auto& request : verification.requests) {
    w.StartObject();
    json_report::write_string(w, "request_id", request.request_id);
    if (const auto record = report.request_records.find(request.request_id);
        record != report.request_records.end()) {
      json_report::write_request_record(w, record->second);
    }
    for (const auto& [key, count] : {std::pair{"gone", request.gone},
                                     {"still_present", request.still_present},
                                     {"new", request.found_new},
                                     {"not_checked", request.not_checked},
                                     {"decided", request.decided}}) {
      w.Key(key);
      w.Uint64(count);
    }
    w.EndObject();
  }
  w.EndArray();
}

void write_finding(VerificationWriter& w, const VerifiedFinding& verified) {
  const auto& f = verified.finding;
  w.StartObject();
  json_report::write_string(w, "status", std::string(to_string(verified.status)));
  json_report::write_string(w, "fingerprint", f.fingerprint);
  json_report::write_string(w, "request_id", f.request_id);
  json_report::write_string(w, "object", f.object);
  json_report::write_string(w, "record_id", f.record_id);
  json_report::write_string(w, "field", f.field);
  json_report::write_string(w, "action", std::string(to_string(f.action)));
  if (verified.decision) json_report::write_decision(w, *verified.decision);
  w.EndObject();
}

}  // namespace

std::string verification_json(const SavedReport& report, const Verification& verification) {
  rapidjson::StringBuffer buffer;
  VerificationWriter w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  json_report::write_string(w, "verification", "crmscan verify");
  w.Key("version");
  w.Uint(1);
  json_report::write_string(w, "report", report.path);
  json_report::write_string(w, "report_sha256", report.sha256);
  json_report::write_string(w, "verified", utc_now());
  if (!verification.decisions.empty() || !verification.decisions.stale.empty())
    json_report::write_decisions(w, verification.decisions);
  w.Key("complete");
  w.Bool(verification.complete);
  w.Key("exit_code");
  w.Int(verification.exit_code());
  write_requests(w, report, verification);
  w.Key("findings");
  w.StartArray();
  for (const auto& verified : verification.findings) write_finding(w, verified);
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace crmscan

// A findings.json read back, for `crmscan plan` and `crmscan verify`.
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "crmscan/error.hpp"
#include "crmscan/json_members.hpp"
#include "crmscan/plan.hpp"
#include "crmscan/text.hpp"
#include "report_decisions.hpp"

namespace fs = std::filesystem;

namespace crmscan {
namespace {

Action parse_action(const std::string& text, const std::string& where) {
  for (const auto action :
       {Action::kDeleteRecord, Action::kEraseField, Action::kDeleteContent, Action::kReview}) {
    if (to_string(action) == text) return action;
  }
  throw DataError(where + ": unknown action '" + text + "'");
}

void read_metadata(const rapidjson::Value& metadata, SavedReport& report) {
  report.connector = member_string(metadata, "connector");
  report.crm = member_string(metadata, "crm");
  report.source = member_string(metadata, "source");
  if (const auto* packs = member_of_type(metadata, "rule_packs", true)) {
    for (const auto& pack : packs->GetArray()) {
      report.packs.push_back({member_string(pack, "id"), member_string(pack, "version"),
                              member_string(pack, "path"), member_string(pack, "sha256")});
    }
  }
  report.request_ids = member_strings(metadata, "requests");
  decisions_source_from_json(metadata, report.decisions);
}

// The keyed hashes of the identifiers each request was scanned with.
void read_identifier_hashes(const rapidjson::Value& document, SavedReport& report) {
  const auto* requests = member_of_type(document, "requests", true);
  if (requests == nullptr) return;
  for (const auto& request : requests->GetArray()) {
    if (auto record = request_record_from_json(request); !record.empty())
      report.request_records[member_string(request, "request_id")] = std::move(record);
    auto& hashes = report.identifier_hashes[member_string(request, "request_id")];
    const auto* identifiers = member_of_type(request, "identifiers", true);
    if (identifiers == nullptr) continue;
    for (const auto& identifier : identifiers->GetArray())
      hashes.push_back(member_string(identifier, "hash"));
  }
}

Finding read_finding(const rapidjson::Value& item, const std::string& where) {
  if (!item.IsObject()) throw DataError(where + " is not an object");
  Finding f;
  f.fingerprint = member_string(item, "fingerprint");
  f.request_id = member_string(item, "request_id");
  f.connector = member_string(item, "connector");
  f.object = member_string(item, "object");
  f.record_id = member_string(item, "record_id");
  f.field = member_string(item, "field");
  f.category = member_string(item, "category");
  f.action = parse_action(member_string(item, "action"), where);
  if (const auto* why = member_of_type(item, "why", false)) {
    f.reason = member_string(*why, "reason");
    f.rule = member_string(*why, "rule");
    f.detail = member_string(*why, "detail");
    if (const auto* via = member_of_type(*why, "via", false)) {
      f.via_object = member_string(*via, "object");
      f.via_record_id = member_string(*via, "record_id");
    }
  }
  f.confidence = member_string(item, "confidence");
  f.archived = member_bool(item, "archived");
  f.deleted = member_bool(item, "deleted");
  f.location = member_string(item, "location");
  f.preview = member_string(item, "preview");
  if (f.object.empty()) throw DataError(where + " has no object");
  return f;
}

}  // namespace

SavedReport read_report(const std::string& path) {
  auto file = fs::path(path);
  if (fs::is_directory(file)) file /= "findings.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw MissingInputError(file.string() + ": no such report (findings.json)");
  std::stringstream content;
  content << in.rdbuf();
  const auto bytes = content.str();
  rapidjson::Document document;
  document.Parse(bytes.c_str(), bytes.size());
  const auto& parsed = std::as_const(document);
  const auto* metadata =
      parsed.HasParseError() ? nullptr : member_of_type(parsed, "metadata", false);
  const auto* findings = metadata == nullptr ? nullptr : member_of_type(parsed, "findings", true);
  if (findings == nullptr) throw DataError(file.string() + ": not a crmscan JSON report");
  SavedReport report;
  report.path = file.string();
  report.sha256 = sha256_hex(bytes);
  report.complete = member_bool(parsed, "complete");
  read_metadata(*metadata, report);
  read_identifier_hashes(parsed, report);
  std::size_t index = 0;
  for (const auto& item : findings->GetArray()) {
    const auto where = file.string() + ": finding " + std::to_string(++index);
    auto finding = read_finding(item, where);
    if (auto decision = decision_from_json(item, finding.fingerprint, where))
      report.decisions.by_fingerprint[finding.fingerprint] = std::move(*decision);
    report.findings.push_back(std::move(finding));
  }
  return report;
}

}  // namespace crmscan

#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "crmscan/report.hpp"

namespace crmscan {

/// A findings.json read back.
struct SavedReport {
  std::string path;
  std::string sha256;  ///< of the file's bytes
  std::string connector;
  std::string crm;
  std::string source;
  bool complete = false;
  std::vector<PackInfo> packs;
  std::vector<std::string> request_ids;
  /// Per request, what the controller recorded about it (the report's `requests`).
  std::map<std::string, RequestRecord> request_records;
  /// The decisions the report recorded on its findings (a finding's `decision`).
  AppliedDecisions decisions;
  /// The keyed hashes of each request's identifiers (RequestValues::Hasher).
  std::map<std::string, std::vector<std::string>> identifier_hashes;
  std::vector<Finding> findings;  ///< why.via included
};

/// Reads a findings.json, or the findings.json in a folder. Throws MissingInputError or
/// DataError naming the file.
SavedReport read_report(const std::string& path);

struct PlanOptions {
  std::string report;  ///< findings.json or its folder
  std::string out;     ///< the plan's folder
  /// Erase a free-text field whole instead of replacing the request's identifiers in it.
  bool blank_text = false;
  /// Rule packs (default: those the report names).
  std::vector<std::string> rules;
  /// The private values file (default: values.json beside the report).
  std::string values;
  /// A decisions file (--decisions): its decided findings, like those the report records, are
  /// left out of every step and of review.csv.
  std::string decisions;
};

/// One step of an erasure plan: one operation on one object, with the file the CRM's tool loads.
struct PlanStep {
  std::size_t step = 0;
  std::string crm;
  std::string object;
  std::string operation;  ///< delete, update, hard_delete, delete_content
  std::string file;
  std::size_t records = 0;
  std::string sha256;
  /// For a step whose file is the body of an API request (Dynamics 365, HubSpot): the request
  /// that sends it. Empty for a file a tool loads (Salesforce's CSV).
  std::string method;
  std::string path;
  std::string content_type;  ///< with the multipart boundary of a Dataverse $batch
};

/// What `crmscan plan` wrote.
struct PlanResult {
  std::vector<PlanStep> steps;
  std::size_t review = 0;  ///< rows of review.csv
  std::vector<std::string> notes;
  /// What the user must see on stderr too (stale decisions); also among the notes.
  std::vector<std::string> warnings;
  bool complete = false;  ///< the report's scan was complete
};

/// Turns a report into an erasure plan in `options.out` (made 0700 if missing): `plan.json`,
/// one file per step (mode 0600) and `review.csv`. Steps run in order: content deletions, then
/// updates (erased fields, and references of kept records to deleted ones cleared), then deletes
/// with every record that references another planned record before it (the order of the
/// references the scan followed and of the rule packs), each object's Recycle Bin rows hard
/// deleted right after its live ones. The files are what the report's CRM takes: CSV for
/// Salesforce's Data Loader and sf CLI (and any CSV-loaded CRM), Web API $batch bodies for
/// Dynamics 365, batch archive and update inputs for HubSpot, split where a batch ends. Nothing
/// is executed.
PlanResult write_plan(const PlanOptions& options);

}  // namespace crmscan

// The erasure a report asks for, before it is written in any CRM's format: which records are
// deleted and which fields set, in which order, what is left to a person, and the formats that
// write it as the files a CRM's own tools take.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/decisions.hpp"
#include "crmscan/plan.hpp"
#include "crmscan/report.hpp"
#include "crmscan/rules.hpp"

namespace crmscan::plan {

/// A field's new value: the text to write, or none to blank the field.
using FieldValue = std::optional<std::string>;

/// One record of the plan, with everything its findings ask for.
struct PlannedRecord {
  std::string object;
  std::string id;
  bool remove = false;
  bool recycle_bin = false;  ///< already deleted: only a hard delete is left
  std::map<std::string, FieldValue> updates;
  std::set<std::string> requests;
};

using RecordKey = std::pair<std::string, std::string>;  // object, record_id_key

/// One operation (update, delete, hard_delete) on records of one object.
struct StepGroup {
  std::string object;
  std::string operation;
  std::vector<const PlannedRecord*> records;
};

/// A finding for a person (review.csv), with what the plan does about its record.
struct ReviewRow {
  const Finding* finding = nullptr;
  std::string note;
};

/// What a report asks to erase, in the order the CRM takes it.
struct Erasure {
  const AppliedDecisions* decided = nullptr;  ///< the report's: decided findings are in no list
  std::map<RecordKey, PlannedRecord> records;
  std::vector<ReviewRow> review;
  std::vector<const Finding*> content;  ///< Interaction Content items to delete
  std::vector<StepGroup> groups;        ///< updates, then deletes with children first
  std::vector<std::string> notes;
};

/// A file of one step: what one request of a CRM's API, or one load of its tool, takes.
struct StepFile {
  std::string operation;
  std::string extension;
  std::string content;
  std::size_t records = 0;
  /// For a request body: the request that sends it (empty for a file a tool loads).
  std::string method;
  std::string path;
  std::string content_type;
};

/// How a CRM takes an erasure: which of its records and fields it can delete and set, and the
/// files that do it.
class StepFormat {
 public:
  virtual ~StepFormat() = default;
  /// Why the CRM takes no delete of `object`'s records on their own (they go with the record
  /// they belong to), or empty.
  virtual std::string deleted_with_parent(const std::string& object) const;
  /// Why `id` cannot be a record id of the CRM (so no request is written for it), or empty.
  virtual std::string bad_id(const std::string& id) const;
  /// Why `object`'s `field` cannot be set through the CRM's update, or empty.
  virtual std::string cannot_set(const std::string& object, const std::string& field) const;
  /// Whether the CRM refuses to delete a record while a kept record points to it through
  /// `field` (the reference is then cleared in an update before the deletes).
  virtual bool reference_blocks_delete(const std::string& field) const;
  /// The files of one step group, split where the CRM's batches end.
  virtual std::vector<StepFile> files(const StepGroup& group,
                                      const std::string& id_field) const = 0;
};

/// Salesforce's, and any CRM's whose tools load CSV: Data Loader and the sf CLI's files.
std::unique_ptr<StepFormat> csv_step_format();
/// Dynamics 365's: Web API $batch request bodies (the packs say which lookups it can clear).
std::unique_ptr<StepFormat> dataverse_step_format(const RuleSet& rules);
/// HubSpot's: the CRM objects API's batch archive and update inputs.
std::unique_ptr<StepFormat> hubspot_step_format();

/// The Interaction Content deletions: one file, the interactions in batches of at most 1000.
StepFile content_step_file(const std::vector<const Finding*>& items);

/// What `crmscan plan` was given beside the report.
struct ErasureInputs {
  const RuleSet* rules = nullptr;
  const StepFormat* format = nullptr;
  /// The erased texts by fingerprint (the private values file).
  std::map<std::string, std::string> erased_texts;
  bool blank_text = false;
  std::string values_path;  ///< named in a note when texts are missing
};

/// The erasure of a report's findings, ordered children first from the references the scan
/// followed and the packs declare.
Erasure plan_erasure(const SavedReport& report, const ErasureInputs& inputs);

}  // namespace crmscan::plan

#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/progress.hpp"
#include "crmscan/report.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/stage.hpp"
#include "crmscan/subject.hpp"

namespace crmscan {

struct ScanOptions {
  bool show_values = false;
  /// Passes over the data before the traversal must have settled (each pass is a hop or more).
  std::size_t max_passes = 8;
  /// Read every record even where the connector can look records up (an inventory of the CRM).
  bool full_read = false;
  /// The stages that run after the scan, in order (not owned): each sees every record found for
  /// a request, then adds to the report.
  std::vector<Stage*> stages;
  /// Memory for findings, in bytes: past it they go to private temporary files (mode 0600, gone
  /// when the scan and its report are) and are merged at the end, in the same order.
  std::size_t findings_memory = FindingList::kDefaultBudget;
  /// Where those files go (empty: $TMPDIR, else the system's temporary folder).
  std::string spill_folder;
  /// Told what the scan does as it goes (not owned; null: nobody watches).
  ScanProgress* progress = nullptr;
  /// Threads of a full read: this one reads and decides, in the order read; `jobs - 1` more
  /// search the records for identifiers meanwhile. The report is the same for any number.
  std::size_t jobs = 1;
  /// The number was not told (default_jobs()): the other threads are handed records only while
  /// handing data from one core to another is quick, measured again every half second of reading.
  /// On a shared virtual machine whose cores sit far apart at times, a second thread then costs
  /// more than it saves.
  bool adapt_jobs = false;
};

/// The threads a full read uses when not told (`--jobs`): the processor's cores, up to 4 (the
/// reading thread is the limit past that).
std::size_t default_jobs();

/// Runs a subject scan: finds each subject's root records by identity, follows the declared
/// relationships (and undeclared references to reached records) over as many hops as the data
/// has, applies field and text rules, and matches every subject in the same pass over each
/// object. A connector with lookups (an API) is asked only for what can match: the subjects'
/// identifiers by search, then the records that point to what was reached, hop by hop. Errors
/// from the connector end up in the report, which is then not complete.
Report run_scan(Connector& connector, const RuleSet& rules, const SubjectSet& subjects,
                const ScanOptions& options);

}  // namespace crmscan

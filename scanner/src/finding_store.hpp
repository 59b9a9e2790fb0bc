#pragma once

// The findings of a scan while it runs: one per (request, object, record, field), in that order,
// kept in memory up to a budget and past it in sorted runs in private temporary files, merged in
// order at the end. Internal to the scanner library: the engine adds, the report's FindingList
// receives.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "crmscan/report.hpp"
#include "crmscan/subject.hpp"

namespace crmscan {

namespace spill {
class TempFile;
}

/// How strong an action is: of two findings for the same place, the stronger is kept.
int action_rank(Action action);

class FindingStore {
 public:
  /// Past `memory_budget` bytes the findings held are written to a run in `spill_folder` (the
  /// system's temporary folder when empty).
  FindingStore(std::size_t memory_budget, std::string spill_folder);
  ~FindingStore();
  FindingStore(const FindingStore&) = delete;
  FindingStore& operator=(const FindingStore&) = delete;

  /// Keeps `finding` for (subject, its object, record_key, its field) unless a finding as strong
  /// or stronger is held there already.
  void add(SubjectIndex subject, const std::string& record_key, Finding finding);
  /// Places given a finding so far (one spilled and given another later counts twice), for the
  /// progress line.
  std::size_t added() const { return added_; }

  /// Passes every place once, in order, with its strongest finding (the earliest of equals), and
  /// empties the store.
  void drain(const std::function<void(SubjectIndex subject, const std::string& record_key,
                                      Finding& finding)>& emit);

 private:
  // One finding with the rest of its key, as the merge passes it on.
  struct Keyed {
    SubjectIndex subject = 0;
    std::string key;
    Finding finding;
  };
  struct MergeSource;
  using FindingMap =
      std::map<std::tuple<SubjectIndex, std::string, std::string, std::string>, Finding>;
  struct Run {
    std::shared_ptr<spill::TempFile> file;
    std::size_t level = 0;  // merged from kMergeWidth runs of the level below
  };
  static constexpr std::size_t kMergeWidth = 16;

  void spill();
  void merge(std::size_t first_run, bool with_memory, const std::function<void(Keyed&)>& emit);

  std::size_t budget_;
  std::string folder_;
  FindingMap memory_;
  std::size_t memory_bytes_ = 0;
  std::vector<Run> runs_;
  std::size_t added_ = 0;
};

}  // namespace crmscan

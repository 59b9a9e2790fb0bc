#include "finding_store.hpp"

#include <algorithm>
#include <optional>

#include "spill_file.hpp"

namespace crmscan {
namespace {

// About what a map node takes besides the finding (spill::memory_size) and its key's strings.
constexpr std::size_t kNodeBytes =
    sizeof(std::tuple<SubjectIndex, std::string, std::string, std::string>) + 4 * sizeof(void*);

std::size_t heap_bytes(const std::string& text) {
  return text.size() > 15 ? text.size() + 1 : 0;
}

}  // namespace

int action_rank(Action action) {
  switch (action) {
    case Action::kDeleteRecord:
      return 4;
    case Action::kDeleteContent:
      return 3;
    case Action::kEraseField:
      return 2;
    case Action::kReview:
      return 1;
  }
  return 0;
}

// A sorted source of findings for the merge: a run in its temporary file, or what is still in
// memory (the newest).
struct FindingStore::MergeSource {
  std::optional<spill::Reader> run;
  FindingMap* memory = nullptr;
  Keyed current;

  bool next() {
    if (run) {
      if (run->at_end()) return false;
      current.subject = run->u32();
      run->string(current.key);
      run->finding(current.finding);
      return true;
    }
    if (memory->empty()) return false;
    auto node = memory->extract(memory->begin());
    current.subject = std::get<0>(node.key());
    current.key = std::move(std::get<2>(node.key()));
    current.finding = std::move(node.mapped());
    return true;
  }
};

FindingStore::FindingStore(std::size_t memory_budget, std::string spill_folder)
    : budget_(memory_budget), folder_(std::move(spill_folder)) {}

FindingStore::~FindingStore() = default;

void FindingStore::add(SubjectIndex subject, const std::string& record_key, Finding finding) {
  const auto [slot, added] =
      memory_.try_emplace({subject, finding.object, record_key, finding.field}, Finding{});
  if (added) {
    ++added_;
    memory_bytes_ += kNodeBytes + spill::memory_size(finding) + heap_bytes(record_key) +
                     heap_bytes(finding.object) + heap_bytes(finding.field);
  } else if (action_rank(finding.action) > action_rank(slot->second.action)) {
    memory_bytes_ = memory_bytes_ + spill::memory_size(finding) - spill::memory_size(slot->second);
  } else {
    return;
  }
  slot->second = std::move(finding);
  if (memory_bytes_ > budget_) spill();
}

// Writes the findings held in memory, in their order, as a run in a temporary file of its own.
// Runs of a size merge into one of the next as soon as there are kMergeWidth of them, so that
// however many findings a scan has, few runs are open at the end (and each finding is written
// again only once per size).
void FindingStore::spill() {
  if (memory_.empty()) return;
  Run run{std::make_shared<spill::TempFile>(folder_), 0};
  spill::Writer writer(*run.file);
  for (const auto& [where, finding] : memory_) {
    writer.u32(std::get<0>(where));
    writer.string(std::get<2>(where));
    writer.finding(finding);
  }
  run.file->flush();
  runs_.push_back(std::move(run));
  memory_.clear();
  memory_bytes_ = 0;
  for (;;) {
    const auto level = runs_.back().level;
    const auto same =
        std::count_if(runs_.begin(), runs_.end(), [&](const Run& r) { return r.level == level; });
    if (same < static_cast<std::ptrdiff_t>(kMergeWidth)) break;
    // Levels only go down along runs_: the runs of this level are the last ones.
    const auto first = runs_.size() - kMergeWidth;
    Run merged{std::make_shared<spill::TempFile>(folder_), level + 1};
    spill::Writer out(*merged.file);
    merge(first, false, [&](Keyed& entry) {
      out.u32(entry.subject);
      out.string(entry.key);
      out.finding(entry.finding);
    });
    merged.file->flush();
    runs_.resize(first);
    runs_.push_back(std::move(merged));
  }
}

// Merges the runs from `first_run` on (and what is in memory, the newest, when `with_memory`) in
// the order of their keys, and passes each key once to `emit` with the strongest action found for
// it, the earliest of equals.
void FindingStore::merge(std::size_t first_run, bool with_memory,
                         const std::function<void(Keyed&)>& emit) {
  std::vector<MergeSource> sources(runs_.size() - first_run + (with_memory ? 1 : 0));
  for (std::size_t i = first_run; i < runs_.size(); ++i)
    sources[i - first_run].run.emplace(*runs_[i].file, 0, runs_[i].file->size());
  if (with_memory) sources.back().memory = &memory_;
  const auto order = [](const Keyed& a, const Keyed& b) {
    return std::tie(a.subject, a.finding.object, a.key, a.finding.field) <
           std::tie(b.subject, b.finding.object, b.key, b.finding.field);
  };
  // A min-heap of sources, the earliest on equal keys.
  const auto later = [&](std::size_t a, std::size_t b) {
    if (order(sources[b].current, sources[a].current)) return true;
    if (order(sources[a].current, sources[b].current)) return false;
    return a > b;
  };
  std::vector<std::size_t> heap;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].next()) heap.push_back(i);
  }
  std::make_heap(heap.begin(), heap.end(), later);
  const auto pop = [&]() {
    std::pop_heap(heap.begin(), heap.end(), later);
    const auto source = heap.back();
    heap.pop_back();
    return source;
  };
  const auto advance = [&](std::size_t source) {
    if (!sources[source].next()) return;
    heap.push_back(source);
    std::push_heap(heap.begin(), heap.end(), later);
  };
  Keyed best;
  while (!heap.empty()) {
    const auto top = pop();
    best = std::move(sources[top].current);
    advance(top);
    while (!heap.empty() && !order(best, sources[heap.front()].current)) {
      const auto same = pop();
      if (action_rank(sources[same].current.finding.action) > action_rank(best.finding.action))
        best = std::move(sources[same].current);
      advance(same);
    }
    emit(best);
  }
}

void FindingStore::drain(
    const std::function<void(SubjectIndex, const std::string&, Finding&)>& emit) {
  merge(0, true, [&](Keyed& best) { emit(best.subject, best.key, best.finding); });
  runs_.clear();
  memory_bytes_ = 0;
}

}  // namespace crmscan

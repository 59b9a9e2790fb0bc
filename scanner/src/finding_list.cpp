#include <optional>

#include "crmscan/report.hpp"
#include "spill_file.hpp"

namespace crmscan {

/// Findings written out: a range of a temporary file, which later segments may share.
struct FindingList::Segment {
  std::shared_ptr<spill::TempFile> file;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::size_t count = 0;
};

struct FindingList::const_iterator::Cursor {
  std::size_t segment = 0;
  std::optional<spill::Reader> reader;
  std::size_t read = 0;  // findings read so far; `current` is the last one
  Finding current;

  void load(const FindingList& list, std::size_t position) {
    if (read == position + 1) return;
    if (read > position + 1) {  // an older copy of the iterator: read again from the start
      segment = 0;
      reader.reset();
      read = 0;
    }
    while (read <= position) {
      while (!reader || reader->at_end()) {
        if (reader) ++segment;
        const auto& at = *list.segments_.at(segment);
        reader.emplace(*at.file, at.begin, at.end);
      }
      reader->finding(current);
      ++read;
    }
  }
};

FindingList::FindingList(std::initializer_list<Finding> findings) {
  for (const auto& finding : findings) push_back(finding);
}

void FindingList::push_back(Finding finding) {
  memory_bytes_ += spill::memory_size(finding);
  memory_.push_back(std::move(finding));
  if (memory_bytes_ > budget_) spill();
}

void FindingList::clear() {
  segments_.clear();
  spilled_ = 0;
  memory_.clear();
  memory_bytes_ = 0;
}

void FindingList::set_budget(std::size_t bytes, std::string folder) {
  budget_ = bytes;
  folder_ = std::move(folder);
  if (memory_bytes_ > budget_) spill();
}

void FindingList::spill() {
  if (memory_.empty()) return;
  auto segment = std::make_shared<Segment>();
  segment->file =
      segments_.empty() ? std::make_shared<spill::TempFile>(folder_) : segments_.back()->file;
  segment->begin = segment->file->size();
  spill::Writer writer(*segment->file);
  for (const auto& finding : memory_) writer.finding(finding);
  segment->file->flush();
  segment->end = segment->file->size();
  segment->count = memory_.size();
  spilled_ += memory_.size();
  segments_.push_back(std::move(segment));
  memory_.clear();
  memory_bytes_ = 0;
}

FindingList::const_iterator FindingList::begin() const {
  return const_iterator(this, 0);
}

FindingList::const_iterator FindingList::end() const {
  const_iterator end;
  end.list_ = this;
  end.position_ = size();
  return end;
}

FindingList::const_iterator::const_iterator(const FindingList* list, std::size_t position)
    : list_(list), position_(position) {
  if (list->spilled_ != 0) cursor_ = std::make_shared<Cursor>();
}

FindingList::const_iterator::reference FindingList::const_iterator::operator*() const {
  if (position_ >= list_->spilled_) return list_->memory_[position_ - list_->spilled_];
  cursor_->load(*list_, position_);
  return cursor_->current;
}

FindingList::const_iterator& FindingList::const_iterator::operator++() {
  ++position_;
  return *this;
}

}  // namespace crmscan

// The erasure a report asks for: records to delete and fields to set, one record in one step,
// ordered so that no delete is refused for a reference.
#include "erasure.hpp"

#include <algorithm>
#include <optional>

#include "crmscan/normalize.hpp"

namespace crmscan::plan {
namespace {

// Object order: `before_[a]` holds the objects whose records must be deleted after a's.
class ObjectOrder {
 public:
  void add_node(const std::string& object) { before_[object]; }
  // A reference that the CRM may refuse a delete for: always kept.
  void add_strong(const std::string& child, const std::string& parent) {
    if (child == parent || !before_.count(child) || !before_.count(parent)) return;
    before_[child].insert(parent);
  }
  // A forward link (Lead → converted Contact): kept unless it would close a cycle.
  void add_weak(const std::string& from, const std::string& to) {
    if (from == to || !before_.count(from) || !before_.count(to) || reaches(to, from)) return;
    before_[from].insert(to);
  }
  // Children first; ties by name. Objects on a cycle of references come in name order, noted.
  std::vector<std::string> sorted(std::vector<std::string>& notes) const {
    std::map<std::string, std::size_t> incoming;
    for (const auto& [object, afters] : before_) {
      incoming[object];
      for (const auto& after : afters) ++incoming[after];
    }
    std::vector<std::string> order;
    std::set<std::string> done;
    while (order.size() < before_.size()) {
      auto next = first_undone(incoming, done, true);
      if (next.empty()) {
        next = first_undone(incoming, done, false);
        notes.push_back(next +
                        " is on a cycle of references among the objects to delete: its "
                        "step may be refused until the others' run (run it again then)");
      }
      done.insert(next);
      order.push_back(next);
      for (const auto& after : before_.at(next)) {
        if (incoming[after] > 0) --incoming[after];
      }
    }
    return order;
  }

 private:
  static std::string first_undone(const std::map<std::string, std::size_t>& incoming,
                                  const std::set<std::string>& done, bool free_only) {
    for (const auto& [object, count] : incoming) {
      if ((count == 0 || !free_only) && !done.count(object)) return object;
    }
    return {};
  }
  bool reaches(const std::string& from, const std::string& to) const {
    std::set<std::string> seen;
    std::vector<std::string> stack{from};
    while (!stack.empty()) {
      const auto at = stack.back();
      stack.pop_back();
      if (at == to) return true;
      if (!seen.insert(at).second) continue;
      for (const auto& next : before_.at(at)) stack.push_back(next);
    }
    return false;
  }
  std::map<std::string, std::set<std::string>> before_;
};

RecordKey key_of(const std::string& object, const std::string& id) {
  return {object, record_id_key(id)};
}

PlannedRecord& planned(Erasure& erasure, const Finding& f) {
  auto& record = erasure.records[key_of(f.object, f.record_id)];
  record.object = f.object;
  record.id = f.record_id;
  record.requests.insert(f.request_id);
  return record;
}

const PlannedRecord* find_planned(const Erasure& erasure, const std::string& object,
                                  const std::string& id) {
  const auto found = erasure.records.find(key_of(object, id));
  return found == erasure.records.end() ? nullptr : &found->second;
}

bool removed(const Erasure& erasure, const std::string& object, const std::string& id) {
  const auto* record = find_planned(erasure, object, id);
  return record != nullptr && record->remove;
}

// Puts a finding in review.csv with a note, or adds the note to its row.
void to_review(Erasure& erasure, const Finding& f, const std::string& note) {
  const auto listed = std::find_if(erasure.review.begin(), erasure.review.end(),
                                   [&f](const ReviewRow& row) { return row.finding == &f; });
  if (listed != erasure.review.end())
    listed->note = note;
  else if (erasure.decided != nullptr && erasure.decided->find(f.fingerprint) != nullptr)
    erasure.notes.push_back(f.object + " " + f.record_id + " (decided) " + note);
  else
    erasure.review.push_back({&f, note});
}

// The new value of an erased field: the text with the request's identifiers replaced, or none.
FieldValue erased_value(const Finding& f, const ErasureInputs& inputs, std::size_t& blanked) {
  if (f.reason != "text" || inputs.blank_text) return std::nullopt;
  const auto text = inputs.erased_texts.find(f.fingerprint);
  if (text != inputs.erased_texts.end() && !text->second.empty()) return text->second;
  ++blanked;
  return std::nullopt;
}

// Every finding to its place: a record to delete or update, the content to delete, review.csv.
void collect(const SavedReport& report, const ErasureInputs& inputs, Erasure& erasure) {
  const auto& format = *inputs.format;
  std::size_t blanked = 0;
  for (const auto& f : report.findings) {
    const auto bad_id = f.action == Action::kDeleteContent ? "" : format.bad_id(f.record_id);
    if (f.action == Action::kReview) {
      if (erasure.decided == nullptr || erasure.decided->find(f.fingerprint) == nullptr)
        erasure.review.push_back({&f, ""});
    } else if (!bad_id.empty()) {
      erasure.review.push_back({&f, bad_id});
    } else if (f.action == Action::kDeleteRecord) {
      auto& record = planned(erasure, f);
      record.remove = true;
      record.recycle_bin = f.deleted;
    } else if (f.action == Action::kEraseField) {
      if (const auto why = format.cannot_set(f.object, f.field); !why.empty())
        erasure.review.push_back({&f, why + ": erase it by hand"});
      else
        planned(erasure, f).updates[f.field] = erased_value(f, inputs, blanked);
    } else if (f.connector == "vcc_content") {
      erasure.content.push_back(&f);
    } else {
      erasure.review.push_back({&f, "content kept outside the CRM: delete it where it is stored"});
    }
  }
  if (blanked != 0)
    erasure.notes.push_back(std::to_string(blanked) +
                            " free-text field(s) blanked whole: no erased text for them in " +
                            inputs.values_path);
}

std::string relation_field(const RuleSet& rules, const std::string& object,
                           const std::string& rule_id) {
  for (const auto* object_rules : rules.rules_for(object)) {
    for (const auto& rule : object_rules->related) {
      if (rule.id == rule_id) return rule.via;
    }
  }
  return {};
}

// Kept records that point to a record being deleted: the reference goes first, in an update,
// where the CRM would refuse the delete while it is there.
void clear_kept_references(const SavedReport& report, const ErasureInputs& inputs,
                           Erasure& erasure) {
  bool via_known = false;
  for (const auto& f : report.findings) {
    via_known = via_known || !f.via_object.empty();
    if (f.via_object.empty() || !removed(erasure, f.via_object, f.via_record_id) ||
        removed(erasure, f.object, f.record_id))
      continue;
    const auto field =
        f.reason == "related" ? relation_field(*inputs.rules, f.object, f.rule) : std::string();
    if (!field.empty() && !inputs.format->reference_blocks_delete(field)) continue;
    if (!field.empty() && inputs.format->cannot_set(f.object, field).empty()) {
      planned(erasure, f).updates.emplace(field, std::nullopt);
      continue;
    }
    if (f.reason != "related" && f.reason != "reference") continue;
    const auto how = field.empty() ? std::string("through a field no rule declares")
                                   : "through " + field + ", which the plan cannot clear (" +
                                         inputs.format->cannot_set(f.object, field) + ")";
    to_review(erasure, f,
              "points to " + f.via_object + " " + f.via_record_id + ", which the plan deletes, " +
                  how + ": clear it before the deletes if the CRM refuses them");
  }
  if (!via_known && !report.findings.empty())
    erasure.notes.push_back(
        "the report does not name the records the scan followed (why.via): kept records' "
        "references to deleted ones are cleared only where the packs list them for erasure");
}

// Per record, the records it belongs to: those the scan reached from it (a party's activity),
// and those it was found through.
std::map<RecordKey, std::vector<RecordKey>> parents_of(const SavedReport& report) {
  std::map<RecordKey, std::vector<RecordKey>> parents;
  for (const auto& f : report.findings) {
    if (f.via_object.empty()) continue;
    if (f.reason == "reaches")
      parents[key_of(f.via_object, f.via_record_id)].push_back(key_of(f.object, f.record_id));
    else if (f.reason == "related")
      parents[key_of(f.object, f.record_id)].push_back(key_of(f.via_object, f.via_record_id));
  }
  return parents;
}

// Records the CRM deletes only with the record they belong to leave the delete steps: noted
// when the plan deletes that record, for review when it does not.
void leave_to_parents(const SavedReport& report, const ErasureInputs& inputs, Erasure& erasure) {
  std::map<std::string, std::size_t> with_parent;  // object → records
  std::set<RecordKey> gone;
  std::set<RecordKey> orphans;
  std::optional<std::map<RecordKey, std::vector<RecordKey>>> parents;
  for (auto& [key, record] : erasure.records) {
    if (!record.remove || inputs.format->deleted_with_parent(record.object).empty()) continue;
    if (!parents) parents = parents_of(report);
    const auto found = parents->find(key);
    const bool parent_removed =
        found != parents->end() &&
        std::any_of(found->second.begin(), found->second.end(), [&erasure](const RecordKey& at) {
          const auto parent = erasure.records.find(at);
          return parent != erasure.records.end() && parent->second.remove;
        });
    if (parent_removed) {
      ++with_parent[record.object];
      gone.insert(key);
    } else {
      orphans.insert(key);
      record.remove = false;
    }
  }
  for (const auto& f : report.findings) {
    const auto key = key_of(f.object, f.record_id);
    if (f.action == Action::kDeleteRecord && orphans.count(key) != 0)
      to_review(erasure, f,
                inputs.format->deleted_with_parent(f.object) +
                    "; the plan does not delete the record it belongs to");
  }
  for (const auto& key : gone) erasure.records.erase(key);
  for (const auto& [object, count] : with_parent) {
    erasure.notes.push_back(std::to_string(count) + " " + object +
                            " record(s) go with the records they belong to, which the plan "
                            "deletes (" +
                            inputs.format->deleted_with_parent(object) + ")");
  }
}

// The order of the deletes: objects whose records reference others' first.
std::vector<std::string> delete_order(const SavedReport& report, const RuleSet& rules,
                                      Erasure& erasure) {
  ObjectOrder order;
  for (const auto& [key, record] : erasure.records) {
    if (record.remove) order.add_node(record.object);
  }
  for (const auto& object_rules : rules.objects()) {
    if (object_rules.object.is_glob()) continue;
    for (const auto& rule : object_rules.related) {
      for (const auto& to : rule.to) order.add_strong(object_rules.object.text(), to);
    }
  }
  for (const auto& f : report.findings) {
    if (!f.via_object.empty() && f.reason == "related") order.add_strong(f.object, f.via_object);
  }
  for (const auto& object_rules : rules.objects()) {
    if (object_rules.object.is_glob()) continue;
    for (const auto& rule : object_rules.reaches) {
      for (const auto& to : rule.to) order.add_weak(object_rules.object.text(), to);
    }
  }
  return order.sorted(erasure.notes);
}

// Updates per object first (a deleted record is not updated), then the deletes in order, each
// object's Recycle Bin rows right after its live ones: a deleted child still points to its
// parent until it is gone for good.
void group_steps(const std::vector<std::string>& objects, Erasure& erasure) {
  std::map<std::string, StepGroup> updates;
  for (const auto& [key, record] : erasure.records) {
    if (record.remove || record.updates.empty()) continue;
    auto& group = updates[record.object];
    group.object = record.object;
    group.operation = "update";
    group.records.push_back(&record);
  }
  for (auto& [object, group] : updates) erasure.groups.push_back(std::move(group));
  for (const auto& object : objects) {
    for (const bool recycle_bin : {false, true}) {
      StepGroup group{object, recycle_bin ? "hard_delete" : "delete", {}};
      for (const auto& [key, record] : erasure.records) {
        if (record.object == object && record.remove && record.recycle_bin == recycle_bin)
          group.records.push_back(&record);
      }
      if (!group.records.empty()) erasure.groups.push_back(std::move(group));
    }
  }
}

// What the plan does with a reviewed record anyway, for the reviewer.
void annotate_review(Erasure& erasure) {
  for (auto& row : erasure.review) {
    const auto* record = find_planned(erasure, row.finding->object, row.finding->record_id);
    if (!row.note.empty() || record == nullptr) continue;
    if (record->remove)
      row.note = "the plan deletes the record (another finding of it)";
    else if (!record->updates.empty())
      row.note =
          "the plan erases its listed fields and clears its references to deleted "
          "records in an update step; the record is kept";
  }
}

}  // namespace

std::string StepFormat::deleted_with_parent(const std::string&) const {
  return {};
}

std::string StepFormat::bad_id(const std::string&) const {
  return {};
}

std::string StepFormat::cannot_set(const std::string&, const std::string&) const {
  return {};
}

bool StepFormat::reference_blocks_delete(const std::string&) const {
  return true;
}

Erasure plan_erasure(const SavedReport& report, const ErasureInputs& inputs) {
  Erasure erasure;
  erasure.decided = &report.decisions;
  collect(report, inputs, erasure);
  clear_kept_references(report, inputs, erasure);
  leave_to_parents(report, inputs, erasure);
  group_steps(delete_order(report, *inputs.rules, erasure), erasure);
  annotate_review(erasure);
  return erasure;
}

}  // namespace crmscan::plan

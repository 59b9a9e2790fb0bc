#include "scan/traversal.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <unordered_map>

#include "crmscan/error.hpp"
#include "crmscan/hash_bits.hpp"
#include "crmscan/text.hpp"
#include "scan/record_pipeline.hpp"

namespace crmscan::scanning {

namespace {

// A record's place: the read it was read in, and its rank in that read.
constexpr std::uint64_t place(std::uint32_t pass, std::uint32_t rank) {
  return (std::uint64_t{pass} << 32) | rank;
}
constexpr std::uint32_t pass_of(std::uint64_t place) {
  return place >> 32;
}
constexpr std::uint32_t rank_of(std::uint64_t place) {
  return place & 0xffffffffU;
}

constexpr std::size_t kHeldEntry = sizeof(std::uint64_t) + sizeof(std::uint32_t);

}  // namespace

Traversal::Traversal(Connector& connector, const RuleSet& rules, const SubjectSet& subjects,
                     std::size_t max_passes, std::size_t workers, bool adapt_workers,
                     std::string spill_folder, TraversalClient& client)
    : connector_(connector),
      rules_(rules),
      subjects_(subjects),
      max_passes_(max_passes),
      workers_(workers),
      adapt_workers_(adapt_workers),
      client_(client),
      spill_folder_(std::move(spill_folder)) {
  on_record_ = [this](const Record& record) {
    client_.consume(record, nullptr,
                    seen_.insert(record.object() + '\x1f' + record_id_key(record.id)).second);
  };
  on_problem_ = [this](const std::string& object, const std::string& message) {
    client_.problem(object, message);
  };
}

ObjectReads& Traversal::add_object(const ObjectPlan& plan) {
  auto& reads = objects_[plan.schema->object];
  reads.ruled = plan.ruled;
  reads.person = plan.person;
  reads.parents = plan.parents;
  for (const auto* rules_of : rules_.rules_for(plan.schema->object)) {
    for (const auto& rule : rules_of->keys) reads.key_names.insert(rule.key);
  }
  return reads;
}

// ---- What the decision reached. ----

void Traversal::record_reached(const std::string& object, const std::string& id_key,
                               const std::string& id) {
  add_event({++clock_,
             object,
             id_key.substr(0, 3),
             nullptr,
             false,
             {},
             held_hash(Held::kMention, id_key)});
  if (lookups_) frontier_.emplace_back(object, id);
}

void Traversal::key_reached(const std::string& name, std::string_view value, bool echo) {
  // A record that holds the key, decided knowing of it once already, is the subject's as surely.
  if (!echo)
    add_event({++clock_, "", "", nullptr, false, name, held_hash(Held::kKey, value, name)});
  if (lookups_) key_frontier_.emplace_back(name, std::string(value));
}

void Traversal::pointer_found(const std::string& target_key, const std::vector<std::string>* to,
                              const std::string& target) {
  add_event(
      {++clock_, "", target_key.substr(0, 3), to, false, {}, held_hash(Held::kOwnId, target_key)});
  if (lookups_) {
    for (const auto& object : *to) pointer_frontier_.emplace_back(object, target);
  }
}

void Traversal::learned_beyond_held() {
  add_event({++clock_, "", "", nullptr, true});
}

void Traversal::identifier_learned(IdentifierKind kind, const std::string& identifier) {
  const auto named = learned_hash(kind, identifier);
  ReachEvent event{++clock_, "", "", nullptr, !named};
  if (named) {
    event.named = *named;
    event.anywhere = true;
  }
  add_event(std::move(event));
}

void Traversal::add_event(ReachEvent event) {
  if (lookups_) return;  // lookups follow the frontiers; nothing is read again
  event.by_object = current_.first;
  event.by_place = current_.second;
  event.while_reading = consuming_;
  events_.push_back(std::move(event));
}

void Traversal::holds(const std::vector<std::uint64_t>& hashes) {
  if (!consuming_) return;
  const std::uint32_t rank = reading_->records;
  // The record's entries written at once: a call to the file for each cost more than the rest.
  held_entries_.resize(hashes.size() * kHeldEntry);
  char* entry = held_entries_.data();
  for (const auto hash : hashes) {
    std::memcpy(entry, &hash, sizeof hash);
    std::memcpy(entry + sizeof hash, &rank, sizeof rank);
    entry += kHeldEntry;
  }
  held_->append(held_entries_);
}

std::uint64_t Traversal::place_of_current() const {
  return current_.second;
}

Traversal::Reevaluating::Reevaluating(Traversal& traversal, const std::string& object,
                                      std::uint64_t place)
    : traversal_(traversal), saved_(std::move(traversal.current_)) {
  traversal_.current_ = {object, place};
}

Traversal::Reevaluating::~Reevaluating() {
  traversal_.current_ = std::move(saved_);
}

bool Traversal::keeps_identifiers(const std::string& object) const {
  const auto found = objects_.find(object);
  return found != objects_.end() && found->second.keeps_identifiers;
}

bool Traversal::read_after(const std::string& object, std::uint64_t time) const {
  const auto found = objects_.find(object);
  return found != objects_.end() &&
         (found->second.read_started > time || found->second.current_at > time) &&
         !found->second.reading;
}

// ---- A full read. ----

// Reads level by level (parents before children, see levels()) and lets each level settle before
// going deeper: a record reached late among the people and accounts costs a re-read of those
// small objects, not of the large activity objects below them.
void Traversal::read_everything(const std::vector<ObjectSchema>& schemas) {
  const auto ordered = levels(schemas);
  // Identifiers are learned from people's records, mostly as the levels that read them settle:
  // the objects read up to there keep what their records hold of emails and numbers, so that
  // one learned reads again only the objects that may hold it. Those read later (millions of
  // activities) are read again, as a person record read again later may teach one.
  std::size_t last_with_people = 0;
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    for (const auto& object : ordered[i])
      if (objects_[object].person) last_with_people = i;
  }
  for (std::size_t i = 0; i <= last_with_people && i < ordered.size(); ++i) {
    for (const auto& object : ordered[i]) objects_[object].keeps_identifiers = true;
  }
  std::vector<std::string> read_so_far;
  for (const auto& level : ordered) {
    for (const auto& object : level) read_object(object, true);
    read_so_far.insert(read_so_far.end(), level.begin(), level.end());
    if (!settle(read_so_far)) return;
  }
  // Records still waiting for the holders of their identifiers: every record has been read.
  client_.resolve_pending(true);
  settle(read_so_far);
}

// Reads again the objects that may hold what was reached since they were read, until nothing new
// is; false (an error in the report) when that does not end within the passes allowed.
bool Traversal::settle(const std::vector<std::string>& read_so_far) {
  for (std::size_t pass = 1;; ++pass) {
    const auto again = objects_to_read_again(read_so_far);
    if (again.empty()) return true;
    if (pass == max_passes_) {
      client_.problem("", "the traversal had not settled after " + std::to_string(pass) +
                              " passes; records further away were not followed");
      return false;
    }
    for (const auto& object : read_so_far) {
      if (again.count(object) != 0) read_object(object, false);
    }
  }
}

// Objects grouped by how far they are from the top of the declared relationships: ruled objects
// first, parents before children, then the objects no rule names.
std::vector<std::vector<std::string>> Traversal::levels(const std::vector<ObjectSchema>& schemas) {
  std::map<std::string, int> depth;
  std::function<int(const std::string&, std::set<std::string>&)> depth_of =
      [&](const std::string& object, std::set<std::string>& visiting) -> int {
    if (const auto known = depth.find(object); known != depth.end()) return known->second;
    const auto reads = objects_.find(object);
    if (reads == objects_.end() || !visiting.insert(object).second) return 0;
    int deepest = 0;
    for (const auto& parent : reads->second.parents) {
      if (parent != object) deepest = std::max(deepest, depth_of(parent, visiting) + 1);
    }
    visiting.erase(object);
    return depth[object] = deepest;
  };
  std::map<std::pair<bool, int>, std::vector<std::string>> levels;  // (unruled, depth)
  for (const auto& schema : schemas) {
    std::set<std::string> visiting;
    const bool ruled = objects_[schema.object].ruled;
    levels[{!ruled, ruled ? depth_of(schema.object, visiting) : 0}].push_back(schema.object);
  }
  std::vector<std::vector<std::string>> ordered;
  for (auto& [key, objects] : levels) {
    std::sort(objects.begin(), objects.end());
    objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
    ordered.push_back(std::move(objects));
  }
  return ordered;
}

// An object is read again when something reached since its read began may change what one of
// its records is: a new identifier (any record may hold it), or a record, pointer or key that
// one of the records read before holds.
std::set<std::string> Traversal::objects_to_read_again(const std::vector<std::string>& order) {
  std::set<std::string> again;
  for (const auto& object : order) {
    auto& reads = objects_[object];
    std::vector<const ReachEvent*> naming;
    bool learned = false;
    for (auto i = reads.checked; i < events_.size(); ++i) {
      const auto& event = events_[i];
      if (event.time <= reads.read_started) continue;
      const bool pointed = event.pointed_to != nullptr &&
                           std::find(event.pointed_to->begin(), event.pointed_to->end(), object) !=
                               event.pointed_to->end();
      const bool parent = !event.object.empty() && reads.parents.count(event.object) != 0;
      const bool referenced =
          !event.prefix.empty() && reads.reference_prefixes.count(event.prefix) != 0;
      const bool keyed = !event.key.empty() && reads.key_names.count(event.key) != 0;
      learned |= event.learned || (event.anywhere && !reads.keeps_identifiers);
      if (pointed || parent || referenced || keyed || event.anywhere) naming.push_back(&event);
    }
    if (learned || (!naming.empty() && holds_before(reads, object, naming))) {
      again.insert(object);
    } else {
      reads.checked = events_.size();
      reads.current_at = ++clock_;
    }
  }
  return again;
}

// Whether a record of the object's last read, read before the change, holds a value one of these
// changes names: a record read after it was decided knowing of it, and the record that made the
// change knew it too.
bool Traversal::holds_before(const ObjectReads& reads, const std::string& object,
                             const std::vector<const ReachEvent*>& events) const {
  constexpr auto kAll = std::numeric_limits<std::uint32_t>::max();
  struct Named {
    std::uint32_t before;  // ranks from here on were read after the change
    std::uint32_t maker;   // the rank of the record that made it, or kAll
  };
  std::unordered_map<std::uint64_t, std::vector<Named>> named;
  for (const auto* event : events) {
    const bool by_this_read = event->by_object == object && pass_of(event->by_place) == reads.pass;
    const auto rank = rank_of(event->by_place);
    named[event->named].push_back(
        {by_this_read && event->while_reading ? rank : kAll, by_this_read ? rank : kAll});
  }
  if (reads.held_end == reads.held_begin) return false;
  // Most values held name nothing: a bit per named hash rules them out without a trip to the
  // map (with thousands of requests its nodes are out of the cache).
  std::size_t bits = 4096;
  while (bits < named.size() * 16) bits *= 2;
  HashBits named_bits(bits);
  for (const auto& [hash, changes] : named) named_bits.add(hash);
  held_->flush();
  std::vector<char> buffer(kHeldEntry * 4096);
  for (auto offset = reads.held_begin; offset < reads.held_end;) {
    const auto size = held_->read_at(
        offset, buffer.data(), std::min<std::uint64_t>(buffer.size(), reads.held_end - offset));
    if (size == 0) break;
    for (std::size_t at = 0; at + kHeldEntry <= size; at += kHeldEntry) {
      std::uint64_t hash;
      std::uint32_t rank;
      std::memcpy(&hash, buffer.data() + at, sizeof hash);
      if (!named_bits.may_hold(hash)) continue;
      std::memcpy(&rank, buffer.data() + at + sizeof hash, sizeof rank);
      const auto found = named.find(hash);
      if (found == named.end()) continue;
      for (const auto& change : found->second) {
        if (rank < change.before && rank != change.maker) return true;
      }
    }
    offset += size - size % kHeldEntry;
  }
  return false;
}

void Traversal::read_object(const std::string& object, bool first_read) {
  auto& reads = objects_[object];
  reads.read_started = ++clock_;
  client_.pass_started(object);
  if (!held_) held_ = std::make_unique<spill::TempFile>(spill_folder_);
  reads.held_begin = reads.held_end = held_->size();
  ++reads.pass;
  reads.records = 0;
  const auto consume = [&](const Record& record, const PreparedRecord* prepared) {
    current_.first.assign(object);  // into the storage of the record before
    current_.second = place(reads.pass, reads.records);
    consuming_ = true;
    client_.consume(record, prepared, first_read);
    consuming_ = false;
    ++reads.records;
  };
  reads.reading = true;
  reading_ = &reads;
  if (workers_ == 0) {
    try {
      connector_.scan(
          object, [&](const Record& record) { consume(record, nullptr); }, on_problem_);
    } catch (const Error& e) {
      client_.problem(object, e.what());
    }
  } else {
    read_on_workers(object, consume);
  }
  consuming_ = false;
  current_ = {};
  reading_ = nullptr;
  reads.reading = false;
  reads.held_end = held_->size();
  client_.resolve_pending(false);
  client_.pass_finished(object);
}

// The records prepared on the workers, decided here in the order read; a problem the connector
// reports waits for the records read before it, as it would on one thread.
void Traversal::read_on_workers(
    const std::string& object,
    const std::function<void(const Record&, const PreparedRecord*)>& consume) {
  RecordPipeline pipeline(
      workers_,
      [this](std::size_t worker, const Record& record, const PhoneFilterSnapshot& phones,
             PreparedRecord& into) { client_.prepare(worker, record, phones, into); },
      [this] { return client_.phone_snapshot(); },
      [&](const Record& record, const PreparedRecord& prepared) { consume(record, &prepared); });
  bool deciding = false;
  const auto decide = [&](auto&& step) {
    deciding = true;
    step();
    deciding = false;
  };
  const ProblemSink on_problem = [&](const std::string& where, const std::string& message) {
    decide([&] { pipeline.finish(); });
    client_.problem(where, message);
  };
  // With adapt_workers_, the records go to the workers only while they answer quickly; else they
  // are decided here as they are read, as with none (after those handed on before them).
  constexpr auto kMeasureEvery = std::chrono::milliseconds(500);
  constexpr std::size_t kClockEvery = 1024;  // records between looks at the clock
  std::size_t until_clock = 0;
  const auto take = [&](const Record& record) {
    if (adapt_workers_ && until_clock-- == 0) {
      until_clock = kClockEvery - 1;
      if (std::chrono::steady_clock::now() - hand_over_measured_ >= kMeasureEvery) {
        hand_over_ = pipeline.workers_answer_quickly();
        hand_over_measured_ = std::chrono::steady_clock::now();
      }
    }
    if (!adapt_workers_ || hand_over_) return pipeline.push(record);
    pipeline.finish();
    consume(record, nullptr);
  };
  // A connector that stops still had its records read before decided; a decision that stops
  // stops the read, as on one thread.
  try {
    connector_.scan(
        object, [&](const Record& record) { decide([&] { take(record); }); }, on_problem);
    decide([&] { pipeline.finish(); });
  } catch (const Error& e) {
    // The records read before the connector stopped are decided; a decision that stops among them
    // is what one thread would have met first, and ends the read instead.
    std::string stop = e.what();
    if (!deciding) {
      try {
        pipeline.finish();
      } catch (const Error& decision) {
        stop = decision.what();
      }
    }
    client_.problem(object, stop);
  }
}

// ---- Lookups. ----

// Asks the connector for the subjects' records by their identifiers, then for the records that
// point to each record reached, until nothing new is reached; identifiers learned on the way are
// searched for in turn.
void Traversal::look_up(Lookup& lookup, const std::vector<ObjectSchema>& schemas) {
  lookups_ = true;
  for (const auto& schema : schemas) {
    if (objects_[schema.object].ruled) ruled_.push_back(schema.object);
  }
  try {
    search_given(lookup);
    for (std::size_t round = 0;; ++round) {
      const Terms terms{fresh("email", client_.emails()), fresh("phone", client_.phones()),
                        fresh("person", client_.person_ids())};
      if (terms.empty() && frontier_.empty() && key_frontier_.empty()) {
        if (!client_.waiting()) break;
        // Records still waiting for the holders of their identifiers: all were searched.
        client_.resolve_pending(true);
        continue;
      }
      if (round == max_passes_) {
        client_.problem("", "the lookups had not settled after " + std::to_string(round) +
                                " rounds; records further away were not followed");
        break;
      }
      search(lookup, terms);
    }
  } catch (const Error& e) {
    // A limit reached or an API that stopped answering: what was found stands, marked incomplete.
    client_.problem("", e.what());
  }
}

// The terms not searched for yet.
std::vector<std::string> Traversal::fresh(const std::string& kind,
                                          const std::vector<std::string>& terms) {
  std::vector<std::string> unsearched;
  for (const auto& term : terms) {
    if (searched_.insert(kind + ':' + term).second) unsearched.push_back(term);
  }
  return unsearched;
}

// The ids and names the requests give.
void Traversal::search_given(Lookup& lookup) {
  std::vector<std::string> names, ids;
  for (const auto& subject : subjects_.subjects()) {
    names.insert(names.end(), subject.names.begin(), subject.names.end());
    ids.insert(ids.end(), subject.given_ids.begin(), subject.given_ids.end());
  }
  if (const auto terms = fresh("id", ids); !terms.empty())
    lookup.search(IdentifierKind::kId, false, terms, ruled_, on_record_, on_problem_);
  if (const auto terms = fresh("name", names); !terms.empty())
    lookup.search(IdentifierKind::kName, false, terms, ruled_, on_record_, on_problem_);
}

// Searches the identifiers learned since the last round, then follows what they reached.
void Traversal::search(Lookup& lookup, const Terms& terms) {
  if (!terms.person_ids.empty())
    lookup.search(IdentifierKind::kId, true, terms.person_ids, ruled_, on_record_, on_problem_);
  for (const bool in_text : {false, true}) {
    if (!terms.emails.empty())
      lookup.search(IdentifierKind::kEmail, in_text, terms.emails, ruled_, on_record_, on_problem_);
    if (!terms.phones.empty())
      lookup.search(IdentifierKind::kPhone, in_text, terms.phones, ruled_, on_record_, on_problem_);
  }
  // Every record holding these identifiers has now been returned: who holds them is known.
  client_.searched(terms.emails);
  client_.searched(terms.phones);
  client_.resolve_pending(false);
  follow_frontier(lookup);
}

void Traversal::follow_frontier(Lookup& lookup) {
  while (!frontier_.empty() || !key_frontier_.empty()) {
    follow_keys(lookup);
    std::map<std::string, std::vector<std::string>> by_object;  // reached or pointed-to ids
    std::map<std::string, std::vector<std::string>> pointed;
    for (auto& [object, id] : frontier_) by_object[object].push_back(std::move(id));
    for (auto& [object, id] : pointer_frontier_) pointed[object].push_back(std::move(id));
    frontier_.clear();
    pointer_frontier_.clear();
    for (const auto& [object, ids] : pointed) {
      if (objects_.count(object) != 0) lookup.fetch(object, "Id", ids, on_record_, on_problem_);
    }
    for (const auto& [parent, ids] : by_object) follow_children(lookup, parent, ids);
  }
}

// The records that point to these records of `parent`: by the relations the rules declare, then
// by the references no rule declares (followed too, and reported for review).
void Traversal::follow_children(Lookup& lookup, const std::string& parent,
                                const std::vector<std::string>& ids) {
  std::set<std::pair<std::string, std::string>> declared;
  for (const auto& child : ruled_) {
    for (const auto* rules : rules_.rules_for(child)) {
      for (const auto& rule : rules->related) {
        if (std::find(rule.to.begin(), rule.to.end(), parent) == rule.to.end()) continue;
        if (!declared.insert({child, ascii_lower(rule.via)}).second) continue;
        if (lookup.has_field(child, rule.via)) {
          lookup.fetch(child, rule.via, ids, on_record_, on_problem_);
        } else {
          client_.note("rule " + rule.id + " skipped: " + child + " has no field " + rule.via +
                       " in this CRM");
        }
      }
      for (const auto& rule : rules->reaches) declared.insert({child, ascii_lower(rule.via)});
    }
  }
  for (const auto& [child, field] : lookup.references_to(parent)) {
    if (declared.insert({child, ascii_lower(field)}).second)
      lookup.fetch(child, field, ids, on_record_, on_problem_);
  }
}

// The records that hold the keys (a call's identifier) of records reached since the last time.
void Traversal::follow_keys(Lookup& lookup) {
  std::map<std::string, std::vector<std::string>> values_by_key;
  for (auto& [name, value] : key_frontier_) values_by_key[name].push_back(std::move(value));
  key_frontier_.clear();
  for (const auto& [name, values] : values_by_key) {
    for (const auto& object : ruled_) {
      std::set<std::string> fields;
      for (const auto* rules : rules_.rules_for(object)) {
        for (const auto& rule : rules->keys) {
          if (rule.key != name) continue;
          for (const auto& field : rule.fields) {
            if (field.is_glob() || !fields.insert(ascii_lower(field.text())).second) continue;
            if (lookup.has_field(object, field.text())) {
              lookup.fetch(object, field.text(), values, on_record_, on_problem_);
            } else {
              client_.note("rule " + rule.id + " skipped: " + object + " has no field " +
                           field.text() + " in this CRM");
            }
          }
        }
      }
    }
  }
}

}  // namespace crmscan::scanning

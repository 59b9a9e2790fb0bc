// The traversal: which records to read next. A full read reads every object, parents before
// children, and reads an object again when something it may point to was reached after it was
// read; lookups ask the connector for the subjects' records by their identifiers, then for the
// records that point to each record reached, hop by hop. The decision tells the traversal what it
// reached; the traversal hands every record it reads to the scan.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"
#include "scan/object_plan.hpp"
#include "scan/prepared_record.hpp"
#include "spill_file.hpp"

namespace crmscan::scanning {

/// What the traversal asks of the scan it drives.
class TraversalClient {
 public:
  virtual ~TraversalClient() = default;
  /// One record from the connector; `first_read` when it was not read before (it is counted).
  /// `prepared`: what prepare() made of it, or null (the scan prepares it itself).
  virtual void consume(const Record& record, const PreparedRecord* prepared, bool first_read) = 0;
  /// A full read on several threads: what each batch of records read from now on is prepared
  /// against (on the reading thread), and a record prepared (on worker `worker`, any number of
  /// workers at once; nothing of the scan's state may be touched; `worker` equal to the number of
  /// workers is the reading thread, preparing a batch the workers have not taken).
  virtual PhoneFilterSnapshot phone_snapshot() = 0;
  virtual void prepare(std::size_t worker, const Record& record, const PhoneFilterSnapshot& phones,
                       PreparedRecord& into) = 0;
  /// What could not be read, or a stop (a limit, an API that stopped answering).
  virtual void problem(const std::string& object, const std::string& message) = 0;
  virtual void note(const std::string& text) = 0;
  /// A pass over a whole object begins.
  virtual void pass_started(const std::string& object) = 0;
  /// That pass is over.
  virtual void pass_finished(const std::string& /*object*/) {}
  /// Evaluates again the records that waited for the holders of their identifiers, where those
  /// are known now; all of them with `settle` (nothing more will be read).
  virtual void resolve_pending(bool settle) = 0;
  /// Whether records wait that only resolve_pending(true) would decide.
  virtual bool waiting() const = 0;
  /// Lookups: the identifiers to search for so far, each kind sorted.
  virtual std::vector<std::string> emails() const = 0;
  virtual std::vector<std::string> phones() const = 0;
  virtual std::vector<std::string> person_ids() const = 0;
  /// Lookups: every record that holds these identifiers has been returned.
  virtual void searched(const std::vector<std::string>& identifiers) = 0;
};

/// Where the traversal stands with one object.
struct ObjectReads {
  bool ruled = false;
  bool person = false;              // its records are people's: identifiers are learned from them
  bool keeps_identifiers = false;   // its records' emails and numbers are held (Held::kEmail…)
  std::set<std::string> parents;    // objects its relation rules point to
  std::set<std::string> key_names;  // of its `keys` rules
  bool reading = false;
  std::uint64_t read_started = 0;
  std::set<std::string, std::less<>> reference_prefixes;  // of id-shaped values in its fields
  // What the records of its last read hold: where in the traversal's file of held values.
  std::uint64_t held_begin = 0, held_end = 0;
  std::uint32_t pass = 0;     // reads begun
  std::uint32_t records = 0;  // records of the last read so far
  std::size_t checked = 0;    // the changes (events) found to name nothing it holds
  // When those changes were found to name nothing it holds: its records are as decided then as
  // if it had been read again.
  std::uint64_t current_at = 0;
};

class Traversal {
 public:
  /// `workers`: threads that prepare the records of a full read (0: none, the reading thread
  /// prepares them); `adapt_workers`: only while they answer quickly (ScanOptions::adapt_jobs).
  Traversal(Connector& connector, const RuleSet& rules, const SubjectSet& subjects,
            std::size_t max_passes, std::size_t workers, bool adapt_workers,
            std::string spill_folder, TraversalClient& client);

  /// An object of the source; the returned state lives as long as the traversal.
  ObjectReads& add_object(const ObjectPlan& plan);

  /// Reads every object, level by level, until nothing new is reached.
  void read_everything(const std::vector<ObjectSchema>& schemas);
  /// Looks the subjects' records up and follows them until nothing new is reached.
  void look_up(Lookup& lookup, const std::vector<ObjectSchema>& schemas);

  // What the decision reached. `id` is as the source writes it; `id_key` its comparable form.
  void record_reached(const std::string& object, const std::string& id_key, const std::string& id);
  /// `echo`: this key's value was reached for the same subject before, at least as surely (by
  /// another record of the same call).
  void key_reached(const std::string& name, std::string_view value, bool echo);
  void pointer_found(const std::string& target_key, const std::vector<std::string>* to,
                     const std::string& target);
  /// A subject's email or number learned from a person record: the objects read before whose
  /// records may hold it are read again.
  void identifier_learned(IdentifierKind kind, const std::string& identifier);
  /// Something learned that no held value tells (a subject's numbers read in another country
  /// too): every object read before is read again.
  void learned_beyond_held();
  /// The record being read holds these values (held_hash()); ignored but while a full read reads
  /// it.
  void holds(const std::vector<std::uint64_t>& hashes);
  /// While it lives, what is reached is reached by a record read before, held back until now
  /// (`place` is what place_of_current() said when it was read).
  class Reevaluating {
   public:
    Reevaluating(Traversal& traversal, const std::string& object, std::uint64_t place);
    ~Reevaluating();
    Reevaluating(const Reevaluating&) = delete;
    Reevaluating& operator=(const Reevaluating&) = delete;

   private:
    Traversal& traversal_;
    std::pair<std::string, std::uint64_t> saved_;
  };
  /// The record being read: its read and its place in that read, to say so later.
  std::uint64_t place_of_current() const;

  /// Whether the object's records are to hold their emails and numbers: it is read in a level
  /// (read_everything) up to the last that reads people's records, where identifiers are learned.
  /// An identifier learned reads again the objects that do not, whatever they hold.
  bool keeps_identifiers(const std::string& object) const;
  /// A count that grows with every change to what is reached.
  std::uint64_t now() const { return clock_; }
  /// Whether a read of the whole object began after `time` and has ended, or it was found after
  /// `time` to hold nothing that changed.
  bool read_after(const std::string& object, std::uint64_t time) const;

 private:
  // A change to what is reached, to decide which objects must be read again.
  struct ReachEvent {
    std::uint64_t time;
    std::string object;  // the reached record's object, or empty for a pointer
    std::string prefix;  // the first three characters of its id key
    const std::vector<std::string>* pointed_to = nullptr;
    bool learned = false;        // a new identifier: any object read before may hold it
    std::string key = {};        // a key (`keys:`) of this name was reached: objects with such keys
    std::uint64_t named = 0;     // the hash of the Held value the change names (not for `learned`)
    std::string by_object = {};  // the record whose decision made the change, when one was read
    std::uint64_t by_place = 0;  // and its place (place_of_current())
    bool while_reading = false;  // made as that record was read, not held back and decided late
    bool anywhere = false;       // names a value that any object's records may hold (an identifier)
  };
  using Ids = std::vector<std::pair<std::string, std::string>>;  // (object or key name, value)
  // What one round of lookups searches for.
  struct Terms {
    std::vector<std::string> emails, phones, person_ids;
    bool empty() const { return emails.empty() && phones.empty() && person_ids.empty(); }
  };

  bool settle(const std::vector<std::string>& read_so_far);
  std::vector<std::vector<std::string>> levels(const std::vector<ObjectSchema>& schemas);
  std::set<std::string> objects_to_read_again(const std::vector<std::string>& order);
  bool holds_before(const ObjectReads& reads, const std::string& object,
                    const std::vector<const ReachEvent*>& events) const;
  void add_event(ReachEvent event);
  void read_object(const std::string& object, bool first_read);
  void read_on_workers(const std::string& object,
                       const std::function<void(const Record&, const PreparedRecord*)>& consume);
  void search_given(Lookup& lookup);
  void search(Lookup& lookup, const Terms& terms);
  void follow_frontier(Lookup& lookup);
  void follow_children(Lookup& lookup, const std::string& parent,
                       const std::vector<std::string>& ids);
  void follow_keys(Lookup& lookup);
  std::vector<std::string> fresh(const std::string& kind, const std::vector<std::string>& terms);

  Connector& connector_;
  const RuleSet& rules_;
  const SubjectSet& subjects_;
  std::size_t max_passes_;
  std::size_t workers_;
  bool adapt_workers_;
  // Whether the workers are handed records, and when that was last measured.
  bool hand_over_ = true;
  std::chrono::steady_clock::time_point hand_over_measured_{};
  TraversalClient& client_;
  std::map<std::string, ObjectReads> objects_;
  std::vector<ReachEvent> events_;
  std::uint64_t clock_ = 0;
  // The record whose decision is being made (object, place), when it was read by read_object.
  std::pair<std::string, std::uint64_t> current_;
  bool consuming_ = false;  // the current record is being read (not held back and decided late)
  ObjectReads* reading_ = nullptr;
  // (hash of a Held value, the record's place in its read) of every record read, object by
  // object: a file, as it grows with the export.
  std::string spill_folder_;
  std::unique_ptr<spill::TempFile> held_;
  std::string held_entries_;  // one record's, kept from record to record
  // Lookups only: the ruled objects searched, what was searched for, and the records reached,
  // records pointed to and keys reached whose neighbours have not been asked for yet.
  bool lookups_ = false;
  std::vector<std::string> ruled_;
  std::set<std::string> searched_;
  std::unordered_set<std::string> seen_;  // records returned: counted once
  Ids frontier_, pointer_frontier_, key_frontier_;
  RecordSink on_record_;
  ProblemSink on_problem_;
};

}  // namespace crmscan::scanning

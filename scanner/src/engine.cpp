#include "crmscan/engine.hpp"

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "crmscan/detectors.hpp"
#include "crmscan/error.hpp"
#include "crmscan/text.hpp"
#include "crmscan/text_index.hpp"
#include "crmscan/version.hpp"
#include "finding_store.hpp"
#include "scan/evidence.hpp"
#include "scan/object_plan.hpp"
#include "scan/phone_digits_filter.hpp"
#include "scan/prepared_record.hpp"
#include "scan/traversal.hpp"

namespace crmscan {
namespace {

using namespace scanning;

int record_action_rank(RecordAction action) {
  switch (action) {
    case RecordAction::kDeleteRecord:
      return 3;
    case RecordAction::kEraseFields:
      return 2;
    case RecordAction::kReview:
      return 1;
  }
  return 0;
}

std::string kind_category(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::kEmail:
      return "contact.email";
    case IdentifierKind::kPhone:
      return "contact.phone";
    case IdentifierKind::kName:
      return "person.name";
    case IdentifierKind::kId:
      return "record.reference";
  }
  return "free_text";
}

std::string_view kind_name(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::kEmail:
      return "email";
    case IdentifierKind::kPhone:
      return "phone number";
    case IdentifierKind::kName:
      return "name";
    case IdentifierKind::kId:
      return "record id";
  }
  return "identifier";
}

// ---- The traversal state. ----

/// A record found to belong to a subject.
struct Reached {
  SubjectIndex subject;
  std::string object;
  bool proven;        // the subject's beyond doubt; else only possibly (its findings are reviews)
  std::string id;     // as the source writes it
  bool kept = false;  // the record is kept, only its personal fields erased (a Case, a business)
};

/// A record that a reached record points to (Lead.ConvertedContactId), not read yet.
struct Pointer {
  SubjectIndex subject;
  const RuleBase* rule;  // owned by the rule set
  const std::vector<std::string>* to;
  std::string via;
  std::string from_object;  // the record that points: "Lead"
  std::string from_id;      // and its id
};

/// Why a record belongs (or may belong) to a subject.
struct Claim {
  SubjectIndex subject;
  bool proven;  // proves the record is the subject's; else it only may be (a review)
  std::string reason;
  std::string rule;
  std::string detail;
  std::string category;
  RecordAction action;
  std::string confidence;
  std::string matched;          // the value that matched, for the preview
  std::string identifier = {};  // the email or number that made an identity claim, else empty
  std::string via_object = {};  // the reached record that led here (related, reaches, key,
  std::string via_id = {};      // reference), else empty
};

struct Mention {
  SubjectIndex subject;
  std::size_t field;
  IdentifierKind kind;
  std::string matched;
  std::string doubt;    // why it may not be the subject's identifier; empty when it is
  bool shared = false;  // the identifier is not the subject's alone (doubt says why)
};

class Scan : private TraversalClient {
 public:
  Scan(Connector& connector, const RuleSet& rules, const SubjectSet& subjects,
       const ScanOptions& options)
      : connector_(connector),
        rules_(rules),
        subjects_(subjects),
        options_(options),
        detector_(subjects),
        traversal_(connector, rules, subjects, options.max_passes,
                   options.jobs > 1 ? options.jobs - 1 : 0, options.adapt_jobs,
                   options.spill_folder, *this),
        phone_filter_(subjects.default_region()),
        preparer_(subjects, rules) {
    for (std::size_t worker = 1; worker < options.jobs; ++worker)
      worker_preparers_.emplace_back(subjects, rules);
    subject_regions_.resize(subjects.subjects().size());
    for (SubjectIndex i = 0; i < subjects.subjects().size(); ++i) {
      if (!subjects.default_region().empty())
        subject_regions_[i].push_back(subjects.default_region());
      for (const auto& email : subjects.subjects()[i].emails) add_email(email, i);
      for (const auto& phone : subjects.subjects()[i].phones) add_phone(phone, i);
    }
  }

  Report run() {
    report_.tool_version = kVersion;
    report_.connector = connector_.descriptor().name;
    report_.crm = connector_.crm();
    report_.source = connector_.source();
    report_.started = utc_now();
    report_.show_values = options_.show_values;
    for (const auto& pack : rules_.packs()) {
      // Relative to the working folder where it can be, as the user would type it.
      report_.packs.push_back(
          {pack.id, pack.version, std::filesystem::proximate(pack.path).string(), pack.sha256});
    }
    for (const auto& subject : subjects_.subjects())
      report_.request_ids.push_back(subject.request_id);

    std::vector<ObjectSchema> schemas;
    try {
      schemas = connector_.describe();
    } catch (const Error& e) {
      if (e.code() == ExitCode::kMissingInput || e.code() == ExitCode::kUsage) throw;
      report_.errors.push_back({"", e.what()});
    }
    auto* lookup = options_.full_read ? nullptr : connector_.lookup();
    if (options_.progress != nullptr) options_.progress->scan_started(schemas.size());
    for (const auto& schema : schemas) {
      auto& state = objects_[schema.object];
      state.plan = compile_plan(std::make_shared<const ObjectSchema>(schema), rules_);
      state.reads = &traversal_.add_object(state.plan);
      for (const auto* rules_of : rules_.rules_for(schema.object)) {
        state.holds_identifiers |= rules_of->person.value_or(false) || !rules_of->holders.empty();
      }
      if (lookup == nullptr)
        report_.coverage.push_back({schema.object, 0, 0, 0, 0, state.plan.ruled});
    }
    note_unscanned_rules(schemas);
    refuse_unruled_source(schemas);
    if (lookup != nullptr) {
      lookups_ = true;
      lookup->use_rules(rules_);
      if (options_.progress != nullptr) {
        ObservedLookup observed(*lookup, *options_.progress, [this] { return progress_counts(); });
        traversal_.look_up(observed, schemas);
      } else {
        traversal_.look_up(*lookup, schemas);
      }
    } else {
      traversal_.read_everything(schemas);
    }
    for (const auto& text : connector_.notes()) note(text);
    note_unallocated_request_numbers();
    if (options_.progress != nullptr)
      options_.progress->step_started(ScanStep::kFinish, "", progress_counts());
    finish();
    return std::move(report_);
  }

 private:
  // A number the request gives in a range that libphonenumber finds unallocated (a fictional
  // one: 07700 900xxx) matched for deletion only where it is written with its country code.
  void note_unallocated_request_numbers() {
    if (unallocated_requests_.empty()) return;
    std::string listed;
    std::size_t count = 0;
    for (const auto subject : unallocated_requests_) {
      if (++count <= 5)
        listed += (count == 1 ? "" : ", ") + subjects_.subjects()[subject].request_id;
    }
    if (count > 5) listed += ", …";
    note(std::to_string(count) + " request(s) (" + listed +
         ") give a phone number in no range that its country's numbering plan allocates "
         "(libphonenumber): records holding it written without its country code are only "
         "reported for review");
  }

  // ---- What the traversal asks of the scan. ----
  void problem(const std::string& object, const std::string& message) override {
    if (!object.empty()) objects_[object].had_problem = true;
    add_error(object, message);
  }

  void pass_started(const std::string& object) override {
    holds_identifiers_ = traversal_.keeps_identifiers(object);
    const auto passes = ++coverage_for(object).passes;
    if (options_.progress != nullptr) {
      options_.progress->step_started(passes == 1 ? ScanStep::kRead : ScanStep::kReadAgain, object,
                                      progress_counts());
    }
  }

  void pass_finished(const std::string& object) override {
    if (options_.progress != nullptr) options_.progress->object_finished(object, progress_counts());
  }

  ScanCounts progress_counts() const {
    return {report_.records_read, connector_.api_calls(), findings_.added(),
            connector_.read_position()};
  }

  bool waiting() const override { return !pending_.empty() && !holders_settled_; }

  std::vector<std::string> emails() const override { return sorted_keys(emails_); }
  std::vector<std::string> phones() const override { return sorted_keys(phones_); }
  std::vector<std::string> person_ids() const override {
    return {person_ids_.begin(), person_ids_.end()};
  }

  void searched(const std::vector<std::string>& identifiers) override {
    searched_identifiers_.insert(identifiers.begin(), identifiers.end());
  }

  void note(const std::string& text) override {
    if (std::find(report_.notes.begin(), report_.notes.end(), text) == report_.notes.end())
      report_.notes.push_back(text);
  }

  void add_error(const std::string& object, const std::string& message) {
    const bool seen = std::any_of(report_.errors.begin(), report_.errors.end(),
                                  [&](const ReportError& e) { return e.message == message; });
    if (!seen) report_.errors.push_back({object, message});
  }

  ObjectCoverage& coverage_for(const std::string& object) {
    auto found = std::find_if(report_.coverage.begin(), report_.coverage.end(),
                              [&](const ObjectCoverage& c) { return c.object == object; });
    if (found != report_.coverage.end()) return *found;
    report_.coverage.push_back({object, 0, 0, 0, 0, !rules_.rules_for(object).empty()});
    return report_.coverage.back();
  }

  PhoneFilterSnapshot phone_snapshot() override {
    if (!phone_snapshot_ || phone_snapshot_generation_ != phone_generation_) {
      phone_snapshot_ = std::make_shared<const PhoneDigitsFilter>(phone_filter_);
      phone_snapshot_generation_ = phone_generation_;
    }
    return {phone_snapshot_, phone_generation_, holds_identifiers_};
  }

  void prepare(std::size_t worker, const Record& record, const PhoneFilterSnapshot& phones,
               PreparedRecord& into) override {
    // The reading thread's own preparer for the batches it prepares itself; a worker's own
    // otherwise (never another thread's: at() rather than a preparer shared by two threads).
    (worker == worker_preparers_.size() ? preparer_ : worker_preparers_.at(worker))
        .prepare(record, phones, into);
  }

  // One record from the connector: counted when `first_read`, then evaluated for every subject.
  void consume(const Record& record, const PreparedRecord* prepared, bool first_read) override {
    // An object's records come one after another: its state is looked up once for them.
    if (consuming_ == nullptr || consuming_->first != record.object())
      consuming_ = &*objects_.try_emplace(record.object()).first;
    auto& state = consuming_->second;
    const auto& plan = plan_for(record);
    const bool archived =
        record.archived || (plan.archived && truthy(record.values[*plan.archived]));
    const bool deleted = record.deleted || (plan.deleted && truthy(record.values[*plan.deleted]));
    if (options_.progress != nullptr && --progress_countdown_ == 0) {
      progress_countdown_ = kProgressEvery;
      options_.progress->advanced(progress_counts());
    }
    if (first_read) {
      // Entries are only added to the coverage during the scan: its place stays.
      if (state.coverage == kNoCoverage)
        state.coverage =
            static_cast<std::size_t>(&coverage_for(record.object()) - report_.coverage.data());
      auto& coverage = report_.coverage[state.coverage];
      ++coverage.records;
      ++report_.records_read;
      coverage.archived += archived ? 1 : 0;
      coverage.deleted += deleted ? 1 : 0;
    }
    // A full read gives a record whole every time; a lookup may give it with other fields than
    // the one that gave it first. A read that stopped part-way may have left records unread.
    reading_again_ = !lookups_ && !first_read && !state.had_problem;
    evaluate(record, plan, state, archived, deleted, prepared);
    reading_again_ = false;
  }

  const ObjectPlan& plan_for(const Record& record) { return preparer_.plan_for(record); }

  struct ObjectState {
    ObjectPlan plan;
    bool holds_identifiers = false;      // person records, or fields where a business holds them
    ObjectReads* reads = nullptr;        // the traversal's state of the object
    std::size_t coverage = kNoCoverage;  // its place in report_.coverage, once known
    bool had_problem = false;            // a read of it met a problem (it may have stopped)
  };
  static constexpr std::size_t kNoCoverage = std::numeric_limits<std::size_t>::max();

  // A source none of whose objects the packs have rules for was scanned with another CRM's
  // packs: finding nothing there proves nothing, so the scan is not complete.
  void refuse_unruled_source(const std::vector<ObjectSchema>& schemas) {
    if (schemas.empty()) return;
    std::string objects;
    for (std::size_t i = 0; i < schemas.size(); ++i) {
      if (objects_[schemas[i].object].plan.ruled) return;
      if (i < 5) objects += (objects.empty() ? "" : ", ") + schemas[i].object;
    }
    if (schemas.size() > 5) objects += ", …";
    std::string packs;
    for (const auto& pack : rules_.packs()) packs += (packs.empty() ? "" : ", ") + pack.id;
    report_.errors.push_back(
        {"", "none of the source's " + std::to_string(schemas.size()) + " object(s) (" + objects +
                 ") has rules in the packs used (" + packs +
                 "): is the source the CRM the packs are for? (--crm, --rules)"});
  }

  void note_unscanned_rules(const std::vector<ObjectSchema>& schemas) {
    for (const auto& rules : rules_.objects()) {
      const bool present = std::any_of(schemas.begin(), schemas.end(), [&](const ObjectSchema& s) {
        return rules.object.matches(s.object);
      });
      if (!present && !rules.object.is_glob()) {
        report_.notes.push_back("no " + rules.object.text() +
                                " records in the source (rules for it were not used)");
      }
    }
  }

  using IdentifierIndex = TextIndex<std::vector<SubjectIndex>>;

  static std::vector<std::string> sorted_keys(const IdentifierIndex& index) {
    std::vector<std::string> keys;
    for (const auto& [key, owners] : index) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  static const std::vector<SubjectIndex>* lookup(const IdentifierIndex& index,
                                                 const std::string& key) {
    return index.find(key);
  }
  const std::vector<SubjectIndex>* emails_for(const std::string& email) const {
    return lookup(emails_, email);
  }
  const std::vector<SubjectIndex>* phones_for(const std::string& phone) const {
    return lookup(phones_, phone);
  }
  // Why a number read is only possibly a subject's, or empty when it is theirs.
  std::string phone_doubt(const PhoneReading& reading, SubjectIndex subject) {
    if (unverified_phones_.count({reading.e164, subject}) != 0)
      return "a number learned from the subject's record in no range that its country's "
             "numbering plan allocates (libphonenumber): check it is the subject's";
    if (!reading.certain && !reading.valid) unallocated_requests_.insert(subject);
    return doubt_of(reading);
  }

  // Calls `found` with each subject an email found belongs to, and why it is only possibly
  // theirs (empty when it is theirs as given): a sub-address of a subject's address
  // ("amelie+crm@example.fr" for "amelie@example.fr", or the other way round) is for review.
  template <typename Found>
  void match_email(const std::string& email, Found&& found) const {
    const auto* exact = emails_for(email);
    if (exact != nullptr)
      for (const auto s : *exact) found(s, std::string());
    const auto plus = email.find('+');
    const auto* variants =
        lookup(email_bases_, plus == std::string::npos ? email : email_base(email));
    if (variants == nullptr) return;
    for (const auto s : *variants) {
      if (exact == nullptr || std::find(exact->begin(), exact->end(), s) == exact->end())
        found(s, std::string(kSubAddress));
    }
  }

  // A subject's email or number, given or learned; false when it was known already.
  bool add_email(const std::string& email, SubjectIndex subject) {
    auto& owners = emails_[email];
    if (std::find(owners.begin(), owners.end(), subject) != owners.end()) return false;
    owners.push_back(subject);
    auto& by_base = email_bases_[email_base(email)];
    if (std::find(by_base.begin(), by_base.end(), subject) == by_base.end())
      by_base.push_back(subject);
    return true;
  }
  bool add_phone(const std::string& e164, SubjectIndex subject, bool verified = true) {
    auto& owners = phones_[e164];
    if (std::find(owners.begin(), owners.end(), subject) != owners.end()) return false;
    owners.push_back(subject);
    if (!verified) unverified_phones_.emplace(e164, subject);
    phone_filter_.add(e164);
    ++phone_generation_;
    // National numbers on the subject's records are most likely written as this one's country
    // does.
    const auto region = PhoneNormalizer::region_of(e164);
    auto& regions = subject_regions_[subject];
    if (region != "ZZ" && std::find(regions.begin(), regions.end(), region) == regions.end())
      regions.push_back(region);
    return true;
  }

  // When an identifier just learned was no subject's before: who holds it is known only once the
  // objects that hold people have been read after that (holders_known).
  void note_learned(const std::string& identifier, const IdentifierIndex& index) {
    if (index.find(identifier)->size() == 1) known_at_.emplace(identifier, traversal_.now() + 1);
  }

  // The emails and numbers on a person record of the subject's are the subject's too: look for
  // them everywhere, in objects already read as well.
  void learn_identifiers(const Record& record, const ObjectPlan& plan, SubjectIndex subject) {
    // Its id, pasted into a text field somewhere, is found by searching text (lookups only: a
    // full read sees every field anyway).
    if (!record.id.empty()) person_ids_.insert(record.id);
    const auto regions_before = subject_regions_[subject].size();
    std::vector<std::string> found;
    for (const auto& identity : plan.identity) {
      const auto kind = identity.rule->kind;
      if (identity.rule->in_text ||
          (kind != IdentifierKind::kEmail && kind != IdentifierKind::kPhone) ||
          !all_hold(identity.when, record)) {
        continue;
      }
      for (const auto index : identity.fields) {
        if (value_empty(record.values[index])) continue;
        const auto text = value_text(record.values[index]);
        if (kind == IdentifierKind::kEmail) {
          found.clear();
          detector_.emails(text, found);
          for (const auto& email : found) {
            if (!add_email(email, subject)) continue;
            note_learned(email, emails_);
            // This record was decided before the email was a subject's: it holds it, as others
            // may (the traversal reads again the records read before that do, not this one).
            note_holder(email, record, plan);
            report_.learned.push_back({subjects_.subjects()[subject].request_id, "email", email});
            traversal_.identifier_learned(kind, email);
          }
        } else {
          // Read in the regions of the subject's own numbers, and learned only when the value
          // can be no other number: "622 12 34 56" on a Spanish subject's record is not the
          // British +44 622123456. One written with its country code in a range that no
          // numbering plan allocates (a placeholder, or a range newer than libphonenumber's
          // metadata) is looked for, but only ever gives a review.
          const auto& regions = subject_regions_[subject];
          for (const auto& reading : subjects_.phones().read_all(
                   text, regions.empty() ? std::vector<std::string>{"ZZ"} : regions)) {
            if (!reading.certain || !add_phone(reading.e164, subject, reading.valid)) continue;
            note_learned(reading.e164, phones_);
            note_holder(reading.e164, record, plan);
            report_.learned.push_back(
                {subjects_.subjects()[subject].request_id, "phone", reading.e164, !reading.valid});
            traversal_.identifier_learned(kind, reading.e164);
          }
        }
      }
    }
    // A number of a country the subject's numbers were not read in: the subject's records read
    // before may hold others written as that country does, which reading them again teaches.
    if (subject_regions_[subject].size() != regions_before) traversal_.learned_beyond_held();
  }

  // ---- One record against every subject: the claims that it is a subject's, the mentions of a
  // subject's identifiers in its fields, then the decision. ----
  void evaluate(const Record& record, const ObjectPlan& plan, ObjectState& state, bool archived,
                bool deleted, const PreparedRecord* prepared = nullptr) {
    if (prepared == nullptr) {
      // Prepared here, against the numbers known now.
      preparer_.prepare(
          record,
          {{std::shared_ptr<void>(), &phone_filter_}, phone_generation_, holds_identifiers_},
          prepared_);
      prepared = &prepared_;
    }
    const auto& key = prepared->key;
    // What a later reach may name in it: the traversal keeps it, to read the object again only
    // when that can find something.
    traversal_.holds(prepared->held);
    std::vector<Claim> claims;
    std::vector<Mention> mentions;
    id_claims(record, plan, key, claims);
    identity_claims(record, plan, *prepared, claims);
    business_holder_claims(record, plan, claims);
    key_claims(record, plan, key, claims);
    related_claims(record, plan, prepared->link_keys, claims);
    field_mentions(record, plan, *prepared, state, key, claims, mentions);

    if (claims.empty() && mentions.empty()) return;
    // Read again (for what was reached or learned since), a record that holds only names of the
    // requests' gives what it gave when it was first read, which was decided then: names do not
    // change, and every other claim or mention only grows, so it held no other then either. A
    // namesake of one of ten thousand requests is read two or three times.
    if (reading_again_ && names_alone(claims, mentions)) return;
    // Whether an email or a number is the subject's alone is known only once every record that
    // may hold it has been seen: until then the record waits. Two rows of an export with one id
    // wait apart (each may hold another request's data); a row read again replaces its own.
    const auto parked_at = record.object() + '\x1f' +
                           (key.empty() ? record.location() : key + '\x1f' + record.location());
    if (!holders_known(claims, mentions)) {
      pending_.insert_or_assign(parked_at,
                                Parked{record, archived, deleted, traversal_.place_of_current()});
      return;
    }
    if (!pending_.empty()) pending_.erase(parked_at);
    mark_shared(claims, mentions);
    decide(record, plan, key, archived, deleted, claims, mentions);
  }

  static bool names_alone(const std::vector<Claim>& claims, const std::vector<Mention>& mentions) {
    return std::all_of(claims.begin(), claims.end(),
                       [](const Claim& claim) { return claim.reason == "name"; }) &&
           std::all_of(mentions.begin(), mentions.end(), [](const Mention& mention) {
             return mention.kind == IdentifierKind::kName;
           });
  }

  // The record asked for by id.
  void id_claims(const Record& record, const ObjectPlan& plan, const std::string& key,
                 std::vector<Claim>& claims) {
    const auto& object = record.object();
    if (!key.empty()) {
      if (const auto* ids = subjects_.by_id(key)) {
        for (const auto subject : *ids) {
          claims.push_back({subject, true, "identity", "request-id",
                            "the record's id is in the request", plan.category, plan.action, "high",
                            record.id.empty() ? key : record.id});
        }
      }
      // Records that a reached record points to.
      if (const auto* pointers = pointers_.find(key)) {
        for (const auto& pointer : *pointers) {
          const auto& to = *pointer.to;
          if (std::find(to.begin(), to.end(), object) == to.end()) continue;
          const auto& rule = *pointer.rule;
          claims.push_back(
              {pointer.subject,
               true,
               "reaches",
               rule.id,
               pointer.from_object + " " + pointer.from_id + " points to it through " + pointer.via,
               rule.category.empty() ? plan.category : rule.category,
               rule.action.value_or(plan.action),
               "high",
               key,
               {},
               pointer.from_object,
               pointer.from_id});
        }
      }
    }
  }

  // The value of field `index` as prepared, or null where it was not (no candidates in it, or not
  // a string).
  static const PreparedValue* prepared_value(const PreparedRecord& prepared, std::size_t index) {
    for (const auto& value : prepared.values) {
      if (value.field >= index) return value.field == index ? &value : nullptr;
    }
    return nullptr;
  }

  // Whether the text can hold a subject's number (phone_regions_ set to where to read it): from
  // the prepared value where the numbers known have not changed since.
  bool may_hold_phone(const std::string& text, const PreparedValue* ready,
                      const PreparedRecord& prepared) {
    if (ready == nullptr || !ready->candidates.phone ||
        prepared.phone_generation != phone_generation_)
      return phone_filter_.may_hold(text, phone_regions_);
    if (ready->phone) phone_regions_ = ready->regions;
    return ready->phone;
  }

  // Identity rules.
  void identity_claims(const Record& record, const ObjectPlan& plan, const PreparedRecord& prepared,
                       std::vector<Claim>& claims) {
    for (const auto& identity : plan.identity) {
      const auto& rule = *identity.rule;
      if (!all_hold(identity.when, record)) continue;
      // A claim with a doubt is only possibly the subject's: for review.
      const auto claim = [&](SubjectIndex subject, const std::string& field,
                             const std::string& matched, const std::string& doubt,
                             const std::string& identifier = {}) {
        const bool proven = doubt.empty();
        claims.push_back(
            {subject, proven, rule.kind == IdentifierKind::kName ? "name" : "identity", rule.id,
             field + " holds the request's " + std::string(kind_name(rule.kind)) +
                 (proven ? "" : " (" + doubt + ")"),
             rule.category.empty() ? plan.category : rule.category,
             proven ? rule.action.value_or(plan.action) : RecordAction::kReview,
             proven ? (rule.in_text ? "medium" : "high") : "low", matched, identifier});
      };
      if (rule.kind == IdentifierKind::kName) {
        // Joined and folded in storage kept from record to record: every person record has a
        // name, few are a subject's.
        join_name(record, identity, name_joined_);
        fold_words_into(name_joined_, name_folded_, name_words_);
        if (const auto* found = subjects_.by_name(name_folded_)) {
          std::string fields;
          for (const auto index : identity.fields)
            fields += (fields.empty() ? "" : "+") + plan.schema->fields[index].name;
          for (const auto subject : *found)
            claim(subject, fields, name_joined_, "a name alone: check it is the same person");
        }
        continue;
      }
      for (const auto index : identity.fields) {
        const auto& value = record.values[index];
        if (value_empty(value)) continue;
        std::string storage;  // the text of a value that is not text
        const auto& text = value_text(value, storage);
        const auto& field = plan.schema->fields[index].name;
        const auto* ready = prepared_value(prepared, index);
        scratch_.clear();
        const std::vector<SubjectIndex>* found = nullptr;
        switch (rule.kind) {
          case IdentifierKind::kEmail:
            if (ready != nullptr) {
              scratch_ = ready->emails;
            } else {
              detector_.emails(text, scratch_);
            }
            for (const auto& email : scratch_) {
              if (plan.person && !rule.in_text && emails_for(email) != nullptr)
                note_holder(email, record, plan);
              match_email(email, [&](SubjectIndex s, const std::string& doubt) {
                claim(s, field, email, doubt, email);
              });
            }
            break;
          case IdentifierKind::kPhone:
            if (!may_hold_phone(text, ready, prepared)) break;
            readings_.clear();
            if (rule.in_text) {
              detector_.phones(text, phone_regions_, readings_, subject_number_);
            } else {
              readings_ = subjects_.phones().read_all(text, phone_regions_, subject_number_);
            }
            for (const auto& reading : readings_) {
              const auto& shown = rule.in_text ? reading.e164 : text;
              if ((found = phones_for(reading.e164)) == nullptr) continue;
              if (plan.person && !rule.in_text) note_holder(reading.e164, record, plan);
              for (const auto s : *found)
                claim(s, field, shown, phone_doubt(reading, s), reading.e164);
            }
            break;
          case IdentifierKind::kId:
            if ((found = subjects_.by_id(record_id_key(text))))
              for (const auto s : *found) claim(s, field, text, {});
            break;
          case IdentifierKind::kName:
            break;
        }
      }
    }
  }

  // Fields where a business holds an email or a number: such an identifier is not one person's,
  // and the business's record is only to review (a sole trader's may be the person's own).
  void business_holder_claims(const Record& record, const ObjectPlan& plan,
                              std::vector<Claim>& claims) {
    for (const auto& holder : plan.holders) {
      if (!all_hold(holder.when, record)) continue;
      const auto& rule = *holder.rule;
      for (const auto index : holder.fields) {
        if (value_empty(record.values[index])) continue;
        const auto text = value_text(record.values[index]);
        subject_identifiers(rule.kind, text, scratch_);
        for (const auto& identifier : scratch_) {
          holders_[identifier].business = true;
          for (const auto s : *owners_of(rule.kind, identifier)) {
            claims.push_back({s, false, "shared", rule.id,
                              plan.schema->fields[index].name + " holds the request's " +
                                  std::string(kind_name(rule.kind)) +
                                  " on a business's record: check whether it is the request's",
                              rule.category.empty() ? plan.category : rule.category,
                              RecordAction::kReview, "low", text});
          }
        }
      }
    }
  }

  // Keys (a call's identifier) that a reached record holds too.
  void key_claims(const Record& record, const ObjectPlan& plan, const std::string& key,
                  std::vector<Claim>& claims) {
    const auto& object = record.object();
    for (const auto& plan_key : plan.keys) {
      if (keys_reached_.empty() || !all_hold(plan_key.when, record)) continue;
      const auto& rule = *plan_key.rule;
      for (const auto index : plan_key.fields) {
        std::string storage;  // the text of a value that is not text
        const auto& text = value_text(record.values[index], storage);
        const auto value = trim(text);
        if (value.size() < kMinKeyLength) continue;
        key_id(rule.key, value, key_scratch_);
        const auto* sources = keys_reached_.find(key_scratch_);
        if (sources == nullptr) continue;
        for (const auto& source : *sources) {
          if (source.object == object && record_id_key(source.id) == key) continue;
          claims.push_back(
              {source.subject,
               source.proven,
               "key",
               rule.id,
               plan.schema->fields[index].name + " holds the " + rule.key + " identifier of " +
                   source.object + " " + source.id +
                   (source.proven ? "" : " (itself only possibly the subject's)"),
               rule.category.empty() ? plan.category : rule.category,
               source.proven ? rule.action.value_or(plan.action) : RecordAction::kReview,
               source.proven ? "high" : "low",
               std::string(value),
               {},
               source.object,
               source.id});
        }
      }
    }
  }

  // Declared relationships to reached parents.
  void related_claims(const Record& record, const ObjectPlan& plan,
                      const std::vector<std::string>& link_keys, std::vector<Claim>& claims) const {
    if (reached_.empty()) return;
    for (std::size_t i = 0; i < plan.related.size(); ++i) {
      const auto& link = plan.related[i];
      const auto& value = record.values[*link.via];
      if (link_keys[i].empty()) continue;
      const auto* parents = reached_.find(link_keys[i]);
      if (parents == nullptr || !all_hold(link.when, record)) continue;
      const auto& rule = *link.rule;
      for (const auto& parent : *parents) {
        if (std::find(link.to->begin(), link.to->end(), parent.object) == link.to->end()) continue;
        claims.push_back({parent.subject,
                          parent.proven,
                          "related",
                          rule.id,
                          link.via_name + " points to " + parent.object + " " + value_text(value) +
                              (parent.proven ? "" : " (itself only possibly the subject's)"),
                          rule.category.empty() ? plan.category : rule.category,
                          parent.proven ? rule.action.value_or(plan.action) : RecordAction::kReview,
                          parent.proven ? "high" : "low",
                          value_text(value),
                          {},
                          parent.object,
                          parent.id});
      }
    }
  }

  // Every string field (as prepared: the company's own people's records have none): identifiers
  // written in it, and ids of reached records that no rule declares as a reference.
  void field_mentions(const Record& record, const ObjectPlan& plan, const PreparedRecord& prepared,
                      ObjectState& state, const std::string& key, std::vector<Claim>& claims,
                      std::vector<Mention>& mentions) {
    for (const auto& value : prepared.values) {
      const auto index = value.field;
      const auto& text = std::get<std::string>(record.values[index]);
      for (const std::string_view token : value.ids) {
        const auto prefix = token.substr(0, 3);
        auto& prefixes = state.reads->reference_prefixes;
        if (prefixes.find(prefix) == prefixes.end()) prefixes.emplace(prefix);
        if (token == key) continue;
        if (const auto* ids = subjects_.by_id(token)) {
          for (const auto s : *ids)
            mentions.push_back({s, index, IdentifierKind::kId, std::string(token), {}});
        }
        if (plan.fields[index].link || reached_.empty()) continue;
        if (const auto* targets = reached_.find(token)) {
          for (const auto& target : *targets) {
            // A kept record (a Case, a business) is not the subject's: what points to it is not.
            if (!target.proven || target.kept) continue;
            claims.push_back({target.subject,
                              false,
                              "reference",
                              "undeclared-reference",
                              plan.schema->fields[index].name + " holds the id of " +
                                  target.object + " " + target.id +
                                  ", which no rule declares as a reference",
                              "record.reference",
                              RecordAction::kReview,
                              "low",
                              text,
                              {},
                              target.object,
                              target.id});
          }
        }
      }
      for (const auto& email : value.emails) {
        match_email(email, [&](SubjectIndex s, const std::string& doubt) {
          mentions.push_back({s, index, IdentifierKind::kEmail, email, doubt});
        });
      }
      // Checked again where a subject's number was learned since the record was prepared.
      bool phone = value.phone;
      if (prepared.phone_generation != phone_generation_) {
        phone = value.candidates.phone && phone_filter_.may_hold(text, phone_regions_);
      } else if (phone) {
        phone_regions_ = value.regions;
      }
      readings_.clear();
      if (phone) detector_.phones(text, phone_regions_, readings_, subject_number_);
      for (const auto& reading : readings_) {
        if (const auto* found = phones_for(reading.e164)) {
          for (const auto s : *found)
            mentions.push_back(
                {s, index, IdentifierKind::kPhone, reading.e164, phone_doubt(reading, s)});
        }
      }
      for (const auto& name : value.names) {
        for (const auto s : *subjects_.by_name(name))
          mentions.push_back({s, index, IdentifierKind::kName, name, "a name alone"});
      }
    }
  }

  // The subjects' emails or numbers of one kind that a whole field value holds.
  void subject_identifiers(IdentifierKind kind, const std::string& text,
                           std::vector<std::string>& out) {
    out.clear();
    if (kind == IdentifierKind::kEmail) {
      detector_.emails(text, out);
    } else if (kind == IdentifierKind::kPhone && phone_filter_.may_hold(text, phone_regions_)) {
      readings_ = subjects_.phones().read_all(text, phone_regions_, subject_number_);
      for (const auto& reading : readings_) out.push_back(reading.e164);
    }
    const auto& index = kind == IdentifierKind::kEmail ? emails_ : phones_;
    out.erase(
        std::remove_if(out.begin(), out.end(),
                       [&](const std::string& found) { return lookup(index, found) == nullptr; }),
        out.end());
  }

  const std::vector<SubjectIndex>* owners_of(IdentifierKind kind,
                                             const std::string& identifier) const {
    return kind == IdentifierKind::kEmail ? emails_for(identifier) : phones_for(identifier);
  }

  // A person record that holds a subject's email or number: who it names, to tell one person's
  // identifier from one that others hold too.
  void note_holder(const std::string& identifier, const Record& record, const ObjectPlan& plan) {
    if (auto name = person_name(record, plan); !name.empty())
      holders_[identifier].people.insert(std::move(name));
  }

  // The folded name on a person record (by its name rule), or empty.
  static std::string person_name(const Record& record, const ObjectPlan& plan) {
    for (const auto& identity : plan.identity) {
      if (identity.rule->kind != IdentifierKind::kName || !all_hold(identity.when, record))
        continue;
      std::string joined;
      join_name(record, identity, joined);
      if (auto folded = fold_name(joined); !folded.empty()) return folded;
    }
    return {};
  }

  // The texts of a name rule's fields, each followed by a space (then folded as one name).
  static void join_name(const Record& record, const PlanIdentity& identity, std::string& into) {
    into.clear();
    for (const auto index : identity.fields) {
      std::string storage;  // the text of a value that is not text
      into += value_text(record.values[index], storage);
      into += ' ';
    }
  }

  // Whether every record that may hold the emails and numbers behind these claims has been seen:
  // after a read of every person object (and every object with holder rules) begun once the
  // identifier was known, or (lookups) once it was searched for.
  bool holders_known(const std::string& identifier) const {
    if (holders_settled_) return true;
    if (lookups_) return searched_identifiers_.count(identifier) != 0;
    const auto known = known_at_.find(identifier);
    const std::uint64_t since = known == known_at_.end() ? 0 : known->second;
    return std::all_of(objects_.begin(), objects_.end(), [&](const auto& entry) {
      return !entry.second.holds_identifiers || traversal_.read_after(entry.first, since);
    });
  }
  bool holders_known(const std::vector<Claim>& claims, const std::vector<Mention>& mentions) const {
    return std::all_of(claims.begin(), claims.end(),
                       [&](const Claim& c) {
                         return c.identifier.empty() || holders_known(c.identifier);
                       }) &&
           std::all_of(mentions.begin(), mentions.end(), [&](const Mention& m) {
             return (m.kind != IdentifierKind::kEmail && m.kind != IdentifierKind::kPhone) ||
                    holders_known(m.matched);
           });
  }

  // An identifier that other people's records, or a business's, hold too proves nothing alone: a
  // claim made only by it is a review, and a mention of it is not erased without a look.
  void mark_shared(std::vector<Claim>& claims, std::vector<Mention>& mentions) const {
    const auto holders = [&](const std::string& identifier) -> const Holders* {
      const auto found = holders_.find(identifier);
      return found != holders_.end() && found->second.shared() ? &found->second : nullptr;
    };
    for (auto& claim : claims) {
      const auto* shared = claim.identifier.empty() ? nullptr : holders(claim.identifier);
      if (shared == nullptr) continue;
      claim.proven = false;
      claim.reason = "shared";
      claim.action = RecordAction::kReview;
      claim.confidence = "low";
      claim.detail += ", which " + sharers(*shared) + " also hold: check it is the request's";
    }
    for (auto& mention : mentions) {
      if (mention.kind != IdentifierKind::kEmail && mention.kind != IdentifierKind::kPhone)
        continue;
      const auto* shared = mention.doubt.empty() ? holders(mention.matched) : nullptr;
      if (shared == nullptr) continue;
      mention.shared = true;
      mention.doubt = "which " + sharers(*shared) + " also hold: check it is the request's";
    }
  }

  static std::string sharers(const Holders& holders) {
    if (!holders.business) return "other people's records";
    return holders.people.size() > 1 ? "other people's and a business's records"
                                     : "a business's records";
  }

  // Records that waited for the holders of their identifiers, evaluated again where those are now
  // known (all of them when `settle`: nothing more will be read to learn of other holders).
  void resolve_pending(bool settle) override {
    if (settle) holders_settled_ = true;
    if (pending_.empty()) return;
    auto waiting = std::move(pending_);
    pending_.clear();
    for (auto& [where, parked] : waiting) {
      const Traversal::Reevaluating late(traversal_, parked.record.object(), parked.place);
      evaluate(parked.record, plan_for(parked.record), objects_[parked.record.object()],
               parked.archived, parked.deleted);
    }
  }

  // What one record is to each subject it holds something of: the findings, and what the
  // traversal follows from it.
  void decide(const Record& record, const ObjectPlan& plan, const std::string& key, bool archived,
              bool deleted, const std::vector<Claim>& claims,
              const std::vector<Mention>& mentions) {
    std::set<SubjectIndex> touched;
    for (const auto& claim : claims) touched.insert(claim.subject);
    for (const auto& mention : mentions) touched.insert(mention.subject);
    // A record whose export has no `Id` column (a Dataverse table's `contactid`) has its id in
    // the key: the stages see the id the findings carry.
    std::optional<Record> with_key;
    if (record.id.empty() && !touched.empty()) {
      with_key = record;
      with_key->id = key;
    }
    for (const auto subject : touched) {
      for (auto* stage : options_.stages)
        stage->record_found(with_key ? *with_key : record, subject);
      const RecordFindings out{*this, record, plan, key, subject, archived, deleted};
      const auto* best = strongest_claim(claims, subject);
      if (best == nullptr) {
        mention_findings(out, mentions, false, true);
        continue;
      }
      follow(record, plan, key, subject, *best);
      record_findings(out, *best, mentions);
    }
  }

  // The strongest claim of a subject on a record: proven before possible, then the stronger action,
  // then the surer confidence, then rule order; null when it has none.
  static const Claim* strongest_claim(const std::vector<Claim>& claims, SubjectIndex subject) {
    const auto strength = [](const Claim& claim) {
      const int confidence = claim.confidence == "high" ? 3 : claim.confidence == "medium" ? 2 : 1;
      return std::tuple(claim.proven, record_action_rank(claim.action), confidence);
    };
    const Claim* best = nullptr;
    for (const auto& claim : claims) {
      if (claim.subject == subject && (best == nullptr || strength(claim) > strength(*best)))
        best = &claim;
    }
    return best;
  }

  // What the traversal takes from a record that belongs to a subject. A record only up for
  // review passes no more than a review on to what hangs off it. One that shares only a name, an
  // identifier others hold too, or that merely points to a record of the subject's (a business
  // Account whose primary contact the subject is) passes nothing on: what hangs off it is its
  // own, not the subject's.
  void follow(const Record& record, const ObjectPlan& plan, const std::string& key,
              SubjectIndex subject, const Claim& best) {
    if (best.reason != "name" && best.reason != "shared" && best.reason != "reference") {
      const bool proven = best.proven && best.action != RecordAction::kReview;
      mark_reached(key, record, subject, proven, best.action == RecordAction::kEraseFields);
      share_keys(record, plan, key, subject, proven);
    }
    if (best.proven) follow_pointers(record, plan, key, subject);
    if (best.proven && plan.person && best.action == RecordAction::kDeleteRecord)
      learn_identifiers(record, plan, subject);
  }

  // The findings of one record for one subject, made alike.
  struct RecordFindings {
    Scan& scan;
    const Record& record;
    const ObjectPlan& plan;
    const std::string& key;
    SubjectIndex subject;
    bool archived;
    bool deleted;

    void add(const std::string& field, Action action, const std::string& category,
             const std::string& reason, const std::string& rule, const std::string& detail,
             const std::string& confidence, const std::string& matched,
             const Claim* via = nullptr) const {
      Finding f;
      if (via != nullptr) {
        f.via_object = via->via_object;
        f.via_record_id = via->via_id;
      }
      f.request_id = scan.subjects_.subjects()[subject].request_id;
      f.connector = scan.report_.connector;
      f.object = record.object();
      f.record_id = record.id.empty() ? key : record.id;
      f.field = field;
      f.category = category;
      f.action = action;
      f.reason = reason;
      f.rule = rule;
      f.detail = detail;
      f.confidence = confidence;
      f.archived = archived;
      f.deleted = deleted;
      f.preview = preview_of(matched, scan.options_.show_values);
      f.location = record.location();
      scan.add_finding(subject, key, std::move(f));
    }
    const std::string& field_name(std::size_t index) const {
      return plan.schema->fields[index].name;
    }
    // The stages keep the text of a field whose identifiers are to be erased (its rewrite).
    void text_to_erase(std::size_t index) const {
      const auto* text = std::get_if<std::string>(&record.values[index]);
      if (text == nullptr) return;
      for (auto* stage : scan.options_.stages) {
        stage->text_to_erase(record.object(), record.id.empty() ? key : record.id,
                             field_name(index), *text);
      }
    }
  };

  // Field by field: an identifier that is the subject's makes it an erasure; a name alone, a
  // sub-addressed email or a number whose country is uncertain a review (unless the record is
  // the subject's, its fields listed for erasure — `owned` — or already up for review as a
  // whole: `doubtful` false).
  static void mention_findings(const RecordFindings& out, const std::vector<Mention>& mentions,
                               bool owned, bool doubtful) {
    const auto rank = [](const Mention& m) {
      return m.kind == IdentifierKind::kName ? 0 : m.doubt.empty() ? 2 : 1;
    };
    std::map<std::size_t, const Mention*> by_field;
    for (const auto& m : mentions) {
      if (m.subject != out.subject || (!doubtful && !m.doubt.empty())) continue;
      auto& slot = by_field[m.field];
      if (slot == nullptr || rank(m) > rank(*slot)) slot = &m;
    }
    for (const auto& [index, m] : by_field) {
      const auto& info = out.plan.fields[m->field];
      const auto category = info.field_rule != nullptr  ? info.field_rule->category
                            : info.text_rule != nullptr ? info.text_rule->category
                                                        : kind_category(m->kind);
      const bool name = m->kind == IdentifierKind::kName;
      const bool weak = !m->doubt.empty() && !owned;
      if (!weak) out.text_to_erase(index);
      out.add(out.field_name(index), weak ? Action::kReview : Action::kEraseField, category,
              weak && name ? "name" : (weak && m->shared ? "shared" : "text"),
              info.field_rule != nullptr  ? info.field_rule->id
              : info.text_rule != nullptr ? info.text_rule->id
              : name                      ? "name-in-text"
                                          : "identifier-in-text",
              out.field_name(index) + " mentions the request's " + std::string(kind_name(m->kind)) +
                  (weak && !name ? " (" + m->doubt + ")" : ""),
              weak ? "low" : "medium", m->matched);
    }
  }

  // The findings of a record that belongs (or may belong) to a subject, by its strongest claim.
  static void record_findings(const RecordFindings& out, const Claim& best,
                              const std::vector<Mention>& mentions) {
    // What the pack says a reviewer does with a record of the subject's that is kept.
    const auto guided = [&](std::string detail) {
      return out.plan.guidance.empty() || !best.proven ? detail : detail + ". " + out.plan.guidance;
    };
    if (!best.proven || best.action == RecordAction::kReview) {
      out.add("", Action::kReview, best.category, best.reason, best.rule, guided(best.detail),
              best.confidence, best.matched, &best);
      if (!best.proven) mention_findings(out, mentions, false, false);
      return;
    }
    if (best.action == RecordAction::kDeleteRecord) {
      out.add("", Action::kDeleteRecord, best.category, best.reason, best.rule, best.detail,
              best.confidence, best.matched, &best);
      // Deleting the record leaves a recording it links to where it is stored.
      content_findings(out);
      return;
    }
    // Erase the personal fields and keep the record: say so on the record, then list them.
    out.add(
        "", Action::kReview, best.category, best.reason, best.rule,
        guided(best.detail + "; the record is kept, its personal fields are listed for erasure"),
        best.confidence, best.matched, &best);
    const auto& values = out.record.values;
    for (std::size_t index = 0; index < out.plan.fields.size() && index < values.size(); ++index) {
      const auto* rule = out.plan.fields[index].field_rule;
      if (rule == nullptr || rule->action == Action::kDeleteContent || value_empty(values[index]))
        continue;
      out.add(out.field_name(index), rule->action, rule->category, "field", rule->id,
              out.field_name(index) + " is personal data on a record of the request's", "high",
              value_text(values[index]));
    }
    content_findings(out);
    mention_findings(out, mentions, true, true);
  }

  // Fields that link to content kept outside the record (a recording): delete it where it is.
  static void content_findings(const RecordFindings& out) {
    const auto& values = out.record.values;
    for (std::size_t index = 0; index < out.plan.fields.size() && index < values.size(); ++index) {
      const auto* rule = out.plan.fields[index].field_rule;
      if (rule == nullptr || rule->action != Action::kDeleteContent || value_empty(values[index]))
        continue;
      out.add(out.field_name(index), Action::kDeleteContent, rule->category, "field", rule->id,
              out.field_name(index) +
                  " points to content kept outside the record: delete it where it is stored",
              "high", value_text(values[index]));
    }
  }

  void add_finding(SubjectIndex subject, const std::string& key, Finding finding) {
    // A finding that cannot be acted on is no finding: the export lacks the object's id column.
    if (key.empty()) {
      if (objects_without_ids_.insert(finding.object).second) {
        report_.errors.push_back(
            {finding.object, finding.location + ": a record of " + finding.object +
                                 " holds the request's data but has no id (the file lacks the "
                                 "object's id column): nothing in it can be erased by id"});
      }
      return;
    }
    findings_.add(subject, key, std::move(finding));
  }

  void mark_reached(const std::string& key, const Record& record, SubjectIndex subject, bool proven,
                    bool kept) {
    if (key.empty()) return;
    const auto& object = record.object();
    auto& entries = reached_[key];
    for (auto& entry : entries) {
      if (entry.subject != subject || entry.object != object) continue;
      if (proven && !entry.proven) {
        entry.proven = true;
        entry.kept = kept;
        traversal_.record_reached(object, key, entry.id);
      }
      return;
    }
    entries.push_back({subject, object, proven, record.id.empty() ? key : record.id, kept});
    traversal_.record_reached(object, key, entries.back().id);
  }

  // The keys (a call's identifier) of a reached record: records elsewhere that hold the same
  // key are the subject's too.
  void share_keys(const Record& record, const ObjectPlan& plan, const std::string& key,
                  SubjectIndex subject, bool proven) {
    for (const auto& plan_key : plan.keys) {
      if (!all_hold(plan_key.when, record)) continue;
      const auto& name = plan_key.rule->key;
      for (const auto index : plan_key.fields) {
        std::string storage;  // the text of a value that is not text
        const auto& text = value_text(record.values[index], storage);
        const auto value = trim(text);
        if (value.size() < kMinKeyLength) continue;
        auto& sources = keys_reached_[key_id(name, value)];
        const auto id = record.id.empty() ? key : record.id;
        auto known = std::find_if(sources.begin(), sources.end(), [&](const Reached& r) {
          return r.subject == subject && r.object == record.object() && r.id == id;
        });
        if (known != sources.end() && (known->proven || !proven)) continue;
        const bool echo = std::any_of(sources.begin(), sources.end(), [&](const Reached& r) {
          return r.subject == subject && (r.proven || !proven);
        });
        if (known != sources.end()) {
          known->proven = true;
        } else {
          sources.push_back({subject, record.object(), proven, id});
        }
        traversal_.key_reached(name, value, echo);
      }
    }
  }

  static std::string key_id(const std::string& name, std::string_view value) {
    std::string id;
    key_id(name, value, id);
    return id;
  }
  static void key_id(const std::string& name, std::string_view value, std::string& into) {
    into.assign(name).append(1, '\x1f').append(value);
  }

  void follow_pointers(const Record& record, const ObjectPlan& plan, const std::string& key,
                       SubjectIndex subject) {
    for (const auto& link : plan.reaches) {
      const auto& value = record.values[*link.via];
      if (value_empty(value) || !all_hold(link.when, record)) continue;
      const auto target = record_id_key(value_text(value));
      auto& pointers = pointers_[target];
      const bool known = std::any_of(pointers.begin(), pointers.end(), [&](const Pointer& p) {
        return p.subject == subject && p.rule == link.rule;
      });
      if (known) continue;
      pointers.push_back({subject, link.rule, link.to, link.via_name, record.object(),
                          record.id.empty() ? key : record.id});
      traversal_.pointer_found(target, link.to, value_text(value));
    }
  }

  // The findings in order into the report. A record to delete needs no field-by-field list for
  // the same request: its record-level finding (no field) comes first of the record's.
  void finish() {
    report_.findings.set_budget(options_.findings_memory, options_.spill_folder);
    std::tuple<SubjectIndex, std::string, std::string> record;  // of the last finding
    bool record_deleted = false;
    findings_.drain([&](SubjectIndex subject, const std::string& key, Finding& finding) {
      if (std::get<0>(record) != subject || std::get<1>(record) != finding.object ||
          std::get<2>(record) != key) {
        record = {subject, finding.object, key};
        record_deleted = false;
      }
      if (finding.field.empty()) {
        record_deleted = finding.action == Action::kDeleteRecord;
      } else if (record_deleted && finding.action != Action::kDeleteContent) {
        return;
      }
      // Taken here, for the findings reported alone (a SHA-256 each): most of those given during
      // the scan are given again by records read again (24,810 given at 9,149 places for ten
      // thousand requests on the bench's 100 MB of person objects).
      finding.fingerprint =
          finding_fingerprint(finding.request_id, report_.crm, finding.object, key, finding.field);
      report_.findings.push_back(std::move(finding));
    });
    report_.api_calls = connector_.api_calls();
    report_.finished = utc_now();
  }

  Connector& connector_;
  const RuleSet& rules_;
  const SubjectSet& subjects_;
  const ScanOptions& options_;
  IdentifierDetector detector_;
  Traversal traversal_;
  Report report_;
  std::map<std::string, ObjectState> objects_;
  // The object state of the last record consumed.
  std::pair<const std::string, ObjectState>* consuming_ = nullptr;
  // Looked up for the ids and keys of every record read, nearly all of them none of these.
  TextIndex<std::vector<Reached>> reached_;
  TextIndex<std::vector<Pointer>> pointers_;
  bool lookups_ = false;         // whether records are looked up rather than all read
  IdentifierIndex emails_;       // the subjects' own, then those learned from their person records
  IdentifierIndex email_bases_;  // the same without their sub-address (email_base)
  IdentifierIndex phones_;
  // Numbers learned from the subjects' records that no numbering plan allocates: review only.
  std::set<std::pair<std::string, SubjectIndex>> unverified_phones_;
  // Requests whose own number, unallocated, was found written without its country code.
  std::set<SubjectIndex> unallocated_requests_;
  // Where each subject's national numbers are read: the default region and their numbers'.
  std::vector<std::vector<std::string>> subject_regions_;
  std::set<std::string> person_ids_;           // ids of the subjects' person records
  std::set<std::string> objects_without_ids_;  // objects whose records had findings but no id
  // Reached records by the keys they hold (key_id: a call's identifier), and those whose
  // holders lookups have not asked for yet (key name, value).
  TextIndex<std::vector<Reached>> keys_reached_;
  // Who holds each of the subjects' emails and numbers, and when each became a subject's
  // (learned ones; those of the requests are known from the start).
  std::unordered_map<std::string, Holders> holders_;
  std::unordered_map<std::string, std::uint64_t> known_at_;
  std::unordered_set<std::string>
      searched_identifiers_;      // lookups: searched, so their holders seen
  bool holders_settled_ = false;  // nothing more will be read: the holders seen are all there are
  // Records waiting for the holders of their identifiers to be known, by object and key.
  struct Parked {
    Record record;
    bool archived = false;
    bool deleted = false;
    std::uint64_t place = 0;  // where the traversal read it
  };
  std::map<std::string, Parked> pending_;
  PhoneDigitsFilter phone_filter_;
  std::uint64_t phone_generation_ = 0;                       // numbers added to the filter
  std::shared_ptr<const PhoneDigitsFilter> phone_snapshot_;  // for the workers
  std::uint64_t phone_snapshot_generation_ = 0;
  Preparer preparer_;           // this thread's
  bool reading_again_ = false;  // the record evaluated is read in a pass that reads it again
  // The object read keeps what its records hold of emails and numbers (keeps_identifiers).
  bool holds_identifiers_ = false;
  std::vector<Preparer> worker_preparers_;  // one per worker thread
  PreparedRecord prepared_;
  std::vector<std::string> phone_regions_;  // the regions to read one text's numbers in
  std::vector<PhoneReading> readings_;      // the numbers read in one value
  std::vector<std::string> scratch_;        // the emails found in one value
  std::string name_joined_, name_folded_;   // a person record's name, as written and folded
  std::string key_scratch_;                 // a key looked up for one record
  std::vector<std::pair<std::size_t, std::size_t>> name_words_;
  // Only the subjects' numbers are worth weighing.
  const PhoneNormalizer::Wanted subject_number_ = [this](const std::string& e164) {
    return phones_.contains(e164);
  };
  // Ordered by request, object, record and field, so that reports come out the same every run.
  FindingStore findings_{options_.findings_memory, options_.spill_folder};
  // The progress observer hears of the counts every kProgressEvery records: a countdown per
  // record costs nothing measurable, a call per record might.
  static constexpr std::size_t kProgressEvery = 1024;
  std::size_t progress_countdown_ = kProgressEvery;
};

}  // namespace

Report run_scan(Connector& connector, const RuleSet& rules, const SubjectSet& subjects,
                const ScanOptions& options) {
  auto report = Scan(connector, rules, subjects, options).run();
  for (auto* stage : options.stages) stage->run(report);
  if (!options.stages.empty()) report.finished = utc_now();
  return report;
}

}  // namespace crmscan

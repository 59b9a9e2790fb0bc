#pragma once

#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan {

/// What a finding asks the user to do.
enum class Action { kDeleteRecord, kEraseField, kDeleteContent, kReview };
/// What to do with a record that belongs to the subject.
enum class RecordAction { kDeleteRecord, kEraseFields, kReview };
/// The kind of identifier a field holds.
enum class IdentifierKind { kEmail, kPhone, kName, kId };
/// The shape of a CRM's record ids, which says where an id can be recognised in a field that no
/// rule declares as a reference: Salesforce ids and GUIDs also as words inside text, numeric ids
/// and other keys only as a whole field value (a number inside text is no proof of anything).
enum class IdShape { kKey, kSalesforce, kGuid, kNumber };

std::string_view to_string(Action action);
std::string_view to_string(RecordAction action);

/// A field name or a glob of names ("*Phone*", "NVMConnect__*__c"), matched case-insensitively.
class NamePattern {
 public:
  NamePattern() = default;
  /// Throws std::invalid_argument for a glob that is not well-formed.
  explicit NamePattern(std::string pattern);
  bool matches(std::string_view name) const;
  bool is_glob() const { return regex_ != nullptr; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<RE2> regex_;
};

/// Where a rule stands in its file, for messages.
struct SourceMark {
  std::string file;
  int line = 0;
  int column = 0;
  std::string where() const;
};

/// A test on one field of a record; `any` holds alternatives, one of which must hold.
struct Condition {
  enum class Op { kEquals, kIn, kPresent, kPrefix, kRegex, kAny };
  Op op = Op::kPresent;
  std::string field;
  std::vector<std::string> values;  ///< for equals (one value), in, prefix
  bool present = true;
  std::shared_ptr<RE2> regex;
  std::vector<Condition> any;
};

/// What every rule that reaches a record carries.
struct RuleBase {
  std::string id;
  std::vector<Condition> when;
  std::string category;                ///< empty: the object's default
  std::optional<RecordAction> action;  ///< empty: the object's default
  SourceMark mark;
};

/// A field whose value finds the subject's record (the root of a request), or, with `in_text`,
/// a field whose text holds the subject's identifier (a Task Subject with the caller's number).
struct IdentityRule : RuleBase {
  IdentifierKind kind = IdentifierKind::kEmail;
  std::vector<NamePattern> fields;  ///< for names: values joined with spaces (FirstName, LastName)
  bool in_text = false;
};

/// A reference field through which a record belongs to a reached parent record.
struct RelationRule : RuleBase {
  std::string via;
  std::vector<std::string> to;
};

/// A reference field of a reached record whose target belongs to the subject as well
/// (Lead.ConvertedContactId, Contact.IndividualId).
struct ReachRule : RuleBase {
  std::string via;
  std::vector<std::string> to;
};

/// A field whose value names one real-world thing that records of several objects share (a
/// call's identifier on its Task, its interaction events and its voice call): a record that
/// shares a key with a reached record is reached too.
struct KeyRule : RuleBase {
  std::string key;  ///< what the value names ("call"): values match only keys of the same name
  std::vector<NamePattern> fields;
};

/// A field that holds personal data: erased (or reviewed) when its record is kept.
struct FieldRule {
  std::string id;
  NamePattern name;  ///< empty when the rule matches by type
  std::string type;  ///< CRM field type, when the connector knows it
  std::string category;
  Action action = Action::kEraseField;
  SourceMark mark;
};

/// Free-text fields searched for the subject's identifiers.
struct TextRule {
  std::string id;
  std::vector<NamePattern> fields;
  std::string category = "free_text";
  SourceMark mark;
};

/// The rules of one object (or every object whose name matches a glob).
struct ObjectRules {
  NamePattern object;
  std::string category;                ///< of its records reached by identity; empty: "record"
  std::optional<RecordAction> action;  ///< for them; empty: delete_record
  /// Its records are people (Contact, Lead, Person Account): the emails and phone numbers of one
  /// that belongs to the subject are looked for too, wherever else they are written.
  std::optional<bool> person;
  /// Its records are the company's own people (agents' User records): the generic text scan and
  /// undeclared references never give them findings.
  std::optional<bool> staff;
  /// What a reviewer does with one of its records that is kept ("clear ContactId before the
  /// Contact is deleted"): the detail of its review findings ends with it.
  std::string guidance;
  std::string id_field = "Id";
  std::string archived_field = "IsArchived";
  std::string deleted_field = "IsDeleted";
  std::vector<IdentityRule> identity;
  std::vector<RelationRule> related;
  std::vector<ReachRule> reaches;
  std::vector<FieldRule> fields;
  std::vector<TextRule> text;
  std::vector<KeyRule> keys;
  /// Fields where a business, not a person, holds an email or a number (a switchboard, a team
  /// mailbox): an identifier found there is not one person's alone.
  std::vector<IdentityRule> holders;
  SourceMark mark;
};

/// One YAML rule pack.
struct RulePack {
  std::string id;
  std::string crm;
  std::string product;
  std::string version;
  std::string description;
  std::vector<std::string> references;
  std::vector<std::string> extends;
  std::optional<IdShape> ids;  ///< the CRM's record ids; empty: as the packs it extends say
  std::string path;
  std::string sha256;
  std::vector<ObjectRules> objects;
  SourceMark mark;          ///< of its `pack` id
  SourceMark extends_mark;  ///< of its `extends` list
};

/// Loads one pack strictly; throws ConfigError naming file:line:column and the rule. A file that
/// the run loaded before, by the same path and with the same bytes, is not parsed again.
RulePack load_rule_pack(const std::string& path);

/// The packs of a run, merged: a pack's objects after those of the packs it extends, a rule
/// with the id of an earlier one replacing it.
class RuleSet {
 public:
  /// Loads packs from files and folders (folders recursively, `*.yaml` but not `*.test.yaml`),
  /// resolving `extends` among them and then among the packs beside the extending one.
  static RuleSet load(const std::vector<std::string>& paths);
  /// A set of packs already loaded (tests).
  static RuleSet from_packs(std::vector<RulePack> packs);

  const std::vector<RulePack>& packs() const { return packs_; }
  const std::vector<ObjectRules>& objects() const { return objects_; }
  /// The merged rules that apply to an object: exact entries and matching globs, in order.
  std::vector<const ObjectRules*> rules_for(std::string_view object) const;
  /// True when some pack has rules for the object (by name or glob).
  bool is_defined(std::string_view object) const;
  /// The shape of the record ids, as the packs declare it (`ids:`); kKey when none does.
  IdShape id_shape() const { return id_shape_; }

 private:
  void merge();
  void validate() const;
  std::vector<RulePack> packs_;
  std::vector<ObjectRules> objects_;
  IdShape id_shape_ = IdShape::kKey;
};

/// Every pack file below the paths (files as given, folders recursively).
std::vector<std::string> find_pack_files(const std::vector<std::string>& paths);

/// The folder of the rule packs shipped with crmscan, one folder per CRM in it: $CRMSCAN_RULES
/// when set, else `share/crmscan/rules` of the prefix the program is installed in (or a `rules`
/// folder beside the program), else the source tree it was built from.
std::string shipped_rules_root();

}  // namespace crmscan

// The plan of one object: its rules bound to a schema's field positions, compiled once, so that
// matching a record reads its fields by position.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/rules.hpp"

namespace crmscan::scanning {

struct PlanCondition {
  Condition::Op op = Condition::Op::kPresent;
  std::optional<std::size_t> field;
  const Condition* source = nullptr;
  std::vector<PlanCondition> any;
};

/// A rule bound to the positions of the fields it reads.
template <typename Rule>
struct PlanFieldsRule {
  const Rule* rule = nullptr;
  std::vector<std::size_t> fields;
  std::vector<PlanCondition> when;
};
using PlanIdentity = PlanFieldsRule<IdentityRule>;
using PlanKey = PlanFieldsRule<KeyRule>;

struct PlanLink {
  const RuleBase* rule = nullptr;
  std::string via_name;
  std::optional<std::size_t> via;
  const std::vector<std::string>* to = nullptr;
  std::vector<PlanCondition> when;
};

struct PlanField {
  const FieldRule* field_rule = nullptr;
  const TextRule* text_rule = nullptr;
  bool link = false;  ///< a declared relation or reach field: its ids are not undeclared references
};

struct ObjectPlan {
  std::shared_ptr<const ObjectSchema> schema;
  bool ruled = false;
  bool person = false;
  bool staff = false;
  std::string guidance;
  std::string category = "record";
  RecordAction action = RecordAction::kDeleteRecord;
  std::optional<std::size_t> id, archived, deleted;
  std::vector<PlanIdentity> identity;
  std::vector<PlanIdentity> holders;
  /// The fields identity and holder rules read emails or numbers in, each once, whatever their
  /// conditions: what a subject's email or number learned later may be found in.
  std::vector<std::pair<std::size_t, IdentifierKind>> identifier_fields;
  std::vector<PlanKey> keys;
  std::vector<PlanLink> related;
  std::vector<PlanLink> reaches;
  std::vector<PlanField> fields;
  std::set<std::string> parents;  ///< objects its relation rules point to
};

/// The rules of `rules` for the schema's object, bound to its fields.
ObjectPlan compile_plan(const std::shared_ptr<const ObjectSchema>& schema, const RuleSet& rules);

/// Whether every condition holds for the record.
bool all_hold(const std::vector<PlanCondition>& conditions, const Record& record);

/// Whether a flag field is set (true, "true" in any case, or "1").
bool truthy(const Value& value);

}  // namespace crmscan::scanning

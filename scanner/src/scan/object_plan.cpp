#include "scan/object_plan.hpp"

#include <re2/re2.h>

#include <algorithm>

#include "crmscan/text.hpp"

namespace crmscan::scanning {
namespace {

PlanCondition compile_condition(const Condition& condition, const ObjectSchema& schema) {
  PlanCondition compiled;
  compiled.op = condition.op;
  compiled.source = &condition;
  if (condition.op == Condition::Op::kAny) {
    for (const auto& alternative : condition.any) {
      compiled.any.push_back(compile_condition(alternative, schema));
    }
  } else {
    compiled.field = schema.index_of(condition.field);
  }
  return compiled;
}

std::vector<PlanCondition> compile_conditions(const std::vector<Condition>& conditions,
                                              const ObjectSchema& schema) {
  std::vector<PlanCondition> compiled;
  for (const auto& condition : conditions) compiled.push_back(compile_condition(condition, schema));
  return compiled;
}

bool holds(const PlanCondition& condition, const Record& record) {
  if (condition.op == Condition::Op::kAny) {
    return std::any_of(condition.any.begin(), condition.any.end(),
                       [&](const PlanCondition& c) { return holds(c, record); });
  }
  const Value* value = condition.field && *condition.field < record.values.size()
                           ? &record.values[*condition.field]
                           : nullptr;
  const bool present = value != nullptr && !value_empty(*value);
  const auto& source = *condition.source;
  std::string storage;  // the text of a value that is not text
  switch (condition.op) {
    case Condition::Op::kPresent:
      return present == source.present;
    case Condition::Op::kEquals:
    case Condition::Op::kIn: {
      if (value == nullptr) return false;
      const auto& text = value_text(*value, storage);
      return std::any_of(source.values.begin(), source.values.end(),
                         [&](const std::string& v) { return iequals(v, text); });
    }
    case Condition::Op::kPrefix: {
      if (!present) return false;
      const auto& text = value_text(*value, storage);
      const auto& prefix = source.values.front();
      return text.size() >= prefix.size() &&
             iequals(std::string_view(text).substr(0, prefix.size()), prefix);
    }
    case Condition::Op::kRegex: {
      if (!present) return false;
      return RE2::PartialMatch(value_text(*value, storage), *source.regex);
    }
    case Condition::Op::kAny:
      break;
  }
  return false;
}

// The positions of the schema's fields that the patterns name, each once, in schema order within
// each pattern.
std::vector<std::size_t> matching_fields(const std::vector<NamePattern>& patterns,
                                         const ObjectSchema& schema) {
  std::vector<std::size_t> fields;
  for (const auto& pattern : patterns) {
    for (std::size_t i = 0; i < schema.fields.size(); ++i) {
      if (pattern.matches(schema.fields[i].name) &&
          std::find(fields.begin(), fields.end(), i) == fields.end()) {
        fields.push_back(i);
      }
    }
  }
  return fields;
}

}  // namespace

bool all_hold(const std::vector<PlanCondition>& conditions, const Record& record) {
  return std::all_of(conditions.begin(), conditions.end(),
                     [&](const PlanCondition& c) { return holds(c, record); });
}

ObjectPlan compile_plan(const std::shared_ptr<const ObjectSchema>& schema, const RuleSet& rules) {
  ObjectPlan plan;
  plan.schema = schema;
  plan.fields.resize(schema->fields.size());
  const auto object_rules = rules.rules_for(schema->object);
  plan.ruled = !object_rules.empty();
  std::string id_field = "Id", archived_field = "IsArchived", deleted_field = "IsDeleted";
  bool category_set = false, action_set = false;
  for (const auto* rules_of : object_rules) {
    if (!rules_of->category.empty() && !category_set) {
      plan.category = rules_of->category;
      category_set = true;
    }
    if (rules_of->person) plan.person = *rules_of->person;
    if (rules_of->staff) plan.staff = *rules_of->staff;
    if (!rules_of->guidance.empty()) plan.guidance = rules_of->guidance;
    if (rules_of->action && !action_set) {
      plan.action = *rules_of->action;
      action_set = true;
    }
    id_field = rules_of->id_field;
    archived_field = rules_of->archived_field;
    deleted_field = rules_of->deleted_field;
    for (const auto& rule : rules_of->identity) {
      PlanIdentity identity{&rule, matching_fields(rule.fields, *schema),
                            compile_conditions(rule.when, *schema)};
      // A name needs every part; a rule whose fields the object lacks has nothing to match.
      const bool complete =
          rule.kind != IdentifierKind::kName || identity.fields.size() == rule.fields.size();
      if (!identity.fields.empty() && complete) plan.identity.push_back(std::move(identity));
    }
    for (const auto& rule : rules_of->holders) {
      PlanIdentity holder{&rule, matching_fields(rule.fields, *schema),
                          compile_conditions(rule.when, *schema)};
      if (!holder.fields.empty()) plan.holders.push_back(std::move(holder));
    }
    for (const auto& rule : rules_of->keys) {
      PlanKey key{&rule, matching_fields(rule.fields, *schema),
                  compile_conditions(rule.when, *schema)};
      if (key.fields.empty()) continue;
      for (const auto index : key.fields) plan.fields[index].link = true;
      plan.keys.push_back(std::move(key));
    }
    const auto add_links = [&](const auto& list, std::vector<PlanLink>& into, bool parents) {
      for (const auto& rule : list) {
        // Parents come from the rules, not the schema: a JSON source names its fields only as
        // its records arrive.
        if (parents) plan.parents.insert(rule.to.begin(), rule.to.end());
        PlanLink link{&rule, rule.via, schema->index_of(rule.via), &rule.to,
                      compile_conditions(rule.when, *schema)};
        if (!link.via) continue;
        plan.fields[*link.via].link = true;
        into.push_back(std::move(link));
      }
    };
    add_links(rules_of->related, plan.related, true);
    add_links(rules_of->reaches, plan.reaches, false);
    for (const auto& rule : rules_of->fields) {
      for (std::size_t i = 0; i < schema->fields.size(); ++i) {
        const bool by_name = !rule.name.text().empty() && rule.name.matches(schema->fields[i].name);
        const bool by_type = !rule.type.empty() && iequals(rule.type, schema->fields[i].type);
        if ((by_name || by_type) && plan.fields[i].field_rule == nullptr)
          plan.fields[i].field_rule = &rule;
      }
    }
    for (const auto& rule : rules_of->text) {
      for (std::size_t i = 0; i < schema->fields.size(); ++i) {
        const bool matches =
            std::any_of(rule.fields.begin(), rule.fields.end(),
                        [&](const NamePattern& p) { return p.matches(schema->fields[i].name); });
        if (matches && plan.fields[i].text_rule == nullptr) plan.fields[i].text_rule = &rule;
      }
    }
  }
  plan.id = schema->index_of(id_field);
  plan.archived = schema->index_of(archived_field);
  plan.deleted = schema->index_of(deleted_field);
  for (const auto* rules : {&plan.identity, &plan.holders}) {
    for (const auto& rule : *rules) {
      const auto kind = rule.rule->kind;
      if (kind != IdentifierKind::kEmail && kind != IdentifierKind::kPhone) continue;
      for (const auto index : rule.fields) {
        const std::pair field{index, kind};
        if (std::find(plan.identifier_fields.begin(), plan.identifier_fields.end(), field) ==
            plan.identifier_fields.end())
          plan.identifier_fields.push_back(field);
      }
    }
  }
  return plan;
}

bool truthy(const Value& value) {
  if (const auto* flag = std::get_if<bool>(&value)) return *flag;
  std::string storage;
  const auto& text = value_text(value, storage);
  return iequals(text, "true") || text == "1";
}

}  // namespace crmscan::scanning

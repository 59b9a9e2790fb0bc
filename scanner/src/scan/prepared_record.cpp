#include "scan/prepared_record.hpp"

#include <variant>

#include "crmscan/normalize.hpp"
#include "crmscan/text.hpp"
#include "scan/evidence.hpp"

namespace crmscan::scanning {

const ObjectPlan& Preparer::plan_for(const Record& record) {
  auto& cached = plans_[record.schema.get()];
  if (!cached.schema) cached = compile_plan(record.schema, rules_);
  return cached;
}

namespace {

// record_id_key(value_text(value)), without a temporary string for a text value.
void id_key_of(const Value& value, std::string& into) {
  if (const auto* text = std::get_if<std::string>(&value)) return record_id_key(*text, into);
  into = record_id_key(value_text(value));
}

// The comparable form of a record's id (record_id_key), from its id or its plan's id field.
void record_key(const Record& record, const ObjectPlan& plan, std::string& into) {
  if (!record.id.empty()) return record_id_key(record.id, into);
  if (plan.id && *plan.id < record.values.size()) return id_key_of(record.values[*plan.id], into);
  into.clear();
}

void hold_emails(const std::vector<std::string>& emails, std::vector<std::uint64_t>& held) {
  for (const auto& email : emails) held.push_back(held_hash(Held::kEmail, email_base(email)));
}

}  // namespace

std::optional<std::uint64_t> learned_hash(IdentifierKind kind, const std::string& identifier) {
  if (kind == IdentifierKind::kEmail) return held_hash(Held::kEmail, email_base(identifier));
  if (kind == IdentifierKind::kPhone) return PhoneDigitsFilter::tail_hash_of(identifier);
  return std::nullopt;
}

void Preparer::prepare(const Record& record, const PhoneFilterSnapshot& phones,
                       PreparedRecord& into) {
  const auto& plan = plan_for(record);
  record_key(record, plan, into.key);
  into.held.clear();
  if (!into.key.empty()) into.held.push_back(held_hash(Held::kOwnId, into.key));
  into.link_keys.resize(plan.related.size());
  for (std::size_t i = 0; i < plan.related.size(); ++i) {
    const auto& value = record.values[*plan.related[i].via];
    into.link_keys[i].clear();
    if (value_empty(value)) continue;
    id_key_of(value, into.link_keys[i]);
    into.held.push_back(held_hash(Held::kMention, into.link_keys[i]));
  }
  std::string storage;  // the text of a value that is not text
  for (const auto& plan_key : plan.keys) {
    for (const auto index : plan_key.fields) {
      const auto& text = value_text(record.values[index], storage);
      const auto value = trim(text);
      if (value.size() >= kMinKeyLength)
        into.held.push_back(held_hash(Held::kKey, value, plan_key.rule->key));
    }
  }
  prepare_values(record, plan, phones, into);
  if (phones.identifiers) hold_identifiers(record, plan, into);
}

// The values field_mentions searches: every non-empty string but the record's id, none of the
// company's own people's records.
void Preparer::prepare_values(const Record& record, const ObjectPlan& plan,
                              const PhoneFilterSnapshot& phones, PreparedRecord& into) {
  into.values.clear();
  into.phone_generation = phones.generation;
  if (plan.staff) return;
  for (std::size_t index = 0; index < record.values.size() && index < plan.fields.size(); ++index) {
    const auto* text = std::get_if<std::string>(&record.values[index]);
    if (text == nullptr || text->empty() || (plan.id && index == *plan.id)) continue;
    // One pass over the value says which matchers can find something in it.
    const auto candidates = IdentifierDetector::value_candidates(*text);
    if (!candidates.id_token && !candidates.email && !candidates.phone && !candidates.words &&
        id_shape_ == IdShape::kSalesforce) {
      continue;
    }
    auto& value = into.values.add();
    value.field = index;
    value.candidates = candidates;
    const auto add_id = [&](std::string_view token) {
      value.ids.push_back(token);
      into.held.push_back(held_hash(Held::kMention, token));
    };
    if (id_shape_ == IdShape::kSalesforce) {
      IdentifierDetector::for_each_id_token(*text, value.candidates, add_id);
    } else {
      IdentifierDetector::for_each_id(*text, id_shape_, add_id);
    }
    if (value.candidates.email) {
      detector_.emails(*text, value.emails);
      if (phones.identifiers) hold_emails(value.emails, into.held);
    }
    if (value.candidates.phone) {
      value.phone = phones.filter->may_hold(*text, value.regions);
      if (phones.identifiers) PhoneDigitsFilter::add_tails(*text, into.held);
    }
    if (value.candidates.words)
      detector_.names(*text, [&](const std::string& name) { value.names.push_back(name); });
  }
}

// The emails and numbers of the fields that identity and holder rules read, whatever the value
// (field_mentions reads the string values above, which hold theirs already): a subject's email
// or number learned later is found in them.
void Preparer::hold_identifiers(const Record& record, const ObjectPlan& plan,
                                PreparedRecord& into) {
  const auto held_already = [&](std::size_t index, IdentifierKind kind) {
    for (const auto& value : into.values) {
      if (value.field == index)
        return kind == IdentifierKind::kEmail ? value.candidates.email : value.candidates.phone;
    }
    return false;
  };
  std::string storage;  // the text of a value that is not text
  for (const auto& [index, kind] : plan.identifier_fields) {
    if (value_empty(record.values[index]) || held_already(index, kind)) continue;
    const auto& text = value_text(record.values[index], storage);
    if (kind == IdentifierKind::kPhone) {
      PhoneDigitsFilter::add_tails(text, into.held);
    } else {
      emails_.clear();
      detector_.emails(text, emails_);
      hold_emails(emails_, into.held);
    }
  }
}

}  // namespace crmscan::scanning

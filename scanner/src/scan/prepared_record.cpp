#include "scan/prepared_record.hpp"

#include <variant>

namespace crmscan::scanning {

const ObjectPlan& Preparer::plan_for(const Record& record) {
  auto& cached = plans_[record.schema.get()];
  if (!cached.schema) cached = compile_plan(record.schema, rules_);
  return cached;
}

// The values field_mentions searches: every non-empty string but the record's id, none of the
// company's own people's records.
void Preparer::prepare(const Record& record, const PhoneFilterSnapshot& phones,
                       PreparedRecord& into) {
  into.values.clear();
  into.phone_generation = phones.generation;
  const auto& plan = plan_for(record);
  if (plan.staff) return;
  for (std::size_t index = 0; index < record.values.size() && index < plan.fields.size(); ++index) {
    const auto* text = std::get_if<std::string>(&record.values[index]);
    if (text == nullptr || text->empty() || (plan.id && index == *plan.id)) continue;
    auto& value = into.values.emplace_back();
    value.field = index;
    // One pass over the value says which matchers can find something in it.
    value.candidates = IdentifierDetector::candidates(*text);
    const auto id_text = id_shape_ != IdShape::kSalesforce || value.candidates.id_token
                             ? std::string_view(*text)
                             : std::string_view();
    IdentifierDetector::for_each_id(id_text, id_shape_,
                                    [&](std::string_view token) { value.ids.emplace_back(token); });
    if (value.candidates.email) detector_.emails(*text, value.emails);
    if (value.candidates.phone) value.phone = phones.filter->may_hold(*text, value.regions);
    if (value.candidates.words)
      detector_.names(*text, [&](const std::string& name) { value.names.push_back(name); });
  }
}

}  // namespace crmscan::scanning

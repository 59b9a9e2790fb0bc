#include "content_lookup.hpp"

#include <algorithm>

#include "crmscan/text.hpp"

namespace crmscan::vcc {
namespace {

constexpr const char* kConnector = "vcc_content";
constexpr const char* kObject = "Interaction";

std::string digits_of(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

std::string describe_item(const ContentItem& item) {
  std::string text = item.type.empty() ? "content" : item.type;
  std::string facts = item.content_type;
  if (item.content_length > 0)
    facts += (facts.empty() ? "" : ", ") + std::to_string(item.content_length) + " bytes";
  return facts.empty() ? text : text + " (" + facts + ")";
}

std::string calendar_day(std::int64_t seconds) {
  return format_utc(seconds).substr(0, 10);
}

}  // namespace

ContentLookup::ContentLookup(VccContentConnector& api, const SubjectSet& subjects, bool show_values)
    : api_(api), subjects_(subjects), show_values_(show_values) {}

std::unique_ptr<Stage> VccContentConnector::stage(const SubjectSet& subjects, bool show_values) {
  return std::make_unique<ContentLookup>(*this, subjects, show_values);
}

void ContentLookup::record_found(const Record& record, SubjectIndex subject) {
  const auto& fields = record.schema->fields;
  for (std::size_t i = 0; i < fields.size() && i < record.values.size(); ++i) {
    const auto& patterns = api_.guid_fields();
    if (std::none_of(patterns.begin(), patterns.end(),
                     [&](const NamePattern& p) { return p.matches(fields[i].name); })) {
      continue;
    }
    const auto guid = ascii_lower(trim(value_text(record.values[i])));
    if (!is_guid(guid)) continue;
    // A record is read again when a later pass re-reads its object.
    if (!seen_.emplace(record.object() + "/" + record.id, subject, fields[i].name).second) continue;
    calls_[guid].push_back({subject, record.object(), record.id, fields[i].name});
  }
}

void ContentLookup::add_findings(std::size_t subject, const Interaction& interaction, Action action,
                                 const std::string& reason, const std::string& rule,
                                 const std::string& why,
                                 std::map<FindingKey, Finding>& findings) const {
  const auto& request_id = subjects_.subjects()[subject].request_id;
  const auto& party = interaction.remote_party();
  for (const auto& item : interaction.content) {
    Finding finding;
    finding.request_id = request_id;
    finding.connector = kConnector;
    finding.object = kObject;
    finding.record_id = interaction.guid;
    finding.field = item.content_key;
    finding.category = content_category(item.type);
    finding.action = action;
    finding.reason = reason;
    finding.rule = rule;
    finding.detail = describe_item(item) + " of " + why;
    finding.confidence = action == Action::kDeleteContent ? "high" : "medium";
    finding.preview = preview_of(party, show_values_);
    finding.location = "interactions/" + interaction.guid;
    auto [slot, inserted] =
        findings.try_emplace({subject, interaction.guid, item.content_key}, finding);
    if (inserted) continue;
    // Found both ways: the call GUID names the CRM record, the number search confirms it.
    auto& existing = slot->second;
    if (existing.action != Action::kDeleteContent && action == Action::kDeleteContent) {
      existing.action = action;
      existing.confidence = finding.confidence;
    }
    if (existing.reason != reason) existing.detail += "; " + why;
  }
}

void ContentLookup::run(Report& report) {
  const auto calls_before = api_.api_calls();
  // The record-level action the CRM scan gave each record, per request.
  // Only the records that hold a call GUID: the report may be large.
  std::map<std::tuple<std::string, std::string, std::string>, Action> record_actions;
  for (const auto& [guid, references] : calls_) {
    for (const auto& reference : references) {
      record_actions.try_emplace({subjects_.subjects()[reference.subject].request_id,
                                  reference.object, reference.record_id},
                                 Action::kReview);
    }
  }
  for (const auto& finding : report.findings) {
    if (!finding.field.empty()) continue;
    const auto found = record_actions.find({finding.request_id, finding.object, finding.record_id});
    if (found != record_actions.end()) found->second = finding.action;
  }
  std::map<FindingKey, Finding> findings;
  std::set<std::string> interactions_read;
  std::size_t missing = 0;
  const auto fail = [&report](const Error& error) {
    report.errors.push_back({kObject, error.what()});
  };

  try {
    for (const auto& [guid, references] : calls_) {
      std::optional<Interaction> interaction;
      try {
        interaction = api_.interaction(guid);
      } catch (const ContentApiError& e) {
        fail(e);
        continue;
      }
      if (!interaction) {
        ++missing;
        continue;
      }
      interactions_read.insert(guid);
      // Every record of a request that holds the GUID, named in the finding.
      std::map<std::size_t, std::pair<bool, std::string>> by_subject;  // delete?, records
      for (const auto& reference : references) {
        const auto& request_id = subjects_.subjects()[reference.subject].request_id;
        const auto action =
            record_actions.find({request_id, reference.object, reference.record_id});
        auto& [to_delete, records] = by_subject[reference.subject];
        to_delete = to_delete ||
                    (action != record_actions.end() && action->second == Action::kDeleteRecord);
        records += (records.empty() ? "" : ", ") + reference.object + " " + reference.record_id +
                   " (" + reference.field + ")";
      }
      for (const auto& [subject, facts] : by_subject) {
        const auto& [to_delete, records] = facts;
        add_findings(subject, *interaction, to_delete ? Action::kDeleteContent : Action::kReview,
                     "related", "vcc-content-call-guid",
                     std::string("the call whose GUID is held by ") + records +
                         (to_delete ? "" : ", a record only to be reviewed"),
                     findings);
      }
    }

    std::size_t numbers_searched = 0;
    if (const auto& range = api_.range()) {
      std::map<std::string, std::vector<std::size_t>> numbers;  // E.164 → subjects
      for (std::size_t s = 0; s < subjects_.subjects().size(); ++s) {
        for (const auto& phone : subjects_.subjects()[s].phones) numbers[phone].push_back(s);
      }
      for (const auto& entry : numbers) {
        // Named references, not structured bindings: lambdas below capture them (clang < 16).
        const auto& number = entry.first;
        const auto& owners = entry.second;
        ++numbers_searched;
        for (const std::string parameter : {"connectFrom", "connectTo"}) {
          const auto on_interaction = [&](Interaction&& interaction) {
            const auto& value =
                parameter == "connectFrom" ? interaction.connect_from : interaction.connect_to;
            // The API matches a prefix: a longer number that starts with this one is not it.
            const auto readings = subjects_.phones().parse_all(value);
            if (digits_of(value) != digits_of(number) &&
                std::find(readings.begin(), readings.end(), number) == readings.end()) {
              return;
            }
            interactions_read.insert(interaction.guid);
            // Only the remote party is the customer: connectTo is the company's own number on an
            // inbound call, connectFrom on an outbound one. A match on the company's side (a
            // customer whose number is a company line, or a call of unknown direction) is only
            // for review.
            const bool remote =
                !interaction.direction.empty() && &interaction.remote_party() == &value;
            for (const auto subject : owners) {
              if (remote) {
                add_findings(subject, interaction, Action::kDeleteContent, "identity",
                             "vcc-content-number",
                             "a call whose " + parameter +
                                 " (the remote party) is the request's phone number (found by "
                                 "number search)",
                             findings);
              } else {
                add_findings(
                    subject, interaction, Action::kReview, "company-side", "vcc-content-number",
                    "a call whose " + parameter +
                        " is the request's phone number on "
                        "the company's side of " +
                        (interaction.direction.empty() ? std::string("a call of unknown direction")
                                                       : "an " + interaction.direction + " call") +
                        ": check it is the request's",
                    findings);
              }
            }
          };
          // The platform stores numbers with and without the plus, and matches by prefix.
          for (const auto& form : {number, number.substr(number.starts_with('+') ? 1 : 0)}) {
            try {
              api_.search(parameter, form, *range, on_interaction);
            } catch (const ContentApiError& e) {
              fail(e);
            }
            if (!number.starts_with('+')) break;
          }
        }
      }
      report.notes.push_back("content: " + std::to_string(numbers_searched) +
                             " phone number(s) searched as connectFrom and connectTo from " +
                             calendar_day(range->start) + " to " + calendar_day(range->end - 1) +
                             " in " + std::to_string(VccContentConnector::windows(*range).size()) +
                             " 7-day window(s) each");
    } else {
      report.notes.push_back(
          "content: no --since/--until: interactions were looked up only by the call GUIDs that "
          "the CRM holds; give a range to search by the requests' phone numbers too");
    }
  } catch (const ContentApiStopped& e) {
    fail(e);
  } catch (const ConfigError& e) {
    fail(e);
  }

  const auto calls = api_.api_calls() - calls_before;
  report.notes.push_back("content: " + std::to_string(calls_.size()) +
                         " call GUID(s) in the CRM's records" +
                         (missing == 0 ? std::string()
                                       : " (" + std::to_string(missing) +
                                             " not in the content API: deleted, or past "
                                             "retention)") +
                         "; " + std::to_string(calls) + " content API call(s), " +
                         std::to_string(report.api_calls) + " CRM API call(s)");
  report.api_calls += calls;
  report.coverage.push_back({kObject, interactions_read.size(), 0, 0, 1, true});
  report.records_read += interactions_read.size();
  for (auto& [key, finding] : findings) {
    // The content API is its own system: its name stands where a CRM's would.
    finding.fingerprint = finding_fingerprint(finding.request_id, kConnector, finding.object,
                                              finding.record_id, finding.field);
    report.findings.push_back(std::move(finding));
  }
}

}  // namespace crmscan::vcc

// Dynamics 365 (Dataverse): each step is the body of one Web API `$batch` request — at most 1000
// requests, run in order, the first error stopping the rest. As Microsoft Learn's "Execute batch
// operations using the Web API" gives it: POST /api/data/v9.2/$batch with Content-Type
// multipart/mixed and a batch boundary; each request an application/http part with
// Content-Transfer-Encoding binary, its request line, headers, a blank line and its JSON body;
// CRLF line ends; the closing `--boundary--`. A lookup is cleared by setting its single-valued
// navigation property's `@odata.bind` to null ("Associate and disassociate table rows using the
// Web API"); `If-Match: *` keeps an update from creating a record that is gone. The ActivityParty
// table takes no delete (its reference lists RetrieveMultiple alone): its rows go with their
// activity.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <map>
#include <memory>
#include <set>

#include "crmscan/text.hpp"
#include "erasure.hpp"
#include "report/json_support.hpp"

namespace crmscan::plan {
namespace {

constexpr std::size_t kBatchLimit = 1000;
constexpr const char* kApi = "/api/data/v9.2/";

// The entity set of a table: Dataverse names it with the plural of the logical name
// (contact → contacts, activityparty → activityparties).
std::string entity_set(const std::string& logical) {
  const auto ends_with = [&logical](std::string_view end) {
    return logical.size() >= end.size() &&
           logical.compare(logical.size() - end.size(), end.size(), end) == 0;
  };
  if (ends_with("y") && logical.size() > 1 &&
      std::string_view("aeiou").find(logical[logical.size() - 2]) == std::string_view::npos)
    return logical.substr(0, logical.size() - 1) + "ies";
  for (const auto* end : {"s", "x", "z", "ch", "sh"}) {
    if (ends_with(end)) return logical + "es";
  }
  return logical + "s";
}

bool is_guid(const std::string& id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : std::isxdigit(static_cast<unsigned char>(id[i])) == 0) return false;
  }
  return true;
}

// A lookup's Web API property `_name_value`: its navigation property `name`, or empty.
std::string lookup_navigation(const std::string& field) {
  constexpr std::string_view kEnd = "_value";
  if (field.size() <= kEnd.size() + 1 || field.front() != '_' ||
      field.compare(field.size() - kEnd.size(), kEnd.size(), kEnd) != 0)
    return {};
  return field.substr(1, field.size() - kEnd.size() - 1);
}

std::string update_body(const PlannedRecord& record) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  for (const auto& [field, value] : record.updates) {
    const auto navigation = lookup_navigation(field);
    json_report::put_string(w, navigation.empty() ? field : navigation + "@odata.bind");
    if (value && navigation.empty())
      json_report::put_string(w, *value);
    else
      w.Null();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// One request of the batch: the part's headers, then the request itself.
std::string batch_part(const std::string& object, const std::string& operation,
                       const PlannedRecord& record) {
  const auto url = std::string(kApi) + entity_set(object) + "(" + record.id + ")";
  std::string part = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n";
  if (operation == "update") {
    part += "PATCH " + url + " HTTP/1.1\r\nContent-Type: application/json\r\nIf-Match: *\r\n\r\n" +
            update_body(record) + "\r\n";
  } else {
    part += "DELETE " + url + " HTTP/1.1\r\n\r\n\r\n";
  }
  return part;
}

class DataverseFormat : public StepFormat {
 public:
  explicit DataverseFormat(const RuleSet& rules) {
    for (const auto& object_rules : rules.objects()) {
      for (const auto& rule : object_rules.related) {
        auto& targets = lookup_targets_[{object_rules.object.text(), rule.via}];
        targets.insert(rule.to.begin(), rule.to.end());
      }
    }
  }

  std::string deleted_with_parent(const std::string& object) const override {
    return object == "activityparty" ? "Dataverse deletes an activity party only with its activity"
                                     : std::string();
  }

  std::string bad_id(const std::string& id) const override {
    return is_guid(id) ? std::string()
                       : "not a Dataverse record id (a GUID): no request is written for it";
  }

  std::string cannot_set(const std::string& object, const std::string& field) const override {
    if (lookup_navigation(field).empty()) return {};
    const auto targets = lookup_targets_.find({object, field});
    if (targets == lookup_targets_.end()) return "a lookup whose tables no rule declares";
    if (targets->second.size() > 1)
      return "a lookup of several tables, whose navigation property is named per table";
    return {};
  }

  std::vector<StepFile> files(const StepGroup& group, const std::string&) const override {
    std::vector<StepFile> files;
    for (std::size_t at = 0; at < group.records.size(); at += kBatchLimit) {
      std::vector<std::string> parts;
      std::string joined;
      for (std::size_t i = at; i < std::min(group.records.size(), at + kBatchLimit); ++i) {
        parts.push_back(batch_part(group.object, group.operation, *group.records[i]));
        joined += parts.back();
      }
      // A boundary made from the parts' own hash is in none of them.
      const auto boundary = "batch_" + sha256_hex(joined).substr(0, 32);
      StepFile file{group.operation,
                    "batch",
                    "",
                    parts.size(),
                    "POST",
                    std::string(kApi) + "$batch",
                    "multipart/mixed; boundary=" + boundary};
      for (const auto& part : parts) file.content += "--" + boundary + "\r\n" + part;
      file.content += "--" + boundary + "--\r\n";
      files.push_back(std::move(file));
    }
    return files;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::set<std::string>> lookup_targets_;
};

}  // namespace

std::unique_ptr<StepFormat> dataverse_step_format(const RuleSet& rules) {
  return std::make_unique<DataverseFormat>(rules);
}

}  // namespace crmscan::plan

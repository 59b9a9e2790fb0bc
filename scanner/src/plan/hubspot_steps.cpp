// HubSpot: each step is the body of one request of the CRM objects API's batch endpoints, at
// most 100 inputs (the batch endpoints' limit per request). As HubSpot's API reference gives them
// ("Archive a batch of objects by ID", "Update a batch of objects by internal ID"):
// POST /crm/v3/objects/{objectType}/batch/archive {"inputs":[{"id":"…"}]}, which moves the
// records to the recycling bin, and POST /crm/v3/objects/{objectType}/batch/update
// {"inputs":[{"id":"…","properties":{"name":"value"}}]}, an empty string clearing a property.
// HubSpot archives a record whatever is associated with it and drops its associations, so no
// association is cleared first; an association is not a property, and no update sets it.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "erasure.hpp"
#include "report/json_support.hpp"

namespace crmscan::plan {
namespace {

constexpr std::size_t kBatchLimit = 100;
constexpr std::string_view kProperties = "properties.";

class HubSpotFormat : public StepFormat {
 public:
  std::string bad_id(const std::string& id) const override {
    const bool number = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
    return number ? std::string()
                  : "not a HubSpot record id (a number): no request is written for it";
  }

  std::string cannot_set(const std::string&, const std::string& field) const override {
    return field.rfind(kProperties, 0) == 0
               ? std::string()
               : "not a property (HubSpot's batch update sets properties alone)";
  }

  bool reference_blocks_delete(const std::string&) const override { return false; }

  std::vector<StepFile> files(const StepGroup& group, const std::string&) const override {
    const bool update = group.operation == "update";
    std::vector<StepFile> files;
    for (std::size_t at = 0; at < group.records.size(); at += kBatchLimit) {
      const auto end = std::min(group.records.size(), at + kBatchLimit);
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
      w.StartObject();
      w.Key("inputs");
      w.StartArray();
      for (std::size_t i = at; i < end; ++i) write_input(w, *group.records[i], update);
      w.EndArray();
      w.EndObject();
      files.push_back(
          {group.operation, "json", std::string(buffer.GetString(), buffer.GetSize()) + "\n",
           end - at, "POST",
           "/crm/v3/objects/" + group.object + (update ? "/batch/update" : "/batch/archive"),
           "application/json"});
    }
    return files;
  }

 private:
  template <typename Writer>
  static void write_input(Writer& w, const PlannedRecord& record, bool update) {
    w.StartObject();
    json_report::write_string(w, "id", record.id);
    if (update) {
      w.Key("properties");
      w.StartObject();
      for (const auto& [field, value] : record.updates) {
        json_report::put_string(w, field.substr(kProperties.size()));
        json_report::put_string(w, value.value_or(std::string()));
      }
      w.EndObject();
    }
    w.EndObject();
  }
};

}  // namespace

std::unique_ptr<StepFormat> hubspot_step_format() {
  return std::make_unique<HubSpotFormat>();
}

}  // namespace crmscan::plan

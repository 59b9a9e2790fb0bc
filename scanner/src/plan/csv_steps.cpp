// Salesforce (and any CRM whose tools load CSV): the files Data Loader and `sf data delete bulk`
// / `sf data update bulk` load as they are — a delete file holds one id column, an update file
// the id and the fields to set, `#N/A` to blank one (Data Loader's null).
#include <memory>
#include <set>

#include "erasure.hpp"

namespace crmscan::plan {
namespace {

// A cell of a file that Data Loader and the sf CLI load: quoted when it must be, and never
// altered otherwise (a quote prefix against spreadsheet formulas would be loaded into the CRM).
std::string load_cell(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

class CsvFormat : public StepFormat {
 public:
  std::vector<StepFile> files(const StepGroup& group, const std::string& id_field) const override {
    StepFile file{group.operation, "csv", load_cell(id_field), group.records.size(), {}, {}, {}};
    std::set<std::string> fields;
    for (const auto* record : group.records) {
      for (const auto& [field, value] : record->updates) fields.insert(field);
    }
    if (group.operation != "update") fields.clear();
    for (const auto& field : fields) file.content += "," + load_cell(field);
    file.content += "\r\n";
    for (const auto* record : group.records) {
      file.content += load_cell(record->id);
      for (const auto& field : fields) {
        const auto value = record->updates.find(field);
        file.content += ",";
        if (value != record->updates.end())
          file.content += value->second ? load_cell(*value->second) : std::string("#N/A");
      }
      file.content += "\r\n";
    }
    return {file};
  }
};

}  // namespace

std::unique_ptr<StepFormat> csv_step_format() {
  return std::make_unique<CsvFormat>();
}

}  // namespace crmscan::plan

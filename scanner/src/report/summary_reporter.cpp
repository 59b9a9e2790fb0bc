#include <iomanip>
#include <map>

#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "report/reporters.hpp"

namespace crmscan {
namespace {

// A request's ticket and deadline, where the subjects file gives them ("  [ticket DPO-881,
// deadline 2026-12-29]").
std::string record_of(const Report& report, const std::string& request_id) {
  const auto record = report.request_records.find(request_id);
  if (record == report.request_records.end()) return {};
  std::string text;
  for (const auto& [key, value] :
       {std::pair{"ticket", &record->second.ticket}, {"deadline", &record->second.deadline}}) {
    if (!value->empty())
      text += (text.empty() ? "" : ", ") + std::string(key) + " " + scrub(*value);
  }
  return text.empty() ? text : "  [" + text + "]";
}

// The counts a person reads: by action, by object, by category, and whether the scan is complete.
class SummaryReporter : public Reporter {
 public:
  std::string format() const override { return "summary"; }
  std::string file_name() const override { return "summary.txt"; }
  void write(const Report& report, std::ostream& out) const override;
};

void SummaryReporter::write(const Report& report, std::ostream& out) const {
  std::map<std::string, std::map<std::string, std::size_t>> by_object, by_category;
  std::map<std::string, std::size_t> by_action;
  std::size_t decided = 0;
  for (const auto& f : report.findings) {
    const std::string action(to_string(f.action));
    ++by_object[f.object][action];
    ++by_category[f.category][action];
    ++by_action[action];
    decided += report.decisions.find(f.fingerprint) != nullptr ? 1 : 0;
  }
  // Names come from outside (file names, a server's object names): printed without control
  // characters, so that a name cannot move the cursor, clear the screen or forge a line.
  out << "crmscan " << report.tool_version << ": " << report.request_ids.size() << " request(s), "
      << report.coverage.size() << " object(s), " << report.records_read << " records read, "
      << report.api_calls << " API calls\n";
  out << "findings: " << report.findings.size();
  for (const auto& [action, count] : by_action) out << "  " << action << " " << count;
  if (decided != 0) out << "  (decided " << decided << ")";
  out << "\n";
  const auto table = [&out](const char* title,
                            const std::map<std::string, std::map<std::string, std::size_t>>& rows) {
    if (rows.empty()) return;
    out << "\n" << title << "\n";
    for (const auto& [name, actions] : rows) {
      std::size_t total = 0;
      std::string detail;
      for (const auto& [action, count] : actions) {
        total += count;
        detail += (detail.empty() ? "" : ", ") + action + " " + std::to_string(count);
      }
      out << "  " << std::left << std::setw(44) << printable(name) << std::right << std::setw(5)
          << total << "  " << detail << "\n";
    }
  };
  table("by object:", by_object);
  table("by category:", by_category);
  const auto requests = count_by_request(report);
  if (!requests.empty()) out << "\nby request:\n";
  for (const auto& counts : requests) {
    out << "  " << std::left << std::setw(44) << printable(counts.request_id) << std::right
        << std::setw(5) << counts.total() << "  ";
    std::string detail;
    for (const auto& [action, count] : {std::pair{"delete_record", counts.delete_record},
                                        {"erase_field", counts.erase_field},
                                        {"delete_content", counts.delete_content},
                                        {"review", counts.review}}) {
      if (count != 0)
        detail += (detail.empty() ? "" : ", ") + std::string(action) + " " + std::to_string(count);
    }
    if (counts.total() == 0) detail = "no data found";
    if (counts.decided != 0) detail += " (decided " + std::to_string(counts.decided) + ")";
    out << detail << record_of(report, counts.request_id) << "\n";
  }
  for (const auto& note : report.notes) out << "note: " << scrub(note) << "\n";
  out << "\n";
  if (report.complete()) {
    out << "scan COMPLETE\n";
  } else {
    write_incomplete(report, out);
  }
}

}  // namespace

void write_incomplete(const Report& report, std::ostream& out) {
  if (report.complete()) return;
  out << "scan INCOMPLETE: " << report.errors.size() << " error(s); findings may be missing\n";
  for (const auto& error : report.errors) {
    out << "  " << (error.object.empty() ? "" : scrub(error.object) + ": ") << scrub(error.message)
        << "\n";
  }
}

std::unique_ptr<Reporter> make_summary_reporter() {
  return std::make_unique<SummaryReporter>();
}

}  // namespace crmscan

#include <cstring>
#include "report/reporters.hpp"

#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {

// A cell that a spreadsheet would run as a formula is prefixed with a quote (OWASP's advice).
std::string csv_cell(const std::string& value) {
  std::string cell = is_valid_utf8(value) ? value : valid_utf8(value);
  if (!cell.empty() && std::strchr("=+-@\t\r", cell.front()) != nullptr) cell.insert(0, "'");
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

// A finding a person decided about (--decisions) carries the decision in the last columns.
// A scan that is not complete ends its CSV with one row per error, action `incomplete`: a reader
// of the CSV alone sees that the list may be partial, and a tool that acts on the actions listed
// acts on none of these rows.
class CsvReporter : public Reporter {
 public:
  std::string format() const override { return "csv"; }
  std::string file_name() const override { return "findings.csv"; }
  void write(const Report& report, std::ostream& out) const override {
    const auto& columns = csv_columns();
    for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
    out << "\r\n";
    const auto row = [&out](const auto& cells) {
      for (std::size_t i = 0; i < std::size(cells); ++i)
        out << (i ? "," : "") << csv_cell(cells[i]);
      out << "\r\n";
    };
    for (const auto& f : report.findings) {
      // The decision's words are the user's own, through scrub() as notes are.
      const auto* decision = report.decisions.find(f.fingerprint);
      const auto decided = [decision](const std::string Decision::*field) {
        return decision == nullptr ? std::string() : scrub(decision->*field);
      };
      const std::string cells[] = {
          f.fingerprint,
          f.request_id,
          f.connector,
          f.object,
          f.record_id,
          f.field,
          f.category,
          std::string(to_string(f.action)),
          f.reason,
          f.rule,
          f.confidence,
          f.archived ? "true" : "false",
          f.deleted ? "true" : "false",
          f.location,
          f.preview,
          f.detail,
          f.via_object,
          f.via_record_id,
          decision == nullptr ? "" : std::string(to_string(decision->kind)),
          decided(&Decision::legal_basis),
          decided(&Decision::by),
          decided(&Decision::at),
          decided(&Decision::note)};
      row(cells);
    }
    for (const auto& error : report.errors) {
      const std::string cells[] = {"",
                                   "",
                                   report.connector,
                                   scrub(error.object),
                                   "",
                                   "",
                                   "scan.error",
                                   "incomplete",
                                   "error",
                                   "",
                                   "",
                                   "",
                                   "",
                                   "",
                                   "",
                                   "scan INCOMPLETE: " + scrub(error.message),
                                   "",
                                   "",
                                   "",
                                   "",
                                   "",
                                   "",
                                   ""};
      row(cells);
    }
  }
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter() {
  return std::make_unique<CsvReporter>();
}
const std::vector<std::string>& csv_columns() {
  static const std::vector<std::string> kColumns = {
      "fingerprint", "request_id", "connector", "object", "record_id", "field", "category",
      "action", "reason", "rule", "confidence", "archived", "deleted", "location", "preview",
      "detail", "via_object", "via_record_id",
      // Appended, so that the columns before keep their places.
      "decision", "legal_basis", "decided_by", "decided_at", "decision_note"};
  return kColumns;
}

}  // namespace crmscan

// The one list of report formats: --format, the help text and the tests read it.
#include "crmscan/error.hpp"
#include "report/reporters.hpp"

namespace crmscan {

const std::vector<ReportFormat>& report_formats() {
  static const std::vector<ReportFormat> kFormats = {
      {"json", "the whole report: run, coverage, errors and findings", make_json_reporter},
      {"ndjson", "one finding a line, then a summary line (for streams and jq)",
       make_ndjson_reporter},
      {"csv", "one finding a row (RFC 4180), error rows when incomplete", make_csv_reporter},
      {"summary", "the counts the terminal shows, as text", make_summary_reporter},
      {"html",
       "one self-contained page (report.html): the run, per request its findings to "
       "filter and sort, and the graph of its records",
       make_html_reporter},
  };
  return kFormats;
}

std::unique_ptr<Reporter> make_reporter(const std::string& format) {
  std::string known;
  for (const auto& entry : report_formats()) {
    if (entry.name == format) return entry.make();
    known += (known.empty() ? "" : ", ") + entry.name;
  }
  throw UsageError("unknown format '" + format + "' (" + known + ")");
}

}  // namespace crmscan

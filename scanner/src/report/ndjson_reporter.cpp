#include <rapidjson/stringbuffer.h>
#include "report/reporters.hpp"

#include "report/json_support.hpp"

namespace crmscan {
namespace {
using namespace json_report;

// One finding per line, then a last line with what the reader needs to trust the others.
class NdjsonReporter : public Reporter {
 public:
  std::string format() const override { return "ndjson"; }
  std::string file_name() const override { return "findings.ndjson"; }
  void write(const Report& report, std::ostream& out) const override {
    for (const auto& finding : report.findings) {
      rapidjson::StringBuffer buffer;
      JsonWriter<rapidjson::StringBuffer> w(buffer);
      write_finding(w, finding, report.decisions.find(finding.fingerprint));
      out << buffer.GetString() << '\n';
    }
    rapidjson::StringBuffer buffer;
    JsonWriter<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    write_string(w, "type", "summary");
    write_string(w, "version", report.tool_version);
    write_string(w, "connector", report.connector);
    write_string(w, "started", report.started);
    write_string(w, "finished", report.finished);
    w.Key("findings");
    w.Uint64(report.findings.size());
    w.Key("decided");
    std::size_t decided = 0;
    for (const auto& finding : report.findings)
      decided += report.decisions.find(finding.fingerprint) != nullptr ? 1 : 0;
    w.Uint64(decided);
    w.Key("records_read");
    w.Uint64(report.records_read);
    w.Key("api_calls");
    w.Uint64(report.api_calls);
    write_errors(w, report);
    w.Key("complete");
    w.Bool(report.complete());
    w.EndObject();
    out << buffer.GetString() << '\n';
  }
};

}  // namespace

std::unique_ptr<Reporter> make_ndjson_reporter() {
  return std::make_unique<NdjsonReporter>();
}

}  // namespace crmscan

#include "report/json_support.hpp"
#include "report/reporters.hpp"

namespace crmscan {
namespace {
using namespace json_report;

// Every request, with its counts by action ("no data found" is an answer too) and the keyed
// hashes of the identifiers it was scanned with (verify checks its values file against them).
template <typename Writer>
void write_requests(Writer& w, const Report& report) {
  w.Key("requests");
  w.StartArray();
  for (const auto& counts : count_by_request(report)) {
    w.StartObject();
    write_string(w, "request_id", counts.request_id);
    if (const auto record = report.request_records.find(counts.request_id);
        record != report.request_records.end())
      write_request_record(w, record->second);
    w.Key("found");
    w.Bool(counts.total() != 0);
    w.Key("counts");
    w.StartObject();
    for (const auto& [action, count] : {std::pair{"delete_record", counts.delete_record},
                                        {"erase_field", counts.erase_field},
                                        {"delete_content", counts.delete_content},
                                        {"review", counts.review}}) {
      w.Key(action);
      w.Uint64(count);
    }
    w.EndObject();
    w.Key("decided");
    w.Uint64(counts.decided);
    w.Key("identifiers");
    w.StartArray();
    if (const auto hashes = report.identifier_hashes.find(counts.request_id);
        hashes != report.identifier_hashes.end()) {
      for (const auto& hash : hashes->second) {
        w.StartObject();
        write_string(w, "hash", hash);
        w.EndObject();
      }
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

class JsonReporter : public Reporter {
 public:
  std::string format() const override { return "json"; }
  std::string file_name() const override { return "findings.json"; }
  void write(const Report& report, std::ostream& out) const override {
    BlockStream<> buffer(out);
    PrettyJsonWriter<BlockStream<>> w(buffer);
    w.SetIndent(' ', 2);
    w.StartObject();
    w.Key("metadata");
    w.StartObject();
    write_string(w, "tool", "crmscan");
    write_string(w, "version", report.tool_version);
    write_string(w, "connector", report.connector);
    write_string(w, "crm", report.crm);
    write_string(w, "source", report.source);
    write_string(w, "started", report.started);
    write_string(w, "finished", report.finished);
    w.Key("rule_packs");
    w.StartArray();
    for (const auto& pack : report.packs) {
      w.StartObject();
      write_string(w, "id", pack.id);
      write_string(w, "version", pack.version);
      write_string(w, "path", pack.path);
      write_string(w, "sha256", pack.sha256);
      w.EndObject();
    }
    w.EndArray();
    w.Key("requests");
    w.StartArray();
    for (const auto& id : report.request_ids) put_string(w, id);
    w.EndArray();
    w.Key("values_shown");
    w.Bool(report.show_values);
    if (!report.decisions.empty() || !report.decisions.stale.empty())
      write_decisions(w, report.decisions);
    w.EndObject();
    w.Key("coverage");
    w.StartObject();
    w.Key("records_read");
    w.Uint64(report.records_read);
    w.Key("api_calls");
    w.Uint64(report.api_calls);
    w.Key("objects");
    w.StartArray();
    for (const auto& object : report.coverage) {
      w.StartObject();
      write_string(w, "object", object.object);
      w.Key("records");
      w.Uint64(object.records);
      w.Key("archived");
      w.Uint64(object.archived);
      w.Key("deleted");
      w.Uint64(object.deleted);
      w.Key("passes");
      w.Uint64(object.passes);
      w.Key("ruled");
      w.Bool(object.ruled);
      w.EndObject();
    }
    w.EndArray();
    w.Key("notes");
    w.StartArray();
    for (const auto& note : report.notes) put_string(w, scrub(note));
    w.EndArray();
    w.EndObject();
    write_requests(w, report);
    write_errors(w, report);
    w.Key("complete");
    w.Bool(report.complete());
    w.Key("findings");
    w.StartArray();
    for (const auto& finding : report.findings)
      write_finding(w, finding, report.decisions.find(finding.fingerprint));
    w.EndArray();
    w.EndObject();
    buffer.Flush();
    out << '\n';
  }
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter() {
  return std::make_unique<JsonReporter>();
}

}  // namespace crmscan

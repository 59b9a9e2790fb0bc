#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <iomanip>
#include <map>

#include "crmscan/error.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "html_reporter.hpp"

namespace crmscan {
namespace {

// JSON is written with encoding validation: every string goes through put_string, which replaces
// the bytes of one that is not UTF-8 (a file name, a value of an export read without checks), and
// the NDJSON writer validates again (RapidJSON's PrettyWriter does not take the flag); a string a
// writer still refuses stops the report rather than write a broken file.
template <typename Stream>
using JsonWriter =
    rapidjson::Writer<Stream, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                      rapidjson::kWriteValidateEncodingFlag>;
template <typename Stream>
using PrettyJsonWriter = rapidjson::PrettyWriter<Stream>;

template <typename Writer>
void put_string(Writer& w, std::string_view value) {
  bool written = false;
  if (is_valid_utf8(value)) {
    written = w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  } else {
    const auto fixed = valid_utf8(value);
    written = w.String(fixed.data(), static_cast<rapidjson::SizeType>(fixed.size()));
  }
  if (!written) throw Error(ExitCode::kIncomplete, "a report string could not be written as JSON");
}

template <typename Writer>
void write_finding(Writer& w, const Finding& f) {
  w.StartObject();
  const auto field = [&w](const char* key, const std::string& value) {
    w.Key(key);
    put_string(w, value);
  };
  field("fingerprint", f.fingerprint);
  field("request_id", f.request_id);
  field("connector", f.connector);
  field("object", f.object);
  field("record_id", f.record_id);
  field("field", f.field);
  field("category", f.category);
  field("action", std::string(to_string(f.action)));
  w.Key("why");
  w.StartObject();
  field("reason", f.reason);
  field("rule", f.rule);
  field("detail", f.detail);
  if (!f.via_object.empty()) {
    w.Key("via");
    w.StartObject();
    field("object", f.via_object);
    field("record_id", f.via_record_id);
    w.EndObject();
  }
  w.EndObject();
  field("confidence", f.confidence);
  w.Key("archived");
  w.Bool(f.archived);
  w.Key("deleted");
  w.Bool(f.deleted);
  field("location", f.location);
  field("preview", f.preview);
  w.EndObject();
}

template <typename Writer>
void write_string(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  put_string(w, value);
}

// Errors carry text from outside (a server's answer, a file's content): every report shows them
// through scrub().
template <typename Writer>
void write_errors(Writer& w, const Report& report) {
  w.Key("errors");
  w.StartArray();
  for (const auto& error : report.errors) {
    w.StartObject();
    write_string(w, "object", scrub(error.object));
    write_string(w, "message", scrub(error.message));
    w.EndObject();
  }
  w.EndArray();
}

// A rapidjson output stream that passes its bytes on to a std::ostream a block at a time: a large
// report is never held whole.
class BlockStream {
 public:
  using Ch = char;
  explicit BlockStream(std::ostream& out) : out_(out) { buffer_.reserve(kBlock); }
  void Put(char c) {
    buffer_.push_back(c);
    if (buffer_.size() == kBlock) Flush();
  }
  void Flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kBlock = 64 * 1024;
  std::ostream& out_;
  std::string buffer_;
};

class JsonReporter : public Reporter {
 public:
  std::string format() const override { return "json"; }
  void write(const Report& report, std::ostream& out) const override {
    BlockStream buffer(out);
    PrettyJsonWriter<BlockStream> w(buffer);
    w.SetIndent(' ', 2);
    w.StartObject();
    w.Key("metadata");
    w.StartObject();
    write_string(w, "tool", "crmscan");
    write_string(w, "version", report.tool_version);
    write_string(w, "connector", report.connector);
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
    write_errors(w, report);
    w.Key("complete");
    w.Bool(report.complete());
    w.Key("findings");
    w.StartArray();
    for (const auto& finding : report.findings) write_finding(w, finding);
    w.EndArray();
    w.EndObject();
    buffer.Flush();
    out << '\n';
  }
};

// One finding per line, then a last line with what the reader needs to trust the others.
class NdjsonReporter : public Reporter {
 public:
  std::string format() const override { return "ndjson"; }
  void write(const Report& report, std::ostream& out) const override {
    for (const auto& finding : report.findings) {
      rapidjson::StringBuffer buffer;
      JsonWriter<rapidjson::StringBuffer> w(buffer);
      write_finding(w, finding);
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

// A scan that is not complete ends its CSV with one row per error, action `incomplete`: a reader
// of the CSV alone sees that the list may be partial, and a tool that acts on the actions listed
// acts on none of these rows.
class CsvReporter : public Reporter {
 public:
  std::string format() const override { return "csv"; }
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
      const std::string cells[] = {f.fingerprint,
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
                                   f.via_record_id};
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
                                   ""};
      row(cells);
    }
  }
};

}  // namespace

const std::vector<std::string>& csv_columns() {
  static const std::vector<std::string> kColumns = {
      "fingerprint", "request_id", "connector", "object", "record_id",  "field",
      "category",    "action",     "reason",    "rule",   "confidence", "archived",
      "deleted",     "location",   "preview",   "detail", "via_object", "via_record_id"};
  return kColumns;
}

const std::vector<std::string>& report_formats() {
  static const std::vector<std::string> kFormats = {"json", "ndjson", "csv", "html"};
  return kFormats;
}

std::unique_ptr<Reporter> make_reporter(const std::string& format) {
  if (format == "json") return std::make_unique<JsonReporter>();
  if (format == "ndjson") return std::make_unique<NdjsonReporter>();
  if (format == "csv") return std::make_unique<CsvReporter>();
  if (format == "html") return std::make_unique<HtmlReporter>();
  throw UsageError("unknown format '" + format + "' (json, ndjson, csv, html)");
}

void write_summary(const Report& report, std::ostream& out) {
  std::map<std::string, std::map<std::string, std::size_t>> by_object, by_category;
  std::map<std::string, std::size_t> by_action;
  for (const auto& f : report.findings) {
    const std::string action(to_string(f.action));
    ++by_object[f.object][action];
    ++by_category[f.category][action];
    ++by_action[action];
  }
  // Names come from outside (file names, a server's object names): printed without control
  // characters, so that a name cannot move the cursor, clear the screen or forge a line.
  out << "crmscan " << report.tool_version << ": " << report.request_ids.size() << " request(s), "
      << report.coverage.size() << " object(s), " << report.records_read << " records read, "
      << report.api_calls << " API calls\n";
  out << "findings: " << report.findings.size();
  for (const auto& [action, count] : by_action) out << "  " << action << " " << count;
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
  for (const auto& note : report.notes) out << "note: " << scrub(note) << "\n";
  if (report.complete()) {
    out << "\nscan COMPLETE\n";
  } else {
    out << "\nscan INCOMPLETE: " << report.errors.size() << " error(s); findings may be missing\n";
    for (const auto& error : report.errors) {
      out << "  " << (error.object.empty() ? "" : scrub(error.object) + ": ")
          << scrub(error.message) << "\n";
    }
  }
}

}  // namespace crmscan

#include <fcntl.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iomanip>
#include <map>
#include <streambuf>

#include "crmscan/error.hpp"
#include "crmscan/reporter.hpp"

namespace crmscan {
namespace {

template <typename Writer>
void write_finding(Writer& w, const Finding& f) {
  w.StartObject();
  const auto field = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
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
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

template <typename Writer>
void write_errors(Writer& w, const Report& report) {
  w.Key("errors");
  w.StartArray();
  for (const auto& error : report.errors) {
    w.StartObject();
    write_string(w, "object", error.object);
    write_string(w, "message", error.message);
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
    rapidjson::PrettyWriter<BlockStream> w(buffer);
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
    for (const auto& id : report.request_ids)
      w.String(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
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
    for (const auto& note : report.notes)
      w.String(note.c_str(), static_cast<rapidjson::SizeType>(note.size()));
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
      rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
      write_finding(w, finding);
      out << buffer.GetString() << '\n';
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
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
  std::string cell = value;
  if (!cell.empty() && std::strchr("=+-@\t\r", cell.front()) != nullptr) cell.insert(0, "'");
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

class CsvReporter : public Reporter {
 public:
  std::string format() const override { return "csv"; }
  void write(const Report& report, std::ostream& out) const override {
    const auto& columns = csv_columns();
    for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
    out << "\r\n";
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
                                   f.detail};
      for (std::size_t i = 0; i < std::size(cells); ++i)
        out << (i ? "," : "") << csv_cell(cells[i]);
      out << "\r\n";
    }
  }
};

}  // namespace

const std::vector<std::string>& csv_columns() {
  static const std::vector<std::string> kColumns = {
      "fingerprint", "request_id", "connector", "object", "record_id",  "field",
      "category",    "action",     "reason",    "rule",   "confidence", "archived",
      "deleted",     "location",   "preview",   "detail"};
  return kColumns;
}

const std::vector<std::string>& report_formats() {
  static const std::vector<std::string> kFormats = {"json", "ndjson", "csv"};
  return kFormats;
}

std::unique_ptr<Reporter> make_reporter(const std::string& format) {
  if (format == "json") return std::make_unique<JsonReporter>();
  if (format == "ndjson") return std::make_unique<NdjsonReporter>();
  if (format == "csv") return std::make_unique<CsvReporter>();
  throw UsageError("unknown format '" + format + "' (json, ndjson, csv)");
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
      out << "  " << std::left << std::setw(44) << name << std::right << std::setw(5) << total
          << "  " << detail << "\n";
    }
  };
  table("by object:", by_object);
  table("by category:", by_category);
  for (const auto& note : report.notes) out << "note: " << note << "\n";
  if (report.complete()) {
    out << "\nscan COMPLETE\n";
  } else {
    out << "\nscan INCOMPLETE: " << report.errors.size() << " error(s); findings may be missing\n";
    for (const auto& error : report.errors) {
      out << "  " << (error.object.empty() ? "" : error.object + ": ") << error.message << "\n";
    }
  }
}

namespace {

// A stream buffer that writes to a file descriptor, remembering the first error.
class FileBuffer : public std::streambuf {
 public:
  explicit FileBuffer(int fd) : fd_(fd), buffer_(kSize) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  /// The errno of the first write that failed, or 0.
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  static constexpr std::size_t kSize = 64 * 1024;
  bool drain() {
    const char* at = pbase();
    while (error_ == 0 && at < pptr()) {
      const auto n = ::write(fd_, at, static_cast<std::size_t>(pptr() - at));
      if (n < 0) {
        if (errno != EINTR) error_ = errno;
        continue;
      }
      at += n;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }
  int fd_;
  int error_ = 0;
  std::vector<char> buffer_;
};

}  // namespace

void write_private_file(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(ExitCode::kBadConfig, path + ": cannot write: " + std::strerror(errno));
  }
  // An existing file keeps its mode through O_TRUNC: make it private too.
  ::fchmod(fd, 0600);
  FileBuffer buffer(fd);
  std::ostream out(&buffer);
  try {
    write(out);
  } catch (...) {
    // Half a report must not pass for a whole one.
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  out.flush();
  if (buffer.error() != 0) {
    const std::string reason = std::strerror(buffer.error());
    ::close(fd);
    ::unlink(path.c_str());
    throw Error(ExitCode::kBadConfig, path + ": cannot write: " + reason);
  }
  if (::close(fd) != 0)
    throw Error(ExitCode::kBadConfig, path + ": cannot write: " + std::strerror(errno));
}

void write_private_file(const std::string& path, const std::string& content) {
  write_private_file(path, [&content](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

}  // namespace crmscan

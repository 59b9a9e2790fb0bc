// The HTML report: one self-contained page a data-protection officer can file with a request's
// case. The run and the per-request counts are written as HTML; the findings go into the page as
// JSON data, from which its script draws each request's table and record graph when opened.
#include "report/reporters.hpp"

#include <rapidjson/writer.h>

#include <array>
#include <map>

#include "crmscan/error.hpp"
#include "crmscan/html_resources.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "report/json_support.hpp"

namespace crmscan {
namespace {

// The order of the actions in the page, most destructive first.
constexpr std::array<Action, 4> kActions = {Action::kDeleteRecord, Action::kDeleteContent,
                                            Action::kEraseField, Action::kReview};

std::string html(std::string_view text) {
  const std::string valid = is_valid_utf8(text) ? std::string(text) : valid_utf8(text);
  std::string out;
  out.reserve(valid.size());
  for (const char c : valid) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";  // U+FFFD: HTML has no NUL
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The Content-Security-Policy source of an inline script or style: 'sha256-<base64>'.
std::string csp_hash(std::string_view content) {
  static constexpr char kBase64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto hex = sha256_hex(content);
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  std::string out = "'sha256-";
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const auto at = [&](std::size_t j) {
      return j < bytes.size() ? static_cast<unsigned char>(bytes[j]) : 0U;
    };
    const unsigned n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kBase64[n & 63] : '=';
  }
  return out + "'";
}

using ScriptJsonStream = json_report::BlockStream<true>;

using ScriptJsonWriter =
    rapidjson::Writer<ScriptJsonStream, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

void put(ScriptJsonWriter& w, std::string_view value) {
  const std::string valid = is_valid_utf8(value) ? std::string(value) : valid_utf8(value);
  if (!w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size())))
    throw Error(ExitCode::kIncomplete, "a report string could not be written as JSON");
}

// The columns of each finding in the page's data (the script reads them by name).
constexpr std::array<const char*, 17> kColumns = {
    "request",  "object",  "record_id",  "field",         "category", "action",
    "reason",   "rule",    "detail",     "confidence",    "archived", "deleted",
    "location", "preview", "via_object", "via_record_id", "decision"};

struct RequestCounts {
  std::size_t total = 0;
  std::size_t decided = 0;
  std::map<Action, std::size_t> by_action;
};

// A person's decision in words: "not_subject by dpo@acme.example on 2026-12-01: namesake".
std::string decision_text(const Decision* decision) {
  if (decision == nullptr) return {};
  std::string text(to_string(decision->kind));
  if (!decision->legal_basis.empty()) text += " (" + scrub(decision->legal_basis) + ")";
  if (!decision->by.empty()) text += " by " + scrub(decision->by);
  if (!decision->at.empty()) text += " on " + scrub(decision->at);
  if (!decision->note.empty()) text += ": " + scrub(decision->note);
  return text;
}

void write_run(const Report& report, std::ostream& out) {
  out << "<section id=\"run\"><h2>The run</h2><dl class=\"run\">";
  const auto item = [&out](const char* name, const std::string& value) {
    out << "<dt>" << name << "</dt><dd>" << html(value) << "</dd>";
  };
  item("tool", "crmscan " + report.tool_version);
  item("connector", report.connector);
  item("source", report.source);
  item("started", report.started);
  item("finished", report.finished);
  item("requests", std::to_string(report.request_ids.size()));
  item("records read", std::to_string(report.records_read));
  item("API calls", std::to_string(report.api_calls));
  item("objects in the source", std::to_string(report.coverage.size()));
  item("values", report.show_values ? "shown (--show-values)" : "redacted");
  if (!report.decisions.empty())
    item("decisions", report.decisions.path + " (SHA-256 " + report.decisions.sha256 + "), " +
                          std::to_string(report.decisions.by_fingerprint.size()) +
                          " finding(s) decided");
  out << "</dl>";
  if (report.complete()) {
    out << "<p class=\"status complete\" id=\"scan-status\" data-complete=\"true\">Scan COMPLETE: "
           "every record of the source was read</p>";
  } else {
    out << "<p class=\"status incomplete\" id=\"scan-status\" data-complete=\"false\">Scan "
           "INCOMPLETE: "
        << report.errors.size() << " error(s); findings may be missing</p><ul class=\"errors\">";
    for (const auto& error : report.errors) {
      out << "<li>"
          << html((error.object.empty() ? "" : scrub(error.object) + ": ") + scrub(error.message))
          << "</li>";
    }
    out << "</ul>";
  }
  out << "<h3>Rule packs</h3><table class=\"packs\"><thead><tr><th>pack</th><th>version</th>"
         "<th>file</th><th>SHA-256</th></tr></thead><tbody>";
  for (const auto& pack : report.packs) {
    out << "<tr><td>" << html(pack.id) << "</td><td>" << html(pack.version) << "</td><td>"
        << html(pack.path) << "</td><td><code>" << html(pack.sha256.substr(0, 16))
        << "…</code></td></tr>";
  }
  out << "</tbody></table>";
  if (!report.notes.empty()) {
    out << "<h3>Notes</h3><ul class=\"notes\">";
    for (const auto& note : report.notes) out << "<li>" << html(scrub(note)) << "</li>";
    out << "</ul>";
  }
  out << "<details class=\"coverage\"><summary>Objects read (" << report.coverage.size()
      << ")</summary><table><thead><tr><th>object</th><th class=\"num\">records</th>"
         "<th class=\"num\">archived</th><th class=\"num\">deleted</th><th class=\"num\">passes"
         "</th><th>ruled</th></tr></thead><tbody>";
  for (const auto& object : report.coverage) {
    out << "<tr><td>" << html(object.object) << "</td><td class=\"num\">" << object.records
        << "</td><td class=\"num\">" << object.archived << "</td><td class=\"num\">"
        << object.deleted << "</td><td class=\"num\">" << object.passes << "</td><td>"
        << (object.ruled ? "yes" : "no") << "</td></tr>";
  }
  out << "</tbody></table></details></section>";
}

void write_requests(const Report& report, const std::vector<std::string>& requests,
                    const std::vector<RequestCounts>& counts, std::ostream& out) {
  out << "<section id=\"requests\"><h2>Requests</h2><table class=\"summary\"><thead><tr>"
         "<th>request</th><th class=\"num\">findings</th>";
  for (const auto action : kActions) out << "<th class=\"num\">" << to_string(action) << "</th>";
  out << "<th class=\"num\">decided</th><th>ticket</th><th>deadline</th></tr></thead><tbody>";
  const auto record_of = [&report](const std::string& id) {
    const auto found = report.request_records.find(id);
    return found == report.request_records.end() ? RequestRecord{} : found->second;
  };
  for (std::size_t i = 0; i < requests.size(); ++i) {
    out << "<tr data-request-id=\"" << html(requests[i]) << "\"><td><a href=\"#request-" << i
        << "\">" << html(requests[i]) << "</a></td><td class=\"num\" data-action=\"total\">"
        << counts[i].total << "</td>";
    for (const auto action : kActions) {
      const auto found = counts[i].by_action.find(action);
      out << "<td class=\"num\" data-action=\"" << to_string(action) << "\">"
          << (found == counts[i].by_action.end() ? 0 : found->second) << "</td>";
    }
    const auto record = record_of(requests[i]);
    out << "<td class=\"num\" data-decided>" << counts[i].decided << "</td><td>"
        << html(scrub(record.ticket)) << "</td><td>" << html(scrub(record.deadline))
        << "</td></tr>";
  }
  out << "</tbody></table></section><section id=\"details\"><h2>Findings by request</h2>";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    out << "<details class=\"request\" id=\"request-" << i << "\" data-request=\"" << i
        << "\"><summary>" << html(requests[i]) << ": ";
    if (counts[i].total == 0) {
      out << "no data found";
    } else {
      out << counts[i].total << " finding(s)";
      for (const auto& [action, count] : counts[i].by_action)
        out << ", " << to_string(action) << " " << count;
      if (counts[i].decided != 0) out << " (decided " << counts[i].decided << ")";
    }
    out << "</summary>";
    // What the controller recorded about the request.
    const auto record = record_of(requests[i]);
    if (!record.empty()) {
      out << "<dl class=\"record\">";
      for (const auto& [key, value] : record.fields()) {
        if (!value->empty()) out << "<dt>" << key << "</dt><dd>" << html(scrub(*value)) << "</dd>";
      }
      out << "</dl>";
    }
    out << "<div class=\"content\"></div></details>";
  }
  out << "</section>";
}

// `--format html`: one self-contained page (`report.html`: no network, no other file) with the
// run, per request its counts by action, a table of its findings to filter and sort, and the graph
// of its records and how the scan reached each. Values are as the report holds them (redacted
// unless --show-values). Every value is escaped, and the page's Content-Security-Policy runs only
// its own script.
class HtmlReporter : public Reporter {
 public:
  std::string format() const override { return "html"; }
  std::string file_name() const override { return "report.html"; }
  void write(const Report& report, std::ostream& out) const override;
};

void HtmlReporter::write(const Report& report, std::ostream& out) const {
  // Requests in the report's order; a finding of a request the report does not list (none is
  // expected) gets a section of its own rather than be left out.
  std::vector<std::string> requests = report.request_ids;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < requests.size(); ++i) index.emplace(requests[i], i);
  std::vector<RequestCounts> counts(requests.size());
  for (const auto& f : report.findings) {
    const auto [at, added] = index.emplace(f.request_id, requests.size());
    if (added) {
      requests.push_back(f.request_id);
      counts.emplace_back();
    }
    ++counts[at->second].total;
    ++counts[at->second].by_action[f.action];
    counts[at->second].decided += report.decisions.find(f.fingerprint) != nullptr ? 1 : 0;
  }

  const std::string_view script = kHtmlReportScript;
  const std::string_view style = kHtmlReportStyle;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src "
      << csp_hash(script) << "; style-src " << csp_hash(style)
      << "; img-src data:; base-uri 'none'; form-action 'none'\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"generator\" content=\"crmscan "
      << html(report.tool_version) << "\"><title>crmscan report: " << requests.size()
      << " request(s)</title><style>" << style
      << "</style></head><body><header><h1>Right-to-be-forgotten scan</h1><p>" << requests.size()
      << " request(s), " << report.findings.size() << " finding(s), scanned from "
      << html(report.source) << " (" << html(report.connector) << ") on " << html(report.started)
      << ".</p><noscript><p>The findings tables and record graphs need JavaScript; "
         "findings.json and findings.csv of the same scan hold the same findings.</p></noscript>"
         "</header>";
  write_run(report, out);
  write_requests(report, requests, counts, out);

  out << "<script type=\"application/json\" id=\"crmscan-data\">";
  ScriptJsonStream stream(out);
  ScriptJsonWriter w(stream);
  w.StartObject();
  w.Key("requests");
  w.StartArray();
  for (const auto& id : requests) put(w, id);
  w.EndArray();
  w.Key("columns");
  w.StartArray();
  for (const auto* column : kColumns) put(w, column);
  w.EndArray();
  w.Key("findings");
  w.StartArray();
  for (const auto& f : report.findings) {
    w.StartArray();
    w.Uint64(index.at(f.request_id));
    for (const auto* text : {&f.object, &f.record_id, &f.field, &f.category}) put(w, *text);
    put(w, to_string(f.action));
    for (const auto* text : {&f.reason, &f.rule, &f.detail, &f.confidence}) put(w, *text);
    w.Bool(f.archived);
    w.Bool(f.deleted);
    for (const auto* text : {&f.location, &f.preview, &f.via_object, &f.via_record_id})
      put(w, *text);
    put(w, decision_text(report.decisions.find(f.fingerprint)));
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  stream.Flush();
  out << "</script><script>" << script << "</script></body></html>\n";
}

}  // namespace

std::unique_ptr<Reporter> make_html_reporter() {
  return std::make_unique<HtmlReporter>();
}

}  // namespace crmscan

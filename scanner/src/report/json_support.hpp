// What the JSON and NDJSON reporters share: strings written as valid UTF-8, a finding, the
// errors, and a stream that passes a large report on a block at a time.
#pragma once

#include <rapidjson/prettywriter.h>
#include <rapidjson/writer.h>

#include <ostream>
#include <string>
#include <string_view>

#include "crmscan/error.hpp"
#include "crmscan/report.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace crmscan::json_report {

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
inline void put_string(Writer& w, std::string_view value) {
  bool written = false;
  if (is_valid_utf8(value)) {
    written = w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  } else {
    const auto fixed = valid_utf8(value);
    written = w.String(fixed.data(), static_cast<rapidjson::SizeType>(fixed.size()));
  }
  if (!written) throw Error(ExitCode::kIncomplete, "a report string could not be written as JSON");
}

// A person's decision about a finding, as its `decision` object. The words are the user's own
// and pass through scrub(), as notes do: a request's value written into a note stays redacted.
template <typename Writer>
inline void write_decision(Writer& w, const Decision& d) {
  w.Key("decision");
  w.StartObject();
  w.Key("decision");
  put_string(w, to_string(d.kind));
  for (const auto& [key, value] : {std::pair{"legal_basis", &d.legal_basis},
                                   {"by", &d.by},
                                   {"at", &d.at},
                                   {"note", &d.note}}) {
    w.Key(key);
    put_string(w, scrub(*value));
  }
  w.EndObject();
}

// A finding, with the person's decision about it when there is one.
template <typename Writer>
inline void write_finding(Writer& w, const Finding& f, const Decision* decision = nullptr) {
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
  if (decision != nullptr) write_decision(w, *decision);
  w.EndObject();
}

// The decisions a report applied: the file's path and sha256, how many findings they decide,
// and the stale ones (a decision whose fingerprint no finding has).
template <typename Writer>
inline void write_decisions(Writer& w, const AppliedDecisions& decisions) {
  w.Key("decisions");
  w.StartObject();
  w.Key("file");
  put_string(w, decisions.path);
  w.Key("sha256");
  put_string(w, decisions.sha256);
  w.Key("decided");
  w.Uint64(decisions.by_fingerprint.size());
  w.Key("stale");
  w.StartArray();
  for (const auto& stale : decisions.stale) {
    w.StartObject();
    w.Key("fingerprint");
    put_string(w, stale.fingerprint);
    w.Key("decision");
    put_string(w, to_string(stale.kind));
    w.Key("source");
    put_string(w, scrub(stale.source));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// What the controller recorded about a request: the fields given, in order.
template <typename Writer>
inline void write_request_record(Writer& w, const RequestRecord& record) {
  for (const auto& [key, value] : record.fields()) {
    if (value->empty()) continue;
    w.Key(key);
    put_string(w, scrub(*value));
  }
}

template <typename Writer>
inline void write_string(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  put_string(w, value);
}

// Errors carry text from outside (a server's answer, a file's content): every report shows them
// through scrub().
template <typename Writer>
inline void write_errors(Writer& w, const Report& report) {
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
// report is never held whole. For JSON inside an HTML <script> element (`kForScript`), '<', '>'
// and '&' (which only occur inside strings) are written as \u escapes, so that no value can close
// the element or open a comment.
template <bool kForScript = false>
class BlockStream {
 public:
  using Ch = char;
  explicit BlockStream(std::ostream& out) : out_(out) { buffer_.reserve(kBlock + 8); }
  void Put(char c) {
    if constexpr (kForScript) {
      if (c == '<' || c == '>' || c == '&') {
        static constexpr char kHex[] = "0123456789abcdef";
        buffer_ += "\\u00";
        buffer_ += kHex[(c >> 4) & 0xf];
        buffer_ += kHex[c & 0xf];
      } else {
        buffer_ += c;
      }
    } else {
      buffer_ += c;
    }
    if (buffer_.size() >= kBlock) Flush();
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

}  // namespace crmscan::json_report

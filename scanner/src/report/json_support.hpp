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

template <typename Writer>
inline void write_finding(Writer& w, const Finding& f) {
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

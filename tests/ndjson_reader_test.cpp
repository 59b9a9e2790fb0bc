// NdjsonReader: the lines of an NDJSON export, parsed in place. Checked against the reading it
// replaced (a line at a time from the stream, each parsed into a RapidJSON Document), kept here
// as the reference: the same lines, the same fields, the same errors at the same columns.
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "crmscan/ndjson_reader.hpp"
#include "crmscan/text.hpp"

namespace {

using crmscan::kMaxJsonDepth;
using crmscan::NdjsonField;

// What a reader made of one line: its number, and "too long", "blank", the problem or the
// fields ("name=kind:value", numbers in hexadecimal floating point so that every bit counts).
struct Line {
  std::size_t number;
  std::string outcome;
  std::vector<std::string> fields;
  bool operator==(const Line& other) const {
    return number == other.number && outcome == other.outcome && fields == other.fields;
  }
};

std::ostream& operator<<(std::ostream& out, const Line& line) {
  out << line.number << " " << line.outcome << " {";
  for (const auto& field : line.fields) out << " [" << field << "]";
  return out << " }";
}

std::string number_text(double number) {
  char text[64];
  std::snprintf(text, sizeof text, "%a", number);
  return text;
}

// The reading NdjsonReader replaced (file_connector.cpp before it): a line at a time through
// the stream buffer, parsed into a Document, its depth measured, its members flattened.
namespace reference {

constexpr auto kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

bool read_bounded_line(std::istream& in, std::string& line, std::size_t max_bytes, bool& too_long) {
  line.clear();
  too_long = false;
  auto* buffer = in.rdbuf();
  bool any = false;
  for (;;) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) return any;
    any = true;
    if (c == '\n') return true;
    if (line.size() < max_bytes) {
      line.push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
}

int depth_of(const rapidjson::Value& root) {
  int deepest = 0;
  std::vector<std::pair<const rapidjson::Value*, int>> pending{{&root, 1}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->IsObject() && !node->IsArray()) continue;
    deepest = std::max(deepest, depth);
    if (depth > kMaxJsonDepth) break;
    if (node->IsObject()) {
      for (const auto& member : node->GetObject()) pending.emplace_back(&member.value, depth + 1);
    } else {
      for (const auto& item : node->GetArray()) pending.emplace_back(&item, depth + 1);
    }
  }
  return deepest;
}

void flatten(const rapidjson::Value& node, const std::string& prefix,
             std::vector<std::string>& fields) {
  for (const auto& member : node.GetObject()) {
    const std::string name =
        prefix + std::string(member.name.GetString(), member.name.GetStringLength());
    const auto& value = member.value;
    if (value.IsObject()) {
      if (name != "attributes") flatten(value, name + ".", fields);
    } else if (value.IsString()) {
      fields.push_back(name + "=s:" + std::string(value.GetString(), value.GetStringLength()));
    } else if (value.IsBool()) {
      fields.push_back(name + "=b:" + (value.GetBool() ? "true" : "false"));
    } else if (value.IsNumber()) {
      fields.push_back(name + "=n:" + number_text(value.GetDouble()));
    } else if (value.IsArray()) {
      for (const auto& item : value.GetArray()) {
        if (item.IsString())
          fields.push_back(name + "=s:" + std::string(item.GetString(), item.GetStringLength()));
      }
    } else {
      fields.push_back(name + "=null:");
    }
  }
}

std::vector<Line> read(const std::string& text, std::size_t max_bytes) {
  std::istringstream in(text);
  std::vector<Line> lines;
  std::string line;
  bool too_long = false;
  std::size_t number = 0;
  while (read_bounded_line(in, line, max_bytes, too_long)) {
    ++number;
    if (too_long) {
      lines.push_back({number, "too long", {}});
      continue;
    }
    if (crmscan::trim(line).empty()) {
      lines.push_back({number, "blank", {}});
      continue;
    }
    rapidjson::Document document;
    document.Parse<kFlags>(line.c_str(), line.size());
    if (document.HasParseError()) {
      lines.push_back({number,
                       std::to_string(document.GetErrorOffset() + 1) + ": " +
                           rapidjson::GetParseError_En(document.GetParseError()),
                       {}});
    } else if (!document.IsObject()) {
      lines.push_back({number, "1: not a JSON object", {}});
    } else if (depth_of(document) > kMaxJsonDepth) {
      lines.push_back({number, "1: nested deeper than 64 levels", {}});
    } else {
      Line read{number, "record", {}};
      flatten(document, "", read.fields);
      lines.push_back(read);
    }
  }
  return lines;
}

}  // namespace reference

std::vector<Line> read_all(const std::string& text, std::size_t max_bytes,
                           std::size_t buffer_bytes = crmscan::NdjsonReader::kDefaultBufferBytes) {
  std::istringstream in(text);
  crmscan::NdjsonReader reader(in, max_bytes, buffer_bytes);
  std::vector<Line> lines;
  std::vector<NdjsonField> fields;
  while (reader.next()) {
    if (reader.too_long()) {
      lines.push_back({reader.line_number(), "too long", {}});
      continue;
    }
    if (crmscan::trim(reader.line()).empty()) {
      lines.push_back({reader.line_number(), "blank", {}});
      continue;
    }
    if (const auto problem = reader.parse(fields)) {
      lines.push_back({reader.line_number(), *problem, {}});
      continue;
    }
    Line line{reader.line_number(), "record", {}};
    for (const auto& field : fields) {
      std::string name(field.name);
      switch (field.kind) {
        case NdjsonField::Kind::kString:
          line.fields.push_back(name + "=s:" + std::string(field.text));
          break;
        case NdjsonField::Kind::kBool:
          line.fields.push_back(name + "=b:" + (field.boolean ? "true" : "false"));
          break;
        case NdjsonField::Kind::kNumber:
          line.fields.push_back(name + "=n:" + number_text(field.number));
          break;
        case NdjsonField::Kind::kNull:
          line.fields.push_back(name + "=null:");
          break;
      }
    }
    lines.push_back(line);
  }
  return lines;
}

std::string nested(int depth, const std::string& inner) {
  std::string text;
  for (int i = 1; i < depth; ++i) text += "{\"k\": ";
  text += inner;
  for (int i = 1; i < depth; ++i) text += "}";
  return text;
}

// Lines that exercise every path: records of every shape, each kind of malformed line, what a
// line may start or end with.
const std::vector<std::string>& sample_lines() {
  static const std::vector<std::string> lines{
      R"({"Id": "003A", "Email": "amelie@example.fr", "Name": "Amélie Dubois"})",
      R"({"attributes": {"type": "Contact", "url": "/x"}, "Id": "003B", "Owner": {"Name": "Agent", "attributes": {"type": "User"}}, "Tags": ["a", 1, null, true, {"x": "y"}, ["z"], "b"], "n": null, "t": true, "f": false})",
      R"({"d": 1.5e3, "big": 18446744073709551615, "neg": -9223372036854775808, "i": -5, "u": 4294967295, "x": 0.1, "huge": 1e400})",
      R"({"a\u00e9": "x\ny\u0000z\"\\\/\b\f\r\t", "smile": "\ud83d\ude00", "": "empty key", "a.b": "dot"})",
      R"({"a": "x", "a": "y", "a": "", "a": 1, "A": [], "O": {}, "P": {"Q": {"R": ["s", "t"]}}})",
      R"({"attributes": "not an object", "L": {"attributes": {"type": "kept"}}})",
      R"({"attributes": ["kept", "too"]})",
      "{\"Id\": \"003C\"}\r",
      "  {\"Id\": \"003D\"}  \t",
      "",
      "\r",
      " \t\v\f",
      "\xEF\xBB\xBF{\"Id\": \"bom\"}",
      "\xBF{\"Id\": \"part of a bom\"}",
      "\xEF\xBF{\"Id\": \"two of it\"}",
      "\xEF\xBB\xBF",
      "\xEF\xBB\xBFx",
      R"({"Id": "003E", "Email" "x"})",
      R"({"Id": "003F", )",
      R"({"Id": )",
      R"({"Id")",
      R"({)",
      R"(})",
      R"([1, 2])",
      R"("a string")",
      "42",
      "null",
      "{}",
      R"({"a": 1} x)",
      std::string("{\"a\": 1}\0junk", 13),
      std::string("{\"a\": \"x\0y\"}", 12),
      "{\"a\": \"\xC3\"}",
      "{\"a\": \"\xC3",
      "{\"a\": \"\xF0\x9F",
      "{\"a\": \"\xF0\x9F\x98",
      "{\"a\": \"\xE2\x82\"}",
      "{\"a\": \"\xC0\xAF\"}",
      "{\"\xFF\": \"bad key\"}",
      "{\"a\": \"Am\xC3\xA9lie\", \"b\": \"\xED\xA0\x80\"}",
      R"({"a": "\x"})",
      R"({"a": "\u12"})",
      R"({"a": "\ud83d"})",
      R"({"a": "\ud83d\u0041"})",
      "{\"a\": \"tab\there\"}",
      R"({"a": 01})",
      R"({"a": 1.})",
      R"({"a": -})",
      R"({"a": tru})",
      R"({"a": nul})",
      R"({"a": [1, 2,]})",
      R"({"a": 1,})",
      R"({"a": 1 "b": 2})",
      nested(kMaxJsonDepth, "1"),
      nested(kMaxJsonDepth, "[]"),
      nested(kMaxJsonDepth, "{\"a\": \"b\"}"),
      nested(kMaxJsonDepth + 1, "{}") + " x",
      "{\"Deep\": " + std::string(100, '[') + std::string(100, ']') + "}",
      "{\"Deep\": " + std::string(100, '[') + std::string(99, ']') + "}",
      std::string(70, '[') + std::string(70, ']'),
  };
  return lines;
}

std::string join(const std::vector<std::string>& lines, const std::string& end) {
  std::string text;
  for (const auto& line : lines) text += line + end;
  return text;
}

}  // namespace

TEST_CASE("NdjsonReader reads every line as the reading it replaced did", "[ndjson]") {
  for (const std::string end : {"\n", "\r\n"}) {
    const auto text = join(sample_lines(), end);
    for (const auto& variant : {text, text.substr(0, text.size() - 1), text + "\n\n"}) {
      INFO("line end " << (end == "\n" ? "LF" : "CRLF") << ", " << variant.size() << " bytes");
      const auto expected = reference::read(variant, 1000);
      REQUIRE(expected.size() >= sample_lines().size());
      CHECK(read_all(variant, 1000) == expected);
    }
  }
}

TEST_CASE("NdjsonReader reads the same lines whatever bytes land on its buffer's boundaries",
          "[ndjson]") {
  // Every buffer size from one byte up puts each byte on a boundary in turn: the LF (and the CR
  // before it), each byte of a UTF-8 sequence or byte-order mark, a line's last byte. A line
  // longer than the buffer grows it; the limit (40 bytes) is met by some lines and passed by
  // others, and so is the buffer's growth.
  const std::string text =
      "{\"Id\": \"1\", \"Name\": \"Am\xC3\xA9lie\"}\r\n"  // 31 bytes, CR included
      "\n"
      "\xEF\xBB\xBF{\"Id\": \"2\"}\n"
      "{\"Id\": \"3\", \"Note\": \"12345678901234567\"}\n"    // 40 bytes: at the limit
      "{\"Id\": \"4\", \"Note\": \"123456789012345678\"}\n"   // 41 bytes: over it
      "{\"Id\": \"5\", \"Note\": \"12345678901234567\"}\r\n"  // 41 bytes with its CR: over it
      "{\"Id\": \"6\", \"Note\": \"\xF0\x9F\x98\x80\"}\n"
      "{\"Id\": \"7\" \"Note\"}\n"
      "\r\n"
      "{\"Id\": \"8\", \"Note\": \"\xC3\"}\n"
      "{\"Id\": \"9\"}";  // no final LF
  const auto expected = reference::read(text, 40);
  REQUIRE(expected.size() == 11);
  CHECK(expected[3].outcome == "record");
  CHECK(expected[4].outcome == "too long");
  CHECK(expected[5].outcome == "too long");
  for (std::size_t buffer = 1; buffer <= text.size() + 1; ++buffer) {
    INFO("buffer of " << buffer << " bytes");
    CHECK(read_all(text, 40, buffer) == expected);
    CHECK(read_all(text + "\n", 40, buffer) == expected);
  }
  // The sample lines, every line end on a boundary of small buffers.
  const auto samples = join(sample_lines(), "\n");
  const auto sample_expected = reference::read(samples, 1000);
  for (std::size_t buffer = 1; buffer <= 600; buffer += (buffer < 70 ? 1 : 37)) {
    INFO("buffer of " << buffer << " bytes");
    CHECK(read_all(samples, 1000, buffer) == sample_expected);
  }
}

TEST_CASE("NdjsonReader names the column of a malformed line and reads on", "[ndjson]") {
  const std::string text =
      "{\"Id\": \"1\"}\n"
      "{\"Id\": \"2\", \"Email\" \"x\"}\n"
      "[1, 2]\n"
      "{\"Id\": \"3\", \"Name\": \"Am\xC3\"}\n"
      "\xEF\xBB\xBF{\"Id\": \"4\",}\n"
      "{\"Deep\": " +
      std::string(70, '[') + std::string(70, ']') +
      "}\n"
      "{\"Id\": \"5\"}\n";
  const auto lines = read_all(text, 1000);
  CHECK(lines == reference::read(text, 1000));
  REQUIRE(lines.size() == 7);
  CHECK(lines[0] == Line{1, "record", {"Id=s:1"}});
  CHECK(lines[1] == Line{2, "21: Missing a colon after a name of object member.", {}});
  CHECK(lines[2] == Line{3, "1: not a JSON object", {}});
  CHECK(lines[3] == Line{4, "24: Invalid encoding in string.", {}});
  // The byte-order mark's three bytes count in the column.
  CHECK(lines[4] == Line{5, "15: Missing a name for object member.", {}});
  CHECK(lines[5] == Line{6, "1: nested deeper than 64 levels", {}});
  CHECK(lines[6] == Line{7, "record", {"Id=s:5"}});
}

TEST_CASE("NdjsonReader flattens nested objects and lists as the connector names them",
          "[ndjson]") {
  const auto lines = read_all(
      R"({"attributes": {"type": "Contact"}, "Id": "003A", "Owner": {"Name": "Agent", )"
      R"("attributes": {"type": "User"}}, "Tags": ["a", 1, {"x": "y"}, ["z"], "b"], "n": null, )"
      R"("ok": true, "Count": 12, "Esc": "line\nnext\u00e9"})",
      1000);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].fields ==
        std::vector<std::string>{"Id=s:003A", "Owner.Name=s:Agent", "Owner.attributes.type=s:User",
                                 "Tags=s:a", "Tags=s:b", "n=null:", "ok=b:true", "Count=n:0x1.8p+3",
                                 "Esc=s:line\nnext\xC3\xA9"});
}

TEST_CASE("NdjsonReader skips a line over its limit to its end and reads on", "[ndjson]") {
  const std::string big(5000, 'x');
  const std::string text =
      "{\"Id\": \"1\"}\n{\"Note\": \"" + big + "\"}\n{\"Id\": \"3\"}\n{\"Note\": \"" + big + "\"}";
  for (const std::size_t buffer : {std::size_t{7}, std::size_t{64}, std::size_t{100'000}}) {
    INFO("buffer of " << buffer << " bytes");
    const auto lines = read_all(text, 1000, buffer);
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == Line{1, "record", {"Id=s:1"}});
    CHECK(lines[1] == Line{2, "too long", {}});
    CHECK(lines[2] == Line{3, "record", {"Id=s:3"}});
    CHECK(lines[3] == Line{4, "too long", {}});  // the last, without its LF
    // Under a larger limit, the same line is read whole: the buffer grows to hold it.
    const auto whole = read_all(text, 5012, buffer);
    REQUIRE(whole.size() == 4);
    CHECK(whole[1] == Line{2, "record", {"Note=s:" + big}});
    CHECK(whole[3] == Line{4, "record", {"Note=s:" + big}});
  }
}

TEST_CASE("NdjsonReader counts blank lines, CRLF line ends and a last line without its LF",
          "[ndjson]") {
  const auto lines = read_all("{\"Id\": \"1\"}\r\n\r\n\n  \n{\"Id\": \"2\"}", 1000);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == Line{1, "record", {"Id=s:1"}});
  CHECK(lines[1].outcome == "blank");
  CHECK(lines[2].outcome == "blank");
  CHECK(lines[3].outcome == "blank");
  CHECK(lines[4] == Line{5, "record", {"Id=s:2"}});
  CHECK(read_all("", 1000).empty());
  CHECK(read_all("\n", 1000) == std::vector<Line>{{1, "blank", {}}});
}

TEST_CASE("NdjsonReader refuses control bytes and invalid UTF-8 wherever they fall in a line",
          "[ndjson]") {
  // Each byte at every place in 16 (strings are scanned 16 bytes at a time once they are known
  // to be valid UTF-8 without the control bytes the fast scan misses), in a value, in a name and
  // between them; UTF-8 sequences of every lead byte with second to fourth bytes on either side
  // of each range a lead byte allows.
  std::string text;
  for (int byte = 0; byte < 0x20; ++byte) {
    for (int pad = 0; pad < 20; ++pad) {
      const std::string padding(static_cast<std::size_t>(pad), 'x');
      const std::string control(1, static_cast<char>(byte));
      text += "{\"a\": \"" + padding + control + "yyyyyyyyyyyyyyyyyyyy\"}\n";
      text += "{\"" + padding + control + "\": 1}\n";
      text += "{\"a\":" + padding.substr(0, pad % 3) + control + "1}\n";
    }
  }
  const std::vector<unsigned char> seconds{0x22, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                           0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF};
  const std::vector<unsigned char> tails{0x41, 0x80, 0xBF, 0xC0};
  for (int lead = 0x80; lead <= 0xFF; ++lead) {
    for (const auto second : seconds) {
      for (const auto third : tails) {
        for (const auto fourth : tails) {
          const std::string sequence{static_cast<char>(lead), static_cast<char>(second),
                                     static_cast<char>(third), static_cast<char>(fourth)};
          const std::string padding(static_cast<std::size_t>(lead % 17), 'x');
          text += "{\"a\": \"" + padding + sequence + "yyyyyyyyyyyyyyyyyyyy\"}\n";
          if (third == 0x80) text += "{\"" + sequence + "\": \"" + padding + "\"}\n";
        }
      }
    }
  }
  const auto expected = reference::read(text, 1000);
  const auto lines = read_all(text, 1000);
  REQUIRE(lines.size() == expected.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == expected[i]) continue;
    if (++differ <= 5) CHECK(lines[i] == expected[i]);
  }
  CHECK(differ == 0);
  // Both kinds of line are there: records, and lines refused for their bytes.
  const auto count = [&](const std::string& outcome) {
    return std::count_if(expected.begin(), expected.end(), [&](const Line& line) {
      return line.outcome.find(outcome) != std::string::npos;
    });
  };
  CHECK(count("record") > 500);
  CHECK(count("Invalid encoding in string") > 1000);
  CHECK(count("Invalid escape character in string") > 100);
}

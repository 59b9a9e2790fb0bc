// RapidJSON with its SSE2 scanning of strings and white space, in a namespace of this file's
// own: RAPIDJSON_SSE2 changes the parser's code, which other files include without it. Set
// before anything here includes RapidJSON.
#if defined(__SSE2__)
#define RAPIDJSON_SSE2
#include <emmintrin.h>
#endif
#define RAPIDJSON_NAMESPACE crmscan_ndjson_rapidjson
#define RAPIDJSON_NAMESPACE_BEGIN namespace crmscan_ndjson_rapidjson {
#define RAPIDJSON_NAMESPACE_END }

#include "crmscan/ndjson_reader.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "crmscan/text.hpp"

namespace crmscan {
namespace rapidjson = ::crmscan_ndjson_rapidjson;
namespace {

// The buffer is followed by this many bytes: a line that ends the buffer without a LF is ended
// by a NUL there, past which RapidJSON reads up to three bytes in an unfinished UTF-8 sequence,
// and its SSE2 scans up to the end of the aligned 16 bytes that hold the NUL (bytes read, never
// used).
constexpr std::size_t kPadding = 16;

constexpr unsigned kParseFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag;
// Without checking UTF-8, strings are scanned 16 bytes at a time.
constexpr unsigned kFastParseFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag;

// Whether the parse without kParseValidateEncodingFlag reads `text` exactly as the one with it:
// when its bytes of 0x80 and over are valid UTF-8 (no string can then hold an invalid sequence),
// and it holds no byte from 0x1A to 0x1F, which RapidJSON 1.1.0's SSE2 string scan lets
// through where a string may hold no control character (it tests for bytes up to 0x19).
bool reads_alike_unvalidated(std::string_view text) {
  const char* at = text.data();
  const char* end = at + text.size();
  bool high = false;
#if defined(__SSE2__)
  __m128i bytes = _mm_setzero_si128();
  for (; at + 16 <= end; at += 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    bytes = _mm_or_si128(bytes, chunk);
    // A byte from 0x1A to 0x1F is one at most 5 once 0x1A is taken from it.
    const __m128i from = _mm_sub_epi8(chunk, _mm_set1_epi8(0x1A));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(from, _mm_set1_epi8(5)), from)) != 0)
      return false;
  }
  high = _mm_movemask_epi8(bytes) != 0;
#endif
  for (; at < end; ++at) {
    const auto byte = static_cast<unsigned char>(*at);
    if (byte >= 0x1A && byte <= 0x1F) return false;
    high = high || byte >= 0x80;
  }
  return !high || is_valid_utf8(text);
}

}  // namespace

// The SAX handler that flattens one line's object into fields, and what it reuses from line to
// line. Objects and arrays are "live" when their values are kept: the top-level object, the
// objects that are members of live objects (but for the top-level `attributes`) and the arrays
// that are; inside an array, only its strings are kept. A live container's parent is live, so
// the live ones are the first `live` of the `depth` open ones.
struct NdjsonReader::Parser : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Parser> {
  // A field's name: a view into the line (a top-level member) or a span of `names`.
  struct Name {
    const char* direct = nullptr;
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  struct Frame {
    bool object;
    std::size_t prefix_size;  // the size of `prefix` outside this container
    Name name;                // an array's
  };

  rapidjson::Reader reader;
  std::vector<NdjsonField>* fields = nullptr;
  std::string prefix;  // the dotted name of the live object being read, with its final dot
  std::string names;   // the names of nested members
  std::vector<std::pair<std::size_t, Name>> named;  // fields whose name is in `names`
  std::array<Frame, kMaxJsonDepth + 1> frames{};
  std::string_view key;
  int depth = 0;
  int live = 0;
  int deepest = 0;
  bool object = false;  // whether the line is an object

  void begin(std::vector<NdjsonField>& out) {
    fields = &out;
    out.clear();
    prefix.clear();
    names.clear();
    named.clear();
    depth = live = deepest = 0;
    object = false;
  }

  // The fields' views into `names`, once it no longer grows.
  void finish() {
    for (const auto& [index, name] : named)
      (*fields)[index].name = std::string_view(names.data() + name.offset, name.size);
  }

  Name member_name() {
    if (prefix.empty()) return {key.data(), 0, key.size()};
    const auto offset = names.size();
    names.append(prefix).append(key);
    return {nullptr, offset, names.size() - offset};
  }

  void add(const Name& name, NdjsonField field) {
    if (name.direct != nullptr) {
      field.name = std::string_view(name.direct, name.size);
    } else {
      named.emplace_back(fields->size(), name);
    }
    fields->push_back(field);
  }

  // A scalar of the kind given; `any` says whether it is kept inside a list too (a string).
  bool scalar(const NdjsonField& field, bool any) {
    if (depth == 0 || live != depth) return true;
    const auto& frame = frames[static_cast<std::size_t>(live - 1)];
    if (frame.object) {
      add(member_name(), field);
    } else if (any) {
      add(frame.name, field);
    }
    return true;
  }

  bool start(bool is_object) {
    ++depth;
    deepest = std::max(deepest, depth);
    if (depth == 1) {
      object = is_object;
      if (is_object) frames[static_cast<std::size_t>(live++)] = {true, 0, {}};
      return true;
    }
    if (live != depth - 1 || depth > kMaxJsonDepth) return true;
    const auto& parent = frames[static_cast<std::size_t>(live - 1)];
    if (!parent.object) return true;  // a list's objects and lists are left out
    if (is_object) {
      if (prefix.empty() && key == "attributes") return true;
      frames[static_cast<std::size_t>(live++)] = {true, prefix.size(), {}};
      prefix.append(key).push_back('.');
    } else {
      frames[static_cast<std::size_t>(live++)] = {false, prefix.size(), member_name()};
    }
    return true;
  }

  bool end() {
    if (live == depth) prefix.resize(frames[static_cast<std::size_t>(--live)].prefix_size);
    --depth;
    return true;
  }

  bool Null() { return scalar({}, false); }
  bool Bool(bool b) { return scalar({.kind = NdjsonField::Kind::kBool, .boolean = b}, false); }
  bool number(double d) { return scalar({.kind = NdjsonField::Kind::kNumber, .number = d}, false); }
  bool Int(int i) { return number(static_cast<double>(i)); }
  bool Uint(unsigned u) { return number(static_cast<double>(u)); }
  bool Int64(int64_t i) { return number(static_cast<double>(i)); }
  bool Uint64(uint64_t u) { return number(static_cast<double>(u)); }
  bool Double(double d) { return number(d); }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    return scalar({.kind = NdjsonField::Kind::kString, .text = std::string_view(text, length)},
                  true);
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    key = std::string_view(text, length);
    return true;
  }
  bool StartObject() { return start(true); }
  bool EndObject(rapidjson::SizeType) { return end(); }
  bool StartArray() { return start(false); }
  bool EndArray(rapidjson::SizeType) { return end(); }
};

NdjsonReader::NdjsonReader(std::istream& in, std::size_t max_line_bytes, std::size_t buffer_bytes)
    : in_(in),
      max_line_bytes_(max_line_bytes),
      buffer_(std::max<std::size_t>(buffer_bytes, 1) + kPadding),
      capacity_(std::max<std::size_t>(buffer_bytes, 1)) {}

NdjsonReader::~NdjsonReader() = default;

bool NdjsonReader::refill() {
  if (end_of_file_) return false;
  if (!too_long_ && end_ - position_ > max_line_bytes_) too_long_ = true;
  // Nothing of a line too long is kept: only where it ends is still to find.
  if (too_long_) position_ = end_;
  // Keep the start of the line at the front.
  if (position_ != 0) {
    std::memmove(buffer_.data(), buffer_.data() + position_, end_ - position_);
    end_ -= position_;
    position_ = 0;
  }
  if (end_ == capacity_) {
    // The line fills the buffer and is not over the limit (capacity_ <= max_line_bytes_): room
    // for more of it, up to the limit and its LF or NUL.
    capacity_ += std::min(capacity_, max_line_bytes_ - capacity_ + 1);
    buffer_.resize(capacity_ + kPadding);
  }
  const auto wanted = capacity_ - end_;
  in_.read(buffer_.data() + end_, static_cast<std::streamsize>(wanted));
  const auto count = static_cast<std::size_t>(in_.gcount());
  end_ += count;
  // A short read is the end of the input (or a read error: the stream is bad).
  end_of_file_ = count < wanted;
  return count != 0;
}

bool NdjsonReader::next() {
  too_long_ = false;
  std::size_t searched = 0;  // bytes of the line that hold no LF
  for (;;) {
    char* data = buffer_.data();
    const auto* found = static_cast<char*>(
        std::memchr(data + position_ + searched, '\n', end_ - position_ - searched));
    std::size_t stop = 0;
    if (found != nullptr) {
      stop = static_cast<std::size_t>(found - data);
    } else {
      searched = end_ - position_;
      const bool more = refill();
      if (too_long_) searched = 0;  // what was searched is dropped
      if (more) continue;
      // A read error loses the line it was reading; the end of the input ends the last line.
      if (in_.bad() || (position_ == end_ && !too_long_)) return false;
      stop = end_;
    }
    ++line_number_;
    too_long_ = too_long_ || stop - position_ > max_line_bytes_;
    line_begin_ = position_;
    line_size_ = too_long_ ? 0 : stop - position_;
    data[stop] = '\0';  // the end of the text that parse() reads
    position_ = std::min(stop + 1, end_);
    return true;
  }
}

std::optional<std::string> NdjsonReader::parse(std::vector<NdjsonField>& fields) {
  if (!parser_) parser_ = std::make_unique<Parser>();
  auto& parser = *parser_;
  parser.begin(fields);
  // As RapidJSON's Document::Parse(text, size) did: each byte of a UTF-8 byte-order mark is
  // skipped at the start, in its order, and the error offsets count them.
  char* text = buffer_.data() + line_begin_;
  std::size_t skipped = 0;
  for (const unsigned char mark : {0xEF, 0xBB, 0xBF}) {
    if (skipped < line_size_ && static_cast<unsigned char>(text[skipped]) == mark) ++skipped;
  }
  rapidjson::InsituStringStream stream(text + skipped);
  const auto result =
      reads_alike_unvalidated(std::string_view(text + skipped, line_size_ - skipped))
          ? parser.reader.Parse<kFastParseFlags>(stream, parser)
          : parser.reader.Parse<kParseFlags>(stream, parser);
  if (result.IsError()) {
    return std::to_string(skipped + result.Offset() + 1) + ": " +
           rapidjson::GetParseError_En(result.Code());
  }
  if (!parser.object) return "1: not a JSON object";
  if (parser.deepest > kMaxJsonDepth) {
    return "1: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
  }
  parser.finish();
  return std::nullopt;
}

}  // namespace crmscan

#pragma once

#include <cstddef>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan {

/// Objects and arrays nested deeper than this are refused: no export nests so deep, and a file
/// that does is built to exhaust the stack or to make each value cost its depth.
inline constexpr int kMaxJsonDepth = 64;

/// One value of a record read from an NDJSON line: its member's name (nested objects' names
/// joined with dots) and the scalar. Views into the reader's memory, valid until the next line.
struct NdjsonField {
  enum class Kind { kNull, kBool, kNumber, kString };
  Kind kind = Kind::kNull;
  std::string_view name{};
  std::string_view text{};  // kString
  double number = 0;        // kNumber
  bool boolean = false;     // kBool
};

/// Streams the lines of an NDJSON file, each one a record. Lines end at LF (a CR before it is
/// kept: JSON reads it as white space); the last one may lack its LF. A line longer than the
/// limit is skipped to its end and returned empty, with too_long() set. A stream that goes bad (a
/// read error) ends the lines, the line it was reading included: check the stream's bad().
///
/// Lines are found in one buffer (memchr for the line end) and parsed in place (RapidJSON's
/// insitu SAX parse): a record's names and strings are views into the buffer. A line longer than
/// the buffer grows it, up to the limit.
class NdjsonReader {
 public:
  /// The buffer a reader starts with.
  static constexpr std::size_t kDefaultBufferBytes = std::size_t{256} << 10;

  /// `max_line_bytes`: the longest line kept (its LF not counted). `buffer_bytes` (at least 1)
  /// is the size of the read buffer; tests make it tiny to put every byte on a boundary.
  NdjsonReader(std::istream& in, std::size_t max_line_bytes,
               std::size_t buffer_bytes = kDefaultBufferBytes);
  ~NdjsonReader();
  NdjsonReader(const NdjsonReader&) = delete;
  NdjsonReader& operator=(const NdjsonReader&) = delete;

  /// Reads the next line; false at the end of the input.
  bool next();
  /// The line read, without its LF (empty when it was too long).
  std::string_view line() const { return {buffer_.data() + line_begin_, line_size_}; }
  /// Whether the line was longer than the limit (and was not kept).
  bool too_long() const { return too_long_; }
  /// The number of the line read (1-based).
  std::size_t line_number() const { return line_number_; }

  /// Parses the line as one JSON object into `fields` (in the order of the text; the members of
  /// a nested object named `name.member`, Salesforce's top-level `attributes` object left out,
  /// each string of a list a value of the list's name, other list items left out). Returns why
  /// the line is not a record — "COLUMN: what": a JSON syntax error or invalid UTF-8, not an
  /// object, nested deeper than kMaxJsonDepth — or nothing. Once a line: the parse rewrites it.
  std::optional<std::string> parse(std::vector<NdjsonField>& fields);

 private:
  struct Parser;

  /// Reads more input after what is buffered, dropping what is before the current line; false
  /// at the end of the input or at a read error.
  bool refill();

  std::istream& in_;
  std::size_t max_line_bytes_;
  std::vector<char> buffer_;  // capacity_ bytes, then padding
  std::size_t capacity_;
  std::size_t position_ = 0;  // where the next line starts
  std::size_t end_ = 0;
  bool end_of_file_ = false;

  std::size_t line_begin_ = 0;
  std::size_t line_size_ = 0;
  bool too_long_ = false;
  std::size_t line_number_ = 0;
  std::unique_ptr<Parser> parser_;
};

}  // namespace crmscan

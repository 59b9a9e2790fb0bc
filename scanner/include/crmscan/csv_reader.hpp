#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan {

/// Bounds on one row, so that a hostile file costs bounded memory.
struct CsvLimits {
  /// Bytes of a row as written (quotes and commas included, its line end not).
  std::size_t max_row_bytes = std::size_t{256} << 20;
  std::size_t max_values = 100'000;
};

/// Streams RFC 4180 rows from a stream: quoted values with commas, quotes and line breaks,
/// a leading UTF-8 byte-order mark, CRLF or LF line ends. Holds one row at a time; a row over
/// the limits is skipped to its end and returned empty, with error() saying so. A value that is
/// not valid UTF-8 (or, read as ISO-8859-1, holds what that encoding does not write) makes its
/// row malformed. A stream that goes bad (a read error) ends the rows: check the stream's bad().
///
/// Rows are tokenised in place in one buffer (searching for the next quote, comma or line end
/// many bytes at a time); a value is copied once, into the caller's string (next(), or
/// next_row() and copy_value() straight into where the caller keeps it). A row longer than the
/// buffer grows it, up to the row limit.
class CsvReader {
 public:
  /// The buffer a reader starts with.
  static constexpr std::size_t kDefaultBufferBytes = std::size_t{256} << 10;

  /// `latin1` converts ISO-8859-1 bytes to UTF-8 as values are read. `buffer_bytes` (at least
  /// 1) is the size of the read buffer; tests make it tiny to put every byte on a boundary.
  CsvReader(std::istream& in, bool latin1 = false, CsvLimits limits = {},
            std::size_t buffer_bytes = kDefaultBufferBytes);

  /// Reads the next row into `fields` (reusing its strings); false at the end of the input.
  /// A row that is not well-formed is still returned, with error() saying why.
  bool next(std::vector<std::string>& fields);
  /// Reads the next row and keeps its values in the buffer, until the next call: value_count(),
  /// value(), copy_value(). False at the end of the input; error() as for next().
  bool next_row();
  std::size_t value_count() const { return spans_.size(); }
  /// Value `index` of the row as written in the file (ISO-8859-1 bytes not converted yet).
  std::string_view value(std::size_t index) const {
    return {buffer_.data() + spans_[index].begin, spans_[index].length};
  }
  /// Copies value `index` of the row into `into` (its storage reused), in UTF-8.
  void copy_value(std::size_t index, std::string& into) const;
  /// The line on which the last row started (1-based).
  std::size_t row_line() const { return row_line_; }
  /// Why the last row is malformed, or nothing.
  const std::optional<std::string>& error() const { return error_; }
  /// Bytes consumed so far.
  std::size_t bytes_read() const { return buffer_offset_ + position_; }

 private:
  enum class State { kValueStart, kUnquoted, kQuoted, kAfterQuote };
  enum class Step { kMore, kRowEnd, kNeedBytes };
  struct Span {
    std::size_t begin;
    std::size_t length;
  };

  void skip_byte_order_mark();
  /// Makes `count` bytes available past the position, or as many as the input still has.
  void ensure(std::size_t count);
  /// Reads more input after what is buffered, dropping what is before the current row; false at
  /// the end of the input.
  bool refill();
  /// Tokenises buffered bytes of the current row until it ends or the buffer runs out.
  Step scan();
  Step scan_unquoted();
  /// At a comma or a line end (position on it): ends the value, and the row at a line end.
  Step delimiter();
  void end_of_input();
  /// Moves [from, to) of the buffer to the end of the current value (in place: never forward).
  void append(std::size_t from, std::size_t to);
  void begin_value();
  /// The row has a value past max_values (apart from begin_value, called for every value).
  void too_many_values();
  void end_value();
  void format_error(const std::string& message);
  void over_limit(std::string message);
  /// Makes the row malformed if a value is not in the file's encoding.
  void check_encoding();
  void check_latin1();

  std::istream& in_;
  bool latin1_;
  CsvLimits limits_;
  std::vector<char> buffer_;  // capacity_ bytes, then padding for 16-byte loads
  std::size_t capacity_;
  std::size_t buffer_offset_ = 0;  // bytes of the input before buffer_[0]
  std::size_t position_ = 0;
  std::size_t end_ = 0;
  bool end_of_file_ = false;
  bool started_ = false;

  // The row being read: offsets into the buffer.
  std::size_t row_start_ = 0;
  std::size_t row_end_ = 0;        // where its last value ends
  std::size_t row_discarded_ = 0;  // bytes of it dropped once it went over the limits
  bool over_limit_ = false;
  State state_ = State::kValueStart;
  std::size_t value_begin_ = 0;
  std::size_t value_end_ = 0;  // where the next bytes of the value go
  std::size_t values_ = 0;     // values begun in the row
  std::size_t quote_line_ = 0;
  std::vector<Span> spans_;

  std::size_t line_ = 1;
  std::size_t row_line_ = 0;
  std::optional<std::string> error_;
};

}  // namespace crmscan

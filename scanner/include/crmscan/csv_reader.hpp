#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace crmscan {

/// Bounds on one row, so that a hostile file costs bounded memory.
struct CsvLimits {
  std::size_t max_row_bytes = std::size_t{256} << 20;
  std::size_t max_values = 100'000;
};

/// Streams RFC 4180 rows from a stream: quoted values with commas, quotes and line breaks,
/// a leading UTF-8 byte-order mark, CRLF or LF line ends. Holds one row at a time; a row over
/// the limits is skipped to its end and returned empty, with error() saying so. A value that is
/// not valid UTF-8 (or, read as ISO-8859-1, holds what that encoding does not write) makes its
/// row malformed. A stream that goes bad (a read error) ends the rows: check the stream's bad().
class CsvReader {
 public:
  /// `latin1` converts ISO-8859-1 bytes to UTF-8 as values are read.
  CsvReader(std::istream& in, bool latin1 = false, CsvLimits limits = {});

  /// Reads the next row into `fields` (reusing its strings); false at the end of the input.
  /// A row that is not well-formed is still returned, with error() saying why.
  bool next(std::vector<std::string>& fields);
  /// The line on which the last row started (1-based).
  std::size_t row_line() const { return row_line_; }
  /// Why the last row is malformed, or nothing.
  const std::optional<std::string>& error() const { return error_; }
  /// Bytes consumed so far.
  std::size_t bytes_read() const { return bytes_read_; }

 private:
  int get();
  int peek();
  bool fill();
  /// Consumes `length` buffered bytes into the current value, unless the row is over its limits.
  void take(std::string& value, std::size_t length);
  /// Reports a value that is not text of the file's encoding; converts ISO-8859-1 to UTF-8.
  void check_encoding(std::vector<std::string>& fields);

  std::istream& in_;
  bool latin1_;
  CsvLimits limits_;
  std::size_t row_bytes_ = 0;
  bool over_limit_ = false;
  std::vector<char> buffer_;
  std::size_t position_ = 0;
  std::size_t end_ = 0;
  std::size_t line_ = 1;
  std::size_t row_line_ = 0;
  std::size_t bytes_read_ = 0;
  bool started_ = false;
  std::optional<std::string> error_;
};

}  // namespace crmscan

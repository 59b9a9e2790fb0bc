#include "crmscan/csv_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "crmscan/text.hpp"

namespace crmscan {
namespace {
constexpr std::size_t kBufferSize = 1 << 16;

// The bytes that end a run of an unquoted value.
constexpr std::array<bool, 256> kUnquotedStops = [] {
  std::array<bool, 256> stops{};
  stops[','] = stops['\n'] = stops['\r'] = stops['"'] = true;
  return stops;
}();
}  // namespace

CsvReader::CsvReader(std::istream& in, bool latin1, CsvLimits limits)
    : in_(in), latin1_(latin1), limits_(limits), buffer_(kBufferSize) {}

bool CsvReader::fill() {
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  end_ = static_cast<std::size_t>(in_.gcount());
  position_ = 0;
  return end_ > 0;
}

int CsvReader::peek() {
  if (position_ == end_ && !fill()) return EOF;
  return static_cast<unsigned char>(buffer_[position_]);
}

int CsvReader::get() {
  const int c = peek();
  if (c != EOF) {
    ++position_;
    ++bytes_read_;
    if (c == '\n') ++line_;
  }
  return c;
}

void CsvReader::take(std::string& value, std::size_t length) {
  row_bytes_ += length;
  if (!over_limit_ && row_bytes_ > limits_.max_row_bytes) {
    over_limit_ = true;
    const auto bound = limits_.max_row_bytes;
    error_ = "a row longer than " +
             (bound % (1 << 20) == 0 ? std::to_string(bound >> 20) + " MiB"
                                     : std::to_string(bound) + " bytes") +
             "; the row was skipped to its end";
  }
  if (!over_limit_) value.append(buffer_.data() + position_, length);
  position_ += length;
  bytes_read_ += length;
}

bool CsvReader::next(std::vector<std::string>& fields) {
  error_.reset();
  if (!started_) {
    started_ = true;
    // In ISO-8859-1, 0xEF is 'ï': there is no byte-order mark to look for, and UTF-8's says the
    // file is not ISO-8859-1.
    if (latin1_ && peek() == 0xEF && position_ + 2 < end_ &&
        static_cast<unsigned char>(buffer_[position_ + 1]) == 0xBB &&
        static_cast<unsigned char>(buffer_[position_ + 2]) == 0xBF) {
      error_ = "UTF-8's byte-order mark in a file read as ISO-8859-1 (--encoding latin1)";
    }
    if (!latin1_ && peek() == 0xEF) {
      // A UTF-8 byte-order mark is three bytes; anything else starting with 0xEF is data.
      std::string mark;
      mark.push_back(static_cast<char>(get()));
      if (peek() == 0xBB) {
        mark.push_back(static_cast<char>(get()));
        if (peek() == 0xBF) {
          get();
          mark.clear();
        }
      }
      if (!mark.empty()) {
        error_ = "a byte-order mark that is not UTF-8's";
      }
    }
  }
  if (peek() == EOF) return false;
  row_line_ = line_;
  row_bytes_ = 0;
  over_limit_ = false;
  std::size_t count = 0;
  const auto start_field = [&]() -> std::string& {
    if (count == limits_.max_values && !over_limit_) {
      over_limit_ = true;
      error_ = "a row of more than " + std::to_string(limits_.max_values) +
               " values; the row was skipped to its end";
    }
    if (over_limit_) return fields[0];  // discarded with the row
    if (count == fields.size()) fields.emplace_back();
    auto& field = fields[count++];
    field.clear();
    return field;
  };
  if (fields.empty()) fields.emplace_back();
  std::string* field = &start_field();
  enum class State { kValueStart, kUnquoted, kQuoted, kAfterQuote } state = State::kValueStart;
  std::size_t quote_opened_on = 0;
  // Bytes are consumed in runs (up to the next byte that matters), not one by one.
  for (;;) {
    if (position_ == end_ && !fill()) {
      if (state == State::kQuoted) {
        error_ =
            "a quoted value opened on line " + std::to_string(quote_opened_on) + " never closes";
      }
      break;
    }
    const char* data = buffer_.data();
    if (state == State::kValueStart && data[position_] == '"') {
      get();
      state = State::kQuoted;
      quote_opened_on = line_;
      continue;
    }
    if (state == State::kQuoted) {
      const auto* quote =
          static_cast<const char*>(std::memchr(data + position_, '"', end_ - position_));
      const std::size_t run_end = quote == nullptr ? end_ : static_cast<std::size_t>(quote - data);
      line_ += static_cast<std::size_t>(std::count(data + position_, data + run_end, '\n'));
      take(*field, run_end - position_);
      if (quote == nullptr) continue;
      get();
      if (peek() == '"') {
        get();
        if (!over_limit_) field->push_back('"');
      } else {
        state = State::kAfterQuote;
      }
      continue;
    }
    const char next = data[position_];
    if (state == State::kAfterQuote && next != ',' && next != '\n' && next != '\r') {
      if (!error_) error_ = "text after the closing quote of value " + std::to_string(count);
      state = State::kUnquoted;
    }
    std::size_t run_end = position_;
    while (run_end < end_ && !kUnquotedStops[static_cast<unsigned char>(data[run_end])]) ++run_end;
    if (run_end != position_) {
      take(*field, run_end - position_);
      state = State::kUnquoted;
      continue;
    }
    const int stop = get();
    if (stop == ',') {
      field = &start_field();
      state = State::kValueStart;
    } else if (stop == '\n') {
      break;
    } else if (stop == '\r') {
      if (peek() == '\n') get();
      break;
    } else {  // a quote inside an unquoted value: kept, and reported
      if (!error_) error_ = "a quote inside an unquoted value " + std::to_string(count);
      if (!over_limit_) field->push_back('"');
      state = State::kUnquoted;
    }
  }
  fields.resize(over_limit_ ? 0 : count);
  check_encoding(fields);
  return true;
}

// Text that is not in the encoding the file is read in is an error of its row, never read as
// something else: UTF-8 must be valid, and ISO-8859-1 must not hold what only UTF-8 or
// Windows-1252 write (bytes 0x80 to 0x9F, UTF-8's two-byte sequences of Latin letters).
void CsvReader::check_encoding(std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto& value = fields[i];
    if (!latin1_) {
      if (!error_ && !is_valid_utf8(value)) {
        error_ = "value " + std::to_string(i + 1) +
                 " is not valid UTF-8 (an ISO-8859-1 export? read it with --encoding latin1)";
      }
      continue;
    }
    bool high = false, c1 = false, utf8_pair = false;
    for (std::size_t k = 0; k < value.size(); ++k) {
      const auto byte = static_cast<unsigned char>(value[k]);
      if (byte < 0x80) continue;
      high = true;
      c1 = c1 || byte <= 0x9F;
      if ((byte == 0xC2 || byte == 0xC3) && k + 1 < value.size() &&
          (static_cast<unsigned char>(value[k + 1]) & 0xC0) == 0x80) {
        utf8_pair = true;
      }
    }
    if (!high) continue;
    if (!error_ && (c1 || (utf8_pair && is_valid_utf8(value)))) {
      error_ = "value " + std::to_string(i + 1) +
               " holds bytes that ISO-8859-1 text does not (UTF-8 or Windows-1252 read with "
               "--encoding latin1?)";
    }
    value = latin1_to_utf8(value);
  }
}

}  // namespace crmscan

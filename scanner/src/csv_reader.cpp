#include "crmscan/csv_reader.hpp"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "crmscan/text.hpp"

namespace crmscan {
namespace {

// The buffer is followed by this many bytes, so that a 16-byte load at any position before its
// end stays inside the allocation (bytes past the end are read, never used).
constexpr std::size_t kPadding = 16;

// The first byte of [at, end) that is one of the Stops, or end.
template <char... Stops>
const char* find_first_of(const char* at, const char* end) {
#if defined(__SSE2__)
  for (; at < end; at += 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    const int mask = _mm_movemask_epi8(
        (_mm_setzero_si128() | ... | _mm_cmpeq_epi8(chunk, _mm_set1_epi8(Stops))));
    if (mask != 0) return std::min(at + __builtin_ctz(static_cast<unsigned>(mask)), end);
  }
  return end;
#else
  for (; at < end; ++at) {
    if (((*at == Stops) || ...)) return at;
  }
  return end;
#endif
}

std::string size_text(std::size_t bytes) {
  return bytes % (1 << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                : std::to_string(bytes) + " bytes";
}

}  // namespace

CsvReader::CsvReader(std::istream& in, bool latin1, CsvLimits limits, std::size_t buffer_bytes)
    : in_(in),
      latin1_(latin1),
      limits_(limits),
      buffer_(std::max<std::size_t>(buffer_bytes, 1) + kPadding),
      capacity_(std::max<std::size_t>(buffer_bytes, 1)) {}

bool CsvReader::refill() {
  if (end_of_file_) return false;
  if (!over_limit_ && position_ - row_start_ > limits_.max_row_bytes) {
    over_limit("a row longer than " + size_text(limits_.max_row_bytes) +
               "; the row was skipped to its end");
  }
  if (over_limit_) {
    // Nothing of the row is kept: only where it ends is still to find.
    row_discarded_ += position_ - row_start_;
    row_start_ = row_end_ = value_begin_ = value_end_ = position_;
  }
  // Keep the current row (or the bytes not read yet), at the front.
  const std::size_t shift = row_start_;
  if (shift != 0) {
    std::memmove(buffer_.data(), buffer_.data() + shift, end_ - shift);
    buffer_offset_ += shift;
    for (auto* offset : {&position_, &end_, &row_start_, &row_end_, &value_begin_, &value_end_})
      *offset -= shift;
    for (auto& span : spans_) span.begin -= shift;
  }
  if (end_ == capacity_) {
    capacity_ *= 2;
    buffer_.resize(capacity_ + kPadding);
  }
  in_.read(buffer_.data() + end_, static_cast<std::streamsize>(capacity_ - end_));
  const auto count = static_cast<std::size_t>(in_.gcount());
  end_ += count;
  end_of_file_ = count == 0;
  return count != 0;
}

void CsvReader::ensure(std::size_t count) {
  while (end_ - position_ < count && refill()) {
  }
}

void CsvReader::skip_byte_order_mark() {
  row_start_ = position_;
  ensure(3);
  const auto byte = [&](std::size_t i) {
    return position_ + i < end_ ? static_cast<unsigned char>(buffer_[position_ + i]) : 0;
  };
  if (byte(0) != 0xEF) return;
  if (latin1_) {
    // In ISO-8859-1, 0xEF is 'ï': there is no byte-order mark to skip, and UTF-8's says the
    // file is not ISO-8859-1.
    if (byte(1) == 0xBB && byte(2) == 0xBF)
      error_ = "UTF-8's byte-order mark in a file read as ISO-8859-1 (--encoding latin1)";
    return;
  }
  // A UTF-8 byte-order mark is three bytes; anything else starting with 0xEF is not one, and
  // what was read of it is dropped.
  const bool utf8_mark = byte(1) == 0xBB && byte(2) == 0xBF;
  position_ += utf8_mark ? 3 : byte(1) == 0xBB ? 2 : 1;
  if (!utf8_mark) error_ = "a byte-order mark that is not UTF-8's";
}

void CsvReader::format_error(const std::string& message) {
  if (!error_) error_ = message;
}

void CsvReader::over_limit(std::string message) {
  over_limit_ = true;
  error_ = std::move(message);
  spans_.clear();
}

void CsvReader::begin_value() {
  if (values_ == limits_.max_values && !over_limit_) too_many_values();
  ++values_;
  value_begin_ = value_end_ = position_;
}

void CsvReader::too_many_values() {
  over_limit("a row of more than " + std::to_string(limits_.max_values) +
             " values; the row was skipped to its end");
}

void CsvReader::end_value() {
  if (!over_limit_) spans_.push_back({value_begin_, value_end_ - value_begin_});
  row_end_ = position_;
}

void CsvReader::append(std::size_t from, std::size_t to) {
  if (value_end_ != from && !over_limit_)
    std::memmove(buffer_.data() + value_end_, buffer_.data() + from, to - from);
  value_end_ += to - from;
}

CsvReader::Step CsvReader::delimiter() {
  const char c = buffer_[position_];
  // A CR ends the row; a LF right after it belongs to that line end.
  if (c == '\r' && position_ + 1 == end_ && !end_of_file_) return Step::kNeedBytes;
  end_value();
  ++position_;
  if (c == ',') {
    begin_value();
    state_ = State::kValueStart;
    return Step::kMore;
  }
  if (c == '\r' && position_ < end_ && buffer_[position_] == '\n') ++position_;
  if (buffer_[position_ - 1] == '\n') ++line_;
  return Step::kRowEnd;
}

CsvReader::Step CsvReader::scan_unquoted() {
  const char* data = buffer_.data();
  const auto stop = static_cast<std::size_t>(
      find_first_of<',', '\n', '\r', '"'>(data + position_, data + end_) - data);
  append(position_, stop);
  position_ = stop;
  if (stop == end_) return Step::kNeedBytes;
  if (data[stop] != '"') return delimiter();
  // A quote inside an unquoted value: kept, and reported.
  format_error("a quote inside an unquoted value " + std::to_string(values_));
  append(stop, stop + 1);
  ++position_;
  return Step::kMore;
}

CsvReader::Step CsvReader::scan() {
  const char* data = buffer_.data();
  while (position_ < end_) {
    switch (state_) {
      case State::kValueStart:
        if (data[position_] != '"') {
          state_ = State::kUnquoted;
          continue;
        }
        quote_line_ = line_;
        value_begin_ = value_end_ = ++position_;
        state_ = State::kQuoted;
        continue;
      case State::kUnquoted:
        if (const auto step = scan_unquoted(); step != Step::kMore) return step;
        continue;
      case State::kQuoted: {
        // To the next quote: the line breaks on the way are the value's own.
        auto stop = position_;
        for (;;) {
          stop =
              static_cast<std::size_t>(find_first_of<'"', '\n'>(data + stop, data + end_) - data);
          if (stop == end_ || data[stop] == '"') break;
          ++line_;
          ++stop;
        }
        append(position_, stop);
        position_ = stop;
        if (stop == end_) return Step::kNeedBytes;
        // A quote: doubled, it is one quote of the value; else it closes the value.
        if (stop + 1 == end_ && !end_of_file_) return Step::kNeedBytes;
        if (stop + 1 < end_ && data[stop + 1] == '"') {
          append(stop, stop + 1);
          position_ += 2;
          continue;
        }
        ++position_;
        state_ = State::kAfterQuote;
        continue;
      }
      case State::kAfterQuote: {
        const char c = data[position_];
        if (c == ',') {
          // The next value (as delimiter() would, without its line-end cases).
          end_value();
          ++position_;
          begin_value();
          state_ = State::kValueStart;
        } else if (c == '\n' || c == '\r') {
          if (const auto step = delimiter(); step != Step::kMore) return step;
        } else {
          format_error("text after the closing quote of value " + std::to_string(values_));
          state_ = State::kUnquoted;
        }
        continue;
      }
    }
  }
  return Step::kNeedBytes;
}

void CsvReader::end_of_input() {
  if (state_ == State::kQuoted) {
    error_ = "a quoted value opened on line " + std::to_string(quote_line_) + " never closes";
  }
  end_value();
}

bool CsvReader::next(std::vector<std::string>& fields) {
  if (!next_row()) return false;
  fields.resize(spans_.size());
  for (std::size_t i = 0; i < spans_.size(); ++i) copy_value(i, fields[i]);
  return true;
}

bool CsvReader::next_row() {
  error_.reset();
  if (!started_) {
    started_ = true;
    skip_byte_order_mark();
  }
  row_start_ = position_;
  if (position_ == end_ && !refill()) return false;
  row_line_ = line_;
  row_discarded_ = 0;
  over_limit_ = false;
  spans_.clear();
  values_ = 0;
  state_ = State::kValueStart;
  begin_value();
  for (;;) {
    if (scan() == Step::kRowEnd) break;
    // A byte waiting for the one after it (a quote, a CR) is read on at the end of the input.
    if (refill() || position_ < end_) continue;
    end_of_input();
    break;
  }
  if (!over_limit_ && row_end_ - row_start_ > limits_.max_row_bytes) {
    over_limit("a row longer than " + size_text(limits_.max_row_bytes) +
               "; the row was skipped to its end");
  }
  check_encoding();
  return true;
}

// Text that is not in the encoding the file is read in is an error of its row, never read as
// something else: UTF-8 must be valid, and ISO-8859-1 must not hold what only UTF-8 or
// Windows-1252 write (bytes 0x80 to 0x9F, UTF-8's two-byte sequences of Latin letters).
void CsvReader::check_encoding() {
  if (latin1_) return check_latin1();
  if (error_ || spans_.empty() ||
      is_ascii(std::string_view(buffer_.data() + row_start_, row_end_ - row_start_)))
    return;
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    if (!is_valid_utf8(value(i))) {
      error_ = "value " + std::to_string(i + 1) +
               " is not valid UTF-8 (an ISO-8859-1 export? read it with --encoding latin1)";
      return;
    }
  }
}

void CsvReader::check_latin1() {
  for (std::size_t i = 0; i < spans_.size() && !error_; ++i) {
    const auto text = value(i);
    bool c1 = false, utf8_pair = false, high = false;
    for (std::size_t k = 0; k < text.size(); ++k) {
      const auto byte = static_cast<unsigned char>(text[k]);
      if (byte < 0x80) continue;
      high = true;
      c1 = c1 || byte <= 0x9F;
      if ((byte == 0xC2 || byte == 0xC3) && k + 1 < text.size() &&
          (static_cast<unsigned char>(text[k + 1]) & 0xC0) == 0x80) {
        utf8_pair = true;
      }
    }
    if (high && (c1 || (utf8_pair && is_valid_utf8(text)))) {
      error_ = "value " + std::to_string(i + 1) +
               " holds bytes that ISO-8859-1 text does not (UTF-8 or Windows-1252 read with "
               "--encoding latin1?)";
    }
  }
}

void CsvReader::copy_value(std::size_t index, std::string& into) const {
  const auto text = value(index);
  if (latin1_) {
    into = latin1_to_utf8(text);
  } else {
    into.assign(text);
  }
}

}  // namespace crmscan

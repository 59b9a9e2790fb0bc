#include "crmscan/csv_reader.hpp"

#include "crmscan/text.hpp"

namespace crmscan {
namespace {
constexpr std::size_t kBufferSize = 1 << 16;
}

CsvReader::CsvReader(std::istream& in, bool latin1)
    : in_(in), latin1_(latin1), buffer_(kBufferSize) {}

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

bool CsvReader::next(std::vector<std::string>& fields) {
  error_.reset();
  if (!started_) {
    started_ = true;
    // In ISO-8859-1, 0xEF is 'ï': there is no byte-order mark to look for.
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
  std::size_t count = 0;
  const auto start_field = [&]() -> std::string& {
    if (count == fields.size()) fields.emplace_back();
    auto& field = fields[count++];
    field.clear();
    return field;
  };
  std::string* field = &start_field();
  bool quoted_seen = false;
  for (;;) {
    int c = get();
    if (c == '"' && field->empty() && !quoted_seen) {
      quoted_seen = true;
      const std::size_t opened_on = line_;
      for (;;) {
        c = get();
        if (c == EOF) {
          error_ = "a quoted value opened on line " + std::to_string(opened_on) + " never closes";
          fields.resize(count);
          return true;
        }
        if (c == '"') {
          if (peek() == '"') {
            get();
            field->push_back('"');
            continue;
          }
          break;
        }
        field->push_back(static_cast<char>(c));
      }
      c = peek();
      if (c != ',' && c != '\n' && c != '\r' && c != EOF && !error_) {
        error_ = "text after the closing quote of value " + std::to_string(count);
      }
      continue;
    }
    if (c == ',') {
      field = &start_field();
      quoted_seen = false;
      continue;
    }
    if (c == '\r') {
      if (peek() == '\n') get();
      break;
    }
    if (c == '\n' || c == EOF) break;
    if (c == '"' && !error_) error_ = "a quote inside an unquoted value " + std::to_string(count);
    field->push_back(static_cast<char>(c));
  }
  fields.resize(count);
  if (latin1_) {
    for (auto& value : fields) {
      for (const char byte : value) {
        if (static_cast<unsigned char>(byte) >= 0x80) {
          value = latin1_to_utf8(value);
          break;
        }
      }
    }
  }
  return true;
}

}  // namespace crmscan

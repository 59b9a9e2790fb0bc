// CsvReader: the RFC 4180 reading that every CSV export and subjects file goes through.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "crmscan/csv_reader.hpp"

namespace {

using Rows = std::vector<std::vector<std::string>>;

struct ReadResult {
  Rows rows;
  std::vector<std::size_t> lines;
  std::vector<std::string> errors;  // "" for a well-formed row
};

ReadResult read_all(const std::string& text, bool latin1 = false,
                    std::size_t buffer_bytes = crmscan::CsvReader::kDefaultBufferBytes) {
  std::istringstream in(text);
  crmscan::CsvReader reader(in, latin1, {}, buffer_bytes);
  ReadResult result;
  std::vector<std::string> row;
  while (reader.next(row)) {
    result.rows.push_back(row);
    result.lines.push_back(reader.row_line());
    result.errors.push_back(reader.error().value_or(""));
  }
  return result;
}

}  // namespace

TEST_CASE("CsvReader keeps commas inside quoted values", "[csv]") {
  const auto result = read_all("Id,Subject,Status\n1,\"Call, inbound\",Done\n");
  REQUIRE(result.rows == Rows{{"Id", "Subject", "Status"}, {"1", "Call, inbound", "Done"}});
  CHECK(result.errors == std::vector<std::string>{"", ""});
}

TEST_CASE("CsvReader turns doubled quotes into one quote", "[csv]") {
  const auto result = read_all("\"She said \"\"call me\"\", twice\",\"\"\"\"\n");
  REQUIRE(result.rows.size() == 1);
  CHECK(result.rows[0] == std::vector<std::string>{"She said \"call me\", twice", "\""});
  CHECK(result.errors[0].empty());
}

TEST_CASE("CsvReader reads values over several lines and reports the line each row starts on",
          "[csv]") {
  const std::string text =
      "Id,Description\n"
      "1,\"first line\n"
      "second line\n"
      "third line\"\n"
      "2,single\n"
      "3,\"a\r\nb\"\r\n"
      "4,last\n";
  const auto result = read_all(text);
  REQUIRE(result.rows.size() == 5);
  CHECK(result.rows[1] == std::vector<std::string>{"1", "first line\nsecond line\nthird line"});
  CHECK(result.rows[2] == std::vector<std::string>{"2", "single"});
  CHECK(result.rows[3] == std::vector<std::string>{"3", "a\r\nb"});
  CHECK(result.rows[4] == std::vector<std::string>{"4", "last"});
  CHECK(result.lines == std::vector<std::size_t>{1, 2, 5, 6, 8});
}

TEST_CASE("CsvReader strips a UTF-8 byte-order mark from the first header", "[csv]") {
  const auto result = read_all("\xEF\xBB\xBF\"Id\",\"Email\"\r\n\"003\",\"a@example.com\"\r\n");
  REQUIRE(result.rows.size() == 2);
  CHECK(result.rows[0] == std::vector<std::string>{"Id", "Email"});
  CHECK(result.rows[1] == std::vector<std::string>{"003", "a@example.com"});
  CHECK(result.errors == std::vector<std::string>{"", ""});
  CHECK(result.lines == std::vector<std::size_t>{1, 2});
}

TEST_CASE("CsvReader reads CRLF and LF line ends alike", "[csv]") {
  const Rows expected{{"a", "b"}, {"c", "d"}, {"e", "f"}};
  SECTION("CRLF") {
    CHECK(read_all("a,b\r\nc,d\r\ne,f\r\n").rows == expected);
  }
  SECTION("LF") {
    CHECK(read_all("a,b\nc,d\ne,f\n").rows == expected);
  }
  SECTION("mixed, no line end after the last row") {
    CHECK(read_all("a,b\r\nc,d\ne,f").rows == expected);
  }
  SECTION("quoted values before a CRLF") {
    CHECK(read_all("\"a\",\"b\"\r\n\"c\",\"d\"\r\n\"e\",\"f\"\r\n").rows == expected);
  }
}

TEST_CASE("CsvReader keeps empty values in their place", "[csv]") {
  const auto result = read_all("a,,c\n,,\n\"\",\"x\",\"\"\n");
  REQUIRE(result.rows.size() == 3);
  CHECK(result.rows[0] == std::vector<std::string>{"a", "", "c"});
  CHECK(result.rows[1] == std::vector<std::string>{"", "", ""});
  CHECK(result.rows[2] == std::vector<std::string>{"", "x", ""});
  CHECK(result.errors == std::vector<std::string>{"", "", ""});
}

TEST_CASE("CsvReader converts Latin-1 bytes to UTF-8 when asked", "[csv]") {
  const std::string text = "Name,City\nAm\xE9lie Dubois,\"Saint-\xC9tienne\"\n";
  SECTION("latin1") {
    const auto result = read_all(text, true);
    REQUIRE(result.rows.size() == 2);
    CHECK(result.rows[1] ==
          std::vector<std::string>{"Am\xC3\xA9lie Dubois", "Saint-\xC3\x89tienne"});
  }
  SECTION("utf-8 (the default) leaves the bytes as they are") {
    const auto result = read_all(text, false);
    REQUIRE(result.rows.size() == 2);
    CHECK(result.rows[1][0] == "Am\xE9lie Dubois");
  }
}

TEST_CASE("CsvReader names the line where a quote that never closes was opened", "[csv]") {
  const std::string text =
      "Id,Subject,Description\n"
      "1,ok,fine\n"
      "2,\"multi\n"
      "line\",\"never closed\n"
      "3,x,y\n";
  const auto result = read_all(text);
  REQUIRE(result.rows.size() == 3);
  CHECK(result.errors[0].empty());
  CHECK(result.errors[1].empty());
  CHECK(result.lines[2] == 3);
  CHECK_THAT(result.errors[2], Catch::Contains("line 4") && Catch::Contains("never closes"));
}

TEST_CASE("CsvReader reports text after a closing quote and reads the next row", "[csv]") {
  const auto result = read_all("Id,Name\n1,\"Amelie\" Dubois\n2,Tomas\n");
  REQUIRE(result.rows.size() == 3);
  CHECK_FALSE(result.errors[1].empty());
  CHECK_THAT(result.errors[1], Catch::Contains("closing quote"));
  CHECK(result.errors[2].empty());
  CHECK(result.rows[2] == std::vector<std::string>{"2", "Tomas"});
  CHECK(result.lines[2] == 3);
}

TEST_CASE("CsvReader keeps a leading Latin-1 character that looks like the start of a BOM",
          "[csv]") {
  // 0xEF is 'ï' in ISO-8859-1; only EF BB BF is a byte-order mark.
  const auto result = read_all("\xEFle,Ville\n1,Paris\n", true);
  REQUIRE(result.rows.size() == 2);
  CHECK(result.rows[0] == std::vector<std::string>{"\xC3\xAFle", "Ville"});
  CHECK(result.errors[0].empty());
}

TEST_CASE("CsvReader reads values that span its read buffer, quotes and line breaks included",
          "[csv]") {
  // Values far longer than the 64 KiB buffer, with doubled quotes and line breaks everywhere, so
  // that every kind of byte lands on a buffer boundary somewhere.
  std::string long_quoted;
  std::string long_plain;
  for (int i = 0; i < 40'000; ++i) {
    long_quoted += (i % 7 == 0) ? "\"" : (i % 11 == 0) ? "\n" : "x";
    long_plain += static_cast<char>('a' + i % 26);
  }
  std::string escaped;
  for (const char c : long_quoted) escaped += c == '"' ? std::string("\"\"") : std::string(1, c);
  const std::string text = "Id,Body,Tail\n1,\"" + escaped + "\"," + long_plain + "\n2,b,c\n";
  const auto result = read_all(text);
  REQUIRE(result.rows.size() == 3);
  CHECK(result.rows[1] == std::vector<std::string>{"1", long_quoted, long_plain});
  CHECK(result.rows[2] == std::vector<std::string>{"2", "b", "c"});
  const auto breaks =
      static_cast<std::size_t>(std::count(long_quoted.begin(), long_quoted.end(), '\n'));
  CHECK(result.lines == std::vector<std::size_t>{1, 2, 3 + breaks});
  CHECK(result.errors == std::vector<std::string>{"", "", ""});
}

TEST_CASE("CsvReader skips a row over its limits, says why, and reads on", "[csv]") {
  const crmscan::CsvLimits limits{/*max_row_bytes=*/1 << 20, /*max_values=*/1000};
  const std::string huge_value(3 << 20, 'x');
  std::string many_values = "v";
  for (int i = 0; i < 5000; ++i) many_values += ",v";
  const std::string text = "Id,Body\n1,\"" + huge_value + "\"\n" + many_values + "\n3,after\n";
  std::istringstream in(text);
  crmscan::CsvReader reader(in, false, limits);
  std::vector<std::string> row;
  REQUIRE(reader.next(row));
  CHECK(row == std::vector<std::string>{"Id", "Body"});
  REQUIRE(reader.next(row));
  CHECK(row.empty());
  REQUIRE(reader.error());
  CHECK_THAT(*reader.error(), Catch::Contains("longer than 1 MiB"));
  CHECK(reader.row_line() == 2);
  REQUIRE(reader.next(row));
  CHECK(row.empty());
  REQUIRE(reader.error());
  CHECK_THAT(*reader.error(), Catch::Contains("more than 1000 values"));
  REQUIRE(reader.next(row));
  CHECK(row == std::vector<std::string>{"3", "after"});
  CHECK_FALSE(reader.error());
  CHECK(reader.row_line() == 4);
}

TEST_CASE("CsvReader reads the same rows whatever bytes land on its buffer's boundaries", "[csv]") {
  // Every buffer size from one byte up puts each byte of these texts on a boundary in turn: a
  // quote that may be doubled or closing, the LF of a CRLF, a line break inside a quoted value,
  // a byte-order mark, text after a closing quote.
  struct Case {
    std::string text;
    Rows rows;
    std::vector<std::size_t> lines;
    std::vector<std::string> errors;
  };
  const std::vector<Case> cases{
      {"\"Id\",\"Note\"\r\n\"1\",\"say \"\"hi\"\"\r\nthen\nbye\"\r\n\"2\",\"\"\"\"\r\n",
       {{"Id", "Note"}, {"1", "say \"hi\"\r\nthen\nbye"}, {"2", "\""}},
       {1, 2, 5},
       {"", "", ""}},
      {"\xEF\xBB\xBFId,Name\r\n1,Ann\r\r\n2,Bo\r",
       {{"Id", "Name"}, {"1", "Ann"}, {""}, {"2", "Bo"}},
       {1, 2, 2, 3},  // a CR alone ends a row but not a line
       {"", "", "", ""}},
      {"a,\"b\" c,\"d\"\"\"\ne,\"f\n\"\"g\"\"\",h\n",
       {{"a", "b c", "d\""}, {"e", "f\n\"g\"", "h"}},
       {1, 2},
       {"text after the closing quote of value 2", ""}},
      {"x,\"open\nnever closed",
       {{"x", "open\nnever closed"}},
       {1},
       {"a quoted value opened on line 1 never closes"}},
  };
  for (const auto& test : cases) {
    for (std::size_t size = 1; size <= test.text.size() + 1; ++size) {
      INFO("buffer of " << size << " bytes, text: " << test.text);
      const auto result = read_all(test.text, false, size);
      CHECK(result.rows == test.rows);
      CHECK(result.lines == test.lines);
      CHECK(result.errors == test.errors);
    }
  }
}

TEST_CASE("CsvReader limits a row by its bytes as written, and its buffer grows to hold one",
          "[csv]") {
  // "1,\"" + 20 x + "\"" is 24 bytes: read under a 24-byte limit, skipped under 23, whatever the
  // buffer (smaller buffers grow to hold the row).
  const std::string text = "1,\"" + std::string(20, 'x') + "\"\r\n2,y\r\n";
  for (const std::size_t limit : {23, 24}) {
    for (const std::size_t size : {1, 4, 64}) {
      INFO("limit " << limit << ", buffer of " << size << " bytes");
      std::istringstream in(text);
      crmscan::CsvReader reader(in, false, crmscan::CsvLimits{limit, 10}, size);
      std::vector<std::string> row;
      REQUIRE(reader.next(row));
      if (limit == 24) {
        CHECK(row == std::vector<std::string>{"1", std::string(20, 'x')});
        CHECK_FALSE(reader.error());
      } else {
        CHECK(row.empty());
        REQUIRE(reader.error());
        CHECK_THAT(*reader.error(), Catch::Contains("longer than 23 bytes"));
      }
      REQUIRE(reader.next(row));
      CHECK(row == std::vector<std::string>{"2", "y"});
      CHECK(reader.row_line() == 2);
      CHECK_FALSE(reader.next(row));
      CHECK(reader.bytes_read() == text.size());
    }
  }
}

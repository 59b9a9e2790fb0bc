// CsvReader over arbitrary bytes, as UTF-8 and as Latin-1: rows come out, or errors, never a
// crash; the line numbers only grow.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "crmscan/csv_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const bool latin1 : {false, true}) {
    std::istringstream in(bytes);
    crmscan::CsvReader reader(in, latin1);
    std::vector<std::string> row;
    std::size_t last_line = 0;
    while (reader.next(row)) {
      if (reader.row_line() < last_line || reader.bytes_read() > size) std::abort();
      last_line = reader.row_line();
    }
  }
  return 0;
}

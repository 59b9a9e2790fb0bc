// The subjects-file reader (CSV) over arbitrary bytes, then normalisation: requests, or one
// DataError naming the file and line, never a crash or another exception.
#include <cstddef>
#include <cstdint>

#include "crmscan/error.hpp"
#include "crmscan/subject.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = crmscan::fuzz::write_input("subjects.csv", data, size);
  try {
    const crmscan::SubjectSet subjects(crmscan::load_subjects_file(path), "GB");
  } catch (const crmscan::DataError&) {
  }
  return 0;
}

// The file connector's NDJSON reader over arbitrary bytes: records or one error naming the file,
// never a crash, a hang or an exception.
#include <cstddef>
#include <cstdint>

#include "file_connector.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = crmscan::fuzz::write_input("Contact.ndjson", data, size);
  crmscan::FileConnector connector({{"input", path}, {"encoding", "utf-8"}, {"crm", "salesforce"}});
  connector.scan(
      "Contact", [](const crmscan::Record&) {}, [](const std::string&, const std::string&) {});
  return 0;
}

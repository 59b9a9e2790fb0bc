// The rule-pack loader over arbitrary YAML: a pack, or one ConfigError naming file:line:column,
// never a crash, a hang or another exception (alias bombs and deep nesting included).
#include <cstddef>
#include <cstdint>

#include "crmscan/error.hpp"
#include "crmscan/rules.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = crmscan::fuzz::write_input("pack.yaml", data, size);
  try {
    auto pack = crmscan::load_rule_pack(path);
    crmscan::RuleSet::from_packs({std::move(pack)});
  } catch (const crmscan::ConfigError&) {
  }
  return 0;
}

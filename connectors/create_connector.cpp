#include "crmscan/connector.hpp"

#include <algorithm>

#include "connector_kit.hpp"
#include "crmscan/error.hpp"

namespace crmscan {

std::unique_ptr<Connector> create_connector(const std::string& name, ConnectorConfig config) {
  const auto& registry = connector_registry();
  const auto entry = std::find_if(registry.begin(), registry.end(), [&](const ConnectorEntry& e) {
    return e.descriptor().name == name;
  });
  if (entry == registry.end()) {
    std::string names;
    for (const auto& e : registry) names += (names.empty() ? "" : ", ") + e.descriptor().name;
    throw UsageError("unknown connector '" + name + "' (available: " + names + ")");
  }
  const auto descriptor = entry->descriptor();
  check_options(descriptor, config);
  for (const auto& option : descriptor.options) {
    if (config.count(option.key) != 0) continue;
    if (option.required) {
      throw UsageError("connector " + name + " needs --" + option.key + " (" + option.help + ")");
    }
    if (!option.default_value.empty()) config[option.key] = option.default_value;
  }
  return entry->create(config);
}

}  // namespace crmscan

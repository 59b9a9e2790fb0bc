#include "command_line.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "crmscan/error.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace fs = std::filesystem;

namespace crmscan::cli {

po::variables_map parse(const po::options_description& options,
                        const std::vector<std::string>& args,
                        const po::positional_options_description* positional) {
  po::variables_map vm;
  try {
    po::command_line_parser parser(args);
    parser.options(options);
    if (positional != nullptr) parser.positional(*positional);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

std::vector<std::string> many(const po::variables_map& vm, const char* key) {
  return vm.count(key) != 0 ? vm[key].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::string value_or_empty(const po::variables_map& vm, const char* key) {
  return vm.count(key) != 0 ? vm[key].as<std::string>() : std::string();
}

void add_key_values(ConnectorConfig& config, const std::vector<std::string>& arguments,
                    const char* flag) {
  for (const auto& argument : arguments) {
    const auto equals = argument.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError(std::string(flag) + " takes KEY=VALUE, not '" + argument + "'");
    config[argument.substr(0, equals)] = argument.substr(equals + 1);
  }
}

bool declares_option(const std::string& connector, const std::string& key) {
  for (const auto& entry : connector_registry()) {
    const auto descriptor = entry.descriptor();
    if (descriptor.name != connector) continue;
    return std::any_of(descriptor.options.begin(), descriptor.options.end(),
                       [&key](const ConnectorOption& option) { return option.key == key; });
  }
  return false;
}

po::options_description source_options() {
  po::options_description source("source");
  source.add_options()("connector", po::value<std::string>()->default_value("file"),
                       "the connector (see 'crmscan connectors')")(
      "input", po::value<std::string>(), "file connector: the export folder or file")(
      "encoding", po::value<std::string>(), "file connector: utf-8 (default) or latin1")(
      "crm", po::value<std::string>(),
      "file connector: the CRM that wrote the export: salesforce, dynamics365, hubspot, "
      "crm-lite… (default: recognised from the files)")(
      "option", po::value<std::vector<std::string>>()->composing(),
      "any connector option as KEY=VALUE (repeatable)")(
      "max-api-calls", po::value<std::string>(),
      "API connectors: stop the scan after this many requests")(
      "max-wait", po::value<std::string>(),
      "API connectors: seconds the scan may spend in all waiting for throttled requests "
      "(Retry-After) before it stops, incomplete (default 300)")(
      "rules", po::value<std::vector<std::string>>()->composing(),
      "rule packs or folders (default: the shipped packs for the connector's CRM)")(
      "ca-file", po::value<std::string>(),
      "a CA bundle to trust (a private CA), for every connector that takes ca_file");
  return source;
}

ConnectorConfig connector_config(const po::variables_map& vm) {
  ConnectorConfig config;
  for (const char* key : {"input", "encoding", "crm"}) {
    if (vm.count(key) != 0) config[key] = vm[key].as<std::string>();
  }
  if (vm.count("max-api-calls") != 0)
    config["max_api_calls"] = vm["max-api-calls"].as<std::string>();
  const auto connector = vm["connector"].as<std::string>();
  const auto ca_file = value_or_empty(vm, "ca-file");
  if (vm.count("ca-file") != 0 && !fs::is_regular_file(ca_file))
    throw MissingInputError("--ca-file " + ca_file + ": no such file");
  if (!ca_file.empty() && declares_option(connector, "ca_file")) config["ca_file"] = ca_file;
  const auto max_wait = value_or_empty(vm, "max-wait");
  if (!max_wait.empty()) {
    if (!declares_option(connector, "max_wait"))
      throw UsageError("--max-wait: the " + connector +
                       " connector does not wait out throttled requests");
    config["max_wait"] = max_wait;
  }
  add_key_values(config, many(vm, "option"), "--option");
  return config;
}

Source open_source(const po::variables_map& vm, ConnectorConfig config) {
  const auto connector_name = vm["connector"].as<std::string>();
  auto connector = create_connector(connector_name, config);
  auto rule_paths = many(vm, "rules");
  if (rule_paths.empty()) {
    const auto root = fs::path(shipped_rules_root()) / connector->crm();
    if (!fs::is_directory(root)) {
      throw ConfigError("no rule packs for CRM '" + connector->crm() + "' (looked in " +
                        root.string() + "); give --rules");
    }
    return {std::move(connector), RuleSet::load({root.string()})};
  }
  auto given = RuleSet::load(rule_paths);
  if (config.count("crm") == 0 && declares_option(connector_name, "crm")) {
    std::set<std::string> crms;
    for (const auto& pack : given.packs()) crms.insert(pack.crm);
    if (crms.size() == 1) {
      config["crm"] = *crms.begin();
      connector = create_connector(connector_name, config);
    }
  }
  return {std::move(connector), std::move(given)};
}

void register_for_scrubbing(const std::vector<SubjectRequest>& requests) {
  for (const auto& request : requests) {
    for (const auto* values : {&request.emails, &request.phones, &request.names, &request.ids}) {
      for (const auto& value : *values) register_request_value(value);
    }
  }
  release_registry_spare();
}

void register_for_scrubbing(const SubjectSet& subjects) {
  for (const auto& subject : subjects.subjects()) {
    for (const auto* values : {&subject.emails, &subject.names, &subject.given_ids}) {
      for (const auto& value : *values) register_request_value(value);
    }
    for (const auto& id : subject.given_ids) register_request_value(id.substr(0, 15));
    for (const auto& phone : subject.phones) {
      register_request_value(phone);
      register_request_value(phone.substr(1));  // its digits
      register_request_value(PhoneNormalizer::national_number(phone));
    }
  }
  release_registry_spare();
}

}  // namespace crmscan::cli

// What the commands share on the command line: parsing, and the source of a scan (a connector
// with its options and the rule packs for its CRM), which `scan` and `verify` both take.
#pragma once

#include <boost/program_options.hpp>

#include <memory>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"

namespace crmscan::cli {

namespace po = boost::program_options;

/// Parses `args`; a malformed command line is a UsageError.
po::variables_map parse(const po::options_description& options,
                        const std::vector<std::string>& args,
                        const po::positional_options_description* positional = nullptr);

/// The values of a repeatable option, none when it is absent.
std::vector<std::string> many(const po::variables_map& vm, const char* key);

/// The value of an option, empty when it is absent.
std::string value_or_empty(const po::variables_map& vm, const char* key);

/// Adds KEY=VALUE arguments of `flag` to a connector configuration.
void add_key_values(ConnectorConfig& config, const std::vector<std::string>& arguments,
                    const char* flag);

/// Whether the named connector declares the option (unknown connectors are reported later).
bool declares_option(const std::string& connector, const std::string& key);

/// The options that say where a scan reads: connector, its options, rule packs, CA bundle.
po::options_description source_options();

/// The connector configuration the source options give. A missing --ca-file is an error, and
/// --max-wait one for a connector that never waits.
ConnectorConfig connector_config(const po::variables_map& vm);

/// A connector ready to scan and the rule packs for it.
struct Source {
  std::unique_ptr<Connector> connector;
  RuleSet rules;
};

/// Creates the connector and loads --rules, or the shipped packs of its CRM. Without --crm, packs
/// given that agree on one CRM say which CRM wrote the export.
Source open_source(const po::variables_map& vm, ConnectorConfig config);

/// Registers the requests' values, in every form a connector may send them, for scrub() to redact
/// in any error text (a server echoing a query, a file's line quoted back).
void register_for_scrubbing(const std::vector<SubjectRequest>& requests);
void register_for_scrubbing(const SubjectSet& subjects);

}  // namespace crmscan::cli

// The crmscan command line: parses arguments, runs a command, and turns every error into one
// message and an exit code.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "command_line.hpp"
#include "crmscan/connector.hpp"
#include "crmscan/error.hpp"
#include "crmscan/pack_tests.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/version.hpp"
#include "plan_commands.hpp"
#include "scan_command.hpp"

namespace fs = std::filesystem;
using namespace crmscan;
using namespace crmscan::cli;

namespace {

constexpr const char* kUsage =
    R"(crmscan: find the personal data a right-to-be-forgotten request must erase in a CRM

usage: crmscan <command> [options]

commands:
  scan                  scan a CRM for one or many requests and report what to erase
  plan REPORT --out DIR an erasure plan the CRM's own tools load (nothing is executed)
  verify REPORT         scan again and prove that what the report found is gone
  rules validate PATH…  check rule packs (file:line:column for every problem)
  rules test PATH…      run the tests that rule packs carry
  rules list [PATH…]    list rule packs
  connectors            list connectors and their options

crmscan <command> --help tells more. crmscan --version prints the version.
)";

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

int run_rules_command(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()("help,h", "this help")("action", po::value<std::string>(),
                                               "validate, test or list")(
      "paths", po::value<std::vector<std::string>>()->composing(), "rule packs or folders");
  po::positional_options_description positional;
  positional.add("action", 1).add("paths", -1);
  const auto vm = parse(options, args, &positional);
  if (vm.count("help") != 0 || vm.count("action") == 0) {
    std::cout << "usage: crmscan rules validate|test|list [PATH…]\n\n"
                 "  validate PATH…  load packs strictly; every problem names file:line:column and "
                 "the rule\n"
                 "  test PATH…      run each pack's tests (x.test.yaml beside x.yaml); exit 1 on a "
                 "failure\n"
                 "  list [PATH…]    list packs (default: every shipped pack)\n";
    return vm.count("help") != 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  const auto action = vm["action"].as<std::string>();
  auto paths = many(vm, "paths");
  if (paths.empty()) {
    if (action != "list") throw UsageError("rules " + action + " needs at least one PATH");
    paths.push_back(shipped_rules_root());
  }
  if (action == "validate") {
    const auto rules = RuleSet::load(paths);
    for (const auto& pack : rules.packs())
      std::cout << "ok  " << pack.id << "  " << pack.path << "\n";
    return 0;
  }
  if (action == "list") {
    for (const auto& file : find_pack_files(paths)) {
      const auto pack = load_rule_pack(file);
      std::size_t rule_count = 0;
      for (const auto& object : pack.objects) {
        rule_count += object.identity.size() + object.related.size() + object.reaches.size() +
                      object.fields.size() + object.text.size();
      }
      std::cout << pack.id << "  " << pack.version << "  crm=" << pack.crm
                << "  objects=" << pack.objects.size() << "  rules=" << rule_count << "  "
                << fs::proximate(file).string() << "\n    " << pack.description << "\n";
    }
    return 0;
  }
  if (action == "test") {
    const auto results = run_pack_tests(paths);
    std::size_t failed = 0;
    for (const auto& result : results) {
      std::cout << (result.failures.empty() ? "PASS  " : "FAIL  ") << result.file << ": "
                << result.name << "\n";
      for (const auto& failure : result.failures) std::cout << "        " << failure << "\n";
      failed += result.failures.empty() ? 0 : 1;
    }
    std::cout << (results.size() - failed) << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
  }
  throw UsageError("unknown rules action '" + action + "' (validate, test, list)");
}

int run_connectors_command() {
  for (const auto& entry : connector_registry()) {
    const auto descriptor = entry.descriptor();
    std::cout << descriptor.name << ": " << descriptor.summary << "\n";
    for (const auto& option : descriptor.options) {
      std::cout << "  " << option.key << " (" << option.type
                << (option.required                ? ", required"
                    : option.default_value.empty() ? ""
                                                   : ", default " + option.default_value)
                << ")  " << option.help << "\n";
    }
  }
  std::cout << "\nSet an option with --option KEY=VALUE (the file connector's input, encoding and "
               "crm also as\n"
               "--input, --encoding, --crm; ca_file of every connector as --ca-file). The content "
               "connector\n"
               "vcc_content runs after a CRM scan with 'scan --content vcc'; set its options with\n"
               "--content-option KEY=VALUE. Credentials are never options: they come from the "
               "environment.\n";
  return 0;
}

// An error may quote a file or a server: printed through the same scrubber as the reports, line by
// line (a usage error ends with the usage).
void print_error(const std::string& prefix, std::string_view message) {
  std::cerr << "crmscan: " << prefix;
  for (const auto& line : split_lines(message)) std::cerr << scrub(line) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage;
      return args.empty() ? static_cast<int>(ExitCode::kUsage) : 0;
    }
    if (args[0] == "--version") {
      std::cout << "crmscan " << kVersion << "\n";
      return 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "scan") return run_scan_command(rest);
    if (args[0] == "rules") return run_rules_command(rest);
    if (args[0] == "plan") return run_plan_command(rest);
    if (args[0] == "verify") return run_verify_command(rest);
    if (args[0] == "connectors") {
      if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
        std::cout << "usage: crmscan connectors\n\nLists each connector with its options.\n";
        return 0;
      }
      return run_connectors_command();
    }
    throw UsageError("unknown command '" + args[0] + "'\n\n" + kUsage);
  } catch (const Error& e) {
    print_error("", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    print_error("internal error: ", e.what());
    return static_cast<int>(ExitCode::kIncomplete);
  }
}

// The crmscan command line: parses arguments, runs a command, and turns every error into one
// message and an exit code.
#include <sys/stat.h>
#include <unistd.h>
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <set>

#include "content_lookup.hpp"
#include "crmscan/connector.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/pack_tests.hpp"
#include "crmscan/progress.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/request_values.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "crmscan/version.hpp"
#include "plan_commands.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace crmscan;

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

po::variables_map parse(const po::options_description& options,
                        const std::vector<std::string>& args,
                        const po::positional_options_description* positional = nullptr) {
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

template <typename T>
std::vector<T> many(const po::variables_map& vm, const char* key) {
  return vm.count(key) != 0 ? vm[key].as<std::vector<T>>() : std::vector<T>{};
}

// Whether the named connector declares the option (unknown connectors are reported later).
bool declares_option(const std::string& connector, const std::string& key) {
  for (const auto& entry : connector_registry()) {
    const auto descriptor = entry.descriptor();
    if (descriptor.name != connector) continue;
    return std::any_of(descriptor.options.begin(), descriptor.options.end(),
                       [&key](const ConnectorOption& option) { return option.key == key; });
  }
  return false;
}

// Adds KEY=VALUE arguments to a connector configuration.
void add_key_values(ConnectorConfig& config, const std::vector<std::string>& arguments,
                    const char* flag) {
  for (const auto& argument : arguments) {
    const auto equals = argument.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError(std::string(flag) + " takes KEY=VALUE, not '" + argument + "'");
    config[argument.substr(0, equals)] = argument.substr(equals + 1);
  }
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= text.size();) {
    const auto end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The requests' values, in every form a connector may send them, for scrub() to redact in any
// error text (a server echoing a query, a file's line quoted back).
void register_request_values(const std::vector<SubjectRequest>& requests) {
  for (const auto& request : requests) {
    for (const auto* values : {&request.emails, &request.phones, &request.names, &request.ids}) {
      for (const auto& value : *values) register_request_value(value);
    }
  }
}

void register_subject_values(const SubjectSet& subjects) {
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
}

int run_scan_command(const std::vector<std::string>& args) {
  po::options_description subject(
      "subjects (one request on the command line, or many from a file)");
  subject.add_options()("email", po::value<std::vector<std::string>>()->composing(),
                        "an email address of the subject (repeatable)")(
      "phone", po::value<std::vector<std::string>>()->composing(),
      "a phone number of the subject (repeatable)")(
      "name", po::value<std::vector<std::string>>()->composing(),
      "the subject's name (repeatable; a name alone only gives findings to review)")(
      "id", po::value<std::vector<std::string>>()->composing(),
      "a CRM record id of the subject (repeatable; Salesforce ids of 15 or 18 characters)")(
      "request-id", po::value<std::string>()->default_value("request-1"),
      "the id of the request, carried by every finding")(
      "subjects", po::value<std::string>(),
      "a CSV or YAML file of requests (request_id,email,phone,name,id)")(
      "default-region", po::value<std::string>()->default_value(""),
      "region (ISO 3166, e.g. GB) in which national phone numbers are read");
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
      "full-read", "read every record even where the connector can look records up (an inventory)")(
      "rules", po::value<std::vector<std::string>>()->composing(),
      "rule packs or folders (default: the shipped packs for the connector's CRM)")(
      "ca-file", po::value<std::string>(),
      "a CA bundle to trust (a private CA), for every connector that takes ca_file");
  po::options_description content("content (recordings, voicemails, transcripts)");
  content.add_options()("content", po::value<std::string>(),
                        "after the CRM scan, look up the stored content of the calls it found: "
                        "vcc (Vonage Contact Center's Interaction Content API)")(
      "since", po::value<std::string>(),
      "search the content API by the requests' phone numbers from this UTC date (YYYY-MM-DD)")(
      "until", po::value<std::string>(), "... up to this UTC date, inclusive")(
      "content-option", po::value<std::vector<std::string>>()->composing(),
      "an option of the content connector as KEY=VALUE (repeatable; see 'crmscan connectors')")(
      "plan", po::value<std::string>(),
      "write the content erasure plan (JSON, mode 0600) to this file; nothing is deleted");
  po::options_description output("output");
  std::string format_help = "report formats, separated by commas:";
  for (const auto& format : report_formats())
    format_help += "\n  " + format.name + ": " + format.description;
  output.add_options()("format", po::value<std::string>()->default_value("json"),
                       format_help.c_str())(
      "out", po::value<std::string>(),
      "write the reports (findings.<format>, report.html; mode 0600) to this folder and print a "
      "summary")("show-values", "show the values found instead of redacted previews")(
      "fail-on-findings", "exit 1 when the scan is complete and found something")(
      "progress", po::value<std::string>()->default_value("auto"),
      "progress on stderr, never on stdout: auto (a live line when stderr is a terminal, else "
      "none), tty (the live line), plain (a line per object read and every 10 seconds, for "
      "logs), none")("quiet,q",
                     "print nothing but errors: no progress, no summary (the reports are still "
                     "written, and without --out the report still goes to stdout)")("help,h",
                                                                                    "this help");
  po::options_description all;
  all.add(subject).add(source).add(content).add(output);
  const auto vm = parse(all, args);
  if (vm.count("help") != 0) {
    std::cout
        << "usage: crmscan scan [options]\n\n"
        << all
        << "\nexit codes: 0 complete, 1 findings with --fail-on-findings, 2 incomplete, 64 usage,\n"
           "65 bad data, 66 missing input, 78 bad configuration\n";
    return 0;
  }

  set_request_values_shown(vm.count("show-values") != 0);
  const bool quiet = vm.count("quiet") != 0;
  if (quiet && !vm["progress"].defaulted())
    throw UsageError("--quiet shows no progress: give --quiet or --progress, not both");
  const auto progress_mode =
      quiet ? ProgressMode::kNone : parse_progress_mode(vm["progress"].as<std::string>());
  std::vector<SubjectRequest> requests;
  const bool inline_subject =
      vm.count("email") + vm.count("phone") + vm.count("name") + vm.count("id") != 0;
  if (vm.count("subjects") != 0) {
    if (inline_subject)
      throw UsageError(
          "give subjects with --subjects or with --email/--phone/--name/--id, not both");
    requests = load_subjects_file(vm["subjects"].as<std::string>());
    if (requests.empty())
      throw DataError(vm["subjects"].as<std::string>() + ": no requests in the file");
  } else if (inline_subject) {
    requests.push_back({vm["request-id"].as<std::string>(), many<std::string>(vm, "email"),
                        many<std::string>(vm, "phone"), many<std::string>(vm, "name"),
                        many<std::string>(vm, "id"), "command line"});
  } else {
    throw UsageError("nothing to look for: give --email, --phone, --name, --id or --subjects");
  }
  register_request_values(requests);

  std::vector<std::unique_ptr<Reporter>> reporters;
  for (const auto& format : split_list(vm["format"].as<std::string>(), ','))
    reporters.push_back(make_reporter(format));
  const bool to_folder = vm.count("out") != 0;
  if (!to_folder && reporters.size() != 1) throw UsageError("several formats need --out DIR");

  const auto ca_file = vm.count("ca-file") != 0 ? vm["ca-file"].as<std::string>() : "";
  if (vm.count("ca-file") != 0 && !fs::is_regular_file(ca_file))
    throw MissingInputError("--ca-file " + ca_file + ": no such file");
  ConnectorConfig config;
  for (const char* key : {"input", "encoding", "crm"}) {
    if (vm.count(key) != 0) config[key] = vm[key].as<std::string>();
  }
  if (vm.count("max-api-calls") != 0)
    config["max_api_calls"] = vm["max-api-calls"].as<std::string>();
  const auto connector_name = vm["connector"].as<std::string>();
  if (!ca_file.empty() && declares_option(connector_name, "ca_file")) config["ca_file"] = ca_file;
  // A budget for waiting applies to every connector that waits (the content API's too).
  const auto max_wait = vm.count("max-wait") != 0 ? vm["max-wait"].as<std::string>() : "";
  if (!max_wait.empty()) {
    if (!declares_option(connector_name, "max_wait"))
      throw UsageError("--max-wait: the " + connector_name +
                       " connector does not wait out throttled requests");
    config["max_wait"] = max_wait;
  }
  add_key_values(config, many<std::string>(vm, "option"), "--option");

  // The content connector is set up before the CRM scan: its configuration and credentials
  // fail fast.
  const bool with_content = vm.count("content") != 0;
  for (const char* key : {"since", "until", "content-option", "plan"}) {
    if (!with_content && vm.count(key) != 0)
      throw UsageError(std::string("--") + key + " needs --content");
  }
  std::unique_ptr<Connector> content_connector;
  if (with_content) {
    const auto name = vm["content"].as<std::string>();
    if (name != "vcc") throw UsageError("unknown --content '" + name + "' (available: vcc)");
    ConnectorConfig content_config;
    if (vm.count("since") != 0) content_config["since"] = vm["since"].as<std::string>();
    if (vm.count("until") != 0) content_config["until"] = vm["until"].as<std::string>();
    if (!ca_file.empty()) content_config["ca_file"] = ca_file;
    if (!max_wait.empty()) content_config["max_wait"] = max_wait;
    add_key_values(content_config, many<std::string>(vm, "content-option"), "--content-option");
    content_connector = create_connector("vcc_content", content_config);
  }

  // Reading the subjects' phone numbers loads libphonenumber's metadata, and the rule packs are
  // parsed YAML: each is a large share of a small scan, and neither needs the other, so they are
  // read on two threads. A subject error is still reported before a connector or a rule error.
  auto subjects_read =
      std::async(std::launch::async, [&requests, region = vm["default-region"].as<std::string>()] {
        return SubjectSet(requests, region);
      });
  std::unique_ptr<Connector> connector;
  const auto rules = [&] {
    try {
      connector = create_connector(connector_name, config);
      auto rule_paths = many<std::string>(vm, "rules");
      if (rule_paths.empty()) {
        const auto root = fs::path(shipped_rules_root()) / connector->crm();
        if (!fs::is_directory(root)) {
          throw ConfigError("no rule packs for CRM '" + connector->crm() + "' (looked in " +
                            root.string() + "); give --rules");
        }
        rule_paths.push_back(root.string());
        return RuleSet::load(rule_paths);
      }
      auto given = RuleSet::load(rule_paths);
      // Without --crm, the packs given say which CRM wrote the export, when they agree.
      if (config.count("crm") == 0 && declares_option(connector_name, "crm")) {
        std::set<std::string> crms;
        for (const auto& pack : given.packs()) crms.insert(pack.crm);
        if (crms.size() == 1) {
          config["crm"] = *crms.begin();
          connector = create_connector(connector_name, config);
        }
      }
      return given;
    } catch (...) {
      subjects_read.get();
      throw;
    }
  }();
  const SubjectSet subjects = subjects_read.get();
  register_subject_values(subjects);
  // The requests as written are not needed once normalised: with many, they are megabytes.
  std::vector<SubjectRequest>().swap(requests);
  ScanOptions options;
  // The output folder is made, checked and locked, and the files it will hold are checked, before
  // the scan: a folder others can write, or a report that cannot be replaced, is refused at once.
  // A scan with many findings keeps what does not fit in memory there.
  std::unique_ptr<OutputFolder> out_folder;
  if (to_folder) {
    out_folder = std::make_unique<OutputFolder>(vm["out"].as<std::string>());
    for (const auto& reporter : reporters) out_folder->check_target(reporter->file_name());
    options.spill_folder = out_folder->path();
  }
  if (vm.count("plan") != 0) {
    const auto plan = fs::path(vm["plan"].as<std::string>());
    check_private_folder(plan.has_parent_path() ? plan.parent_path().string() : ".");
  }
  options.show_values = vm.count("show-values") != 0;
  options.full_read = vm.count("full-read") != 0;
  std::unique_ptr<Stage> content_stage;
  if (content_connector) {
    content_stage = content_connector->stage(subjects, options.show_values);
    if (!content_stage) throw UsageError("--content: that connector does not look content up");
    options.stages.push_back(content_stage.get());
  }
  // The values plan and verify need but the redacted report leaves out (values.json).
  RequestValuesRecorder values_recorder(subjects);
  options.stages.push_back(&values_recorder);
  auto progress = make_progress_display(progress_mode, STDERR_FILENO);
  options.progress = progress.get();
  const auto report = run_scan(*connector, rules, subjects, options);
  progress.reset();  // the line is erased before anything else is printed
  const auto& values = values_recorder.values();

  const auto summary = make_reporter("summary");
  if (to_folder) {
    out_folder->check_target("values.json");
    out_folder->stage("values.json", [&values](std::ostream& out) { out << values.to_json(); });
    // Every format is written whole before any replaces the previous report.
    for (const auto& reporter : reporters) {
      out_folder->stage(reporter->file_name(),
                        [&](std::ostream& out) { reporter->write(report, out); });
    }
    out_folder->commit();
    if (!quiet) {
      summary->write(report, std::cout);
      std::cout << "written: ";
      for (std::size_t i = 0; i < reporters.size(); ++i) {
        std::cout << (i ? ", " : "")
                  << printable((fs::path(out_folder->path()) / reporters[i]->file_name()).string());
      }
      std::cout << "\n";
    }
  } else {
    reporters.front()->write(report, std::cout);
    if (!quiet) summary->write(report, std::cerr);
  }
  if (vm.count("plan") != 0) {
    const auto path = vm["plan"].as<std::string>();
    write_private_file(path, vcc::content_erasure_plan(report, content_connector->source()));
    if (!quiet) {
      (to_folder ? std::cout : std::cerr)
          << "content erasure plan (not executed): " << printable(path) << "\n";
    }
  }
  // Quiet, an incomplete scan is still an error to tell.
  if (quiet && !report.complete()) {
    std::cerr << "crmscan: ";
    write_incomplete(report, std::cerr);
  }
  if (!report.complete()) return static_cast<int>(ExitCode::kIncomplete);
  if (vm.count("fail-on-findings") != 0 && !report.findings.empty())
    return static_cast<int>(ExitCode::kFindings);
  return 0;
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
  auto paths = many<std::string>(vm, "paths");
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
    if (args[0] == "verify") return run_verify_command(rest, shipped_rules_root());
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

#include "plan_commands.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "crmscan/connector.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/plan.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/verify.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace crmscan {
namespace {

po::variables_map parse(const po::options_description& options,
                        const std::vector<std::string>& args,
                        const po::positional_options_description& positional) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

std::vector<std::string> many(const po::variables_map& vm, const char* key) {
  return vm.count(key) != 0 ? vm[key].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::string default_values_path(const SavedReport& report) {
  return (fs::path(report.path).parent_path() / "values.json").string();
}

}  // namespace

int run_plan_command(const std::vector<std::string>& args) {
  po::options_description options("options");
  options.add_options()("report", po::value<std::string>(), "findings.json or its folder")(
      "out", po::value<std::string>(), "the plan's folder (made 0700; files 0600)")(
      "blank-text",
      "blank a free-text field whole instead of erasing only the request's "
      "identifiers in it")("rules", po::value<std::vector<std::string>>()->composing(),
                           "rule packs (default: those the report names)")(
      "values", po::value<std::string>(),
      "the report's private values file (default: values.json beside the report)")("help,h",
                                                                                   "this help");
  po::positional_options_description positional;
  positional.add("report", 1);
  const auto vm = parse(options, args, positional);
  if (vm.count("help") != 0) {
    std::cout
        << "usage: crmscan plan REPORT --out DIR [options]\n\n"
           "Writes an erasure plan: plan.json, one file per step that the CRM's own tools\n"
           "load (Salesforce: Data Loader / sf data delete|update bulk CSV), and review.csv.\n"
           "Nothing is executed.\n\n"
        << options;
    return 0;
  }
  if (vm.count("report") == 0 || vm.count("out") == 0)
    throw UsageError("crmscan plan needs a REPORT and --out DIR");
  PlanOptions plan;
  plan.report = vm["report"].as<std::string>();
  plan.out = vm["out"].as<std::string>();
  plan.blank_text = vm.count("blank-text") != 0;
  plan.rules = many(vm, "rules");
  if (vm.count("values") != 0) plan.values = vm["values"].as<std::string>();
  const auto result = write_plan(plan);
  std::size_t records = 0;
  for (const auto& step : result.steps) {
    std::cout << "step " << step.step << "  " << step.operation << "  " << printable(step.object)
              << "  " << step.records << " record(s)  " << printable(step.file) << "\n";
    records += step.records;
  }
  std::cout << "review: " << result.review << " finding(s) for a person in review.csv\n";
  for (const auto& note : result.notes) std::cout << "note: " << scrub(note) << "\n";
  std::cout << "plan: " << result.steps.size() << " step(s), " << records
            << " record(s), written to " << printable(plan.out) << " (not executed)\n";
  return result.complete ? 0 : static_cast<int>(ExitCode::kIncomplete);
}

int run_verify_command(const std::vector<std::string>& args, const std::string& rules_root) {
  po::options_description options("options");
  options.add_options()("report", po::value<std::string>(), "findings.json or its folder")(
      "values", po::value<std::string>(),
      "the report's private values file (default: values.json beside the report)")(
      "connector", po::value<std::string>()->default_value("file"), "the connector")(
      "input", po::value<std::string>(), "file connector: the export folder or file")(
      "encoding", po::value<std::string>(), "file connector: utf-8 (default) or latin1")(
      "crm", po::value<std::string>(), "file connector: the CRM that wrote the export")(
      "option", po::value<std::vector<std::string>>()->composing(),
      "any connector option as KEY=VALUE (repeatable)")(
      "max-api-calls", po::value<std::string>(), "API connectors: stop after this many requests")(
      "rules", po::value<std::vector<std::string>>()->composing(),
      "rule packs (default: the shipped packs for the connector's CRM)")(
      "ca-file", po::value<std::string>(), "a CA bundle to trust")(
      "default-region", po::value<std::string>()->default_value(""),
      "region in which national phone numbers are read (as the scan had it)")(
      "out", po::value<std::string>(),
      "where verification.json goes (default: the report's folder)")("help,h", "this help");
  po::positional_options_description positional;
  positional.add("report", 1);
  const auto vm = parse(options, args, positional);
  if (vm.count("help") != 0) {
    std::cout << "usage: crmscan verify REPORT [the scan's source options]\n\n"
                 "Scans again for the report's requests, with every identifier the scan used\n"
                 "(given and learned), and says of each destructive finding whether it is gone.\n\n"
              << options
              << "\nexit codes: 0 every destructive finding gone and nothing new; 1 some still "
                 "present or new;\n2 incomplete\n";
    return 0;
  }
  if (vm.count("report") == 0) throw UsageError("crmscan verify needs a REPORT");
  const auto report = read_report(vm["report"].as<std::string>());
  const auto values = RequestValues::load(vm.count("values") != 0 ? vm["values"].as<std::string>()
                                                                  : default_values_path(report));
  const auto requests = verify_requests(report, values);

  ConnectorConfig config;
  for (const char* key : {"input", "encoding", "crm"}) {
    if (vm.count(key) != 0) config[key] = vm[key].as<std::string>();
  }
  if (vm.count("max-api-calls") != 0)
    config["max_api_calls"] = vm["max-api-calls"].as<std::string>();
  if (vm.count("ca-file") != 0) config["ca_file"] = vm["ca-file"].as<std::string>();
  for (const auto& argument : many(vm, "option")) {
    const auto equals = argument.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError("--option takes KEY=VALUE, not '" + argument + "'");
    config[argument.substr(0, equals)] = argument.substr(equals + 1);
  }
  auto connector = create_connector(vm["connector"].as<std::string>(), config);
  if (!report.crm.empty() && connector->crm() != report.crm)
    throw UsageError("the report is of a " + report.crm + " scan, the source given is " +
                     connector->crm());
  auto rule_paths = many(vm, "rules");
  if (rule_paths.empty()) rule_paths.push_back((fs::path(rules_root) / connector->crm()).string());
  const auto rules = RuleSet::load(rule_paths);
  const SubjectSet subjects(requests, vm["default-region"].as<std::string>());
  ScanOptions scan_options;
  const auto after = run_scan(*connector, rules, subjects, scan_options);
  const auto verification = compare_reports(report, after);

  const auto out = vm.count("out") != 0 ? fs::path(vm["out"].as<std::string>())
                                        : fs::path(report.path).parent_path();
  check_private_folder(out.empty() ? "." : out.string());
  const auto path = (out / "verification.json").string();
  write_private_file(path, verification_json(report, verification));

  for (const auto& request : verification.requests) {
    std::cout << printable(request.request_id) << ": gone " << request.gone << ", still present "
              << request.still_present << ", new " << request.found_new;
    if (request.not_checked != 0) std::cout << ", not checked " << request.not_checked;
    std::cout << "\n";
  }
  for (const auto& verified : verification.findings) {
    if (verified.status == VerifiedFinding::Status::kGone) continue;
    const auto& f = verified.finding;
    std::cout << "  " << to_string(verified.status) << ": " << printable(f.request_id) << " "
              << printable(f.object) << " " << printable(f.record_id)
              << (f.field.empty() ? "" : " " + printable(f.field)) << " (" << to_string(f.action)
              << ")\n";
  }
  for (const auto& error : after.errors)
    std::cout << "error: " << scrub(error.object) << ": " << scrub(error.message) << "\n";
  const auto code = verification.exit_code();
  std::cout << (code == 0   ? "verify: every destructive finding is GONE"
                : code == 1 ? "verify: NOT ERASED (see above)"
                            : "verify: INCOMPLETE")
            << "\nwritten: " << printable(path) << "\n";
  return code;
}

}  // namespace crmscan

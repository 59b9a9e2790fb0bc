#include "plan_commands.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "command_line.hpp"
#include "crmscan/connector.hpp"
#include "crmscan/decisions.hpp"
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

using namespace cli;

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
      "the report's private values file (default: values.json beside the report)")(
      "decisions", po::value<std::string>(),
      "a review decisions file: decided findings are left out of every step and of review.csv")(
      "help,h", "this help");
  po::positional_options_description positional;
  positional.add("report", 1);
  const auto vm = parse(options, args, &positional);
  if (vm.count("help") != 0) {
    std::cout
        << "usage: crmscan plan REPORT --out DIR [options]\n\n"
           "Writes an erasure plan: plan.json, one file per step that the CRM's own tools\n"
           "load, and review.csv. Salesforce: Data Loader / sf data delete|update bulk CSV;\n"
           "Dynamics 365: Web API $batch request bodies; HubSpot: batch/archive and\n"
           "batch/update inputs (100 a step). Content deletions (--content vcc reports) come\n"
           "first, children before parents after them. Nothing is executed.\n\n"
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
  plan.decisions = value_or_empty(vm, "decisions");
  const auto result = write_plan(plan);
  for (const auto& warning : result.warnings)
    std::cerr << "crmscan: warning: " << scrub(warning) << "\n";
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

namespace {

po::options_description verify_options() {
  po::options_description options("options");
  options.add_options()("report", po::value<std::string>(), "findings.json or its folder")(
      "values", po::value<std::string>(),
      "the report's private values file (default: values.json beside the report)")(
      "decisions", po::value<std::string>(),
      "a review decisions file: decided findings are listed as decided and do not count")(
      "default-region", po::value<std::string>()->default_value(""),
      "region in which national phone numbers are read (as the scan had it)")(
      "out", po::value<std::string>(),
      "where verification.json goes (default: the report's folder)")("help,h", "this help");
  options.add(source_options());
  return options;
}

// The verify scan: the report's requests with every identifier its values file holds, read
// from the source the options give (which must be of the report's CRM).
Report scan_again(const po::variables_map& vm, const SavedReport& report) {
  const auto values = RequestValues::load(vm.count("values") != 0 ? vm["values"].as<std::string>()
                                                                  : default_values_path(report));
  const auto requests = verify_requests(report, values);
  auto [connector, rules] = open_source(vm, connector_config(vm));
  if (!report.crm.empty() && connector->crm() != report.crm)
    throw UsageError("the report is of a " + report.crm + " scan, the source given is " +
                     connector->crm());
  const SubjectSet subjects(requests, vm["default-region"].as<std::string>());
  register_for_scrubbing(subjects);
  return run_scan(*connector, rules, subjects, ScanOptions{});
}

// Per request its counts, then every finding that is not gone, the scan's errors and the verdict.
void print_verification(const Verification& verification, const Report& after,
                        const std::string& path) {
  for (const auto& request : verification.requests) {
    std::cout << printable(request.request_id) << ": gone " << request.gone << ", still present "
              << request.still_present << ", new " << request.found_new;
    if (request.not_checked != 0) std::cout << ", not checked " << request.not_checked;
    if (request.decided != 0) std::cout << ", decided " << request.decided;
    std::cout << "\n";
  }
  for (const auto& verified : verification.findings) {
    if (verified.status == VerifiedFinding::Status::kGone ||
        verified.status == VerifiedFinding::Status::kDecided)
      continue;
    const auto& f = verified.finding;
    std::cout << "  " << to_string(verified.status) << ": " << printable(f.request_id) << " "
              << printable(f.object) << " " << printable(f.record_id)
              << (f.field.empty() ? "" : " " + printable(f.field)) << " (" << to_string(f.action)
              << ")\n";
  }
  for (const auto& error : after.errors)
    std::cout << "error: " << scrub(error.object) << ": " << scrub(error.message) << "\n";
  if (!verification.decisions.empty())
    std::cout << "note: " << scrub(decisions_note(verification.decisions)) << "\n";
  const auto code = verification.exit_code();
  std::cout << (code == 0   ? "verify: every destructive finding is GONE"
                : code == 1 ? "verify: NOT ERASED (see above)"
                            : "verify: INCOMPLETE")
            << "\nwritten: " << printable(path) << "\n";
}

}  // namespace

int run_verify_command(const std::vector<std::string>& args) {
  const auto options = verify_options();
  po::positional_options_description positional;
  positional.add("report", 1);
  const auto vm = parse(options, args, &positional);
  if (vm.count("help") != 0) {
    std::cout << "usage: crmscan verify REPORT [the scan's source options]\n\n"
                 "Scans again for the report's requests, with every identifier the scan used\n"
                 "(given and learned), and says of each destructive finding whether it is gone.\n\n"
              << options
              << "\nexit codes: 0 every destructive finding gone and nothing new; 1 some still "
                 "present or new;\n2 incomplete (findings decided by a person do not count)\n";
    return 0;
  }
  if (vm.count("report") == 0) throw UsageError("crmscan verify needs a REPORT");
  const auto report = read_report(vm["report"].as<std::string>());
  // A malformed decisions file is refused before the scan.
  const auto decisions = vm.count("decisions") != 0
                             ? load_decisions_file(vm["decisions"].as<std::string>())
                             : DecisionSet{};
  const auto after = scan_again(vm, report);
  const auto verification = compare_reports(report, after, decisions);
  for (const auto& stale : verification.decisions.stale)
    std::cerr << "crmscan: warning: " << scrub(stale_note(stale)) << "\n";

  const auto out = vm.count("out") != 0 ? fs::path(vm["out"].as<std::string>())
                                        : fs::path(report.path).parent_path();
  check_private_folder(out.empty() ? "." : out.string());
  const auto path = (out / "verification.json").string();
  write_private_file(path, verification_json(report, verification));
  print_verification(verification, after, path);
  return verification.exit_code();
}

}  // namespace crmscan

#include "scan_command.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <future>
#include <iostream>

#include "command_line.hpp"
#include "crmscan/decisions.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/progress.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/request_values.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace fs = std::filesystem;

namespace crmscan {
namespace {

using namespace cli;

po::options_description subject_options() {
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
      "a CSV or YAML file of requests (request_id,email,phone,name,id; and the request's "
      "record: received,verified_by,verification,ticket,deadline)")(
      "default-region", po::value<std::string>()->default_value(""),
      "region (ISO 3166, e.g. GB) in which national phone numbers are read");
  return subject;
}

po::options_description content_options() {
  po::options_description content("content (recordings, voicemails, transcripts)");
  content.add_options()("content", po::value<std::string>(),
                        "after the CRM scan, look up the stored content of the calls it found: "
                        "vcc (Vonage Contact Center's Interaction Content API)")(
      "since", po::value<std::string>(),
      "search the content API by the requests' phone numbers from this UTC date (YYYY-MM-DD)")(
      "until", po::value<std::string>(), "... up to this UTC date, inclusive")(
      "content-option", po::value<std::vector<std::string>>()->composing(),
      "an option of the content connector as KEY=VALUE (repeatable; see 'crmscan connectors')");
  return content;
}

po::options_description output_options() {
  po::options_description output("output");
  static std::string format_help = [] {
    std::string help = "report formats, separated by commas:";
    for (const auto& format : report_formats())
      help += "\n  " + format.name + ": " + format.description;
    return help;
  }();
  output.add_options()("format", po::value<std::string>()->default_value("json"),
                       format_help.c_str())(
      "out", po::value<std::string>(),
      "write the reports (findings.<format>, report.html; mode 0600) to this folder and print a "
      "summary")("show-values", "show the values found instead of redacted previews")(
      "fail-on-findings",
      "exit 1 when the scan is complete and found something not decided by --decisions")(
      "decisions", po::value<std::string>(),
      "a CSV or YAML file of review decisions (fingerprint,decision,legal_basis,by,at,note): "
      "decided findings are shown as decided and do not count for --fail-on-findings")(
      "progress", po::value<std::string>()->default_value("auto"),
      "progress on stderr, never on stdout: auto (a live line when stderr is a terminal, else "
      "none), tty (the live line), plain (a line per object read and every 10 seconds, for "
      "logs), none")("quiet,q",
                     "print nothing but errors: no progress, no summary (the reports are still "
                     "written, and without --out the report still goes to stdout)")("help,h",
                                                                                    "this help");
  return output;
}

po::options_description scan_options() {
  auto source = source_options();
  source.add_options()("full-read",
                       "read every record even where the connector can look records up (an "
                       "inventory)")(
      "jobs,j", po::value<std::string>(),
      "threads for reading files: one reads and decides in order, the others search the records "
      "for identifiers meanwhile (default: the cores, up to 4, used while handing data between "
      "cores is quick, measured as it reads; the reports are the same for any number)");
  po::options_description all;
  all.add(subject_options()).add(source).add(content_options()).add(output_options());
  return all;
}

// --jobs: 1 to 256, by default default_jobs().
std::size_t jobs_of(const po::variables_map& vm) {
  if (vm.count("jobs") == 0) return default_jobs();
  const auto text = vm["jobs"].as<std::string>();
  std::size_t jobs = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), jobs);
  if (error != std::errc() || end != text.data() + text.size() || jobs < 1 || jobs > 256)
    throw UsageError("--jobs: '" + text + "' is not a number of threads from 1 to 256");
  return jobs;
}

// The requests: from --subjects, or one from --email/--phone/--name/--id.
std::vector<SubjectRequest> read_requests(const po::variables_map& vm) {
  const bool inline_subject =
      vm.count("email") + vm.count("phone") + vm.count("name") + vm.count("id") != 0;
  if (vm.count("subjects") != 0) {
    if (inline_subject)
      throw UsageError(
          "give subjects with --subjects or with --email/--phone/--name/--id, not both");
    const auto path = vm["subjects"].as<std::string>();
    auto requests = load_subjects_file(path);
    if (requests.empty()) throw DataError(path + ": no requests in the file");
    return requests;
  }
  if (!inline_subject)
    throw UsageError("nothing to look for: give --email, --phone, --name, --id or --subjects");
  return {{vm["request-id"].as<std::string>(), many(vm, "email"), many(vm, "phone"),
           many(vm, "name"), many(vm, "id"), "command line"}};
}

// The content connector is set up before the CRM scan: its configuration and credentials fail
// fast. None without --content.
std::unique_ptr<Connector> open_content_connector(const po::variables_map& vm) {
  const bool with_content = vm.count("content") != 0;
  for (const char* key : {"since", "until", "content-option"}) {
    if (!with_content && vm.count(key) != 0)
      throw UsageError(std::string("--") + key + " needs --content");
  }
  if (!with_content) return nullptr;
  const auto name = vm["content"].as<std::string>();
  if (name != "vcc") throw UsageError("unknown --content '" + name + "' (available: vcc)");
  ConnectorConfig config;
  for (const auto& [flag, key] :
       {std::pair{"since", "since"}, std::pair{"until", "until"}, std::pair{"ca-file", "ca_file"},
        std::pair{"max-wait", "max_wait"}}) {
    if (vm.count(flag) != 0) config[key] = vm[flag].as<std::string>();
  }
  add_key_values(config, many(vm, "content-option"), "--content-option");
  return create_connector("vcc_content", config);
}

struct SubjectsAndSource {
  SubjectSet subjects;
  Source source;
};

// Reading the subjects' phone numbers loads libphonenumber's metadata, and the rule packs are
// parsed YAML: each is a large share of a small scan, and neither needs the other, so they are
// read on two threads. A subject error is still reported before a connector or a rule error.
SubjectsAndSource read_subjects_and_source(const po::variables_map& vm,
                                           const std::vector<SubjectRequest>& requests,
                                           ConnectorConfig config) {
  auto subjects_read =
      std::async(std::launch::async, [&requests, region = vm["default-region"].as<std::string>()] {
        return SubjectSet(requests, region);
      });
  std::optional<Source> source;
  try {
    source.emplace(open_source(vm, std::move(config)));
  } catch (...) {
    subjects_read.get();
    throw;
  }
  return {subjects_read.get(), std::move(*source)};
}

// What --progress and --quiet ask for.
ProgressMode progress_mode(const po::variables_map& vm) {
  if (vm.count("quiet") == 0) return parse_progress_mode(vm["progress"].as<std::string>());
  if (!vm["progress"].defaulted())
    throw UsageError("--quiet shows no progress: give --quiet or --progress, not both");
  return ProgressMode::kNone;
}

// Every format is written whole before any replaces the previous report; then the summary, unless
// quiet.
void write_to_folder(OutputFolder& folder, const Report& report,
                     const std::vector<std::unique_ptr<Reporter>>& reporters,
                     const RequestValues& values, bool quiet) {
  folder.check_target("values.json");
  folder.stage("values.json", [&values](std::ostream& out) { values.write_json(out); });
  for (const auto& reporter : reporters) {
    folder.stage(reporter->file_name(), [&](std::ostream& out) { reporter->write(report, out); });
  }
  folder.commit();
  if (quiet) return;
  make_reporter("summary")->write(report, std::cout);
  std::cout << "written: ";
  for (std::size_t i = 0; i < reporters.size(); ++i) {
    std::cout << (i ? ", " : "")
              << printable((fs::path(folder.path()) / reporters[i]->file_name()).string());
  }
  std::cout << "\n";
}

int scan_exit_code(const po::variables_map& vm, const Report& report) {
  if (!report.complete()) return static_cast<int>(ExitCode::kIncomplete);
  if (vm.count("fail-on-findings") == 0) return 0;
  for (const auto& finding : report.findings) {
    if (report.decisions.find(finding.fingerprint) == nullptr)
      return static_cast<int>(ExitCode::kFindings);
  }
  return 0;
}

}  // namespace

int run_scan_command(const std::vector<std::string>& args) {
  const auto options = scan_options();
  const auto vm = parse(options, args);
  if (vm.count("help") != 0) {
    std::cout
        << "usage: crmscan scan [options]\n\n"
        << options
        << "\nexit codes: 0 complete, 1 findings with --fail-on-findings, 2 incomplete, 64 usage,\n"
           "65 bad data, 66 missing input, 78 bad configuration\n";
    return 0;
  }
  set_request_values_shown(vm.count("show-values") != 0);
  const bool quiet = vm.count("quiet") != 0;
  const auto progress_shown = progress_mode(vm);
  auto requests = read_requests(vm);
  register_for_scrubbing(requests);
  const auto decisions = vm.count("decisions") != 0
                             ? load_decisions_file(vm["decisions"].as<std::string>())
                             : DecisionSet{};
  std::vector<std::unique_ptr<Reporter>> reporters;
  for (const auto& format : split_list(vm["format"].as<std::string>(), ','))
    reporters.push_back(make_reporter(format));
  const bool to_folder = vm.count("out") != 0;
  if (!to_folder && reporters.size() != 1) throw UsageError("several formats need --out DIR");
  auto config = connector_config(vm);
  const auto content_connector = open_content_connector(vm);
  auto [subjects, source] = read_subjects_and_source(vm, requests, std::move(config));
  register_for_scrubbing(subjects);
  // The requests as written are not needed once normalised: with many, they are megabytes.
  std::vector<SubjectRequest>().swap(requests);

  ScanOptions options_of_scan;
  options_of_scan.show_values = vm.count("show-values") != 0;
  options_of_scan.full_read = vm.count("full-read") != 0;
  options_of_scan.jobs = jobs_of(vm);
  options_of_scan.adapt_jobs = vm.count("jobs") == 0;
  // The output folder is made, checked and locked, and the files it will hold are checked, before
  // the scan: a folder others can write, or a report that cannot be replaced, is refused at once.
  // A scan with many findings keeps what does not fit in memory there.
  std::unique_ptr<OutputFolder> out_folder;
  if (to_folder) {
    out_folder = std::make_unique<OutputFolder>(vm["out"].as<std::string>());
    for (const auto& reporter : reporters) out_folder->check_target(reporter->file_name());
    options_of_scan.spill_folder = out_folder->path();
  }
  std::unique_ptr<Stage> content_stage;
  if (content_connector) {
    content_stage = content_connector->stage(subjects, options_of_scan.show_values);
    if (!content_stage) throw UsageError("--content: that connector does not look content up");
    options_of_scan.stages.push_back(content_stage.get());
  }
  // The values plan and verify need but the redacted report leaves out (values.json).
  RequestValuesRecorder values_recorder(subjects);
  options_of_scan.stages.push_back(&values_recorder);
  auto progress = make_progress_display(progress_shown, STDERR_FILENO);
  options_of_scan.progress = progress.get();
  auto report = run_scan(*source.connector, source.rules, subjects, options_of_scan);
  progress.reset();  // the line is erased before anything else is printed
  add_request_records(report, subjects);
  if (vm.count("decisions") != 0) {
    const auto stale = decide_findings(report, decisions);
    // Stale decisions are notes in the report too; quiet, only the report says so.
    if (!quiet) {
      for (const auto& decision : stale)
        std::cerr << "crmscan: warning: " << scrub(stale_note(decision)) << "\n";
    }
  }

  if (to_folder) {
    write_to_folder(*out_folder, report, reporters, values_recorder.values(), quiet);
  } else {
    reporters.front()->write(report, std::cout);
    if (!quiet) make_reporter("summary")->write(report, std::cerr);
  }
  // Quiet, an incomplete scan is still an error to tell.
  if (quiet && !report.complete()) {
    std::cerr << "crmscan: ";
    write_incomplete(report, std::cerr);
  }
  return scan_exit_code(vm, report);
}

}  // namespace crmscan

// The progress line: drawn on stderr when it is a terminal (a pseudo-terminal here), never on
// stdout, never a value; a line per object for a log; nothing but errors with --quiet; and how the
// line is formatted and throttled, with a clock of the test's.
#define CATCH_CONFIG_MAIN
#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/error.hpp"
#include "crmscan/progress.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "sf_emulator.hpp"
#include "support.hpp"

extern char** environ;

namespace fs = std::filesystem;
using crmscan::ProgressLine;
using crmscan::ScanCounts;
using crmscan::ScanStep;
using crmscan::test::read_file;
using crmscan::test::run_crmscan;
using crmscan::test::sample_scan_args;
using crmscan::test::source_path;
using crmscan::test::TempDir;
using crmscan::test::write_file;
using namespace std::chrono_literals;

namespace {

struct TerminalRun {
  int exit_code = -1;
  std::string terminal;  // what the program wrote on its stderr, a terminal
  std::string out;       // its stdout, a file
};

// Runs the built crmscan with stderr on a pseudo-terminal 160 columns wide, stdout into a file and
// stdin from /dev/null, and collects what each received.
TerminalRun run_on_terminal(const std::vector<std::string>& args, const TempDir& scratch) {
  const auto out_path = scratch / "terminal-run.stdout";
  // Everything the child needs is made before fork(): the test program has threads (the emulator).
  std::vector<std::string> arguments{CRMSCAN_BINARY};
  arguments.insert(arguments.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  // The packs are found beside the program or in the source tree; a terminal that can erase.
  std::vector<std::string> environment{"TERM=xterm"};
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.rfind("CRMSCAN_RULES=", 0) != 0 && text.rfind("TERM=", 0) != 0)
      environment.emplace_back(text);
  }
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int terminal = -1;
  int program_side = -1;
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 160;
  REQUIRE(::openpty(&terminal, &program_side, nullptr, nullptr, &size) == 0);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(out >= 0);
  REQUIRE(null >= 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(program_side, 2);
    ::close(terminal);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(program_side);
  ::close(out);
  ::close(null);
  TerminalRun run;
  char buffer[4096];
  for (;;) {
    const auto n = ::read(terminal, buffer, sizeof buffer);
    if (n > 0) {
      run.terminal.append(buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO: the program has closed its side
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(terminal);
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.out = read_file(out_path);
  crmscan::test::keep_output(run.terminal + "\n" + run.out);
  return run;
}

// The lines drawn in place: each "\r" + text + erase-to-end-of-line, in order.
std::vector<std::string> frames_of(const std::string& terminal) {
  std::vector<std::string> frames;
  for (std::size_t at = terminal.find('\r'); at != std::string::npos;
       at = terminal.find('\r', at + 1)) {
    const auto end = terminal.find("\x1b[K", at);
    if (end == std::string::npos) break;
    if (end > at + 1 && terminal.find('\n', at) > end)
      frames.push_back(terminal.substr(at + 1, end - at - 1));
  }
  return frames;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

// The Salesforce sample's requests' values as they could be spelled: emails, names and their
// parts, and the last seven digits of each number.
std::vector<std::string> request_values() {
  std::vector<std::string> values;
  const auto rows =
      crmscan::test::read_csv_file(source_path("samples/salesforce-expected/subjects.csv"));
  const auto& header = rows.front();
  for (std::size_t r = 1; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < header.size() && c < rows[r].size(); ++c) {
      for (const auto& value : crmscan::split_list(rows[r][c], ';')) {
        if (header[c] == "email" || header[c] == "name") {
          values.push_back(crmscan::ascii_lower(value));
          for (const auto& part : crmscan::split_list(value, ' '))
            if (part.size() > 3) values.push_back(crmscan::ascii_lower(part));
        } else if (header[c] == "phone") {
          std::string digits;
          for (const char ch : value)
            if (std::isdigit(static_cast<unsigned char>(ch))) digits += ch;
          values.push_back(digits.substr(digits.size() - 7));
        }
      }
    }
  }
  return values;
}

void check_no_request_value(const std::string& text) {
  const auto lower = crmscan::ascii_lower(text);
  for (const auto& value : request_values()) {
    INFO("request value: " << value);
    CHECK(lower.find(value) == std::string::npos);
  }
}

std::vector<std::string> sample_args(std::vector<std::string> extra) {
  std::vector<std::string> args{"scan",
                                "--input",
                                source_path("samples/salesforce-export"),
                                "--subjects",
                                source_path("samples/salesforce-expected/subjects.csv"),
                                "--default-region",
                                "GB"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The objects of the Salesforce sample, from its file names.
std::vector<std::string> sample_objects() {
  std::vector<std::string> objects;
  for (const auto& entry : fs::directory_iterator(source_path("samples/salesforce-export")))
    if (entry.path().extension() == ".csv") objects.push_back(entry.path().stem().string());
  std::sort(objects.begin(), objects.end());
  return objects;
}

const std::regex kFrame(R"(crmscan: \[\d+:\d\d\] .+ · [\d,]+ records? · .*[\d,]+ findings?)");

}  // namespace

TEST_CASE("On a terminal, the progress line is drawn on stderr, never on stdout, with no value",
          "[progress][cli]") {
  const TempDir scratch;
  const auto run = run_on_terminal(sample_args({"--format", "json"}), scratch);
  INFO("terminal:\n" << run.terminal);
  REQUIRE(run.exit_code == 0);
  const auto frames = frames_of(run.terminal);
  REQUIRE(!frames.empty());
  for (const auto& frame : frames) {
    INFO(frame);
    CHECK(std::regex_match(frame, kFrame));
    CHECK(frame.size() < 160);  // cut to the terminal's width
  }
  // The first frame comes with the first step: the first object of the traversal.
  CHECK(frames.front().find("reading Account (1/21)") != std::string::npos);
  CHECK(frames.front().find("API call") == std::string::npos);  // files: none made
  // Erased before the summary is printed.
  CHECK(run.terminal.find("\r\x1b[Kcrmscan 0.1.0: 6 request(s)") != std::string::npos);
  check_no_request_value(joined(frames));
  // Standard output holds the report, and nothing of the line.
  CHECK(run.out.rfind("{", 0) == 0);
  CHECK(run.out.find("\"findings\"") != std::string::npos);
  CHECK(run.out.find("crmscan: [") == std::string::npos);
  CHECK(run.out.find('\r') == std::string::npos);
  CHECK(run.out.find('\x1b') == std::string::npos);
}

TEST_CASE("An object named after a request's email is not spelt on the progress line",
          "[progress][cli]") {
  const TempDir scratch;
  const auto input = scratch / "export";
  write_file(input + "/amelie.dubois@example.fr.csv", "Id,Note\n001000000000001AAA,nothing\n");
  const std::vector<std::string> args{
      "scan",  "--input",    input,      "--email", "Amelie.Dubois@example.fr",
      "--crm", "salesforce", "--format", "json"};
  SECTION("on a terminal") {
    auto tty_args = args;
    const auto run = run_on_terminal(tty_args, scratch);
    INFO("terminal:\n" << run.terminal);
    const auto frames = frames_of(run.terminal);
    REQUIRE(!frames.empty());
    CHECK(frames.front().find("reading ") != std::string::npos);
    CHECK(frames.front().find("(1/1)") != std::string::npos);
    CHECK(crmscan::ascii_lower(joined(frames)).find("amelie") == std::string::npos);
  }
  SECTION("in a log") {
    auto plain_args = args;
    plain_args.insert(plain_args.end(), {"--progress", "plain"});
    const auto result = run_crmscan(plain_args, scratch);
    INFO("stderr:\n" << result.err);
    CHECK(result.err.find(" read (1/1, 1 record)") != std::string::npos);
    CHECK(crmscan::ascii_lower(result.err).find("amelie") == std::string::npos);
  }
}

TEST_CASE("--progress plain writes a line per object read, for a log", "[progress][cli]") {
  const TempDir scratch;
  const auto out = scratch / "report";
  const auto result = run_crmscan(sample_args({"--out", out, "--progress", "plain"}), scratch);
  INFO("stderr:\n" << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.find('\r') == std::string::npos);
  CHECK(result.err.find('\x1b') == std::string::npos);
  // Every object of the sample read once, numbered in the order read.
  const auto lines = crmscan::split_list(result.err, '\n');
  std::vector<std::string> read;
  for (std::size_t i = 1; i <= 21; ++i) {
    const std::regex line(R"(crmscan: \[\d+:\d\d\] (\S+) read \()" + std::to_string(i) +
                          R"(/21, [\d,]+ records?\) · [\d,]+ records? · [\d,]+ findings?)");
    std::smatch match;
    const auto found = std::find_if(lines.begin(), lines.end(), [&](const std::string& text) {
      return std::regex_match(text, match, line);
    });
    INFO("object " << i);
    REQUIRE(found != lines.end());
    std::regex_match(*found, match, line);
    read.push_back(match[1]);
  }
  std::sort(read.begin(), read.end());
  CHECK(read == sample_objects());
  check_no_request_value(result.err);
  // The summary, on stdout with --out, has none of it.
  CHECK(result.out.find("crmscan 0.1.0: 6 request(s)") != std::string::npos);
  CHECK(result.out.find("crmscan: [") == std::string::npos);
}

TEST_CASE("Where stderr is not a terminal, no progress is shown unless asked for",
          "[progress][cli]") {
  const TempDir scratch;
  const auto result = run_crmscan(sample_args({"--out", scratch / "report"}), scratch);
  REQUIRE(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(result.out.find("crmscan: [") == std::string::npos);
}

TEST_CASE("--quiet prints nothing but errors", "[progress][cli]") {
  const TempDir scratch;
  const auto out = scratch / "report";
  SECTION("a complete scan into a folder: nothing, and the reports written") {
    const auto result = run_crmscan(sample_args({"--out", out, "--quiet"}), scratch);
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
    CHECK(fs::is_regular_file(out + "/findings.json"));
  }
  SECTION("on a terminal: no progress line") {
    const auto run = run_on_terminal(sample_args({"--out", out, "--quiet"}), scratch);
    CHECK(run.exit_code == 0);
    CHECK(run.terminal.empty());
    CHECK(run.out.empty());
  }
  SECTION("without a folder, the report still goes to stdout") {
    const auto result = run_crmscan(sample_args({"--format", "csv", "-q"}), scratch);
    CHECK(result.exit_code == 0);
    CHECK(result.out.rfind("fingerprint,request_id,", 0) == 0);
    CHECK(result.err.empty());
  }
  SECTION("a missing input: the error") {
    const auto result = run_crmscan(
        {"scan", "--input", scratch / "nowhere", "--email", "x@example.com", "--quiet"}, scratch);
    CHECK(result.exit_code == 66);
    CHECK(result.out.empty());
    CHECK(result.err.rfind("crmscan: ", 0) == 0);
    CHECK(result.err.find("nowhere") != std::string::npos);
  }
  SECTION("an incomplete scan: why, and nothing else") {
    const auto input = scratch / "export";
    write_file(input + "/Contact.csv",
               "Id,LastName,Email\n003000000000001AAA,Smith,smith@example.com\n"
               "003000000000002AAA,a row with,too,many,columns\n");
    const auto result = run_crmscan({"scan", "--input", input, "--crm", "salesforce", "--email",
                                     "smith@example.com", "--out", out, "--quiet"},
                                    scratch);
    INFO("stderr:\n" << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err.rfind("crmscan: scan INCOMPLETE: 1 error(s)", 0) == 0);
    CHECK(result.err.find("Contact.csv:3") != std::string::npos);
    CHECK(fs::is_regular_file(out + "/findings.json"));
  }
  SECTION("and asking for progress too is a usage error") {
    const auto result = run_crmscan(sample_args({"--quiet", "--progress", "plain"}), scratch);
    CHECK(result.exit_code == 64);
    CHECK(result.err.find("--quiet") != std::string::npos);
  }
}

TEST_CASE("An unknown --progress is a usage error", "[progress][cli]") {
  const TempDir scratch;
  const auto result = run_crmscan(sample_args({"--progress", "loud"}), scratch);
  CHECK(result.exit_code == 64);
  CHECK(result.err.find("auto, tty, plain or none") != std::string::npos);
}

TEST_CASE("A live scan counts its API calls on the progress line", "[progress][salesforce]") {
  crmscan::sfemu::EmulatorOptions options;
  options.data_dir = source_path("samples/salesforce-export");
  crmscan::sfemu::Emulator org(options);
  org.start();
  const auto token = org.issue_token();
  const crmscan::test::SalesforceEnvironment environment(
      {{"SF_ACCESS_TOKEN", token}, {"SF_INSTANCE_URL", org.instance_url()}});
  const TempDir scratch;
  const auto out = scratch / "report";
  const auto run = run_on_terminal(
      sample_scan_args({"--connector", "salesforce", "--option", "api_reserve=0"}, out), scratch);
  INFO("terminal:\n" << run.terminal << "\nstdout:\n" << run.out);
  REQUIRE(run.exit_code == 0);
  const auto frames = frames_of(run.terminal);
  REQUIRE(!frames.empty());
  // A live scan looks records up: its first step is a search, after the org was described.
  const std::regex first(R"(crmscan: \[\d+:\d\d\] searching for [a-z ]+ · [\d,]+ records? · )"
                         R"(([\d,]+) API calls? · [\d,]+ findings?)");
  std::smatch match;
  REQUIRE(std::regex_match(frames.front(), match, first));
  CHECK(std::stoul(match[1]) > 0);
  // No frame counts more calls than the report does, and none shows the token or a value.
  const std::regex calls(R"(([\d,]+) API calls?)");
  const auto report = read_file(out + "/findings.json");
  std::smatch reported;
  REQUIRE(std::regex_search(report, reported, std::regex(R"("api_calls": ?(\d+))")));
  for (const auto& frame : frames) {
    INFO(frame);
    CHECK(std::regex_match(frame, kFrame));
    REQUIRE(std::regex_search(frame, match, calls));
    std::string digits = match[1];
    digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
    CHECK(std::stoul(digits) <= std::stoul(reported[1]));
  }
  CHECK(run.terminal.find(token) == std::string::npos);
  check_no_request_value(joined(frames));
  CHECK(run.out.find("crmscan: [") == std::string::npos);
}

TEST_CASE("Connectors say how far they have read an object: bytes of a file, records of a count",
          "[progress][connector]") {
  std::vector<crmscan::ReadPosition> positions;
  const auto check_positions = [&positions](std::uint64_t total, bool bytes) {
    REQUIRE(!positions.empty());
    for (std::size_t i = 0; i < positions.size(); ++i) {
      INFO("record " << i);
      CHECK(positions[i].total == total);
      CHECK(positions[i].bytes == bytes);
      CHECK(positions[i].done <= total);
      if (i != 0) CHECK(positions[i].done >= positions[i - 1].done);
    }
  };
  const auto records_of = [](const std::string& object) {
    return crmscan::test::read_csv_file(source_path("samples/salesforce-export/" + object + ".csv"))
               .size() -
           1;
  };
  const auto ignore = [](const std::string&, const std::string&) {};
  SECTION("the file connector: bytes read of the object's files") {
    auto connector = crmscan::create_connector(
        "file", {{"input", source_path("samples/salesforce-export")}, {"crm", "salesforce"}});
    connector->describe();
    CHECK(connector->read_position().total == 0);  // nothing being read
    connector->scan(
        "Task", [&](const crmscan::Record&) { positions.push_back(connector->read_position()); },
        ignore);
    check_positions(fs::file_size(source_path("samples/salesforce-export/Task.csv")), true);
    CHECK(positions.back().done > 0);
    CHECK(connector->read_position().total == 0);  // over
  }
  SECTION("the Salesforce connector: records read of the count the API gave") {
    crmscan::sfemu::EmulatorOptions options;
    options.data_dir = source_path("samples/salesforce-export");
    crmscan::sfemu::Emulator org(options);
    org.start();
    const crmscan::test::SalesforceEnvironment environment(
        {{"SF_ACCESS_TOKEN", org.issue_token()}, {"SF_INSTANCE_URL", org.instance_url()}});
    auto connector = crmscan::create_connector("salesforce", {{"api_reserve", "0"}});
    connector->describe();
    connector->scan(
        "Task", [&](const crmscan::Record&) { positions.push_back(connector->read_position()); },
        ignore);
    const auto count = records_of("Task");
    check_positions(count, false);
    CHECK(positions.front().done == 1);
    CHECK(positions.back().done == count);
    CHECK(connector->read_position().total == 0);  // over
  }
}

TEST_CASE("The live line is redrawn at most ten times a second, and only when it changed",
          "[progress][unit]") {
  const auto t0 = ProgressLine::Clock::time_point{} + 1h;
  ProgressLine line(ProgressLine::Style::kLive, t0);
  CHECK(line.frame(t0, 120).empty());  // nothing before the first step
  line.scan_started(21);
  line.step_started(ScanStep::kRead, "Account", {}, t0);
  CHECK(line.frame(t0, 120) ==
        "\rcrmscan: [0:00] reading Account (1/21) · 0 records · 0 findings"
        "\x1b[K");
  line.advanced({1024, 0, 3, {}});
  CHECK(line.frame(t0 + 50ms, 120).empty());  // too soon
  CHECK(line.frame(t0 + 99ms, 120).empty());
  CHECK(line.frame(t0 + 100ms, 120) ==
        "\rcrmscan: [0:00] reading Account (1/21) · 1,024 records · 3 findings\x1b[K");
  CHECK(line.frame(t0 + 400ms, 120).empty());  // nothing changed
  CHECK(line.frame(t0 + 1s, 120) ==            // the elapsed time did
        "\rcrmscan: [0:01] reading Account (1/21) · 1,024 records · 3 findings\x1b[K");
  // A hundred updates in a second draw at most ten frames.
  std::size_t drawn = 0;
  for (int i = 1; i <= 100; ++i) {
    line.advanced({1024 + static_cast<std::size_t>(i), 0, 3, {}});
    drawn += line.frame(t0 + 1s + i * 10ms, 120).empty() ? 0 : 1;
  }
  CHECK(drawn == 10);
  CHECK(line.clear() == "\r\x1b[K");
  CHECK(line.clear().empty());  // erased already
}

TEST_CASE("The live line says what the scan does, with an estimate only where one is known",
          "[progress][unit]") {
  const auto t0 = ProgressLine::Clock::time_point{} + 1h;
  ProgressLine line(ProgressLine::Style::kLive, t0);
  line.scan_started(21);
  line.step_started(ScanStep::kRead, "Account", {}, t0);
  line.step_started(ScanStep::kRead, "Task", {8, 0, 1, {}}, t0 + 62s);
  // A file: bytes of its size, and what is left at the pace so far.
  line.advanced({120'345, 0, 71, {450'000'000, 1'000'000'000, true}});
  CHECK(line.text(t0 + 72s) ==
        "crmscan: [1:12] reading Task (2/21, 45% of 1.0 GB, ~0:12 left) · 120,345 records · 71 "
        "findings");
  // Too early for a pace: the share alone.
  CHECK(line.text(t0 + 63s).find("(2/21, 45% of 1.0 GB) · ") != std::string::npos);
  // An API's count; calls counted.
  line.step_started(ScanStep::kReadAgain, "Contact", {120'345, 12, 71, {}}, t0 + 3723s);
  line.advanced({120'345, 13, 71, {1'200, 5'000, false}});
  CHECK(line.text(t0 + 3723s) ==
        "crmscan: [1:02:03] reading Contact again (1,200 of 5,000 records) · 120,345 records · 13 "
        "API calls · 71 findings");
  line.step_started(ScanStep::kSearch, "phone numbers in text", {1, 1, 1, {}}, t0 + 3724s);
  CHECK(line.text(t0 + 3724s) ==
        "crmscan: [1:02:04] searching for phone numbers in text · 1 record · 1 API call · 1 "
        "finding");
  line.step_started(ScanStep::kFetch, "Task", {1, 1, 1, {}}, t0 + 3724s);
  CHECK(line.text(t0 + 3724s).find("] looking up Task · ") != std::string::npos);
  line.step_started(ScanStep::kFinish, "", {1, 1, 1, {}}, t0 + 3724s);
  CHECK(line.text(t0 + 3724s).find("] finishing the report · ") != std::string::npos);
}

TEST_CASE("The live line fits the terminal and carries no control character from a name",
          "[progress][unit]") {
  const auto t0 = ProgressLine::Clock::time_point{};
  ProgressLine line(ProgressLine::Style::kLive, t0);
  // A file name that would set the terminal's title and move the cursor.
  line.step_started(ScanStep::kRead, "Evil\x1b]0;owned\x07\x1b[2J名前__c", {}, t0);
  const auto frame = line.frame(t0, 40);
  REQUIRE(frame.size() > 4);
  const auto text = frame.substr(1, frame.size() - 4);
  CHECK(frame.substr(0, 1) == "\r");
  CHECK(frame.substr(frame.size() - 3) == "\x1b[K");
  CHECK(std::none_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }));
  CHECK(text == crmscan::printable(text));
  // Cut to 39 columns, never inside a character.
  const auto whole = line.text(t0);
  CHECK(whole.size() > text.size());
  CHECK(whole.rfind(text, 0) == 0);
  CHECK(crmscan::test::is_valid_utf8(text));
  CHECK(std::count_if(text.begin(), text.end(),
                      [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }) <= 39);
}

TEST_CASE("A log gets a line per object read and one every ten seconds between",
          "[progress][unit]") {
  const auto t0 = ProgressLine::Clock::time_point{};
  ProgressLine line(ProgressLine::Style::kLog, t0);
  line.scan_started(2);
  line.step_started(ScanStep::kRead, "Contact", {}, t0);
  CHECK(line.frame(t0 + 9s, 80).empty());
  CHECK(line.frame(t0 + 10s, 80) ==
        "crmscan: [0:10] reading Contact (1/2) · 0 records · 0 findings\n");
  CHECK(line.frame(t0 + 15s, 80).empty());
  CHECK(line.object_finished("Contact", {13, 0, 2, {}}, t0 + 16s) ==
        "crmscan: [0:16] Contact read (1/2, 13 records) · 13 records · 2 findings\n");
  CHECK(line.frame(t0 + 20s, 80).empty());  // a line was written 4 s ago
  line.step_started(ScanStep::kReadAgain, "Contact", {13, 0, 2, {}}, t0 + 17s);
  CHECK(line.object_finished("Contact", {13, 0, 2, {}}, t0 + 18s) ==
        "crmscan: [0:18] Contact read again · 13 records · 2 findings\n");
  CHECK(line.frame(t0 + 28s, 80) ==
        "crmscan: [0:28] reading Contact again · 13 records · 2 findings\n");
  CHECK(line.clear().empty());  // nothing drawn in place
}

TEST_CASE("--progress takes auto, tty, plain or none", "[progress][unit]") {
  CHECK(crmscan::parse_progress_mode("auto") == crmscan::ProgressMode::kAuto);
  CHECK(crmscan::parse_progress_mode("tty") == crmscan::ProgressMode::kTty);
  CHECK(crmscan::parse_progress_mode("plain") == crmscan::ProgressMode::kPlain);
  CHECK(crmscan::parse_progress_mode("none") == crmscan::ProgressMode::kNone);
  CHECK_THROWS_AS(crmscan::parse_progress_mode("yes"), crmscan::UsageError);
  // Not a terminal: auto shows nothing.
  CHECK(crmscan::make_progress_display(crmscan::ProgressMode::kAuto, -1) == nullptr);
  CHECK(crmscan::make_progress_display(crmscan::ProgressMode::kNone, 2) == nullptr);
}

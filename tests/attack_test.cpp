// The attack suite: one test per class of attack on crmscan, each trying the attacks of its class
// (SECURITY.md lists the promise each test keeps). Reports private and whole; nothing secret or
// personal in an error text; every input read whole or the scan incomplete; bounded cost on
// hostile small inputs. The last test runs all of them again and greps everything they wrote.
#include <fcntl.h>
#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/http.hpp"
#include "crmscan/input.hpp"
#include "crmscan/pack_tests.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/subject.hpp"
#include "crmscan/text.hpp"
#include "emulator_kit.hpp"
#include "file_connector.hpp"
#include "salesforce_org.hpp"
#include "sf_emulator.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace crmscan::test;
using Environment = SalesforceEnvironment;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Credentials of the attacked org, distinct enough to be found by grep.
const crmscan::test::OrgCredentials kOrg{"attack-client-id-3c9d", "attack-client-secret-b71e",
                                         "attack-password-62fa", "attack-security-token-0d4c"};
constexpr const char* kFileSecret = "attack-file-secret-5e2b";

/// A hostile server on 127.0.0.1 in front of the emulator: `intercept` answers what it wants to
/// answer (returning true), everything else goes to the emulator.
class Proxy {
 public:
  using Intercept = std::function<bool(const httplib::Request&, httplib::Response&)>;
  Proxy(std::uint16_t emulator_port, Intercept intercept)
      : emulator_port_(emulator_port), intercept_(std::move(intercept)) {
    server_.start(0, [this](const httplib::Request& request, httplib::Response& response) {
      if (intercept_(request, response)) return;
      const auto forwarded = forward(request);
      response.status = forwarded.status;
      response.set_content(forwarded.body, forwarded.content_type);
    });
  }
  std::string url() const { return server_.url(); }

  struct Answer {
    int status = 502;
    std::string body;
    std::string content_type = "application/json";
  };
  /// The emulator's answer to the request.
  Answer forward(const httplib::Request& request) const {
    const auto result = crmscan::test::forward(emulator_port_, request);
    if (!result) return {};
    return {result->status, result->body, result->get_header_value("Content-Type")};
  }

 private:
  std::uint16_t emulator_port_;
  Intercept intercept_;
  // Last: it stops serving before what its handler uses goes.
  crmscan::emulator::Server server_;
};

std::vector<std::string> sample_scan(const std::string& input, const std::string& out,
                                     std::vector<std::string> extra = {}) {
  return sample_scan_args({"--input", input}, out, std::move(extra));
}

std::vector<std::string> live_scan(const std::string& login_url, const std::string& out) {
  return sample_scan_args({"--connector", "salesforce", "--option", "login_url=" + login_url,
                           "--option", "api_reserve=0"},
                          out);
}

// The request values a scan keeps for plan and verify hold the identifiers in clear by design;
// the "values.json is private" test checks it on its own.
const std::string kValuesFile = "values.json";

// Everything a run wrote: standard output and error, and every regular file under `out`.
std::string everything_written(const CommandResult& result, const std::string& out) {
  std::string all = result.out + "\n" + result.err + "\n";
  std::error_code error;
  if (fs::is_directory(out, error)) {
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
      if (entry.path().filename() != kValuesFile && entry.is_regular_file() && !entry.is_symlink())
        all += read_file(entry.path().string()) + "\n";
    }
  }
  return all;
}

/// A scan that did not read everything says so, with the reason, in every format.
void check_incomplete_everywhere(const CommandResult& result, const std::string& out,
                                 const std::string& reason) {
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.out, Catch::Contains("scan INCOMPLETE") && Catch::Contains(reason));
  CHECK_THAT(read_file(out + "/findings.json"),
             Catch::Contains("\"complete\": false") && Catch::Contains(reason));
  const auto ndjson = read_file(out + "/findings.ndjson");
  const auto last_line = ndjson.substr(ndjson.rfind('\n', ndjson.size() - 2) + 1);
  CHECK_THAT(last_line, Catch::Contains("\"complete\":false") && Catch::Contains(reason));
  const auto rows = crmscan::test::read_csv_file(out + "/findings.csv");
  const auto& columns = crmscan::csv_columns();
  const auto column = [&](const char* name) {
    return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) -
                                    columns.begin());
  };
  bool found = false;
  for (const auto& row : rows)
    found = found || (row.size() == columns.size() && row[column("action")] == "incomplete" &&
                      row[column("detail")].find(reason) != std::string::npos);
  CHECK(found);
}

// A copy of the Salesforce sample export, to plant an attack in.
std::string sample_copy(const TempDir& scratch) {
  const auto input = scratch / "export";
  fs::copy(source_path("samples/salesforce-export"), input);
  return input;
}

bool no_hidden_files_but_the_lock(const std::string& folder) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto name = entry.path().filename().string();
    if (name.front() == '.' && name != ".crmscan.lock") return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Attack: reports go only into a private folder, over the user's own regular files",
          "[attack][report]") {
  const TempDir scratch;
  const auto out = scratch / "report";
  fs::create_directories(out);
  const auto args = sample_scan(source_path("samples/salesforce-export"), out);
  const auto refused = [&](const std::string& why) {
    const auto result = run_crmscan(args, scratch);
    INFO("stderr:\n" << result.err);
    CHECK(result.exit_code == 78);
    CHECK_THAT(result.err, Catch::Contains(why));
    CHECK_THAT(result.out, !Catch::Contains("findings:"));  // refused before the scan
  };
  SECTION("a world-writable --out with a report planted in it") {
    write_file(out + "/findings.json", "{\"complete\": true, \"findings\": []}\n");
    fs::permissions(out, fs::perms(0777));
    refused("can be written by all users");
    CHECK(read_file(out + "/findings.json") == "{\"complete\": true, \"findings\": []}\n");
    CHECK(std::distance(fs::directory_iterator(out), fs::directory_iterator()) == 1);
  }
  SECTION("a group-writable --out") {
    fs::permissions(out, fs::perms(0770));
    refused("can be written by its group");
  }
  SECTION("an --out of another user") {
    if (::geteuid() != 0) return;  // only root can give a folder away
    REQUIRE(::chown(out.c_str(), 65534, 65534) == 0);
    refused("belongs to another user");
  }
  SECTION("a FIFO, a link, a folder or another user's file where a report goes") {
    fs::permissions(out, fs::perms(0700));
    write_file(scratch / "victim", "precious\n");
    fs::create_symlink(scratch / "victim", out + "/findings.json");
    REQUIRE(::mkfifo((out + "/findings.csv").c_str(), 0600) == 0);
    refused("is a symbolic link");
    fs::remove(out + "/findings.json");
    refused("findings.csv is not a regular file");
    fs::remove(out + "/findings.csv");
    fs::create_directory(out + "/findings.ndjson");
    refused("findings.ndjson is not a regular file");
    fs::remove(out + "/findings.ndjson");
    if (::geteuid() == 0) {
      write_file(out + "/findings.csv", "theirs\n");
      REQUIRE(::chown((out + "/findings.csv").c_str(), 65534, 65534) == 0);
      refused("belongs to another user");
      CHECK(read_file(out + "/findings.csv") == "theirs\n");
    }
    CHECK(read_file(scratch / "victim") == "precious\n");
  }
  SECTION("a second scan into a folder that a scan holds") {
    fs::permissions(out, fs::perms(0700));
    const int lock = ::open((out + "/.crmscan.lock").c_str(), O_RDWR | O_CREAT, 0600);
    REQUIRE(lock >= 0);
    REQUIRE(::flock(lock, LOCK_EX) == 0);
    refused("another crmscan scan is writing into this folder");
    ::close(lock);
    const auto after = run_crmscan(args, scratch);
    CHECK(after.exit_code == 0);
  }
}

TEST_CASE("Attack: a signal while reports are written leaves the previous report or a whole one",
          "[attack][report][signal]") {
  const TempDir scratch;
  // Thousands of call Tasks of one customer: a report of some megabytes, that takes a while to
  // write.
  const auto input = scratch / "export";
  std::string tasks = "Id,Subject,TaskSubtype,Description\n";
  for (int i = 0; i < 20'000; ++i) {
    tasks += "00T5g0000" + std::to_string(1'000'000 + i) +
             "AAA,Call +44 20 7946 0958,Call,Customer called about order " + std::to_string(i) +
             "\n";
  }
  write_file(input + "/Task.csv", tasks);
  const auto out = scratch / "report";
  const std::vector<std::string> args{
      "scan",     "--input",         input,   "--phone", "+44 20 7946 0958",
      "--format", "json,ndjson,csv", "--out", out};
  REQUIRE(run_crmscan(args, scratch).exit_code == 0);
  const auto previous = read_file(out + "/findings.json");
  const auto previous_csv = read_file(out + "/findings.csv");
  REQUIRE(previous.size() > 1'000'000);

  std::vector<std::string> argv_strings{CRMSCAN_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin() + 0, args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int stopped_by_signal = 0;
  for (const int delay_ms : {20, 60, 120, 200, 300, 450, 650, 900}) {
    const int signal_number = delay_ms % 40 == 0 ? SIGINT : SIGTERM;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, signal_number);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("signal " << signal_number << " after " << delay_ms << " ms");
    const bool by_signal = WIFSIGNALED(status) && WTERMSIG(status) == signal_number;
    CHECK((by_signal || (WIFEXITED(status) && WEXITSTATUS(status) == 0)));
    stopped_by_signal += by_signal ? 1 : 0;
    // Whatever the moment: the previous report, or a whole new one — never a part.
    const auto json = read_file(out + "/findings.json");
    rapidjson::Document document;
    document.Parse(json.c_str(), json.size());
    CHECK_FALSE(document.HasParseError());
    CHECK(json.size() == previous.size());
    const auto csv = read_file(out + "/findings.csv");
    CHECK(csv.size() == previous_csv.size());
    CHECK(no_hidden_files_but_the_lock(out));
  }
  CHECK(stopped_by_signal > 0);
}

TEST_CASE("Attack: a server that echoes the credentials and the request into its error texts",
          "[attack][scrub][salesforce]") {
  crmscan::sfemu::Emulator org(kOrg.sample_org());
  org.start();
  const TempDir scratch;
  const auto out = scratch / "report";
  std::vector<std::pair<std::string, std::string>> env;
  // Each error echoes the request line, its headers and body, with terminal escapes and a long
  // tail.
  const auto echo = [](const httplib::Request& request) {
    std::string text = "you sent " + request.method +
                       " Authorization: " + request.get_header_value("Authorization") + " ";
    for (const auto& [name, value] : request.params) text += name + "=" + value + " ";
    text += request.target + " ";
    for (const auto& [name, value] : request.headers) text += name + ": " + value + "; ";
    return text + request.body + "\x1b[2J\x1b]0;owned\x07" + std::string(5000, 'x');
  };
  std::unique_ptr<Proxy> proxy;
  SECTION("searches answered with an echo of the Authorization header and the query") {
    proxy = std::make_unique<Proxy>(
        org.port(), [&](const httplib::Request& request, httplib::Response& response) {
          if (request.path.find("/search") == std::string::npos) return false;
          rapidjson::Document body(rapidjson::kArrayType);
          rapidjson::Value error(rapidjson::kObjectType);
          const auto text = echo(request);
          error.AddMember("errorCode", "MALFORMED_SEARCH", body.GetAllocator());
          error.AddMember("message", rapidjson::Value(text.c_str(), body.GetAllocator()),
                          body.GetAllocator());
          body.PushBack(error, body.GetAllocator());
          rapidjson::StringBuffer buffer;
          rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
          body.Accept(writer);
          response.status = 400;
          response.set_content(buffer.GetString(), "application/json");
          return true;
        });
    const auto token = org.issue_token();
    keep_secret(token);
    env = {{"SF_ACCESS_TOKEN", token}, {"SF_INSTANCE_URL", proxy->url()}};
  }
  SECTION("a sign-in refused with an echo of the form that carried the password") {
    proxy = std::make_unique<Proxy>(
        org.port(), [&](const httplib::Request& request, httplib::Response& response) {
          if (request.path != "/services/oauth2/token") return false;
          rapidjson::Document body(rapidjson::kObjectType);
          const auto text = echo(request);
          body.AddMember("error", "invalid_grant", body.GetAllocator());
          body.AddMember("error_description", rapidjson::Value(text.c_str(), body.GetAllocator()),
                         body.GetAllocator());
          rapidjson::StringBuffer buffer;
          rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
          body.Accept(writer);
          response.status = 400;
          response.set_content(buffer.GetString(), "application/json");
          return true;
        });
    env = kOrg.password_sign_in();
  }
  const Environment environment(env);
  const auto result = run_crmscan(live_scan(proxy->url(), out), scratch);
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.exit_code == 2);
  const auto written = everything_written(result, out);
  CHECK_THAT(written, Catch::Contains("you sent") && Catch::Contains("[secret]"));
  for (const auto& [name, value] : env) {
    if (name != "SF_USERNAME" && name != "SF_INSTANCE_URL" && name != "SF_CLIENT_ID") {
      INFO(name);
      CHECK_THAT(written, !Catch::Contains(value));
      if (const auto bang = value.find('!'); bang != std::string::npos)
        CHECK_THAT(written, !Catch::Contains(value.substr(bang + 1)));
    }
  }
  const auto no_case = Catch::CaseSensitive::No;
  for (const auto* value : {"amelie.dubois", "siobhan.oneill", "tomas.garcia", "2079460958",
                            "442079460958", "amelie dubois"}) {
    CHECK_THAT(written, !Catch::Contains(value, no_case));
  }
  CHECK(written.find('\x1b') == std::string::npos);
  CHECK(written.find('\x07') == std::string::npos);
  CHECK(written.find(std::string(1200, 'x')) == std::string::npos);  // capped
}

TEST_CASE("Attack: the scrubber finds every registered value, in any case or encoding, quickly",
          "[attack][scrub]") {
  crmscan::register_secret("scrub-secret-Tok3n/+=");
  crmscan::register_request_value("scrub.person@example.net");
  crmscan::register_request_value("Scrub Person");
  CHECK(crmscan::scrub("Bearer scrub-secret-Tok3n/+= then SCRUB-SECRET-TOK3N%2F%2B%3D") ==
        "Bearer [secret] then [secret]");
  CHECK(crmscan::scrub("q=scrub.person%40example.net or Scrub+Person or scrub person") ==
        "q=s***@e***.net or S*** P*** or S*** P***");
  crmscan::set_request_values_shown(true);
  CHECK(crmscan::scrub("scrub.person@example.net scrub-secret-Tok3n/+=") ==
        "scrub.person@example.net [secret]");
  crmscan::set_request_values_shown(false);
  // Control characters, bidirectional overrides and invalid UTF-8 replaced; the cut after them.
  CHECK(crmscan::scrub("a\x1b[2Jb\tc\xe2\x80\xae"
                       "d\xff") == "a?[2Jb c?d\xEF\xBF\xBD");
  const auto cut = crmscan::scrub(std::string(50, 'x') + "scrub-secret-Tok3n/+=", 52);
  CHECK(cut == std::string(50, 'x') + "[s\xE2\x80\xA6");
  // A hundred thousand ids of one org, sharing their first ten characters: a long text of ids
  // is scrubbed in linear time.
  for (int i = 0; i < 100'000; ++i)
    crmscan::register_request_value("0035g00000" + std::to_string(100'000 + i) + "Z");
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "0035g00000" + std::to_string(150'000 + i) + "Y ";
  const auto start = Clock::now();
  for (int i = 0; i < 20; ++i) CHECK_THAT(crmscan::scrub(text, 1 << 20), !Catch::Contains("*"));
  CHECK(Clock::now() - start < 3s);
  CHECK(crmscan::scrub("id 0035g00000123456Z.") == "id 0***.");
  // Values registered before the ids grew the scrubber's table, and after scrubbing began, are
  // found too.
  CHECK(crmscan::scrub("to SCRUB.PERSON@example.net") == "to s***@e***.net");
  crmscan::register_request_value("late.comer@example.org");
  CHECK(crmscan::scrub("late.comer@example.org and 0035g00000100000Z") == "l***@e***.org and 0***");
}

TEST_CASE("Attack: a subjects file's own text and hostile file names reach errors scrubbed",
          "[attack][scrub]") {
  const TempDir scratch;
  SECTION("a subjects file whose first row is a customer, not a header") {
    write_file(scratch / "subjects.csv",
               "amelie.dubois@example.fr,+44 20 7946 0958\nx@example.org,+44 20 7946 0000\n");
    const auto result = run_crmscan({"scan", "--input", source_path("samples/salesforce-export"),
                                     "--subjects", scratch / "subjects.csv"},
                                    scratch);
    CHECK(result.exit_code == 65);
    CHECK_THAT(result.err, Catch::Contains("a***@e***.fr") &&
                               Catch::Contains("is the first row a header?") &&
                               !Catch::Contains("dubois") && !Catch::Contains("7946"));
  }
  SECTION("a file name with terminal escapes, whose rows are malformed") {
    const auto input = scratch / "export";
    write_file(input + "/Ta\x1b[2Jsk\x1b]0;owned\x07.csv", "Id,Subject\n00T1,\"never closed\n");
    const auto out = scratch / "report";
    const auto result =
        run_crmscan({"scan", "--input", input, "--crm", "salesforce", "--email",
                     "nobody@example.org", "--format", "json,ndjson,csv", "--out", out},
                    scratch);
    INFO("stdout:\n" << result.out);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.out, Catch::Contains("never closes"));
    CHECK(result.out.find('\x1b') == std::string::npos);
    CHECK(result.out.find('\x07') == std::string::npos);
  }
}

TEST_CASE("Attack: every input not read whole makes the scan incomplete, in every format",
          "[attack][input]") {
  const TempDir scratch;
  const auto out = scratch / "report";
  const auto input = sample_copy(scratch);
  std::vector<std::string> extra;
  std::string reason;
  SECTION("a FIFO in the export, where a CSV was") {
    fs::remove(input + "/Lead.csv");
    REQUIRE(::mkfifo((input + "/Lead.csv").c_str(), 0600) == 0);
    reason = "Lead.csv is a FIFO, not a regular file";
  }
  SECTION("a link to a file of /proc") {
    fs::remove(input + "/Task.csv");
    fs::create_symlink("/proc/self/environ", input + "/Task.csv");
    reason = "Task.csv is a file of /proc or /sys";
  }
  SECTION("a link to a device") {
    fs::remove(input + "/Event.csv");
    fs::create_symlink("/dev/zero", input + "/Event.csv");
    reason = "Event.csv is a device";
  }
  SECTION("a JSON object where records were expected") {
    write_file(input + "/Individual.json", "{\"Id\": \"0PK1\", \"Email\": \"x@example.org\"}");
    reason = "Individual.json: no records";
  }
  SECTION("a JSON number where records were expected") {
    write_file(input + "/Individual.json", "42");
    reason = "Individual.json: a single value";
  }
  SECTION("JSON records that are not objects") {
    write_file(input + "/Individual.json", "[{\"Id\": \"0PK1\"}, 1, \"two\", [3]]");
    reason = "3 item(s) of the records list are not records";
  }
  SECTION("invalid UTF-8 in a CSV export") {
    write_file(input + "/Individual.csv", "Id,LastName\n0PK1,Dubo\xffis\n");
    reason = "Individual.csv:2: value 2 is not valid UTF-8";
  }
  SECTION("a UTF-8 export read as ISO-8859-1") {
    extra = {"--encoding", "latin1"};
    reason = "holds bytes that ISO-8859-1 text does not";
  }
  const auto result = run_crmscan(sample_scan(input, out, extra), scratch);
  check_incomplete_everywhere(result, out, reason);
}

TEST_CASE("Attack: a FIFO given as the input, the subjects or a rule pack does not hang",
          "[attack][input]") {
  const TempDir scratch;
  const auto fifo = scratch / "Contact.csv";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto start = Clock::now();
  const auto as_input =
      run_crmscan({"scan", "--input", fifo, "--crm", "salesforce", "--email", "a@example.org",
                   "--format", "json,ndjson,csv", "--out", scratch / "report"},
                  scratch);
  check_incomplete_everywhere(as_input, scratch / "report", "Contact.csv is a FIFO");
  const auto yaml_fifo = scratch / "subjects.yaml";
  REQUIRE(::mkfifo(yaml_fifo.c_str(), 0600) == 0);
  const auto as_subjects = run_crmscan(
      {"scan", "--input", source_path("samples/salesforce-export"), "--subjects", yaml_fifo},
      scratch);
  CHECK(as_subjects.exit_code == 66);
  CHECK_THAT(as_subjects.err, Catch::Contains("subjects.yaml: cannot read the subjects file: is "
                                              "a FIFO"));
  fs::create_directories(scratch / "rules");
  REQUIRE(::mkfifo((scratch / "rules/pack.yaml").c_str(), 0600) == 0);
  const auto as_pack = run_crmscan({"rules", "validate", scratch / "rules"}, scratch);
  CHECK(as_pack.exit_code == 66);
  CHECK_THAT(as_pack.err, Catch::Contains("pack.yaml: cannot read the rule pack: is a FIFO"));
  CHECK(Clock::now() - start < 30s);
}

TEST_CASE("Attack: a line or record over the bound, or a read error, is an error naming the file",
          "[attack][input]") {
  const TempDir dir;
  crmscan::CsvLimits limits;
  limits.max_row_bytes = 1000;
  const auto scan = [&](const std::string& path, const std::string& object) {
    crmscan::FileConnector connector(
        {{"input", path}, {"encoding", "utf-8"}, {"crm", "salesforce"}}, limits);
    std::vector<std::string> problems;
    std::size_t records = 0;
    connector.scan(
        object, [&](const crmscan::Record&) { ++records; },
        [&](const std::string&, const std::string& message) { problems.push_back(message); });
    for (const auto& problem : problems) keep_output(problem);
    return std::pair{records, problems};
  };
  const std::string big(2000, 'x');
  SECTION("an NDJSON line") {
    write_file(dir / "Contact.ndjson",
               "{\"Id\": \"1\"}\n{\"Id\": \"2\", \"Note\": \"" + big + "\"}\n{\"Id\": \"3\"}\n");
    const auto [records, problems] = scan(dir / "Contact.ndjson", "Contact");
    CHECK(records == 2);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::Contains("Contact.ndjson:2: a line longer than 1000 bytes"));
  }
  SECTION("a CSV row") {
    write_file(dir / "Contact.csv", "Id,Note\n1,a\n2," + big + "\n3,c\n");
    const auto [records, problems] = scan(dir / "Contact.csv", "Contact");
    CHECK(records == 2);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::Contains("Contact.csv:3:") && Catch::Contains("skipped"));
  }
  SECTION("a JSON record") {
    write_file(dir / "Contact.json",
               "[{\"Id\": \"1\"},\n{\"Id\": \"2\", \"Note\": \"" + big + "\"}, {\"Id\": \"3\"}]");
    const auto [records, problems] = scan(dir / "Contact.json", "Contact");
    CHECK(records == 1);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::Contains("Contact.json:2:") &&
                                Catch::Contains("a record longer than 1000 bytes"));
  }
  SECTION("past the JSON reader's first buffers, an error and a long record name their place") {
    // ~350 KB: the reader holds 64 KiB at a time and counts lines only when asked.
    std::string text = "[\n";
    for (int i = 0; i < 5000; ++i) {
      const auto note = i == 3000 ? big : std::string(40, 'n');
      text += "  {\"Id\": \"" + std::to_string(i) + "\", \"Note\": \"" + note + "\"},\n";
    }
    write_file(dir / "Contact.json", text + "  {\"Id\": \"x\" \"Note\": 1}\n]\n");
    auto [records, problems] = scan(dir / "Contact.json", "Contact");
    CHECK(records == 3000);
    REQUIRE(problems.size() == 1);
    // Line 3002 is the long record's: the bound is met 1000 bytes after its opening brace.
    CHECK_THAT(problems[0], Catch::Contains("Contact.json:3002:1004: a record longer than 1000"));
    text[text.find(big)] = 'y';  // still too long: the next case without it
    text.replace(text.find("y" + big.substr(1)), big.size(), std::string(40, 'n'));
    write_file(dir / "Contact.json", text + "  {\"Id\": \"x\" \"Note\": 1}\n]\n");
    std::tie(records, problems) = scan(dir / "Contact.json", "Contact");
    CHECK(records == 5000);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(
        problems[0],
        Catch::Contains("Contact.json:5002:14: Missing a comma or '}' after an object member"));
  }
  SECTION("two hundred thousand malformed rows: a hundred named, the rest counted, quickly") {
    std::string rows = "Id,Subject\n";
    for (int i = 0; i < 200'000; ++i) rows += "00T" + std::to_string(i) + ",a,b\n";
    write_file(dir / "Task.csv", rows);
    const auto start = Clock::now();
    const auto [records, problems] = scan(dir / "Task.csv", "Task");
    CHECK(Clock::now() - start < 5s);
    CHECK(records == 0);
    REQUIRE(problems.size() == 101);
    CHECK_THAT(problems[0], Catch::Contains("Task.csv:2: 3 values where the header has 2"));
    CHECK_THAT(problems[100], Catch::Contains("Task.csv: 199900 more rows or lines were not read"));
  }
  SECTION("a read error is not the end of the file") {
    // read() of a folder fails (EISDIR): the stream goes bad instead of ending.
    crmscan::DescriptorBuffer buffer(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
    std::istream in(&buffer);
    crmscan::CsvReader reader(in);
    std::vector<std::string> row;
    CHECK_FALSE(reader.next(row));
    CHECK(in.bad());
    CHECK(buffer.error() == EISDIR);
    std::string why;
    CHECK_FALSE(crmscan::read_regular_file(dir.path(), 1000, why));
    CHECK(why == "is a folder, not a regular file");
  }
}

TEST_CASE("Attack: rule paths that give no pack are an error", "[attack][rules]") {
  const TempDir scratch;
  fs::create_directories(scratch / "empty");
  write_file(scratch / "empty/only.test.yaml", "tests: []\n");
  const auto validate = run_crmscan({"rules", "validate", scratch / "empty"}, scratch);
  CHECK(validate.exit_code == 78);
  CHECK_THAT(validate.err, Catch::Contains("no rule pack"));
  const auto scan = run_crmscan({"scan", "--input", source_path("samples/salesforce-export"),
                                 "--email", "a@example.org", "--rules", scratch / "empty"},
                                scratch);
  CHECK(scan.exit_code == 78);
  CHECK_THAT(scan.err, Catch::Contains("no rule pack"));
}

TEST_CASE("Attack: YAML aliases that fan out are refused wherever YAML is read", "[attack][yaml]") {
  const TempDir dir;
  // Ten levels of lists of ten aliases to the level below: ten billion names once followed.
  std::string fan_out = "x0: &l0 [Phone]\n";
  for (int level = 1; level <= 10; ++level) {
    fan_out += "x" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i)
      fan_out += std::string(i ? ", " : "") + "*l" + std::to_string(level - 1);
    fan_out += "]\n";
  }
  const auto quickly = [](const std::function<void()>& load, const std::string& file) {
    const auto start = Clock::now();
    try {
      load();
      FAIL_CHECK("no error for " << file);
    } catch (const crmscan::Error& e) {
      keep_output(e.what());
      CHECK_THAT(std::string(e.what()), Catch::Contains(file) && Catch::Contains("alias bomb"));
    }
    CHECK(Clock::now() - start < 5s);
  };
  SECTION("a rule pack's field lists") {
    // Anchors in a key the pack does not know: refused before any key is read.
    write_file(dir / "pack.yaml", "pack: fan\ncrm: test\nversion: 1.0.0\n" + fan_out +
                                      "objects:\n  Task:\n    text:\n"
                                      "      - {id: t, fields: *l10}\n");
    quickly([&] { crmscan::RuleSet::load({dir / "pack.yaml"}); }, "pack.yaml:");
  }
  SECTION("a pack's tests") {
    write_file(dir / "pack.yaml",
               "pack: fan\ncrm: test\nversion: 1.0.0\nobjects:\n  Task:\n    text:\n"
               "      - {id: t, fields: [Subject]}\n");
    write_file(dir / "pack.test.yaml", fan_out + "tests: *l10\n");
    quickly([&] { crmscan::run_pack_tests({dir / "pack.yaml"}); }, "pack.test.yaml:");
  }
  SECTION("a subjects file") {
    write_file(dir / "subjects.yaml", fan_out + "subjects:\n  - request_id: R1\n    phone: *l10\n");
    quickly([&] { crmscan::load_subjects_file(dir / "subjects.yaml"); }, "subjects.yaml:");
  }
}

TEST_CASE("Attack: a credential file that is a FIFO, a device, /proc or huge is refused at once",
          "[attack][credentials]") {
  const TempDir dir;
  const auto read = [](const std::string& path) {
    setenv("CRMSCAN_ATTACK_SECRET_FILE", path.c_str(), 1);
    unsetenv("CRMSCAN_ATTACK_SECRET");
    const auto start = Clock::now();
    std::string message;
    try {
      crmscan::environment_secret("CRMSCAN_ATTACK_SECRET");
    } catch (const crmscan::ConfigError& e) {
      message = e.what();
    }
    CHECK(Clock::now() - start < 5s);
    unsetenv("CRMSCAN_ATTACK_SECRET_FILE");
    return message;
  };
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK_THAT(read(dir / "fifo"), Catch::Contains("is a FIFO"));
  CHECK_THAT(read("/dev/zero"), Catch::Contains("is a device"));
  CHECK_THAT(read("/proc/self/environ"), Catch::Contains("is a file of /proc"));
  write_file(dir / "huge", std::string(1 << 20, 'k'));
  CHECK_THAT(read(dir / "huge"), Catch::Contains("larger than 65536 bytes"));
  // A secret read from a file is known to the scrubber from then on.
  write_file(dir / "secret", std::string(kFileSecret) + "\n");
  setenv("CRMSCAN_ATTACK_SECRET_FILE", (dir / "secret").c_str(), 1);
  CHECK(crmscan::environment_secret("CRMSCAN_ATTACK_SECRET") == kFileSecret);
  unsetenv("CRMSCAN_ATTACK_SECRET_FILE");
  CHECK(crmscan::scrub(std::string("token=") + kFileSecret + "&x=1") == "token=[secret]&x=1");
}

TEST_CASE("Attack: subjects that would cost their square stay near-linear", "[attack][subjects]") {
  const TempDir dir;
  constexpr int kCount = 100'000;
  const auto timed = [](const std::string& path) {
    const auto start = Clock::now();
    const crmscan::SubjectSet subjects(crmscan::load_subjects_file(path), "GB");
    return std::pair{Clock::now() - start, subjects.subjects().size()};
  };
  SECTION("a hundred thousand values in one cell") {
    std::string cell;
    for (int i = 0; i < kCount; ++i) cell += "p" + std::to_string(i) + "@example.org;";
    write_file(dir / "subjects.csv", "request_id,email\nR1," + cell + "\n");
    const auto [took, count] = timed(dir / "subjects.csv");
    CHECK(count == 1);
    CHECK(took < 10s);  // was minutes: each value compared with all before it
  }
  SECTION("a hundred thousand requests sharing one email, and rows of one request") {
    std::string rows = "request_id,email,id\n";
    for (int i = 0; i < kCount; ++i) rows += "R" + std::to_string(i) + ",shared@example.org,\n";
    for (int i = 0; i < kCount; ++i) rows += "R0,,id-" + std::to_string(i) + "\n";
    write_file(dir / "subjects.csv", rows);
    const auto start = Clock::now();
    const crmscan::SubjectSet subjects(crmscan::load_subjects_file(dir / "subjects.csv"), "GB");
    CHECK(Clock::now() - start < 10s);
    CHECK(subjects.subjects().size() == kCount);
    CHECK(subjects.subjects()[0].ids.size() == kCount);
    REQUIRE(subjects.by_email("shared@example.org") != nullptr);
    CHECK(subjects.by_email("shared@example.org")->size() == kCount);
  }
}

TEST_CASE("Attack: a cursor that repeats, or pages that never end, stop the paging with an error",
          "[attack][paging][salesforce]") {
  SECTION("the guard") {
    crmscan::PageGuard repeat;
    CHECK(repeat.next("a", 10).empty());
    CHECK(repeat.next("b", 10).empty());
    CHECK_THAT(repeat.next("a", 10), Catch::Contains("given before"));
    crmscan::PageGuard empty(1'000'000, 5);
    for (int i = 0; i < 4; ++i) CHECK(empty.next("e" + std::to_string(i), 0).empty());
    CHECK_THAT(empty.next("e4", 0), Catch::Contains("5 empty pages in a row"));
    crmscan::PageGuard many(3);
    CHECK(many.next("m1", 1).empty());
    CHECK(many.next("m2", 1).empty());
    CHECK_THAT(many.next("m3", 1), Catch::Contains("more than 3 pages"));
    CHECK(many.next("", 1).empty());  // the last page
  }
  crmscan::sfemu::Emulator org(kOrg.sample_org());
  org.start();
  const TempDir scratch;
  const auto out = scratch / "report";
  const std::string prefix = "/services/data/v60.0/query/";
  std::mutex mutex;
  std::string repeated_page;
  std::size_t endless = 0;
  bool attacked = false;  // one query is enough, and each of its pages costs a request
  std::string reason;
  std::function<bool(const httplib::Request&, httplib::Response&)> intercept;
  const auto is_query = [](const httplib::Request& request) {
    return request.path.find("/queryAll") != std::string::npos;
  };
  SECTION("a cursor that repeats") {
    // Each query's first page says there is more, at a cursor whose page names itself again.
    intercept = [&](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (request.path == prefix + "REPEAT-1") {
        response.set_content(repeated_page, "application/json");
        return true;
      }
      return false;
    };
    reason = "a next-page cursor it had given before";
  }
  SECTION("empty pages that never end") {
    intercept = [&](const httplib::Request& request, httplib::Response& response) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (request.path.rfind(prefix + "ENDLESS-", 0) != 0) return false;
      response.set_content(
          "{\"totalSize\": 0, \"done\": false, \"records\": [], "
          "\"nextRecordsUrl\": \"" +
              prefix + "ENDLESS-" + std::to_string(++endless) + "\"}",
          "application/json");
      return true;
    };
    reason = "100 empty pages in a row";
  }
  std::unique_ptr<Proxy> proxy;
  proxy = std::make_unique<Proxy>(
      org.port(), [&](const httplib::Request& request, httplib::Response& response) {
        if (intercept(request, response)) return true;
        if (!is_query(request)) return false;
        {
          const std::lock_guard<std::mutex> lock(mutex);
          if (attacked) return false;
          attacked = true;
        }
        auto answer = proxy->forward(request);
        rapidjson::Document page;
        page.Parse(answer.body.c_str(), answer.body.size());
        if (page.HasParseError() || !page.IsObject() || !page.HasMember("done")) return false;
        page["done"].SetBool(false);
        const auto next =
            prefix + (reason.find("given before") != std::string::npos ? "REPEAT-1" : "ENDLESS-0");
        page.RemoveMember("nextRecordsUrl");
        page.AddMember("nextRecordsUrl", rapidjson::Value(next.c_str(), page.GetAllocator()),
                       page.GetAllocator());
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        page.Accept(writer);
        {
          const std::lock_guard<std::mutex> lock(mutex);
          repeated_page = buffer.GetString();
        }
        response.status = answer.status;
        response.set_content(buffer.GetString(), "application/json");
        return true;
      });
  const auto token = org.issue_token();
  keep_secret(token);
  const Environment environment({{"SF_ACCESS_TOKEN", token}, {"SF_INSTANCE_URL", proxy->url()}});
  const auto start = Clock::now();
  const auto result = run_crmscan(live_scan(proxy->url(), out), scratch);
  check_incomplete_everywhere(result, out, reason);
  CHECK(Clock::now() - start < 30s);
}

TEST_CASE("Attack: a server that never answers costs about a minute, not retries times timeouts",
          "[attack][http]") {
  // Defaults: one silent transfer (low_speed_time) uses up the retry window.
  const crmscan::HttpOptions defaults;
  CHECK(defaults.low_speed_time == 60s);
  CHECK(defaults.retry_window <= defaults.low_speed_time);
  // A socket that listens and never answers: the connection is made, the answer never comes.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 16) == 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  crmscan::HttpOptions options;
  options.low_speed_time = 1s;
  options.retry_window = 1s;
  options.backoff_base = 10ms;
  crmscan::HttpClient client(options);
  const auto start = Clock::now();
  CHECK_THROWS_AS(
      client.send(
          {"GET", "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/x", {}, {}}),
      crmscan::HttpError);
  const auto took = Clock::now() - start;
  CHECK(took < 3s);  // one attempt, where four retries would take five
  CHECK(client.attempts() == 1);
  ::close(listener);
}

// Runs every other security and attack test again, in a child process that keeps all they wrote,
// and greps it: no test secret, no token issued during the run, no value of the requests.
TEST_CASE("No output of any security test holds a secret or an unredacted request value",
          "[leak-grep]") {
  const TempDir kept;
  const TempDir scratch;
  const std::string command = "CRMSCAN_TEST_OUTPUTS='" + kept.path().string() + "' '" +
                              fs::read_symlink("/proc/self/exe").string() +
                              "' '[security],[attack]' >'" + (scratch / "run.log") + "' 2>&1";
  const int status = std::system(command.c_str());
  INFO(read_file(scratch / "run.log"));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::string outputs;
  std::vector<std::string> secrets{kOrg.client_secret,
                                   kOrg.password,
                                   kOrg.security_token,
                                   kFileSecret,
                                   "leakcheck-client-secret-91c2",
                                   "leakcheck-password-5d8e",
                                   "leakcheck-security-token-a4b6",
                                   "leakcheck-refresh-token-e0f1"};
  std::size_t runs = 0;
  for (const auto& entry : fs::directory_iterator(kept.path())) {
    const auto name = entry.path().filename().string();
    const auto text = read_file(entry.path().string());
    if (name.rfind("secret-", 0) == 0) {
      secrets.push_back(text);
      if (const auto bang = text.find('!'); bang != std::string::npos)
        secrets.push_back(text.substr(bang + 1));
    } else {
      outputs += text + "\n";
      ++runs;
    }
  }
  // Not a vacuous pass: many runs were kept, complete and incomplete, with scrubbed errors.
  CHECK(runs > 30);
  CHECK_THAT(outputs, Catch::Contains("scan COMPLETE") && Catch::Contains("scan INCOMPLETE") &&
                          Catch::Contains("[secret]") && Catch::Contains("a***@e***.fr"));
  for (const auto& secret : secrets) {
    INFO("secret " << secret);
    CHECK(outputs.find(secret) == std::string::npos);
  }
  // The requests of the sample's subjects, as written and as sent to an API.
  const auto no_case = Catch::CaseSensitive::No;
  for (const auto* value :
       {"amelie.dubois@example.fr", "amelie.dubois", "siobhan.oneill", "s.oneill@example.org",
        "tomas.garcia", "Amélie Dubois", "amelie dubois", "Siobhán O'Neill", "020 7946 0958",
        "+442079460958", "442079460958", "2079460958", "7700 900123", "+1 415 555 0132",
        "4155550132"}) {
    INFO("request value " << value);
    CHECK_THAT(outputs, !Catch::Contains(value, no_case));
  }
}

#include "support.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "crmscan/csv_reader.hpp"

namespace crmscan::test {
namespace fs = std::filesystem;

namespace {

// Single-quotes an argument for /bin/sh.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

TempDir::TempDir() {
  // Consonants only: tests assert that no digit run or name of a request value reaches an error
  // message, and an error names its file, so a folder name must never spell one.
  static constexpr std::string_view kLetters = "bcdfghjkmnpqrstvwxz";
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = "crmscan-test-";
    for (int letter = 0; letter < 12; ++letter) name += kLetters[random() % kLetters.size()];
    const auto candidate = fs::temp_directory_path() / name;
    if (fs::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string source_path(const std::string& relative) {
  return (fs::path(CRMSCAN_SOURCE_DIR) / relative).string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void write_file(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot write");
  out << content;
}

std::vector<std::vector<std::string>> read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  CsvReader reader(in);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  while (reader.next(row)) {
    if (reader.error()) {
      throw std::runtime_error(path + ":" + std::to_string(reader.row_line()) + ": " +
                               *reader.error());
    }
    if (row.size() == 1 && row[0].empty()) continue;
    rows.push_back(row);
  }
  return rows;
}

void write_csv_file(const std::string& path, const std::vector<std::vector<std::string>>& rows) {
  std::string content;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      content += i == 0 ? "\"" : ",\"";
      for (const char c : row[i]) content += c == '"' ? std::string("\"\"") : std::string(1, c);
      content += '"';
    }
    content += "\r\n";
  }
  write_file(path, content);
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  if (document.HasParseError() || !document.IsObject())
    throw std::runtime_error("not a JSON object: " + text.substr(0, 500));
  return document;
}

bool is_valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

unsigned permissions_of(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) throw std::runtime_error(path + ": cannot stat");
  return static_cast<unsigned>(info.st_mode) & 07777U;
}

namespace {

void keep(const std::string& text, const char* kind) {
  const char* folder = std::getenv("CRMSCAN_TEST_OUTPUTS");
  if (folder == nullptr || *folder == '\0') return;
  static std::size_t count = 0;
  std::ofstream out(fs::path(folder) / (std::string(kind) + "-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(++count) + ".txt"),
                    std::ios::binary);
  out << text;
}

// Every regular file under a path (a folder or a file), concatenated.
std::string files_under(const std::string& path) {
  std::string all;
  std::error_code error;
  if (fs::is_regular_file(path, error)) return read_file(path);
  if (!fs::is_directory(path, error)) return all;
  for (const auto& entry : fs::recursive_directory_iterator(path, error)) {
    // values.json holds the request's identifiers in clear by design (plan and verify need
    // them); the redaction test checks that it is private.
    if (entry.path().filename() == "values.json") continue;
    if (entry.is_regular_file() && !entry.is_symlink()) all += read_file(entry.path()) + "\n";
  }
  return all;
}

}  // namespace

void keep_output(const std::string& text) {
  keep(text, "output");
}

void keep_secret(const std::string& secret) {
  keep(secret, "secret");
}

Report test_report(const std::string& source) {
  Report report;
  report.tool_version = "0.0.0-test";
  report.connector = "file";
  report.source = source;
  report.started = "2026-01-02T03:04:05Z";
  report.finished = "2026-01-02T03:04:07Z";
  return report;
}

CommandResult run_crmscan(const std::vector<std::string>& args, const TempDir& scratch) {
  const auto out_path = scratch / "command.stdout";
  const auto err_path = scratch / "command.stderr";
  // The shipped packs are found beside the program or in the source tree, never through the
  // environment of whoever runs the tests.
  std::string command = "env -u CRMSCAN_RULES " + shell_quote(CRMSCAN_BINARY);
  for (const auto& arg : args) command += " " + shell_quote(arg);
  command += " >" + shell_quote(out_path) + " 2>" + shell_quote(err_path) + " </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  if (std::find(args.begin(), args.end(), "--show-values") == args.end()) {
    std::string written = result.out + "\n" + result.err + "\n";
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--out") written += files_under(args[i + 1]);
    }
    keep_output(written);
  }
  return result;
}

std::vector<std::string> sample_scan_args(std::vector<std::string> source, const std::string& out,
                                          std::vector<std::string> extra) {
  std::vector<std::string> args{"scan"};
  args.insert(args.end(), source.begin(), source.end());
  for (const auto& arg :
       {std::string("--subjects"), source_path("samples/salesforce-expected/subjects.csv"),
        std::string("--default-region"), std::string("GB"), std::string("--format"),
        std::string("json,ndjson,csv"), std::string("--out"), out})
    args.push_back(arg);
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

namespace {

void clear_salesforce_environment() {
  for (const auto* name :
       {"SF_ACCESS_TOKEN", "SF_INSTANCE_URL", "SF_AUTH_FILE", "SF_CLIENT_ID", "SF_CLIENT_SECRET",
        "SF_REFRESH_TOKEN", "SF_USERNAME", "SF_PASSWORD", "SF_SECURITY_TOKEN", "SF_JWT_KEY"}) {
    unsetenv(name);
    unsetenv((std::string(name) + "_FILE").c_str());
  }
}

}  // namespace

SalesforceEnvironment::SalesforceEnvironment(
    std::vector<std::pair<std::string, std::string>> values) {
  clear_salesforce_environment();
  for (const auto& [name, value] : values) setenv(name.c_str(), value.c_str(), 1);
}

SalesforceEnvironment::~SalesforceEnvironment() {
  clear_salesforce_environment();
}

}  // namespace crmscan::test

// Helpers shared by the tests: temporary folders, files, running the crmscan program.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/report.hpp"

namespace crmscan::test {

/// A fresh folder under the system's temporary directory, removed with its contents at the end
/// of the scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// A path inside the folder.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// A path inside the source tree (samples/, rules/, tests/fixtures/…).
std::string source_path(const std::string& relative);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

/// Every row of a CSV file (header included), read with RFC 4180 quoting.
std::vector<std::vector<std::string>> read_csv_file(const std::string& path);

/// Writes rows as a CSV file, every cell quoted, CRLF line ends (as a Salesforce Data Export).
void write_csv_file(const std::string& path, const std::vector<std::vector<std::string>>& rows);

/// A JSON object parsed; std::runtime_error (with the start of the text) when it is not one.
rapidjson::Document parse_json(const std::string& text);

/// True when the bytes are well-formed UTF-8.
bool is_valid_utf8(const std::string& text);

/// The permission bits of a file (0600…).
unsigned permissions_of(const std::string& path);

/// A report as a reporter's test starts it: a file scan of `source` by version 0.0.0-test, run
/// from 2026-01-02T03:04:05Z to 03:04:07Z, with nothing in it yet.
Report test_report(const std::string& source);

/// What a run of the crmscan program gave.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs the built crmscan with the arguments; its output is captured through files in `scratch`.
/// A run without --show-values is kept (keep_output) with every file it wrote under --out.
CommandResult run_crmscan(const std::vector<std::string>& args, const TempDir& scratch);

/// The arguments of `crmscan scan` of the Salesforce sample's requests (default region GB) read
/// from `source` (`--input DIR`, or `--connector salesforce --option …`) into `out` in JSON,
/// NDJSON and CSV, then `extra`.
std::vector<std::string> sample_scan_args(std::vector<std::string> source, const std::string& out,
                                          std::vector<std::string> extra = {});

/// Sets the environment for one scan and clears every Salesforce variable (and its _FILE form)
/// before and after it.
class SalesforceEnvironment {
 public:
  explicit SalesforceEnvironment(std::vector<std::pair<std::string, std::string>> values);
  ~SalesforceEnvironment();
  SalesforceEnvironment(const SalesforceEnvironment&) = delete;
  SalesforceEnvironment& operator=(const SalesforceEnvironment&) = delete;
};

/// When CRMSCAN_TEST_OUTPUTS names a folder, keeps a copy of text that crmscan wrote there, for
/// the test that greps every output of the security tests for secrets and request values.
void keep_output(const std::string& text);
/// The same for a secret made during a test (a token the emulator issued): it is grepped for too.
void keep_secret(const std::string& secret);

}  // namespace crmscan::test

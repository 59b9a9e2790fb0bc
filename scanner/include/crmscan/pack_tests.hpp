#pragma once

#include <string>
#include <vector>

namespace crmscan {

/// The outcome of one test case of a rule pack.
struct PackTestResult {
  std::string file;
  std::string name;
  std::vector<std::string> failures;  ///< empty when the case passed
};

/// Runs the tests that packs carry beside them (`x.test.yaml` next to `x.yaml`), found under
/// the given files and folders. Each case scans its own records for its subject with its pack
/// and the packs it extends, then checks the findings it expects and those it rejects.
/// Throws ConfigError for a test file that is not well-formed.
std::vector<PackTestResult> run_pack_tests(const std::vector<std::string>& paths);

}  // namespace crmscan

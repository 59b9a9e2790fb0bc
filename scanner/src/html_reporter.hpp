#pragma once

#include "crmscan/reporter.hpp"

namespace crmscan {

/// `--format html`: one self-contained page (`report.html`: no network, no other file) with the
/// run, per request its counts by action, a table of its findings to filter and sort, and the
/// graph of its records and how the scan reached each. Values are as the report holds them
/// (redacted unless --show-values). Every value is escaped, and the page's Content-Security-Policy
/// runs only its own script.
class HtmlReporter : public Reporter {
 public:
  std::string format() const override { return "html"; }
  std::string file_name() const override { return "report.html"; }
  void write(const Report& report, std::ostream& out) const override;
};

}  // namespace crmscan

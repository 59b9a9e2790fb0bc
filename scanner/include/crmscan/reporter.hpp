#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "crmscan/report.hpp"

namespace crmscan {

/// Writes a report in one format.
class Reporter {
 public:
  virtual ~Reporter() = default;
  /// The format's name and file extension ("json", "ndjson", "csv").
  virtual std::string format() const = 0;
  virtual void write(const Report& report, std::ostream& out) const = 0;
};

/// The reporter for a format name; throws UsageError for an unknown one.
std::unique_ptr<Reporter> make_reporter(const std::string& format);

/// The formats make_reporter knows.
const std::vector<std::string>& report_formats();

/// The CSV columns, in order.
const std::vector<std::string>& csv_columns();

/// The terminal summary: counts by object, category and action, and whether the scan is complete.
void write_summary(const Report& report, std::ostream& out);

/// Writes a file readable by its owner only (mode 0600), refusing to follow a symbolic link.
void write_private_file(const std::string& path, const std::string& content);
/// The same, for content that `write` streams into the file: a large report is never held whole.
void write_private_file(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace crmscan

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
  /// The format's name, as --format takes it ("json", "csv", "summary").
  virtual std::string format() const = 0;
  /// The file it writes into the report folder ("findings.json").
  virtual std::string file_name() const = 0;
  virtual void write(const Report& report, std::ostream& out) const = 0;
};

/// A report format: its name, what it is for, and how to make its reporter.
struct ReportFormat {
  std::string name;
  std::string description;
  std::unique_ptr<Reporter> (*make)();
};

/// Every format, in the order the help lists them.
const std::vector<ReportFormat>& report_formats();

/// The reporter for a format name; throws UsageError for an unknown one.
std::unique_ptr<Reporter> make_reporter(const std::string& format);

/// Why a scan is not complete, as the summary ends: "scan INCOMPLETE: …" and each error, scrubbed;
/// nothing for a complete scan.
void write_incomplete(const Report& report, std::ostream& out);

/// The CSV columns, in order.
const std::vector<std::string>& csv_columns();

/// Refuses (ConfigError, exit 78) a folder to write reports into that is not a folder, that
/// another user owns, or that its group or others can write: anyone who can write into it could
/// replace a report, or put a link where a report goes.
void check_private_folder(const std::string& path);

/// The folder a scan writes its reports into (`--out`). Made 0700 when it does not exist, checked
/// with check_private_folder(), and locked (an flock on `.crmscan.lock` in it) for as long as this
/// object lives: a second scan into the same folder is refused. Files are staged as private
/// temporary files in the folder (O_EXCL, 0600, fsync'd) and renamed into place together by
/// commit(): a reader sees the previous report or the whole new one, never a part. A staged file
/// that is not committed (an error, SIGINT, SIGTERM, SIGHUP) is removed.
class OutputFolder {
 public:
  explicit OutputFolder(const std::string& path);
  ~OutputFolder();
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  const std::string& path() const { return path_; }
  /// Refuses (ConfigError) a name whose existing file is not a regular file of the current user:
  /// checked before a scan, and again before the rename.
  void check_target(const std::string& name) const;
  /// Writes the file's content to a new temporary file; nothing visible changes yet.
  void stage(const std::string& name, const std::function<void(std::ostream&)>& write);
  /// Renames every staged file into place.
  void commit();

 private:
  class Files;
  std::string path_;
  int folder_fd_ = -1;
  int lock_fd_ = -1;
  std::unique_ptr<Files> files_;  // staged in the folder, through its descriptor
};

/// Writes one file the same way, beside it: a private temporary file (mode 0600) renamed over the
/// target when whole. Refuses (ConfigError) a target that is a symbolic link, not a regular file,
/// or a file of another user.
void write_private_file(const std::string& path, const std::string& content);
/// The same, for content that `write` streams into the file: a large report is never held whole.
void write_private_file(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace crmscan

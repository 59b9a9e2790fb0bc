#pragma once

#include <stdexcept>
#include <string>

namespace crmscan {

/// Process exit codes (sysexits.h where one fits).
enum class ExitCode : int {
  kComplete = 0,
  kFindings = 1,
  kIncomplete = 2,
  kUsage = 64,
  kBadData = 65,
  kMissingInput = 66,
  kBadConfig = 78,
};

/// Base of every error crmscan reports to the user; caught once in main, which exits with code().
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  /// The exit code this error ends the process with.
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

/// Wrong command-line usage.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::kUsage, message) {}
};

/// Input data that cannot be read as what it claims to be (subjects file, export row).
class DataError : public Error {
 public:
  explicit DataError(const std::string& message) : Error(ExitCode::kBadData, message) {}
};

/// An input file or folder that does not exist or cannot be opened.
class MissingInputError : public Error {
 public:
  explicit MissingInputError(const std::string& message)
      : Error(ExitCode::kMissingInput, message) {}
};

/// A rule pack or option value that is not valid configuration.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(ExitCode::kBadConfig, message) {}
};

}  // namespace crmscan

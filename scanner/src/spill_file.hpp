#pragma once

// Temporary files for what would not fit in memory: findings beyond a budget. Internal to the
// scanner library.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/report.hpp"

namespace crmscan::spill {

/// A private temporary file: created mode 0600 in a folder (default_folder() when none is
/// given) and removed from it at once, so that it is gone when closed, even if the process is
/// killed. Written at its end through a buffer; read anywhere (one file, many readers).
class TempFile {
 public:
  explicit TempFile(const std::string& folder);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void append(std::string_view bytes);
  /// Writes out the buffer: what was appended can then be read.
  void flush();
  /// Bytes appended so far.
  std::uint64_t size() const { return written_ + buffer_.size(); }
  /// Reads up to `size` bytes at `offset` (after flush()); returns how many.
  std::size_t read_at(std::uint64_t offset, char* into, std::size_t size) const;

 private:
  int fd_ = -1;
  std::string path_;  // for messages only: the file has no name once created
  std::uint64_t written_ = 0;
  std::string buffer_;
};

/// Encodes values at the end of a file.
class Writer {
 public:
  explicit Writer(TempFile& file) : file_(file) {}
  void u32(std::uint32_t value);
  void string(std::string_view value);
  void finding(const Finding& finding);

 private:
  TempFile& file_;
};

/// Decodes what a Writer wrote, from an offset up to an end.
class Reader {
 public:
  Reader(const TempFile& file, std::uint64_t offset, std::uint64_t end);
  bool at_end() const;
  std::uint32_t u32();
  void string(std::string& into);
  void finding(Finding& into);

 private:
  void read(char* into, std::size_t size);
  const TempFile* file_;
  std::uint64_t offset_;  // of the end of what is in the buffer
  std::uint64_t end_;
  std::vector<char> buffer_;
  std::size_t at_ = 0;
};

/// About how many bytes of memory a finding takes (its strings included).
std::size_t memory_size(const Finding& finding);

/// The folder for temporary files when none is given: $TMPDIR, else the system's.
std::string default_folder();

}  // namespace crmscan::spill

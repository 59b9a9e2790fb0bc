#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <streambuf>
#include <string>
#include <vector>

namespace crmscan {

/// Opens a file for reading only when it is a regular file on a real file system: not a FIFO
/// (which would block), a device, a socket, a folder, or a file of /proc or /sys (whose size and
/// content are not what they seem). Never blocks. Returns a close-on-exec descriptor, or -1 with
/// `why` saying what the file is instead ("a FIFO", "cannot open: Permission denied").
int open_regular_file(const std::string& path, std::string& why);

/// What a path is when it is not a regular file ("a FIFO", "a folder"…), or nothing.
std::optional<std::string> not_regular(const std::string& path);

/// The whole content of a regular file of at most `max_bytes`, or nothing with `why` set.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes,
                                             std::string& why);

/// A stream buffer over a descriptor it owns. A failed read() is not taken for the end of the
/// file: the stream reading it goes bad (std::istream::bad()) and error() keeps the errno.
class DescriptorBuffer : public std::streambuf {
 public:
  explicit DescriptorBuffer(int fd);
  ~DescriptorBuffer() override;
  DescriptorBuffer(const DescriptorBuffer&) = delete;
  DescriptorBuffer& operator=(const DescriptorBuffer&) = delete;
  /// The errno of the read that failed, or 0.
  int error() const { return error_; }

 protected:
  int_type underflow() override;
  /// Reads of a buffer's size or more go straight to the caller's memory.
  std::streamsize xsgetn(char* out, std::streamsize count) override;

 private:
  /// read() into `out`, retried when interrupted; throws std::system_error when it fails.
  std::size_t read_some(char* out, std::size_t count);

  int fd_;
  int error_ = 0;
  std::vector<char> buffer_;
};

/// Bounds on a YAML document that a small file could otherwise blow up.
struct YamlLimits {
  std::size_t max_bytes = std::size_t{16} << 20;
  /// Nodes that aliases may add in all: an alias repeats its anchor's whole tree, so a few
  /// aliases of aliases make a file of a few lines a tree of a billion nodes.
  std::size_t max_alias_nodes = 100'000;
};

/// Loads YAML text as yaml-cpp does, after checking that its aliases add at most
/// `max_alias_nodes` nodes, none inside its own anchor (else YAML::Exception at the alias).
YAML::Node load_yaml(const std::string& text, std::size_t max_alias_nodes);

/// Loads a YAML file as yaml-cpp does, after checking that it is a regular file within
/// `limits.max_bytes` (else MissingInputError or DataError naming it) and that its aliases add at
/// most `limits.max_alias_nodes` nodes, none inside its own anchor (else YAML::Exception at the
/// alias's position, as for a syntax error).
YAML::Node load_yaml_file(const std::string& path, const YamlLimits& limits = {});

}  // namespace crmscan

#include "crmscan/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <system_error>

#include "crmscan/error.hpp"

namespace crmscan {
namespace {

// File systems whose files are not data at rest: procfs, sysfs, debugfs, securityfs, tracefs,
// configfs, cgroup (magic numbers from <linux/magic.h>).
bool is_pseudo_file_system(long type) {
  switch (static_cast<unsigned long>(type)) {
    case 0x9fa0:      // PROC_SUPER_MAGIC
    case 0x62656572:  // SYSFS_MAGIC
    case 0x64626720:  // DEBUGFS_MAGIC
    case 0x73636673:  // SECURITYFS_MAGIC
    case 0x74726163:  // TRACEFS_MAGIC
    case 0x62656570:  // CONFIGFS_MAGIC
    case 0x27e0eb:    // CGROUP_SUPER_MAGIC
    case 0x63677270:  // CGROUP2_SUPER_MAGIC
      return true;
    default:
      return false;
  }
}

std::optional<std::string> kind_of(const struct stat& info) {
  if (S_ISREG(info.st_mode)) return std::nullopt;
  if (S_ISFIFO(info.st_mode)) return "a FIFO";
  if (S_ISDIR(info.st_mode)) return "a folder";
  if (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) return "a device";
  if (S_ISSOCK(info.st_mode)) return "a socket";
  return "not a regular file";
}

// Counts what the aliases of a document add, without building it: an alias adds its anchor's
// whole tree. Throws YAML::Exception at the alias that goes past the bound or that is inside its
// own anchor.
class AliasCounter : public YAML::EventHandler {
 public:
  explicit AliasCounter(std::size_t max_alias_nodes) : max_(max_alias_nodes) {}

  void OnDocumentStart(const YAML::Mark& mark) override { document_start_ = mark; }
  void OnDocumentEnd() override {}
  const YAML::Mark& document_start() const { return document_start_; }
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { leaf(anchor); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    leaf(anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= sizes_.size() || sizes_[anchor] == kOpen)
      throw YAML::Exception(mark, "an alias inside the node it names (a tree without end)");
    added_ += sizes_[anchor];
    if (added_ > max_) {
      throw YAML::Exception(
          mark, "aliases that repeat more than " + std::to_string(max_) + " nodes (an alias bomb)");
    }
    add(sizes_[anchor]);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr std::size_t kOpen = static_cast<std::size_t>(-1);

  void name(YAML::anchor_t anchor, std::size_t size) {
    if (anchor == 0) return;
    if (anchor >= sizes_.size()) sizes_.resize(anchor + 1, 0);
    sizes_[anchor] = size;
  }
  void add(std::size_t size) {
    if (!open_.empty()) open_.back().second += size;
  }
  void leaf(YAML::anchor_t anchor) {
    name(anchor, 1);
    add(1);
  }
  void open(YAML::anchor_t anchor) {
    name(anchor, kOpen);
    open_.emplace_back(anchor, 1);
  }
  void close() {
    if (open_.empty()) return;  // not from yaml-cpp's parser, but never undefined behaviour
    const auto [anchor, size] = open_.back();
    open_.pop_back();
    name(anchor, size);
    add(size);
  }

  std::size_t max_;
  YAML::Mark document_start_;
  std::size_t added_ = 0;
  std::vector<std::size_t> sizes_;                            // by anchor
  std::vector<std::pair<YAML::anchor_t, std::size_t>> open_;  // collections being read
};

}  // namespace

int open_regular_file(const std::string& path, std::string& why) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    why = std::string("cannot open: ") + std::strerror(errno);
    return -1;
  }
  struct stat info {};
  struct statfs file_system {};
  std::optional<std::string> problem;
  if (::fstat(fd, &info) != 0) {
    problem = std::string("cannot open: ") + std::strerror(errno);
  } else if (auto kind = kind_of(info)) {
    problem = "is " + *kind + ", not a regular file";
  } else if (::fstatfs(fd, &file_system) == 0 && is_pseudo_file_system(file_system.f_type)) {
    problem = "is a file of /proc or /sys, not a regular file";
  }
  if (problem) {
    ::close(fd);
    why = *problem;
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::optional<std::string> not_regular(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return kind_of(info);
}

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes,
                                             std::string& why) {
  const int fd = open_regular_file(path, why);
  if (fd < 0) return std::nullopt;
  DescriptorBuffer buffer(fd);
  std::string content;
  char chunk[1 << 14];
  try {
    for (;;) {
      const auto n = buffer.sgetn(chunk, sizeof chunk);
      if (n <= 0) break;
      content.append(chunk, static_cast<std::size_t>(n));
      if (content.size() > max_bytes) {
        why = "is larger than " + std::to_string(max_bytes) + " bytes";
        return std::nullopt;
      }
    }
  } catch (const std::system_error&) {
    // error() says why
  }
  if (buffer.error() != 0) {
    why = std::string("cannot be read: ") + std::strerror(buffer.error());
    return std::nullopt;
  }
  return content;
}

DescriptorBuffer::DescriptorBuffer(int fd) : fd_(fd), buffer_(1 << 16) {
  setg(buffer_.data(), buffer_.data(), buffer_.data());
}

DescriptorBuffer::~DescriptorBuffer() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t DescriptorBuffer::read_some(char* out, std::size_t count) {
  if (error_ != 0) throw std::system_error(error_, std::generic_category());
  for (;;) {
    const auto n = ::read(fd_, out, count);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    error_ = errno;
    // The stream that reads this buffer catches it and goes bad(): a failed read is not an end.
    throw std::system_error(error_, std::generic_category());
  }
}

DescriptorBuffer::int_type DescriptorBuffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const auto n = read_some(buffer_.data(), buffer_.size());
  if (n == 0) return traits_type::eof();
  setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
  return traits_type::to_int_type(*gptr());
}

std::streamsize DescriptorBuffer::xsgetn(char* out, std::streamsize count) {
  std::streamsize done = 0;
  while (done < count) {
    if (gptr() < egptr()) {
      const auto n = std::min<std::streamsize>(egptr() - gptr(), count - done);
      std::memcpy(out + done, gptr(), static_cast<std::size_t>(n));
      gbump(static_cast<int>(n));
      done += n;
    } else if (static_cast<std::size_t>(count - done) < buffer_.size()) {
      if (traits_type::eq_int_type(underflow(), traits_type::eof())) break;
    } else {
      // A large read goes straight to the caller's memory, not through the buffer.
      const auto n = read_some(out + done, static_cast<std::size_t>(count - done));
      if (n == 0) break;
      done += static_cast<std::streamsize>(n);
    }
  }
  return done;
}

YAML::Node load_yaml_file(const std::string& path, const YamlLimits& limits) {
  std::string why;
  const auto text = read_regular_file(path, limits.max_bytes, why);
  if (!text) {
    if (why.rfind("is larger", 0) == 0) throw DataError(path + ": " + why);
    throw MissingInputError(path + ": " + why);
  }
  return load_yaml(*text, limits.max_alias_nodes);
}

YAML::Node load_yaml(const std::string& text, std::size_t max_alias_nodes) {
  {
    std::istringstream in(text);
    YAML::Parser parser(in);
    AliasCounter counter(max_alias_nodes);
    parser.HandleNextDocument(counter);
    // YAML::Load reads the first document alone, so a second one would be dropped unread. (A
    // stray ',' at the top level is also read as endless empty documents: loop over them and
    // yaml-cpp never returns.)
    if (parser.HandleNextDocument(counter)) {
      throw YAML::Exception(counter.document_start(),
                            "a second YAML document (or a stray ','): the file must hold one");
    }
  }
  return YAML::Load(text);
}

}  // namespace crmscan

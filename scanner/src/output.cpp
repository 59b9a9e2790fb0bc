// Report files: private, whole, and never written where someone else could swap them.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <streambuf>

#include "crmscan/error.hpp"
#include "crmscan/reporter.hpp"

namespace crmscan {
namespace {

constexpr const char* kLockName = ".crmscan.lock";

[[noreturn]] void refuse(const std::string& message) {
  throw ConfigError(message);
}

std::string reason() {
  return std::strerror(errno);
}

// A stream buffer that writes to a file descriptor, remembering the first error.
class FileBuffer : public std::streambuf {
 public:
  explicit FileBuffer(int fd) : fd_(fd), buffer_(kSize) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  /// The errno of the first write that failed, or 0.
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  static constexpr std::size_t kSize = 64 * 1024;
  bool drain() {
    const char* at = pbase();
    while (error_ == 0 && at < pptr()) {
      const auto n = ::write(fd_, at, static_cast<std::size_t>(pptr() - at));
      if (n < 0) {
        if (errno != EINTR) error_ = errno;
        continue;
      }
      at += n;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }
  int fd_;
  int error_ = 0;
  std::vector<char> buffer_;
};

// The temporary files being written, for the signal handler: a signal while a report is written
// removes them, so that what remains is the previous report or none. Fixed slots: the handler may
// only touch what is async-signal-safe.
struct PendingFile {
  std::atomic<int> folder_fd{-1};
  char name[256] = {};
};
std::array<PendingFile, 16> pending_files;

extern "C" void remove_pending_files(int signal_number) {
  for (auto& file : pending_files) {
    const int fd = file.folder_fd.load();
    if (fd >= 0) ::unlinkat(fd, file.name, 0);
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void install_signal_handlers() {
  static const bool installed = [] {
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction current {};
      if (::sigaction(signal_number, nullptr, &current) != 0 || current.sa_handler != SIG_DFL)
        continue;  // a signal ignored by whoever started crmscan stays ignored
      struct sigaction action {};
      action.sa_handler = &remove_pending_files;
      sigemptyset(&action.sa_mask);
      ::sigaction(signal_number, &action, nullptr);
    }
    return true;
  }();
  (void)installed;
}

void remember_pending(int folder_fd, const std::string& name) {
  install_signal_handlers();
  if (name.size() >= sizeof(PendingFile::name)) return;
  for (auto& file : pending_files) {
    if (file.folder_fd.load() != -1) continue;
    std::memcpy(file.name, name.c_str(), name.size() + 1);
    file.folder_fd.store(folder_fd);
    return;
  }
}

void forget_pending(const std::string& name) {
  for (auto& file : pending_files) {
    if (file.folder_fd.load() >= 0 && name == file.name) file.folder_fd.store(-1);
  }
}

std::string temporary_name(const std::string& name) {
  static std::mt19937_64 random(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix;
  auto bits = random();
  for (int i = 0; i < 12; ++i, bits >>= 4) suffix.push_back(kHex[bits & 0xF]);
  return "." + name + "." + suffix + ".tmp";
}

// What an existing file in the folder is, if it is not a regular file of the current user.
std::optional<std::string> foreign(int folder_fd, const std::string& name) {
  struct stat info {};
  if (::fstatat(folder_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return "cannot be examined: " + reason();
  }
  if (S_ISLNK(info.st_mode)) return "is a symbolic link";
  if (!S_ISREG(info.st_mode)) return "is not a regular file";
  if (info.st_uid != ::geteuid()) return "belongs to another user";
  return std::nullopt;
}

// Stages files in one folder, through its descriptor: the folder cannot be swapped under it.
class Stager {
 public:
  Stager(int folder_fd, std::string folder) : folder_fd_(folder_fd), folder_(std::move(folder)) {}
  ~Stager() { discard(); }

  std::string where(const std::string& name) const {
    return (std::filesystem::path(folder_) / name).string();
  }

  void check_target(const std::string& name) const {
    if (const auto problem = foreign(folder_fd_, name))
      refuse(where(name) + " " + *problem + ": refusing to replace it");
  }

  void stage(const std::string& name, const std::function<void(std::ostream&)>& write) {
    check_target(name);
    std::string temporary;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
      temporary = temporary_name(name);
      // Known to the signal handler before it exists: a signal never leaves it behind.
      remember_pending(folder_fd_, temporary);
      fd = ::openat(folder_fd_, temporary.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0) break;
      const int error = errno;
      forget_pending(temporary);
      if (error != EEXIST) refuse(where(name) + ": cannot write: " + std::strerror(error));
    }
    if (fd < 0) refuse(where(name) + ": cannot create a temporary file beside it");
    staged_.emplace_back(temporary, name);
    ::fchmod(fd, 0600);
    FileBuffer buffer(fd);
    std::ostream out(&buffer);
    try {
      write(out);
    } catch (...) {
      ::close(fd);
      throw;  // the destructor removes the temporary file
    }
    out.flush();
    int error = buffer.error();
    if (error == 0 && ::fsync(fd) != 0) error = errno;
    if (::close(fd) != 0 && error == 0) error = errno;
    if (error != 0) refuse(where(name) + ": cannot write: " + std::strerror(error));
  }

  void commit() {
    for (const auto& [temporary, name] : staged_) check_target(name);
    for (auto& [temporary, name] : staged_) {
      if (::renameat(folder_fd_, temporary.c_str(), folder_fd_, name.c_str()) != 0)
        refuse(where(name) + ": cannot write: " + reason());
      forget_pending(temporary);
      temporary.clear();
    }
    staged_.clear();
    ::fsync(folder_fd_);  // the renames themselves survive a crash
  }

  void discard() {
    for (const auto& [temporary, name] : staged_) {
      if (temporary.empty()) continue;
      ::unlinkat(folder_fd_, temporary.c_str(), 0);
      forget_pending(temporary);
    }
    staged_.clear();
  }

 private:
  int folder_fd_;
  std::string folder_;
  std::vector<std::pair<std::string, std::string>> staged_;  // (temporary name, name)
};

int open_folder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) refuse(path + ": cannot open the output folder: " + reason());
  return fd;
}

void check_folder(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) refuse(path + ": cannot examine the output folder: " + reason());
  if (!S_ISDIR(info.st_mode)) refuse(path + ": the output folder is not a folder");
  if (info.st_uid != ::geteuid()) {
    refuse(path +
           ": the output folder belongs to another user, who could replace the reports; "
           "use a folder of your own");
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    refuse(path + ": the output folder can be written by " +
           ((info.st_mode & S_IWOTH) != 0 ? "all users" : "its group") +
           ", who could replace the reports; make it private (chmod go-w) or use another");
  }
}

}  // namespace

class OutputFolder::Files : public Stager {
 public:
  using Stager::Stager;
};

namespace {

std::string parent_of(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

void check_private_folder(const std::string& path) {
  const int fd = open_folder(path);
  try {
    check_folder(fd, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

OutputFolder::OutputFolder(const std::string& path) : path_(path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    // Findings are personal data: a folder crmscan creates is its owner's alone.
    std::filesystem::create_directories(path, error);
    if (!error)
      std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, error);
    if (error) refuse(path + ": cannot create the output folder: " + error.message());
  }
  folder_fd_ = open_folder(path);
  try {
    check_folder(folder_fd_, path);
    lock_fd_ = ::openat(folder_fd_, kLockName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) refuse(path + "/" + kLockName + ": cannot open the lock file: " + reason());
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        refuse(path + ": another crmscan scan is writing into this folder (it holds " + kLockName +
               "); wait for it or use another --out");
      }
      refuse(path + "/" + kLockName + ": cannot lock: " + reason());
    }
    files_ = std::make_unique<Files>(folder_fd_, path_);
  } catch (...) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    ::close(folder_fd_);
    throw;
  }
}

OutputFolder::~OutputFolder() {
  files_.reset();     // removes what was staged and not committed
  ::close(lock_fd_);  // releases the lock
  ::close(folder_fd_);
}

void OutputFolder::check_target(const std::string& name) const {
  files_->check_target(name);
}

void OutputFolder::stage(const std::string& name, const std::function<void(std::ostream&)>& write) {
  files_->stage(name, write);
}

void OutputFolder::commit() {
  files_->commit();
}

void write_private_file(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const auto folder = parent_of(path);
  const int fd = open_folder(folder);
  try {
    Stager stager(fd, folder);
    stager.stage(std::filesystem::path(path).filename().string(), write);
    stager.commit();
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void write_private_file(const std::string& path, const std::string& content) {
  write_private_file(path, [&content](std::ostream& out) {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

}  // namespace crmscan

#include "spill_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crmscan/error.hpp"

namespace crmscan::spill {
namespace {

constexpr std::size_t kWriteBuffer = 256 * 1024;
constexpr std::size_t kReadBuffer = 64 * 1024;

[[noreturn]] void fail(const std::string& path, const char* what) {
  throw Error(ExitCode::kIncomplete,
              path + ": cannot " + what + " a temporary file: " + std::strerror(errno));
}

std::size_t heap_size(const std::string& text) {
  // Short strings live inside the object (libstdc++ and libc++ keep at least 15 characters).
  return text.size() > 15 ? text.capacity() + 1 : 0;
}

}  // namespace

std::string default_folder() {
  // $TMPDIR, else the system's temporary folder.
  std::error_code error;
  const auto folder = std::filesystem::temp_directory_path(error);
  return error ? std::string(".") : folder.string();
}

TempFile::TempFile(const std::string& folder) {
  path_ = (folder.empty() ? default_folder() : folder) + "/crmscan-findings-XXXXXX";
  std::vector<char> name(path_.begin(), path_.end());
  name.push_back('\0');
  // mkstemp creates the file 0600, O_EXCL: nobody else can have opened it.
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) fail(path_, "create");
  path_.assign(name.data());
  if (::unlink(path_.c_str()) != 0) {
    const int error = errno;
    ::close(fd_);
    errno = error;
    fail(path_, "remove");
  }
  buffer_.reserve(kWriteBuffer);
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
}

void TempFile::append(std::string_view bytes) {
  if (buffer_.size() + bytes.size() > kWriteBuffer) flush();
  if (bytes.size() > kWriteBuffer) {
    buffer_.assign(bytes);
    flush();
    return;
  }
  buffer_.append(bytes);
}

void TempFile::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const auto n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                            static_cast<off_t>(written_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_, "write");
    }
    done += static_cast<std::size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
}

std::size_t TempFile::read_at(std::uint64_t offset, char* into, std::size_t size) const {
  std::size_t done = 0;
  while (done < size) {
    const auto n = ::pread(fd_, into + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_, "read");
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void Writer::u32(std::uint32_t value) {
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  file_.append({bytes, sizeof bytes});
}

void Writer::string(std::string_view value) {
  u32(static_cast<std::uint32_t>(value.size()));
  file_.append(value);
}

void Writer::finding(const Finding& f) {
  for (const auto* text : {&f.fingerprint, &f.request_id, &f.connector, &f.object, &f.record_id,
                           &f.field, &f.category, &f.reason, &f.rule, &f.detail, &f.confidence,
                           &f.preview, &f.location, &f.via_object, &f.via_record_id}) {
    string(*text);
  }
  u32(static_cast<std::uint32_t>(f.action) | (f.archived ? 0x100U : 0U) |
      (f.deleted ? 0x200U : 0U));
}

Reader::Reader(const TempFile& file, std::uint64_t offset, std::uint64_t end)
    : file_(&file), offset_(offset), end_(end) {}

bool Reader::at_end() const {
  return offset_ - (buffer_.size() - at_) >= end_;
}

void Reader::read(char* into, std::size_t size) {
  while (size > 0) {
    if (at_ == buffer_.size()) {
      if (offset_ >= end_) throw Error(ExitCode::kIncomplete, "a temporary file ended too soon");
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(kReadBuffer, end_ - offset_));
      buffer_.resize(want);
      const auto got = file_->read_at(offset_, buffer_.data(), want);
      if (got != want) throw Error(ExitCode::kIncomplete, "a temporary file ended too soon");
      offset_ += got;
      at_ = 0;
    }
    const auto n = std::min(size, buffer_.size() - at_);
    std::memcpy(into, buffer_.data() + at_, n);
    at_ += n;
    into += n;
    size -= n;
  }
}

std::uint32_t Reader::u32() {
  unsigned char bytes[4];
  read(reinterpret_cast<char*>(bytes), sizeof bytes);
  return static_cast<std::uint32_t>(bytes[0]) | (static_cast<std::uint32_t>(bytes[1]) << 8) |
         (static_cast<std::uint32_t>(bytes[2]) << 16) |
         (static_cast<std::uint32_t>(bytes[3]) << 24);
}

void Reader::string(std::string& into) {
  into.resize(u32());
  read(into.data(), into.size());
}

void Reader::finding(Finding& f) {
  for (auto* text : {&f.fingerprint, &f.request_id, &f.connector, &f.object, &f.record_id, &f.field,
                     &f.category, &f.reason, &f.rule, &f.detail, &f.confidence, &f.preview,
                     &f.location, &f.via_object, &f.via_record_id}) {
    string(*text);
  }
  const auto bits = u32();
  f.action = static_cast<Action>(bits & 0xFF);
  f.archived = (bits & 0x100U) != 0;
  f.deleted = (bits & 0x200U) != 0;
}

std::size_t memory_size(const Finding& f) {
  std::size_t size = sizeof(Finding);
  for (const auto* text : {&f.fingerprint, &f.request_id, &f.connector, &f.object, &f.record_id,
                           &f.field, &f.category, &f.reason, &f.rule, &f.detail, &f.confidence,
                           &f.preview, &f.location, &f.via_object, &f.via_record_id}) {
    size += heap_size(*text);
  }
  return size;
}

}  // namespace crmscan::spill

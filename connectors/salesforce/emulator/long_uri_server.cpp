#include "long_uri_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace crmscan::sfemu {
namespace {

using Clock = std::chrono::steady_clock;

// Request lines longer than this are shortened before httplib sees them (its limit: 8,192).
constexpr std::size_t kLibraryLineLimit = 8000;
// Stands in for a long target until the request is set up again with the real one.
constexpr std::string_view kLongTargetPath = "/__crmscan_sfemu_long_target__";
// Method, version and line end around the target.
constexpr std::size_t kRequestLineSlack = 64;
constexpr int kPollStepMs = 10;

// The connection that this worker thread serves, for reset_connection().
thread_local socket_t serving_socket = INVALID_SOCKET;

int to_ms(time_t sec, time_t usec) {
  return static_cast<int>(sec * 1000 + usec / 1000);
}

// A socket stream that can give back bytes it read ahead (the request line it inspected).
class BufferedSocketStream final : public httplib::Stream {
 public:
  enum class Line { kRead, kClosed, kTooLong };

  BufferedSocketStream(socket_t sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}

  bool is_readable() const override {
    return pos_ < buffer_.size() || wait(POLLIN, read_timeout_ms_);
  }
  bool is_writable() const override { return wait(POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ < buffer_.size()) {
      const auto n = std::min(size, buffer_.size() - pos_);
      std::memcpy(ptr, buffer_.data() + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!wait(POLLIN, read_timeout_ms_)) return -1;
    ssize_t n;
    do {
      n = ::recv(sock_, ptr, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address(::getsockname, ip, port);
  }
  socket_t socket() const override { return sock_; }

  /// Waits for the next request, giving up when the idle time is over or the server stops.
  bool wait_for_request(time_t idle_seconds, const std::atomic<socket_t>& server_socket) const {
    const auto deadline = Clock::now() + std::chrono::seconds(idle_seconds);
    while (pos_ == buffer_.size()) {
      if (server_socket == INVALID_SOCKET || Clock::now() > deadline) return false;
      if (wait(POLLIN, kPollStepMs)) return true;
    }
    return true;
  }

  /// Reads up to and including the next LF, refusing lines longer than `limit`.
  Line read_line(std::string& line, std::size_t limit) {
    while (true) {
      const auto end = buffer_.find('\n', pos_);
      if (end != std::string::npos) {
        line = buffer_.substr(pos_, end + 1 - pos_);
        pos_ = end + 1;
        return line.size() > limit ? Line::kTooLong : Line::kRead;
      }
      if (buffer_.size() - pos_ > limit) return Line::kTooLong;
      if (!fill()) return Line::kClosed;
    }
  }

  /// Puts bytes back before those still to be read.
  void unread(const std::string& bytes) {
    buffer_ = bytes + buffer_.substr(pos_);
    pos_ = 0;
  }

  /// Reads and drops what the client still sends, so that closing does not reset the
  /// connection before the client has read the answer.
  void drain() {
    std::array<char, 4096> chunk;
    for (std::size_t total = 0; total < (1u << 20) && wait(POLLIN, 50);) {
      const auto n = ::recv(sock_, chunk.data(), chunk.size(), 0);
      if (n <= 0) return;
      total += static_cast<std::size_t>(n);
    }
  }

 private:
  bool wait(short events, int timeout_ms) const {
    pollfd fd{sock_, events, 0};
    int ready;
    do {
      ready = ::poll(&fd, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    return ready > 0;
  }

  bool fill() {
    if (pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    }
    if (!wait(POLLIN, read_timeout_ms_)) return false;
    std::array<char, 4096> chunk;
    ssize_t n;
    do {
      n = ::recv(sock_, chunk.data(), chunk.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    return true;
  }

  template <typename Getter>
  void address(Getter getter, std::string& ip, int& port) const {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    if (getter(sock_, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return;
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (storage.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
      ::inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size());
      port = ntohs(in->sin_port);
    } else if (storage.ss_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, text.data(), text.size());
      port = ntohs(in6->sin6_port);
    }
    ip = text.data();
  }

  socket_t sock_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  std::string buffer_;
  std::size_t pos_ = 0;
};

}  // namespace

LongUriServer::LongUriServer(std::size_t max_uri_length, TooLongHandler on_too_long)
    : max_uri_length_(max_uri_length), on_too_long_(std::move(on_too_long)) {}

void LongUriServer::reset_connection() {
  if (serving_socket == INVALID_SOCKET) return;
  // With SO_LINGER 0, closing the connection sends a reset. dup2 closes it under a descriptor
  // that stays valid (a fresh unconnected socket), so httplib's writes fail and its close is safe.
  const linger abort{1, 0};
  ::setsockopt(serving_socket, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  const int placeholder = ::socket(AF_INET, SOCK_STREAM, 0);
  if (placeholder < 0) return;
  ::dup2(placeholder, serving_socket);
  ::close(placeholder);
}

bool LongUriServer::process_and_close_socket(socket_t sock) {
  serving_socket = sock;
  // Headers and body go out in separate writes: without TCP_NODELAY a kept-alive connection waits
  // for the client's delayed ACK (about 40 ms) on every response.
  const int no_delay = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &no_delay, sizeof no_delay);
  BufferedSocketStream stream(sock, to_ms(read_timeout_sec_, read_timeout_usec_),
                              to_ms(write_timeout_sec_, write_timeout_usec_));
  for (auto remaining = keep_alive_max_count_; remaining > 0; --remaining) {
    if (!stream.wait_for_request(keep_alive_timeout_sec_, svr_sock_)) break;
    std::string line;
    const auto read = stream.read_line(line, max_uri_length_ + kRequestLineSlack);
    if (read == BufferedSocketStream::Line::kClosed) break;
    // "METHOD target HTTP/1.1\r\n"
    const auto first = line.find(' ');
    const auto last = line.rfind(' ');
    const auto method = line.substr(0, std::min(first, line.size()));
    const auto target = first != std::string::npos && last > first
                            ? line.substr(first + 1, last - first - 1)
                            : std::string();
    if (read == BufferedSocketStream::Line::kTooLong || target.size() > max_uri_length_) {
      if (on_too_long_) on_too_long_(method, target.substr(0, 256));
      const std::string body =
          R"([{"message":"The request URI is too long","errorCode":"URI_TOO_LONG"}])";
      const auto response =
          "HTTP/1.1 414 URI Too Long\r\nContent-Type: application/json;charset=UTF-8\r\n"
          "Connection: close\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      stream.write(response.data(), response.size());
      ::shutdown(sock, SHUT_WR);
      stream.drain();
      break;
    }
    std::string long_target;
    if (line.size() > kLibraryLineLimit) {
      long_target = target;
      line = method + " " + std::string(kLongTargetPath) + line.substr(last);
    }
    stream.unread(line);
    bool connection_closed = false;
    const bool ok = process_request(
        stream, remaining == 1, connection_closed, [&long_target](httplib::Request& request) {
          if (long_target.empty()) return;
          const auto query = long_target.find('?');
          request.target = long_target;
          request.path = httplib::detail::decode_url(long_target.substr(0, query), false);
          request.params.clear();
          if (query != std::string::npos) {
            httplib::detail::parse_query_text(long_target.substr(query + 1), request.params);
          }
        });
    if (!ok || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  serving_socket = INVALID_SOCKET;
  return true;
}

}  // namespace crmscan::sfemu

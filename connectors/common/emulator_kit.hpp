#pragma once

// The emulator kit: what every API emulator (connectors/*/emulator) is built on — the server on
// 127.0.0.1 with its own thread, the request log, the fault plan's bursts and body faults, and
// the skeleton of the standalone program's main (emulator_main.hpp).

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace crmscan::emulator {

inline constexpr std::string_view kJson = "application/json; charset=utf-8";

/// An emulator's answer to one request, before it is sent.
struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = std::string(kJson);
};

/// Whether `call` is one of the `count` calls from call `first` on (a burst of 429s, of 503s);
/// `first` 0 turns the burst off.
inline bool in_burst(std::size_t call, std::size_t first, std::size_t count) {
  return first > 0 && call >= first && call < first + count;
}

/// What the fault plan does to one reply's body.
struct BodyFault {
  /// The body stops halfway, under a Content-Length for the whole; the connection is closed.
  bool truncate = false;
  /// The JSON is cut short (labelled JSON all the same).
  bool malformed = false;
  /// A maintenance page labelled text/html comes instead.
  bool wrong_type = false;
};

/// The body fault of call `call` from faults that name calls by `truncated_at`,
/// `malformed_json_at` and `wrong_content_type_at`.
template <class Faults>
BodyFault body_fault_of(const Faults& faults, std::size_t call) {
  return {call == faults.truncated_at, call == faults.malformed_json_at,
          call == faults.wrong_content_type_at};
}

/// Writes a reply into httplib's response, with its body fault.
void send_reply(Reply reply, const BodyFault& fault, httplib::Response& response);

/// The requests an emulator received, in order: thread-safe.
template <class Entry>
class RequestLog {
 public:
  void add(Entry entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  std::vector<Entry> all() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
  }
  /// Requests whose path starts with `prefix`.
  std::size_t count(std::string_view prefix) const {
    return count_if([prefix](const Entry& entry) { return entry.path.starts_with(prefix); });
  }
  template <class Predicate>
  std::size_t count_if(Predicate predicate) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), predicate));
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
};

/// An HTTP server on 127.0.0.1 with its own thread, every method of every path going to one
/// handler: the skeleton each emulator serves with.
class Server {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  Server() = default;
  ~Server() { stop(); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Serves on `port` (0: a free one) and returns it; does nothing but return the port when
  /// already serving. `server` is the httplib server to run (one with its own checks, or
  /// null for a plain one). Throws std::runtime_error when it cannot bind.
  std::uint16_t start(std::uint16_t port, Handler handler,
                      std::unique_ptr<httplib::Server> server = nullptr);
  /// Stops serving and waits for the thread; does nothing when not serving.
  void stop();
  /// The port served, 0 when not serving.
  std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:PORT".
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<std::uint16_t> port_ = 0;
};

}  // namespace crmscan::emulator

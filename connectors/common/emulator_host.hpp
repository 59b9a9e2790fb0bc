#pragma once

// The public side that every emulator shares (without httplib, so that its users need not build
// against it): serving on 127.0.0.1 from start() to stop(), and the log of the requests received.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace httplib {
struct Request;
struct Response;
class Server;
}  // namespace httplib

namespace crmscan::emulator {

class Server;

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

/// Serving on 127.0.0.1 from start() to stop(), every request going to one handler.
class Serving {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  /// Makes the httplib server to run, for one with its own settings or checks.
  using MakeServer = std::function<std::unique_ptr<httplib::Server>()>;

  /// Starts serving and returns the port; does nothing but return it when already serving.
  /// Throws std::runtime_error when it cannot bind.
  std::uint16_t start();
  /// Stops serving and waits for the server to finish; does nothing when not serving.
  void stop();
  /// The port served, 0 when not serving.
  std::uint16_t port() const;
  /// "http://127.0.0.1:PORT".
  std::string url() const;

 protected:
  /// Serves on `port` (0: a free one) with `handler`, on the server `make_server` makes (none:
  /// a plain one).
  Serving(std::uint16_t port, Handler handler, MakeServer make_server = {});
  /// Stops serving. An emulator stops in its own destructor, before what its handler uses goes.
  ~Serving();
  Serving(const Serving&) = delete;
  Serving& operator=(const Serving&) = delete;

 private:
  std::uint16_t port_;
  Handler handler_;
  MakeServer make_server_;
  std::unique_ptr<Server> server_;
};

/// An emulator's public side: serving, and the requests received (`Record`s, with a `path`).
template <class Record>
class Host : public Serving {
 public:
  /// Requests received whose path starts with `prefix`.
  std::size_t request_count(std::string_view prefix = "/") const { return requests_.count(prefix); }
  /// Every request received, in order.
  std::vector<Record> requests() const { return requests_.all(); }
  /// Forgets the requests received.
  void clear_requests() { requests_.clear(); }

 protected:
  using Serving::Serving;
  /// What the emulator's handler writes every request it receives into.
  RequestLog<Record> requests_;
};

}  // namespace crmscan::emulator

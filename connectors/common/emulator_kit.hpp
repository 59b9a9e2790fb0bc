#pragma once

// The emulator kit: what every API emulator (connectors/*/emulator) is built on — the server on
// 127.0.0.1 with its own thread and the request log (their public side in emulator_host.hpp),
// the fault plan (emulator_faults.hpp) and how a reply is spoilt, and the skeleton of the
// standalone program (emulator_main.hpp).

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

#include "emulator_faults.hpp"
#include "emulator_host.hpp"

namespace crmscan::emulator {

inline constexpr std::string_view kJson = "application/json; charset=utf-8";

/// An emulator's answer to one request, before it is sent.
struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = std::string(kJson);
};

/// What the fault plan does to one reply's body.
struct BodyFault {
  /// The body stops halfway, under a Content-Length for the whole; the connection is closed.
  bool truncate = false;
  /// The JSON is cut short (labelled JSON all the same).
  bool malformed = false;
  /// A maintenance page labelled text/html comes instead.
  bool wrong_type = false;
};

/// The body fault of call `call`.
inline BodyFault body_fault_of(const BodyFaults& faults, std::size_t call) {
  return {call == faults.truncated_at, call == faults.malformed_json_at,
          call == faults.wrong_content_type_at};
}

/// Writes a reply into httplib's response, with its body fault.
void send_reply(Reply reply, const BodyFault& fault, httplib::Response& response);

/// Answers a request as every emulator does: under `mutex`, `route(fault)` gives the reply (and
/// may spoil its body) and `record` is logged with the reply's status; then the reply is sent.
template <class Record, class Route>
void answer(std::mutex& mutex, RequestLog<Record>& log, Record record, const Route& route,
            httplib::Response& response) {
  BodyFault fault;
  Reply reply;
  {
    std::lock_guard lock(mutex);
    reply = route(fault);
    record.status = reply.status;
    log.add(std::move(record));
  }
  send_reply(std::move(reply), fault, response);
}

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

#pragma once

#include <httplib.h>

#include <cstddef>
#include <functional>
#include <string>

namespace crmscan::sfemu {

/// An httplib server that accepts request URIs up to a limit of its own. The packaged
/// cpp-httplib is compiled with an 8,192-byte request-line limit; Salesforce takes 16,384.
/// It also notices a stop between keep-alive requests at once, where httplib waits for the
/// keep-alive timeout.
class LongUriServer : public httplib::Server {
 public:
  /// Called with the method and the start of the target of a request refused with 414.
  using TooLongHandler = std::function<void(const std::string& method, const std::string& target)>;

  LongUriServer(std::size_t max_uri_length, TooLongHandler on_too_long);

  /// From a request handler: resets the connection of the request being handled (TCP RST), so
  /// that the client gets no answer at all.
  static void reset_connection();

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::size_t max_uri_length_;
  TooLongHandler on_too_long_;
};

}  // namespace crmscan::sfemu

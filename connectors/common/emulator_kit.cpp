#include "emulator_kit.hpp"

#include <chrono>
#include <stdexcept>

namespace crmscan::emulator {
namespace {

constexpr std::string_view kMaintenancePage =
    "<!DOCTYPE html><html><head><title>Down for maintenance</title></head>"
    "<body><h1>We'll be back soon</h1></body></html>";

}  // namespace

void send_reply(Reply reply, const BodyFault& fault, httplib::Response& response) {
  response.status = reply.status;
  for (const auto& [name, value] : reply.headers) response.set_header(name, value);
  if (fault.wrong_type) {
    response.set_content(std::string(kMaintenancePage), "text/html; charset=utf-8");
    return;
  }
  if (fault.malformed) reply.body.resize(reply.body.size() / 2);
  if (fault.truncate) {
    auto body = std::make_shared<std::string>(std::move(reply.body));
    const auto sent = body->size() / 2;
    response.set_content_provider(
        body->size(), reply.content_type,
        [body, sent](std::size_t offset, std::size_t, httplib::DataSink& sink) {
          if (offset >= sent) return false;  // httplib then closes the connection
          sink.write(body->data() + offset, sent - offset);
          return true;
        });
    return;
  }
  if (!reply.body.empty()) response.set_content(reply.body, reply.content_type);
}

std::uint16_t Server::start(std::uint16_t port, Handler handler,
                            std::unique_ptr<httplib::Server> server) {
  if (server_) return port_;
  server_ = server ? std::move(server) : std::make_unique<httplib::Server>();
  // Headers and body go out in separate writes: without this, delayed ACKs hold each reply.
  server_->set_tcp_nodelay(true);
  const auto serve = [handler = std::move(handler)](const httplib::Request& request,
                                                    httplib::Response& response) {
    handler(request, response);
  };
  server_->Get(".*", serve);
  server_->Post(".*", serve);
  server_->Put(".*", serve);
  server_->Patch(".*", serve);
  server_->Delete(".*", serve);
  const int bound = port == 0 ? server_->bind_to_any_port("127.0.0.1")
                    : server_->bind_to_port("127.0.0.1", port) ? port
                                                               : -1;
  if (bound <= 0) {
    server_.reset();
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  port_ = static_cast<std::uint16_t>(bound);
  thread_ = std::thread([server = server_.get()] { server->listen_after_bind(); });
  // A stop() before the accept loop runs would be lost.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void Server::stop() {
  if (!server_) return;
  server_->stop();
  thread_.join();
  server_.reset();
  port_ = 0;
}

Serving::Serving(std::uint16_t port, Handler handler, MakeServer make_server)
    : port_(port),
      handler_(std::move(handler)),
      make_server_(std::move(make_server)),
      server_(std::make_unique<Server>()) {}

Serving::~Serving() {
  stop();
}

std::uint16_t Serving::start() {
  return server_->start(port_, handler_, make_server_ ? make_server_() : nullptr);
}

void Serving::stop() {
  server_->stop();
}

std::uint16_t Serving::port() const {
  return server_->port();
}

std::string Serving::url() const {
  return server_->url();
}

}  // namespace crmscan::emulator

#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crmscan/error.hpp"

namespace crmscan {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
  std::string body;

  /// The first header of that name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

/// How the shared HTTP layer talks to a CRM: timeouts, retries and limits that every connector
/// gets without asking.
struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{300'000};
  /// A transfer slower than this many bytes a second for low_speed_time is abandoned.
  long low_speed_bytes = 1;
  std::chrono::seconds low_speed_time{60};
  /// Retries after the first attempt, for 429, 5xx, timeouts and broken transfers.
  int max_retries = 4;
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{30'000};
  /// A response body larger than this (after decompression) is refused.
  std::size_t max_body_bytes = std::size_t{1} << 30;
  /// A CA bundle to trust instead of the system's (a private CA, a test server).
  std::string ca_file;
  /// Waits between retries; tests replace it to run without sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// A transfer that failed for good: the retries were spent or the failure cannot be retried.
class HttpError : public Error {
 public:
  explicit HttpError(const std::string& message) : Error(ExitCode::kIncomplete, message) {}
};

/// One HTTP client per connector over libcurl: connections reused, gzip accepted, TLS always
/// verified, plain http only to loopback, retries with exponential backoff and jitter that
/// honour Retry-After. Not thread-safe.
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends a request, retrying what can be retried; returns the last response whatever its
  /// status. Throws HttpError when no response could be had, ConfigError for a URL it refuses.
  HttpResponse send(const HttpRequest& request);
  /// Requests put on the wire so far, retries included.
  std::size_t attempts() const { return attempts_; }

  /// Refuses a URL that is not https, or http to a host other than loopback.
  static void check_url(const std::string& url);
  /// Percent-encodes a query parameter value.
  static std::string escape(std::string_view text);

 private:
  HttpResponse perform(const HttpRequest& request);

  HttpOptions options_;
  void* curl_ = nullptr;  // CURL*, kept so that connections are reused
  std::size_t attempts_ = 0;
};

}  // namespace crmscan

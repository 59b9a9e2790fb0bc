#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "crmscan/error.hpp"

namespace crmscan {

struct HttpResponse;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// When set and true for a response, that response is returned as it is, never retried: an
  /// error whose retry would only repeat an expensive failure (a query the database timed out).
  std::function<bool(const HttpResponse&)> final_response = {};
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
  /// A transfer that failed (a timeout, a reset) is retried only while less than this has passed
  /// since the request was first sent: a server that never answers costs about a minute
  /// (low_speed_time, then no retry), not the retries times the timeout.
  std::chrono::milliseconds retry_window{60'000};
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{30'000};
  /// A response body larger than this (after decompression) is refused.
  std::size_t max_body_bytes = std::size_t{1} << 30;
  /// A CA bundle to trust instead of the system's (a private CA, a test server).
  std::string ca_file;
  /// Waits between retries; tests replace it to run without sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// Guards a paging loop against a server that never lets it end: a cursor (a next-page URL, an
/// `after`, a locator) seen before, more than `max_pages` pages, or `max_empty_pages` empty pages
/// in a row. Each connector's loop calls next() with each page's cursor and stops with its own
/// error when given a reason.
class PageGuard {
 public:
  explicit PageGuard(std::size_t max_pages = 1'000'000, std::size_t max_empty_pages = 100)
      : max_pages_(max_pages), max_empty_pages_(max_empty_pages) {}
  /// Records a page of `records` records whose next cursor is `cursor` (empty: the last page).
  /// Returns why the paging must stop, or an empty string.
  std::string next(const std::string& cursor, std::size_t records);

 private:
  std::size_t max_pages_;
  std::size_t max_empty_pages_;
  std::size_t pages_ = 0;
  std::size_t empty_in_a_row_ = 0;
  std::unordered_set<std::size_t> seen_;  // hashes of the cursors given so far
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

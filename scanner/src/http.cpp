#include "crmscan/http.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <random>
#include <thread>

#include "crmscan/input.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {

struct Transfer {
  HttpResponse* response;
  std::size_t max_body;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const auto bytes = size * count;
  if (transfer.response->body.size() + bytes > transfer.max_body) {
    transfer.too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  transfer.response->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& response = *static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0)
    response.headers.clear();  // a new response after a 100 or redirect
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    response.headers.emplace_back(ascii_lower(trim(line.substr(0, colon))),
                                  std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

bool retryable_status(long status) {
  return status == 429 || (status >= 500 && status != 501);
}

bool retryable_transport(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

class CurlError : public HttpError {
 public:
  CurlError(CURLcode code, const std::string& message) : HttpError(message), code_(code) {}
  CURLcode code() const { return code_; }

 private:
  CURLcode code_;
};

// Retry-After in seconds (the HTTP-date form is rare from APIs and falls back to backoff). A
// number too long to be a sensible wait is read as a day: the caller caps the wait anyway.
std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response) {
  const auto value = response.header("retry-after");
  if (value.empty() ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  constexpr long kDay = 86'400;
  return std::chrono::seconds(value.size() > 5 ? kDay : std::min(std::stol(value), kDay));
}

// 127.x.y.z written as an address: "127.0.0.1.example.com" is a name that anyone may point
// anywhere.
bool is_loopback_ipv4(std::string_view host) {
  in_addr address{};
  return inet_pton(AF_INET, std::string(host).c_str(), &address) == 1 &&
         (ntohl(address.s_addr) >> 24) == 127;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  // curl would block reading a FIFO, and a file of /proc is not a CA bundle.
  if (!options_.ca_file.empty()) {
    std::string why;
    const int fd = open_regular_file(options_.ca_file, why);
    if (fd < 0) throw ConfigError("ca_file " + options_.ca_file + " " + why);
    ::close(fd);
  }
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) throw HttpError("libcurl could not be initialised");
  if (!options_.sleep)
    options_.sleep = [](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); };
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw HttpError("libcurl could not be initialised");
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

void HttpClient::check_url(const std::string& url) {
  CURLU* parsed = curl_url();
  std::unique_ptr<CURLU, void (*)(CURLU*)> guard(parsed, &curl_url_cleanup);
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    throw ConfigError("'" + url + "' is not a URL");
  }
  char* scheme = nullptr;
  char* host = nullptr;
  curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(parsed, CURLUPART_HOST, &host, 0);
  const std::string scheme_text = scheme ? scheme : "", host_text = host ? host : "";
  curl_free(scheme);
  curl_free(host);
  if (scheme_text == "https") return;
  const bool loopback = host_text == "localhost" || host_text == "[::1]" || host_text == "::1" ||
                        is_loopback_ipv4(host_text);
  if (scheme_text == "http" && loopback) return;
  throw ConfigError("refusing " + scheme_text + "://" + host_text +
                    ": only https, or plain http to this machine (an emulator), is allowed");
}

std::string HttpClient::escape(std::string_view text) {
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  std::string result = escaped ? escaped : "";
  curl_free(escaped);
  return result;
}

HttpResponse HttpClient::perform(const HttpRequest& request) {
  auto* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  HttpResponse response;
  Transfer transfer{&response, options_.max_body_bytes};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl can decode
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(options_.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers)
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, &curl_slist_free_all);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  ++attempts_;
  const auto code = curl_easy_perform(curl);
  if (transfer.too_large) {
    throw HttpError(request.method + " " + request.url.substr(0, request.url.find('?')) +
                    ": response larger than " + std::to_string(options_.max_body_bytes) +
                    " bytes, refused");
  }
  if (code != CURLE_OK) {
    throw CurlError(code, request.method + " " + request.url.substr(0, request.url.find('?')) +
                              ": " + curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

HttpResponse HttpClient::send(const HttpRequest& request) {
  check_url(request.url);
  std::mt19937 jitter(std::random_device{}());
  const auto first_sent = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    std::optional<std::chrono::milliseconds> wait;
    try {
      auto response = perform(request);
      if (!retryable_status(response.status) || attempt == options_.max_retries ||
          (request.final_response && request.final_response(response))) {
        return response;
      }
      wait = retry_after(response);
    } catch (const CurlError& e) {
      if (!retryable_transport(e.code()) || attempt == options_.max_retries ||
          std::chrono::steady_clock::now() - first_sent >= options_.retry_window) {
        throw;
      }
    }
    if (!wait) {
      // Exponential backoff with full jitter.
      const auto ceiling = std::min<std::chrono::milliseconds>(
          options_.backoff_max, options_.backoff_base * (1LL << std::min(attempt, 20)));
      std::uniform_int_distribution<long long> pick(ceiling.count() / 2,
                                                    std::max<long long>(ceiling.count(), 1));
      wait = std::chrono::milliseconds(pick(jitter));
    }
    options_.sleep(std::min(*wait, options_.backoff_max));
  }
}

std::string PageGuard::next(const std::string& cursor, std::size_t records) {
  ++pages_;
  empty_in_a_row_ = records == 0 ? empty_in_a_row_ + 1 : 0;
  if (cursor.empty()) return {};
  if (!seen_.insert(std::hash<std::string>{}(cursor)).second)
    return "the server gave a next-page cursor it had given before (paging that never ends)";
  if (pages_ >= max_pages_)
    return "more than " + std::to_string(max_pages_) + " pages (paging that never ends?)";
  if (empty_in_a_row_ >= max_empty_pages_) {
    return std::to_string(empty_in_a_row_) +
           " empty pages in a row, each with a next page (paging that never ends?)";
  }
  return {};
}

}  // namespace crmscan

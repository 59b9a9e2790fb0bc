#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crmscan::d365emu {

/// Faults served on demand. A call is a Web API request (below /api/data, token requests
/// excluded) that carries a valid token; calls are numbered from 1, counting from when the
/// faults were set. 0 turns a fault off.
struct Faults {
  /// Each access token stops working after this many calls made with it (401 until a new
  /// token is fetched).
  std::size_t token_expires_after = 0;
  /// The first call of a burst of 429 (service protection limits), and how many calls it lasts.
  std::size_t throttled_at = 0;
  std::size_t throttled_count = 1;
  /// The first call of a burst of 503 responses, and how many calls the burst lasts.
  std::size_t unavailable_at = 0;
  std::size_t unavailable_count = 1;
  /// Retry-After seconds sent with each 429 and 503.
  int retry_after_seconds = 1;
  /// The call whose body stops halfway, under a Content-Length for the whole, and whose
  /// connection is then closed.
  std::size_t truncated_at = 0;
  /// The call whose JSON body is cut short (labelled application/json all the same).
  std::size_t malformed_json_at = 0;
  /// The call answered 200 with an HTML page labelled text/html instead of its JSON.
  std::size_t wrong_content_type_at = 0;
  /// A query with a leading wildcard (contains, endswith, a value starting with a wildcard) on
  /// an entity holding more than this many records fails as Dataverse's do when the database
  /// times out on the table scan: LeadingWildcardCauseTimeout, 0x80048573, HTTP
  /// `leading_wildcard_status`. 0: never.
  std::size_t leading_wildcard_timeout_rows = 0;
  int leading_wildcard_status = 500;
};

/// How the emulated environment is set up.
struct EmulatorOptions {
  /// A folder of JSON files, one per entity named after its logical name (contact.json), each an
  /// array of records or an object whose `value` member is one, as the Web API returns them.
  /// Empty: no data until add_records().
  std::filesystem::path data_dir;
  /// Port on 127.0.0.1; 0 takes a free one.
  std::uint16_t port = 0;
  /// The Azure AD tenant, app registration and secret that the token endpoint accepts.
  std::string tenant = "00000000-0000-4000-8000-00000000d365";
  std::string client_id = "crmscan-emulator-client";
  std::string client_secret = "crmscan-emulator-secret";
  /// The environment's collation is accent-sensitive (_CI_AS: Finnish, Romanian, Thai, …)
  /// instead of the default accent-insensitive one (_CI_AI: English, French, …).
  bool accent_sensitive = false;
  Faults faults;
};

/// A request that the emulator received.
struct RequestRecord {
  std::string method;
  std::string path;        ///< without the query string
  std::string filter;      ///< the $filter, decoded; empty when there is none
  bool next_page = false;  ///< it carried a $skiptoken: a page after the first
  int status = 0;
};

/// A Dataverse environment served over the Web API v9.x on 127.0.0.1, with an Azure AD token
/// endpoint beside it: entity and attribute metadata inferred from the data, entity-set queries
/// with $select, $filter (the subset in odata_filter.hpp), odata.maxpagesize and
/// @odata.nextLink paging, and faults on demand. Thread-safe.
class Emulator {
 public:
  /// Loads `options.data_dir`; throws std::runtime_error when a file cannot be read.
  explicit Emulator(EmulatorOptions options = {});
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  /// Adds the records of a JSON array (or `{"value": [...]}`) to an entity, creating it.
  /// Throws std::runtime_error for JSON that is not that.
  void add_records(const std::string& entity, std::string_view json);
  /// The logical names of the entities held.
  std::vector<std::string> entities() const;

  /// Starts serving and returns the port; throws std::runtime_error when it cannot bind.
  std::uint16_t start();
  /// Stops serving; does nothing when not started.
  void stop();
  /// "http://127.0.0.1:PORT": the environment URL and the token authority alike.
  std::string url() const;

  /// Replaces the faults; their call numbers count from now, and token uses start again.
  void set_faults(const Faults& faults);
  /// Requests received whose path starts with `prefix` ("/" every one, token requests included;
  /// "/api/data/" the Web API calls).
  std::size_t request_count(std::string_view prefix = "/") const;
  /// Every request received, in order.
  std::vector<RequestRecord> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmscan::d365emu

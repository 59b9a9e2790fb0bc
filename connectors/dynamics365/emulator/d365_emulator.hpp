#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emulator_faults.hpp"
#include "emulator_host.hpp"

namespace crmscan::d365emu {

/// Faults served on demand. A call is a Web API request (below /api/data, token requests
/// excluded) that carries a valid token; calls are numbered from 1, counting from when the
/// faults were set. 0 turns a fault off.
/// The 429s are service protection limits; each 429 and 503 carries Retry-After (1 s unless set).
struct Faults : emulator::CallFaults {
  Faults() { retry_after_seconds = 1; }
  /// Each access token stops working after this many calls made with it (401 until a new
  /// token is fetched).
  std::size_t token_expires_after = 0;
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
/// url() is the environment URL and the token authority alike; request_count("/api/data/")
/// counts the Web API calls.
class Emulator : public emulator::Host<RequestRecord> {
 public:
  /// Loads `options.data_dir`; throws std::runtime_error when a file cannot be read.
  explicit Emulator(EmulatorOptions options = {});
  ~Emulator();

  /// Adds the records of a JSON array (or `{"value": [...]}`) to an entity, creating it.
  /// Throws std::runtime_error for JSON that is not that.
  void add_records(const std::string& entity, std::string_view json);
  /// The logical names of the entities held.
  std::vector<std::string> entities() const;

  /// Replaces the faults; their call numbers count from now, and token uses start again.
  void set_faults(const Faults& faults);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmscan::d365emu

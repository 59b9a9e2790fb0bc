#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator_faults.hpp"
#include "emulator_host.hpp"

namespace crmscan::hsemu {

/// Faults served on demand. A call is an API request that carries the right token; calls are
/// numbered from 1, counting from when the faults were set. 0 turns a fault off.
/// The 429s are RATE_LIMIT responses (policy SECONDLY).
struct Faults : emulator::CallFaults {
  /// From this call on, the token is refused with 401 (a private-app token revoked or rotated).
  std::size_t token_revoked_at = 0;
  /// An object type the token has no scope for: every request naming it gets 403
  /// MISSING_SCOPES. Empty: none.
  std::string forbidden_object;
};

/// How the emulated account is set up.
struct EmulatorOptions {
  /// A folder of JSON files, one per object type (`contacts.json`, `calls.json`), each an
  /// object whose `results` array holds records as the CRM v3 list endpoint returns them:
  /// `id`, `properties`, `createdAt`, `updatedAt`, `archived`, and `associations` (by object
  /// type, `results` of `{id, type}`). Empty: no data until add_record().
  std::filesystem::path data_dir;
  /// Port on 127.0.0.1; 0 takes a free one.
  std::uint16_t port = 0;
  /// The private-app token that the API accepts.
  std::string access_token = "pat-na1-00000000-crmscan-emulator-token";
  /// Results a search can page through (HubSpot: 10,000); asking past it is a 400.
  std::size_t search_cap = 10'000;
  /// Calls allowed a day; past it every call gets 429 with policy DAILY.
  std::size_t daily_limit = 500'000;
  /// Calls allowed in each rolling window (X-HubSpot-RateLimit-Max); past it, 429 with policy
  /// TEN_SECONDLY_ROLLING until the window ends.
  std::size_t window_limit = 190;
  std::chrono::milliseconds window{10'000};
  /// Search requests allowed in each search window (HubSpot: five a second per account); past
  /// it, 429 RATE_LIMIT. 0: no search limit.
  std::size_t search_limit = 5;
  std::chrono::milliseconds search_window{1'000};
  /// A search request body longer than this many characters is a 400 (HubSpot: 3,000).
  std::size_t max_search_body = 3'000;
  Faults faults;
};

/// One CRM record.
struct HubRecord {
  std::string id;
  /// Every value is a string, as the API returns them; a missing property is null.
  std::map<std::string, std::optional<std::string>> properties;
  std::string created_at = "2025-01-01T00:00:00.000Z";
  std::string updated_at = "2025-01-01T00:00:00.000Z";
  bool archived = false;
  /// Associated record ids by object type ("contacts" → {"5101"}); kept on both sides.
  std::map<std::string, std::vector<std::string>> associations;
};

/// A request that the emulator received.
struct RequestRecord {
  std::string method;
  /// The path, without the query string.
  std::string path;
  /// The request body (a search's filter groups).
  std::string body;
  int status = 0;
};

/// A HubSpot account served over the CRM v3 API on 127.0.0.1: properties, object search with
/// filter groups (EQ, NEQ, IN, CONTAINS_TOKEN with wildcards, GT/GTE/LT/LTE, HAS_PROPERTY) as
/// strict as HubSpot documents them (values compared as stored, archived records never found, a
/// body of at most 3,000 characters, five searches a second, the 10,000 results cap), single,
/// list and batch reads, associations v4 (one record's, and batch reads), paging with `after`,
/// bearer-token checks, rate limits with their headers, and faults on demand. Thread-safe.
class Emulator : public emulator::Host<RequestRecord> {
 public:
  /// Loads `options.data_dir`; throws std::runtime_error when it cannot be read.
  explicit Emulator(EmulatorOptions options = {});
  /// Stops serving.
  ~Emulator();

  /// Adds a record of an object type, or replaces the one with its id, and its associations.
  void add_record(const std::string& object, HubRecord record);
  /// The records of an object type.
  std::size_t record_count(const std::string& object) const;

  /// The API's root: url().
  std::string base_url() const { return url(); }
  /// The private-app token it accepts.
  const std::string& access_token() const;

  /// Replaces the faults; their call numbers count from now.
  void set_faults(const Faults& faults);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmscan::hsemu

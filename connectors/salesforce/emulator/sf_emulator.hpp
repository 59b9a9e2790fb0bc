#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emulator_faults.hpp"
#include "emulator_host.hpp"
#include "soql.hpp"

namespace crmscan::sfemu {

/// Faults served on demand. A call is an API request (below /services/data, token requests
/// excluded) that carries a valid token and is within the request limit; calls are numbered
/// from 1, counting from when the faults were set. 0 turns a fault off.
/// Each 429 and 503 (or 500) carries Retry-After when retry_after_seconds is set.
struct Faults : emulator::CallFaults {
  /// Each access token stops working after this many calls made with it (401 INVALID_SESSION_ID
  /// until a new token is fetched).
  std::size_t session_expires_after = 0;
  /// Calls allowed in all (the org's daily limit); past it every call gets 403
  /// REQUEST_LIMIT_EXCEEDED. Usage is not reset when faults are set.
  std::size_t api_limit = 15000;
  /// The call answered only after `slow_delay`.
  std::size_t slow_at = 0;
  std::chrono::milliseconds slow_delay{0};
  /// The status of the unavailable burst: 503, or 500 for an internal error.
  int unavailable_status = 503;
  /// The call whose connection is reset (TCP RST) before anything is answered.
  std::size_t reset_at = 0;
  /// Calls whose body stops halfway and then nothing more comes for `stall_time` (a server that
  /// stops sending).
  emulator::Burst stalled;
  std::chrono::milliseconds stall_time{10'000};
  /// The call answered with a gzip body (labelled JSON) that inflates to `bomb_bytes` zeros.
  std::size_t gzip_bomb_at = 0;
  std::size_t bomb_bytes = std::size_t{256} << 20;
};

/// How the emulated org is set up.
struct EmulatorOptions {
  /// A Data Export folder: one CSV per object, named after it, read recursively (files with
  /// the same name are one object). Empty: no data until add_object().
  std::filesystem::path data_dir;
  /// The export is ISO-8859-1 rather than UTF-8.
  bool latin1 = false;
  /// Port on 127.0.0.1; 0 takes a free one.
  std::uint16_t port = 0;
  /// Connected-app and user credentials that the token endpoint accepts.
  std::string client_id = "crmscan-emulator-client";
  std::string client_secret = "crmscan-emulator-secret";
  std::string username = "scanner@example.com";
  /// The password as a client sends it (a real org wants the security token appended).
  std::string password = "emulator-password";
  /// A refresh token that the refresh_token grant accepts besides those it issued.
  std::string refresh_token = "crmscan-emulator-refresh-token";
  /// PEM public key or X.509 certificate that JWT bearer assertions must be signed with;
  /// empty: the signature is not checked.
  std::string jwt_public_key_pem;
  /// The `aud` values a JWT bearer assertion may carry: Salesforce's login hosts, not a My Domain.
  std::vector<std::string> jwt_audiences{"https://login.salesforce.com",
                                         "https://test.salesforce.com"};
  /// The search engine: its results cap, and whether archived activities are indexed.
  SearchOptions search;
  /// Fields that hold ids but are text: a field whose name contains one of these is typed
  /// string, not reference.
  std::vector<std::string> text_id_fields{"Focus_Object_Id", "TaskID", "Customer_Ref"};
  /// Polls of a Bulk API 2.0 query job answered InProgress before it is JobComplete.
  std::size_t bulk_polls_in_progress = 1;
  /// The smallest batch size taken from Sforce-Query-Options (Salesforce: 200).
  std::size_t min_batch_size = 200;
  /// Query cursors kept at once; opening one more drops the oldest (Salesforce: 10 per user).
  std::size_t max_open_cursors = 10;
  /// The longest request URI served; longer ones get 414.
  std::size_t max_uri_length = 16384;
  Faults faults;
};

/// A request that the emulator received.
struct RequestRecord {
  std::string method;
  /// The path, without the query string.
  std::string path;
  /// The `q` parameter (SOQL or SOSL) or a Bulk job's query; empty when there is none.
  std::string query;
  int status = 0;
};

/// A Salesforce org served over the REST API on 127.0.0.1: OAuth token grants, describe,
/// SOQL query and queryAll with cursors, SOSL search, Bulk API 2.0 query jobs, API limits,
/// and faults on demand. Thread-safe.
class Emulator : public emulator::Host<RequestRecord> {
 public:
  /// Loads `options.data_dir`; throws std::runtime_error when it cannot be read and
  /// std::invalid_argument for a JWT key that is not PEM.
  explicit Emulator(EmulatorOptions options = {});
  /// Stops serving.
  ~Emulator();

  /// Adds an object with its field names and rows, or replaces the one of that name.
  void add_object(const std::string& name, std::vector<std::string> fields,
                  std::vector<std::vector<std::string>> rows);
  /// The names of the objects of the org.
  std::vector<std::string> objects() const;

  /// Starts serving and returns the port; throws std::runtime_error when it cannot bind.
  std::uint16_t start();
  /// Stops serving, waking a slow response; does nothing when not started.
  void stop();
  /// The org's URL: url().
  std::string instance_url() const { return url(); }

  /// A new access token, as the token endpoint issues one.
  std::string issue_token();

  /// Replaces the faults; their call numbers count from now, and token uses start again.
  void set_faults(const Faults& faults);
  /// The faults in force.
  Faults faults() const;
  /// API calls counted against the limit so far.
  std::size_t api_usage() const;
  /// Sets the API calls counted so far (to start near the limit).
  void set_api_usage(std::size_t used);

  /// Requests received whose path starts with `prefix`. A prefix that does not start with
  /// "/services/" is matched against the path below /services/data/vNN.0, so "/query" counts
  /// query and queryAll requests and their cursors whatever the version, and "/" every API
  /// request.
  std::size_t request_count(std::string_view prefix = "/") const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmscan::sfemu

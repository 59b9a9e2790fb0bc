#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emulator_faults.hpp"
#include "emulator_host.hpp"
#include "vcc_content_api.hpp"

namespace crmscan::vccemu {

/// Faults served on demand. A call is a request to the interactions endpoints that carries a
/// valid token and the v3 Accept header; calls are numbered from 1, counting from when the
/// faults were set. 0 turns a fault off.
struct Faults : emulator::CallFaults {
  /// Each access token stops working (401) after this many calls made with it.
  std::size_t token_expires_after = 0;
};

struct EmulatorOptions {
  /// A JSON file `{"interactions": [...]}` as the API describes interactions; empty: none.
  std::filesystem::path data_file;
  /// Port on 127.0.0.1; 0 takes a free one.
  std::uint16_t port = 0;
  /// The client credentials the token endpoint accepts.
  std::string client_id = "crmscan-vcc-emulator-client";
  std::string client_secret = "crmscan-vcc-emulator-secret";
  /// Lifetime of a token, as expires_in tells it.
  int token_lifetime_seconds = 7200;
  Faults faults;
};

/// A request that the emulator received.
struct RequestRecord {
  std::string method;
  std::string path;  ///< without the query string
  std::map<std::string, std::string> params;
  int status = 0;
};

/// Vonage Contact Center's token endpoint (`POST /Auth/connect/token`, client credentials) and
/// Interaction Content API (`GET /interaction-content/interactions` in windows of at most 7 days
/// with prefix matches on connectFrom/connectTo and continuation tokens,
/// `GET /interaction-content/interactions/{guid}`) on 127.0.0.1, with the v3 version header
/// check and faults on demand. Thread-safe.
class Emulator : public emulator::Host<RequestRecord> {
 public:
  /// Loads `options.data_file`; throws std::runtime_error when it cannot be read.
  explicit Emulator(EmulatorOptions options = {});
  ~Emulator();

  /// Adds an interaction (or replaces the one with its GUID).
  void add_interaction(vcc::Interaction interaction);
  std::size_t interaction_count() const;

  /// The token endpoint and the API root, as the connector's token_url and base_url.
  std::string token_url() const { return url() + "/Auth/connect/token"; }
  std::string base_url() const { return url() + "/interaction-content"; }

  /// Replaces the faults; call numbers count from now.
  void set_faults(const Faults& faults);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crmscan::vccemu

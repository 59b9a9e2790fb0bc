#pragma once

// The fault plan that every emulator serves, the base of its public Faults: bursts of error
// statuses and spoilt bodies. Calls are numbered from 1; a call number 0 turns a fault off.

#include <cstddef>

namespace crmscan::emulator {

/// A run of calls answered with one error status (429, 503): `count` calls from call `at`.
struct Burst {
  std::size_t at = 0;
  std::size_t count = 1;
  /// Whether call `call` is one of the run.
  bool holds(std::size_t call) const { return at > 0 && call >= at && call < at + count; }
};

/// The calls whose body is spoilt.
struct BodyFaults {
  /// The call whose body stops halfway, under a Content-Length for the whole; the connection is
  /// then closed.
  std::size_t truncated_at = 0;
  /// The call whose JSON body is cut short (labelled application/json all the same).
  std::size_t malformed_json_at = 0;
  /// The call answered 200 with an HTML page labelled text/html instead of its JSON.
  std::size_t wrong_content_type_at = 0;
};

/// The faults every emulator serves on its API calls: bursts of 429 and 503 answers, with their
/// Retry-After, and spoilt bodies.
struct CallFaults : BodyFaults {
  /// A burst of 429 Too Many Requests (a rate or service-protection limit).
  Burst throttled;
  /// A burst of 503 Service Unavailable.
  Burst unavailable;
  /// Retry-After seconds sent with each 429 and 503 of a burst (0: no header).
  int retry_after_seconds = 0;
};

}  // namespace crmscan::emulator

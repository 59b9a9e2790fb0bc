#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "crmscan/connector.hpp"
#include "crmscan/error.hpp"
#include "crmscan/http.hpp"

namespace crmscan {

/// The waits a throttled API asked for have used up the scan's wait budget: the scan stops,
/// incomplete, instead of waiting on.
class WaitBudgetExceeded : public Error {
 public:
  explicit WaitBudgetExceeded(const std::string& message) : Error(ExitCode::kIncomplete, message) {}
};

/// The `max_wait` option every HTTP connector takes: seconds the scan may spend waiting out
/// throttling (429, 503 with Retry-After) in all.
inline ConnectorOption max_wait_option() {
  return {"max_wait", "int", "300",
          "seconds the scan may wait in all for a throttled API (Retry-After is honoured in full "
          "within it); past it the scan stops, incomplete",
          false};
}

/// HTTP options whose retries honour `Retry-After` in full — the shared client cuts every wait to
/// `backoff_max`, so that is lifted to a day (the longest Retry-After it reads) and the budget
/// takes its place — while all the waits of one connector together stay within `budget`: a wait
/// that would pass it throws WaitBudgetExceeded instead of sleeping.
inline HttpOptions with_wait_budget(HttpOptions options, std::chrono::seconds budget) {
  auto sleep = options.sleep ? options.sleep : [](std::chrono::milliseconds wait) {
    std::this_thread::sleep_for(wait);
  };
  options.backoff_max =
      std::max<std::chrono::milliseconds>(options.backoff_max, std::chrono::hours(24));
  auto waited = std::make_shared<std::chrono::milliseconds>(0);
  options.sleep = [sleep = std::move(sleep), waited, budget](std::chrono::milliseconds wait) {
    if (*waited + wait > budget) {
      const auto seconds = [](std::chrono::milliseconds ms) {
        return std::to_string((ms.count() + 999) / 1000) + " s";
      };
      throw WaitBudgetExceeded(
          "the API asked to wait " + seconds(wait) + " more after " + seconds(*waited) +
          " of waiting, past the scan's wait budget of " +
          seconds(std::chrono::duration_cast<std::chrono::milliseconds>(budget)) +
          " (--option max_wait)");
    }
    *waited += wait;
    sleep(wait);
  };
  return options;
}

}  // namespace crmscan

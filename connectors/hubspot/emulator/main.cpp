// crmscan-hubspot-emulator: serves a folder of HubSpot JSON exports (one file per object type)
// over the CRM v3 API on 127.0.0.1, so that the hubspot connector can be tried without an account.
#include <signal.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "hubspot_emulator.hpp"

namespace po = boost::program_options;
using crmscan::hsemu::Emulator;
using crmscan::hsemu::EmulatorOptions;

int main(int argc, char** argv) {
  EmulatorOptions options;
  auto& faults = options.faults;
  std::string data;
  po::options_description described("crmscan-hubspot-emulator --data DIR [options]");
  auto add = described.add_options();
  add("help", "show this help");
  add("data", po::value(&data)->required(), "folder of JSON files, one per object type");
  add("port", po::value(&options.port)->default_value(0), "port on 127.0.0.1 (0: a free one)");
  add("token", po::value(&options.access_token)->default_value(options.access_token),
      "the private-app token accepted");
  add("search-cap", po::value(&options.search_cap)->default_value(options.search_cap),
      "results a search can page through");
  add("daily-limit", po::value(&options.daily_limit)->default_value(options.daily_limit),
      "API calls allowed before 429 with policy DAILY");
  std::size_t window_ms = static_cast<std::size_t>(options.window.count());
  add("window-limit", po::value(&options.window_limit)->default_value(options.window_limit),
      "API calls allowed per rolling window");
  add("window-ms", po::value(&window_ms)->default_value(window_ms),
      "length of the rolling window in milliseconds");
  std::size_t search_window_ms = static_cast<std::size_t>(options.search_window.count());
  add("search-limit", po::value(&options.search_limit)->default_value(options.search_limit),
      "searches allowed per search window (0: no limit)");
  add("search-window-ms", po::value(&search_window_ms)->default_value(search_window_ms),
      "length of the search window in milliseconds");
  add("max-search-body",
      po::value(&options.max_search_body)->default_value(options.max_search_body),
      "characters a search request body may have");
  add("token-revoked-at", po::value(&faults.token_revoked_at),
      "first call whose token is refused with 401");
  add("rate-limited-at", po::value(&faults.rate_limited_at), "first call answered 429");
  add("rate-limited-count",
      po::value(&faults.rate_limited_count)->default_value(faults.rate_limited_count),
      "how many calls get 429");
  add("unavailable-at", po::value(&faults.unavailable_at), "first call answered 503");
  add("unavailable-count",
      po::value(&faults.unavailable_count)->default_value(faults.unavailable_count),
      "how many calls get 503");
  add("retry-after", po::value(&faults.retry_after_seconds), "Retry-After seconds on 429 and 503");
  add("truncate-at", po::value(&faults.truncated_at),
      "call whose body is cut off under a full Content-Length");
  add("malformed-json-at", po::value(&faults.malformed_json_at), "call whose JSON is cut short");
  add("wrong-content-type-at", po::value(&faults.wrong_content_type_at),
      "call answered with an HTML page");
  add("forbidden-object", po::value(&faults.forbidden_object),
      "object type whose requests get 403 MISSING_SCOPES");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, described), values);
    if (values.count("help")) {
      std::cout << described
                << "\nPrints base_url=… and serves until interrupted; the token to use is "
                   "--token's. Call numbers count API calls from 1.\n";
      return 0;
    }
    po::notify(values);
  } catch (const po::error& error) {
    std::cerr << "crmscan-hubspot-emulator: " << error.what() << "\n" << described;
    return 2;
  }
  options.data_dir = data;
  options.window = std::chrono::milliseconds(window_ms);
  options.search_window = std::chrono::milliseconds(search_window_ms);

  // Block the stop signals in every thread, then wait for one here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    Emulator emulator(options);
    emulator.start();
    std::cerr << "crmscan-hubspot-emulator: serving " << data << " at " << emulator.base_url()
              << "; interrupt to stop\n";
    std::cout << "base_url=" << emulator.base_url() << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    emulator.stop();
  } catch (const std::exception& error) {
    std::cerr << "crmscan-hubspot-emulator: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

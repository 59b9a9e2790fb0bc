// crmscan-hubspot-emulator: serves a folder of HubSpot JSON exports (one file per object type)
// over the CRM v3 API on 127.0.0.1, so that the hubspot connector can be tried without an account.
#include "emulator_main.hpp"
#include "hubspot_emulator.hpp"

namespace po = boost::program_options;
using crmscan::hsemu::Emulator;
using crmscan::hsemu::EmulatorOptions;

int main(int argc, char** argv) {
  const std::string program = "crmscan-hubspot-emulator";
  EmulatorOptions options;
  auto& faults = options.faults;
  std::string data;
  po::options_description described(program + " --data DIR [options]");
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
  crmscan::emulator::add_burst_options(described, "rate-limited", faults.rate_limited_at,
                                       faults.rate_limited_count, "429");
  crmscan::emulator::add_burst_options(described, "unavailable", faults.unavailable_at,
                                       faults.unavailable_count, "503");
  described.add_options()("retry-after", po::value(&faults.retry_after_seconds),
                          "Retry-After seconds on 429 and 503");
  crmscan::emulator::add_body_fault_options(described, faults.truncated_at,
                                            faults.malformed_json_at, faults.wrong_content_type_at);
  described.add_options()("forbidden-object", po::value(&faults.forbidden_object),
                          "object type whose requests get 403 MISSING_SCOPES");
  if (const auto code = crmscan::emulator::read_command_line(
          program, argc, argv, described,
          "Prints base_url=… and serves until interrupted; the token to use is --token's. Call "
          "numbers count API calls from 1."))
    return *code;
  options.data_dir = data;
  options.window = std::chrono::milliseconds(window_ms);
  options.search_window = std::chrono::milliseconds(search_window_ms);
  return crmscan::emulator::serve_until_interrupted<Emulator>(
      program, options, [&](Emulator& emulator) {
        std::cerr << program << ": serving " << data << " at " << emulator.base_url()
                  << "; interrupt to stop\n";
        std::cout << "base_url=" << emulator.base_url() << std::endl;
      });
}

// crmscan-hubspot-emulator: serves a folder of HubSpot JSON exports (one file per object type)
// over the CRM v3 API on 127.0.0.1, so that the hubspot connector can be tried without an account.
#include "emulator_main.hpp"
#include "hubspot_emulator.hpp"

namespace po = boost::program_options;
namespace kit = crmscan::emulator;
using crmscan::hsemu::Emulator;
using crmscan::hsemu::EmulatorOptions;

namespace {

/// Adds `--NAME` bound to a duration in milliseconds.
void add_milliseconds(po::options_description& described, const char* name,
                      std::chrono::milliseconds& duration, const char* help) {
  described.add_options()(name,
                          po::value<std::size_t>()
                              ->default_value(static_cast<std::size_t>(duration.count()))
                              ->notifier([&duration](std::size_t milliseconds) {
                                duration = std::chrono::milliseconds(milliseconds);
                              }),
                          help);
}

}  // namespace

int main(int argc, char** argv) {
  const kit::Program<Emulator, EmulatorOptions> program{
      .name = "crmscan-hubspot-emulator",
      .data_kind = "DIR",
      .data_help = "folder of JSON files, one per object type",
      .epilogue =
          "Prints base_url=… and serves until interrupted; the token to use is --token's. "
          "Call numbers count API calls from 1.",
      .data = &EmulatorOptions::data_dir,
      .add_options =
          [](po::options_description& described, EmulatorOptions& options) {
            auto& faults = options.faults;
            auto add = described.add_options();
            add("token", po::value(&options.access_token)->default_value(options.access_token),
                "the private-app token accepted");
            add("search-cap", po::value(&options.search_cap)->default_value(options.search_cap),
                "results a search can page through");
            add("daily-limit", po::value(&options.daily_limit)->default_value(options.daily_limit),
                "API calls allowed before 429 with policy DAILY");
            add("window-limit",
                po::value(&options.window_limit)->default_value(options.window_limit),
                "API calls allowed per rolling window");
            add_milliseconds(described, "window-ms", options.window,
                             "length of the rolling window in milliseconds");
            add("search-limit",
                po::value(&options.search_limit)->default_value(options.search_limit),
                "searches allowed per search window (0: no limit)");
            add_milliseconds(described, "search-window-ms", options.search_window,
                             "length of the search window in milliseconds");
            add("max-search-body",
                po::value(&options.max_search_body)->default_value(options.max_search_body),
                "characters a search request body may have");
            add("token-revoked-at", po::value(&faults.token_revoked_at),
                "first call whose token is refused with 401");
            kit::add_call_fault_options(described, faults, "rate-limited");
            described.add_options()("forbidden-object", po::value(&faults.forbidden_object),
                                    "object type whose requests get 403 MISSING_SCOPES");
          },
      .announce = [](Emulator& emulator, const EmulatorOptions& options) -> kit::Announcement {
        return {"serving " + options.data_dir.string(),
                emulator.base_url(),
                {{"base_url", emulator.base_url()}}};
      },
      .complete = {}};
  return kit::run_program(program, argc, argv);
}

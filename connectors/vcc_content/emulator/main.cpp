// crmscan-vcc-emulator: serves interactions from a JSON file over the Interaction Content API
// on 127.0.0.1, so that the content lookup can be tried without a contact-center account.
#include "emulator_main.hpp"
#include "vcc_emulator.hpp"

namespace po = boost::program_options;
namespace kit = crmscan::emulator;
using crmscan::vccemu::Emulator;
using crmscan::vccemu::EmulatorOptions;

int main(int argc, char** argv) {
  const kit::Program<Emulator, EmulatorOptions> program{
      .name = "crmscan-vcc-emulator",
      .data_kind = "FILE",
      .data_help = "JSON file {\"interactions\": [...]}",
      .epilogue =
          "Prints token_url=… and base_url=… and serves until interrupted. Call numbers "
          "count API calls from 1.",
      .data = &EmulatorOptions::data_file,
      .add_options =
          [](po::options_description& described, EmulatorOptions& options) {
            auto& faults = options.faults;
            kit::add_client_options(described, options.client_id, options.client_secret);
            described.add_options()("token-lifetime",
                                    po::value(&options.token_lifetime_seconds)->default_value(7200),
                                    "expires_in of each token, in seconds");
            kit::add_call_fault_options(described, faults, "rate-limited");
            described.add_options()("token-expires-after", po::value(&faults.token_expires_after),
                                    "a token gets 401 after this many calls");
          },
      .announce = [](Emulator& emulator, const EmulatorOptions& options) -> kit::Announcement {
        return {std::to_string(emulator.interaction_count()) + " interaction(s) from " +
                    options.data_file.string(),
                emulator.url(),
                {{"token_url", emulator.token_url()}, {"base_url", emulator.base_url()}}};
      },
      .complete = {}};
  return kit::run_program(program, argc, argv);
}

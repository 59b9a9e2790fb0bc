// crmscan-d365-emulator: serves a folder of Dataverse JSON exports over the Web API on 127.0.0.1,
// with an Azure AD token endpoint beside it, so that the dynamics365 connector can be tried
// without an environment.
#include "d365_emulator.hpp"
#include "emulator_main.hpp"

namespace po = boost::program_options;
namespace kit = crmscan::emulator;
using crmscan::d365emu::Emulator;
using crmscan::d365emu::EmulatorOptions;

int main(int argc, char** argv) {
  const kit::Program<Emulator, EmulatorOptions> program{
      .name = "crmscan-d365-emulator",
      .data_kind = "DIR",
      .data_help = "folder of JSON files, one per entity (contact.json)",
      .epilogue =
          "Prints url=… and tenant=… and serves until interrupted. Call numbers count "
          "Web API calls from 1.",
      .data = &EmulatorOptions::data_dir,
      .add_options =
          [](po::options_description& described, EmulatorOptions& options) {
            auto& faults = options.faults;
            described.add_options()("tenant",
                                    po::value(&options.tenant)->default_value(options.tenant),
                                    "Azure AD tenant the token endpoint serves");
            kit::add_client_options(described, options.client_id, options.client_secret);
            described.add_options()("token-expires-after", po::value(&faults.token_expires_after),
                                    "a token stops working after this many calls (401)");
            kit::add_call_fault_options(described, faults);
          },
      .announce = [](Emulator& emulator, const EmulatorOptions& options) -> kit::Announcement {
        return {std::to_string(emulator.entities().size()) + " entities from " +
                    options.data_dir.string(),
                emulator.url(),
                {{"url", emulator.url()}, {"tenant", options.tenant}}};
      },
      .complete = {}};
  return kit::run_program(program, argc, argv);
}

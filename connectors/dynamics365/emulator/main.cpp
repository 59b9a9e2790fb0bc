// crmscan-d365-emulator: serves a folder of Dataverse JSON exports over the Web API on 127.0.0.1,
// with an Azure AD token endpoint beside it, so that the dynamics365 connector can be tried
// without an environment.
#include "d365_emulator.hpp"
#include "emulator_main.hpp"

namespace po = boost::program_options;
using crmscan::d365emu::Emulator;
using crmscan::d365emu::EmulatorOptions;

int main(int argc, char** argv) {
  const std::string program = "crmscan-d365-emulator";
  EmulatorOptions options;
  auto& faults = options.faults;
  std::string data;
  po::options_description described(program + " --data DIR [options]");
  auto add = described.add_options();
  add("help", "show this help");
  add("data", po::value(&data)->required(), "folder of JSON files, one per entity (contact.json)");
  add("port", po::value(&options.port)->default_value(0), "port on 127.0.0.1 (0: a free one)");
  add("tenant", po::value(&options.tenant)->default_value(options.tenant),
      "Azure AD tenant the token endpoint serves");
  add("client-id", po::value(&options.client_id)->default_value(options.client_id),
      "app registration (client) id it accepts");
  add("client-secret", po::value(&options.client_secret)->default_value(options.client_secret),
      "client secret it accepts (an emulator's, never a real one)");
  add("token-expires-after", po::value(&faults.token_expires_after),
      "a token stops working after this many calls (401)");
  crmscan::emulator::add_burst_options(described, "throttled", faults.throttled_at,
                                       faults.throttled_count, "429");
  described.add_options()("retry-after", po::value(&faults.retry_after_seconds)->default_value(1),
                          "Retry-After seconds on a 429 or 503");
  crmscan::emulator::add_burst_options(described, "unavailable", faults.unavailable_at,
                                       faults.unavailable_count, "503");
  crmscan::emulator::add_body_fault_options(described, faults.truncated_at,
                                            faults.malformed_json_at, faults.wrong_content_type_at);
  if (const auto code = crmscan::emulator::read_command_line(
          program, argc, argv, described,
          "Prints url=… and tenant=… and serves until interrupted. Call numbers count Web API "
          "calls from 1."))
    return *code;
  options.data_dir = data;
  return crmscan::emulator::serve_until_interrupted<Emulator>(
      program, options, [&](Emulator& emulator) {
        std::cerr << program << ": " << emulator.entities().size() << " entities from " << data
                  << " at " << emulator.url() << "; interrupt to stop\n";
        std::cout << "url=" << emulator.url() << "\n"
                  << "tenant=" << options.tenant << std::endl;
      });
}

// crmscan-vcc-emulator: serves interactions from a JSON file over the Interaction Content API
// on 127.0.0.1, so that the content lookup can be tried without a contact-center account.
#include "emulator_main.hpp"
#include "vcc_emulator.hpp"

namespace po = boost::program_options;
using crmscan::vccemu::Emulator;
using crmscan::vccemu::EmulatorOptions;

int main(int argc, char** argv) {
  const std::string program = "crmscan-vcc-emulator";
  EmulatorOptions options;
  auto& faults = options.faults;
  std::string data;
  po::options_description described(program + " --data FILE [options]");
  auto add = described.add_options();
  add("help", "show this help");
  add("data", po::value(&data)->required(), "JSON file {\"interactions\": [...]}");
  add("port", po::value(&options.port)->default_value(0), "port on 127.0.0.1 (0: a free one)");
  add("client-id", po::value(&options.client_id)->default_value(options.client_id),
      "client id the token endpoint accepts");
  add("client-secret", po::value(&options.client_secret)->default_value(options.client_secret),
      "client secret the token endpoint accepts");
  add("token-lifetime", po::value(&options.token_lifetime_seconds)->default_value(7200),
      "expires_in of each token, in seconds");
  crmscan::emulator::add_burst_options(described, "rate-limited", faults.rate_limited_at,
                                       faults.rate_limited_count, "429");
  crmscan::emulator::add_burst_options(described, "unavailable", faults.unavailable_at,
                                       faults.unavailable_count, "503");
  described.add_options()("retry-after", po::value(&faults.retry_after_seconds),
                          "Retry-After seconds on 429 and 503")(
      "token-expires-after", po::value(&faults.token_expires_after),
      "a token gets 401 after this many calls");
  if (const auto code = crmscan::emulator::read_command_line(
          program, argc, argv, described,
          "Prints token_url=… and base_url=… and serves until interrupted. Call numbers count API "
          "calls from 1."))
    return *code;
  options.data_file = data;
  return crmscan::emulator::serve_until_interrupted<Emulator>(
      program, options, [&](Emulator& emulator) {
        std::cerr << program << ": " << emulator.interaction_count() << " interaction(s) from "
                  << data << " at " << emulator.url() << "; interrupt to stop\n";
        std::cout << "token_url=" << emulator.token_url() << "\n"
                  << "base_url=" << emulator.base_url() << std::endl;
      });
}

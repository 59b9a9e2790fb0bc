// crmscan-vcc-emulator: serves interactions from a JSON file over the Interaction Content API
// on 127.0.0.1, so that the content lookup can be tried without a contact-center account.
#include <signal.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "vcc_emulator.hpp"

namespace po = boost::program_options;
using crmscan::vccemu::Emulator;
using crmscan::vccemu::EmulatorOptions;

int main(int argc, char** argv) {
  EmulatorOptions options;
  auto& faults = options.faults;
  std::string data;
  po::options_description described("crmscan-vcc-emulator --data FILE [options]");
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
  add("rate-limited-at", po::value(&faults.rate_limited_at), "first call answered 429");
  add("rate-limited-count",
      po::value(&faults.rate_limited_count)->default_value(faults.rate_limited_count),
      "how many calls get 429");
  add("unavailable-at", po::value(&faults.unavailable_at), "first call answered 503");
  add("unavailable-count",
      po::value(&faults.unavailable_count)->default_value(faults.unavailable_count),
      "how many calls get 503");
  add("retry-after", po::value(&faults.retry_after_seconds), "Retry-After seconds on 429 and 503");
  add("token-expires-after", po::value(&faults.token_expires_after),
      "a token gets 401 after this many calls");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, described), values);
    if (values.count("help")) {
      std::cout << described
                << "\nPrints token_url=… and base_url=… and serves until interrupted. Call "
                   "numbers count API calls from 1.\n";
      return 0;
    }
    po::notify(values);
  } catch (const po::error& error) {
    std::cerr << "crmscan-vcc-emulator: " << error.what() << "\n" << described;
    return 2;
  }
  options.data_file = data;

  // Block the stop signals in every thread, then wait for one here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    Emulator emulator(options);
    emulator.start();
    std::cerr << "crmscan-vcc-emulator: " << emulator.interaction_count() << " interaction(s) from "
              << data << " at " << emulator.url() << "; interrupt to stop\n";
    std::cout << "token_url=" << emulator.token_url() << "\n"
              << "base_url=" << emulator.base_url() << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    emulator.stop();
  } catch (const std::exception& error) {
    std::cerr << "crmscan-vcc-emulator: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

// crmscan-d365-emulator: serves a folder of Dataverse JSON exports over the Web API on 127.0.0.1,
// with an Azure AD token endpoint beside it, so that the dynamics365 connector can be tried
// without an environment.
#include <signal.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "d365_emulator.hpp"

namespace po = boost::program_options;
using crmscan::d365emu::Emulator;
using crmscan::d365emu::EmulatorOptions;

int main(int argc, char** argv) {
  EmulatorOptions options;
  auto& faults = options.faults;
  std::string data;
  po::options_description described("crmscan-d365-emulator --data DIR [options]");
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
  add("throttled-at", po::value(&faults.throttled_at), "first call answered 429");
  add("throttled-count", po::value(&faults.throttled_count)->default_value(1),
      "how many calls get 429");
  add("retry-after", po::value(&faults.retry_after_seconds)->default_value(1),
      "Retry-After seconds on a 429 or 503");
  add("unavailable-at", po::value(&faults.unavailable_at), "first call answered 503");
  add("unavailable-count", po::value(&faults.unavailable_count)->default_value(1),
      "how many calls get 503");
  add("truncate-at", po::value(&faults.truncated_at),
      "call whose body is cut off under a full Content-Length");
  add("malformed-json-at", po::value(&faults.malformed_json_at), "call whose JSON is cut short");
  add("wrong-content-type-at", po::value(&faults.wrong_content_type_at),
      "call answered with an HTML page");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, described), values);
    if (values.count("help")) {
      std::cout << described
                << "\nPrints url=… and tenant=… and serves until interrupted. Call numbers "
                   "count Web API calls from 1.\n";
      return 0;
    }
    po::notify(values);
  } catch (const po::error& error) {
    std::cerr << "crmscan-d365-emulator: " << error.what() << "\n" << described;
    return 2;
  }
  options.data_dir = data;

  // Block the stop signals in every thread, then wait for one here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    Emulator emulator(options);
    emulator.start();
    std::cerr << "crmscan-d365-emulator: " << emulator.entities().size() << " entities from "
              << data << " at " << emulator.url() << "; interrupt to stop\n";
    std::cout << "url=" << emulator.url() << "\n"
              << "tenant=" << options.tenant << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
    emulator.stop();
  } catch (const std::exception& error) {
    std::cerr << "crmscan-d365-emulator: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

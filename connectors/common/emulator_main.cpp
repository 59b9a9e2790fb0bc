#include "emulator_main.hpp"

namespace po = boost::program_options;

namespace crmscan::emulator {

namespace {

/// Adds `--NAME-at` (the first call answered STATUS) and `--NAME-count` (how many are).
void add_burst_options(po::options_description& described, const std::string& name, Burst& burst,
                       const std::string& status) {
  described.add_options()((name + "-at").c_str(), po::value(&burst.at),
                          ("first call answered " + status).c_str())(
      (name + "-count").c_str(), po::value(&burst.count)->default_value(burst.count),
      ("how many calls get " + status).c_str());
}

/// Adds `--truncate-at`, `--malformed-json-at` and `--wrong-content-type-at`.
void add_body_fault_options(po::options_description& described, BodyFaults& faults) {
  described.add_options()("truncate-at", po::value(&faults.truncated_at),
                          "call whose body is cut off under a full Content-Length")(
      "malformed-json-at", po::value(&faults.malformed_json_at), "call whose JSON is cut short")(
      "wrong-content-type-at", po::value(&faults.wrong_content_type_at),
      "call answered with an HTML page");
}

}  // namespace

void add_call_fault_options(po::options_description& described, CallFaults& faults,
                            const std::string& throttled) {
  add_burst_options(described, throttled, faults.throttled, "429");
  add_burst_options(described, "unavailable", faults.unavailable, "503");
  described.add_options()(
      "retry-after",
      po::value(&faults.retry_after_seconds)->default_value(faults.retry_after_seconds),
      "Retry-After seconds on each 429 and 503");
  add_body_fault_options(described, faults);
}

void add_client_options(po::options_description& described, std::string& client_id,
                        std::string& client_secret) {
  described.add_options()("client-id", po::value(&client_id)->default_value(client_id),
                          "client id the token endpoint accepts")(
      "client-secret", po::value(&client_secret)->default_value(client_secret),
      "client secret the token endpoint accepts (an emulator's, never a real one)");
}

std::optional<int> read_command_line(const std::string& program, int argc, char** argv,
                                     const po::options_description& described,
                                     const std::string& epilogue) {
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, described), values);
    if (values.count("help")) {
      std::cout << described << "\n" << epilogue << "\n";
      return 0;
    }
    po::notify(values);
  } catch (const po::error& error) {
    std::cerr << program << ": " << error.what() << "\n" << described;
    return 2;
  }
  return std::nullopt;
}

}  // namespace crmscan::emulator

#include "emulator_main.hpp"

namespace po = boost::program_options;

namespace crmscan::emulator {

void add_burst_options(po::options_description& described, const std::string& name, std::size_t& at,
                       std::size_t& count, const std::string& status) {
  described.add_options()((name + "-at").c_str(), po::value(&at),
                          ("first call answered " + status).c_str())(
      (name + "-count").c_str(), po::value(&count)->default_value(count),
      ("how many calls get " + status).c_str());
}

void add_body_fault_options(po::options_description& described, std::size_t& truncated_at,
                            std::size_t& malformed_json_at, std::size_t& wrong_content_type_at) {
  described.add_options()("truncate-at", po::value(&truncated_at),
                          "call whose body is cut off under a full Content-Length")(
      "malformed-json-at", po::value(&malformed_json_at), "call whose JSON is cut short")(
      "wrong-content-type-at", po::value(&wrong_content_type_at),
      "call answered with an HTML page");
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

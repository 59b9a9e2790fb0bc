// crmscan-sf-emulator: serves a Salesforce Data Export folder over the Salesforce REST API on
// 127.0.0.1, so that the live connector can be tried without an org.
#include <fstream>
#include <sstream>

#include "emulator_main.hpp"
#include "sf_emulator.hpp"

namespace po = boost::program_options;
namespace kit = crmscan::emulator;
using crmscan::sfemu::Emulator;
using crmscan::sfemu::EmulatorOptions;

namespace {

const std::string kProgram = "crmscan-sf-emulator";

/// What the command line gives that becomes an emulator option only once checked or converted.
struct Given {
  std::string encoding = "utf-8";
  std::string key_file;
  std::vector<std::string> text_id_fields;
  std::size_t slow_ms = 0;
  std::size_t stall_ms = 0;
};

void add_options(po::options_description& described, EmulatorOptions& options, Given& given) {
  auto& faults = options.faults;
  given.stall_ms = static_cast<std::size_t>(faults.stall_time.count());
  auto add = described.add_options();
  add("encoding", po::value(&given.encoding)->default_value(given.encoding), "utf-8 or latin1");
  kit::add_client_options(described, options.client_id, options.client_secret);
  add("username", po::value(&options.username)->default_value(options.username),
      "user name (password grant, JWT sub)");
  add("password", po::value(&options.password)->default_value(options.password),
      "password as sent, security token included");
  add("refresh-token", po::value(&options.refresh_token)->default_value(options.refresh_token),
      "a refresh token the refresh_token grant accepts");
  add("jwt-public-key", po::value(&given.key_file),
      "PEM public key or certificate that JWT assertions must be signed with");
  add("search-limit",
      po::value(&options.search.max_results)->default_value(options.search.max_results),
      "results of one SOSL search at most (shared evenly among objects without a LIMIT)");
  add("search-archived", po::bool_switch(&options.search.archived),
      "archived activities are in the search index (no public source settles it)");
  add("text-id-field", po::value(&given.text_id_fields)->composing(),
      "part of the name of text fields that hold ids (repeatable; replaces the defaults)");
  add("api-limit", po::value(&faults.api_limit)->default_value(faults.api_limit),
      "API calls allowed before 403 REQUEST_LIMIT_EXCEEDED");
  add("bulk-polls",
      po::value(&options.bulk_polls_in_progress)->default_value(options.bulk_polls_in_progress),
      "polls a Bulk query job stays InProgress");
  add("min-batch-size", po::value(&options.min_batch_size)->default_value(options.min_batch_size),
      "smallest query batchSize honoured");
  add("max-open-cursors",
      po::value(&options.max_open_cursors)->default_value(options.max_open_cursors),
      "query cursors kept; opening more drops the oldest");
  add("max-uri-length", po::value(&options.max_uri_length)->default_value(options.max_uri_length),
      "longest request URI served; longer gets 414");
  add("session-expires-after", po::value(&faults.session_expires_after),
      "a token stops working after this many calls");
  kit::add_call_fault_options(described, faults);
  add("slow-at", po::value(&faults.slow_at), "call answered slowly");
  add("slow-ms", po::value(&given.slow_ms), "delay of the slow call in milliseconds");
  add("unavailable-status",
      po::value(&faults.unavailable_status)->default_value(faults.unavailable_status),
      "status of the unavailable burst: 503 or 500");
  add("reset-at", po::value(&faults.reset_at), "call whose connection is reset");
  add("stalled-at", po::value(&faults.stalled.at),
      "first call whose body stops halfway and then stalls");
  add("stalled-count", po::value(&faults.stalled.count)->default_value(faults.stalled.count),
      "how many calls stall");
  add("stall-ms", po::value(&given.stall_ms), "how long a stalled call stays silent");
  add("gzip-bomb-at", po::value(&faults.gzip_bomb_at),
      "call answered with a gzip body that inflates to --bomb-bytes");
  add("bomb-bytes", po::value(&faults.bomb_bytes)->default_value(faults.bomb_bytes),
      "size of the inflated gzip bomb");
}

std::optional<int> complete(EmulatorOptions& options, const Given& given) {
  options.latin1 = given.encoding == "latin1" || given.encoding == "iso-8859-1";
  if (!options.latin1 && given.encoding != "utf-8" && given.encoding != "utf8") {
    std::cerr << kProgram << ": --encoding must be utf-8 or latin1\n";
    return 2;
  }
  options.faults.slow_delay = std::chrono::milliseconds(given.slow_ms);
  options.faults.stall_time = std::chrono::milliseconds(given.stall_ms);
  if (!given.text_id_fields.empty()) options.text_id_fields = given.text_id_fields;
  if (!given.key_file.empty()) {
    std::ifstream in(given.key_file, std::ios::binary);
    if (!in) {
      std::cerr << kProgram << ": " << given.key_file << ": cannot be read\n";
      return 2;
    }
    std::ostringstream pem;
    pem << in.rdbuf();
    options.jwt_public_key_pem = pem.str();
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Given given;
  const kit::Program<Emulator, EmulatorOptions> program{
      .name = kProgram,
      .data_kind = "DIR",
      .data_help = "Data Export folder: one CSV per object",
      .epilogue =
          "Prints instance_url=… and access_token=… and serves until interrupted. Call "
          "numbers count API calls from 1.",
      .data = &EmulatorOptions::data_dir,
      .add_options = [&given](po::options_description& described,
                              EmulatorOptions& options) { add_options(described, options, given); },
      .announce = [](Emulator& emulator, const EmulatorOptions& options) -> kit::Announcement {
        return {
            std::to_string(emulator.objects().size()) + " object(s) from " +
                options.data_dir.string(),
            emulator.instance_url(),
            {{"instance_url", emulator.instance_url()}, {"access_token", emulator.issue_token()}}};
      },
      .complete = [&given](EmulatorOptions& options) { return complete(options, given); }};
  return kit::run_program(program, argc, argv);
}

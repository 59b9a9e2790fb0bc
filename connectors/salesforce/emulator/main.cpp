// crmscan-sf-emulator: serves a Salesforce Data Export folder over the Salesforce REST API on
// 127.0.0.1, so that the live connector can be tried without an org.
#include <fstream>
#include <sstream>

#include "emulator_main.hpp"
#include "sf_emulator.hpp"

namespace po = boost::program_options;
using crmscan::sfemu::Emulator;
using crmscan::sfemu::EmulatorOptions;

int main(int argc, char** argv) {
  const std::string program = "crmscan-sf-emulator";
  EmulatorOptions options;
  auto& faults = options.faults;
  std::string data;
  std::string encoding = "utf-8";
  std::string key_file;
  std::vector<std::string> text_id_fields;
  std::size_t slow_ms = 0;
  std::size_t stall_ms = static_cast<std::size_t>(faults.stall_time.count());
  po::options_description described(program + " --data DIR [options]");
  auto add = described.add_options();
  add("help", "show this help");
  add("data", po::value(&data)->required(), "Data Export folder: one CSV per object");
  add("encoding", po::value(&encoding)->default_value(encoding), "utf-8 or latin1");
  add("port", po::value(&options.port)->default_value(0), "port on 127.0.0.1 (0: a free one)");
  add("client-id", po::value(&options.client_id)->default_value(options.client_id),
      "connected app consumer key");
  add("client-secret", po::value(&options.client_secret)->default_value(options.client_secret),
      "consumer secret");
  add("username", po::value(&options.username)->default_value(options.username),
      "user name (password grant, JWT sub)");
  add("password", po::value(&options.password)->default_value(options.password),
      "password as sent, security token included");
  add("refresh-token", po::value(&options.refresh_token)->default_value(options.refresh_token),
      "a refresh token the refresh_token grant accepts");
  add("jwt-public-key", po::value(&key_file),
      "PEM public key or certificate that JWT assertions must be signed with");
  add("search-limit",
      po::value(&options.search.max_results)->default_value(options.search.max_results),
      "results of one SOSL search at most (shared evenly among objects without a LIMIT)");
  add("search-archived", po::bool_switch(&options.search.archived),
      "archived activities are in the search index (no public source settles it)");
  add("text-id-field", po::value(&text_id_fields)->composing(),
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
  crmscan::emulator::add_burst_options(described, "unavailable", faults.unavailable_at,
                                       faults.unavailable_count, "503");
  add("retry-after", po::value(&faults.retry_after_seconds), "Retry-After seconds on a 503");
  add("slow-at", po::value(&faults.slow_at), "call answered slowly");
  add("slow-ms", po::value(&slow_ms), "delay of the slow call in milliseconds");
  crmscan::emulator::add_body_fault_options(described, faults.truncated_at,
                                            faults.malformed_json_at, faults.wrong_content_type_at);
  add("unavailable-status",
      po::value(&faults.unavailable_status)->default_value(faults.unavailable_status),
      "status of the unavailable burst: 503 or 500");
  crmscan::emulator::add_burst_options(described, "throttled", faults.throttled_at,
                                       faults.throttled_count, "429");
  add("reset-at", po::value(&faults.reset_at), "call whose connection is reset");
  add("stalled-at", po::value(&faults.stalled_at),
      "first call whose body stops halfway and then stalls");
  add("stalled-count", po::value(&faults.stalled_count)->default_value(faults.stalled_count),
      "how many calls stall");
  add("stall-ms", po::value(&stall_ms), "how long a stalled call stays silent");
  add("gzip-bomb-at", po::value(&faults.gzip_bomb_at),
      "call answered with a gzip body that inflates to --bomb-bytes");
  add("bomb-bytes", po::value(&faults.bomb_bytes)->default_value(faults.bomb_bytes),
      "size of the inflated gzip bomb");
  if (const auto code = crmscan::emulator::read_command_line(
          program, argc, argv, described,
          "Prints instance_url=… and access_token=… and serves until interrupted. Call numbers "
          "count API calls from 1."))
    return *code;
  options.data_dir = data;
  options.latin1 = encoding == "latin1" || encoding == "iso-8859-1";
  if (!options.latin1 && encoding != "utf-8" && encoding != "utf8") {
    std::cerr << "crmscan-sf-emulator: --encoding must be utf-8 or latin1\n";
    return 2;
  }
  faults.slow_delay = std::chrono::milliseconds(slow_ms);
  faults.stall_time = std::chrono::milliseconds(stall_ms);
  if (!text_id_fields.empty()) options.text_id_fields = text_id_fields;
  if (!key_file.empty()) {
    std::ifstream in(key_file, std::ios::binary);
    if (!in) {
      std::cerr << program << ": " << key_file << ": cannot be read\n";
      return 2;
    }
    std::ostringstream pem;
    pem << in.rdbuf();
    options.jwt_public_key_pem = pem.str();
  }

  return crmscan::emulator::serve_until_interrupted<Emulator>(
      program, options, [&](Emulator& emulator) {
        std::cerr << program << ": " << emulator.objects().size() << " object(s) from " << data
                  << " at " << emulator.instance_url() << "; interrupt to stop\n";
        std::cout << "instance_url=" << emulator.instance_url() << "\n"
                  << "access_token=" << emulator.issue_token() << std::endl;
      });
}

#pragma once

// The skeleton of an emulator's standalone program: its command line, and serving until it is
// interrupted. An emulator's main.cpp fills a Program and calls run_program.

#include <signal.h>

#include <boost/program_options.hpp>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulator_faults.hpp"

namespace crmscan::emulator {

/// Adds the options of the faults every emulator serves: `--THROTTLED-at` and
/// `--THROTTLED-count` (the 429 burst; THROTTLED is what the emulator calls it),
/// `--unavailable-at` and `--unavailable-count` (the 503 burst), `--retry-after`,
/// `--truncate-at`, `--malformed-json-at` and `--wrong-content-type-at`.
void add_call_fault_options(boost::program_options::options_description& described,
                            CallFaults& faults, const std::string& throttled = "throttled");
/// Adds `--client-id` and `--client-secret`, defaulting to the values given, that the token
/// endpoint accepts.
void add_client_options(boost::program_options::options_description& described,
                        std::string& client_id, std::string& client_secret);

/// Reads the command line into the options' variables. Returns the exit code when the program
/// must end now: 0 after --help (printed with `epilogue`), 2 after an error (printed with the
/// usage).
std::optional<int> read_command_line(const std::string& program, int argc, char** argv,
                                     const boost::program_options::options_description& described,
                                     const std::string& epilogue);

/// What a serving emulator tells: on stderr "NAME: SERVING at URL; interrupt to stop", on stdout
/// one `key=value` line each (what a script reads to reach it).
struct Announcement {
  std::string serving;
  std::string url;
  std::vector<std::pair<std::string, std::string>> values;
};

/// An emulator's standalone program: `--help`, `--data` and `--port` are the kit's, the rest
/// the emulator's own.
template <class Emulator, class Options>
struct Program {
  std::string name;       ///< "crmscan-xx-emulator"
  std::string data_kind;  ///< what --data names in the usage line: DIR, FILE
  std::string data_help;  ///< --data's help
  std::string epilogue;   ///< the help's last line: what it prints, how calls are counted
  /// The option that --data sets.
  std::filesystem::path Options::*data = nullptr;
  /// Adds the emulator's own options, bound to `options`.
  std::function<void(boost::program_options::options_description&, Options&)> add_options;
  /// What to announce once serving.
  std::function<Announcement(Emulator&, const Options&)> announce;
  /// Checks and completes what the parser cannot (none: nothing to do); an exit code ends the
  /// program (2 after an error, printed).
  std::function<std::optional<int>(Options&)> complete;
};

/// Makes the emulator with SIGINT and SIGTERM blocked in every thread, starts it, hands it to
/// `announce` (which prints where it serves) and serves until one of them arrives. Returns the
/// exit code: 0, or 1 after an error (printed).
template <class Emulator, class Options>
int serve_until_interrupted(const std::string& program, Options options,
                            const std::function<void(Emulator&)>& announce) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    Emulator emulator(std::move(options));
    emulator.start();
    announce(emulator);
    int received = 0;
    sigwait(&stop_signals, &received);
    emulator.stop();
  } catch (const std::exception& error) {
    std::cerr << program << ": " << error.what() << "\n";
    return 1;
  }
  return 0;
}

/// Runs `program` on the command line: reads it, completes the options, serves until
/// interrupted. Returns main's exit code.
template <class Emulator, class Options>
int run_program(const Program<Emulator, Options>& program, int argc, char** argv) {
  namespace po = boost::program_options;
  Options options;
  std::string data;
  po::options_description described(program.name + " --data " + program.data_kind + " [options]");
  described.add_options()("help", "show this help")("data", po::value(&data)->required(),
                                                    program.data_help.c_str())(
      "port", po::value(&options.port)->default_value(0), "port on 127.0.0.1 (0: a free one)");
  program.add_options(described, options);
  if (const auto code = read_command_line(program.name, argc, argv, described, program.epilogue))
    return *code;
  options.*program.data = data;
  if (program.complete)
    if (const auto code = program.complete(options)) return *code;
  return serve_until_interrupted<Emulator>(program.name, options, [&](Emulator& emulator) {
    const auto said = program.announce(emulator, options);
    std::cerr << program.name << ": " << said.serving << " at " << said.url
              << "; interrupt to stop\n";
    for (const auto& [key, value] : said.values) std::cout << key << "=" << value << "\n";
    std::cout.flush();
  });
}

}  // namespace crmscan::emulator

#pragma once

// The skeleton of an emulator's standalone program: its command line, and serving until it is
// interrupted.

#include <signal.h>

#include <boost/program_options.hpp>
#include <cstddef>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

namespace crmscan::emulator {

/// Adds `--NAME-at` (the first call answered STATUS) and `--NAME-count` (how many are).
void add_burst_options(boost::program_options::options_description& described,
                       const std::string& name, std::size_t& at, std::size_t& count,
                       const std::string& status);
/// Adds `--truncate-at`, `--malformed-json-at` and `--wrong-content-type-at`.
void add_body_fault_options(boost::program_options::options_description& described,
                            std::size_t& truncated_at, std::size_t& malformed_json_at,
                            std::size_t& wrong_content_type_at);

/// Reads the command line into the options' variables. Returns the exit code when the program
/// must end now: 0 after --help (printed with `epilogue`), 2 after an error (printed with the
/// usage).
std::optional<int> read_command_line(const std::string& program, int argc, char** argv,
                                     const boost::program_options::options_description& described,
                                     const std::string& epilogue);

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

}  // namespace crmscan::emulator

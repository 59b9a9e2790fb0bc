// Prints how long two threads take to hand a cache line back and forth, in nanoseconds a round
// trip (the median of 15 runs of 20,000). bench/run.py prints it before and after its runs: on a
// shared virtual machine it swings several-fold within minutes, and with it what a second thread
// of crmscan's --jobs is worth. The measure crmscan makes as it reads without --jobs
// (record_pipeline.cpp), without its deadline.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

int main() {
  constexpr int kRuns = 15;
  constexpr int kRoundTrips = 20000;
  std::vector<double> nanoseconds;
  for (int run = 0; run < kRuns; ++run) {
    std::atomic<int> turn{0};  // 2n + 1: the other thread's turn in round n; 2n + 2: back
    std::thread other([&] {
      for (int next = 1; next < 2 * kRoundTrips; next += 2) {
        while (turn.load(std::memory_order_acquire) != next) {
        }
        turn.store(next + 1, std::memory_order_release);
      }
    });
    const auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < kRoundTrips; ++round) {
      turn.store(2 * round + 1, std::memory_order_release);
      while (turn.load(std::memory_order_acquire) != 2 * round + 2) {
      }
    }
    const std::chrono::duration<double, std::nano> elapsed =
        std::chrono::steady_clock::now() - start;
    other.join();
    nanoseconds.push_back(elapsed.count() / kRoundTrips);
  }
  std::nth_element(nanoseconds.begin(), nanoseconds.begin() + kRuns / 2, nanoseconds.end());
  std::printf("%.0f\n", nanoseconds[kRuns / 2]);
}

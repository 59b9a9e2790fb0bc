#include "scan/record_pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "crmscan/engine.hpp"

namespace crmscan {
namespace {

// Two threads hand a value back and forth: `turn` is 2n + 1 when it is the answering thread's
// turn in round n, 2n + 2 when it is back. The pipeline hands every batch of records from one
// core to another and back, so how fast this goes says what a worker is worth. Measured on the
// development machine (a shared virtual machine of two cores): a round trip of 100-130 ns at some
// times, when `--jobs 2` reads the 1 GB bench export in 4.0 s against 6.3 s for one thread, and
// 450-620 ns at others, when two threads take 8.9 s; the machine goes from one to the other
// within minutes. A thread that cannot answer at once (the cores busy) counts as slow.
constexpr int kWarmUp = 200;  // the other thread waking, both cores awake
constexpr int kTimed = 2000;

void answer_hand_over(std::atomic<int>& turn, const std::atomic<bool>& stop) {
  for (int next = 1; next < 2 * (kWarmUp + kTimed) && !stop.load();) {
    if (turn.load(std::memory_order_acquire) == next) {
      turn.store(next + 1, std::memory_order_release);
      next += 2;
    }
  }
}

bool hand_over_quickly(std::atomic<int>& turn) {
  constexpr auto kSlow = std::chrono::nanoseconds(250);
  constexpr auto kGiveUp = std::chrono::milliseconds(20);
  using Clock = std::chrono::steady_clock;
  const auto begun = Clock::now();
  auto timed_from = begun;
  bool in_time = true;
  for (int round = 0; round < kWarmUp + kTimed && in_time; ++round) {
    if (round == kWarmUp) timed_from = Clock::now();
    turn.store(2 * round + 1, std::memory_order_release);
    while (in_time && turn.load(std::memory_order_acquire) != 2 * round + 2)
      in_time = Clock::now() - begun < kGiveUp;
  }
  return in_time && Clock::now() - timed_from < kSlow * kTimed;
}

}  // namespace

std::size_t default_jobs() {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

}  // namespace crmscan

namespace crmscan::scanning {
namespace {

// Records a batch: enough to keep a worker busy for long past the cost of waking it, few enough
// that a batch and what is made of it stay in the processor's cache until decided.
constexpr std::size_t kBatchRecords = 128;

}  // namespace

RecordPipeline::RecordPipeline(std::size_t workers, Prepare prepare, Snapshot snapshot,
                               Consume consume)
    : prepare_(std::move(prepare)),
      snapshot_(std::move(snapshot)),
      consume_(std::move(consume)),
      max_in_flight_(2 * workers + 1) {
  for (std::size_t worker = 0; worker < workers; ++worker)
    threads_.emplace_back([this, worker] { work(worker); });
}

RecordPipeline::~RecordPipeline() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

bool RecordPipeline::workers_answer_quickly() {
  if (threads_.empty()) return false;
  finish();  // the workers idle: one of them answers at once
  std::atomic<int> turn{0};
  std::atomic<bool> stop{false}, answered{false};
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    answer_ = [&] {
      answer_hand_over(turn, stop);
      answered = true;
    };
  }
  work_ready_.notify_one();
  const bool quick = hand_over_quickly(turn);
  stop = true;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (answer_) {
      answer_ = nullptr;  // no worker took it
      return false;
    }
  }
  while (!answered.load()) std::this_thread::yield();
  return quick;
}

void RecordPipeline::push(const Record& record) {
  if (!filling_) {
    if (spare_.empty()) {
      filling_ = std::make_unique<Batch>();
    } else {
      filling_ = std::move(spare_.back());
      spare_.pop_back();
    }
    filling_->size = 0;
    filling_->ready = false;
    filling_->error = nullptr;
  }
  auto& batch = *filling_;
  if (batch.size < batch.records.size()) {
    batch.records[batch.size] = record;
  } else {
    batch.records.push_back(record);
  }
  if (++batch.size == kBatchRecords) dispatch();
}

void RecordPipeline::finish() {
  if (filling_) dispatch();
  while (!in_flight_.empty()) consume_oldest();
}

void RecordPipeline::dispatch() {
  auto batch = std::move(filling_);
  batch->phones = snapshot_();
  if (batch->prepared.size() < batch->size) batch->prepared.resize(batch->size);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(batch.get());
  }
  work_ready_.notify_one();
  in_flight_.push_back(std::move(batch));
  // Hand on what is ready; past the limit, wait for the oldest (memory stays bounded).
  while (!in_flight_.empty()) {
    bool ready;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      ready = in_flight_.front()->ready;
    }
    if (!ready && in_flight_.size() < max_in_flight_) break;
    consume_oldest();
  }
}

void RecordPipeline::consume_oldest() {
  auto batch = std::move(in_flight_.front());
  in_flight_.pop_front();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // Rather than wait, this thread prepares a batch no worker has taken (the workers are behind):
    // the oldest if none has taken it yet, else the newest, and only while every worker still
    // finds one waiting (a worker that finds none sleeps, and waking it costs more than the batch
    // saves where cores are quick to hand data over). Only this thread adds to the queue.
    while (!batch->ready && !queue_.empty()) {
      Batch* taken;
      if (queue_.front() == batch.get()) {
        taken = queue_.front();
        queue_.pop_front();
      } else if (queue_.size() > workers()) {
        taken = queue_.back();
        queue_.pop_back();
      } else {
        break;
      }
      lock.unlock();
      prepare_batch(workers(), *taken);
      lock.lock();
      taken->ready = true;
    }
    batch_ready_.wait(lock, [&] { return batch->ready; });
  }
  if (batch->error) std::rethrow_exception(batch->error);
  for (std::size_t i = 0; i < batch->size; ++i) consume_(batch->records[i], batch->prepared[i]);
  spare_.push_back(std::move(batch));
}

void RecordPipeline::prepare_batch(std::size_t worker, Batch& batch) {
  try {
    for (std::size_t i = 0; i < batch.size; ++i)
      prepare_(worker, batch.records[i], batch.phones, batch.prepared[i]);
  } catch (...) {
    batch.error = std::current_exception();
  }
}

void RecordPipeline::work(std::size_t worker) {
  for (;;) {
    Batch* batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || answer_ || !queue_.empty(); });
      if (stopping_) return;
      if (answer_) {
        const auto answer = std::move(answer_);
        answer_ = nullptr;
        lock.unlock();
        answer();
        continue;
      }
      batch = queue_.front();
      queue_.pop_front();
    }
    prepare_batch(worker, *batch);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      batch->ready = true;
    }
    batch_ready_.notify_all();
  }
}

}  // namespace crmscan::scanning

#include "scan/record_pipeline.hpp"

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
    batch_ready_.wait(lock, [&] { return batch->ready; });
  }
  if (batch->error) std::rethrow_exception(batch->error);
  for (std::size_t i = 0; i < batch->size; ++i) consume_(batch->records[i], batch->prepared[i]);
  spare_.push_back(std::move(batch));
}

void RecordPipeline::work(std::size_t worker) {
  for (;;) {
    Batch* batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch = queue_.front();
      queue_.pop_front();
    }
    try {
      for (std::size_t i = 0; i < batch->size; ++i)
        prepare_(worker, batch->records[i], batch->phones, batch->prepared[i]);
    } catch (...) {
      batch->error = std::current_exception();
    }
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      batch->ready = true;
    }
    batch_ready_.notify_all();
  }
}

}  // namespace crmscan::scanning

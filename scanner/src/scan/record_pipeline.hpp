// Records read on one thread, prepared on several (PreparedRecord), and handed on to the decision
// one at a time in the order they were read: the decision, and so the report, is the same
// whatever the number of threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "crmscan/record.hpp"
#include "scan/prepared_record.hpp"

namespace crmscan::scanning {

class RecordPipeline {
 public:
  /// On worker `worker` (0 ≤ worker < workers), any number at once; `workers` is the reading
  /// thread, which prepares a batch itself rather than wait for the workers.
  using Prepare = std::function<void(std::size_t worker, const Record&, const PhoneFilterSnapshot&,
                                     PreparedRecord&)>;
  /// On the reading thread, when a batch is handed to the workers.
  using Snapshot = std::function<PhoneFilterSnapshot()>;
  /// On the reading thread, in the order read.
  using Consume = std::function<void(const Record&, const PreparedRecord&)>;

  RecordPipeline(std::size_t workers, Prepare prepare, Snapshot snapshot, Consume consume);
  ~RecordPipeline();
  RecordPipeline(const RecordPipeline&) = delete;
  RecordPipeline& operator=(const RecordPipeline&) = delete;

  /// A record read (copied: the reader reuses its own).
  void push(const Record& record);
  /// Hands on every record pushed so far; more may be pushed after.
  void finish();
  /// Whether a worker and this thread hand data back and forth quickly enough for the workers to
  /// be worth their batches (about a millisecond; finishes first). False without workers.
  bool workers_answer_quickly();

 private:
  struct Batch {
    std::vector<Record> records;  // kept between uses: their strings' storage is reused
    std::vector<PreparedRecord> prepared;
    std::size_t size = 0;
    PhoneFilterSnapshot phones;
    bool ready = false;
    std::exception_ptr error;
  };

  std::size_t workers() const { return threads_.size(); }
  void prepare_batch(std::size_t worker, Batch& batch);
  void dispatch();
  void consume_oldest();
  void work(std::size_t worker);

  Prepare prepare_;
  Snapshot snapshot_;
  Consume consume_;
  std::size_t max_in_flight_;
  std::unique_ptr<Batch> filling_;
  std::deque<std::unique_ptr<Batch>> in_flight_;  // in the order read
  std::vector<std::unique_ptr<Batch>> spare_;
  std::mutex mutex_;
  std::condition_variable work_ready_, batch_ready_;
  std::deque<Batch*> queue_;      // batches no worker has taken yet
  std::function<void()> answer_;  // a measure for the first idle worker to answer
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace crmscan::scanning

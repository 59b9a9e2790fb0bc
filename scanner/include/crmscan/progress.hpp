// A scan's progress as a person watching it sees it: the engine tells an observer what it is doing
// and how far it has got; the display draws a line on a terminal, or writes lines for a log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crmscan/connector.hpp"

namespace crmscan {

/// Counters of a scan so far. Counts and names only: never a value read.
struct ScanCounts {
  /// Records read, each once (as the report counts them).
  std::size_t records_read = 0;
  /// Requests the connector has sent, retries included.
  std::size_t api_calls = 0;
  /// Findings so far, before the field findings of a record to delete fold into its deletion
  /// (the report may count fewer).
  std::size_t findings = 0;
  /// How far the connector has got in what it is reading, when it knows.
  ReadPosition position;
};

/// What the scan is doing.
enum class ScanStep {
  kRead,       ///< reading an object, the first time
  kReadAgain,  ///< reading an object again: records reached since may point to it
  kSearch,     ///< a lookup of the requests' identifiers (the step names their kind)
  kFetch,      ///< a lookup of the records of an object that point to records reached
  kFinish,     ///< the reads are over: findings merged, the stages after the scan
};

/// Told by the engine, from the thread that runs the scan, what it does: at each step, after each
/// lookup and every few thousand records.
class ScanProgress {
 public:
  virtual ~ScanProgress() = default;
  /// The scan knows the objects it will read (each at least once, when it reads them all).
  virtual void scan_started(std::size_t objects) = 0;
  /// A step begins; `what` is the object, or the kind of identifier searched for.
  virtual void step_started(ScanStep step, std::string_view what, const ScanCounts& counts) = 0;
  /// The counts moved.
  virtual void advanced(const ScanCounts& counts) = 0;
  /// A read of an object (kRead or kReadAgain) is over.
  virtual void object_finished(std::string_view object, const ScanCounts& counts) = 0;
};

/// A Lookup that tells `progress` of each search and fetch (with `counts()`, the scan's counters),
/// and of each record they return, and otherwise only forwards to `inner`.
class ObservedLookup : public Lookup {
 public:
  ObservedLookup(Lookup& inner, ScanProgress& progress, std::function<ScanCounts()> counts)
      : inner_(inner), progress_(progress), counts_(std::move(counts)) {}
  void search(IdentifierKind kind, bool in_text, const std::vector<std::string>& terms,
              const std::vector<std::string>& objects, const RecordSink& on_record,
              const ProblemSink& on_problem) override;
  void fetch(const std::string& object, const std::string& field,
             const std::vector<std::string>& ids, const RecordSink& on_record,
             const ProblemSink& on_problem) override;
  bool has_field(const std::string& object, const std::string& field) override {
    return inner_.has_field(object, field);
  }
  std::vector<std::pair<std::string, std::string>> references_to(
      const std::string& object) override {
    return inner_.references_to(object);
  }
  void use_rules(const RuleSet& rules) override { inner_.use_rules(rules); }

 private:
  Lookup& inner_;
  ScanProgress& progress_;
  std::function<ScanCounts()> counts_;
};

/// What `--progress` asks for.
enum class ProgressMode {
  kAuto,   ///< the live line when stderr is a terminal, else nothing
  kTty,    ///< the live line, terminal or not
  kPlain,  ///< a line per object read and every 10 seconds, for a log
  kNone,
};

/// Reads `--progress`: auto, tty, plain or none (else UsageError).
ProgressMode parse_progress_mode(std::string_view text);

/// Formats a scan's progress and decides when to show it. Times are given, never read, so that a
/// test drives it with a clock of its own.
class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Style {
    kLive,  ///< one line, redrawn in place
    kLog,   ///< lines appended
  };
  /// The live line is redrawn at most this often.
  static constexpr std::chrono::milliseconds kRedrawEvery{100};
  /// A log gets a line at least this often while the scan runs.
  static constexpr std::chrono::seconds kLogEvery{10};

  ProgressLine(Style style, Clock::time_point start)
      : style_(style), start_(start), logged_at_(start) {}

  void scan_started(std::size_t objects) { objects_ = objects; }
  void step_started(ScanStep step, std::string_view what, const ScanCounts& counts,
                    Clock::time_point now);
  void advanced(const ScanCounts& counts) { counts_ = counts; }
  /// In the log style, the line that says an object was read (empty in the live style).
  std::string object_finished(std::string_view object, const ScanCounts& counts,
                              Clock::time_point now);
  /// What to write at `now`: live, the line redrawn in place ("\r", the text cut to `columns` - 1,
  /// erase to the end of the line) when it changed and at least kRedrawEvery after the last
  /// redraw; log, a line when none was written for kLogEvery. Empty when nothing is due.
  std::string frame(Clock::time_point now, std::size_t columns);
  /// What erases the live line drawn ("\r", erase to the end of the line), or empty.
  std::string clear();
  /// What the scan is doing and how far it has got at `now`, on one line of printable text.
  std::string text(Clock::time_point now) const;

 private:
  std::string step_text(Clock::time_point now) const;
  std::string counts_text() const;

  Style style_;
  Clock::time_point start_;
  std::size_t objects_ = 0;  // to read
  std::size_t objects_started_ = 0;
  ScanStep step_ = ScanStep::kRead;
  std::string what_;  // printable
  bool stepping_ = false;
  Clock::time_point step_start_;
  std::size_t step_records_ = 0;  // records_read when the step began
  ScanCounts counts_;
  std::string drawn_;  // the live line on the terminal, or empty
  Clock::time_point drawn_at_;
  Clock::time_point logged_at_;
};

/// Shows a scan's progress on a file descriptor (stderr) while it runs: drawn when the scan says
/// something (at most every ProgressLine::kRedrawEvery), and by a thread between, so that the
/// elapsed time moves while the scan waits on an API. The line is erased when the display is
/// destroyed, before anything else is printed.
class ProgressDisplay : public ScanProgress {
 public:
  ProgressDisplay(ProgressLine::Style style, int fd);
  ~ProgressDisplay() override;
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void scan_started(std::size_t objects) override;
  void step_started(ScanStep step, std::string_view what, const ScanCounts& counts) override;
  void advanced(const ScanCounts& counts) override;
  void object_finished(std::string_view object, const ScanCounts& counts) override;

 private:
  void run();
  void measure();
  void draw();
  void put(const std::string& text) const;

  int fd_;
  std::size_t columns_ = 80;  // of the terminal
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  ProgressLine line_;
  std::thread thread_;
};

/// The display `mode` asks for on `fd`, or null: none, or auto when `fd` is not a terminal.
std::unique_ptr<ProgressDisplay> make_progress_display(ProgressMode mode, int fd);

}  // namespace crmscan

// The progress line: what the scan does and how far it has got, formatted and throttled.
#include "crmscan/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>
#include <utf8proc.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crmscan/error.hpp"
#include "crmscan/scrub.hpp"

namespace crmscan {
namespace {

// Names come from outside (file names, a server's object names): never longer than this on the
// line, and scrubbed like any text from outside.
constexpr std::size_t kNameBytes = 60;

// 1234567 as "1,234,567".
std::string grouped(std::uint64_t number) {
  const auto digits = std::to_string(number);
  std::string text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) text += ',';
    text += digits[i];
  }
  return text;
}

// Bytes in SI units, as file managers show them: "850 MB", "3.2 GB".
std::string byte_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "kB", "MB", "GB", "TB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 || value >= 10 ? "%.0f %s" : "%.1f %s", value,
                kUnits[unit]);
  return text;
}

// "0:42", "12:05", "1:02:03".
std::string clock_time(std::chrono::steady_clock::duration elapsed) {
  const auto seconds =
      std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(elapsed).count());
  char text[32];
  if (seconds >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", seconds / 3600, seconds / 60 % 60,
                  seconds % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", seconds / 60, seconds % 60);
  }
  return text;
}

// The longest start of `text` that takes at most `columns` columns on a terminal.
std::string cut_to_columns(const std::string& text, std::size_t columns) {
  std::size_t used = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    utf8proc_int32_t code = 0;
    const auto length =
        utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + at),
                         static_cast<utf8proc_ssize_t>(text.size() - at), &code);
    if (length <= 0) break;  // scrubbed text is valid UTF-8: not reached
    const auto width = static_cast<std::size_t>(std::max(0, utf8proc_charwidth(code)));
    if (used + width > columns) break;
    used += width;
    at += static_cast<std::size_t>(length);
  }
  return text.substr(0, at);
}

std::string_view kind_label(IdentifierKind kind, bool in_text) {
  switch (kind) {
    case IdentifierKind::kEmail:
      return in_text ? "emails in text" : "emails";
    case IdentifierKind::kPhone:
      return in_text ? "phone numbers in text" : "phone numbers";
    case IdentifierKind::kName:
      return "names";
    case IdentifierKind::kId:
      return in_text ? "record ids in text" : "record ids";
  }
  return "identifiers";
}

// "1 record", "1,024 records".
std::string count_of(std::uint64_t number, std::string_view one, std::string_view many) {
  return grouped(number) + " " + std::string(number == 1 ? one : many);
}

}  // namespace

void ObservedLookup::search(IdentifierKind kind, bool in_text,
                            const std::vector<std::string>& terms,
                            const std::vector<std::string>& objects, const RecordSink& on_record,
                            const ProblemSink& on_problem) {
  progress_.step_started(ScanStep::kSearch, kind_label(kind, in_text), counts_());
  inner_.search(
      kind, in_text, terms, objects,
      [&](const Record& record) {
        on_record(record);
        progress_.advanced(counts_());
      },
      on_problem);
  progress_.advanced(counts_());
}

void ObservedLookup::fetch(const std::string& object, const std::string& field,
                           const std::vector<std::string>& ids, const RecordSink& on_record,
                           const ProblemSink& on_problem) {
  progress_.step_started(ScanStep::kFetch, object, counts_());
  inner_.fetch(
      object, field, ids,
      [&](const Record& record) {
        on_record(record);
        progress_.advanced(counts_());
      },
      on_problem);
  progress_.advanced(counts_());
}

ProgressMode parse_progress_mode(std::string_view text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "tty") return ProgressMode::kTty;
  if (text == "plain") return ProgressMode::kPlain;
  if (text == "none") return ProgressMode::kNone;
  throw UsageError("--progress takes auto, tty, plain or none, not '" + printable(text) + "'");
}

void ProgressLine::step_started(ScanStep step, std::string_view what, const ScanCounts& counts,
                                Clock::time_point now) {
  step_ = step;
  what_ = scrub(what, kNameBytes);
  stepping_ = true;
  step_start_ = now;
  step_records_ = counts.records_read;
  counts_ = counts;
  if (step == ScanStep::kRead) ++objects_started_;
}

std::string ProgressLine::object_finished(std::string_view object, const ScanCounts& counts,
                                          Clock::time_point now) {
  counts_ = counts;
  if (style_ != Style::kLog) return "";
  logged_at_ = now;
  std::string line = "crmscan: [" + clock_time(now - start_) + "] " + scrub(object, kNameBytes);
  if (step_ == ScanStep::kRead) {
    line += " read (";
    if (objects_ != 0)
      line += std::to_string(objects_started_) + "/" + std::to_string(objects_) + ", ";
    line += count_of(counts.records_read - step_records_, "record", "records") + ")";
  } else {
    line += " read again";
  }
  return line + " · " + counts_text() + "\n";
}

std::string ProgressLine::counts_text() const {
  std::string text = count_of(counts_.records_read, "record", "records");
  if (counts_.api_calls != 0) text += " · " + count_of(counts_.api_calls, "API call", "API calls");
  return text + " · " + count_of(counts_.findings, "finding", "findings");
}

std::string ProgressLine::step_text(Clock::time_point now) const {
  if (!stepping_) return "starting";  // text() before the first step: no frame shows it
  std::string text;
  std::vector<std::string> details;
  switch (step_) {
    case ScanStep::kRead:
      text = "reading " + what_;
      if (objects_ != 0)
        details.push_back(std::to_string(objects_started_) + "/" + std::to_string(objects_));
      break;
    case ScanStep::kReadAgain:
      text = "reading " + what_ + " again";
      break;
    case ScanStep::kSearch:
      text = "searching for " + what_;
      break;
    case ScanStep::kFetch:
      text = "looking up " + what_;
      break;
    case ScanStep::kFinish:
      return "finishing the report";
  }
  // An estimate only where the connector knows how much there is: never guessed.
  const auto& at = counts_.position;
  if (at.total != 0) {
    const auto done = std::min(at.done, at.total);
    const auto percent = static_cast<unsigned>(done * 100 / at.total);
    details.push_back(at.bytes ? std::to_string(percent) + "% of " + byte_size(at.total)
                               : grouped(done) + " of " + count_of(at.total, "record", "records"));
    const auto spent = now - step_start_;
    if (done != 0 && done < at.total && spent >= std::chrono::seconds(2)) {
      const auto left = spent * static_cast<double>(at.total - done) / static_cast<double>(done);
      details.push_back("~" + clock_time(std::chrono::duration_cast<Clock::duration>(left)) +
                        " left");
    }
  }
  if (!details.empty()) {
    text += " (";
    for (std::size_t i = 0; i < details.size(); ++i) text += (i ? ", " : "") + details[i];
    text += ")";
  }
  return text;
}

std::string ProgressLine::text(Clock::time_point now) const {
  return "crmscan: [" + clock_time(now - start_) + "] " + step_text(now) + " · " + counts_text();
}

std::string ProgressLine::frame(Clock::time_point now, std::size_t columns) {
  if (style_ == Style::kLog) {
    if (!stepping_ || now - logged_at_ < kLogEvery) return "";
    logged_at_ = now;
    return text(now) + "\n";
  }
  // Nothing to say before the first step; then redrawn at most every kRedrawEvery.
  if (!stepping_ || (!drawn_.empty() && now - drawn_at_ < kRedrawEvery)) return "";
  // One column spare: a line that fills the last column wraps on some terminals.
  const auto line = cut_to_columns(text(now), columns > 1 ? columns - 1 : 1);
  if (line == drawn_) return "";
  drawn_ = line;
  drawn_at_ = now;
  return "\r" + line + "\x1b[K";
}

std::string ProgressLine::clear() {
  if (drawn_.empty()) return "";
  drawn_.clear();
  return "\r\x1b[K";
}

ProgressDisplay::ProgressDisplay(ProgressLine::Style style, int fd)
    : fd_(fd), line_(style, ProgressLine::Clock::now()) {
  measure();
  thread_ = std::thread([this] { run(); });
}

ProgressDisplay::~ProgressDisplay() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  put(line_.clear());
}

void ProgressDisplay::scan_started(std::size_t objects) {
  const std::lock_guard lock(mutex_);
  line_.scan_started(objects);
}

void ProgressDisplay::step_started(ScanStep step, std::string_view what, const ScanCounts& counts) {
  const std::lock_guard lock(mutex_);
  line_.step_started(step, what, counts, ProgressLine::Clock::now());
  draw();
}

void ProgressDisplay::advanced(const ScanCounts& counts) {
  const std::lock_guard lock(mutex_);
  line_.advanced(counts);
  draw();
}

void ProgressDisplay::object_finished(std::string_view object, const ScanCounts& counts) {
  const std::lock_guard lock(mutex_);
  put(line_.object_finished(object, counts, ProgressLine::Clock::now()));
}

// Between the scan's calls, the thread redraws every kRedrawEvery (the elapsed time moves while an
// API keeps the scan waiting), and follows the terminal's width.
void ProgressDisplay::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, ProgressLine::kRedrawEvery, [this] { return stop_; })) {
    measure();
    draw();
  }
}

void ProgressDisplay::measure() {
  winsize size{};
  if (::ioctl(fd_, TIOCGWINSZ, &size) == 0 && size.ws_col != 0) columns_ = size.ws_col;
}

// Under the lock: the line decides whether anything is due, and what is written comes out whole
// and in order.
void ProgressDisplay::draw() {
  put(line_.frame(ProgressLine::Clock::now(), columns_));
}

void ProgressDisplay::put(const std::string& text) const {
  for (std::size_t written = 0; written < text.size();) {
    const auto n = ::write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // progress is no reason to stop a scan
    written += static_cast<std::size_t>(n);
  }
}

std::unique_ptr<ProgressDisplay> make_progress_display(ProgressMode mode, int fd) {
  switch (mode) {
    case ProgressMode::kNone:
      return nullptr;
    case ProgressMode::kAuto: {
      // A terminal that cannot erase a line (TERM=dumb) would collect every redraw.
      const char* term = std::getenv("TERM");
      if (::isatty(fd) == 0 || (term != nullptr && std::strcmp(term, "dumb") == 0)) return nullptr;
      return std::make_unique<ProgressDisplay>(ProgressLine::Style::kLive, fd);
    }
    case ProgressMode::kTty:
      return std::make_unique<ProgressDisplay>(ProgressLine::Style::kLive, fd);
    case ProgressMode::kPlain:
      return std::make_unique<ProgressDisplay>(ProgressLine::Style::kLog, fd);
  }
  return nullptr;
}

}  // namespace crmscan

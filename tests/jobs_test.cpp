// `--jobs`: records searched on several threads and decided on one, in the order read, give the
// reports that one thread gives, byte for byte (run times and per-run keyed hashes aside).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/normalize.hpp"
#include "scan/record_pipeline.hpp"
#include "support.hpp"

namespace {

using crmscan::test::CommandResult;
using crmscan::test::TempDir;

// A report's text without what differs from run to run: times and keyed hashes.
std::string without_run(const std::string& text) {
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  static const std::regex kHash(R"([0-9a-f]{64})");
  static const std::regex kDuration(R"("duration_seconds": ?[0-9.e+-]+)");
  return std::regex_replace(
      std::regex_replace(std::regex_replace(text, kTime, "TIME"), kHash, "HASH"), kDuration,
      "DURATION");
}

// Scans with 1 and with 4 threads, and with the threads crmscan picks (used while the cores hand
// data over quickly, measured again as it reads); every report file must be the same.
void require_same_reports(std::vector<std::string> args, const TempDir& scratch) {
  std::vector<std::string> folders;
  for (const std::string jobs : {"1", "4", ""}) {
    const auto out = scratch / ("jobs-" + (jobs.empty() ? std::string("default") : jobs));
    auto run = args;
    run.insert(run.end(), {"--format", "json,ndjson,csv,html", "--out", out});
    if (!jobs.empty()) run.insert(run.end(), {"--jobs", jobs});
    const auto result = crmscan::test::run_crmscan(run, scratch);
    INFO(result.err);
    REQUIRE((result.exit_code == 0 || result.exit_code == 1));
    folders.push_back(out);
  }
  std::size_t compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folders[0])) {
    const auto name = entry.path().filename().string();
    INFO(name);
    for (std::size_t other_run = 1; other_run < folders.size(); ++other_run) {
      INFO(folders[other_run]);
      const auto other = std::filesystem::path(folders[other_run]) / name;
      REQUIRE(std::filesystem::exists(other));
      CHECK(without_run(crmscan::test::read_file(entry.path().string())) ==
            without_run(crmscan::test::read_file(other.string())));
    }
    ++compared;
  }
  CHECK(compared >= 5);  // findings .json .ndjson .csv, report.html, values.json
}

std::string id18(const std::string& prefix, int number) {
  auto digits = std::to_string(number);
  digits.insert(0, 15 - prefix.size() - digits.size(), '0');
  return crmscan::salesforce_id18(prefix + digits);
}

std::string csv_quoted(const std::string& value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

// A Salesforce export of 3,000 call Tasks: the subject's by WhoId, by the number in the Subject,
// by the email in a multi-line quoted Description, by the call's key alone (a Task read long
// before the one that reveals the key); strangers' alike. Multi-line quoted values sit on every
// side of the reader's batches of 512 records.
void write_export(const std::string& folder) {
  std::filesystem::create_directories(folder);
  std::string contacts =
      "Id,AccountId,FirstName,LastName,Email,Phone,MobilePhone,IsPersonAccount\n";
  contacts +=
      id18("0035g", 1) + ",,Am\xC3\xA9lie,Dubois,amelie.dubois@example.fr,020 7946 0958,,false\n";
  for (int i = 2; i < 600; ++i) {
    contacts += id18("0035g", i) + ",,Person" + std::to_string(i) + ",Stranger,person" +
                std::to_string(i) + "@example.org,+33 1 23 45 " + std::to_string(10 + i % 90) +
                " " + std::to_string(10 + i / 90) + ",,false\n";
  }
  crmscan::test::write_file(folder + "/Contact.csv", contacts);
  std::string tasks = "Id,WhoId,Subject,Description,CallObject,IsDeleted\n";
  for (int i = 1; i <= 3000; ++i) {
    const bool near_batch_edge = i % 512 >= 505 || i % 512 <= 6;
    const std::string who = i % 7 == 0 ? id18("0035g", 1) : id18("0035g", 2 + i % 598);
    const std::string subject =
        i % 11 == 0 ? "Call from 020 7946 0958" : "Call " + std::to_string(i);
    std::string description = "Notes for call " + std::to_string(i);
    if (near_batch_edge) {
      description = "First line, with a comma\n\"Email me at " +
                    std::string(i % 2 == 0 ? "amelie.dubois@example.fr" : "someone@example.net") +
                    "\", she said\r\nthird line";
    }
    const std::string call =
        i == 40 || i == 2090 ? "5f0c1b9e-8d2a-4c7e-9b1f-3a6d2e8c4b10" : "call-" + std::to_string(i);
    const std::string call_subject = i == 2090 ? "Callback to 020 7946 0958" : subject;
    tasks += id18("00T5g", i) + "," + (i == 40 || i == 2090 ? "" : who) + "," +
             csv_quoted(call_subject) + "," + csv_quoted(description) + "," + call + ",false\n";
  }
  crmscan::test::write_file(folder + "/Task.csv", tasks);
}

// The pipeline tests' decision: each record must come with its own preparation ("prepared " and
// its id); the ids are kept in the order decided.
crmscan::scanning::RecordPipeline::Consume keep_decided(std::vector<std::string>& decided) {
  return
      [&decided](const crmscan::Record& record, const crmscan::scanning::PreparedRecord& prepared) {
        CHECK(prepared.key == "prepared " + record.id);
        decided.push_back(record.id);
      };
}

}  // namespace

TEST_CASE("Four threads (--jobs 4) write the reports one writes, for every sample", "[jobs]") {
  const std::vector<std::pair<std::string, std::string>> samples = {
      {"samples/salesforce-export", "samples/salesforce-expected/subjects.csv"},
      {"samples/dynamics365", "samples/dynamics365-expected/subjects.csv"},
      {"samples/hubspot", "samples/hubspot-expected/subjects.csv"},
      {"samples/crm-lite", "samples/crm-lite-expected/subjects.yaml"}};
  for (const auto& [input, subjects] : samples) {
    INFO(input);
    const TempDir run;
    require_same_reports({"scan", "--input", crmscan::test::source_path(input), "--subjects",
                          crmscan::test::source_path(subjects), "--default-region", "GB"},
                         run);
  }
}

TEST_CASE("Four threads write the reports one writes for an export with multi-line values",
          "[jobs]") {
  const TempDir scratch;
  write_export(scratch / "export");
  crmscan::test::write_file(scratch / "subjects.csv",
                            "request_id,email,phone,name\n"
                            "REQ-1,amelie.dubois@example.fr,+44 20 7946 0958,Am\xC3\xA9lie Dubois\n"
                            "REQ-2,person42@example.org,,\n");
  const std::vector<std::string> args = {"scan",
                                         "--input",
                                         scratch / "export",
                                         "--subjects",
                                         scratch / "subjects.csv",
                                         "--default-region",
                                         "GB"};
  require_same_reports(args, scratch);
  // The reports compared hold what the test is about: a Task found only by its multi-line
  // Description across a batch edge, and the Task found only by the call's key, read before it.
  const auto findings = crmscan::test::read_csv_file(scratch / "jobs-4/findings.csv");
  const auto has = [&](const std::string& record_id) {
    for (const auto& row : findings) {
      for (const auto& value : row) {
        if (value == record_id) return true;
      }
    }
    return false;
  };
  CHECK(findings.size() > 400);
  CHECK(has(id18("00T5g", 512)));  // the email in a multi-line Description
  CHECK(has(id18("00T5g", 1024)));
  CHECK(has(id18("00T5g", 40)));         // the call's key alone
  CHECK_FALSE(has(id18("00T5g", 513)));  // a stranger's email in the same place
}

TEST_CASE("Without --jobs a scan has the cores' threads, at most four", "[jobs]") {
  const auto cores = std::max(1u, std::thread::hardware_concurrency());
  CHECK(crmscan::default_jobs() == std::min<std::size_t>(cores, 4));
}

TEST_CASE("Whether the workers answer quickly is measured idle or busy, and they go on after",
          "[jobs]") {
  using crmscan::scanning::PhoneFilterSnapshot;
  using crmscan::scanning::PreparedRecord;
  using crmscan::scanning::RecordPipeline;
  const auto schema = std::make_shared<crmscan::ObjectSchema>();
  schema->object = "Task";
  for (const std::size_t workers : {0, 1, 3}) {
    INFO(workers);
    std::vector<std::string> decided;
    RecordPipeline pipeline(
        workers,
        [](std::size_t, const crmscan::Record& record, const PhoneFilterSnapshot&,
           PreparedRecord& into) { into.key = "prepared " + record.id; },
        [] { return PhoneFilterSnapshot{}; }, keep_decided(decided));
    // Before anything was read, then with batches in flight, twice in a row, and at the end.
    crmscan::Record record;
    record.schema = schema;
    std::size_t measured = 0;
    const auto measure = [&] {
      const bool quick = pipeline.workers_answer_quickly();
      if (workers == 0) CHECK_FALSE(quick);  // no worker: nothing to hand over to
      ++measured;
    };
    measure();
    for (int i = 0; i < 1500; ++i) {
      record.id = std::to_string(i);
      pipeline.push(record);
      if (i == 700 || i == 701) measure();
    }
    measure();
    pipeline.finish();
    CHECK(measured == 4);
    REQUIRE(decided.size() == 1500);
    for (std::size_t i = 0; i < decided.size(); ++i) CHECK(decided[i] == std::to_string(i));
  }
}

TEST_CASE("When the workers fall behind, the reading thread prepares batches itself, in order",
          "[jobs]") {
  using crmscan::scanning::PhoneFilterSnapshot;
  using crmscan::scanning::PreparedRecord;
  using crmscan::scanning::RecordPipeline;
  constexpr std::size_t kWorkers = 1;
  constexpr std::size_t kRecords = 2000;  // many batches
  // The worker's first record waits until the reading thread has prepared one itself (or, if it
  // only ever waits for the worker, for two seconds: then the test fails, and ends).
  std::mutex mutex;
  std::condition_variable prepared_by_reader;
  std::size_t by_reader = 0, by_worker = 0;
  std::vector<std::string> decided;
  const auto schema = std::make_shared<crmscan::ObjectSchema>();
  schema->object = "Task";
  {
    RecordPipeline pipeline(
        kWorkers,
        [&](std::size_t worker, const crmscan::Record& record, const PhoneFilterSnapshot&,
            PreparedRecord& into) {
          std::unique_lock<std::mutex> lock(mutex);
          if (worker < kWorkers) {
            if (by_worker++ == 0)
              prepared_by_reader.wait_for(lock, std::chrono::seconds(2),
                                          [&] { return by_reader > 0; });
          } else {
            ++by_reader;
            prepared_by_reader.notify_all();
          }
          into.key = "prepared " + record.id;
        },
        [] { return PhoneFilterSnapshot{}; }, keep_decided(decided));
    crmscan::Record record;
    record.schema = schema;
    for (std::size_t i = 0; i < kRecords; ++i) {
      record.id = std::to_string(i);
      pipeline.push(record);
    }
    pipeline.finish();
  }
  REQUIRE(decided.size() == kRecords);
  for (std::size_t i = 0; i < kRecords; ++i) CHECK(decided[i] == std::to_string(i));
  CHECK(by_reader > 0);
  CHECK(by_reader + by_worker == kRecords);
}

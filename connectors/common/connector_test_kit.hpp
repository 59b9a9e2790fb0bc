#pragma once

// The connector test kit: what every connector's tests share — the sample's rules and requests,
// the scan of its export by the file connector that a live connector must equal, the comparison
// of two reports, credentials in the environment for one test, HTTP options that record waits
// instead of sleeping. Header-only, for Catch2 test programs: each includes it once and defines
// CRMSCAN_SOURCE_DIR.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "crmscan/connector.hpp"
#include "crmscan/csv_reader.hpp"
#include "crmscan/engine.hpp"
#include "crmscan/http.hpp"

namespace crmscan::testkit {

inline const std::string kSource = CRMSCAN_SOURCE_DIR;

/// What identifies a finding when two scans are compared: request, object, record, field, action.
using FindingKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;

inline std::set<FindingKey> keys_of(const Report& report) {
  std::set<FindingKey> keys;
  for (const auto& f : report.findings)
    keys.insert({f.request_id, f.object, f.record_id, f.field, std::string(to_string(f.action))});
  return keys;
}

/// Whether the report has a finding on that record.
inline bool found(const Report& report, const std::string& object, const std::string& id) {
  return std::any_of(report.findings.begin(), report.findings.end(),
                     [&](const Finding& f) { return f.object == object && f.record_id == id; });
}

/// What one report has ("+") and the other lacks ("-"), a line a finding, for a failure message.
inline std::string difference(const Report& actual, const Report& expected) {
  const auto a = keys_of(actual), e = keys_of(expected);
  std::string text;
  const auto show = [&text](const char* sign, const FindingKey& k) {
    text += std::string(sign) + " " + std::get<0>(k) + " " + std::get<1>(k) + " " + std::get<2>(k) +
            " " + std::get<3>(k) + " " + std::get<4>(k) + "\n";
  };
  for (const auto& k : a)
    if (e.count(k) == 0) show("+", k);
  for (const auto& k : e)
    if (a.count(k) == 0) show("-", k);
  return text;
}

/// The report's errors, a line each with its object.
inline std::string errors_of(const Report& report) {
  std::string text;
  for (const auto& e : report.errors) text += e.object + ": " + e.message + "\n";
  return text;
}

/// The rows of a CSV file after its header.
inline std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  CsvReader reader(in);
  std::vector<std::string> row;
  std::vector<std::vector<std::string>> rows;
  reader.next(row);  // the header
  while (reader.next(row)) rows.push_back(row);
  return rows;
}

/// The rule packs of a CRM (rules/CRM), loaded once.
inline const RuleSet& rules_of(const std::string& crm) {
  static std::map<std::string, RuleSet> loaded;
  if (const auto found = loaded.find(crm); found != loaded.end()) return found->second;
  return loaded.emplace(crm, RuleSet::load({kSource + "/rules/" + crm})).first->second;
}

/// The requests of a sample (samples/SAMPLE-expected/subjects.csv or .yaml, default region GB),
/// loaded once.
inline const SubjectSet& sample_subjects(const std::string& sample) {
  static std::map<std::string, SubjectSet> loaded;
  if (const auto found = loaded.find(sample); found != loaded.end()) return found->second;
  const auto csv = kSource + "/samples/" + sample + "-expected/subjects.csv";
  const auto file = std::filesystem::exists(csv) ? csv : csv.substr(0, csv.size() - 3) + "yaml";
  return loaded.emplace(sample, SubjectSet(load_subjects_file(file), "GB")).first->second;
}

/// A sample's export (samples/FOLDER) scanned by the file connector with the CRM's rules and
/// the sample's requests, once: what the live connector must find too.
inline const Report& file_report(const std::string& folder, const std::string& crm,
                                 const std::string& sample) {
  static std::map<std::string, Report> scanned;
  if (const auto found = scanned.find(folder); found != scanned.end()) return found->second;
  auto connector =
      create_connector("file", {{"input", kSource + "/samples/" + folder}, {"crm", crm}});
  return scanned.emplace(folder, run_scan(*connector, rules_of(crm), sample_subjects(sample), {}))
      .first->second;
}

/// A CRM's sample: its rules, its requests and its export, and the scan of that export by the
/// file connector that a live connector must equal.
struct Sample {
  std::string crm;       ///< the rules: rules/CRM
  std::string folder;    ///< the export: samples/FOLDER
  std::string requests;  ///< the requests: samples/REQUESTS-expected/subjects.csv or .yaml
  const RuleSet& rules() const { return rules_of(crm); }
  const SubjectSet& subjects() const { return sample_subjects(requests); }
  const Report& file_report() const { return testkit::file_report(folder, crm, requests); }
  /// Requires a live scan of the sample to be complete and checks that it finds what the file
  /// scan finds (its errors, and what differs, in the failure message).
  void require_same_as_file(const Report& live) const {
    INFO(errors_of(live));
    REQUIRE(live.complete());
    INFO(difference(live, file_report()));
    CHECK(keys_of(live) == keys_of(file_report()));
  }
};

/// Environment variables for one test: `cleared` (and their _FILE forms) are taken away, the
/// values set; all of them are taken away again after it.
class Environment {
 public:
  Environment(std::vector<std::string> cleared,
              std::initializer_list<std::pair<std::string, std::string>> values)
      : names_(std::move(cleared)) {
    for (const auto& name : std::vector<std::string>(names_)) names_.push_back(name + "_FILE");
    for (const auto& name : names_) unsetenv(name.c_str());
    for (const auto& [name, value] : values) {
      setenv(name.c_str(), value.c_str(), 1);
      names_.push_back(name);
    }
  }
  ~Environment() {
    for (const auto& name : names_) unsetenv(name.c_str());
  }
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  Environment(Environment&&) = default;

 private:
  std::vector<std::string> names_;
};

/// HTTP options whose waits are recorded in `waits` (when given) instead of slept.
inline HttpOptions no_waiting(std::vector<std::chrono::milliseconds>* waits = nullptr) {
  HttpOptions options;
  options.sleep = [waits](std::chrono::milliseconds wait) {
    if (waits != nullptr) waits->push_back(wait);
  };
  return options;
}

/// A configuration with every option of the descriptor at its default, then `overrides`.
inline ConnectorConfig defaults_of(const ConnectorDescriptor& descriptor,
                                   const ConnectorConfig& overrides) {
  ConnectorConfig config;
  for (const auto& option : descriptor.options) config[option.key] = option.default_value;
  for (const auto& [key, value] : overrides) config[key] = value;
  return config;
}

}  // namespace crmscan::testkit

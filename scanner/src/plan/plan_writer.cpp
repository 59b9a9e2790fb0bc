// crmscan plan: a report's findings as ordered steps that the CRM's own tools load.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cctype>
#include <cstdio>
#include <filesystem>

#include "crmscan/error.hpp"
#include "crmscan/plan.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/request_values.hpp"
#include "crmscan/text.hpp"
#include "erasure.hpp"
#include "report/json_support.hpp"
#include "report_decisions.hpp"

namespace fs = std::filesystem;

namespace crmscan {
namespace {

// The rule packs: those given, or those the report names.
RuleSet load_rules(const PlanOptions& options, const SavedReport& report,
                   std::vector<std::string>& notes) {
  auto paths = options.rules;
  if (paths.empty()) {
    for (const auto& pack : report.packs) {
      if (!fs::is_regular_file(pack.path))
        throw MissingInputError("rule pack " + pack.path + " named by " + report.path +
                                " is not there; give --rules");
      paths.push_back(pack.path);
    }
  }
  auto rules = paths.empty() ? RuleSet() : RuleSet::load(paths);
  for (const auto& pack : rules.packs()) {
    for (const auto& named : report.packs) {
      if (named.id == pack.id && !named.sha256.empty() && named.sha256 != pack.sha256)
        notes.push_back("rule pack " + pack.id +
                        " has changed since the scan: the order follows it as it is now");
    }
  }
  return rules;
}

std::unique_ptr<plan::StepFormat> format_for(const std::string& crm, const RuleSet& rules) {
  if (crm == "dynamics365") return plan::dataverse_step_format(rules);
  if (crm == "hubspot") return plan::hubspot_step_format();
  return plan::csv_step_format();
}

std::string id_field(const RuleSet& rules, const std::string& object) {
  for (const auto* object_rules : rules.rules_for(object)) {
    if (!object_rules->id_field.empty()) return object_rules->id_field;
  }
  return "Id";
}

std::string file_stem(const std::string& object) {
  std::string stem;
  for (const char c : object)
    stem += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ? c : '-';
  return stem;
}

// The steps and their files, numbered in order.
class Steps {
 public:
  void add(const std::string& crm, const std::string& object, plan::StepFile file) {
    PlanStep step;
    step.step = steps_.size() + 1;
    step.crm = crm;
    step.object = object;
    step.operation = file.operation;
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02zu", step.step);
    step.file =
        std::string(prefix) + "-" + file_stem(object) + "-" + file.operation + "." + file.extension;
    step.records = file.records;
    step.sha256 = sha256_hex(file.content);
    step.method = file.method;
    step.path = file.path;
    step.content_type = file.content_type;
    files_.emplace_back(step.file, std::move(file.content));
    steps_.push_back(std::move(step));
  }
  std::vector<PlanStep>& steps() { return steps_; }
  const std::vector<std::pair<std::string, std::string>>& files() const { return files_; }

 private:
  std::vector<PlanStep> steps_;
  std::vector<std::pair<std::string, std::string>> files_;  // name, content
};

// A cell of review.csv, which a person opens in a spreadsheet: formulas are defused.
std::string review_cell(const std::string& value) {
  std::string cell = value;
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
    cell.insert(0, "'");
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

// review.csv: what a person decides, never in a step.
std::string review_csv(const plan::Erasure& erasure) {
  std::string csv =
      "request_id,fingerprint,object,record_id,field,category,reason,rule,preview,detail,note\r\n";
  for (const auto& row : erasure.review) {
    const auto& f = *row.finding;
    for (const auto* cell : {&f.request_id, &f.fingerprint, &f.object, &f.record_id, &f.field,
                             &f.category, &f.reason, &f.rule, &f.preview, &f.detail}) {
      csv += review_cell(*cell) + ",";
    }
    csv += review_cell(row.note) + "\r\n";
  }
  return csv;
}

template <typename Writer>
void write_step(Writer& w, const PlanStep& step) {
  using json_report::write_string;
  w.StartObject();
  w.Key("step");
  w.Uint64(step.step);
  write_string(w, "crm", step.crm);
  write_string(w, "object", step.object);
  write_string(w, "operation", step.operation);
  write_string(w, "file", step.file);
  w.Key("records");
  w.Uint64(step.records);
  write_string(w, "sha256", step.sha256);
  if (!step.method.empty()) {
    w.Key("request");
    w.StartObject();
    write_string(w, "method", step.method);
    write_string(w, "path", step.path);
    write_string(w, "content_type", step.content_type);
    w.EndObject();
  }
  w.EndObject();
}

std::string plan_json(const SavedReport& report, const std::string& crm, const PlanResult& result) {
  using json_report::write_string;
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  write_string(w, "plan", "crmscan erasure plan");
  w.Key("version");
  w.Uint(1);
  write_string(w, "created", utc_now());
  w.Key("executed");
  w.Bool(false);
  w.Key("report");
  w.StartObject();
  write_string(w, "path", report.path);
  write_string(w, "sha256", report.sha256);
  w.Key("complete");
  w.Bool(report.complete);
  w.EndObject();
  write_string(w, "crm", crm);
  w.Key("requests");
  w.StartArray();
  for (const auto& id : report.request_ids) {
    w.StartObject();
    write_string(w, "request_id", id);
    if (const auto record = report.request_records.find(id);
        record != report.request_records.end()) {
      for (const auto& [key, text] : record->second.fields()) {
        if (!text->empty()) write_string(w, key, *text);
      }
    }
    w.EndObject();
  }
  w.EndArray();
  if (!report.decisions.empty()) {
    w.Key("decisions");
    w.StartObject();
    write_string(w, "file", report.decisions.path);
    write_string(w, "sha256", report.decisions.sha256);
    w.Key("left_out");
    w.Uint64(report.decisions.by_fingerprint.size());
    w.EndObject();
  }
  w.Key("steps");
  w.StartArray();
  for (const auto& step : result.steps) write_step(w, step);
  w.EndArray();
  w.Key("review");
  w.StartObject();
  write_string(w, "file", "review.csv");
  w.Key("records");
  w.Uint64(result.review);
  w.EndObject();
  w.Key("notes");
  w.StartArray();
  for (const auto& note : result.notes) json_report::put_string(w, note);
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

// The erased texts by fingerprint, from the private values file.
std::map<std::string, std::string> erased_texts(const std::string& values_path) {
  std::map<std::string, std::string> texts;
  if (!fs::exists(values_path)) return texts;
  for (auto& text : RequestValues::load(values_path).texts)
    texts[text.fingerprint] = std::move(text.text);
  return texts;
}

}  // namespace

PlanResult write_plan(const PlanOptions& options) {
  auto report = read_report(options.report);
  PlanResult result;
  leave_out_decided(report, options.decisions, result.notes, result.warnings);
  result.complete = report.complete;
  if (!report.complete)
    result.notes.push_back("the report's scan was not complete: neither is this plan");
  const auto rules = load_rules(options, report, result.notes);
  auto crm = report.crm;
  if (crm.empty() && !rules.packs().empty()) crm = rules.packs().front().crm;
  const auto format = format_for(crm, rules);

  plan::ErasureInputs inputs;
  inputs.rules = &rules;
  inputs.format = format.get();
  inputs.blank_text = options.blank_text;
  inputs.values_path = !options.values.empty()
                           ? options.values
                           : (fs::path(report.path).parent_path() / "values.json").string();
  inputs.erased_texts = erased_texts(inputs.values_path);
  auto erasure = plan::plan_erasure(report, inputs);
  result.notes.insert(result.notes.end(), erasure.notes.begin(), erasure.notes.end());

  // Content first: the Tasks that hold the call identifiers are deleted later.
  Steps steps;
  if (!erasure.content.empty())
    steps.add("vcc", "Interaction", plan::content_step_file(erasure.content));
  for (const auto& group : erasure.groups) {
    for (auto& file : format->files(group, id_field(rules, group.object)))
      steps.add(crm, group.object, std::move(file));
  }
  result.steps = std::move(steps.steps());
  result.review = erasure.review.size();

  OutputFolder folder(options.out);
  const auto stage = [&folder](const std::string& name, const std::string& content) {
    folder.check_target(name);
    folder.stage(name, [&content](std::ostream& out) { out << content; });
  };
  for (const auto& [name, content] : steps.files()) stage(name, content);
  stage("review.csv", review_csv(erasure));
  stage("plan.json", plan_json(report, crm, result));
  folder.commit();
  return result;
}

}  // namespace crmscan

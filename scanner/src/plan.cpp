// crmscan plan: a report's findings as ordered steps that the CRM's own tools load.
#include "crmscan/plan.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

#include "crmscan/error.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/request_values.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "report_decisions.hpp"

namespace fs = std::filesystem;

namespace crmscan {
namespace {

std::string get_string(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  const auto found = object.FindMember(key);
  return found != object.MemberEnd() && found->value.IsString()
             ? std::string(found->value.GetString(), found->value.GetStringLength())
             : std::string();
}

bool get_bool(const rapidjson::Value& object, const char* key) {
  const auto found = object.FindMember(key);
  return found != object.MemberEnd() && found->value.IsBool() && found->value.GetBool();
}

Action parse_action(const std::string& text, const std::string& where) {
  for (const auto action :
       {Action::kDeleteRecord, Action::kEraseField, Action::kDeleteContent, Action::kReview}) {
    if (to_string(action) == text) return action;
  }
  throw DataError(where + ": unknown action '" + text + "'");
}

// A cell of a file that Data Loader and the sf CLI load: quoted when it must be, and never
// altered otherwise (a quote prefix against spreadsheet formulas would be loaded into the CRM).
std::string load_cell(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

std::string review_cell(const std::string& value) {
  std::string cell = value;
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos)
    cell.insert(0, "'");
  return load_cell(cell);
}

// One record of the plan, with everything its findings ask for.
struct PlannedRecord {
  std::string object;
  std::string id;
  bool remove = false;
  bool recycle_bin = false;                    // already deleted: only a hard delete is left
  std::map<std::string, std::string> updates;  // field → new value ("#N/A": blank)
  std::set<std::string> requests;
};

using RecordKey = std::pair<std::string, std::string>;  // object, id key

// Object order: `before[a]` holds the objects whose records must be deleted after a's.
class ObjectOrder {
 public:
  void add_node(const std::string& object) { before_[object]; }
  // A reference that the CRM may refuse a delete for: always kept.
  void add_strong(const std::string& child, const std::string& parent) {
    if (child == parent || !before_.count(child) || !before_.count(parent)) return;
    before_[child].insert(parent);
  }
  // A forward link (Lead → converted Contact): kept unless it would close a cycle.
  void add_weak(const std::string& from, const std::string& to) {
    if (from == to || !before_.count(from) || !before_.count(to) || reaches(to, from)) return;
    before_[from].insert(to);
  }
  // Children first; ties by name. Objects on a cycle of references come in name order, noted.
  std::vector<std::string> sorted(std::vector<std::string>& notes) const {
    std::map<std::string, std::size_t> incoming;
    for (const auto& [object, afters] : before_) {
      incoming[object];
      for (const auto& after : afters) ++incoming[after];
    }
    std::vector<std::string> order;
    std::set<std::string> done;
    while (order.size() < before_.size()) {
      std::string next;
      for (const auto& [object, count] : incoming) {
        if (count == 0 && !done.count(object)) {
          next = object;
          break;
        }
      }
      if (next.empty()) {
        for (const auto& [object, count] : incoming) {
          if (!done.count(object)) {
            next = object;
            break;
          }
        }
        notes.push_back(next +
                        " is on a cycle of references among the objects to delete: its "
                        "step may be refused until the others' run (run it again then)");
      }
      done.insert(next);
      order.push_back(next);
      for (const auto& after : before_.at(next)) {
        if (incoming[after] > 0) --incoming[after];
      }
    }
    return order;
  }

 private:
  bool reaches(const std::string& from, const std::string& to) const {
    std::set<std::string> seen;
    std::vector<std::string> stack{from};
    while (!stack.empty()) {
      const auto at = stack.back();
      stack.pop_back();
      if (at == to) return true;
      if (!seen.insert(at).second) continue;
      for (const auto& next : before_.at(at)) stack.push_back(next);
    }
    return false;
  }
  std::map<std::string, std::set<std::string>> before_;
};

std::string file_stem(const std::string& object) {
  std::string stem;
  for (const char c : object)
    stem += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ? c : '-';
  return stem;
}

}  // namespace

SavedReport read_report(const std::string& path) {
  auto file = fs::path(path);
  if (fs::is_directory(file)) file /= "findings.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw MissingInputError(file.string() + ": no such report (findings.json)");
  std::stringstream content;
  content << in.rdbuf();
  const auto bytes = content.str();
  rapidjson::Document document;
  document.Parse(bytes.c_str(), bytes.size());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("metadata") ||
      !document.HasMember("findings") || !document["findings"].IsArray() ||
      !document["metadata"].IsObject())
    throw DataError(file.string() + ": not a crmscan JSON report");
  SavedReport report;
  report.path = file.string();
  report.sha256 = sha256_hex(bytes);
  const auto& metadata = document["metadata"];
  report.connector = get_string(metadata, "connector");
  report.crm = get_string(metadata, "crm");
  report.source = get_string(metadata, "source");
  report.complete = get_bool(document, "complete");
  decisions_source_from_json(metadata, report.decisions);
  if (const auto packs = metadata.FindMember("rule_packs");
      packs != metadata.MemberEnd() && packs->value.IsArray()) {
    for (const auto& pack : packs->value.GetArray()) {
      report.packs.push_back({get_string(pack, "id"), get_string(pack, "version"),
                              get_string(pack, "path"), get_string(pack, "sha256")});
    }
  }
  if (const auto ids = metadata.FindMember("requests");
      ids != metadata.MemberEnd() && ids->value.IsArray()) {
    for (const auto& id : ids->value.GetArray()) {
      if (id.IsString()) report.request_ids.emplace_back(id.GetString(), id.GetStringLength());
    }
  }
  if (const auto requests = std::as_const(document).FindMember("requests");
      requests != std::as_const(document).MemberEnd() && requests->value.IsArray()) {
    for (const auto& request : requests->value.GetArray()) {
      if (auto record = request_record_from_json(request); !record.empty())
        report.request_records[get_string(request, "request_id")] = std::move(record);
      auto& hashes = report.identifier_hashes[get_string(request, "request_id")];
      const auto identifiers = request.FindMember("identifiers");
      if (identifiers == request.MemberEnd() || !identifiers->value.IsArray()) continue;
      for (const auto& identifier : identifiers->value.GetArray())
        hashes.push_back(get_string(identifier, "hash"));
    }
  }
  std::size_t index = 0;
  for (const auto& item : document["findings"].GetArray()) {
    const auto where = file.string() + ": finding " + std::to_string(++index);
    if (!item.IsObject()) throw DataError(where + " is not an object");
    Finding f;
    f.fingerprint = get_string(item, "fingerprint");
    f.request_id = get_string(item, "request_id");
    f.connector = get_string(item, "connector");
    f.object = get_string(item, "object");
    f.record_id = get_string(item, "record_id");
    f.field = get_string(item, "field");
    f.category = get_string(item, "category");
    f.action = parse_action(get_string(item, "action"), where);
    if (const auto why = item.FindMember("why"); why != item.MemberEnd() && why->value.IsObject()) {
      f.reason = get_string(why->value, "reason");
      f.rule = get_string(why->value, "rule");
      f.detail = get_string(why->value, "detail");
      if (const auto via = why->value.FindMember("via");
          via != why->value.MemberEnd() && via->value.IsObject()) {
        f.via_object = get_string(via->value, "object");
        f.via_record_id = get_string(via->value, "record_id");
      }
    }
    f.confidence = get_string(item, "confidence");
    f.archived = get_bool(item, "archived");
    f.deleted = get_bool(item, "deleted");
    f.location = get_string(item, "location");
    f.preview = get_string(item, "preview");
    if (f.object.empty()) throw DataError(where + " has no object");
    if (auto decision = decision_from_json(item, f.fingerprint, where))
      report.decisions.by_fingerprint[f.fingerprint] = std::move(*decision);
    report.findings.push_back(std::move(f));
  }
  return report;
}

PlanResult write_plan(const PlanOptions& options) {
  auto report = read_report(options.report);
  PlanResult result;
  leave_out_decided(report, options.decisions, result.notes, result.warnings);
  result.complete = report.complete;
  if (!report.complete)
    result.notes.push_back("the report's scan was not complete: neither is this plan");

  // The rule packs: those the report names, unless given.
  auto rule_paths = options.rules;
  if (rule_paths.empty()) {
    for (const auto& pack : report.packs) {
      if (!fs::is_regular_file(pack.path))
        throw MissingInputError("rule pack " + pack.path + " named by " + report.path +
                                " is not there; give --rules");
      rule_paths.push_back(pack.path);
    }
  }
  const auto rules = rule_paths.empty() ? RuleSet() : RuleSet::load(rule_paths);
  for (const auto& pack : rules.packs()) {
    for (const auto& named : report.packs) {
      if (named.id == pack.id && !named.sha256.empty() && named.sha256 != pack.sha256)
        result.notes.push_back("rule pack " + pack.id +
                               " has changed since the scan: the order follows it as it is now");
    }
  }
  auto crm = report.crm;
  if (crm.empty() && !rules.packs().empty()) crm = rules.packs().front().crm;
  if (crm == "dynamics365" || crm == "hubspot")
    throw ConfigError("crmscan plan writes Salesforce (and CSV-loaded CRMs') plans; a " + crm +
                      " plan (batch request bodies) is not written yet");

  // The erased texts, from the private values file.
  std::map<std::string, std::string> erased_texts;
  const auto values_path = !options.values.empty()
                               ? options.values
                               : (fs::path(report.path).parent_path() / "values.json").string();
  if (fs::exists(values_path)) {
    for (auto& text : RequestValues::load(values_path).texts)
      erased_texts[text.fingerprint] = std::move(text.text);
  }

  // The id column and the reference fields of each object, as the packs declare them.
  const auto id_field = [&rules](const std::string& object) {
    for (const auto* object_rules : rules.rules_for(object)) {
      if (!object_rules->id_field.empty()) return object_rules->id_field;
    }
    return std::string("Id");
  };
  const auto relation_field = [&rules](const std::string& object, const std::string& rule_id) {
    for (const auto* object_rules : rules.rules_for(object)) {
      for (const auto& rule : object_rules->related) {
        if (rule.id == rule_id) return rule.via;
      }
    }
    return std::string();
  };

  std::map<RecordKey, PlannedRecord> records;
  const auto record = [&records](const Finding& f) -> PlannedRecord& {
    auto& planned = records[{f.object, record_id_key(f.record_id)}];
    planned.object = f.object;
    planned.id = f.record_id;
    planned.requests.insert(f.request_id);
    return planned;
  };
  struct ReviewRow {
    const Finding* finding;
    std::string note;
  };
  std::vector<ReviewRow> review;
  std::map<std::string, std::vector<const Finding*>> content;  // by interaction GUID
  std::size_t blanked_texts = 0;
  bool via_known = false;
  for (const auto& f : report.findings) {
    via_known = via_known || !f.via_object.empty();
    switch (f.action) {
      case Action::kDeleteRecord: {
        auto& planned = record(f);
        planned.remove = true;
        planned.recycle_bin = f.deleted;
        break;
      }
      case Action::kEraseField: {
        std::string value = "#N/A";
        if (f.reason == "text" && !options.blank_text) {
          const auto text = erased_texts.find(f.fingerprint);
          if (text != erased_texts.end() && !text->second.empty())
            value = text->second;
          else
            ++blanked_texts;
        }
        record(f).updates[f.field] = value;
        break;
      }
      case Action::kDeleteContent:
        if (f.connector == "vcc_content")
          content[f.record_id].push_back(&f);
        else
          review.push_back({&f, "content kept outside the CRM: delete it where it is stored"});
        break;
      case Action::kReview:
        if (report.decisions.find(f.fingerprint) == nullptr) review.push_back({&f, ""});
        break;
    }
  }
  if (blanked_texts != 0)
    result.notes.push_back(std::to_string(blanked_texts) +
                           " free-text field(s) blanked whole: no erased text for them in " +
                           values_path);

  // Kept records that point to a record being deleted: the reference goes first, in an update.
  for (const auto& f : report.findings) {
    if (f.via_object.empty()) continue;
    const auto via = records.find({f.via_object, record_id_key(f.via_record_id)});
    if (via == records.end() || !via->second.remove) continue;
    const auto self = records.find({f.object, record_id_key(f.record_id)});
    if (self != records.end() && self->second.remove) continue;
    if (f.reason == "related") {
      const auto field = relation_field(f.object, f.rule);
      if (!field.empty()) {
        auto& planned = record(f);
        planned.updates.emplace(field, "#N/A");
        continue;
      }
    }
    if (f.reason == "related" || f.reason == "reference") {
      const auto note = "points to " + f.via_object + " " + f.via_record_id +
                        ", which the plan deletes, through a field no rule declares: clear it "
                        "before the deletes if the CRM refuses them";
      const auto listed = std::find_if(review.begin(), review.end(),
                                       [&f](const ReviewRow& row) { return row.finding == &f; });
      if (listed != review.end())
        listed->note = note;
      else if (report.decisions.find(f.fingerprint) != nullptr)
        result.notes.push_back(f.object + " " + f.record_id + " (decided) " + note);
      else
        review.push_back({&f, note});
    }
  }
  if (!via_known && !report.findings.empty())
    result.notes.push_back(
        "the report does not name the records the scan followed (why.via): kept records' "
        "references to deleted ones are cleared only where the packs list them for erasure");

  // The order of the deletes: objects whose records reference others' first.
  ObjectOrder order;
  for (const auto& [key, planned] : records) {
    if (planned.remove) order.add_node(planned.object);
  }
  for (const auto& object_rules : rules.objects()) {
    if (object_rules.object.is_glob()) continue;
    for (const auto& rule : object_rules.related) {
      for (const auto& to : rule.to) order.add_strong(object_rules.object.text(), to);
    }
  }
  for (const auto& f : report.findings) {
    if (f.via_object.empty()) continue;
    if (f.reason == "related") order.add_strong(f.object, f.via_object);
  }
  for (const auto& object_rules : rules.objects()) {
    if (object_rules.object.is_glob()) continue;
    for (const auto& rule : object_rules.reaches) {
      for (const auto& to : rule.to) order.add_weak(object_rules.object.text(), to);
    }
  }
  const auto objects = order.sorted(result.notes);

  // The files.
  OutputFolder folder(options.out);
  std::vector<std::pair<std::string, std::string>> files;  // name, content
  const auto add_step = [&](const std::string& step_crm, const std::string& object,
                            const std::string& operation, const std::string& extension,
                            const std::string& content, std::size_t count) {
    PlanStep step;
    step.step = result.steps.size() + 1;
    step.crm = step_crm;
    step.object = object;
    step.operation = operation;
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02zu", step.step);
    step.file = std::string(prefix) + "-" + file_stem(object) + "-" + operation + "." + extension;
    step.records = count;
    step.sha256 = sha256_hex(content);
    files.emplace_back(step.file, content);
    result.steps.push_back(std::move(step));
  };

  // 1. Content first: the Tasks that hold the call identifiers are deleted later.
  if (!content.empty()) {
    std::vector<std::string> guids;
    for (const auto& [guid, items] : content) guids.push_back(guid);
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
    w.SetIndent(' ', 2);
    const auto string = [&w](const std::string& value) {
      w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    };
    w.StartObject();
    w.Key("batch_limit");
    w.Uint(1000);
    w.Key("batches");
    w.StartArray();
    for (std::size_t at = 0; at < guids.size(); at += 1000) {
      w.StartObject();
      w.Key("guids");
      w.StartArray();
      for (std::size_t i = at; i < std::min(guids.size(), at + 1000); ++i) string(guids[i]);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.Key("items");
    w.StartArray();
    for (const auto& [guid, items] : content) {
      for (const auto* item : items) {
        w.StartObject();
        w.Key("fingerprint");
        string(item->fingerprint);
        w.Key("request_id");
        string(item->request_id);
        w.Key("guid");
        string(guid);
        w.Key("content_key");
        string(item->field);
        w.Key("category");
        string(item->category);
        w.Key("delete");
        string("DELETE /interactions/" + guid + "/content/" + item->field);
        w.EndObject();
      }
    }
    w.EndArray();
    w.EndObject();
    add_step("vcc", "Interaction", "delete_content", "json",
             std::string(buffer.GetString(), buffer.GetSize()) + "\n", guids.size());
  }

  // 2. Updates, per object: erased fields, references cleared. A deleted record is not updated.
  std::map<std::string, std::vector<const PlannedRecord*>> updates;
  for (const auto& [key, planned] : records) {
    if (!planned.remove && !planned.updates.empty()) updates[planned.object].push_back(&planned);
  }
  for (const auto& [object, rows] : updates) {
    std::set<std::string> fields;
    for (const auto* row : rows) {
      for (const auto& [field, value] : row->updates) fields.insert(field);
    }
    std::string csv = load_cell(id_field(object));
    for (const auto& field : fields) csv += "," + load_cell(field);
    csv += "\r\n";
    for (const auto* row : rows) {
      csv += load_cell(row->id);
      for (const auto& field : fields) {
        const auto value = row->updates.find(field);
        csv += "," + (value == row->updates.end() ? std::string() : load_cell(value->second));
      }
      csv += "\r\n";
    }
    add_step(crm, object, "update", "csv", csv, rows.size());
  }

  // 3. Deletes, children first, each object's rows already in the Recycle Bin right after its
  // live ones: a deleted child still points to its parent until it is gone for good.
  for (const auto& object : objects) {
    for (const bool recycle_bin : {false, true}) {
      std::string csv = load_cell(id_field(object)) + "\r\n";
      std::size_t count = 0;
      for (const auto& [key, planned] : records) {
        if (planned.object != object || !planned.remove || planned.recycle_bin != recycle_bin)
          continue;
        csv += load_cell(planned.id) + "\r\n";
        ++count;
      }
      if (count != 0)
        add_step(crm, object, recycle_bin ? "hard_delete" : "delete", "csv", csv, count);
    }
  }

  // review.csv: what a person decides, never in a step.
  std::string review_csv =
      "request_id,fingerprint,object,record_id,field,category,reason,rule,preview,detail,note\r\n";
  for (auto& row : review) {
    const auto& f = *row.finding;
    // What the plan does with the record anyway, for the reviewer.
    if (const auto planned = records.find({f.object, record_id_key(f.record_id)});
        row.note.empty() && planned != records.end()) {
      if (planned->second.remove)
        row.note = "the plan deletes the record (another finding of it)";
      else if (!planned->second.updates.empty())
        row.note =
            "the plan erases its listed fields and clears its references to deleted "
            "records in an update step; the record is kept";
    }
    for (const auto* cell : {&f.request_id, &f.fingerprint, &f.object, &f.record_id, &f.field,
                             &f.category, &f.reason, &f.rule, &f.preview, &f.detail}) {
      review_csv += review_cell(*cell) + ",";
    }
    review_csv += review_cell(row.note) + "\r\n";
  }
  result.review = review.size();

  // plan.json
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  const auto value = [&w](const std::string& text) {
    const auto valid = is_valid_utf8(text) ? text : valid_utf8(text);
    w.String(valid.c_str(), static_cast<rapidjson::SizeType>(valid.size()));
  };
  const auto put = [&w, &value](const char* key, const std::string& text) {
    w.Key(key);
    value(text);
  };
  w.StartObject();
  put("plan", "crmscan erasure plan");
  w.Key("version");
  w.Uint(1);
  put("created", utc_now());
  w.Key("executed");
  w.Bool(false);
  w.Key("report");
  w.StartObject();
  put("path", report.path);
  put("sha256", report.sha256);
  w.Key("complete");
  w.Bool(report.complete);
  w.EndObject();
  put("crm", crm);
  w.Key("requests");
  w.StartArray();
  for (const auto& id : report.request_ids) {
    w.StartObject();
    put("request_id", id);
    if (const auto record = report.request_records.find(id);
        record != report.request_records.end()) {
      for (const auto& [key, text] : record->second.fields()) {
        if (!text->empty()) put(key, *text);
      }
    }
    w.EndObject();
  }
  w.EndArray();
  if (!report.decisions.empty()) {
    w.Key("decisions");
    w.StartObject();
    put("file", report.decisions.path);
    put("sha256", report.decisions.sha256);
    w.Key("left_out");
    w.Uint64(report.decisions.by_fingerprint.size());
    w.EndObject();
  }
  w.Key("steps");
  w.StartArray();
  for (const auto& step : result.steps) {
    w.StartObject();
    w.Key("step");
    w.Uint64(step.step);
    put("crm", step.crm);
    put("object", step.object);
    put("operation", step.operation);
    put("file", step.file);
    w.Key("records");
    w.Uint64(step.records);
    put("sha256", step.sha256);
    w.EndObject();
  }
  w.EndArray();
  w.Key("review");
  w.StartObject();
  put("file", "review.csv");
  w.Key("records");
  w.Uint64(review.size());
  w.EndObject();
  w.Key("notes");
  w.StartArray();
  for (const auto& note : result.notes) value(note);
  w.EndArray();
  w.EndObject();

  for (const auto& [name, content] : files) {
    folder.check_target(name);
    folder.stage(name, [&content = content](std::ostream& out) { out << content; });
  }
  folder.check_target("review.csv");
  folder.stage("review.csv", [&review_csv](std::ostream& out) { out << review_csv; });
  folder.check_target("plan.json");
  const std::string plan_json = std::string(buffer.GetString(), buffer.GetSize()) + "\n";
  folder.stage("plan.json", [&plan_json](std::ostream& out) { out << plan_json; });
  folder.commit();
  return result;
}

}  // namespace crmscan

// crmscan plan for Dynamics 365 and HubSpot, end to end on their samples: scan, plan, apply the
// plan's request bodies to a copy of the export the way the CRM would, verify. And the plan's
// batches: HubSpot's 100 inputs, the content API's 1000 interactions, content before the Tasks.
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crmscan/plan.hpp"
#include "crmscan/reporter.hpp"
#include "crmscan/rules.hpp"
#include "support.hpp"

using crmscan::test::parse_json;
using crmscan::test::read_file;
using crmscan::test::run_crmscan;
using crmscan::test::source_path;
using crmscan::test::TempDir;
using crmscan::test::write_file;
namespace fs = std::filesystem;

namespace {

std::string text_of(const rapidjson::Value& value) {
  if (value.IsString()) return {value.GetString(), value.GetStringLength()};
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  return {};
}

// The values at a dotted field of a JSON record, through arrays
// (`associations.contacts.results.id`).
void values_at(const rapidjson::Value& at, std::string_view path, std::vector<std::string>& out) {
  if (at.IsArray()) {
    for (const auto& element : at.GetArray()) values_at(element, path, out);
    return;
  }
  if (path.empty()) {
    if (const auto text = text_of(at); !text.empty()) out.push_back(text);
    return;
  }
  const auto dot = path.find('.');
  const auto head = std::string(path.substr(0, dot));
  if (!at.IsObject() || !at.HasMember(head.c_str())) return;
  values_at(at[head.c_str()], dot == std::string_view::npos ? "" : path.substr(dot + 1), out);
}

// A copy of a JSON export — one file per object, its records in `value` (the Dataverse Web API)
// or `results` (HubSpot) — that the test changes the way the CRM would: records deleted by id,
// fields set. A delete that leaves a record of the plan pointing to a deleted record through a
// reference the packs declare fails the test: the plan must delete children first.
class JsonExport {
 public:
  JsonExport(std::string dir, std::string records, const crmscan::RuleSet& rules)
      : dir_(std::move(dir)), records_(std::move(records)), rules_(rules) {}

  /// What the CRM deletes with a record (Dataverse: an activity's parties).
  std::function<void(JsonExport&, const std::string&, const std::set<std::string>&)> cascade;
  /// Every record of the plan's steps, object/id.
  std::set<std::string> planned;

  std::string id_field(const std::string& object) const {
    for (const auto* object_rules : rules_.rules_for(object)) {
      if (!object_rules->id_field.empty()) return object_rules->id_field;
    }
    return "id";
  }

  rapidjson::Document load(const std::string& object) const {
    return parse_json(read_file(path(object)));
  }
  void save(const std::string& object, const rapidjson::Document& document) const {
    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    document.Accept(writer);
    write_file(path(object), std::string(buffer.GetString(), buffer.GetSize()));
  }
  std::vector<std::string> objects() const {
    std::vector<std::string> objects;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().extension() == ".json") objects.push_back(entry.path().stem().string());
    }
    return objects;
  }

  void remove(const std::string& object, const std::set<std::string>& ids) {
    auto document = load(object);
    auto& rows = document[records_.c_str()];
    const auto id = id_field(object);
    std::size_t removed = 0;
    for (auto row = rows.Begin(); row != rows.End();) {
      if (ids.count(text_of((*row)[id.c_str()])) != 0) {
        row = rows.Erase(row);
        ++removed;
      } else {
        ++row;
      }
    }
    CHECK(removed == ids.size());
    save(object, document);
    if (cascade) cascade(*this, object, ids);
    check_no_planned_reference(object, ids);
  }

  void set(const std::string& object, const std::string& id, const std::string& field,
           const std::optional<std::string>& value) {
    auto document = load(object);
    auto& allocator = document.GetAllocator();
    bool found = false;
    for (auto& row : document[records_.c_str()].GetArray()) {
      if (text_of(row[id_field(object).c_str()]) != id) continue;
      found = true;
      rapidjson::Value* at = &row;
      std::string_view rest = field;
      for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
        const auto head = std::string(rest.substr(0, dot));
        REQUIRE(at->HasMember(head.c_str()));
        at = &(*at)[head.c_str()];
        rest = rest.substr(dot + 1);
      }
      rapidjson::Value name(std::string(rest).c_str(), allocator);
      rapidjson::Value content;
      if (value) content.SetString(value->c_str(), allocator);
      at->RemoveMember(name);
      at->AddMember(name, content, allocator);
    }
    CHECK(found);
    save(object, document);
  }

  /// Puts a record of the original export back.
  void restore(const std::string& original_dir, const std::string& object, const std::string& id) {
    const auto original = parse_json(read_file(original_dir + "/" + object + ".json"));
    auto document = load(object);
    for (const auto& row : original[records_.c_str()].GetArray()) {
      if (text_of(row[id_field(object).c_str()]) != id) continue;
      rapidjson::Value copy(row, document.GetAllocator());
      document[records_.c_str()].PushBack(copy, document.GetAllocator());
    }
    save(object, document);
  }

 private:
  std::string path(const std::string& object) const { return dir_ + "/" + object + ".json"; }

  void check_no_planned_reference(const std::string& object, const std::set<std::string>& ids) {
    for (const auto& other : objects()) {
      const auto document = load(other);
      for (const auto& row : document[records_.c_str()].GetArray()) {
        const auto row_id = text_of(row[id_field(other).c_str()]);
        if (planned.count(other + "/" + row_id) == 0) continue;
        for (const auto* object_rules : rules_.rules_for(other)) {
          for (const auto& rule : object_rules->related) {
            std::vector<std::string> targets;
            values_at(row, rule.via, targets);
            for (const auto& target : targets) {
              INFO(other << " " << row_id << " " << rule.via << " still points to " << object << " "
                         << target);
              CHECK(ids.count(target) == 0);
            }
          }
        }
      }
    }
  }

  std::string dir_;
  std::string records_;
  const crmscan::RuleSet& rules_;
};

// One request of a Dataverse $batch body.
struct BatchRequest {
  std::string method;
  std::string entity_set;
  std::string id;
  std::string body;
};

// A $batch body as Dataverse reads it: CRLF line ends, application/http parts between the
// boundary's delimiters, each a request line, headers, a blank line and the body.
std::vector<BatchRequest> parse_batch(const std::string& content, const std::string& boundary) {
  for (std::size_t at = content.find('\n'); at != std::string::npos;
       at = content.find('\n', at + 1)) {
    REQUIRE(at > 0);
    REQUIRE(content[at - 1] == '\r');
  }
  const auto delimiter = "--" + boundary;
  REQUIRE(content.rfind(delimiter + "--\r\n") == content.size() - delimiter.size() - 4);
  std::vector<BatchRequest> requests;
  for (auto at = content.find(delimiter + "\r\n"); at != std::string::npos;) {
    const auto start = at + delimiter.size() + 2;
    const auto next = content.find("\r\n" + delimiter, start);
    REQUIRE(next != std::string::npos);
    const auto part = content.substr(start, next - start);
    at = content.compare(next + 2, delimiter.size() + 2, delimiter + "\r\n") == 0
             ? next + 2
             : std::string::npos;
    const auto headers_end = part.find("\r\n\r\n");
    REQUIRE(part.substr(0, headers_end) ==
            "Content-Type: application/http\r\nContent-Transfer-Encoding: binary");
    const auto request = part.substr(headers_end + 4);
    const auto head_end = request.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    std::istringstream line(request.substr(0, request.find("\r\n")));
    std::string method, url, version;
    line >> method >> url >> version;
    CHECK(version == "HTTP/1.1");
    const std::string api = "/api/data/v9.2/";
    REQUIRE(url.rfind(api, 0) == 0);
    const auto open = url.find('(');
    REQUIRE((open != std::string::npos && url.back() == ')'));
    requests.push_back({method, url.substr(api.size(), open - api.size()),
                        url.substr(open + 1, url.size() - open - 2), request.substr(head_end + 4)});
  }
  return requests;
}

struct Scanned {
  std::string report;
  std::string export_copy;
};

Scanned scan_sample(const TempDir& dir, const std::string& crm, const std::string& sample) {
  const auto result =
      run_crmscan({"scan", "--input", source_path("samples/" + sample), "--crm", crm, "--subjects",
                   source_path("samples/" + sample + "-expected/subjects.csv"), "--default-region",
                   "GB", "--format", "json", "--out", dir / "report"},
                  dir);
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  fs::copy(source_path("samples/" + sample), dir / "export", fs::copy_options::recursive);
  fs::remove(dir / "export/README.md");
  return {dir / "report", dir / "export"};
}

crmscan::test::CommandResult verify(const Scanned& scanned, const std::string& crm,
                                    const TempDir& dir) {
  return run_crmscan({"verify", scanned.report, "--input", scanned.export_copy, "--crm", crm,
                      "--default-region", "GB"},
                     dir);
}

// The first step of each operation on each object, "object operation" → step.
std::map<std::string, unsigned> first_steps(const rapidjson::Value& plan) {
  std::map<std::string, unsigned> first;
  for (const auto& step : plan["steps"].GetArray()) {
    first.emplace(std::string(step["object"].GetString()) + " " + step["operation"].GetString(),
                  step["step"].GetUint());
  }
  return first;
}

// The file of the first step of an operation on an object ("object operation").
std::string step_file(const rapidjson::Value& plan, const std::string& what) {
  for (const auto& step : plan["steps"].GetArray()) {
    if (std::string(step["object"].GetString()) + " " + step["operation"].GetString() == what)
      return step["file"].GetString();
  }
  FAIL("no step " << what);
  return {};
}

// Dataverse applying the plan's $batch bodies: deletes and updates by entity set and id; an
// activity's parties go with it; an activity party takes no delete of its own.
void apply_dataverse_plan(const std::string& plan_dir, JsonExport& copy) {
  std::map<std::string, std::string> objects;  // entity set → table, from the export's context
  for (const auto& object : copy.objects()) {
    const std::string context = copy.load(object)["@odata.context"].GetString();
    objects[context.substr(context.find('#') + 1)] = object;
  }
  const auto plan = parse_json(read_file(plan_dir + "/plan.json"));
  std::vector<std::vector<BatchRequest>> batches;
  for (const auto& step : plan["steps"].GetArray()) {
    const auto& request = step["request"];
    CHECK(std::string(request["method"].GetString()) == "POST");
    CHECK(std::string(request["path"].GetString()) == "/api/data/v9.2/$batch");
    const std::string type = request["content_type"].GetString();
    REQUIRE(type.rfind("multipart/mixed; boundary=", 0) == 0);
    batches.push_back(parse_batch(read_file(plan_dir + "/" + step["file"].GetString()),
                                  type.substr(type.find('=') + 1)));
    CHECK(batches.back().size() == step["records"].GetUint());
    CHECK(batches.back().size() <= 1000);
    for (const auto& part : batches.back())
      copy.planned.insert(objects[part.entity_set] + "/" + part.id);
  }
  for (const auto& batch : batches) {
    for (const auto& request : batch) {
      INFO(request.method << " " << request.entity_set << "(" << request.id << ") "
                          << request.body);
      REQUIRE(objects.count(request.entity_set) == 1);
      const auto& object = objects[request.entity_set];
      if (request.method == "DELETE") {
        CHECK(object != "activityparty");
        copy.remove(object, {request.id});
        continue;
      }
      REQUIRE(request.method == "PATCH");
      const auto body = parse_json(request.body);
      for (const auto& [name, value] : body.GetObject()) {
        std::string field = name.GetString();
        const auto bind = field.find("@odata.bind");
        if (bind != std::string::npos) {
          REQUIRE(value.IsNull());
          field = "_" + field.substr(0, bind) + "_value";
        }
        copy.set(object, request.id, field,
                 value.IsNull() ? std::nullopt : std::optional<std::string>(value.GetString()));
      }
    }
  }
}

}  // namespace

TEST_CASE("A Dynamics 365 plan applied as Dataverse would leaves nothing for verify to find",
          "[plan][verify][cli][dynamics365]") {
  TempDir dir;
  const auto scanned = scan_sample(dir, "dynamics365", "dynamics365");
  const auto planned = run_crmscan({"plan", scanned.report, "--out", dir / "plan"}, dir);
  INFO(planned.out << planned.err);
  REQUIRE(planned.exit_code == 0);
  const auto plan = parse_json(read_file(dir / "plan/plan.json"));
  const auto first = first_steps(plan);
  // Children first: notes before the calls and contacts they are on, calls before the contacts
  // and leads they concern, the contact before the lead it was qualified from; the account's
  // primary contact cleared before anything is deleted.
  CHECK(first.at("account update") < first.at("annotation delete"));
  CHECK(first.at("annotation delete") < first.at("phonecall delete"));
  CHECK(first.at("phonecall delete") < first.at("contact delete"));
  CHECK(first.at("contact delete") < first.at("lead delete"));
  CHECK(first.count("activityparty delete") == 0);
  CHECK_THAT(planned.out, Catch::Contains("activityparty record(s) go with the records they "
                                          "belong to"));
  const auto account_update = read_file(dir / ("plan/" + step_file(plan, "account update")));
  CHECK_THAT(account_update, Catch::Contains("PATCH /api/data/v9.2/accounts("
                                             "acc00000-0000-4000-8000-000000000001) HTTP/1.1") &&
                                 Catch::Contains("{\"primarycontactid@odata.bind\":null}"));
  // Free text keeps all but the request's identifiers, unless --blank-text.
  const auto notes_update = read_file(dir / ("plan/" + step_file(plan, "annotation update")));
  CHECK_THAT(notes_update, Catch::Contains("[erased]") && Catch::Contains("\"notetext\":\""));
  const auto blanked =
      run_crmscan({"plan", scanned.report, "--out", dir / "blank", "--blank-text"}, dir);
  REQUIRE(blanked.exit_code == 0);
  CHECK_THAT(read_file(dir / ("blank/" + step_file(plan, "annotation update"))),
             Catch::Contains("\"notetext\":null") && !Catch::Contains("[erased]"));
  // The namesake is for a person, never in a step.
  CHECK_THAT(read_file(dir / "plan/review.csv"),
             Catch::Contains("c0000000-0000-4000-8000-000000000003"));

  const auto rules = crmscan::RuleSet::load({source_path("rules/dynamics365")});
  JsonExport copy(scanned.export_copy, "value", rules);
  copy.cascade = [](JsonExport& self, const std::string& object, const std::set<std::string>& ids) {
    if (object != "phonecall") return;
    std::set<std::string> parties;
    const auto all = self.load("activityparty");
    for (const auto& party : all["value"].GetArray()) {
      if (party["_activityid_value"].IsString() &&
          ids.count(party["_activityid_value"].GetString()))
        parties.insert(party["activitypartyid"].GetString());
    }
    if (!parties.empty()) self.remove("activityparty", parties);
  };
  apply_dataverse_plan(dir / "plan", copy);
  const auto verified = verify(scanned, "dynamics365", dir);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out,
             Catch::Contains("REQ-2001: gone") && Catch::Contains("still present 0, new 0"));

  // One deleted call back (it holds the caller's number): verify names it.
  copy.restore(source_path("samples/dynamics365"), "phonecall",
               "ca110000-0000-4000-8000-000000000021");
  const auto again = verify(scanned, "dynamics365", dir);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.out, Catch::Contains("still present: REQ-2005 phonecall "
                                        "ca110000-0000-4000-8000-000000000021"));
}

namespace {

// HubSpot applying the plan's batch inputs: archived records leave the export (HubSpot's
// default reads no longer return them), updated properties take their new value.
void apply_hubspot_plan(const std::string& plan_dir, JsonExport& copy) {
  const auto plan = parse_json(read_file(plan_dir + "/plan.json"));
  const std::string prefix = "/crm/v3/objects/";
  for (const auto& step : plan["steps"].GetArray()) {
    const auto body = parse_json(read_file(plan_dir + "/" + step["file"].GetString()));
    CHECK(body["inputs"].Size() == step["records"].GetUint());
    CHECK(body["inputs"].Size() <= 100);
    for (const auto& input : body["inputs"].GetArray())
      copy.planned.insert(std::string(step["object"].GetString()) + "/" + input["id"].GetString());
  }
  for (const auto& step : plan["steps"].GetArray()) {
    const auto& request = step["request"];
    CHECK(std::string(request["method"].GetString()) == "POST");
    CHECK(std::string(request["content_type"].GetString()) == "application/json");
    const std::string path = request["path"].GetString();
    REQUIRE(path.rfind(prefix, 0) == 0);
    const auto slash = path.find('/', prefix.size());
    const auto object = path.substr(prefix.size(), slash - prefix.size());
    CHECK(object == step["object"].GetString());
    const auto endpoint = path.substr(slash);
    const auto body = parse_json(read_file(plan_dir + "/" + step["file"].GetString()));
    INFO("step " << step["step"].GetUint() << " " << path);
    if (endpoint == "/batch/archive") {
      std::set<std::string> ids;
      for (const auto& input : body["inputs"].GetArray()) ids.insert(input["id"].GetString());
      copy.remove(object, ids);
      continue;
    }
    REQUIRE(endpoint == "/batch/update");
    for (const auto& input : body["inputs"].GetArray()) {
      for (const auto& [name, value] : input["properties"].GetObject()) {
        copy.set(object, input["id"].GetString(), "properties." + std::string(name.GetString()),
                 std::string(value.GetString()));
      }
    }
  }
}

// A report of the findings given, written as crmscan writes findings.json, in `dir`.
std::string write_report(const TempDir& dir, const std::string& crm,
                         const std::vector<crmscan::Finding>& findings) {
  crmscan::Report report;
  report.connector = "file";
  report.crm = crm;
  report.request_ids = {"REQ-1"};
  for (const auto& finding : findings) report.findings.push_back(finding);
  std::ostringstream out;
  crmscan::make_reporter("json")->write(report, out);
  write_file(dir / "report/findings.json", out.str());
  return dir / "report";
}

crmscan::Finding finding(const std::string& object, const std::string& id, crmscan::Action action,
                         const std::string& field = "") {
  crmscan::Finding f;
  f.request_id = "REQ-1";
  f.connector = "file";
  f.object = object;
  f.record_id = id;
  f.field = field;
  f.action = action;
  f.fingerprint = object + "/" + id + "/" + field;
  return f;
}

}  // namespace

TEST_CASE("A HubSpot plan applied as HubSpot would leaves nothing for verify to find",
          "[plan][verify][cli][hubspot]") {
  TempDir dir;
  const auto scanned = scan_sample(dir, "hubspot", "hubspot");
  const auto planned = run_crmscan({"plan", scanned.report, "--out", dir / "plan"}, dir);
  INFO(planned.out << planned.err);
  REQUIRE(planned.exit_code == 0);
  const auto plan = parse_json(read_file(dir / "plan/plan.json"));
  const auto first = first_steps(plan);
  // Children first: notes before the calls and contacts they are on, calls and emails before
  // their contacts; the updates before every delete.
  CHECK(first.at("notes update") < first.at("notes delete"));
  CHECK(first.at("calls update") < first.at("notes delete"));
  CHECK(first.at("notes delete") < first.at("calls delete"));
  CHECK(first.at("calls delete") < first.at("contacts delete"));
  CHECK(first.at("emails delete") < first.at("contacts delete"));
  const auto archive = parse_json(read_file(dir / ("plan/" + step_file(plan, "contacts delete"))));
  CHECK(archive["inputs"][0].GetObject().MemberCount() == 1);  // {"id": "…"} alone
  // The recording behind a call's URL is stored outside HubSpot: a person deletes it there.
  const auto review = read_file(dir / "plan/review.csv");
  CHECK_THAT(review, Catch::Contains("hs_call_recording_url") &&
                         Catch::Contains("content kept outside the CRM"));
  CHECK_THAT(review, Catch::Contains(",contacts,5104,"));  // the namesake

  const auto rules = crmscan::RuleSet::load({source_path("rules/hubspot")});
  JsonExport copy(scanned.export_copy, "results", rules);
  apply_hubspot_plan(dir / "plan", copy);
  const auto verified = verify(scanned, "hubspot", dir);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out,
             Catch::Contains("HS-2001: gone") && Catch::Contains("still present 0, new 0"));

  // One archived call back (it holds the caller's number): verify names it.
  copy.restore(source_path("samples/hubspot"), "calls", "9021");
  const auto again = verify(scanned, "hubspot", dir);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.out, Catch::Contains("still present: HS-2004 calls 9021"));
}

TEST_CASE("HubSpot batches hold at most 100 inputs, a blanked property an empty string",
          "[plan][hubspot]") {
  TempDir dir;
  std::vector<crmscan::Finding> findings;
  for (int id = 1; id <= 250; ++id)
    findings.push_back(finding("calls", std::to_string(9000 + id), crmscan::Action::kDeleteRecord));
  // Deleted and erased: the delete wins, the record is in no update.
  findings.push_back(
      finding("calls", "9001", crmscan::Action::kEraseField, "properties.hs_call_body"));
  findings.push_back(finding("contacts", "5", crmscan::Action::kEraseField, "properties.message"));
  crmscan::PlanOptions options;
  options.report = write_report(dir, "hubspot", findings);
  options.out = dir / "plan";
  options.rules = {source_path("rules/hubspot")};
  const auto result = crmscan::write_plan(options);
  REQUIRE(result.steps.size() == 4);
  CHECK(result.steps[0].object == "contacts");
  CHECK(result.steps[0].path == "/crm/v3/objects/contacts/batch/update");
  CHECK(read_file(dir / ("plan/" + result.steps[0].file)) ==
        "{\"inputs\":[{\"id\":\"5\",\"properties\":{\"message\":\"\"}}]}\n");
  std::vector<std::size_t> sizes;
  for (std::size_t i = 1; i < result.steps.size(); ++i) {
    CHECK(result.steps[i].path == "/crm/v3/objects/calls/batch/archive");
    const auto body = parse_json(read_file(dir / ("plan/" + result.steps[i].file)));
    sizes.push_back(body["inputs"].Size());
    CHECK(result.steps[i].records == body["inputs"].Size());
  }
  CHECK(sizes == std::vector<std::size_t>{100, 100, 50});
}

TEST_CASE("Content deletions come first, the interactions in batches of at most 1000",
          "[plan][content]") {
  TempDir dir;
  std::vector<crmscan::Finding> findings;
  // The Task holding the call identifiers, to delete.
  findings.push_back(finding("Task", "00T5g00008AhdkLEAR", crmscan::Action::kDeleteRecord));
  for (int i = 0; i < 2500; ++i) {
    char guid[40];
    std::snprintf(guid, sizeof guid, "00000000-0000-4000-8000-%012d", i);
    for (const char* key : {"rec", "tr"}) {
      auto item = finding("Interaction", guid, crmscan::Action::kDeleteContent, key);
      item.connector = "vcc_content";
      findings.push_back(item);
    }
  }
  auto review = finding("Interaction", "ffffffff-0000-4000-8000-000000000000",
                        crmscan::Action::kReview, "rec");
  review.connector = "vcc_content";
  findings.push_back(review);
  crmscan::PlanOptions options;
  options.report = write_report(dir, "salesforce", findings);
  options.out = dir / "plan";
  options.rules = {source_path("rules/salesforce")};
  const auto result = crmscan::write_plan(options);
  REQUIRE(result.steps.size() == 2);
  CHECK(result.steps[0].operation == "delete_content");
  CHECK(result.steps[0].crm == "vcc");
  CHECK(result.steps[0].records == 2500);
  CHECK(result.steps[1].object == "Task");
  CHECK(result.steps[1].operation == "delete");
  CHECK(result.review == 1);
  const auto text = read_file(dir / ("plan/" + result.steps[0].file));
  const auto content = parse_json(text);
  const auto& batches = content["batches"];
  REQUIRE(batches.Size() == 3);
  CHECK(batches[0]["guids"].Size() == 1000);
  CHECK(batches[1]["guids"].Size() == 1000);
  CHECK(batches[2]["guids"].Size() == 500);
  CHECK(content["items"].Size() == 5000);
  CHECK(text.find("ffffffff-") == std::string::npos);
  CHECK(std::string(content["items"][0]["delete"].GetString()) ==
        "DELETE /interactions/00000000-0000-4000-8000-000000000000/content/rec");
}

TEST_CASE(
    "Dataverse: an activity party goes with its activity or to review, a lookup of several "
    "tables is cleared by a person, a malformed id gets no request",
    "[plan][dynamics365]") {
  TempDir dir;
  const std::string party = "9a870000-0000-4000-8000-00000000000";
  const std::string call = "ca110000-0000-4000-8000-00000000000";
  const std::string contact = "c0000000-0000-4000-8000-000000000001";
  const std::string account = "acc00000-0000-4000-8000-000000000001";
  using crmscan::Action;
  std::vector<crmscan::Finding> findings;
  findings.push_back(finding("activityparty", party + "1", Action::kDeleteRecord));
  auto reached = finding("phonecall", call + "1", Action::kDeleteRecord);
  reached.reason = "reaches";
  reached.via_object = "activityparty";
  reached.via_record_id = party + "1";
  findings.push_back(reached);
  findings.push_back(finding("activityparty", party + "2", Action::kDeleteRecord));  // call kept
  findings.push_back(finding("contact", contact, Action::kDeleteRecord));
  const auto kept = [&](const std::string& object, const std::string& id, const std::string& rule) {
    auto f = finding(object, id, Action::kReview);
    f.reason = "related";
    f.rule = rule;
    f.via_object = "contact";
    f.via_record_id = contact;
    return f;
  };
  findings.push_back(kept("phonecall", call + "2", "phonecall-regarding-person"));
  findings.push_back(kept("account", account, "account-primary-contact"));
  findings.push_back(finding("contact", "not-a-guid", Action::kDeleteRecord));
  crmscan::PlanOptions options;
  options.report = write_report(dir, "dynamics365", findings);
  options.out = dir / "plan";
  options.rules = {source_path("rules/dynamics365")};
  const auto result = crmscan::write_plan(options);
  std::vector<std::string> steps;
  for (const auto& step : result.steps) steps.push_back(step.object + " " + step.operation);
  CHECK(steps == std::vector<std::string>{"account update", "phonecall delete", "contact delete"});
  CHECK_THAT(read_file(dir / ("plan/" + result.steps[0].file)),
             Catch::Contains("{\"primarycontactid@odata.bind\":null}"));
  CHECK(std::any_of(result.notes.begin(), result.notes.end(), [](const std::string& note) {
    return note.rfind("1 activityparty record(s) go with the records they belong to", 0) == 0;
  }));
  const auto review = crmscan::test::read_csv_file(dir / "plan/review.csv");
  const auto note_of = [&review](const std::string& id) {
    for (const auto& row : review) {
      if (row.size() > 10 && row[3] == id) return row[10];
    }
    return std::string("(not in review.csv)");
  };
  CHECK_THAT(note_of(party + "2"), Catch::Contains("only with its activity") &&
                                       Catch::Contains("does not delete the record it belongs"));
  CHECK_THAT(note_of(call + "2"),
             Catch::Contains("_regardingobjectid_value") && Catch::Contains("several tables"));
  CHECK_THAT(note_of("not-a-guid"), Catch::Contains("not a Dataverse record id"));
}

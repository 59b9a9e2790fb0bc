#include "hubspot_connector.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "connector_kit.hpp"
#include "crmscan/error.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/phone_spellings.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "wait_budget.hpp"

namespace crmscan::hubspot {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kTokenVariable = "HUBSPOT_ACCESS_TOKEN";
constexpr std::size_t kMaxFilterGroups = 5;
constexpr std::size_t kMaxFiltersPerGroup = 6;
constexpr std::size_t kMaxFilters = 18;
/// Results one search can page through; the next page past it is refused.
constexpr std::size_t kSearchCap = 10'000;
/// Values in one IN filter (HubSpot documents no limit; a modest one keeps requests small).
constexpr std::size_t kMaxInValues = 50;
/// Characters a search request body may have.
constexpr std::size_t kMaxSearchBody = 3'000;
constexpr std::size_t kMaxBatchRead = 100;
constexpr std::size_t kMaxListPage = 100;
/// Past this many bytes of property names, a full read asks for properties by batch read.
constexpr std::size_t kMaxListPropertyBytes = 6'000;
constexpr std::size_t kAssociationPage = 500;
/// Records a batch read of associations asks for at once.
constexpr std::size_t kMaxAssociationBatch = 100;
/// HubSpot's rolling rate-limit window is ten seconds.
constexpr std::chrono::milliseconds kLongestPause{10'000};

/// The object types a subject scan reads, the properties searched for each kind of identifier
/// when no rule names others, and the object types their association fields point to.
struct ObjectSearch {
  const char* object;
  std::vector<const char*> email_properties;
  std::vector<const char*> phone_properties;
  std::vector<const char*> text_properties;
  const char* first_name = nullptr;
  const char* last_name = nullptr;
  std::vector<const char*> associated;
};

const std::vector<ObjectSearch>& searched_objects() {
  static const std::vector<ObjectSearch> kObjects{
      {"contacts",
       {"email", "work_email"},
       {"phone", "mobilephone", "hs_whatsapp_phone_number"},
       {"message"},
       "firstname",
       "lastname",
       {}},
      {"companies", {}, {"phone"}, {"description"}, nullptr, nullptr, {"contacts"}},
      {"calls",
       {},
       {"hs_call_to_number", "hs_call_from_number"},
       {"hs_call_body", "hs_call_title"},
       nullptr,
       nullptr,
       {"contacts"}},
      {"notes", {}, {}, {"hs_note_body"}, nullptr, nullptr, {"contacts", "calls"}},
      {"emails",
       {"hs_email_from_email", "hs_email_to_email"},
       {},
       {"hs_email_subject", "hs_email_text", "hs_email_cc_email", "hs_email_bcc_email"},
       nullptr,
       nullptr,
       {"contacts"}},
  };
  return kObjects;
}

const ObjectSearch* search_of(const std::string& object) {
  for (const auto& entry : searched_objects()) {
    if (object == entry.object) return &entry;
  }
  return nullptr;
}

/// A contact's further emails, all in one property ("a@example.com;b@example.org").
constexpr const char* kAdditionalEmails = "hs_additional_emails";

/// Properties HubSpot does not let a search filter on ("when filtering search results for
/// calls, conversations, emails, meetings, notes, or tasks, the property hs_body_preview_html is
/// not supported. For emails, the properties hs_email_html and hs_body_preview are also not
/// supported").
bool unfilterable(const std::string& object, const std::string& property) {
  if (property == "hs_body_preview_html") return true;
  return object == "emails" && (property == "hs_email_html" || property == "hs_body_preview");
}

std::string association_field(const std::string& to) {
  return "associations." + to + ".results.id";
}

std::string association_type_field(const std::string& to) {
  return "associations." + to + ".results.type";
}

// "HTTP 400 VALIDATION_ERROR: message", from HubSpot's {"status":"error","message","category"}.
std::string api_error_text(const HttpResponse& response) {
  return crmscan::api_error_text(response, {false, nullptr, {"category", "errorType"}});
}

void write_groups(JsonWriter& writer, const std::vector<FilterGroup>& groups) {
  writer.Key("filterGroups");
  writer.StartArray();
  for (const auto& group : groups) {
    writer.StartObject();
    writer.Key("filters");
    writer.StartArray();
    for (const auto& filter : group) {
      writer.StartObject();
      writer.Key("propertyName");
      writer.String(filter.property.c_str());
      writer.Key("operator");
      writer.String(filter.op.c_str());
      if (filter.op == "IN") {
        writer.Key("values");
        writer.StartArray();
        for (const auto& value : filter.values) writer.String(value.c_str());
        writer.EndArray();
      } else {
        writer.Key("value");
        writer.String(filter.values.front().c_str());
      }
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
  }
  writer.EndArray();
}

// The `inputs` of a batch request: `{"id": …}` for ids [first, last) of the list.
void write_id_inputs(JsonWriter& writer, const std::vector<std::string>& ids, std::size_t first,
                     std::size_t last) {
  writer.Key("inputs");
  writer.StartArray();
  for (auto i = first; i < std::min(ids.size(), last); ++i) {
    writer.StartObject();
    writer.Key("id");
    writer.String(ids[i].c_str());
    writer.EndObject();
  }
  writer.EndArray();
}

void write_strings(JsonWriter& writer, const char* name, const std::vector<std::string>& values) {
  writer.Key(name);
  writer.StartArray();
  for (const auto& value : values) writer.String(value.c_str());
  writer.EndArray();
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
    list.push_back(std::move(value));
}

// IN filters of up to kMaxInValues values each, one group per filter. IN compares lower-case
// values only ("When searching a string property with this operator, values must be
// lowercase"), so they are sent lower-cased.
void add_in_groups(std::vector<FilterGroup>& groups, const std::string& property,
                   const std::vector<std::string>& values) {
  std::vector<std::string> lower;
  for (const auto& value : values) add_unique(lower, ascii_lower(value));
  for (std::size_t start = 0; start < lower.size(); start += kMaxInValues) {
    const auto end = std::min(lower.size(), start + kMaxInValues);
    groups.push_back(
        {{property,
          "IN",
          {lower.begin() + static_cast<long>(start), lower.begin() + static_cast<long>(end)}}});
  }
}

// The cursor of the next page, or empty on the last page.
std::string next_after(const rapidjson::Value& document) {
  const auto paging = document.FindMember("paging");
  if (paging == document.MemberEnd() || !paging->value.IsObject()) return {};
  const auto next = paging->value.FindMember("next");
  if (next == paging->value.MemberEnd() || !next->value.IsObject() ||
      !next->value.HasMember("after")) {
    return {};
  }
  return json_text(next->value["after"]);
}

}  // namespace

std::vector<std::vector<FilterGroup>> pack_filter_groups(const std::vector<FilterGroup>& groups,
                                                         std::size_t spare) {
  std::vector<std::vector<FilterGroup>> searches;
  std::size_t filters = 0;
  for (const auto& group : groups) {
    if (group.empty() || group.size() + spare > kMaxFiltersPerGroup) continue;
    const auto cost = group.size() + spare;
    if (searches.empty() || searches.back().size() == kMaxFilterGroups ||
        filters + cost > kMaxFilters) {
      searches.emplace_back();
      filters = 0;
    }
    searches.back().push_back(group);
    filters += cost;
  }
  return searches;
}

std::vector<std::string> phone_text_values(const std::string& e164) {
  std::vector<std::string> values;
  const auto forms = phone_forms(e164);
  if (!forms) {
    add_unique(values, e164);
    return values;
  }
  // A number that ends in a group of four digits or more ends a token however it is written
  // and whatever splits tokens: "020 7946 0958", "020-7946-0958", "+442079460958", "020 7946
  // <line break>0958" all hold a token ending in 0958.
  const auto national = regroup_digits(forms->national, " ");
  const auto space = national.rfind(' ');
  const auto last = space == std::string::npos ? national : national.substr(space + 1);
  if (last.size() >= 4) {
    add_unique(values, "*" + last);
    return values;
  }
  // One that ends in pairs ("06 22 12 34 56"): its digits after any prefix, and its groups.
  add_unique(values, "*" + forms->significant);
  add_unique(values, national);
  add_unique(values, regroup_digits(forms->grouped, " "));
  return values;
}

ConnectorDescriptor HubSpotConnector::describe_connector() {
  return {"hubspot",
          "a HubSpot account through the CRM v3 API (a private app's token from "
          "HUBSPOT_ACCESS_TOKEN or HUBSPOT_ACCESS_TOKEN_FILE)",
          {
              {"base_url", "url", "https://api.hubapi.com", "the API's address", false},
              max_api_calls_option(),
              {"api_reserve", "int", "1000",
               "stop while the account still has this many daily API calls left", false},
              {"page_size", "int", "100", "records per search page (1 to 200)", false},
              {"search_rate", "int", "5",
               "searches a second (HubSpot allows five a second per account; 0: not paced)", false},
              max_wait_option(),
              ca_file_option(),
          }};
}

const ConnectorDescriptor& HubSpotConnector::descriptor() const {
  return descriptor_of<HubSpotConnector>();
}

HubSpotConnector::HubSpotConnector(const ConnectorConfig& config, HttpOptions http_options) {
  const ConnectorOptions options(descriptor(), config);
  base_url_ = options.text("base_url");
  max_api_calls_ = options.number("max_api_calls");
  api_reserve_ = options.number("api_reserve");
  page_size_ = options.number("page_size", 1, 200);
  search_rate_ = static_cast<double>(options.number("search_rate"));
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  HttpClient::check_url(base_url_);
  token_ = environment_secret(kTokenVariable);
  if (token_.empty()) {
    throw ConfigError(std::string("connector hubspot: set ") + kTokenVariable + " (or " +
                      kTokenVariable + "_FILE) to the access token of a private app");
  }
  pause_ = http_options.sleep ? http_options.sleep : [](std::chrono::milliseconds wait) {
    std::this_thread::sleep_for(wait);
  };
  http_ = std::make_unique<HttpClient>(options.http_with_wait_budget(std::move(http_options)));
}

HttpResponse HubSpotConnector::call(const std::string& method, const std::string& path,
                                    const std::string& body) {
  check_call_cap(api_calls(), max_api_calls_);
  HttpRequest request{method,
                      base_url_ + path,
                      {{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}},
                      body};
  if (method != "GET") request.headers.emplace_back("Content-Type", "application/json");
  auto response = http_->send(request);
  // A private app's token does not expire: a 401 means it was revoked or rotated, and no
  // request can succeed without a new one.
  if (response.status == 401) {
    throw Error(ExitCode::kIncomplete, "HubSpot refused the private app's access token (" +
                                           api_error_text(response) +
                                           "): it is wrong, revoked or rotated; set " +
                                           kTokenVariable + " to the app's current token");
  }
  if (response.status == 429) {
    const auto text = api_error_text(response);
    rapidjson::Document body;
    body.Parse(response.body.c_str(), response.body.size());
    if (!body.HasParseError() && body.IsObject() && body.HasMember("policyName") &&
        json_text(body["policyName"]) == "DAILY") {
      throw LimitReached("the account's daily API limit is reached (" + text + ")");
    }
    throw ApiError(method + " " + path.substr(0, path.find('?')) + ": still rate-limited after " +
                   "the retries (" + text + ")");
  }
  // The last call of the rolling window: wait for the next window rather than be refused.
  if (response.header("x-hubspot-ratelimit-remaining") == "0") {
    const auto interval = response.header("x-hubspot-ratelimit-interval-milliseconds");
    const bool given =
        !interval.empty() && interval.size() < 7 &&
        std::all_of(interval.begin(), interval.end(), [](char c) { return c >= '0' && c <= '9'; });
    pause_(given ? std::min(std::chrono::milliseconds(std::stoull(interval)), kLongestPause)
                 : kLongestPause);
  }
  const auto remaining = response.header("x-hubspot-ratelimit-daily-remaining");
  if (api_reserve_ > 0 && !remaining.empty() &&
      std::all_of(remaining.begin(), remaining.end(),
                  [](char c) { return c >= '0' && c <= '9'; }) &&
      std::stoull(remaining) <= api_reserve_) {
    throw LimitReached("stopped to keep the account's API reserve: " + remaining +
                       " daily calls left, " + std::to_string(api_reserve_) +
                       " kept in reserve (--option api_reserve)");
  }
  return response;
}

rapidjson::Document HubSpotConnector::call_json(const std::string& method, const std::string& path,
                                                const std::string& body) {
  const auto response = call(method, path, body);
  const auto what = method + " " + path.substr(0, path.find('?'));
  // 207: a batch read in which some records were not found (archived or deleted meanwhile).
  if (response.status != 200 && response.status != 207)
    throw ApiError(what + ": " + api_error_text(response));
  return json_body(response, what);
}

std::vector<ObjectSchema> HubSpotConnector::describe() {
  std::vector<ObjectSchema> schemas;
  for (const auto& entry : searched_objects()) {
    try {
      if (const auto* info = object_info(entry.object)) schemas.push_back(*info->schema);
    } catch (const ApiError&) {
      // Listed all the same (a scope missing for one object): its lookups ask again and report
      // the error against it, while the other objects are scanned.
      schemas.push_back({entry.object, {{"id", "id"}}});
    }
  }
  described_ = true;
  return schemas;
}

const HubSpotConnector::ObjectInfo* HubSpotConnector::object_info(const std::string& object) {
  if (const auto found = objects_.find(object); found != objects_.end()) return &found->second;
  const auto* search = search_of(object);
  if (search == nullptr) return nullptr;
  const auto document = call_json("GET", "/crm/v3/properties/" + object);
  if (!document.HasMember("results") || !document["results"].IsArray())
    throw ApiError("GET /crm/v3/properties/" + object + ": no results in the response");
  ObjectInfo info;
  auto schema = std::make_shared<ObjectSchema>();
  schema->object = object;
  schema->fields.push_back({"id", "id"});
  for (const auto& property : document["results"].GetArray()) {
    if (!property.IsObject() || !property.HasMember("name") || !property["name"].IsString())
      continue;
    const std::string name = property["name"].GetString();
    const auto text = [&property](const char* key) {
      return property.HasMember(key) && property[key].IsString() ? property[key].GetString() : "";
    };
    const std::string field_type = text("fieldType");
    info.slots[name] = schema->fields.size();
    info.properties.push_back(name);
    schema->fields.push_back(
        {"properties." + name, field_type == "phonenumber" ? std::string("phone") : text("type")});
  }
  for (const char* name : {"createdAt", "updatedAt"}) schema->fields.push_back({name, "datetime"});
  schema->fields.push_back({"archived", "bool"});
  for (const char* to : search->associated) {
    info.associations.emplace_back(to, schema->fields.size());
    schema->fields.push_back({association_field(to), "reference"});
    schema->fields.push_back({association_type_field(to), "string"});
  }
  info.schema = std::move(schema);
  return &(objects_[object] = std::move(info));
}

Record HubSpotConnector::to_record(const rapidjson::Value& item, const ObjectInfo& info,
                                   const std::string& object) const {
  Record record;
  record.schema = info.schema;
  record.values.assign(info.schema->fields.size(), Value{});
  record.source = "HubSpot " + object;
  if (item.HasMember("id")) record.id = json_text(item["id"]);
  record.values[0] = record.id;
  if (item.HasMember("properties") && item["properties"].IsObject()) {
    for (const auto& property : item["properties"].GetObject()) {
      const auto slot = info.slots.find(property.name.GetString());
      if (slot != info.slots.end() && property.value.IsString())
        record.values[slot->second] = json_text(property.value);
    }
  }
  const auto base = info.properties.size() + 1;
  if (item.HasMember("createdAt")) record.values[base] = json_text(item["createdAt"]);
  if (item.HasMember("updatedAt")) record.values[base + 1] = json_text(item["updatedAt"]);
  record.archived =
      item.HasMember("archived") && item["archived"].IsBool() && item["archived"].GetBool();
  record.values[base + 2] = record.archived;
  return record;
}

void HubSpotConnector::emit_with_associations(const Record& record, const ObjectInfo& info,
                                              const Links& links,
                                              const RecordSink& on_record) const {
  std::size_t count = 1;
  for (const auto& [type, ids] : links) count = std::max(count, ids.size());
  if (links.empty() || info.associations.empty()) {
    on_record(record);
    return;
  }
  // One field holds one associated id, as an export with one association per record does: a
  // record associated with several is delivered once for each.
  const auto singular = [](const std::string& type) {
    return type.ends_with("ies") ? type.substr(0, type.size() - 3) + "y"
                                 : type.substr(0, type.size() - 1);
  };
  for (std::size_t i = 0; i < count; ++i) {
    auto linked = record;
    for (const auto& [type, slot] : info.associations) {
      const auto found = links.find(type);
      if (found == links.end() || found->second.empty()) continue;
      linked.values[slot] = found->second[std::min(i, found->second.size() - 1)];
      linked.values[slot + 1] = singular(info.schema->object) + "_to_" + singular(type);
    }
    on_record(linked);
  }
}

void HubSpotConnector::pace_search() {
  if (search_rate_ <= 0) return;
  // Counted from when the last search was answered, so that the searches reach HubSpot at least
  // this far apart whatever the network does, with a tenth to spare for HubSpot's own clock.
  const auto gap = std::chrono::milliseconds(static_cast<long>(std::ceil(1100.0 / search_rate_)));
  const auto now = std::chrono::steady_clock::now();
  if (last_search_ && now < *last_search_ + gap) {
    pause_(std::chrono::duration_cast<std::chrono::milliseconds>(*last_search_ + gap - now));
  }
}

void HubSpotConnector::run_search(const std::string& object, const std::vector<FilterGroup>& groups,
                                  const RecordSink& on_record) {
  const auto* info = object_info(object);
  const auto body_of = [&](const std::vector<FilterGroup>& filters, bool properties,
                           const std::string& after) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    write_groups(writer, filters);
    // Sorted by id, so that a search at the cap can go on above the last id it returned.
    writer.Key("sorts");
    writer.StartArray();
    writer.StartObject();
    writer.Key("propertyName");
    writer.String("hs_object_id");
    writer.Key("direction");
    writer.String("ASCENDING");
    writer.EndObject();
    writer.EndArray();
    write_strings(writer, "properties",
                  properties ? info->properties : std::vector<std::string>{"hs_object_id"});
    writer.Key("limit");
    writer.Uint64(page_size_);
    if (!after.empty()) {
      writer.Key("after");
      writer.String(after.c_str());
    }
    writer.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
  };
  // HubSpot refuses a body of more than 3,000 characters: with many properties the search asks
  // for ids and a batch read gives the records; filters that are too long are split.
  const auto widest = [&](const std::vector<FilterGroup>& filters) {
    auto narrowed = filters;
    for (auto& group : narrowed) group.push_back({"hs_object_id", "GT", {"99999999999999"}});
    return narrowed;
  };
  const bool properties = body_of(widest(groups), true, "99999").size() <= kMaxSearchBody;
  if (!properties && body_of(widest(groups), false, "99999").size() > kMaxSearchBody) {
    if (groups.size() > 1) {
      const auto half = groups.begin() + static_cast<long>(groups.size() / 2);
      run_search(object, {groups.begin(), half}, on_record);
      run_search(object, {half, groups.end()}, on_record);
      return;
    }
    const auto& group = groups.front();
    const auto in = std::find_if(group.begin(), group.end(), [](const SearchFilter& f) {
      return f.op == "IN" && f.values.size() > 1;
    });
    if (in == group.end())
      throw ApiError("search of " + object + ": a filter longer than HubSpot accepts");
    for (const auto part : {0, 1}) {
      auto split = group;
      auto& values = split[static_cast<std::size_t>(in - group.begin())].values;
      const auto half = values.begin() + static_cast<long>(values.size() / 2);
      values = part == 0 ? std::vector<std::string>(values.begin(), half)
                         : std::vector<std::string>(half, values.end());
      run_search(object, {split}, on_record);
    }
    return;
  }
  std::vector<std::string> ids;  // without properties: the ids found, read in batches
  const auto deliver = [&](Record record) {
    if (properties) {
      on_record(record);
    } else {
      ids.push_back(record.id);
      if (ids.size() == kMaxBatchRead) {
        read_records(object, ids, on_record);
        ids.clear();
      }
    }
  };
  std::string above;  // after a narrowing: only ids above this one
  for (;;) {
    auto narrowed = groups;
    if (!above.empty()) {
      for (auto& group : narrowed) group.push_back({"hs_object_id", "GT", {above}});
    }
    std::string after;
    std::size_t read = 0;
    std::string last_id;
    bool narrow = false;
    PageGuard pages;
    for (;;) {
      const auto path = "/crm/v3/objects/" + object + "/search";
      pace_search();
      const auto answer = [this] { last_search_ = std::chrono::steady_clock::now(); };
      auto document = [&] {
        try {
          auto json = call_json("POST", path, body_of(narrowed, properties, after));
          answer();
          return json;
        } catch (...) {
          answer();
          throw;
        }
      }();
      if (!document.HasMember("results") || !document["results"].IsArray())
        throw ApiError("POST " + path + ": no results in the response");
      for (const auto& item : document["results"].GetArray()) {
        if (!item.IsObject()) continue;
        auto record = to_record(item, *info, object);
        last_id = record.id;
        ++read;
        deliver(std::move(record));
      }
      after = next_after(document);
      if (after.empty()) break;
      if (const auto stop = pages.next(after, document["results"].Size()); !stop.empty())
        throw ApiError("POST " + path + ": " + stop);
      if (read + page_size_ > kSearchCap) {
        narrow = true;
        break;
      }
    }
    if (!narrow) break;
    if (last_id.empty() || last_id == above) {
      throw ApiError("search of " + object + ": results past HubSpot's cap of " +
                     std::to_string(kSearchCap) + " could not be narrowed");
    }
    above = last_id;
  }
  if (!ids.empty()) read_records(object, ids, on_record);
}

void HubSpotConnector::search_groups(const std::string& object,
                                     const std::vector<FilterGroup>& groups,
                                     const RecordSink& on_record, const ProblemSink& on_problem) {
  for (const auto& packed : pack_filter_groups(groups, 1)) {
    try {
      run_search(object, packed, on_record);
    } catch (const ApiError& e) {
      on_problem(object, e.what());
    }
  }
}

void HubSpotConnector::search(IdentifierKind kind, bool in_text,
                              const std::vector<std::string>& terms,
                              const std::vector<std::string>& objects, const RecordSink& on_record,
                              const ProblemSink& on_problem) {
  if (!described_) describe();
  for (const auto& object : objects) {
    const auto* search = search_of(object);
    const ObjectInfo* info = nullptr;
    try {
      info = search == nullptr ? nullptr : object_info(object);
    } catch (const ApiError& e) {
      on_problem(object, e.what());
    }
    if (info == nullptr) continue;
    if (kind == IdentifierKind::kId) {
      // Record ids asked for in the request; HubSpot ids are numbers, which no text search can
      // tell from other numbers, so ids in text are left to the rules' own fields.
      std::vector<std::string> ids;
      for (const auto& term : terms) {
        if (!term.empty() &&
            std::all_of(term.begin(), term.end(), [](char c) { return c >= '0' && c <= '9'; }))
          ids.push_back(term);
      }
      if (!in_text && !ids.empty()) fetch(object, "id", ids, on_record, on_problem);
      continue;
    }
    const auto& properties = searched(object, *info);
    std::vector<FilterGroup> groups;
    const auto text_groups = [&](const std::vector<std::string>& values, bool addresses) {
      for (const auto& property : properties.text) {
        // A number is not looked for in an email's address fields.
        if (!addresses && property.ends_with("_email")) continue;
        for (const auto& value : values) groups.push_back({{property, "CONTAINS_TOKEN", {value}}});
      }
    };
    switch (kind) {
      case IdentifierKind::kEmail:
        if (in_text) {
          text_groups(terms, true);
          break;
        }
        for (const auto& property : properties.email) {
          add_in_groups(groups, property, terms);
          // A sub-address of the customer's (jane.roe+shop@example.com) is theirs to review: the
          // token with a wildcard after the plus finds it.
          for (const auto& email : terms) {
            const auto at = email.find('@');
            if (at != std::string::npos && email.find('+') == std::string::npos)
              groups.push_back({{property, "CONTAINS_TOKEN", {email.substr(0, at) + "+*"}}});
          }
        }
        if (object == "contacts" && info->slots.count(kAdditionalEmails) != 0) {
          for (const auto& email : terms)
            groups.push_back({{kAdditionalEmails, "CONTAINS_TOKEN", {email}}});
        }
        break;
      case IdentifierKind::kPhone: {
        if (in_text) {
          std::vector<std::string> values;
          for (const auto& term : terms) {
            for (auto& value : phone_text_values(term)) add_unique(values, std::move(value));
          }
          text_groups(values, false);
          break;
        }
        std::vector<std::string> variants;
        for (const auto& term : terms) {
          for (auto& variant : phone_variants(term)) add_unique(variants, std::move(variant));
        }
        for (const auto& property : properties.phone) add_in_groups(groups, property, variants);
        break;
      }
      case IdentifierKind::kName:
        for (const auto& name : terms) {
          const auto words = folded_words(name);
          if (words.size() >= 2 && !properties.first_name.empty() &&
              !properties.last_name.empty()) {
            groups.push_back({{properties.first_name, "CONTAINS_TOKEN", {words.front()}},
                              {properties.last_name, "CONTAINS_TOKEN", {words.back()}}});
          }
        }
        text_groups(terms, false);
        break;
      case IdentifierKind::kId:
        break;
    }
    search_groups(object, groups, on_record, on_problem);
  }
}

const HubSpotConnector::Searched& HubSpotConnector::searched(const std::string& object,
                                                             const ObjectInfo& info) {
  if (const auto found = searched_.find(object); found != searched_.end()) return found->second;
  Searched result;
  const auto* search = search_of(object);
  const auto ruled = ruled_.find(object);
  const auto add = [&](std::vector<std::string>& into, const std::vector<const char*>& defaults,
                       const char* kind) {
    std::vector<std::string> names(defaults.begin(), defaults.end());
    if (ruled != ruled_.end()) {
      const auto more = ruled->second.find(kind);
      if (more != ruled->second.end())
        names.insert(names.end(), more->second.begin(), more->second.end());
    }
    for (auto& name : names) {
      if (info.slots.count(name) == 0) continue;
      if (unfilterable(object, name)) {
        const auto text = object + "." + name +
                          " is not searched: HubSpot's search cannot filter on it (a --full-read "
                          "reads it)";
        if (std::find(notes_.begin(), notes_.end(), text) == notes_.end()) notes_.push_back(text);
        continue;
      }
      add_unique(into, name);
    }
  };
  if (search != nullptr) {
    add(result.email, search->email_properties, "email");
    add(result.phone, search->phone_properties, "phone");
    add(result.text, search->text_properties, "text");
    if (search->first_name != nullptr && info.slots.count(search->first_name) != 0 &&
        info.slots.count(search->last_name) != 0) {
      result.first_name = search->first_name;
      result.last_name = search->last_name;
    }
  }
  return searched_.emplace(object, std::move(result)).first->second;
}

void HubSpotConnector::use_rules(const RuleSet& rules) {
  // The properties the packs name for emails, numbers and free text are searched beside the
  // standard ones (a custom property holding a second mobile, say).
  const auto property_of = [](const NamePattern& field) -> std::string {
    const std::string prefix = "properties.";
    if (field.is_glob() || field.text().rfind(prefix, 0) != 0) return {};
    return field.text().substr(prefix.size());
  };
  for (const auto& entry : searched_objects()) {
    auto& kinds = ruled_[entry.object];
    for (const auto* object_rules : rules.rules_for(entry.object)) {
      const auto identity_like = [&](const std::vector<IdentityRule>& list) {
        for (const auto& rule : list) {
          const char* kind = rule.kind == IdentifierKind::kEmail   ? "email"
                             : rule.kind == IdentifierKind::kPhone ? "phone"
                                                                   : nullptr;
          if (kind == nullptr) continue;
          for (const auto& field : rule.fields) {
            if (auto name = property_of(field); !name.empty())
              add_unique(kinds[rule.in_text ? "text" : kind], std::move(name));
          }
        }
      };
      identity_like(object_rules->identity);
      identity_like(object_rules->holders);
      for (const auto& rule : object_rules->text) {
        for (const auto& field : rule.fields) {
          if (auto name = property_of(field); !name.empty())
            add_unique(kinds["text"], std::move(name));
        }
      }
    }
  }
  searched_.clear();
}

std::vector<std::string> HubSpotConnector::notes() const {
  auto notes = notes_;
  if (described_) {
    notes.emplace_back(
        "HubSpot's search never returns archived records (deleted in the last 90 days): records "
        "associated with a reached record were read archived or not, but an archived record "
        "reachable only by search was not seen (--full-read reads them)");
    notes.emplace_back(
        "HubSpot was searched in the properties the rules name and the standard ones; an "
        "identifier written only in another property was not seen (--full-read reads every "
        "property)");
  }
  return notes;
}

void HubSpotConnector::read_by_id(const std::string& object, const std::vector<std::string>& ids,
                                  bool archived, const RecordSink& on_record) {
  const auto* info = object_info(object);
  if (info == nullptr) return;
  // A record already read is not asked for again: searches find the same records many times.
  std::vector<std::string> wanted;
  for (const auto& id : ids) {
    const auto cached = archived ? fetched_.end() : fetched_.find(object + "/" + id);
    if (cached != fetched_.end()) {
      on_record(cached->second);
    } else if (std::find(wanted.begin(), wanted.end(), id) == wanted.end()) {
      wanted.push_back(id);
    }
  }
  const auto path =
      "/crm/v3/objects/" + object + "/batch/read" + (archived ? "?archived=true" : "");
  for (std::size_t start = 0; start < wanted.size(); start += kMaxBatchRead) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    write_strings(writer, "properties", info->properties);
    write_id_inputs(writer, wanted, start, start + kMaxBatchRead);
    writer.EndObject();
    const auto document = call_json("POST", path, buffer.GetString());
    if (!document.HasMember("results") || !document["results"].IsArray())
      throw ApiError("POST " + path + ": no results in the response");
    for (const auto& item : document["results"].GetArray()) {
      if (!item.IsObject()) continue;
      auto record = to_record(item, *info, object);
      if (archived) {
        on_record(record);
        continue;
      }
      const auto& kept = fetched_.insert_or_assign(object + "/" + record.id, record).first->second;
      on_record(kept);
    }
  }
}

void HubSpotConnector::read_records(const std::string& object, const std::vector<std::string>& ids,
                                    const RecordSink& on_record) {
  std::set<std::string> seen;
  read_by_id(object, ids, false, [&](const Record& record) {
    seen.insert(record.id);
    on_record(record);
  });
  // What the live read did not return is archived (deleted, restorable for 90 days) or gone.
  std::vector<std::string> rest;
  for (const auto& id : ids) {
    if (seen.count(id) == 0) add_unique(rest, id);
  }
  if (!rest.empty()) read_by_id(object, rest, true, on_record);
}

void HubSpotConnector::read_associated(const std::string& object, const std::string& from,
                                       const std::vector<std::string>& parent_ids,
                                       const RecordSink& on_record) {
  const auto* info = object_info(object);
  if (info == nullptr) return;
  // Associations v4, read in batches from the parents: the ids of their records of this type.
  std::map<std::string, std::vector<std::string>> parents_of;  // child id → parent ids
  std::vector<std::string> children;
  const auto link = [&](const rapidjson::Value& to, const std::string& parent) {
    if (!to.IsObject() || !to.HasMember("toObjectId")) return;
    const auto child = json_text(to["toObjectId"]);
    if (child.empty()) return;
    auto& parents = parents_of[child];
    if (parents.empty()) children.push_back(child);
    add_unique(parents, parent);
  };
  std::vector<std::string> unique;
  for (const auto& id : parent_ids) add_unique(unique, id);
  const auto path = "/crm/v4/associations/" + from + "/" + object + "/batch/read";
  for (std::size_t start = 0; start < unique.size(); start += kMaxAssociationBatch) {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    write_id_inputs(writer, unique, start, start + kMaxAssociationBatch);
    writer.EndObject();
    // 207: some parents have no records of this type, which is no error here.
    const auto document = call_json("POST", path, buffer.GetString());
    if (!document.HasMember("results") || !document["results"].IsArray())
      throw ApiError("POST " + path + ": no results in the response");
    for (const auto& result : document["results"].GetArray()) {
      if (!result.IsObject() || !result.HasMember("from") || !result["from"].IsObject() ||
          !result["from"].HasMember("id"))
        continue;
      const auto parent = json_text(result["from"]["id"]);
      if (result.HasMember("to") && result["to"].IsArray()) {
        for (const auto& to : result["to"].GetArray()) link(to, parent);
      }
      // A parent with more than a page of them: the rest from its own associations, page by page.
      PageGuard pages;
      for (auto after = next_after(result); !after.empty();) {
        const auto one = "/crm/v4/objects/" + from + "/" + HttpClient::escape(parent) +
                         "/associations/" + object + "?limit=" + std::to_string(kAssociationPage) +
                         "&after=" + HttpClient::escape(after);
        const auto page = call_json("GET", one);
        if (!page.HasMember("results") || !page["results"].IsArray())
          throw ApiError("GET " + one.substr(0, one.find('?')) + ": no results in the response");
        for (const auto& to : page["results"].GetArray()) link(to, parent);
        after = next_after(page);
        if (const auto stop = pages.next(after, page["results"].Size()); !stop.empty())
          throw ApiError("GET " + one.substr(0, one.find('?')) + ": " + stop);
      }
    }
  }
  // Archived records keep their associations, and search never returns them: read them too.
  read_records(object, children, [&](const Record& record) {
    emit_with_associations(record, *info, {{from, parents_of[record.id]}}, on_record);
  });
}

void HubSpotConnector::fetch(const std::string& object, const std::string& field,
                             const std::vector<std::string>& ids, const RecordSink& on_record,
                             const ProblemSink& on_problem) {
  // A failed request leaves that object incomplete, named; the scan goes on with the rest.
  try {
    const auto* info = object_info(object);
    if (info == nullptr || ids.empty()) return;
    if (iequals(field, "id") || iequals(field, "properties.hs_object_id")) {
      read_records(object, ids, on_record);
      return;
    }
    for (const auto& [type, slot] : info->associations) {
      if (iequals(field, association_field(type))) {
        read_associated(object, type, ids, on_record);
        return;
      }
    }
    if (field.rfind("properties.", 0) == 0 && info->slots.count(field.substr(11)) != 0) {
      // A property that holds record ids or a call's key: searched like any value (IN compares
      // lower-cased values).
      std::vector<FilterGroup> groups;
      add_in_groups(groups, field.substr(11), ids);
      search_groups(object, groups, on_record, on_problem);
      const auto text = "HubSpot records sharing a value of " + object + "." + field.substr(11) +
                        " were found by search, which skips archived records";
      if (std::find(notes_.begin(), notes_.end(), text) == notes_.end()) notes_.push_back(text);
    }
  } catch (const ApiError& e) {
    on_problem(object, e.what());
  }
}

bool HubSpotConnector::has_field(const std::string& object, const std::string& field) {
  try {
    const auto* info = object_info(object);
    return info != nullptr && info->schema->index_of(field).has_value();
  } catch (const ApiError&) {
    return true;  // not described: fetch() asks again and reports the error against the object
  }
}

std::vector<std::pair<std::string, std::string>> HubSpotConnector::references_to(
    const std::string& object) {
  // Every association to the object: the engine follows those the rules do not declare (a
  // company associated with the customer's contact) and reports them for review.
  std::vector<std::pair<std::string, std::string>> references;
  for (const auto& entry : searched_objects()) {
    for (const char* to : entry.associated) {
      if (object == to) references.emplace_back(entry.object, association_field(to));
    }
  }
  return references;
}

void HubSpotConnector::scan(const std::string& object, const RecordSink& on_record,
                            const ProblemSink& on_problem) {
  try {
    const auto* info = object_info(object);
    if (info == nullptr) return;
    std::string properties, associations;
    for (const auto& name : info->properties)
      properties += (properties.empty() ? "" : ",") + HttpClient::escape(name);
    for (const auto& [type, slot] : info->associations)
      associations += (associations.empty() ? "" : ",") + type;
    // An account with many properties would make the list URL too long: its pages then give
    // ids and associations, and a batch read per page gives the properties.
    const bool listed = properties.size() <= kMaxListPropertyBytes;
    // Archived records (deleted, restorable for 90 days) are listed apart from the others.
    for (const bool archived : {false, true}) {
      std::string after;
      PageGuard pages;
      do {
        auto path = "/crm/v3/objects/" + object + "?limit=" + std::to_string(kMaxListPage) +
                    "&archived=" + (archived ? "true" : "false");
        if (listed) path += "&properties=" + properties;
        if (!associations.empty()) path += "&associations=" + associations;
        if (!after.empty()) path += "&after=" + HttpClient::escape(after);
        const auto document = call_json("GET", path);
        if (!document.HasMember("results") || !document["results"].IsArray())
          throw ApiError("GET /crm/v3/objects/" + object + ": no results in the response");
        std::map<std::string, Links> associated;  // id → associated ids by type
        std::vector<std::string> ids;
        for (const auto& item : document["results"].GetArray()) {
          if (!item.IsObject()) continue;
          auto record = to_record(item, *info, object);
          auto& links = associated[record.id];
          if (item.HasMember("associations") && item["associations"].IsObject()) {
            for (const auto& [type, slot] : info->associations) {
              const auto found = item["associations"].FindMember(type.c_str());
              if (found == item["associations"].MemberEnd() || !found->value.IsObject() ||
                  !found->value.HasMember("results") || !found->value["results"].IsArray())
                continue;
              for (const auto& link : found->value["results"].GetArray()) {
                if (link.IsObject() && link.HasMember("id"))
                  add_unique(links[type], json_text(link["id"]));
              }
            }
          }
          if (listed) {
            emit_with_associations(record, *info, links, on_record);
          } else {
            ids.push_back(record.id);
          }
        }
        if (!ids.empty()) {
          read_by_id(object, ids, archived, [&](const Record& record) {
            emit_with_associations(record, *info, associated[record.id], on_record);
          });
        }
        after = next_after(document);
        if (const auto stop = pages.next(after, document["results"].Size()); !stop.empty())
          throw ApiError("GET /crm/v3/objects/" + object + ": " + stop);
      } while (!after.empty());
    }
  } catch (const ApiError& e) {
    on_problem(object, e.what());
  }
}

}  // namespace crmscan::hubspot

namespace crmscan {

ConnectorEntry crmscan_connector_hubspot() {
  return connector_entry<hubspot::HubSpotConnector>();
}

}  // namespace crmscan

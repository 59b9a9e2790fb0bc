#include "hubspot_connector.hpp"

#include <phonenumbers/phonenumberutil.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "crmscan/error.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

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
constexpr std::size_t kMaxInValues = 100;
constexpr std::size_t kMaxBatchRead = 100;
constexpr std::size_t kMaxListPage = 100;
/// Past this many bytes of property names, a full read asks for properties by batch read.
constexpr std::size_t kMaxListPropertyBytes = 6'000;
constexpr std::size_t kAssociationPage = 500;
/// HubSpot's rolling rate-limit window is ten seconds.
constexpr std::chrono::milliseconds kLongestPause{10'000};

/// The object types a subject scan reads, the properties searched for each kind of identifier,
/// and the object an association field points to.
struct ObjectSearch {
  const char* object;
  std::vector<const char*> email_properties;
  std::vector<const char*> phone_properties;
  std::vector<const char*> text_properties;
  const char* first_name = nullptr;
  const char* last_name = nullptr;
  const char* associated = nullptr;
};

const std::vector<ObjectSearch>& searched_objects() {
  static const std::vector<ObjectSearch> kObjects{
      {"contacts",
       {"email", "work_email"},
       {"phone", "mobilephone", "hs_whatsapp_phone_number"},
       {"message"},
       "firstname",
       "lastname",
       nullptr},
      {"calls",
       {},
       {"hs_call_to_number", "hs_call_from_number"},
       {"hs_call_body", "hs_call_title"},
       nullptr,
       nullptr,
       "contacts"},
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

/// The limits or the user's cap were reached: the scan stops, incomplete.
class LimitReached : public Error {
 public:
  explicit LimitReached(const std::string& message) : Error(ExitCode::kIncomplete, message) {}
};

/// One request failed: that object is incomplete, the scan goes on.
class ApiError : public Error {
 public:
  explicit ApiError(const std::string& message) : Error(ExitCode::kIncomplete, message) {}
};

std::string association_field(const std::string& to) {
  return "associations." + to + ".results.id";
}

std::string association_type_field(const std::string& to) {
  return "associations." + to + ".results.type";
}

std::string json_text(const rapidjson::Value& value) {
  if (value.IsString()) return {value.GetString(), value.GetStringLength()};
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  return {};
}

// "HTTP 400 VALIDATION_ERROR: message", from HubSpot's {"status":"error","message","category"}.
std::string api_error_text(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError() || !document.IsObject()) return text;
  for (const char* name : {"category", "errorType"}) {
    if (document.HasMember(name) && document[name].IsString()) {
      text += std::string(" ") + document[name].GetString();
      break;
    }
  }
  if (document.HasMember("message") && document["message"].IsString())
    text += ": " + std::string(document["message"].GetString());
  return scrub(text, 300);
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

void write_strings(JsonWriter& writer, const char* name, const std::vector<std::string>& values) {
  writer.Key(name);
  writer.StartArray();
  for (const auto& value : values) writer.String(value.c_str());
  writer.EndArray();
}

// IN filters of up to kMaxInValues values each, one group per filter.
void add_in_groups(std::vector<FilterGroup>& groups, const std::string& property,
                   const std::vector<std::string>& values) {
  for (std::size_t start = 0; start < values.size(); start += kMaxInValues) {
    const auto end = std::min(values.size(), start + kMaxInValues);
    groups.push_back(
        {{property,
          "IN",
          {values.begin() + static_cast<long>(start), values.begin() + static_cast<long>(end)}}});
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

void add_unique(std::vector<std::string>& list, std::string value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
    list.push_back(std::move(value));
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

std::vector<std::string> phone_variants(const std::string& e164) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const auto& util = *PhoneNumberUtil::GetInstance();
  std::vector<std::string> variants;
  add_unique(variants, e164);
  PhoneNumber number;
  if (util.Parse(e164, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) return variants;
  if (e164.size() > 1 && e164[0] == '+') add_unique(variants, e164.substr(1));
  std::string formatted;
  util.Format(number, PhoneNumberUtil::INTERNATIONAL, &formatted);
  add_unique(variants, formatted);
  util.Format(number, PhoneNumberUtil::NATIONAL, &formatted);
  add_unique(variants, formatted);
  std::string digits;
  for (const char c : formatted) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  add_unique(variants, digits);
  return variants;
}

ConnectorDescriptor HubSpotConnector::describe_connector() {
  return {"hubspot",
          "a HubSpot account through the CRM v3 API (a private app's token from "
          "HUBSPOT_ACCESS_TOKEN or HUBSPOT_ACCESS_TOKEN_FILE)",
          {
              {"base_url", "url", "https://api.hubapi.com", "the API's address", false},
              {"max_api_calls", "int", "0", "stop the scan after this many requests (0: no cap)",
               false},
              {"api_reserve", "int", "1000",
               "stop while the account still has this many daily API calls left", false},
              {"page_size", "int", "100", "records per search page (1 to 200)", false},
              {"ca_file", "path", "", "a CA bundle to trust (a private CA); TLS is always verified",
               false},
          }};
}

const ConnectorDescriptor& HubSpotConnector::descriptor() const {
  static const ConnectorDescriptor kDescriptor = describe_connector();
  return kDescriptor;
}

HubSpotConnector::HubSpotConnector(const ConnectorConfig& config, HttpOptions http_options)
    : base_url_(config.at("base_url")) {
  const auto number = [&config](const char* key) -> std::size_t {
    const auto& text = config.at(key);
    if (text.empty() || text.size() > 12 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw ConfigError(std::string("connector hubspot: ") + key +
                        " must be a whole number, not '" + text + "'");
    }
    return std::stoull(text);
  };
  max_api_calls_ = number("max_api_calls");
  api_reserve_ = number("api_reserve");
  page_size_ = std::clamp<std::size_t>(number("page_size"), 1, 200);
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (const auto found = config.find("ca_file"); found != config.end())
    http_options.ca_file = found->second;
  HttpClient::check_url(base_url_);
  token_ = environment_secret(kTokenVariable);
  if (token_.empty()) {
    throw ConfigError(std::string("connector hubspot: set ") + kTokenVariable + " (or " +
                      kTokenVariable + "_FILE) to the access token of a private app");
  }
  pause_ = http_options.sleep ? http_options.sleep : [](std::chrono::milliseconds wait) {
    std::this_thread::sleep_for(wait);
  };
  http_ = std::make_unique<HttpClient>(std::move(http_options));
}

HttpResponse HubSpotConnector::call(const std::string& method, const std::string& path,
                                    const std::string& body) {
  if (max_api_calls_ != 0 && api_calls() >= max_api_calls_) {
    throw LimitReached("stopped after " + std::to_string(api_calls()) +
                       " API calls (--max-api-calls)");
  }
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
  if (response.header("content-type").find("json") == std::string::npos) {
    throw ApiError(what + ": the response is not JSON (" + response.header("content-type") + ")");
  }
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError() || !document.IsObject())
    throw ApiError(what + ": the response is not valid JSON (truncated?)");
  return document;
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
  if (search->associated != nullptr) {
    info.associated = search->associated;
    schema->fields.push_back({association_field(info.associated), "reference"});
    schema->fields.push_back({association_type_field(info.associated), "string"});
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
                                              const std::vector<std::string>& associated_ids,
                                              const RecordSink& on_record) const {
  if (info.associated.empty() || associated_ids.empty()) {
    on_record(record);
    return;
  }
  // One field holds one associated id, as an export with one association per record does: a
  // record associated with several is delivered once for each.
  const auto id_slot = info.schema->fields.size() - 2;
  auto linked = record;
  for (const auto& id : associated_ids) {
    linked.values[id_slot] = id;
    linked.values[id_slot + 1] = info.schema->object.substr(0, info.schema->object.size() - 1) +
                                 "_to_" + info.associated.substr(0, info.associated.size() - 1);
    on_record(linked);
  }
}

void HubSpotConnector::run_search(const std::string& object, const std::vector<FilterGroup>& groups,
                                  const RecordSink& on_record) {
  const auto* info = object_info(object);
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
      rapidjson::StringBuffer buffer;
      JsonWriter writer(buffer);
      writer.StartObject();
      write_groups(writer, narrowed);
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
      write_strings(writer, "properties", info->properties);
      writer.Key("limit");
      writer.Uint64(page_size_);
      if (!after.empty()) {
        writer.Key("after");
        writer.String(after.c_str());
      }
      writer.EndObject();
      const auto path = "/crm/v3/objects/" + object + "/search";
      const auto document = call_json("POST", path, buffer.GetString());
      if (!document.HasMember("results") || !document["results"].IsArray())
        throw ApiError("POST " + path + ": no results in the response");
      for (const auto& item : document["results"].GetArray()) {
        if (!item.IsObject()) continue;
        auto record = to_record(item, *info, object);
        last_id = record.id;
        ++read;
        on_record(record);
      }
      after = next_after(document);
      if (after.empty()) return;
      if (const auto stop = pages.next(after, document["results"].Size()); !stop.empty())
        throw ApiError("POST " + path + ": " + stop);
      if (read + page_size_ > kSearchCap) {
        narrow = true;
        break;
      }
    }
    if (!narrow || last_id.empty() || last_id == above) {
      throw ApiError("search of " + object + ": results past HubSpot's cap of " +
                     std::to_string(kSearchCap) + " could not be narrowed");
    }
    above = last_id;
  }
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
    const auto has = [info](const char* property) { return info->slots.count(property) != 0; };
    std::vector<FilterGroup> groups;
    const auto text_groups = [&](const std::vector<std::string>& phrases) {
      for (const auto* property : search->text_properties) {
        if (!has(property)) continue;
        for (const auto& phrase : phrases)
          groups.push_back({{property, "CONTAINS_TOKEN", {phrase}}});
      }
    };
    switch (kind) {
      case IdentifierKind::kEmail:
        if (in_text) {
          text_groups(terms);
          break;
        }
        for (const auto* property : search->email_properties) {
          if (has(property)) add_in_groups(groups, property, terms);
        }
        if (object == "contacts" && has(kAdditionalEmails)) {
          for (const auto& email : terms)
            groups.push_back({{kAdditionalEmails, "CONTAINS_TOKEN", {email}}});
        }
        break;
      case IdentifierKind::kPhone: {
        std::vector<std::string> variants;
        for (const auto& term : terms) {
          for (auto& variant : phone_variants(term)) add_unique(variants, std::move(variant));
        }
        if (in_text) {
          text_groups(variants);
          break;
        }
        for (const auto* property : search->phone_properties) {
          if (has(property)) add_in_groups(groups, property, variants);
        }
        break;
      }
      case IdentifierKind::kName:
        for (const auto& name : terms) {
          const auto words = folded_words(name);
          if (words.size() >= 2 && search->first_name != nullptr && has(search->first_name) &&
              has(search->last_name)) {
            groups.push_back({{search->first_name, "CONTAINS_TOKEN", {words.front()}},
                              {search->last_name, "CONTAINS_TOKEN", {words.back()}}});
          }
        }
        text_groups(terms);
        break;
      case IdentifierKind::kId:
        break;
    }
    search_groups(object, groups, on_record, on_problem);
  }
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
    writer.Key("inputs");
    writer.StartArray();
    for (auto i = start; i < std::min(wanted.size(), start + kMaxBatchRead); ++i) {
      writer.StartObject();
      writer.Key("id");
      writer.String(wanted[i].c_str());
      writer.EndObject();
    }
    writer.EndArray();
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

void HubSpotConnector::read_associated(const std::string& object,
                                       const std::vector<std::string>& parent_ids,
                                       const RecordSink& on_record) {
  const auto* info = object_info(object);
  if (info == nullptr || info->associated.empty()) return;
  // Associations v4, from each parent: the ids of its records of this type.
  std::map<std::string, std::vector<std::string>> parents_of;  // child id → parent ids
  std::vector<std::string> children;
  for (const auto& parent : parent_ids) {
    std::string after;
    PageGuard pages;
    do {
      auto path = "/crm/v4/objects/" + info->associated + "/" + HttpClient::escape(parent) +
                  "/associations/" + object + "?limit=" + std::to_string(kAssociationPage);
      if (!after.empty()) path += "&after=" + HttpClient::escape(after);
      const auto document = call_json("GET", path);
      if (!document.HasMember("results") || !document["results"].IsArray())
        throw ApiError("GET " + path.substr(0, path.find('?')) + ": no results in the response");
      for (const auto& link : document["results"].GetArray()) {
        if (!link.IsObject() || !link.HasMember("toObjectId")) continue;
        const auto child = json_text(link["toObjectId"]);
        if (child.empty()) continue;
        auto& parents = parents_of[child];
        if (parents.empty()) children.push_back(child);
        add_unique(parents, parent);
      }
      after = next_after(document);
      if (const auto stop = pages.next(after, document["results"].Size()); !stop.empty())
        throw ApiError("GET " + path.substr(0, path.find('?')) + ": " + stop);
    } while (!after.empty());
  }
  read_by_id(object, children, false, [&](const Record& record) {
    emit_with_associations(record, *info, parents_of[record.id], on_record);
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
      read_by_id(object, ids, false, on_record);
    } else if (!info->associated.empty() && iequals(field, association_field(info->associated))) {
      read_associated(object, ids, on_record);
    } else if (field.rfind("properties.", 0) == 0 && info->slots.count(field.substr(11)) != 0) {
      // A property that holds record ids (a custom lookup): searched like any value.
      std::vector<FilterGroup> groups;
      add_in_groups(groups, field.substr(11), ids);
      search_groups(object, groups, on_record, on_problem);
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
    const std::string&) {
  // Records point to each other through associations, which the rule packs declare.
  return {};
}

void HubSpotConnector::scan(const std::string& object, const RecordSink& on_record,
                            const ProblemSink& on_problem) {
  try {
    const auto* info = object_info(object);
    if (info == nullptr) return;
    std::string properties;
    for (const auto& name : info->properties)
      properties += (properties.empty() ? "" : ",") + HttpClient::escape(name);
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
        if (!info->associated.empty()) path += "&associations=" + info->associated;
        if (!after.empty()) path += "&after=" + HttpClient::escape(after);
        const auto document = call_json("GET", path);
        if (!document.HasMember("results") || !document["results"].IsArray())
          throw ApiError("GET /crm/v3/objects/" + object + ": no results in the response");
        std::map<std::string, std::vector<std::string>> associated;  // id → associated ids
        std::vector<std::string> ids;
        for (const auto& item : document["results"].GetArray()) {
          if (!item.IsObject()) continue;
          auto record = to_record(item, *info, object);
          auto& links = associated[record.id];
          if (!info->associated.empty() && item.HasMember("associations") &&
              item["associations"].IsObject() &&
              item["associations"].HasMember(info->associated.c_str())) {
            const auto& to = item["associations"][info->associated.c_str()];
            if (to.IsObject() && to.HasMember("results") && to["results"].IsArray()) {
              for (const auto& link : to["results"].GetArray()) {
                if (link.IsObject() && link.HasMember("id"))
                  add_unique(links, json_text(link["id"]));
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
  return {&hubspot::HubSpotConnector::describe_connector,
          [](const ConnectorConfig& config) -> std::unique_ptr<Connector> {
            return std::make_unique<hubspot::HubSpotConnector>(config);
          }};
}

}  // namespace crmscan

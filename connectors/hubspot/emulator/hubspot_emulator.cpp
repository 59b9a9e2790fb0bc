#include "hubspot_emulator.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "crmscan/normalize.hpp"
#include "crmscan/text.hpp"
#include "emulator_kit.hpp"

namespace crmscan::hsemu {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view kJson = "application/json;charset=utf-8";
constexpr std::size_t kMaxFilterGroups = 5;
constexpr std::size_t kMaxFiltersPerGroup = 6;
constexpr std::size_t kMaxFilters = 18;
constexpr std::size_t kMaxSearchLimit = 200;
constexpr std::size_t kMaxListLimit = 100;
constexpr std::size_t kMaxBatchInputs = 100;
constexpr std::size_t kMaxAssociationLimit = 500;
constexpr std::size_t kMaxAssociationInputs = 1'000;

void put(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void key(JsonWriter& writer, std::string_view text) {
  writer.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

using emulator::Reply;

Reply json_reply(int status, const rapidjson::StringBuffer& buffer) {
  return {status, std::string(buffer.GetString(), buffer.GetSize()), {}, std::string(kJson)};
}

// HubSpot's error body: {"status":"error","message":…,"correlationId":…,"category":…}.
Reply error_reply(int status, std::string_view category, std::string_view message,
                  std::string_view policy = {}) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  key(writer, "status");
  put(writer, "error");
  key(writer, "message");
  put(writer, message);
  key(writer, "correlationId");
  put(writer, "00000000-0000-4000-8000-000000000000");
  key(writer, status == 429 ? "errorType" : "category");
  put(writer, category);
  if (!policy.empty()) {
    key(writer, "policyName");
    put(writer, policy);
  }
  writer.EndObject();
  return json_reply(status, buffer);
}

/// A request that cannot be served, with its status and HubSpot error category.
struct ApiError {
  int status;
  std::string category;
  std::string message;
};

[[noreturn]] void invalid(const std::string& message) {
  throw ApiError{400, "VALIDATION_ERROR", message};
}

std::optional<std::size_t> parse_count(std::string_view text) {
  std::size_t value = 0;
  const auto end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, value).ptr != end) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, value).ptr != end) return std::nullopt;
  return value;
}

// Numbers compare as numbers (ids, timestamps in milliseconds), anything else as text.
int compare_values(std::string_view a, std::string_view b) {
  const auto x = parse_number(a), y = parse_number(b);
  if (x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
  return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
}

std::string json_text(const rapidjson::Value& value) {
  if (value.IsString()) return {value.GetString(), value.GetStringLength()};
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  if (value.IsNumber()) return std::to_string(value.GetDouble());
  if (value.IsBool()) return value.GetBool() ? "true" : "false";
  return {};
}

// A word of a CONTAINS_TOKEN value against one token: `*` matches any run of characters (the
// documented `*@hubspot.com`), anything else must be equal.
bool word_matches(std::string_view pattern, std::string_view token) {
  const auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == token;
  const auto head = pattern.substr(0, star), rest = pattern.substr(star + 1);
  if (!token.starts_with(head)) return false;
  for (std::size_t at = head.size(); at <= token.size(); ++at) {
    if (word_matches(rest, token.substr(at))) return true;
  }
  return false;
}

// The words of a value, lower-cased and split at spaces and punctuation as folded_words() does,
// with a `*` kept in the word it touches (a `*` between separators matches any one token).
std::vector<std::string> pattern_words(std::string_view value) {
  const auto wordy = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
  };
  std::vector<std::string> words;
  bool glue = false;  // the last word ends with a `*` that touches what follows
  std::size_t start = 0;
  for (;;) {
    const auto star = value.find('*', start);
    const auto piece =
        value.substr(start, star == std::string_view::npos ? value.npos : star - start);
    auto parts = folded_words(piece);
    if (glue && !piece.empty() && wordy(piece.front()) && !parts.empty()) {
      words.back() += parts.front();
      parts.erase(parts.begin());
    }
    glue = false;
    words.insert(words.end(), parts.begin(), parts.end());
    if (star == std::string_view::npos) break;
    if (star > start && wordy(value[star - 1]) && !words.empty())
      words.back().push_back('*');
    else
      words.emplace_back("*");
    glue = true;
    start = star + 1;
  }
  return words;
}

// CONTAINS_TOKEN: the value's words are whole tokens of the property, in a row (a value of
// several words is a phrase), compared case- and accent-insensitively; a `*` completes a token.
// Never a substring of a token: `7946031` does not find `07946031`.
bool contains_words(std::string_view text, std::string_view value) {
  const auto words = folded_words(text), wanted = pattern_words(value);
  if (wanted.empty() || wanted.size() > words.size()) return false;
  for (std::size_t start = 0; start + wanted.size() <= words.size(); ++start) {
    std::size_t i = 0;
    while (i < wanted.size() && word_matches(wanted[i], words[start + i])) ++i;
    if (i == wanted.size()) return true;
  }
  return false;
}

struct Filter {
  std::string property;
  std::string op;
  std::string value;
  std::vector<std::string> values;
};

std::vector<std::vector<Filter>> parse_filter_groups(const rapidjson::Value& body) {
  std::vector<std::vector<Filter>> groups;
  const auto member = body.FindMember("filterGroups");
  if (member == body.MemberEnd()) return groups;
  if (!member->value.IsArray()) invalid("filterGroups must be an array");
  std::size_t total = 0;
  for (const auto& group : member->value.GetArray()) {
    if (!group.IsObject() || !group.HasMember("filters") || !group["filters"].IsArray())
      invalid("each filter group needs a filters array");
    std::vector<Filter> filters;
    for (const auto& item : group["filters"].GetArray()) {
      if (!item.IsObject() || !item.HasMember("propertyName") || !item["propertyName"].IsString())
        invalid("each filter needs a propertyName");
      Filter filter;
      filter.property = item["propertyName"].GetString();
      filter.op = item.HasMember("operator") ? json_text(item["operator"]) : "EQ";
      if (item.HasMember("value")) filter.value = json_text(item["value"]);
      if (item.HasMember("values") && item["values"].IsArray()) {
        for (const auto& value : item["values"].GetArray())
          filter.values.push_back(json_text(value));
      }
      filters.push_back(std::move(filter));
    }
    if (filters.size() > kMaxFiltersPerGroup) {
      invalid("too many filters in a filter group: " + std::to_string(filters.size()) +
              " (at most " + std::to_string(kMaxFiltersPerGroup) + ")");
    }
    total += filters.size();
    groups.push_back(std::move(filters));
  }
  if (groups.size() > kMaxFilterGroups) {
    invalid("too many filter groups: " + std::to_string(groups.size()) + " (at most " +
            std::to_string(kMaxFilterGroups) + ")");
  }
  if (total > kMaxFilters) {
    invalid("too many filters: " + std::to_string(total) + " (at most " +
            std::to_string(kMaxFilters) + " in all)");
  }
  return groups;
}

std::vector<std::string> string_list(const rapidjson::Value& body, const char* name) {
  std::vector<std::string> list;
  const auto member = body.FindMember(name);
  if (member == body.MemberEnd() || !member->value.IsArray()) return list;
  for (const auto& item : member->value.GetArray()) list.push_back(json_text(item));
  return list;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  for (const auto& part : split_list(text, ',')) {
    if (!trim(part).empty()) parts.emplace_back(trim(part));
  }
  return parts;
}

// HubSpot-defined association type ids between the object types a softphone and its CRM write.
int association_type_id(const std::string& from, const std::string& to) {
  static const std::map<std::pair<std::string, std::string>, int> kTypes{
      {{"calls", "contacts"}, 194},     {{"contacts", "calls"}, 193},
      {{"notes", "contacts"}, 202},     {{"contacts", "notes"}, 201},
      {{"emails", "contacts"}, 198},    {{"contacts", "emails"}, 197},
      {{"companies", "contacts"}, 280}, {{"contacts", "companies"}, 279},
      {{"calls", "notes"}, 205},        {{"notes", "calls"}, 206},
  };
  const auto found = kTypes.find({from, to});
  return found == kTypes.end() ? 0 : found->second;
}

}  // namespace

struct Emulator::Impl {
  struct ObjectStore {
    std::vector<HubRecord> records;
    std::map<std::string, std::size_t> index;  // id → position
    std::set<std::string> properties;
  };

  Impl(EmulatorOptions emulator_options, emulator::RequestLog<RequestRecord>& requests,
       const emulator::Serving& serving)
      : requests_(requests),
        serving_(serving),
        options_(std::move(emulator_options)),
        faults_(options_.faults) {
    // HubSpot's standard object types exist in every account, with or without records.
    for (const char* type : {"contacts", "companies", "deals", "tickets", "calls", "emails",
                             "meetings", "notes", "tasks"})
      objects_[type];
    if (!options_.data_dir.empty()) load_folder(options_.data_dir);
  }

  void load_folder(const std::filesystem::path& folder) {
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error))
      throw std::runtime_error(folder.string() + ": not a folder");
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json")
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) load_file(path);
  }

  void load_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    rapidjson::Document document;
    document.Parse(content.str().c_str());
    if (document.HasParseError()) {
      throw std::runtime_error(path.string() + ": " +
                               rapidjson::GetParseError_En(document.GetParseError()));
    }
    const rapidjson::Value* results = &document;
    if (document.IsObject() && document.HasMember("results")) results = &document["results"];
    if (!results->IsArray()) throw std::runtime_error(path.string() + ": no results array");
    const auto object = path.stem().string();
    for (const auto& item : results->GetArray()) {
      if (!item.IsObject() || !item.HasMember("id")) continue;
      HubRecord record;
      record.id = json_text(item["id"]);
      if (item.HasMember("properties") && item["properties"].IsObject()) {
        for (const auto& property : item["properties"].GetObject()) {
          const std::string name = property.name.GetString();
          if (property.value.IsNull())
            record.properties[name] = std::nullopt;
          else
            record.properties[name] = json_text(property.value);
        }
      }
      if (item.HasMember("createdAt")) record.created_at = json_text(item["createdAt"]);
      if (item.HasMember("updatedAt")) record.updated_at = json_text(item["updatedAt"]);
      record.archived =
          item.HasMember("archived") && item["archived"].IsBool() && item["archived"].GetBool();
      if (item.HasMember("associations") && item["associations"].IsObject()) {
        for (const auto& to : item["associations"].GetObject()) {
          if (!to.value.IsObject() || !to.value.HasMember("results") ||
              !to.value["results"].IsArray()) {
            continue;
          }
          auto& ids = record.associations[to.name.GetString()];
          for (const auto& link : to.value["results"].GetArray()) {
            if (link.IsObject() && link.HasMember("id")) ids.push_back(json_text(link["id"]));
          }
        }
      }
      add_record(object, std::move(record));
    }
  }

  void add_record(const std::string& object, HubRecord record) {
    auto& store = objects_[object];
    for (const auto& [name, value] : record.properties) store.properties.insert(name);
    for (const auto& [to, ids] : record.associations) {
      for (const auto& id : ids) {
        link(object, record.id, to, id);
        link(to, id, object, record.id);
      }
    }
    if (const auto found = store.index.find(record.id); found != store.index.end()) {
      store.records[found->second] = std::move(record);
    } else {
      store.index.emplace(record.id, store.records.size());
      store.records.push_back(std::move(record));
    }
  }

  void link(const std::string& from, const std::string& from_id, const std::string& to,
            const std::string& to_id) {
    auto& ids = associations_[{from, from_id, to}];
    if (std::find(ids.begin(), ids.end(), to_id) == ids.end()) ids.push_back(to_id);
  }

  // Associated ids whose records exist, archived ones too: a record archived (deleted, restorable
  // for 90 days) keeps its associations.
  std::vector<std::string> associated(const std::string& from, const std::string& id,
                                      const std::string& to) const {
    std::vector<std::string> ids;
    const auto found = associations_.find({from, id, to});
    const auto store = objects_.find(to);
    if (found == associations_.end() || store == objects_.end()) return ids;
    for (const auto& target : found->second) {
      const auto at = store->second.index.find(target);
      if (at != store->second.index.end()) ids.push_back(target);
    }
    return ids;
  }

  const ObjectStore& store_of(const std::string& object) const {
    const auto found = objects_.find(object);
    if (found == objects_.end()) {
      throw ApiError{400, "VALIDATION_ERROR", "Unable to infer object type from: " + object};
    }
    return found->second;
  }

  // ---- Serving ----

  void handle(const httplib::Request& request, httplib::Response& response) {
    const auto route = [&](emulator::BodyFault& fault) {
      auto reply = authorised_call(request, fault);
      reply.headers.emplace_back("X-HubSpot-RateLimit-Max", std::to_string(options_.window_limit));
      reply.headers.emplace_back(
          "X-HubSpot-RateLimit-Remaining",
          std::to_string(options_.window_limit - std::min(window_used_, options_.window_limit)));
      reply.headers.emplace_back("X-HubSpot-RateLimit-Interval-Milliseconds",
                                 std::to_string(options_.window.count()));
      reply.headers.emplace_back("X-HubSpot-RateLimit-Daily", std::to_string(options_.daily_limit));
      reply.headers.emplace_back(
          "X-HubSpot-RateLimit-Daily-Remaining",
          std::to_string(options_.daily_limit - std::min(used_, options_.daily_limit)));
      return reply;
    };
    emulator::answer(mutex_, requests_,
                     RequestRecord{request.method, request.path, request.body, 0}, route, response);
  }

  Reply authorised_call(const httplib::Request& request, emulator::BodyFault& fault) {
    const auto authorization = request.get_header_value("Authorization");
    const std::string_view scheme = "Bearer ";
    const bool bearer = authorization.size() > scheme.size() &&
                        iequals(std::string_view(authorization).substr(0, scheme.size()), scheme);
    const bool revoked = faults_.token_revoked_at > 0 && calls_ + 1 >= faults_.token_revoked_at;
    if (!bearer ||
        trim(std::string_view(authorization).substr(scheme.size())) != options_.access_token ||
        revoked) {
      if (revoked) ++calls_;
      return error_reply(401, "INVALID_AUTHENTICATION",
                         "Authentication credentials not found. This API supports OAuth 2.0 "
                         "authentication and you can find more details at "
                         "https://developers.hubspot.com/docs/methods/auth/oauth-overview");
    }
    const auto call = ++calls_;
    if (used_ >= options_.daily_limit) {
      return error_reply(429, "RATE_LIMIT", "You have reached your daily limit.", "DAILY");
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= options_.window) {
      window_start_ = now;
      window_used_ = 0;
    }
    if (window_used_ >= options_.window_limit) {
      return error_reply(429, "RATE_LIMIT", "You have reached your ten_secondly_rolling limit.",
                         "TEN_SECONDLY_ROLLING");
    }
    if (options_.search_limit > 0 && request.method == "POST" &&
        request.path.ends_with("/search")) {
      while (!searches_.empty() && now - searches_.front() >= options_.search_window)
        searches_.pop_front();
      if (searches_.size() >= options_.search_limit) {
        return error_reply(429, "RATE_LIMIT", "You have reached your secondly limit for search.",
                           "SECONDLY");
      }
      searches_.push_back(now);
    }
    ++window_used_;
    ++used_;
    const auto with_retry_after = [this](Reply reply) {
      if (faults_.retry_after_seconds > 0)
        reply.headers.emplace_back("Retry-After", std::to_string(faults_.retry_after_seconds));
      return reply;
    };
    if (faults_.throttled.holds(call)) {
      return with_retry_after(
          error_reply(429, "RATE_LIMIT", "You have reached your secondly limit.", "SECONDLY"));
    }
    if (faults_.unavailable.holds(call)) {
      return with_retry_after(
          error_reply(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable"));
    }
    if (!faults_.forbidden_object.empty() &&
        request.path.find("/" + faults_.forbidden_object) != std::string::npos) {
      return error_reply(403, "MISSING_SCOPES",
                         "This app hasn't been granted all required scopes to make this call.");
    }
    fault = emulator::body_fault_of(faults_, call);
    try {
      return route(request);
    } catch (const ApiError& error) {
      return error_reply(error.status, error.category, error.message);
    }
  }

  Reply route(const httplib::Request& request) {
    std::vector<std::string> parts;
    for (const auto& part : split_list(request.path, '/')) {
      if (!part.empty()) parts.push_back(part);
    }
    const auto is = [&parts](std::initializer_list<std::string_view> prefix) {
      if (parts.size() < prefix.size()) return false;
      std::size_t i = 0;
      for (const auto& part : prefix) {
        if (!part.empty() && parts[i] != part) return false;
        ++i;
      }
      return true;
    };
    if (request.method == "GET" && parts.size() == 4 && is({"crm", "v3", "properties"}))
      return properties(parts[3]);
    if (request.method == "POST" && parts.size() == 5 &&
        is({"crm", "v3", "objects", "", "search"})) {
      if (request.body.size() > options_.max_search_body) {
        invalid("The request body has " + std::to_string(request.body.size()) +
                " characters; a search allows at most " + std::to_string(options_.max_search_body));
      }
      return search(parts[3], body_of(request));
    }
    if (request.method == "POST" && parts.size() == 7 &&
        is({"crm", "v4", "associations", "", "", "batch", "read"}))
      return batch_associations(parts[3], parts[4], body_of(request));
    if (request.method == "POST" && parts.size() == 6 &&
        is({"crm", "v3", "objects", "", "batch", "read"}))
      return batch_read(parts[3], body_of(request), request.get_param_value("archived") == "true");
    if (request.method == "GET" && parts.size() == 4 && is({"crm", "v3", "objects"}))
      return list(parts[3], request);
    if (request.method == "GET" && parts.size() == 5 && is({"crm", "v3", "objects"}))
      return read_one(parts[3], parts[4], request);
    if (request.method == "GET" && parts.size() == 7 &&
        is({"crm", "v4", "objects", "", "", "associations"}))
      return associations(parts[3], parts[4], parts[6], request);
    throw ApiError{404, "OBJECT_NOT_FOUND", "No route for " + request.method + " " + request.path};
  }

  static rapidjson::Document body_of(const httplib::Request& request) {
    rapidjson::Document body;
    body.Parse(request.body.c_str(), request.body.size());
    if (body.HasParseError() || !body.IsObject()) invalid("Invalid input JSON on line 1");
    return body;
  }

  static std::size_t limit_of(const std::string& text, std::size_t fallback, std::size_t max) {
    if (text.empty()) return fallback;
    const auto limit = parse_count(text);
    if (!limit || *limit == 0 || *limit > max) {
      invalid("limit must be between 1 and " + std::to_string(max) + ", not " + text);
    }
    return *limit;
  }

  static std::size_t after_of(const std::string& text) {
    if (text.empty()) return 0;
    const auto after = parse_count(text);
    if (!after) invalid("after must be a paging cursor from a previous response, not " + text);
    return *after;
  }

  Reply properties(const std::string& object) const {
    const auto& store = store_of(object);
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "results");
    writer.StartArray();
    for (const auto& name : store.properties) {
      const bool phone = name.find("phone") != std::string::npos || name.ends_with("_number");
      const bool date = name.ends_with("date") || name == "hs_timestamp";
      writer.StartObject();
      key(writer, "name");
      put(writer, name);
      key(writer, "label");
      put(writer, name);
      key(writer, "type");
      put(writer, date ? "datetime" : "string");
      key(writer, "fieldType");
      put(writer, phone ? "phonenumber" : date ? "date" : "text");
      key(writer, "hidden");
      writer.Bool(false);
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    return json_reply(200, buffer);
  }

  static std::optional<std::string> value_of(const HubRecord& record, const std::string& name) {
    if (const auto found = record.properties.find(name); found != record.properties.end())
      return found->second;
    if (name == "hs_object_id") return record.id;
    return std::nullopt;
  }

  static bool matches(const HubRecord& record, const Filter& filter) {
    const auto value = value_of(record, filter.property);
    const bool present = value.has_value() && !value->empty();
    if (filter.op == "HAS_PROPERTY") return present;
    if (filter.op == "NOT_HAS_PROPERTY") return !present;
    if (filter.op == "NEQ") return !present || !iequals(*value, filter.value);
    if (!present) return false;
    // The whole value as stored, without regard to case: no normalising of numbers or spaces.
    if (filter.op == "EQ") return iequals(*value, filter.value);
    if (filter.op == "IN") {
      // "When searching a string property with this operator, values must be lowercase": a
      // value with capitals finds nothing.
      const auto stored = ascii_lower(*value);
      return std::any_of(filter.values.begin(), filter.values.end(),
                         [&](const std::string& v) { return ascii_lower(v) == v && stored == v; });
    }
    if (filter.op == "CONTAINS_TOKEN") return contains_words(*value, filter.value);
    if (filter.op == "GT") return compare_values(*value, filter.value) > 0;
    if (filter.op == "GTE") return compare_values(*value, filter.value) >= 0;
    if (filter.op == "LT") return compare_values(*value, filter.value) < 0;
    if (filter.op == "LTE") return compare_values(*value, filter.value) <= 0;
    invalid("operator " + filter.op + " is not supported by the emulator");
  }

  Reply search(const std::string& object, const rapidjson::Document& body) {
    const auto& store = store_of(object);
    const auto groups = parse_filter_groups(body);
    const auto limit =
        body.HasMember("limit") ? limit_of(json_text(body["limit"]), 10, kMaxSearchLimit) : 10;
    const auto after = body.HasMember("after") ? after_of(json_text(body["after"])) : 0;
    // Search never returns archived records; groups are ORed, the filters of a group ANDed.
    std::vector<const HubRecord*> found;
    for (const auto& record : store.records) {
      if (record.archived) continue;
      const bool hit =
          groups.empty() || std::any_of(groups.begin(), groups.end(), [&](const auto& filters) {
            return std::all_of(filters.begin(), filters.end(),
                               [&](const Filter& f) { return matches(record, f); });
          });
      if (hit) found.push_back(&record);
    }
    std::string sort_by = "hs_object_id";
    bool descending = false;
    if (const auto sorts = body.FindMember("sorts");
        sorts != body.MemberEnd() && sorts->value.IsArray() && !sorts->value.Empty()) {
      const auto& first = sorts->value[0];
      if (first.IsString()) {
        sort_by = first.GetString();
      } else if (first.IsObject() && first.HasMember("propertyName")) {
        sort_by = json_text(first["propertyName"]);
        descending = first.HasMember("direction") && json_text(first["direction"]) == "DESCENDING";
      }
    }
    std::stable_sort(found.begin(), found.end(), [&](const HubRecord* a, const HubRecord* b) {
      const auto x = value_of(*a, sort_by).value_or(""), y = value_of(*b, sort_by).value_or("");
      const int order = compare_values(x, y);
      return descending ? order > 0 : order < 0;
    });
    if (after >= options_.search_cap) {
      invalid("Paging past " + std::to_string(options_.search_cap) +
              " results is not supported by the search endpoint");
    }
    const auto properties = string_list(body, "properties");
    const auto end = std::min(found.size(), after + limit);
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "total");
    writer.Uint64(found.size());
    key(writer, "results");
    writer.StartArray();
    for (auto i = after; i < end; ++i) write_record(writer, object, *found[i], properties, {});
    writer.EndArray();
    if (end < found.size()) write_paging(writer, end);
    writer.EndObject();
    return json_reply(200, buffer);
  }

  // One associated record as the v4 API lists it: its id (a number here, a string elsewhere) and
  // the association's type, when it has one.
  static void write_association(JsonWriter& writer, const std::string& id, int type_id) {
    writer.StartObject();
    key(writer, "toObjectId");
    if (const auto number = parse_count(id))
      writer.Uint64(*number);
    else
      put(writer, id);
    key(writer, "associationTypes");
    writer.StartArray();
    if (type_id != 0) {
      writer.StartObject();
      key(writer, "category");
      put(writer, "HUBSPOT_DEFINED");
      key(writer, "typeId");
      writer.Int(type_id);
      key(writer, "label");
      writer.Null();
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
  }

  // A page of a list: its `results`, the items from `after` on (`limit` at most, of `count`) that
  // `write` writes, and the paging to the next page when there is one.
  template <class Write>
  static Reply page_reply(std::size_t after, std::size_t limit, std::size_t count,
                          const Write& write) {
    const auto end = std::min(count, after + limit);
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "results");
    writer.StartArray();
    for (auto i = after; i < end; ++i) write(writer, i);
    writer.EndArray();
    if (end < count) write_paging(writer, end);
    writer.EndObject();
    return json_reply(200, buffer);
  }

  // The ids of a batch request's `inputs` ("" for an input without one); a 400 when it is not an
  // array or holds more than `limit`.
  static std::vector<std::string> batch_input_ids(const rapidjson::Document& body,
                                                  std::size_t limit) {
    const auto inputs = body.FindMember("inputs");
    if (inputs == body.MemberEnd() || !inputs->value.IsArray()) invalid("inputs must be an array");
    if (inputs->value.Size() > limit) {
      invalid("Batch input is limited to " + std::to_string(limit) + " items, not " +
              std::to_string(inputs->value.Size()));
    }
    std::vector<std::string> ids;
    for (const auto& input : inputs->value.GetArray())
      ids.push_back(input.IsObject() && input.HasMember("id") ? json_text(input["id"]) : "");
    return ids;
  }

  // The start of a batch read's answer, up to the opening of its results.
  static void begin_batch(JsonWriter& writer) {
    writer.StartObject();
    key(writer, "status");
    put(writer, "COMPLETE");
    key(writer, "results");
    writer.StartArray();
  }

  // The end of a batch read's answer, from the close of its results: the ids it could not answer as
  // one OBJECT_NOT_FOUND error
  // (`message`, the ids under `context_key`), the batch's times, and 207 when there are any.
  static Reply end_batch(JsonWriter& writer, const rapidjson::StringBuffer& buffer,
                         const std::vector<std::string>& missing, const std::string& message,
                         std::string_view context_key) {
    writer.EndArray();  // the results
    if (!missing.empty()) {
      key(writer, "numErrors");
      writer.Uint64(missing.size());
      key(writer, "errors");
      writer.StartArray();
      writer.StartObject();
      key(writer, "status");
      put(writer, "error");
      key(writer, "category");
      put(writer, "OBJECT_NOT_FOUND");
      key(writer, "message");
      put(writer, message);
      key(writer, "context");
      writer.StartObject();
      key(writer, context_key);
      writer.StartArray();
      for (const auto& id : missing) put(writer, id);
      writer.EndArray();
      writer.EndObject();
      writer.EndObject();
      writer.EndArray();
    }
    key(writer, "startedAt");
    put(writer, "2025-01-01T00:00:00.000Z");
    key(writer, "completedAt");
    put(writer, "2025-01-01T00:00:00.001Z");
    writer.EndObject();
    return json_reply(missing.empty() ? 200 : 207, buffer);
  }

  static void write_paging(JsonWriter& writer, std::size_t next) {
    key(writer, "paging");
    writer.StartObject();
    key(writer, "next");
    writer.StartObject();
    key(writer, "after");
    put(writer, std::to_string(next));
    writer.EndObject();
    writer.EndObject();
  }

  void write_record(JsonWriter& writer, const std::string& object, const HubRecord& record,
                    const std::vector<std::string>& properties,
                    const std::vector<std::string>& association_types) const {
    writer.StartObject();
    key(writer, "id");
    put(writer, record.id);
    key(writer, "properties");
    writer.StartObject();
    const auto write_property = [&](const std::string& name) {
      key(writer, name);
      const auto value = value_of(record, name);
      if (value)
        put(writer, *value);
      else
        writer.Null();
    };
    if (properties.empty()) {
      for (const auto& [name, value] : record.properties) write_property(name);
    } else {
      for (const auto& name : properties) write_property(name);
    }
    writer.EndObject();
    key(writer, "createdAt");
    put(writer, record.created_at);
    key(writer, "updatedAt");
    put(writer, record.updated_at);
    key(writer, "archived");
    writer.Bool(record.archived);
    bool opened = false;
    for (const auto& to : association_types) {
      const auto ids = associated(object, record.id, to);
      if (ids.empty()) continue;
      if (!opened) {
        key(writer, "associations");
        writer.StartObject();
        opened = true;
      }
      key(writer, to);
      writer.StartObject();
      key(writer, "results");
      writer.StartArray();
      for (const auto& id : ids) {
        writer.StartObject();
        key(writer, "id");
        put(writer, id);
        key(writer, "type");
        put(writer, object.substr(0, object.size() - 1) + "_to_" + to.substr(0, to.size() - 1));
        writer.EndObject();
      }
      writer.EndArray();
      writer.EndObject();
    }
    if (opened) writer.EndObject();
    writer.EndObject();
  }

  Reply batch_read(const std::string& object, const rapidjson::Document& body, bool archived) {
    const auto& store = store_of(object);
    const auto ids = batch_input_ids(body, kMaxBatchInputs);
    const auto properties = string_list(body, "properties");
    std::vector<std::string> missing;
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    begin_batch(writer);
    for (const auto& id : ids) {
      const auto found = store.index.find(id);
      if (found == store.index.end() || store.records[found->second].archived != archived) {
        missing.push_back(id);
        continue;
      }
      write_record(writer, object, store.records[found->second], properties, {});
    }
    return end_batch(writer, buffer, missing,
                     "Could not get some " + object + " objects, they may be deleted or not exist.",
                     "ids");
  }

  Reply list(const std::string& object, const httplib::Request& request) const {
    const auto& store = store_of(object);
    const auto limit = limit_of(request.get_param_value("limit"), 10, kMaxListLimit);
    const auto after = after_of(request.get_param_value("after"));
    const bool archived = request.get_param_value("archived") == "true";
    const auto properties = split_commas(request.get_param_value("properties"));
    const auto association_types = split_commas(request.get_param_value("associations"));
    std::vector<const HubRecord*> records;
    for (const auto& record : store.records) {
      if (record.archived == archived) records.push_back(&record);
    }
    return page_reply(after, limit, records.size(), [&](JsonWriter& writer, std::size_t i) {
      write_record(writer, object, *records[i], properties, association_types);
    });
  }

  Reply read_one(const std::string& object, const std::string& id,
                 const httplib::Request& request) const {
    const auto& store = store_of(object);
    const auto found = store.index.find(id);
    const bool archived = request.get_param_value("archived") == "true";
    if (found == store.index.end() || store.records[found->second].archived != archived) {
      throw ApiError{404, "OBJECT_NOT_FOUND", "resource not found: " + object + " " + id};
    }
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    write_record(writer, object, store.records[found->second],
                 split_commas(request.get_param_value("properties")),
                 split_commas(request.get_param_value("associations")));
    return json_reply(200, buffer);
  }

  Reply associations(const std::string& from, const std::string& id, const std::string& to,
                     const httplib::Request& request) const {
    const auto& store = store_of(from);
    store_of(to);
    const auto found = store.index.find(id);
    if (found == store.index.end() || store.records[found->second].archived) {
      throw ApiError{404, "OBJECT_NOT_FOUND", "resource not found: " + from + " " + id};
    }
    const auto limit = limit_of(request.get_param_value("limit"), 500, kMaxAssociationLimit);
    const auto after = after_of(request.get_param_value("after"));
    const auto ids = associated(from, id, to);
    const int type_id = association_type_id(from, to);
    return page_reply(after, limit, ids.size(), [&](JsonWriter& writer, std::size_t i) {
      write_association(writer, ids[i], type_id);
    });
  }

  // POST /crm/v4/associations/{from}/{to}/batch/read: the associations of many records in one
  // request; a record with more than a page of them says so with its own paging.
  Reply batch_associations(const std::string& from, const std::string& to,
                           const rapidjson::Document& body) const {
    const auto& store = store_of(from);
    store_of(to);
    const auto inputs = batch_input_ids(body, kMaxAssociationInputs);
    const int type_id = association_type_id(from, to);
    std::vector<std::string> missing;
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    begin_batch(writer);
    for (const auto& id : inputs) {
      const auto found = store.index.find(id);
      const auto ids =
          found == store.index.end() ? std::vector<std::string>{} : associated(from, id, to);
      if (ids.empty()) {
        missing.push_back(id);
        continue;
      }
      writer.StartObject();
      key(writer, "from");
      writer.StartObject();
      key(writer, "id");
      put(writer, id);
      writer.EndObject();
      key(writer, "to");
      writer.StartArray();
      for (std::size_t i = 0; i < std::min(ids.size(), kMaxAssociationLimit); ++i) {
        write_association(writer, ids[i], type_id);
      }
      writer.EndArray();
      if (ids.size() > kMaxAssociationLimit) write_paging(writer, kMaxAssociationLimit);
      writer.EndObject();
    }
    // Records with no associations of that type are errors of the batch, as in HubSpot.
    return end_batch(writer, buffer, missing,
                     "No " + to + " is associated with " + std::to_string(missing.size()) + " " +
                         from + " records.",
                     "fromObjectId");
  }

  emulator::RequestLog<RequestRecord>& requests_;
  const emulator::Serving& serving_;
  EmulatorOptions options_;
  Faults faults_;
  std::map<std::string, ObjectStore> objects_;
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>>
      associations_;  // (from type, from id, to type) → to ids
  std::size_t calls_ = 0;
  std::size_t used_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t window_used_ = 0;
  std::deque<std::chrono::steady_clock::time_point> searches_;  // searches served lately
  mutable std::mutex mutex_;
};

Emulator::Emulator(EmulatorOptions options)
    : Host(
          options.port,
          [this](const httplib::Request& request, httplib::Response& response) {
            impl_->handle(request, response);
          },
          [] {
            auto server = std::make_unique<httplib::Server>();
            server->set_keep_alive_timeout(1);
            return server;
          }),
      impl_(std::make_unique<Impl>(std::move(options), requests_, *this)) {}

Emulator::~Emulator() {
  stop();
}

void Emulator::add_record(const std::string& object, HubRecord record) {
  std::lock_guard lock(impl_->mutex_);
  impl_->add_record(object, std::move(record));
}

std::size_t Emulator::record_count(const std::string& object) const {
  std::lock_guard lock(impl_->mutex_);
  const auto found = impl_->objects_.find(object);
  return found == impl_->objects_.end() ? 0 : found->second.records.size();
}

const std::string& Emulator::access_token() const {
  return impl_->options_.access_token;
}

void Emulator::set_faults(const Faults& faults) {
  std::lock_guard lock(impl_->mutex_);
  impl_->faults_ = faults;
  impl_->calls_ = 0;
}

}  // namespace crmscan::hsemu

#include "d365_emulator.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

#include "crmscan/record.hpp"
#include "crmscan/text.hpp"
#include "emulator_kit.hpp"
#include "odata_filter.hpp"

namespace crmscan::d365emu {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using emulator::Reply;

constexpr std::string_view kJson = "application/json; odata.metadata=minimal";
constexpr std::string_view kApiPrefix = "/api/data/v9.";
constexpr std::string_view kStringMetadata = "/Microsoft.Dynamics.CRM.StringAttributeMetadata";
constexpr std::size_t kMaxPageSize = 5000;
constexpr std::string_view kManagedPrefixes[] = {"msdyn_", "mspp_", "adx_", "msfp_"};

void put(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void key(JsonWriter& writer, std::string_view text) {
  writer.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void put_value(JsonWriter& writer, const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    put(writer, *text);
  } else if (const auto* flag = std::get_if<bool>(&value)) {
    writer.Bool(*flag);
  } else if (const auto* number = std::get_if<double>(&value)) {
    if (std::floor(*number) == *number && std::fabs(*number) < 9e15)
      writer.Int64(static_cast<std::int64_t>(*number));
    else
      writer.Double(*number);
  } else {
    writer.Null();
  }
}

Reply json_reply(const rapidjson::StringBuffer& buffer) {
  return Reply{200, std::string(buffer.GetString(), buffer.GetSize()), {}, std::string(kJson)};
}

// Dataverse's error body: {"error":{"code":"0x…","message":…}}.
Reply error_reply(int status, std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  key(writer, "error");
  writer.StartObject();
  key(writer, "code");
  put(writer, code);
  key(writer, "message");
  put(writer, message);
  writer.EndObject();
  writer.EndObject();
  auto reply = json_reply(buffer);
  reply.status = status;
  return reply;
}

// Azure AD's error body: error, "AADSTSnnn: description", error_codes.
Reply oauth_error(int status, std::string_view error, int code, std::string_view description) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  key(writer, "error");
  put(writer, error);
  key(writer, "error_description");
  put(writer, "AADSTS" + std::to_string(code) + ": " + std::string(description));
  key(writer, "error_codes");
  writer.StartArray();
  writer.Int(code);
  writer.EndArray();
  writer.EndObject();
  auto reply = json_reply(buffer);
  reply.status = status;
  reply.content_type = "application/json; charset=utf-8";
  return reply;
}

// contact → contacts, activityparty → activityparties, new_callnote → new_callnotes.
std::string entity_set_name(std::string_view name) {
  if (name.ends_with("y") && name.size() > 1 &&
      std::string_view("aeiou").find(name[name.size() - 2]) == std::string_view::npos) {
    return std::string(name.substr(0, name.size() - 1)) + "ies";
  }
  if (name.ends_with("s") || name.ends_with("x") || name.ends_with("ch"))
    return std::string(name) + "es";
  return std::string(name) + "s";
}

bool looks_like_datetime(std::string_view text) {
  return text.size() >= 19 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
         std::isdigit(static_cast<unsigned char>(text[0]));
}

struct AttributeInfo {
  std::string logical_name;
  std::string type;    // AttributeType
  std::string format;  // FormatName of a String attribute
};

struct Entity {
  std::string name;
  std::string set_name;
  std::string primary_id;
  std::vector<std::string> attributes;  // Web API property names, first seen first
  std::vector<std::map<std::string, Value, std::less<>>> records;

  bool has(std::string_view property) const {
    return std::find(attributes.begin(), attributes.end(), property) != attributes.end();
  }

  // What Dataverse's metadata would say of a property, inferred from its name and values.
  AttributeInfo describe(const std::string& property) const {
    if (property.size() > 7 && property.starts_with("_") && property.ends_with("_value")) {
      const auto logical = property.substr(1, property.size() - 7);
      const auto type = logical == "ownerid"                                       ? "Owner"
                        : logical == "customerid" || logical == "parentcustomerid" ? "Customer"
                                                                                   : "Lookup";
      return {logical, type, {}};
    }
    if (property == primary_id) return {property, "Uniqueidentifier", {}};
    const Value* sample = nullptr;
    std::size_t longest = 0;
    for (const auto& record : records) {
      const auto found = record.find(property);
      if (found == record.end() || std::holds_alternative<std::monostate>(found->second)) continue;
      if (sample == nullptr) sample = &found->second;
      if (const auto* text = std::get_if<std::string>(&found->second))
        longest = std::max(longest, text->size());
    }
    if (sample != nullptr && std::holds_alternative<bool>(*sample))
      return {property, "Boolean", {}};
    if (sample != nullptr && std::holds_alternative<double>(*sample)) {
      const auto number = std::get<double>(*sample);
      return {property, std::floor(number) == number ? "Integer" : "Double", {}};
    }
    if (sample != nullptr && looks_like_datetime(std::get<std::string>(*sample)))
      return {property, "DateTime", {}};
    if (property == "description" || longest > 4000) return {property, "Memo", {}};
    const std::string_view name = property;
    if (name.starts_with("emailaddress") || name.ends_with("emailaddress"))
      return {property, "String", "Email"};
    if (name.find("telephone") != std::string_view::npos || name == "mobilephone" ||
        name.find("fax") != std::string_view::npos || name == "phonenumber" ||
        name.ends_with("phone")) {
      return {property, "String", "Phone"};
    }
    if (name.find("url") != std::string_view::npos) return {property, "String", "Url"};
    return {property, "String", "Text"};
  }
};

// Percent-encodes a query value (unreserved characters kept).
std::string encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return out;
}

// The records to skip, from a $skiptoken cookie <cookie pagenumber="2" skip="5000" />.
std::size_t skip_of(const std::string& token) {
  const auto at = token.find("skip=\"");
  return at == std::string::npos ? 0 : std::strtoull(token.c_str() + at + 6, nullptr, 10);
}

}  // namespace

struct Emulator::Impl {
  Impl(EmulatorOptions emulator_options, emulator::RequestLog<RequestRecord>& requests,
       const emulator::Serving& serving)
      : requests_(requests),
        serving_(serving),
        options_(std::move(emulator_options)),
        faults_(options_.faults),
        random_(std::random_device{}()) {
    if (options_.data_dir.empty()) return;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(options_.data_dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json")
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) throw std::runtime_error(file.string() + ": cannot be read");
      load(file.stem().string(), text.str());
    }
  }

  void load(const std::string& name, std::string_view json) {
    rapidjson::Document document;
    document.Parse(json.data(), json.size());
    const rapidjson::Value* array = &document;
    if (!document.HasParseError() && document.IsObject() && document.HasMember("value"))
      array = &document["value"];
    if (document.HasParseError() || !array->IsArray())
      throw std::runtime_error(name + ": not a JSON array of records, nor {\"value\": [...]}");
    auto& entity = entities_[name];
    entity.name = name;
    entity.set_name = entity_set_name(name);
    for (const auto& item : array->GetArray()) {
      if (!item.IsObject()) continue;
      std::map<std::string, Value, std::less<>> record;
      for (const auto& member : item.GetObject()) {
        std::string property(member.name.GetString(), member.name.GetStringLength());
        if (property.starts_with("@")) continue;  // annotations such as @odata.etag
        const auto& value = member.value;
        Value stored;
        if (value.IsString())
          stored = std::string(value.GetString(), value.GetStringLength());
        else if (value.IsBool())
          stored = value.GetBool();
        else if (value.IsNumber())
          stored = value.GetDouble();
        else if (!value.IsNull())
          continue;  // nested values: not part of what is emulated
        if (!entity.has(property)) entity.attributes.push_back(property);
        record.emplace(std::move(property), std::move(stored));
      }
      entity.records.push_back(std::move(record));
    }
    // Activities are keyed by activityid; every other entity by <name>id.
    entity.primary_id =
        !entity.has(name + "id") && entity.has("activityid") ? "activityid" : name + "id";
  }

  std::string url() const { return serving_.url(); }

  std::string new_token() {
    static constexpr std::string_view kChars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::uniform_int_distribution<std::size_t> pick(0, kChars.size() - 1);
    std::string token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.";
    for (int i = 0; i < 96; ++i) token += kChars[pick(random_)];
    tokens_[token] = 0;
    return token;
  }

  void handle(const httplib::Request& request, httplib::Response& response) {
    RequestRecord record{request.method, request.path, {}, request.has_param("$skiptoken"), 0};
    if (request.has_param("$filter")) record.filter = request.get_param_value("$filter");
    emulator::answer(
        mutex_, requests_, std::move(record),
        [&](emulator::BodyFault& fault) { return route(request, fault); }, response);
  }

  Reply route(const httplib::Request& request, emulator::BodyFault& fault) {
    const std::string_view path = request.path;
    // The Web API here is only read: other methods find nothing.
    if (request.method != "GET" && request.method != "POST") return Reply{404, {}, {}, {}};
    if (path == "/" + options_.tenant + "/oauth2/v2.0/token" && request.method == "POST")
      return token(request);
    if (path.ends_with("/oauth2/v2.0/token")) {
      return oauth_error(400, "invalid_request", 90002,
                         "Tenant not found. Check the tenant id and the authority.");
    }
    if (!path.starts_with(kApiPrefix)) return error_reply(404, "0x8006088a", "Resource not found");
    auto rest = path.substr(kApiPrefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash > 1) {
      return error_reply(404, "0x8006088a", "Resource not found");
    }
    return api(request, rest.substr(slash + 1), fault);
  }

  Reply token(const httplib::Request& request) {
    if (request.get_param_value("grant_type") != "client_credentials")
      return oauth_error(400, "unsupported_grant_type", 70003, "The grant type is not supported.");
    if (request.get_param_value("client_id") != options_.client_id) {
      return oauth_error(400, "unauthorized_client", 700016,
                         "Application was not found in the directory.");
    }
    if (request.get_param_value("client_secret") != options_.client_secret) {
      return oauth_error(401, "invalid_client", 7000215, "Invalid client secret provided.");
    }
    if (request.get_param_value("scope") != url() + "/.default") {
      return oauth_error(400, "invalid_scope", 70011,
                         "The provided value for the input parameter 'scope' is not valid.");
    }
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "token_type");
    put(writer, "Bearer");
    key(writer, "expires_in");
    writer.Int(3599);
    key(writer, "ext_expires_in");
    writer.Int(3599);
    key(writer, "access_token");
    put(writer, new_token());
    writer.EndObject();
    auto reply = json_reply(buffer);
    reply.content_type = "application/json; charset=utf-8";
    return reply;
  }

  Reply api(const httplib::Request& request, std::string_view rest, emulator::BodyFault& fault) {
    const auto authorization = request.get_header_value("Authorization");
    const auto found = authorization.starts_with("Bearer ")
                           ? tokens_.find(std::string(trim(authorization.substr(7))))
                           : tokens_.end();
    if (found == tokens_.end() ||
        (faults_.token_expires_after > 0 && found->second >= faults_.token_expires_after)) {
      Reply reply{401, {}, {}, std::string(kJson)};
      reply.headers.emplace_back("WWW-Authenticate",
                                 "Bearer error=\"invalid_token\", error_description=\"The access "
                                 "token expired\", authorization_uri=\"" +
                                     url() + "/" + options_.tenant + "/oauth2/authorize\"");
      return reply;
    }
    ++found->second;
    const auto call = ++calls_;
    if (faults_.throttled.holds(call)) {
      auto reply = error_reply(429, "0x80072322",
                               "Number of requests exceeded the limit of 6000 over time window "
                               "of 300 seconds.");
      reply.headers.emplace_back("Retry-After", std::to_string(faults_.retry_after_seconds));
      return reply;
    }
    if (faults_.unavailable.holds(call)) {
      auto reply = error_reply(503, "0x80040216", "Service Unavailable");
      reply.headers.emplace_back("Retry-After", std::to_string(faults_.retry_after_seconds));
      return reply;
    }
    fault = emulator::body_fault_of(faults_, call);
    Reply reply;
    if (rest == "EntityDefinitions") {
      reply = entity_definitions();
    } else if (rest.starts_with("EntityDefinitions(LogicalName='")) {
      reply = attributes(rest);
    } else {
      reply = query(request, rest);
    }
    reply.headers.emplace_back("OData-Version", "4.0");
    return reply;
  }

  Reply entity_definitions() {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "@odata.context");
    put(writer, url() + "/api/data/v9.2/$metadata#EntityDefinitions");
    key(writer, "value");
    writer.StartArray();
    for (const auto& [name, entity] : entities_) {
      writer.StartObject();
      key(writer, "LogicalName");
      put(writer, name);
      key(writer, "EntitySetName");
      put(writer, entity.set_name);
      key(writer, "PrimaryIdAttribute");
      put(writer, entity.primary_id);
      // Customisations carry a publisher prefix: new_callnote. Tables of Microsoft's own
      // solutions (msdyn_, mspp_, adx_, msfp_) come in managed solutions, as do the platform's.
      const bool custom = name.find('_') != std::string::npos;
      key(writer, "IsCustomEntity");
      writer.Bool(custom);
      key(writer, "IsManaged");
      // Captured under a name of its own: clang before 16 cannot capture a structured binding.
      writer.Bool(!custom || std::any_of(std::begin(kManagedPrefixes), std::end(kManagedPrefixes),
                                         [&table = name](std::string_view p) {
                                           return table.starts_with(p);
                                         }));
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    return json_reply(buffer);
  }

  // EntityDefinitions(LogicalName='contact')/Attributes[/Microsoft.Dynamics.CRM.StringAttributeMetadata]
  Reply attributes(std::string_view rest) {
    rest.remove_prefix(std::string_view("EntityDefinitions(LogicalName='").size());
    const auto close = rest.find("')/Attributes");
    if (close == std::string_view::npos)
      return error_reply(404, "0x8006088a", "Resource not found");
    const auto found = entities_.find(std::string(rest.substr(0, close)));
    const auto tail = rest.substr(close + std::string_view("')/Attributes").size());
    if (found == entities_.end()) {
      return error_reply(
          404, "0x80040217",
          "Could not find an entity with the name " + std::string(rest.substr(0, close)));
    }
    if (!tail.empty() && tail != kStringMetadata)
      return error_reply(404, "0x8006088a", "Resource not found");
    const bool strings_only = !tail.empty();
    const auto& entity = found->second;
    std::vector<AttributeInfo> infos;
    std::vector<std::string> owners;  // AttributeOf
    for (const auto& property : entity.attributes) {
      infos.push_back(entity.describe(property));
      owners.emplace_back();
      // A lookup comes with a name column of its own, which the Web API does not return.
      if (infos.back().type == "Lookup" || infos.back().type == "Customer" ||
          infos.back().type == "Owner") {
        infos.push_back({infos.back().logical_name + "name", "String", "Text"});
        owners.push_back(infos[infos.size() - 2].logical_name);
      }
    }
    // Activities hold their parties in party lists, read through activityparty instead.
    if (entity.primary_id == "activityid") {
      for (const auto* party : {"from", "to"}) {
        infos.push_back({party, "PartyList", {}});
        owners.emplace_back();
      }
    }
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "value");
    writer.StartArray();
    for (std::size_t i = 0; i < infos.size(); ++i) {
      const auto& info = infos[i];
      if (strings_only && info.type != "String") continue;
      writer.StartObject();
      key(writer, "@odata.type");
      put(writer, info.type == "String" ? "#Microsoft.Dynamics.CRM.StringAttributeMetadata"
                                        : "#Microsoft.Dynamics.CRM.AttributeMetadata");
      key(writer, "LogicalName");
      put(writer, info.logical_name);
      if (strings_only) {
        key(writer, "FormatName");
        writer.StartObject();
        key(writer, "Value");
        put(writer, info.format);
        writer.EndObject();
      } else {
        key(writer, "AttributeType");
        put(writer, info.type);
        key(writer, "AttributeOf");
        if (owners[i].empty())
          writer.Null();
        else
          put(writer, owners[i]);
        key(writer, "IsValidForRead");
        writer.Bool(true);
      }
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    return json_reply(buffer);
  }

  Reply query(const httplib::Request& request, std::string_view set_name) {
    const auto found = std::find_if(entities_.begin(), entities_.end(), [&](const auto& entry) {
      return entry.second.set_name == set_name;
    });
    if (found == entities_.end()) {
      return error_reply(404, "0x8006088a",
                         "Resource not found for the segment '" + std::string(set_name) + "'.");
    }
    const auto& entity = found->second;
    const auto unknown = [&](const std::string& property) {
      return error_reply(400, "0x80060888",
                         "Could not find a property named '" + property +
                             "' on type 'Microsoft.Dynamics.CRM." + entity.name + "'.");
    };
    for (const auto& [name, value] : request.params) {
      if (name != "$select" && name != "$filter" && name != "$skiptoken") {
        return error_reply(400, "0x80060888",
                           "The query parameter " + name + " is not supported by this emulator");
      }
    }
    std::vector<std::string> selected = entity.attributes;
    if (request.has_param("$select")) {
      selected = split_list(request.get_param_value("$select"), ',');
      for (const auto& property : selected) {
        if (!entity.has(property)) return unknown(property);
      }
    }
    Filter filter;
    if (request.has_param("$filter")) {
      try {
        filter = Filter(
            request.get_param_value("$filter"),
            [&](const std::string& property) { return entity.has(property); },
            options_.accent_sensitive);
      } catch (const FilterError& error) {
        return error_reply(400, "0x80060888", error.what());
      }
    }
    if (faults_.leading_wildcard_timeout_rows > 0 &&
        entity.records.size() > faults_.leading_wildcard_timeout_rows &&
        filter.has_leading_wildcard()) {
      return error_reply(faults_.leading_wildcard_status, "0x80048573",
                         "The database operation timed out; this may be due to a leading "
                         "wildcard value being used in a filter condition. Please consider "
                         "removing filter conditions on leading wildcard values, as these filter "
                         "conditions are expensive and may cause timeouts.");
    }
    std::size_t page_size = kMaxPageSize;
    const auto prefer = request.get_header_value("Prefer");
    if (const auto at = prefer.find("odata.maxpagesize="); at != std::string::npos) {
      page_size = std::clamp<std::size_t>(std::strtoull(prefer.c_str() + at + 18, nullptr, 10), 1,
                                          kMaxPageSize);
    }
    const auto skip = skip_of(request.get_param_value("$skiptoken"));

    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "@odata.context");
    put(writer, url() + "/api/data/v9.2/$metadata#" + entity.set_name);
    key(writer, "value");
    writer.StartArray();
    std::size_t matched = 0;
    for (std::size_t index = 0; index < entity.records.size(); ++index) {
      const auto& record = entity.records[index];
      const bool matches = filter.matches([&](const std::string& property) -> const Value* {
        const auto value = record.find(property);
        return value == record.end() ? nullptr : &value->second;
      });
      if (!matches) continue;
      ++matched;
      if (matched <= skip || matched > skip + page_size) continue;
      writer.StartObject();
      key(writer, "@odata.etag");
      put(writer, "W/\"" + std::to_string(1'000'000 + index) + "\"");
      for (const auto& property : selected) {
        key(writer, property);
        const auto value = record.find(property);
        put_value(writer, value == record.end() ? Value{} : value->second);
      }
      writer.EndObject();
    }
    writer.EndArray();
    if (matched > skip + page_size) {
      std::string next = url() + request.path + "?";
      for (const auto& [name, value] : request.params) {
        if (name != "$skiptoken") next += name + "=" + encode(value) + "&";
      }
      const auto cookie = "<cookie pagenumber=\"" + std::to_string(skip / page_size + 2) +
                          "\" skip=\"" + std::to_string(skip + page_size) +
                          "\" istracking=\"False\" />";
      key(writer, "@odata.nextLink");
      put(writer, next + "$skiptoken=" + encode(cookie));
    }
    writer.EndObject();
    auto reply = json_reply(buffer);
    if (prefer.find("odata.maxpagesize=") != std::string::npos)
      reply.headers.emplace_back("Preference-Applied",
                                 "odata.maxpagesize=" + std::to_string(page_size));
    return reply;
  }

  emulator::RequestLog<RequestRecord>& requests_;
  const emulator::Serving& serving_;
  EmulatorOptions options_;
  Faults faults_;
  mutable std::mutex mutex_;
  std::map<std::string, Entity> entities_;
  std::map<std::string, std::size_t> tokens_;  // token → calls made with it
  std::size_t calls_ = 0;
  std::mt19937_64 random_;
};

Emulator::Emulator(EmulatorOptions options)
    : Host(options.port, [this](const httplib::Request& request,
                                httplib::Response& response) { impl_->handle(request, response); }),
      impl_(std::make_unique<Impl>(std::move(options), requests_, *this)) {}

Emulator::~Emulator() {
  stop();
}

void Emulator::add_records(const std::string& entity, std::string_view json) {
  std::lock_guard lock(impl_->mutex_);
  impl_->load(entity, json);
}

std::vector<std::string> Emulator::entities() const {
  std::lock_guard lock(impl_->mutex_);
  std::vector<std::string> names;
  for (const auto& [name, entity] : impl_->entities_) names.push_back(name);
  return names;
}

void Emulator::set_faults(const Faults& faults) {
  std::lock_guard lock(impl_->mutex_);
  impl_->faults_ = faults;
  impl_->calls_ = 0;
  for (auto& [token, uses] : impl_->tokens_) uses = 0;
}

}  // namespace crmscan::d365emu

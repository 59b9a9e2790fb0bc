#include "vcc_content_connector.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "wait_budget.hpp"

namespace crmscan::vcc {
namespace {

constexpr const char* kName = "vcc_content";
constexpr const char* kNoCredentials =
    "connector vcc_content: set VCC_CLIENT_ID and VCC_CLIENT_SECRET (or VCC_CLIENT_ID_FILE and "
    "VCC_CLIENT_SECRET_FILE) in the environment";
// A token is renewed this long before it expires, so that it does not expire mid-request.
constexpr std::int64_t kTokenMarginSeconds = 60;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The API's error text: {"message": …} or {"error": …, "error_description": …}, shortened.
std::string error_text(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError() || !document.IsObject()) return text;
  for (const char* key : {"error", "error_description", "message", "title", "detail"}) {
    const auto member = document.FindMember(key);
    if (member != document.MemberEnd() && member->value.IsString())
      text += std::string(" ") + utf8_prefix(member->value.GetString(), 200);
  }
  return scrub(text, 600);
}

rapidjson::Document parse_json(const HttpResponse& response, const std::string& what) {
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError() || !document.IsObject())
    throw ContentApiError(what + ": the response is not a JSON object (truncated?)");
  return document;
}

// The list of a page: "items" as documented, "interactions" or "data" as some versions write.
const rapidjson::Value* page_items(const rapidjson::Document& document) {
  for (const char* key : {"items", "interactions", "data"}) {
    const auto member = document.FindMember(key);
    if (member != document.MemberEnd() && member->value.IsArray()) return &member->value;
  }
  return nullptr;
}

std::string next_token(const rapidjson::Document& document) {
  const auto meta = document.FindMember("meta");
  if (meta == document.MemberEnd() || !meta->value.IsObject()) return {};
  const auto token = meta->value.FindMember("nextContinuationToken");
  return token != meta->value.MemberEnd() && token->value.IsString() ? token->value.GetString()
                                                                     : std::string();
}

Value text_value(const std::string& text) {
  return text.empty() ? Value{} : Value{text};
}

}  // namespace

ConnectorDescriptor VccContentConnector::describe_connector() {
  return {
      kName,
      "Vonage Contact Center's Interaction Content API: recordings, voicemails, transcripts "
      "(credentials VCC_CLIENT_ID, VCC_CLIENT_SECRET; see connectors/vcc_content/README.md)",
      {
          {"region", "string", "emea",
           "the account's region: the token host is {region}.cc.vonage.com, the API "
           "{region}.api.newvoicemedia.com",
           false},
          {"token_url", "url", "", "the token endpoint (default from region)", false},
          {"base_url", "url", "",
           "the API root ending in /interaction-content (default from "
           "region)",
           false},
          {"scope", "string", "interaction-content:read", "the scopes asked for", false},
          {"since", "date", "", "search interactions from this UTC date or date-time", false},
          {"until", "date", "",
           "search interactions up to this UTC date (inclusive) or "
           "date-time",
           false},
          {"page_size", "int", "1000", "interactions per page (1 to 1000)", false},
          max_api_calls_option("5000"),
          {"max_retries", "int", "4", "retries of a request that got 429, 5xx or a timeout", false},
          {"guid_fields", "string", "CallObject,*CallObjectIdentifier*,VendorCallKey",
           "CRM fields (globs, comma-separated) whose GUIDs are call GUIDs", false},
          ca_file_option(),
          max_wait_option(),
      }};
}

const ConnectorDescriptor& VccContentConnector::descriptor() const {
  return descriptor_of<VccContentConnector>();
}

VccContentConnector::VccContentConnector(const ConnectorConfig& config, HttpOptions http_options) {
  const ConnectorOptions options(descriptor(), config);
  token_url_ = options.text("token_url");
  base_url_ = options.text("base_url");
  scope_ = options.text("scope");
  const auto& region = options.text("region");
  if (region.empty() || !std::all_of(region.begin(), region.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
      })) {
    throw options.error("region '" + region + "' is not a region name");
  }
  if (token_url_.empty()) token_url_ = "https://" + region + ".cc.vonage.com/Auth/connect/token";
  if (base_url_.empty())
    base_url_ = "https://" + region + ".api.newvoicemedia.com/interaction-content";
  while (base_url_.ends_with('/')) base_url_.pop_back();
  HttpClient::check_url(token_url_);
  HttpClient::check_url(base_url_);
  page_size_ = options.number("page_size", 1, kMaxPageSize);
  max_api_calls_ = options.number("max_api_calls");
  http_options.max_retries =
      static_cast<int>(options.number("max_retries", 0, std::numeric_limits<int>::max()));

  const auto &since = options.text("since"), &until = options.text("until");
  if (since.empty() != until.empty()) throw options.error("give both since and until, or neither");
  if (!since.empty()) {
    const auto start = parse_utc(since), last = parse_utc(until);
    if (!start) throw options.error("since '" + since + "' is not a UTC date");
    if (!last) throw options.error("until '" + until + "' is not a UTC date");
    // A date alone means the whole of that day.
    const auto end = until.size() == 10 ? *last + 24 * 3600 : *last;
    if (end <= *start) throw options.error("until (" + until + ") is before since (" + since + ")");
    range_ = TimeRange{*start, end};
  }
  for (const auto& glob : split_list(options.text("guid_fields"), ',')) {
    try {
      guid_fields_.emplace_back(glob);
    } catch (const std::invalid_argument&) {
      throw options.error("guid_fields: '" + glob + "' is not a glob");
    }
  }
  // Missing credentials are a configuration error before anything is scanned.
  if (environment_secret("VCC_CLIENT_ID").empty() ||
      environment_secret("VCC_CLIENT_SECRET").empty())
    throw ConfigError(kNoCredentials);
  http_ = std::make_unique<HttpClient>(options.http_with_wait_budget(std::move(http_options)));
}

std::vector<TimeRange> VccContentConnector::windows(const TimeRange& range) {
  std::vector<TimeRange> result;
  for (auto start = range.start; start < range.end; start += kMaxWindowSeconds)
    result.push_back({start, std::min(start + kMaxWindowSeconds, range.end)});
  return result;
}

void VccContentConnector::check_budget() const {
  if (max_api_calls_ != 0 && http_->attempts() >= max_api_calls_) {
    throw ContentApiStopped("stopped after " + std::to_string(http_->attempts()) +
                            " API calls (content option max_api_calls)");
  }
}

void VccContentConnector::sign_in() {
  const auto client_id = environment_secret("VCC_CLIENT_ID"),
             client_secret = environment_secret("VCC_CLIENT_SECRET");
  if (client_id.empty() || client_secret.empty()) throw ConfigError(kNoCredentials);
  check_budget();
  HttpRequest request{
      "POST",
      token_url_,
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
      "grant_type=client_credentials&client_id=" + HttpClient::escape(client_id) +
          "&client_secret=" + HttpClient::escape(client_secret) +
          "&scope=" + HttpClient::escape(scope_)};
  HttpResponse response;
  try {
    response = http_->send(request);
  } catch (const HttpError& e) {
    throw ContentApiStopped(std::string("cannot reach the token endpoint: ") + e.what());
  }
  if (response.status != 200) {
    throw ContentApiStopped("the token endpoint " + token_url_ +
                            " refused the client credentials: " + error_text(response));
  }
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("access_token") ||
      !document["access_token"].IsString() || document["access_token"].GetStringLength() == 0) {
    throw ContentApiStopped("the token endpoint's response has no access_token");
  }
  access_token_ = document["access_token"].GetString();
  register_secret(access_token_);
  std::int64_t lifetime = 3600;
  if (const auto expires = document.FindMember("expires_in");
      expires != document.MemberEnd() && expires->value.IsInt64()) {
    lifetime = expires->value.GetInt64();
  }
  token_expires_ = now_seconds() + lifetime;
}

HttpResponse VccContentConnector::call(const std::string& path_and_query) {
  const auto what = "GET " + path_and_query.substr(0, path_and_query.find('?'));
  const auto response = send_renewing_once(
      [&] {
        if (access_token_.empty() || now_seconds() + kTokenMarginSeconds >= token_expires_)
          sign_in();
        check_budget();
        try {
          return http_->send(
              {"GET",
               base_url_ + path_and_query,
               {{"Authorization", "Bearer " + access_token_}, {"Accept", std::string(kAcceptV3)}},
               {}});
        } catch (const HttpError& e) {
          throw ContentApiStopped(std::string("the content API cannot be reached: ") + e.what());
        }
      },
      [](const HttpResponse& answer) { return answer.status == 401; },
      [this] { access_token_.clear(); },
      [&](const HttpResponse& answer) {
        throw ContentApiStopped(what + ": a new token was refused too: " + error_text(answer));
      });
  if (response.status == 403) {
    throw ContentApiStopped(what + ": forbidden (does the client have the " + scope_ +
                            " scope?): " + error_text(response));
  }
  if (response.status == 429 || response.status >= 500) {
    throw ContentApiStopped(what + ": still " + error_text(response) + " after " +
                            std::to_string(http_->attempts()) + " API calls in all");
  }
  return response;
}

std::optional<Interaction> VccContentConnector::interaction(const std::string& guid) {
  const auto path = "/interactions/" + HttpClient::escape(guid);
  const auto response = call(path);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200)
    throw ContentApiError("GET /interactions/" + guid + ": " + error_text(response));
  const auto document = parse_json(response, "GET /interactions/" + guid);
  auto parsed = parse_interaction(document);
  if (!parsed) throw ContentApiError("GET /interactions/" + guid + ": no interaction in the reply");
  return parsed;
}

void VccContentConnector::search(const std::string& parameter, const std::string& value,
                                 const TimeRange& range,
                                 const std::function<void(Interaction&&)>& on_interaction) {
  for (const auto& window : windows(range)) {
    std::string continuation;
    PageGuard pages;
    do {
      std::string query = "/interactions?start=" + HttpClient::escape(format_utc(window.start)) +
                          "&end=" + HttpClient::escape(format_utc(window.end)) +
                          "&limit=" + std::to_string(page_size_);
      if (!parameter.empty()) query += "&" + parameter + "=" + HttpClient::escape(value);
      if (!continuation.empty()) query += "&continuationToken=" + HttpClient::escape(continuation);
      const auto response = call(query);
      const auto what =
          "GET /interactions (" + format_utc(window.start) + " to " + format_utc(window.end) + ")";
      if (response.status != 200) throw ContentApiError(what + ": " + error_text(response));
      const auto document = parse_json(response, what);
      const auto* items = page_items(document);
      if (items == nullptr) throw ContentApiError(what + ": no items in the reply");
      for (const auto& item : items->GetArray()) {
        if (auto interaction = parse_interaction(item)) on_interaction(std::move(*interaction));
      }
      const auto next = next_token(document);
      if (!next.empty() && next == continuation)
        throw ContentApiError(what + ": the continuation token does not advance");
      if (const auto stop = pages.next(next, items->Size()); !stop.empty())
        throw ContentApiError(what + ": " + stop);
      continuation = next;
    } while (!continuation.empty());
  }
}

std::vector<ObjectSchema> VccContentConnector::describe() {
  return {
      {"Interaction",
       {{"guid", "id"},
        {"start", "datetime"},
        {"connectFrom", "phone"},
        {"connectTo", "phone"},
        {"direction", "string"},
        {"handlingAgents", "string"},
        {"contentTypes", "string"}}},
      {"InteractionContent",
       {{"key", "id"},
        {"guid", "reference"},
        {"contentKey", "string"},
        {"type", "string"},
        {"contentType", "string"},
        {"contentLength", "int"},
        {"lastModified", "datetime"},
        {"start", "datetime"},
        {"connectFrom", "phone"},
        {"connectTo", "phone"}}},
  };
}

void VccContentConnector::scan(const std::string& object, const RecordSink& on_record,
                               const ProblemSink& on_problem) {
  const auto schemas = describe();
  const auto found = std::find_if(schemas.begin(), schemas.end(), [&](const ObjectSchema& schema) {
    return schema.object == object;
  });
  if (found == schemas.end()) {
    on_problem(object, "no such object in the content API (Interaction, InteractionContent)");
    return;
  }
  if (!range_) {
    on_problem(object, "reading interactions needs a range: --option since=DATE until=DATE");
    return;
  }
  const auto schema = std::make_shared<const ObjectSchema>(*found);
  try {
    search({}, {}, *range_, [&](Interaction&& interaction) {
      const auto location = "interactions/" + interaction.guid;
      if (object == "Interaction") {
        std::string types, agents;
        for (const auto& item : interaction.content)
          types += (types.empty() ? "" : ",") + item.type;
        for (const auto& agent : interaction.handling_agents)
          agents += (agents.empty() ? "" : ",") + agent;
        Record record{schema,
                      {interaction.guid, text_value(interaction.start),
                       text_value(interaction.connect_from), text_value(interaction.connect_to),
                       text_value(interaction.direction), text_value(agents), text_value(types)},
                      interaction.guid};
        record.source = location;
        on_record(record);
        return;
      }
      for (const auto& item : interaction.content) {
        const auto key = interaction.guid + "/" + item.content_key;
        Record record{schema,
                      {key, interaction.guid, item.content_key, text_value(item.type),
                       text_value(item.content_type), static_cast<double>(item.content_length),
                       text_value(item.last_modified), text_value(interaction.start),
                       text_value(interaction.connect_from), text_value(interaction.connect_to)},
                      key};
        record.source = location;
        on_record(record);
      }
    });
  } catch (const Error& e) {
    on_problem(object, e.what());
  }
}

}  // namespace crmscan::vcc

namespace crmscan {

ConnectorEntry crmscan_connector_vcc_content() {
  return connector_entry<vcc::VccContentConnector>();
}

}  // namespace crmscan

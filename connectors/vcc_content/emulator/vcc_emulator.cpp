#include "vcc_emulator.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "connector_kit.hpp"
#include "emulator_kit.hpp"

namespace crmscan::vccemu {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using vcc::Interaction;

constexpr std::string_view kTokenPath = "/Auth/connect/token";
constexpr std::string_view kApiPath = "/interaction-content/interactions";

using emulator::Reply;

void put(JsonWriter& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

Reply json_error(int status, std::string_view error, std::string_view message) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("error");
  put(w, error);
  w.Key("message");
  put(w, message);
  w.EndObject();
  return {status, buffer.GetString(), {}};
}

void write_interaction(JsonWriter& w, const Interaction& interaction) {
  w.StartObject();
  w.Key("guid");
  put(w, interaction.guid);
  w.Key("start");
  put(w, interaction.start);
  w.Key("connectFrom");
  put(w, interaction.connect_from);
  w.Key("connectTo");
  put(w, interaction.connect_to);
  w.Key("direction");
  put(w, interaction.direction);
  w.Key("handlingAgents");
  w.StartArray();
  for (const auto& agent : interaction.handling_agents) put(w, agent);
  w.EndArray();
  w.Key("content");
  w.StartArray();
  for (const auto& item : interaction.content) {
    w.StartObject();
    w.Key("contentKey");
    put(w, item.content_key);
    w.Key("type");
    put(w, item.type);
    w.Key("contentType");
    put(w, item.content_type);
    w.Key("contentLength");
    w.Int64(item.content_length);
    w.Key("lastModified");
    put(w, item.last_modified);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

std::vector<Interaction> load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot be read");
  std::stringstream content;
  content << in.rdbuf();
  const auto text = content.str();
  rapidjson::Document document;
  document.Parse(text.c_str(), text.size());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("interactions") ||
      !document["interactions"].IsArray()) {
    throw std::runtime_error(file.string() + ": not a JSON object with an interactions array");
  }
  std::vector<Interaction> interactions;
  for (const auto& value : document["interactions"].GetArray()) {
    auto interaction = vcc::parse_interaction(value);
    if (!interaction || !vcc::parse_utc(interaction->start))
      throw std::runtime_error(file.string() + ": an interaction without a guid or a UTC start");
    interactions.push_back(std::move(*interaction));
  }
  return interactions;
}

}  // namespace

struct Emulator::Impl {
  Impl(EmulatorOptions options, emulator::RequestLog<RequestRecord>& requests,
       const emulator::Serving& serving)
      : requests_(requests), serving_(serving), options_(std::move(options)) {
    faults_ = options_.faults;
    if (!options_.data_file.empty()) {
      for (auto& interaction : load(options_.data_file))
        interactions_[interaction.guid] = std::move(interaction);
    }
  }

  void handle(const httplib::Request& request, httplib::Response& response) {
    RequestRecord record{request.method, request.path, {}, 0};
    // The token request's form holds the client secret: it is not kept.
    if (request.path != kTokenPath) {
      for (const auto& [name, value] : request.params) record.params[name] = value;
    }
    emulator::answer(
        mutex_, requests_, std::move(record),
        [&](emulator::BodyFault& fault) { return route(request, fault); }, response);
  }

  Reply route(const httplib::Request& request, emulator::BodyFault& fault) {
    const std::string_view path = request.path;
    if (path == kTokenPath) {
      if (request.method != "POST")
        return json_error(405, "invalid_request", "the token endpoint takes POST");
      return token(request);
    }
    if (!path.starts_with(kApiPath)) return json_error(404, "not_found", "no such resource");
    auto rest = path.substr(kApiPath.size());
    if (request.method != "GET") return json_error(405, "method_not_allowed", "only GET here");

    const auto authorization = request.get_header_value("Authorization");
    const auto token = authorization.starts_with("Bearer ") ? authorization.substr(7) : "";
    const auto found = tokens_.find(token);
    if (found == tokens_.end() ||
        (faults_.token_expires_after > 0 && found->second >= faults_.token_expires_after)) {
      return json_error(401, "invalid_token", "the access token is missing, invalid or expired");
    }
    if (request.get_header_value("Accept") != vcc::kAcceptV3) {
      return json_error(
          400, "unsupported_version",
          "missing or unsupported API version: send Accept: " + std::string(vcc::kAcceptV3));
    }
    ++found->second;
    const auto call = ++calls_;
    if (faults_.throttled.holds(call))
      return with_retry_after(json_error(429, "too_many_requests", "rate limit exceeded"));
    if (faults_.unavailable.holds(call))
      return with_retry_after(json_error(503, "unavailable", "service unavailable"));
    fault = emulator::body_fault_of(faults_, call);

    if (rest.empty() || rest == "/") return list(request);
    if (rest.starts_with('/') && rest.find('/', 1) == std::string_view::npos)
      return get(std::string(rest.substr(1)));
    return json_error(404, "not_found", "no such resource");
  }

  Reply with_retry_after(Reply reply) const {
    if (faults_.retry_after_seconds > 0)
      reply.headers.emplace_back("Retry-After", std::to_string(faults_.retry_after_seconds));
    return reply;
  }

  Reply token(const httplib::Request& request) {
    if (request.get_param_value("grant_type") != "client_credentials")
      return json_error(400, "unsupported_grant_type", "only client_credentials is supported");
    if (request.get_param_value("client_id") != options_.client_id ||
        request.get_param_value("client_secret") != options_.client_secret) {
      return json_error(400, "invalid_client", "unknown client or wrong secret");
    }
    const auto scope = request.get_param_value("scope");
    if (scope.find("interaction-content:") == std::string::npos)
      return json_error(400, "invalid_scope", "ask for interaction-content:read");
    std::string token(48, ' ');
    std::uniform_int_distribution<int> pick(0, 35);
    for (auto& c : token) {
      const int n = pick(random_);
      c = static_cast<char>(n < 10 ? '0' + n : 'a' + n - 10);
    }
    tokens_[token] = 0;
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("access_token");
    put(w, token);
    w.Key("expires_in");
    w.Int(options_.token_lifetime_seconds);
    w.Key("token_type");
    put(w, "Bearer");
    w.Key("scope");
    put(w, scope);
    w.EndObject();
    return {200, buffer.GetString(), {}};
  }

  Reply get(const std::string& guid) const {
    if (!is_guid(guid)) return json_error(400, "invalid_guid", "'" + guid + "' is not a GUID");
    const auto found = interactions_.find(guid);
    if (found == interactions_.end()) return json_error(404, "not_found", "no interaction " + guid);
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    write_interaction(w, found->second);
    return {200, buffer.GetString(), {}};
  }

  Reply list(const httplib::Request& request) const {
    const auto param = [&request](const char* name) { return request.get_param_value(name); };
    const auto start = vcc::parse_utc(param("start")), end = vcc::parse_utc(param("end"));
    if (!start || !end) return json_error(400, "invalid_range", "start and end are required");
    if (*end <= *start) return json_error(400, "invalid_range", "end must be after start");
    if (*end - *start > vcc::kMaxWindowSeconds)
      return json_error(400, "invalid_range", "the window between start and end exceeds 7 days");
    std::size_t limit = vcc::kMaxPageSize;
    if (request.has_param("limit")) {
      const auto text = param("limit");
      if (text.empty() || text.size() > 6 ||
          !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          std::stoul(text) < 1 || std::stoul(text) > vcc::kMaxPageSize) {
        return json_error(400, "invalid_limit", "limit must be 1 to 1000");
      }
      limit = std::stoul(text);
    }
    const auto from = param("connectFrom"), to = param("connectTo");
    // A continuation token is bound to its query: the offset and a digest of the filters.
    const auto digest = std::to_string(
        std::hash<std::string>{}(param("start") + '|' + param("end") + '|' + from + '|' + to) %
        1'000'000'007);
    std::size_t offset = 0;
    if (request.has_param("continuationToken")) {
      const auto token = param("continuationToken");
      const auto dash = token.find('-');
      if (dash == std::string::npos || token.substr(dash + 1) != digest ||
          !std::all_of(token.begin(), token.begin() + static_cast<std::ptrdiff_t>(dash),
                       [](char c) { return c >= '0' && c <= '9'; }) ||
          dash == 0) {
        return json_error(400, "invalid_continuation_token", "the continuation token is not valid");
      }
      offset = std::stoul(token.substr(0, dash));
    }
    std::vector<const Interaction*> matches;
    for (const auto& [guid, interaction] : interactions_) {
      const auto at = vcc::parse_utc(interaction.start).value_or(0);
      if (at < *start || at >= *end) continue;
      if (!from.empty() && !interaction.connect_from.starts_with(from)) continue;
      if (!to.empty() && !interaction.connect_to.starts_with(to)) continue;
      matches.push_back(&interaction);
    }
    std::sort(matches.begin(), matches.end(), [](const Interaction* a, const Interaction* b) {
      return std::tie(a->start, a->guid) < std::tie(b->start, b->guid);
    });
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    const auto last = std::min(matches.size(), offset + limit);
    w.Key("meta");
    w.StartObject();
    w.Key("count");
    w.Uint64(last > offset ? last - offset : 0);
    w.Key("total");
    w.Uint64(matches.size());
    w.Key("nextContinuationToken");
    if (last < matches.size())
      put(w, std::to_string(last) + "-" + digest);
    else
      w.Null();
    w.EndObject();
    w.Key("items");
    w.StartArray();
    for (auto i = offset; i < last; ++i) write_interaction(w, *matches[i]);
    w.EndArray();
    w.EndObject();
    return {200, buffer.GetString(), {}};
  }

  emulator::RequestLog<RequestRecord>& requests_;
  const emulator::Serving& serving_;
  EmulatorOptions options_;
  mutable std::mutex mutex_;
  Faults faults_;
  std::size_t calls_ = 0;
  std::map<std::string, Interaction> interactions_;
  std::map<std::string, std::size_t> tokens_;  // token → calls made with it
  std::mt19937_64 random_{std::random_device{}()};
};

Emulator::Emulator(EmulatorOptions options)
    : Host(options.port, [this](const httplib::Request& request,
                                httplib::Response& response) { impl_->handle(request, response); }),
      impl_(std::make_unique<Impl>(std::move(options), requests_, *this)) {}

Emulator::~Emulator() {
  stop();
}

void Emulator::add_interaction(vcc::Interaction interaction) {
  std::lock_guard lock(impl_->mutex_);
  impl_->interactions_[interaction.guid] = std::move(interaction);
}

std::size_t Emulator::interaction_count() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->interactions_.size();
}

void Emulator::set_faults(const Faults& faults) {
  std::lock_guard lock(impl_->mutex_);
  impl_->faults_ = faults;
  impl_->calls_ = 0;
  for (auto& [token, uses] : impl_->tokens_) uses = 0;
}

}  // namespace crmscan::vccemu

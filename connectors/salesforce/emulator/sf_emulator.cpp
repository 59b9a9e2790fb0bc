#include "sf_emulator.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>

#include "crmscan/normalize.hpp"
#include "crmscan/text.hpp"
#include "emulator_kit.hpp"
#include "long_uri_server.hpp"
#include "oauth.hpp"
#include "org.hpp"
#include "soql.hpp"

namespace crmscan::sfemu {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using emulator::Reply;

constexpr std::string_view kJson = "application/json;charset=UTF-8";
constexpr std::string_view kCsv = "text/csv";
constexpr std::string_view kJwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view kTokenPath = "/services/oauth2/token";
constexpr std::string_view kDataPath = "/services/data/v";
constexpr std::string_view kOrgId15 = "00D5g000004EMUL";
constexpr std::string_view kUserId15 = "0055g00000EMUL1";
constexpr std::size_t kMaxBatchSize = 2000;

void put(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void key(JsonWriter& writer, std::string_view text) {
  writer.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void put_or_null(JsonWriter& writer, std::string_view text) {
  if (text.empty())
    writer.Null();
  else
    put(writer, text);
}

Reply json_reply(int status, const rapidjson::StringBuffer& buffer) {
  return Reply{status, std::string(buffer.GetString(), buffer.GetSize()), {}, std::string(kJson)};
}

// Salesforce's error body: [{"message":…,"errorCode":…}].
Reply error_reply(int status, std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartArray();
  writer.StartObject();
  key(writer, "message");
  put(writer, message);
  key(writer, "errorCode");
  put(writer, code);
  writer.EndObject();
  writer.EndArray();
  return json_reply(status, buffer);
}

Reply not_found() {
  return error_reply(404, "NOT_FOUND", "The requested resource does not exist");
}

// OAuth errors are an object, not an array.
Reply oauth_error(std::string_view error, std::string_view description) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  key(writer, "error");
  put(writer, error);
  key(writer, "error_description");
  put(writer, description);
  writer.EndObject();
  return json_reply(400, buffer);
}

// "Account_Source__c" → "Account Source", "EmailMessage" → "Email Message".
std::string label_of(std::string_view name) {
  if (name.ends_with("__c")) name.remove_suffix(3);
  if (const auto at = name.find("__"); at != std::string_view::npos) name.remove_prefix(at + 2);
  std::string label;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_') {
      label += ' ';
      continue;
    }
    if (i > 0 && std::isupper(static_cast<unsigned char>(c)) &&
        std::islower(static_cast<unsigned char>(name[i - 1]))) {
      label += ' ';
    }
    label += c;
  }
  return label;
}

std::size_t length_of(FieldType type) {
  switch (type) {
    case FieldType::kId:
    case FieldType::kReference:
      return 18;
    case FieldType::kString:
      return 255;
    case FieldType::kTextArea:
      return 32000;
    case FieldType::kEmail:
      return 80;
    case FieldType::kPhone:
      return 40;
    default:
      return 0;
  }
}

// WhoId → Who, Related_Lead__c → Related_Lead__r; empty for fields with no relationship name.
std::string relationship_name(std::string_view field) {
  if (field.ends_with("__c")) return std::string(field.substr(0, field.size() - 3)) + "__r";
  if (field.size() > 2 && field.ends_with("Id"))
    return std::string(field.substr(0, field.size() - 2));
  return {};
}

std::string now_iso() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now - seconds).count();
  const std::time_t time = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

std::optional<std::size_t> parse_count(std::string_view text) {
  std::size_t value = 0;
  const auto end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, value).ptr != end) return std::nullopt;
  return value;
}

// The selected values of a query's rows, copied so that cursors and jobs outlive data changes.
struct ResultSet {
  std::string object;
  std::vector<std::string> fields;
  std::vector<FieldType> types;
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> rows;
};

ResultSet snapshot(const Query& query, const std::vector<std::size_t>& rows) {
  const auto& object = *query.object;
  ResultSet set;
  set.object = object.name;
  for (const auto column : query.columns) {
    set.fields.push_back(object.fields[column].name);
    set.types.push_back(object.fields[column].type);
  }
  for (const auto row : rows) {
    const auto& values = object.rows[row];
    set.ids.emplace_back(object.id(values));
    std::vector<std::string> selected;
    for (const auto column : query.columns) selected.push_back(values[column]);
    set.rows.push_back(std::move(selected));
  }
  return set;
}

void write_value(JsonWriter& writer, std::string_view value, FieldType type) {
  if (value.empty()) {
    writer.Null();
  } else if (type == FieldType::kBoolean) {
    writer.Bool(iequals(value, "true"));
  } else if (type == FieldType::kDateTime) {
    put(writer, rest_datetime(value));
  } else {
    put(writer, value);
  }
}

void write_record(JsonWriter& writer, std::string_view version, std::string_view object,
                  std::string_view id, const std::vector<std::string>& fields,
                  const std::vector<FieldType>& types, const std::vector<std::string>& values) {
  writer.StartObject();
  key(writer, "attributes");
  writer.StartObject();
  key(writer, "type");
  put(writer, object);
  if (!id.empty()) {
    key(writer, "url");
    put(writer, "/services/data/v" + std::string(version) + "/sobjects/" + std::string(object) +
                    "/" + std::string(id));
  }
  writer.EndObject();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    key(writer, fields[i]);
    write_value(writer, values[i], types[i]);
  }
  writer.EndObject();
}

std::string csv_quote(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

struct Cursor {
  ResultSet results;
  std::size_t batch = kMaxBatchSize;
};

struct BulkJob {
  std::string id;
  std::string operation;
  std::string query;
  std::string created;
  std::string version;
  std::string column_delimiter = "COMMA";
  std::string line_ending = "LF";
  std::string state = "UploadComplete";
  std::size_t polls = 0;
  ResultSet results;
};

// Bulk API 2.0 column delimiters by name.
std::optional<char> delimiter_char(std::string_view name) {
  static constexpr std::pair<std::string_view, char> kDelimiters[] = {
      {"COMMA", ','},     {"TAB", '\t'},  {"PIPE", '|'},
      {"SEMICOLON", ';'}, {"CARET", '^'}, {"BACKQUOTE", '`'}};
  for (const auto& [delimiter_name, c] : kDelimiters) {
    if (delimiter_name == name) return c;
  }
  return std::nullopt;
}

// The kit's body faults, and the faults only this emulator serves.
struct PendingFault {
  emulator::BodyFault body;
  std::chrono::milliseconds delay{0};
  bool reset = false;
  std::chrono::milliseconds stall{0};
  std::size_t bomb_bytes = 0;
};

// A gzip stream of `size` zero bytes: a few hundred kilobytes that inflate a thousandfold.
std::shared_ptr<const std::string> gzip_bomb(std::size_t size) {
  static std::mutex mutex;
  static std::map<std::size_t, std::shared_ptr<const std::string>> made;
  std::lock_guard lock(mutex);
  if (const auto found = made.find(size); found != made.end()) return found->second;
  z_stream stream{};
  constexpr int kGzipWindow = 15 + 16;
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindow, 9, Z_DEFAULT_STRATEGY);
  const std::string zeros(1 << 20, '\0');
  std::string out;
  std::array<unsigned char, 1 << 16> chunk;
  for (std::size_t left = size; left > 0 || stream.avail_in > 0;) {
    if (stream.avail_in == 0) {
      const auto take = std::min(left, zeros.size());
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
      stream.avail_in = static_cast<uInt>(take);
      left -= take;
    }
    stream.next_out = chunk.data();
    stream.avail_out = chunk.size();
    deflate(&stream, Z_NO_FLUSH);
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - stream.avail_out);
  }
  for (int status = Z_OK; status != Z_STREAM_END;) {
    stream.next_out = chunk.data();
    stream.avail_out = chunk.size();
    status = deflate(&stream, Z_FINISH);
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - stream.avail_out);
  }
  deflateEnd(&stream);
  auto bomb = std::make_shared<const std::string>(std::move(out));
  made.emplace(size, bomb);
  return bomb;
}

}  // namespace

struct Emulator::Impl {
  Impl(EmulatorOptions emulator_options, emulator::RequestLog<RequestRecord>& requests,
       const emulator::Serving& serving)
      : requests_(requests),
        serving_(serving),
        options_(std::move(emulator_options)),
        org_(options_.text_id_fields),
        faults_(options_.faults),
        random_(std::random_device{}()) {
    if (!options_.data_dir.empty()) org_.load_folder(options_.data_dir, options_.latin1);
    if (!options_.jwt_public_key_pem.empty())
      jwt_key_ = std::make_unique<PublicKey>(options_.jwt_public_key_pem);
  }

  std::string instance_url() const { return serving_.url(); }

  std::string random_text(std::size_t length) {
    static constexpr std::string_view kChars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    std::uniform_int_distribution<std::size_t> pick(0, kChars.size() - 1);
    std::string text;
    for (std::size_t i = 0; i < length; ++i) text += kChars[pick(random_)];
    return text;
  }

  // A record id of the emulator's own: key prefix, "5g", a serial number.
  std::string new_id(std::string_view prefix) {
    auto serial = std::to_string(next_serial_++);
    return salesforce_id18(std::string(prefix) + "5g" + std::string(10 - serial.size(), '0') +
                           serial);
  }

  std::string new_access_token() {
    auto token = std::string(kOrgId15) + "!" + random_text(96);
    tokens_[token] = 0;
    return token;
  }

  void handle(const httplib::Request& request, httplib::Response& response) {
    PendingFault fault;
    Reply reply;
    {
      std::lock_guard lock(mutex_);
      RequestRecord record{request.method, request.path, {}, 0};
      if (request.has_param("q")) record.query = request.get_param_value("q");
      reply = route(request, fault, record);
      record.status = reply.status;
      requests_.add(std::move(record));
    }
    if (fault.delay.count() > 0) {
      std::unique_lock lock(stop_mutex_);
      stop_signal_.wait_for(lock, fault.delay, [this] { return stopping_; });
    }
    if (fault.reset) {
      LongUriServer::reset_connection();
      return;
    }
    if (fault.bomb_bytes > 0) {
      auto bomb = gzip_bomb(fault.bomb_bytes);
      response.set_header("Content-Encoding", "gzip");
      response.set_content_provider(
          bomb->size(), std::string(kJson),
          [bomb](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            sink.write(bomb->data() + offset, std::min(length, bomb->size() - offset));
            return true;
          });
      return;
    }
    if (fault.stall.count() > 0) {
      // Half the body, then silence until the stall is over or the server stops.
      auto body = std::make_shared<std::string>(std::move(reply.body));
      const auto sent = body->size() / 2;
      response.set_content_provider(body->size(), reply.content_type,
                                    [this, body, sent, stall = fault.stall](
                                        std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                      if (offset < sent) {
                                        sink.write(body->data() + offset, sent - offset);
                                        return true;
                                      }
                                      std::unique_lock lock(stop_mutex_);
                                      stop_signal_.wait_for(lock, stall,
                                                            [this] { return stopping_; });
                                      return false;
                                    });
      return;
    }
    emulator::send_reply(std::move(reply), fault.body, response);
  }

  Reply route(const httplib::Request& request, PendingFault& fault, RequestRecord& record) {
    const std::string_view path = request.path;
    if (path == kTokenPath) {
      if (request.method != "POST") return oauth_error("invalid_request", "must use HTTP POST");
      return token(request);
    }
    if (!path.starts_with(kDataPath)) return not_found();
    // "/services/data/v60.0/query" → version "60.0", rest "/query"
    auto rest = path.substr(kDataPath.size());
    const auto slash = std::min(rest.find('/'), rest.size());
    const auto version = rest.substr(0, slash);
    rest.remove_prefix(slash);
    const auto dot = version.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == version.size() ||
        !std::all_of(version.begin(), version.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
        })) {
      return not_found();
    }
    auto reply = api(request, version, rest, fault, record);
    reply.headers.emplace_back("Sforce-Limit-Info", "api-usage=" + std::to_string(api_used_) + "/" +
                                                        std::to_string(faults_.api_limit));
    return reply;
  }

  Reply api(const httplib::Request& request, std::string_view version, std::string_view rest,
            PendingFault& fault, RequestRecord& record) {
    const auto authorization = request.get_header_value("Authorization");
    std::string_view token;
    for (const std::string_view scheme : {"Bearer ", "OAuth "}) {
      if (authorization.size() > scheme.size() &&
          iequals(authorization.substr(0, scheme.size()), scheme))
        token = std::string_view(authorization).substr(scheme.size());
    }
    const auto found = tokens_.find(std::string(trim(token)));
    if (found == tokens_.end() ||
        (faults_.session_expires_after > 0 && found->second >= faults_.session_expires_after)) {
      return error_reply(401, "INVALID_SESSION_ID", "Session expired or invalid");
    }
    if (api_used_ >= faults_.api_limit)
      return error_reply(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
    ++api_used_;
    ++found->second;
    const auto call = ++calls_;
    std::optional<Reply> refusal;
    if (faults_.unavailable.holds(call)) {
      refusal = faults_.unavailable_status == 500
                    ? error_reply(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred")
                    : error_reply(503, "SERVER_UNAVAILABLE", "Service Unavailable");
    } else if (faults_.throttled.holds(call)) {
      refusal = error_reply(429, "REQUEST_LIMIT_EXCEEDED", "Too many concurrent requests");
    }
    if (refusal) {
      if (faults_.retry_after_seconds > 0)
        refusal->headers.emplace_back("Retry-After", std::to_string(faults_.retry_after_seconds));
      return *refusal;
    }
    fault.reset = call == faults_.reset_at;
    if (faults_.stalled.holds(call)) fault.stall = faults_.stall_time;
    if (call == faults_.gzip_bomb_at) fault.bomb_bytes = faults_.bomb_bytes;
    if (call == faults_.slow_at) fault.delay = faults_.slow_delay;
    fault.body = emulator::body_fault_of(faults_, call);
    try {
      return dispatch(request, version, rest, record);
    } catch (const ApiError& error) {
      return error_reply(error.status, error.code, error.what());
    }
  }

  Reply dispatch(const httplib::Request& request, std::string_view version, std::string_view rest,
                 RequestRecord& record) {
    std::vector<std::string_view> parts;
    for (std::size_t at = 0; at < rest.size();) {
      const auto next = std::min(rest.find('/', at), rest.size());
      if (next > at) parts.push_back(rest.substr(at, next - at));
      at = next + 1;
    }
    const auto& method = request.method;
    const auto n = parts.size();
    if (method == "GET") {
      if (n == 1 && parts[0] == "limits") return limits();
      if (n == 1 && parts[0] == "sobjects") return describe_global(version);
      if (n == 3 && parts[0] == "sobjects" && parts[2] == "describe")
        return describe(parts[1], version);
      if (n == 3 && parts[0] == "sobjects") return retrieve(parts[1], parts[2], version);
      if (n >= 1 && (parts[0] == "query" || parts[0] == "queryAll")) {
        if (n == 1) return query(request, version, parts[0] == "queryAll");
        if (n == 2) return query_more(parts[1], version);
      }
      if (n == 1 && parts[0] == "search") return search(request, version);
      if (n == 3 && parts[0] == "jobs" && parts[1] == "query") return bulk_info(parts[2]);
      if (n == 4 && parts[0] == "jobs" && parts[1] == "query" && parts[3] == "results")
        return bulk_results(request, parts[2]);
    } else if (method == "POST" && n == 2 && parts[0] == "jobs" && parts[1] == "query") {
      return bulk_create(request, version, record);
    } else if (method == "DELETE" && n == 3 && parts[0] == "jobs" && parts[1] == "query") {
      if (jobs_.erase(std::string(parts[2])) == 0) return not_found();
      return Reply{204, {}, {}, {}};
    } else if (method == "PATCH" && n == 3 && parts[0] == "jobs" && parts[1] == "query") {
      return bulk_abort(request, parts[2]);
    }
    return not_found();
  }

  Reply token(const httplib::Request& request) {
    const auto param = [&](const char* name) { return request.get_param_value(name); };
    const auto grant = param("grant_type");
    auto client_id = param("client_id");
    auto client_secret = param("client_secret");
    const auto authorization = request.get_header_value("Authorization");
    if (client_id.empty() && iequals(authorization.substr(0, 6), "Basic ")) {
      const auto decoded = base64_decode(trim(std::string_view(authorization).substr(6)));
      if (decoded && decoded->find(':') != std::string::npos) {
        client_id = decoded->substr(0, decoded->find(':'));
        client_secret = decoded->substr(decoded->find(':') + 1);
      }
    }
    const bool client_ok =
        client_id == options_.client_id && client_secret == options_.client_secret;
    bool ok = false;
    std::string refresh_token;
    if (grant == "password") {
      ok = client_ok && param("username") == options_.username &&
           param("password") == options_.password;
    } else if (grant == "client_credentials") {
      ok = client_ok;
      if (ok) {
        refresh_token = random_text(64);
        refresh_tokens_.insert(refresh_token);
      }
    } else if (grant == "refresh_token") {
      refresh_token = param("refresh_token");
      ok = client_id == options_.client_id &&
           (client_secret.empty() || client_secret == options_.client_secret) &&
           (refresh_token == options_.refresh_token || refresh_tokens_.contains(refresh_token));
    } else if (grant == kJwtGrant) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      ok = verify_jwt(param("assertion"), options_.client_id, options_.username,
                      options_.jwt_audiences, jwt_key_.get(), now);
    } else {
      return oauth_error("unsupported_grant_type", "grant type not supported");
    }
    if (!ok) return oauth_error("invalid_grant", "authentication failure");

    const auto issued_at = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    const auto id =
        instance_url() + "/id/" + salesforce_id18(kOrgId15) + "/" + salesforce_id18(kUserId15);
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "access_token");
    put(writer, new_access_token());
    if (!refresh_token.empty()) {
      key(writer, "refresh_token");
      put(writer, refresh_token);
    }
    key(writer, "signature");
    put(writer, hmac_sha256_base64(options_.client_secret, id + issued_at));
    key(writer, "scope");
    put(writer, refresh_token.empty() ? "api" : "api refresh_token");
    key(writer, "instance_url");
    put(writer, instance_url());
    key(writer, "id");
    put(writer, id);
    key(writer, "token_type");
    put(writer, "Bearer");
    key(writer, "issued_at");
    put(writer, issued_at);
    writer.EndObject();
    return json_reply(200, buffer);
  }

  Reply limits() const {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "DailyApiRequests");
    writer.StartObject();
    key(writer, "Max");
    writer.Uint64(faults_.api_limit);
    key(writer, "Remaining");
    writer.Uint64(faults_.api_limit > api_used_ ? faults_.api_limit - api_used_ : 0);
    writer.EndObject();
    writer.EndObject();
    return json_reply(200, buffer);
  }

  static void write_object_urls(JsonWriter& writer, std::string_view version,
                                std::string_view name) {
    const auto base = "/services/data/v" + std::string(version) + "/sobjects/" + std::string(name);
    key(writer, "urls");
    writer.StartObject();
    key(writer, "sobject");
    put(writer, base);
    key(writer, "describe");
    put(writer, base + "/describe");
    key(writer, "rowTemplate");
    put(writer, base + "/{ID}");
    writer.EndObject();
  }

  static void write_object_summary(JsonWriter& writer, const SObject& object,
                                   std::string_view version) {
    key(writer, "name");
    put(writer, object.name);
    key(writer, "label");
    put(writer, label_of(object.name));
    key(writer, "labelPlural");
    put(writer, label_of(object.name) + "s");
    key(writer, "keyPrefix");
    put_or_null(writer, object.key_prefix);
    key(writer, "custom");
    writer.Bool(object.name.ends_with("__c"));
    key(writer, "queryable");
    writer.Bool(true);
    key(writer, "searchable");
    writer.Bool(true);
    write_object_urls(writer, version, object.name);
  }

  Reply describe_global(std::string_view version) const {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "encoding");
    put(writer, "UTF-8");
    key(writer, "maxBatchSize");
    writer.Uint(200);
    key(writer, "sobjects");
    writer.StartArray();
    for (const auto& object : org_.objects()) {
      writer.StartObject();
      write_object_summary(writer, object, version);
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    return json_reply(200, buffer);
  }

  Reply describe(std::string_view name, std::string_view version) const {
    const auto* object = org_.find(name);
    if (!object) return not_found();
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    write_object_summary(writer, *object, version);
    key(writer, "fields");
    writer.StartArray();
    for (const auto& field : object->fields) {
      writer.StartObject();
      key(writer, "name");
      put(writer, field.name);
      key(writer, "label");
      put(writer, label_of(field.name));
      key(writer, "type");
      put(writer, type_name(field.type));
      key(writer, "length");
      writer.Uint64(length_of(field.type));
      key(writer, "custom");
      writer.Bool(field.name.ends_with("__c"));
      key(writer, "nillable");
      writer.Bool(field.type != FieldType::kId && field.type != FieldType::kBoolean);
      key(writer, "filterable");
      writer.Bool(field.type != FieldType::kTextArea);
      key(writer, "idLookup");
      writer.Bool(field.type == FieldType::kId);
      key(writer, "referenceTo");
      writer.StartArray();
      for (const auto& target : field.reference_to) put(writer, target);
      writer.EndArray();
      key(writer, "relationshipName");
      put_or_null(writer, field.type == FieldType::kReference ? relationship_name(field.name)
                                                              : std::string());
      writer.EndObject();
    }
    writer.EndArray();
    key(writer, "childRelationships");
    writer.StartArray();
    for (const auto& child : object->children) {
      writer.StartObject();
      key(writer, "childSObject");
      put(writer, child.child);
      key(writer, "field");
      put(writer, child.field);
      key(writer, "relationshipName");
      put_or_null(writer, child.name);
      key(writer, "cascadeDelete");
      writer.Bool(false);
      writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    return json_reply(200, buffer);
  }

  Reply retrieve(std::string_view name, std::string_view id, std::string_view version) const {
    const auto* object = org_.find(name);
    const auto wanted = salesforce_id_key(id);
    if (!object || !wanted) return not_found();
    for (const auto& row : object->rows) {
      if (salesforce_id_key(object->id(row)) != wanted) continue;
      std::vector<std::string> fields;
      std::vector<FieldType> types;
      for (const auto& field : object->fields) {
        fields.push_back(field.name);
        types.push_back(field.type);
      }
      rapidjson::StringBuffer buffer;
      JsonWriter writer(buffer);
      write_record(writer, version, object->name, object->id(row), fields, types, row);
      return json_reply(200, buffer);
    }
    return not_found();
  }

  std::size_t batch_size(const httplib::Request& request) const {
    const auto header = request.get_header_value("Sforce-Query-Options");
    const auto at = ascii_lower(header).find("batchsize=");
    if (at == std::string::npos) return kMaxBatchSize;
    auto digits = std::string_view(header).substr(at + 10);
    digits = digits.substr(0, std::min(digits.find_first_not_of("0123456789"), digits.size()));
    const auto size = parse_count(digits);
    if (!size) return kMaxBatchSize;
    return std::clamp(*size, std::clamp<std::size_t>(options_.min_batch_size, 1, kMaxBatchSize),
                      kMaxBatchSize);
  }

  Reply query(const httplib::Request& request, std::string_view version, bool all_rows) {
    if (!request.has_param("q"))
      return error_reply(400, "MALFORMED_QUERY", "A query string has to be specified");
    const auto parsed = parse_soql(request.get_param_value("q"), org_);
    Cursor cursor{snapshot(parsed, run_query(parsed, all_rows)), batch_size(request)};
    if (cursor.results.rows.size() <= cursor.batch) return page(cursor, {}, 0, version);
    const auto id = new_id("01g");
    cursor_order_.push_back(id);
    if (cursor_order_.size() > std::max<std::size_t>(options_.max_open_cursors, 1)) {
      cursors_.erase(cursor_order_.front());
      cursor_order_.pop_front();
    }
    const auto& stored = cursors_[id] = std::move(cursor);
    return page(stored, id, 0, version);
  }

  Reply query_more(std::string_view locator, std::string_view version) const {
    const auto dash = locator.rfind('-');
    const auto offset =
        dash == std::string_view::npos ? std::nullopt : parse_count(locator.substr(dash + 1));
    const auto found =
        offset ? cursors_.find(std::string(locator.substr(0, dash))) : cursors_.end();
    if (found == cursors_.end() || *offset > found->second.results.rows.size())
      return error_reply(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    return page(found->second, found->first, *offset, version);
  }

  static Reply page(const Cursor& cursor, std::string_view id, std::size_t offset,
                    std::string_view version) {
    const auto& set = cursor.results;
    const auto end = std::min(offset + cursor.batch, set.rows.size());
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "totalSize");
    writer.Uint64(set.rows.size());
    key(writer, "done");
    writer.Bool(end == set.rows.size());
    if (end < set.rows.size()) {
      key(writer, "nextRecordsUrl");
      put(writer, "/services/data/v" + std::string(version) + "/query/" + std::string(id) + "-" +
                      std::to_string(end));
    }
    key(writer, "records");
    writer.StartArray();
    for (auto i = offset; i < end; ++i)
      write_record(writer, version, set.object, set.ids[i], set.fields, set.types, set.rows[i]);
    writer.EndArray();
    writer.EndObject();
    return json_reply(200, buffer);
  }

  Reply search(const httplib::Request& request, std::string_view version) const {
    if (!request.has_param("q"))
      return error_reply(400, "MALFORMED_SEARCH", "A search string has to be specified");
    const auto parsed = parse_sosl(request.get_param_value("q"), org_);
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    key(writer, "searchRecords");
    writer.StartArray();
    for (const auto& hit : run_search(parsed, options_.search)) {
      const auto& object = *hit.query->object;
      const auto& row = object.rows[hit.row];
      auto columns = hit.query->columns;
      if (columns.empty()) {
        if (const auto id = object.column("Id")) columns.push_back(*id);
      }
      std::vector<std::string> fields;
      std::vector<FieldType> types;
      std::vector<std::string> values;
      for (const auto column : columns) {
        fields.push_back(object.fields[column].name);
        types.push_back(object.fields[column].type);
        values.push_back(row[column]);
      }
      write_record(writer, version, object.name, object.id(row), fields, types, values);
    }
    writer.EndArray();
    writer.EndObject();
    return json_reply(200, buffer);
  }

  void write_job(JsonWriter& writer, const BulkJob& job, bool detail) const {
    writer.StartObject();
    key(writer, "id");
    put(writer, job.id);
    key(writer, "operation");
    put(writer, job.operation);
    key(writer, "object");
    put(writer, job.results.object);
    key(writer, "createdById");
    put(writer, salesforce_id18(kUserId15));
    key(writer, "createdDate");
    put(writer, job.created);
    key(writer, "systemModstamp");
    put(writer, job.created);
    key(writer, "state");
    put(writer, job.state);
    key(writer, "concurrencyMode");
    put(writer, "Parallel");
    key(writer, "contentType");
    put(writer, "CSV");
    key(writer, "apiVersion");
    writer.Double(std::strtod(job.version.c_str(), nullptr));
    key(writer, "lineEnding");
    put(writer, job.line_ending);
    key(writer, "columnDelimiter");
    put(writer, job.column_delimiter);
    if (detail) {
      key(writer, "jobType");
      put(writer, "V2Query");
      key(writer, "numberRecordsProcessed");
      writer.Uint64(job.state == "JobComplete" ? job.results.rows.size() : 0);
      key(writer, "retries");
      writer.Uint(0);
      key(writer, "totalProcessingTime");
      writer.Uint(0);
    }
    writer.EndObject();
  }

  Reply job_reply(const BulkJob& job, bool detail) const {
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    write_job(writer, job, detail);
    return json_reply(200, buffer);
  }

  Reply bulk_create(const httplib::Request& request, std::string_view version,
                    RequestRecord& record) {
    rapidjson::Document body;
    body.Parse(request.body.c_str(), request.body.size());
    if (body.HasParseError() || !body.IsObject())
      return error_reply(400, "JSON_PARSER_ERROR", "The request body is not a JSON object");
    const auto text = [&](const char* name) -> std::string {
      // Not const: clang finds a const iterator's == against a non-const one ambiguous in C++20.
      auto found = body.FindMember(name);
      return found != body.MemberEnd() && found->value.IsString() ? found->value.GetString() : "";
    };
    BulkJob job;
    job.operation = text("operation");
    job.query = text("query");
    record.query = job.query;
    if (job.operation != "query" && job.operation != "queryAll")
      return error_reply(400, "INVALIDJOB", "operation must be query or queryAll");
    if (job.query.empty()) return error_reply(400, "INVALIDJOB", "query is required");
    if (const auto delimiter = text("columnDelimiter"); !delimiter.empty())
      job.column_delimiter = delimiter;
    if (const auto line_ending = text("lineEnding"); !line_ending.empty())
      job.line_ending = line_ending;
    if (!delimiter_char(job.column_delimiter) ||
        (job.line_ending != "LF" && job.line_ending != "CRLF")) {
      return error_reply(400, "INVALIDJOB", "unknown columnDelimiter or lineEnding");
    }
    const auto parsed = parse_soql(job.query, org_);
    job.results = snapshot(parsed, run_query(parsed, job.operation == "queryAll"));
    job.id = new_id("750");
    job.created = now_iso();
    job.version = std::string(version);
    const auto& stored = jobs_[job.id] = std::move(job);
    return job_reply(stored, false);
  }

  // Each read of a job is a poll that moves it on.
  Reply bulk_info(std::string_view id) {
    const auto found = jobs_.find(std::string(id));
    if (found == jobs_.end()) return not_found();
    auto& job = found->second;
    if (job.state == "UploadComplete" || job.state == "InProgress") {
      job.state = ++job.polls <= options_.bulk_polls_in_progress ? "InProgress" : "JobComplete";
    }
    return job_reply(job, true);
  }

  Reply bulk_abort(const httplib::Request& request, std::string_view id) {
    const auto found = jobs_.find(std::string(id));
    if (found == jobs_.end()) return not_found();
    rapidjson::Document body;
    body.Parse(request.body.c_str(), request.body.size());
    auto state = body.IsObject() ? body.FindMember("state") : body.MemberEnd();
    if (!body.IsObject() || state == body.MemberEnd() || !state->value.IsString() ||
        std::string_view(state->value.GetString()) != "Aborted") {
      return error_reply(400, "INVALIDJOBSTATE", "a query job can only be set to Aborted");
    }
    found->second.state = "Aborted";
    return job_reply(found->second, false);
  }

  Reply bulk_results(const httplib::Request& request, std::string_view id) const {
    const auto found = jobs_.find(std::string(id));
    if (found == jobs_.end()) return not_found();
    const auto& job = found->second;
    if (job.state != "JobComplete")
      return error_reply(412, "JOB_NOT_COMPLETE", "The job is not complete: " + job.state);
    const auto& set = job.results;
    std::size_t offset = 0;
    if (const auto locator = request.get_param_value("locator");
        !locator.empty() && locator != "null") {
      const auto decoded = base64_decode(locator);
      const auto parsed = decoded ? parse_count(*decoded) : std::nullopt;
      if (!parsed || *parsed > set.rows.size())
        return error_reply(400, "INVALID_LOCATOR", "invalid locator: " + locator);
      offset = *parsed;
    }
    auto count = set.rows.size() - offset;
    if (request.has_param("maxRecords")) {
      const auto max = parse_count(request.get_param_value("maxRecords"));
      if (!max || *max == 0)
        return error_reply(400, "INVALID_MAX_RECORDS", "maxRecords must be a positive number");
      count = std::min(count, *max);
    }
    const char delimiter = *delimiter_char(job.column_delimiter);
    const std::string line_end = job.line_ending == "CRLF" ? "\r\n" : "\n";
    Reply reply{200, {}, {}, std::string(kCsv)};
    for (std::size_t i = 0; i < set.fields.size(); ++i)
      reply.body += (i ? std::string(1, delimiter) : std::string()) + csv_quote(set.fields[i]);
    reply.body += line_end;
    for (auto row = offset; row < offset + count; ++row) {
      for (std::size_t i = 0; i < set.fields.size(); ++i)
        reply.body += (i ? std::string(1, delimiter) : std::string()) + csv_quote(set.rows[row][i]);
      reply.body += line_end;
    }
    const auto next = offset + count;
    reply.headers.emplace_back("Sforce-NumberOfRecords", std::to_string(count));
    reply.headers.emplace_back("Sforce-Locator", next < set.rows.size()
                                                     ? base64_encode(std::to_string(next))
                                                     : std::string("null"));
    return reply;
  }

  emulator::RequestLog<RequestRecord>& requests_;
  const emulator::Serving& serving_;
  EmulatorOptions options_;
  Org org_;
  std::unique_ptr<PublicKey> jwt_key_;

  // Guards everything below: handlers run on httplib's worker threads.
  mutable std::mutex mutex_;
  Faults faults_;
  std::size_t calls_ = 0;
  std::size_t api_used_ = 0;
  std::map<std::string, std::size_t> tokens_;  // access token → calls made with it
  std::set<std::string> refresh_tokens_;
  std::map<std::string, Cursor> cursors_;
  std::deque<std::string> cursor_order_;
  std::map<std::string, BulkJob> jobs_;
  std::size_t next_serial_ = 1;
  std::mt19937_64 random_;

  // Wakes a slow response when the server stops.
  std::mutex stop_mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
};

Emulator::Emulator(EmulatorOptions options)
    : Host(
          options.port,
          [this](const httplib::Request& request, httplib::Response& response) {
            impl_->handle(request, response);
          },
          [this, max_uri_length = options.max_uri_length] {
            return std::make_unique<LongUriServer>(
                max_uri_length, [this](const std::string& method, const std::string& target) {
                  requests_.add({method, target.substr(0, target.find('?')), {}, 414});
                });
          }),
      impl_(std::make_unique<Impl>(std::move(options), requests_, *this)) {}

Emulator::~Emulator() {
  stop();
}

void Emulator::add_object(const std::string& name, std::vector<std::string> fields,
                          std::vector<std::vector<std::string>> rows) {
  std::lock_guard lock(impl_->mutex_);
  impl_->org_.add_object(name, std::move(fields), std::move(rows));
}

std::vector<std::string> Emulator::objects() const {
  std::lock_guard lock(impl_->mutex_);
  std::vector<std::string> names;
  for (const auto& object : impl_->org_.objects()) names.push_back(object.name);
  return names;
}

std::uint16_t Emulator::start() {
  {
    std::lock_guard lock(impl_->stop_mutex_);
    impl_->stopping_ = false;
  }
  return Host::start();
}

void Emulator::stop() {
  {
    std::lock_guard lock(impl_->stop_mutex_);
    impl_->stopping_ = true;
  }
  impl_->stop_signal_.notify_all();
  Host::stop();
}

std::string Emulator::issue_token() {
  std::lock_guard lock(impl_->mutex_);
  return impl_->new_access_token();
}

void Emulator::set_faults(const Faults& faults) {
  std::lock_guard lock(impl_->mutex_);
  impl_->faults_ = faults;
  impl_->calls_ = 0;
  for (auto& [token, uses] : impl_->tokens_) uses = 0;
}

Faults Emulator::faults() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->faults_;
}

std::size_t Emulator::api_usage() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->api_used_;
}

void Emulator::set_api_usage(std::size_t used) {
  std::lock_guard lock(impl_->mutex_);
  impl_->api_used_ = used;
}

std::size_t Emulator::request_count(std::string_view prefix) const {
  const bool full = prefix.starts_with("/services/");
  return requests_.count_if([&](const RequestRecord& record) {
    std::string_view path = record.path;
    if (full) return path.starts_with(prefix);
    if (!path.starts_with(kDataPath)) return false;
    path.remove_prefix(kDataPath.size());
    const auto slash = path.find('/');
    return slash != std::string_view::npos && path.substr(slash).starts_with(prefix);
  });
}

}  // namespace crmscan::sfemu

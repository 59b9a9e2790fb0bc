#include "salesforce_connector.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>

#include "connector_kit.hpp"
#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "wait_budget.hpp"

namespace crmscan::salesforce {
namespace {

/// A URL longer than this is split into several queries (Salesforce refuses about 16 KB).
constexpr std::size_t kMaxUrlBytes = 15'000;
/// The part of a URL a WHERE clause may take; the select list gets the rest, split if need be.
constexpr std::size_t kMaxWhereBytes = kMaxUrlBytes / 2;
/// SOSL: identifiers joined by OR in one search, and the length of the joined terms.
constexpr std::size_t kTermsPerSearch = 20;
constexpr std::size_t kSearchTermBytes = 2'000;
/// The fewest results an object is given in a search of several objects: more objects than the
/// cap allows at this share are searched separately.
constexpr std::size_t kMinShare = 50;

std::string soql_literal(std::string_view value) {
  std::string quoted = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') quoted.push_back('\\');
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted.push_back(c);
  }
  return quoted + "'";
}

// A LIKE literal matching text that contains `value`: `%` and `_` escaped to stand for themselves.
// A value inside a LIKE pattern, its wildcards and quotes escaped (no quotes around it).
std::string like_escaped(std::string_view value) {
  std::string escaped;
  for (const char c : value) {
    if (c == '\'' || c == '\\' || c == '%' || c == '_') escaped.push_back('\\');
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped.push_back(c);
  }
  return escaped;
}

std::string like_containing(std::string_view value) {
  return "'%" + like_escaped(value) + "%'";
}

// An email's mailbox without its sub-address, and its domain ("amelie+crm@example.fr" →
// "amelie", "example.fr"); empty parts when it is no address.
std::pair<std::string, std::string> mailbox_and_domain(std::string_view email) {
  const auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) return {};
  const auto local = email.substr(0, at);
  return {std::string(local.substr(0, local.find('+'))), std::string(email.substr(at + 1))};
}

// The runs of digits in a text, in order ("(020) 7946 0958" → 020, 7946, 0958).
std::vector<std::string> digit_runs(std::string_view text) {
  std::vector<std::string> runs;
  bool in_run = false;
  for (const char c : text) {
    const bool digit = c >= '0' && c <= '9';
    if (digit && !in_run) runs.emplace_back();
    if (digit) runs.back().push_back(c);
    in_run = digit;
  }
  return runs;
}

// SOSL reserves ? & | ! { } [ ] ( ) ^ ~ * : \ " ' + - in a search term.
std::string sosl_term(std::string_view term) {
  std::string escaped;
  for (const char c : term) {
    if (std::string_view("?&|!{}[]()^~*:\\\"'+-").find(c) != std::string_view::npos)
      escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

std::string digits_of(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

// "HTTP 400 MALFORMED_QUERY: message", from Salesforce's [{"errorCode", "message"}].
std::string api_error_text(const HttpResponse& response) {
  return crmscan::api_error_text(response, {true, nullptr, {"errorCode"}});
}

}  // namespace

ConnectorDescriptor SalesforceConnector::describe_connector() {
  return {"salesforce",
          "a live Salesforce org through the REST API (credentials from the environment: see the "
          "README)",
          {
              {"login_url", "url", "https://login.salesforce.com",
               "where to sign in: login, test (sandbox) or your My Domain", false},
              {"auth", "enum(auto|token|sf-cli|client-credentials|refresh-token|jwt|password)",
               "auto", "the sign-in flow; auto picks it from the SF_* variables set", false},
              {"api_version", "string", "60.0", "the REST API version", false},
              max_api_calls_option(),
              {"api_reserve", "int", "1000",
               "stop while the org still has this many daily API calls left", false},
              {"batch_size", "int", "2000", "records per query page (200 to 2000)", false},
              {"bulk_threshold", "int", "10000",
               "full reads of objects with more records use Bulk API 2.0", false},
              {"search_limit", "int", "2000",
               "results one SOSL search returns at most (2,000 since API version 28.0): an object "
               "whose results reach its share is searched again, alone or term by term",
               false},
              {"jwt_audience", "url", "",
               "the JWT bearer assertion's aud; default https://login.salesforce.com, or "
               "https://test.salesforce.com for a sandbox login_url",
               false},
              ca_file_option(),
              {"timeout", "int", "300",
               "seconds one request may take; a transfer silent for a fifth of it (at most 60) "
               "is abandoned and retried",
               false},
              {"max_children", "int", "50",
               "child relationships that no rule declares followed from each object's describe "
               "(0: all); those past it are listed in the report's notes",
               false},
              max_wait_option(),
          }};
}

const ConnectorDescriptor& SalesforceConnector::descriptor() const {
  return descriptor_of<SalesforceConnector>();
}

SalesforceConnector::SalesforceConnector(const ConnectorConfig& config, HttpOptions http_options) {
  const ConnectorOptions options(descriptor(), config);
  login_url_ = options.text("login_url");
  api_version_ = options.text("api_version");
  http_options_ = options.http(std::move(http_options));
  max_api_calls_ = options.number("max_api_calls");
  api_reserve_ = options.number("api_reserve");
  batch_size_ = options.number("batch_size", 200, 2000);
  bulk_threshold_ = options.number("bulk_threshold");
  // Options not given leave what the connector was made with (its tests' HTTP timeouts).
  if (options.given("max_children")) max_children_ = options.number("max_children");
  if (options.given("search_limit"))
    search_limit_ = std::max<std::size_t>(options.number("search_limit"), 1);
  if (options.given("timeout")) {
    const auto seconds = std::max<std::size_t>(options.number("timeout"), 1);
    http_options_.total_timeout = std::chrono::seconds(seconds);
    http_options_.connect_timeout = std::min<std::chrono::milliseconds>(
        http_options_.connect_timeout, http_options_.total_timeout);
    http_options_.low_speed_time =
        std::chrono::seconds(std::clamp<std::size_t>(seconds / 5, 1, 60));
  }
  HttpClient::check_url(login_url_);
  http_ = std::make_unique<HttpClient>(with_wait_budget(http_options_, options.max_wait()));
  auth_ = std::make_unique<Authenticator>(options.text("auth"), login_url_, *http_,
                                          options.text("jwt_audience"));
}

std::string SalesforceConnector::source() const {
  return session_ ? session_->instance_url : login_url_;
}

std::string SalesforceConnector::api_path(const std::string& rest) const {
  return "/services/data/v" + api_version_ + "/" + rest;
}

void SalesforceConnector::watch_limits(const HttpResponse& response) {
  // Sforce-Limit-Info: api-usage=USED/LIMIT
  const auto info = response.header("sforce-limit-info");
  const auto at = info.find("api-usage=");
  if (at == std::string::npos) return;
  const auto usage = info.substr(at + 10);
  const auto slash = usage.find('/');
  if (slash == std::string::npos) return;
  const auto used = std::strtoull(usage.c_str(), nullptr, 10);
  const auto limit = std::strtoull(usage.c_str() + slash + 1, nullptr, 10);
  if (api_reserve_ > 0 && limit > 0 && limit - std::min(used, limit) <= api_reserve_) {
    throw LimitReached("stopped to keep the org's API reserve: " + std::to_string(used) + " of " +
                       std::to_string(limit) + " daily API calls used, " +
                       std::to_string(api_reserve_) + " kept in reserve (--option api_reserve)");
  }
}

HttpResponse SalesforceConnector::call(
    const std::string& method, const std::string& path_or_url, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  const auto cannot_renew = [this] {
    return Error(
        ExitCode::kIncomplete,
        "the Salesforce session expired and cannot be renewed with the " + auth_->flow() + " flow");
  };
  auto response = send_renewing_once(
      [&] {
        check_call_cap(api_calls(), max_api_calls_);
        if (!session_) session_ = auth_->sign_in();
        HttpRequest request{
            method,
            path_or_url.rfind("http", 0) == 0 ? path_or_url : session_->instance_url + path_or_url,
            {{"Authorization", "Bearer " + session_->access_token}, {"Accept", "application/json"}},
            body};
        request.headers.insert(request.headers.end(), headers.begin(), headers.end());
        return http_->send(request);
      },
      [](const HttpResponse& answer) {
        return answer.status == 401 && answer.body.find("INVALID_SESSION_ID") != std::string::npos;
      },
      // A new session at once, as the flow allows (a token given as is cannot be renewed).
      [&] {
        if (!auth_->can_renew()) throw cannot_renew();
        session_ = auth_->sign_in();
      },
      [&](const HttpResponse&) { throw cannot_renew(); });
  if (response.status == 403 && response.body.find("REQUEST_LIMIT_EXCEEDED") != std::string::npos)
    throw LimitReached("the org's daily API request limit is exceeded (REQUEST_LIMIT_EXCEEDED)");
  watch_limits(response);
  return response;
}

rapidjson::Document SalesforceConnector::call_json(const std::string& method,
                                                   const std::string& path_or_url,
                                                   const std::string& body) {
  const std::vector<std::pair<std::string, std::string>> headers =
      method == "GET"
          ? std::vector<std::pair<std::string, std::string>>{{"Sforce-Query-Options",
                                                              "batchSize=" +
                                                                  std::to_string(batch_size_)}}
          : std::vector<std::pair<std::string, std::string>>{{"Content-Type", "application/json"}};
  const auto response = call(method, path_or_url, body, headers);
  const auto what = method + " " + path_or_url.substr(0, path_or_url.find('?'));
  if (response.status < 200 || response.status >= 300)
    throw ApiError(what + ": " + api_error_text(response));
  if (response.header("content-type").find("json") == std::string::npos) {
    throw ApiError(what + ": the response is not JSON (" + response.header("content-type") + ")");
  }
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError())
    throw ApiError(what + ": the response is not valid JSON (truncated?)");
  return document;
}

std::vector<ObjectSchema> SalesforceConnector::describe() {
  const auto document = call_json("GET", api_path("sobjects"));
  if (!document.IsObject() || !document.HasMember("sobjects") || !document["sobjects"].IsArray()) {
    throw ApiError("GET " + api_path("sobjects") + ": no sobjects list in the response");
  }
  std::vector<ObjectSchema> schemas;
  for (const auto& entry : document["sobjects"].GetArray()) {
    if (!entry.IsObject() || !entry.HasMember("name") || !entry["name"].IsString()) continue;
    const std::string name = entry["name"].GetString();
    ObjectInfo info;
    if (entry.HasMember("keyPrefix") && entry["keyPrefix"].IsString())
      info.key_prefix = entry["keyPrefix"].GetString();
    info.queryable =
        entry.HasMember("queryable") && entry["queryable"].IsBool() && entry["queryable"].GetBool();
    info.searchable = entry.HasMember("searchable") && entry["searchable"].IsBool() &&
                      entry["searchable"].GetBool();
    if (!info.queryable) continue;
    names_[ascii_lower(name)] = name;
    objects_[name] = std::move(info);
    schemas.push_back({name, {}});
  }
  described_ = true;
  return schemas;
}

const SalesforceConnector::ObjectInfo* SalesforceConnector::object_info(const std::string& object) {
  if (!described_) describe();
  const auto name = names_.find(ascii_lower(object));
  return name == names_.end() ? nullptr : &objects_[name->second];
}

const ObjectSchema* SalesforceConnector::schema_of(const std::string& object) {
  auto* info = const_cast<ObjectInfo*>(object_info(object));
  if (info == nullptr) return nullptr;
  if (info->schema) return info->schema.get();
  const auto& name = names_[ascii_lower(object)];
  const auto document = call_json("GET", api_path("sobjects/" + name + "/describe"));
  auto schema = std::make_shared<ObjectSchema>();
  schema->object = name;
  if (document.IsObject() && document.HasMember("fields") && document["fields"].IsArray()) {
    for (const auto& field : document["fields"].GetArray()) {
      if (!field.IsObject() || !field.HasMember("name") || !field["name"].IsString()) continue;
      const std::string type =
          field.HasMember("type") && field["type"].IsString() ? field["type"].GetString() : "";
      // Compound and binary fields are read through their parts, or not at all.
      if (type == "address" || type == "location" || type == "base64") continue;
      schema->fields.push_back({field["name"].GetString(), type});
      const bool filterable = field.HasMember("filterable") && field["filterable"].IsBool()
                                  ? field["filterable"].GetBool()
                                  : type != "textarea";
      if (!filterable) info->unfilterable.push_back(ascii_lower(field["name"].GetString()));
    }
  }
  if (document.IsObject() && document.HasMember("childRelationships") &&
      document["childRelationships"].IsArray()) {
    for (const auto& child : document["childRelationships"].GetArray()) {
      if (!child.IsObject() || !child.HasMember("childSObject") || !child.HasMember("field") ||
          !child["childSObject"].IsString() || !child["field"].IsString()) {
        continue;
      }
      info->children.emplace_back(child["childSObject"].GetString(), child["field"].GetString());
    }
  }
  info->schema = std::move(schema);
  return info->schema.get();
}

std::string SalesforceConnector::select_list(const ObjectSchema& schema) const {
  std::string list;
  for (const auto& field : schema.fields) list += (list.empty() ? "" : ",") + field.name;
  return list.empty() ? "Id" : list;
}

bool SalesforceConnector::query(const std::string& soql, const ObjectSchema& schema,
                                const RecordSink& on_record, std::size_t bulk_above) {
  auto owned = std::make_shared<const ObjectSchema>(schema);
  Record record;
  record.schema = owned;
  record.source = "Salesforce " + schema.object;
  std::string next = api_path("queryAll?q=" + HttpClient::escape(soql));
  PageGuard pages;
  query_total_ = 0;
  while (!next.empty()) {
    const auto document = call_json("GET", next);
    next.clear();
    if (!document.IsObject() || !document.HasMember("records") || !document["records"].IsArray()) {
      throw ApiError("query on " + schema.object + ": no records in the response");
    }
    // The first page tells how many records there are: a large object is left to Bulk API 2.0.
    if (document.HasMember("totalSize") && document["totalSize"].IsUint64()) {
      if (query_total_ == 0) query_total_ = document["totalSize"].GetUint64();
      if (document["totalSize"].GetUint64() > bulk_above) return false;
    }
    bulk_above = std::numeric_limits<std::size_t>::max();
    for (const auto& item : document["records"].GetArray()) {
      if (!item.IsObject()) continue;
      record.values.assign(owned->fields.size(), Value{});
      for (std::size_t i = 0; i < owned->fields.size(); ++i) {
        const auto member = item.FindMember(owned->fields[i].name.c_str());
        if (member != item.MemberEnd()) record.values[i] = json_value(member->value);
      }
      record.id = value_text(record.get("Id"));
      on_record(record);
    }
    const bool done =
        !document.HasMember("done") || !document["done"].IsBool() || document["done"].GetBool();
    if (!done) {
      if (!document.HasMember("nextRecordsUrl") || !document["nextRecordsUrl"].IsString()) {
        throw ApiError("query on " + schema.object + ": not done, yet no nextRecordsUrl");
      }
      next = document["nextRecordsUrl"].GetString();
    }
    if (const auto stop = pages.next(next, document["records"].Size()); !stop.empty())
      throw ApiError("query on " + schema.object + ": " + stop);
  }
  return true;
}

void SalesforceConnector::fetch(const std::string& object, const std::string& field,
                                const std::vector<std::string>& ids, const RecordSink& on_record,
                                const ProblemSink& on_problem) {
  // A failed request leaves that object incomplete, named; the scan goes on with the rest.
  try {
    fetch_records(object, field, ids, on_record);
  } catch (const ApiError& e) {
    on_problem(object, e.what());
  }
}

void SalesforceConnector::fetch_records(const std::string& object, const std::string& field,
                                        const std::vector<std::string>& ids,
                                        const RecordSink& on_record) {
  const auto* schema = schema_of(object);
  if (schema == nullptr || ids.empty()) return;
  const auto index = schema->index_of(field);
  if (!index) return;
  // A record already read is not asked for again: searches find the same records many times.
  std::vector<std::string> wanted;
  for (const auto& id : ids) {
    const auto cached = iequals(field, "Id") ? fetched_.find(record_id_key(id)) : fetched_.end();
    if (cached != fetched_.end()) {
      on_record(cached->second);
    } else {
      wanted.push_back(id);
    }
  }
  const auto keep = [&](const Record& record) {
    fetched_.insert_or_assign(record_id_key(record.id), record);
    on_record(record);
  };
  // Reference fields take either form of an id; a text field holds whichever someone wrote.
  const auto& type = schema->fields[*index].type;
  const bool id_typed = type == "id" || type == "reference";
  std::vector<std::string> values;
  for (const auto& id : wanted) {
    values.push_back(id);
    if (!id_typed) {
      if (auto key = salesforce_id_key(id)) {
        const auto id18 = salesforce_id18(id.substr(0, 15));
        for (const auto& form : {id.substr(0, 15), id18}) {
          if (std::find(values.begin(), values.end(), form) == values.end()) values.push_back(form);
        }
      }
    }
  }
  const auto head = schema->fields[*index].name + " IN (";
  std::size_t start = 0;
  while (start < values.size()) {
    std::string list;
    std::size_t bytes = HttpClient::escape(head).size() + 3;
    std::size_t end = start;
    while (end < values.size()) {
      const auto literal = soql_literal(values[end]);
      const auto cost = HttpClient::escape(literal).size() + 3;
      if (end > start && bytes + cost > kMaxWhereBytes) break;
      list += (list.empty() ? "" : ",") + literal;
      bytes += cost;
      ++end;
    }
    select_where(*schema, head + list + ")", keep);
    start = end;
  }
}

void SalesforceConnector::select_where(const ObjectSchema& schema, const std::string& where,
                                       const RecordSink& on_record) {
  const auto from = " FROM " + schema.object + " WHERE " + where;
  const auto fixed = api_path("queryAll?q=").size() + HttpClient::escape("SELECT " + from).size();
  const auto budget = kMaxUrlBytes > fixed + 200 ? kMaxUrlBytes - fixed : 200;
  // The select list in parts that each fit the URL, every part with the Id.
  std::vector<std::string> parts{"Id"};
  for (const auto& field : schema.fields) {
    if (iequals(field.name, "Id")) continue;
    if (HttpClient::escape(parts.back() + "," + field.name).size() > budget)
      parts.emplace_back("Id");
    parts.back() += "," + field.name;
  }
  if (parts.size() == 1) {
    query("SELECT " + parts[0] + from, schema, on_record);
    return;
  }
  // Each part fills its own fields; a record is complete once every part has been read.
  std::vector<std::string> order;
  std::map<std::string, Record> joined;
  for (const auto& part : parts) {
    query("SELECT " + part + from, schema, [&](const Record& record) {
      auto [at, fresh] = joined.try_emplace(record_id_key(record.id), record);
      if (fresh) {
        order.push_back(record_id_key(record.id));
        return;
      }
      for (std::size_t i = 0; i < record.values.size(); ++i) {
        if (!std::holds_alternative<std::monostate>(record.values[i]))
          at->second.values[i] = record.values[i];
      }
    });
  }
  for (const auto& key : order) on_record(joined.at(key));
}

void SalesforceConnector::note(const std::string& text) {
  if (std::find(notes_.begin(), notes_.end(), text) == notes_.end()) notes_.push_back(text);
}

std::vector<std::vector<std::string>> SalesforceConnector::phone_token_forms(
    const std::string& e164) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  std::vector<std::vector<std::string>> forms;
  const auto add = [&forms](std::vector<std::string> form) {
    if (!form.empty() && std::find(forms.begin(), forms.end(), form) == forms.end())
      forms.push_back(std::move(form));
  };
  add({digits_of(e164)});
  const auto& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(e164, "ZZ", &number) == PhoneNumberUtil::NO_PARSING_ERROR) {
    std::string nsn, national, international;
    util.GetNationalSignificantNumber(number, &nsn);
    util.Format(number, PhoneNumberUtil::NATIONAL, &national);
    util.Format(number, PhoneNumberUtil::INTERNATIONAL, &international);
    add({digits_of(national)});
    add({nsn});
    add(digit_runs(national));
    auto groups = digit_runs(international);
    add(groups);
    // "+44 (0)20 7946 0958" and "0044 20 7946 0958" hold the groups after the country code.
    if (groups.size() > 2) add({groups.begin() + 1, groups.end()});
  }
  // A form that holds another as a run of its tokens adds nothing: a record with it has the other.
  const auto holds = [](const std::vector<std::string>& longer,
                        const std::vector<std::string>& shorter) {
    return longer.size() > shorter.size() &&
           std::search(longer.begin(), longer.end(), shorter.begin(), shorter.end()) !=
               longer.end();
  };
  std::vector<std::vector<std::string>> kept;
  for (const auto& form : forms) {
    if (std::none_of(forms.begin(), forms.end(),
                     [&](const auto& other) { return holds(form, other); }))
      kept.push_back(form);
  }
  return kept;
}

void SalesforceConnector::search(IdentifierKind kind, bool in_text,
                                 const std::vector<std::string>& terms,
                                 const std::vector<std::string>& objects,
                                 const RecordSink& on_record, const ProblemSink& on_problem) {
  if (!described_) describe();
  if (kind == IdentifierKind::kId && !in_text) {
    std::map<std::string, std::vector<std::string>> by_object;
    for (const auto& id : terms) {
      for (const auto& [name, info] : objects_) {
        if (!info.key_prefix.empty() && iequals(id.substr(0, 3), info.key_prefix))
          by_object[name].push_back(id);
      }
    }
    for (const auto& [object, ids] : by_object) fetch(object, "Id", ids, on_record, on_problem);
    return;
  }
  // Text is searched in the ruled objects and in every custom object too: a customer's own
  // object that no rule knows may still hold the subject's email, number or record id.
  std::vector<std::string> targets;
  const auto add_target = [&](const std::string& object) {
    const auto* info = object_info(object);
    if (info == nullptr) return;
    const auto& name = names_[ascii_lower(object)];
    if (!info->searchable) {
      note(name +
           " is not searchable: its records are found through their relationships and "
           "the fields the rules name, not by search");
      return;
    }
    if (std::find(targets.begin(), targets.end(), name) == targets.end()) targets.push_back(name);
  };
  for (const auto& object : objects) add_target(object);
  if (in_text) {
    for (const auto& [name, info] : objects_) {
      if (name.size() > 3 && name.compare(name.size() - 3, 3, "__c") == 0) add_target(name);
    }
  }
  const char* scope = kind == IdentifierKind::kName    ? "NAME"
                      : in_text                        ? "ALL"
                      : kind == IdentifierKind::kEmail ? "EMAIL"
                                                       : "PHONE";
  // Search matches whole tokens, split at spaces and punctuation, a trailing `*` widening the
  // last: each identifier becomes the ways it can stand in the index, joined by OR. A number in
  // the token forms it takes; an id in text by its 15-character form and what follows it (the
  // 18-character form); an email or a name as a quoted phrase (its tokens in a row).
  std::vector<std::string> alternatives;  // per identifier, its forms joined by OR
  for (const auto& term : terms) {
    std::string forms;
    const auto add = [&forms](const std::string& form) {
      forms += (forms.empty() ? "" : " OR ") + form;
    };
    if (kind == IdentifierKind::kPhone) {
      for (const auto& tokens : phone_token_forms(term)) {
        std::string phrase;
        for (const auto& token : tokens) phrase += (phrase.empty() ? "" : " ") + token;
        register_request_value(phrase);  // a server may echo the query: redacted there too
        add(tokens.size() == 1 ? phrase : "\"" + phrase + "\"");
      }
    } else if (kind == IdentifierKind::kId) {
      if (salesforce_id_key(term)) add(term.substr(0, 15) + "*");
    } else {
      add("\"" + sosl_term(term) + "\"");
      // A sub-address of the same mailbox ("amelie+crm@example.fr", for review): its tag stands
      // between the mailbox's tokens and the domain's.
      if (const auto [mailbox, domain] = mailbox_and_domain(term);
          kind == IdentifierKind::kEmail && !mailbox.empty()) {
        register_request_value(mailbox);
        add("(\"" + sosl_term(mailbox) + "\" AND \"" + sosl_term(domain) + "\")");
      }
    }
    if (!forms.empty() &&
        std::find(alternatives.begin(), alternatives.end(), forms) == alternatives.end())
      alternatives.push_back(forms);
  }
  std::map<std::string, std::vector<std::string>> found;
  // One search answers several identifiers in several objects, each object given an even share of
  // the results cap as its LIMIT. An object whose results reach its share may have lost some: it
  // is searched again alone (the whole cap), then with half the identifiers; an identifier that
  // alone still reaches the cap is reported, never silently cut.
  const std::size_t per_search = std::max<std::size_t>(1, search_limit_ / kMinShare);
  std::function<void(std::size_t, std::size_t, const std::vector<std::string>&)> run =
      [&](std::size_t first, std::size_t last, const std::vector<std::string>& within) {
        std::string find;
        for (auto i = first; i < last; ++i) find += (find.empty() ? "" : " OR ") + alternatives[i];
        std::vector<std::vector<std::string>> groups{{}};
        std::size_t bytes = 0;
        for (const auto& object : within) {
          if (!groups.back().empty() &&
              (groups.back().size() == per_search || bytes + object.size() > kMaxUrlBytes / 4)) {
            groups.emplace_back();
            bytes = 0;
          }
          groups.back().push_back(object);
          bytes += object.size() + 20;
        }
        for (const auto& group : groups) {
          if (group.empty()) continue;
          const auto share = std::max<std::size_t>(1, search_limit_ / group.size());
          std::string returning;
          for (const auto& object : group) {
            returning += (returning.empty() ? "" : ", ") + object + "(Id LIMIT " +
                         std::to_string(share) + ")";
          }
          const auto sosl = "FIND {" + find + "} IN " + scope + " FIELDS RETURNING " + returning;
          std::map<std::string, std::size_t> counts;
          try {
            const auto document =
                call_json("GET", api_path("search?q=" + HttpClient::escape(sosl)));
            if (!document.IsObject() || !document.HasMember("searchRecords") ||
                !document["searchRecords"].IsArray()) {
              throw ApiError("search: no searchRecords in the response");
            }
            for (const auto& item : document["searchRecords"].GetArray()) {
              if (!item.IsObject() || !item.HasMember("Id") || !item["Id"].IsString() ||
                  !item.HasMember("attributes") || !item["attributes"].IsObject() ||
                  !item["attributes"].HasMember("type") || !item["attributes"]["type"].IsString()) {
                continue;
              }
              const std::string type = item["attributes"]["type"].GetString();
              ++counts[type];
              found[type].push_back(item["Id"].GetString());
            }
          } catch (const ApiError& e) {
            on_problem("", e.what());
            continue;
          }
          for (const auto& object : group) {
            const auto count = counts.find(object);
            if (count == counts.end() || count->second < share) continue;
            if (group.size() > 1) {
              note("search results on " + object +
                   " reached its share of the cap: searched again on its own");
              run(first, last, {object});
            } else if (last - first > 1) {
              const auto middle = first + (last - first) / 2;
              run(first, middle, {object});
              run(middle, last, {object});
            } else {
              on_problem(object, "a search for one identifier found " +
                                     std::to_string(count->second) + " records of " + object +
                                     ", the most one search returns (search_limit): records "
                                     "past them may be missing");
            }
          }
        }
      };
  if (!targets.empty()) {
    for (std::size_t first = 0; first < alternatives.size();) {
      std::size_t last = first, length = 0;
      while (last < alternatives.size() && last - first < kTermsPerSearch &&
             (last == first || length + alternatives[last].size() < kSearchTermBytes)) {
        length += alternatives[last].size() + 4;
        ++last;
      }
      run(first, last, targets);
      first = last;
    }
  }
  for (auto& [object, ids] : found) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    fetch(object, "Id", ids, on_record, on_problem);
  }
  if (kind == IdentifierKind::kEmail || kind == IdentifierKind::kPhone)
    query_ruled_fields(kind, in_text, terms, objects, on_record, on_problem);
}

void SalesforceConnector::query_ruled_fields(IdentifierKind kind, bool in_text,
                                             const std::vector<std::string>& terms,
                                             const std::vector<std::string>& objects,
                                             const RecordSink& on_record,
                                             const ProblemSink& on_problem) {
  if (rules_ == nullptr) return;
  const auto keep = [&](const Record& record) {
    fetched_.insert_or_assign(record_id_key(record.id), record);
    on_record(record);
  };
  // What a field must hold, as what follows its name in a condition: a number's national digits
  // in order, whatever separates them (spaces, dots, dashes, brackets, a country code before
  // them); an email as is or with a sub-address of its mailbox, or within text.
  std::vector<std::string> patterns;
  for (const auto& term : terms) {
    if (kind == IdentifierKind::kPhone) {
      const auto nsn = PhoneNormalizer::national_number(term);
      if (nsn.empty()) continue;
      std::string pattern = " LIKE '%";
      for (const char digit : nsn) pattern += std::string(1, digit) + "%";
      patterns.push_back(pattern + "'");
    } else if (in_text) {
      patterns.push_back(" LIKE " + like_containing(term));
    } else {
      patterns.push_back(" = " + soql_literal(term));
      if (const auto [mailbox, domain] = mailbox_and_domain(term); !mailbox.empty())
        patterns.push_back(" LIKE '" + like_escaped(mailbox) + "+%@" + like_escaped(domain) + "'");
    }
  }
  if (patterns.empty()) return;
  for (const auto& object : objects) {
    try {
      const auto* schema = schema_of(object);
      if (schema == nullptr) continue;
      const auto& unfilterable = object_info(object)->unfilterable;
      std::vector<std::string> fields, skipped;
      for (const auto* rules : rules_->rules_for(schema->object)) {
        for (const auto& rule : rules->identity) {
          if (rule.kind != kind || rule.in_text != in_text) continue;
          for (const auto& pattern : rule.fields) {
            for (const auto& field : schema->fields) {
              if (!pattern.matches(field.name)) continue;
              auto& into = std::find(unfilterable.begin(), unfilterable.end(),
                                     ascii_lower(field.name)) == unfilterable.end()
                               ? fields
                               : skipped;
              if (std::find(into.begin(), into.end(), field.name) == into.end())
                into.push_back(field.name);
            }
          }
        }
      }
      for (const auto& field : skipped) {
        note(schema->object + "." + field +
             " cannot be filtered (long text): only search reads it, which does not see the "
             "Recycle Bin");
      }
      if (fields.empty()) continue;
      note(
          "search does not see the Recycle Bin: the fields the rules name as holding emails "
          "and phone numbers were also read with queryAll");
      std::string where;
      for (const auto& pattern : patterns) {
        for (const auto& field : fields) {
          const auto condition = field + pattern;
          if (!where.empty() &&
              HttpClient::escape(where + " OR " + condition).size() > kMaxWhereBytes) {
            select_where(*schema, where, keep);
            where.clear();
          }
          where += (where.empty() ? "" : " OR ") + condition;
        }
      }
      if (!where.empty()) select_where(*schema, where, keep);
    } catch (const ApiError& e) {
      on_problem(object, e.what());
    }
  }
}

bool SalesforceConnector::has_field(const std::string& object, const std::string& field) {
  try {
    const auto* schema = schema_of(object);
    return schema != nullptr && schema->index_of(field).has_value();
  } catch (const ApiError&) {
    return true;  // not described: fetch() asks again and reports the error against the object
  }
}

std::vector<std::pair<std::string, std::string>> SalesforceConnector::references_to(
    const std::string& object) {
  std::vector<std::pair<std::string, std::string>> references;
  if (schema_of(object) == nullptr) return references;
  const auto parent = names_[ascii_lower(object)];
  // A relationship a rule declares (CaseComment.ParentId) is followed as its rule says; the
  // engine reads the others for ids of reached records, which it reports for review, as a scan
  // of the export does.
  const auto declared = [&](const std::string& child, const std::string& field) {
    if (rules_ == nullptr) return false;
    for (const auto* rules : rules_->rules_for(child)) {
      for (const auto& rule : rules->related)
        if (iequals(rule.via, field)) return true;
      for (const auto& rule : rules->reaches)
        if (iequals(rule.via, field)) return true;
    }
    return false;
  };
  std::vector<std::string> bare, over;
  std::size_t undeclared = 0;
  for (const auto& [child, field] : object_info(object)->children) {
    // Not in the org's queryable objects (or not visible to this user): nothing to read.
    if (object_info(child) == nullptr) continue;
    // Sharing rows and change events hold record ids and access levels, not the subject's data.
    if (child.ends_with("Share") || child.ends_with("ChangeEvent")) {
      if (std::find(bare.begin(), bare.end(), child) == bare.end()) bare.push_back(child);
      continue;
    }
    if (!declared(child, field)) {
      if (max_children_ != 0 && undeclared >= max_children_) {
        over.push_back(child + "." + field);
        continue;
      }
      ++undeclared;
    }
    references.emplace_back(child, field);
  }
  const auto listed = [](const std::vector<std::string>& names) {
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < 10; ++i) text += (i ? ", " : "") + names[i];
    return names.size() > 10 ? text + ", …" : text;
  };
  if (!bare.empty()) {
    note("Salesforce: sharing and change-event children of " + parent +
         " were not followed (they hold ids, not personal data): " + listed(bare));
  }
  if (!over.empty()) {
    note("Salesforce: " + std::to_string(over.size()) + " child relationship(s) of " + parent +
         " that no rule declares were not followed (max_children=" + std::to_string(max_children_) +
         "): " + listed(over));
  }
  return references;
}

void SalesforceConnector::scan(const std::string& object, const RecordSink& on_record,
                               const ProblemSink& on_problem) {
  // Counted for the progress line until scan() ends, however it ends.
  struct Scanning {
    SalesforceConnector& connector;
    ~Scanning() { connector.scanning_ = false; }
  } scanning{*this};
  scanning_ = true;
  scanned_ = 0;
  query_total_ = 0;
  const RecordSink counted = [&](const Record& record) {
    ++scanned_;
    on_record(record);
  };
  try {
    const auto* schema = schema_of(object);
    if (schema == nullptr) return;
    const auto soql = "SELECT " + select_list(*schema) + " FROM " + schema->object;
    if (!query(soql, *schema, counted, bulk_threshold_)) bulk_query(soql, *schema, counted);
  } catch (const ApiError& e) {
    on_problem(object, e.what());
  }
}

ReadPosition SalesforceConnector::read_position() const {
  if (!scanning_ || query_total_ == 0) return {};
  return {scanned_, query_total_, false};
}

void SalesforceConnector::bulk_query(const std::string& soql, const ObjectSchema& schema,
                                     const RecordSink& on_record) {
  std::string body = R"({"operation":"queryAll","query":")";
  for (const char c : soql) {
    if (c == '"' || c == '\\') body.push_back('\\');
    body.push_back(c);
  }
  body += R"(","columnDelimiter":"COMMA","lineEnding":"LF"})";
  const auto job = call_json("POST", api_path("jobs/query"), body);
  if (!job.IsObject() || !job.HasMember("id") || !job["id"].IsString())
    throw ApiError("Bulk API: no job id");
  const std::string id = job["id"].GetString();
  auto wait = std::chrono::milliseconds(200);
  const auto sleep = http_options_.sleep
                         ? http_options_.sleep
                         : std::function<void(std::chrono::milliseconds)>(
                               [](std::chrono::milliseconds w) { std::this_thread::sleep_for(w); });
  for (;;) {
    const auto status = call_json("GET", api_path("jobs/query/" + id));
    const std::string state =
        status.IsObject() && status.HasMember("state") && status["state"].IsString()
            ? status["state"].GetString()
            : "";
    if (state == "JobComplete") break;
    if (state == "Failed" || state == "Aborted" || state.empty()) {
      throw ApiError("Bulk API job " + id + " on " + schema.object + " ended " +
                     (state.empty() ? "without a state" : state));
    }
    sleep(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(10'000));
  }
  auto owned = std::make_shared<const ObjectSchema>(schema);
  std::string locator;
  PageGuard pages;
  for (;;) {
    auto path = api_path("jobs/query/" + id + "/results?maxRecords=50000");
    if (!locator.empty()) path += "&locator=" + HttpClient::escape(locator);
    const auto response = call("GET", path, {}, {{"Accept", "text/csv"}});
    if (response.status != 200)
      throw ApiError("Bulk API results of job " + id + ": " + api_error_text(response));
    std::istringstream csv(response.body);
    CsvReader reader(csv);
    std::vector<std::string> header, row;
    if (reader.next(header)) {
      std::vector<std::optional<std::size_t>> positions;
      for (const auto& name : header) positions.push_back(owned->index_of(name));
      Record record;
      record.schema = owned;
      record.source = "Salesforce " + schema.object + " (Bulk API)";
      while (reader.next(row)) {
        if (reader.error() || row.size() != header.size()) {
          throw ApiError("Bulk API results of job " + id + ": a malformed row at line " +
                         std::to_string(reader.row_line()));
        }
        record.values.assign(owned->fields.size(), Value{});
        for (std::size_t i = 0; i < row.size(); ++i) {
          if (positions[i]) record.values[*positions[i]] = std::move(row[i]);
        }
        record.id = value_text(record.get("Id"));
        on_record(record);
      }
    }
    // The last page says so with the literal string "null".
    locator = response.header("sforce-locator");
    if (locator.empty() || locator == "null") break;
    if (const auto stop = pages.next(locator, 1); !stop.empty())
      throw ApiError("Bulk API results of job " + id + ": " + stop);
  }
}

}  // namespace crmscan::salesforce

namespace crmscan {

ConnectorEntry crmscan_connector_salesforce() {
  return connector_entry<salesforce::SalesforceConnector>();
}

}  // namespace crmscan

#include "dynamics365_connector.hpp"

#include <algorithm>

#include "connector_kit.hpp"
#include "crmscan/error.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/phone_spellings.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"
#include "wait_budget.hpp"

namespace crmscan::dynamics365 {
namespace {

/// Dataverse accepts URLs up to 32 KB; staying under 8 KB keeps every proxy (and the emulator's
/// HTTP library) content, at the price of a few more queries for long lists.
constexpr std::size_t kMaxUrlBytes = 7'500;
/// A phone number is looked for by its last digits, which nearly every format writes together
/// ("020 7946 0958", "(415) 555-0132", "+49 30 12345678"); the engine then reads each candidate.
constexpr std::size_t kPhoneTailDigits = 4;

/// The error Dataverse gives a query that timed out on a table scan that a leading wildcard
/// forced ("LeadingWildcardCauseTimeout", query anti-patterns in the Dataverse developer guide).
constexpr std::string_view kLeadingWildcardTimeout = "0x80048573";

/// Dataverse refused a query for its leading wildcards: asking again would only time out again.
class LeadingWildcardTimeout : public ApiError {
 public:
  using ApiError::ApiError;
};

/// An OData string literal: single quotes around, a quote inside doubled.
std::string odata_literal(std::string_view value) {
  std::string quoted = "'";
  for (const char c : value) {
    if (c == '\'') quoted.push_back('\'');
    quoted.push_back(c);
  }
  return quoted + "'";
}

bool is_text_type(std::string_view type) {
  return type == "string" || type == "textarea" || type == "email" || type == "phone" ||
         type == "url";
}

// The schema type of a Dataverse attribute; empty for attributes the Web API does not return as
// a column (virtual names, party lists, entity-name companions).
std::string field_type(std::string_view attribute_type, std::string_view format) {
  if (attribute_type == "String") {
    if (format == "Email") return "email";
    if (format == "Phone") return "phone";
    if (format == "Url") return "url";
    if (format == "TextArea") return "textarea";
    return "string";
  }
  if (attribute_type == "Memo") return "textarea";
  if (attribute_type == "Lookup" || attribute_type == "Customer" || attribute_type == "Owner")
    return "reference";
  if (attribute_type == "Uniqueidentifier") return "id";
  if (attribute_type == "Boolean") return "boolean";
  if (attribute_type == "DateTime") return "datetime";
  if (attribute_type == "Integer" || attribute_type == "BigInt") return "int";
  if (attribute_type == "Decimal" || attribute_type == "Double" || attribute_type == "Money")
    return "double";
  if (attribute_type == "Picklist" || attribute_type == "State" || attribute_type == "Status" ||
      attribute_type == "MultiSelectPicklist")
    return "picklist";
  return {};
}

// A column's name (a lookup's `_x_value`) matches a rule's field pattern.
bool names_column(const std::vector<NamePattern>& patterns, const std::string& column) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const NamePattern& pattern) { return pattern.matches(column); });
}

// "HTTP 404 0x80040217: message", from OData's {"error": {"code", "message"}}.
std::string api_error_text(const HttpResponse& response) {
  return crmscan::api_error_text(response, {false, "error", {"code"}});
}

}  // namespace

ConnectorDescriptor Dynamics365Connector::describe_connector() {
  return {
      "dynamics365",
      "a Dynamics 365 / Dataverse environment through the Web API (Azure AD client "
      "credentials from the environment: see connectors/dynamics365/README.md)",
      {
          {"url", "url", "", "the environment URL, https://ORG.crm.dynamics.com", true},
          {"authority", "url", "https://login.microsoftonline.com",
           "where Azure AD tokens are asked for (a national cloud's sign-in host)", false},
          {"api_version", "string", "9.2", "the Web API version", false},
          {"page_size", "int", "5000", "records per page (odata.maxpagesize, 1 to 5000)", false},
          {"max_api_calls", "int", "0", "stop the scan after this many requests (0: no cap)",
           false},
          {"ca_file", "path", "", "a CA bundle to trust (a private CA); TLS is always verified",
           false},
          max_wait_option(),
      }};
}

const ConnectorDescriptor& Dynamics365Connector::descriptor() const {
  static const ConnectorDescriptor kDescriptor = describe_connector();
  return kDescriptor;
}

Dynamics365Connector::Dynamics365Connector(const ConnectorConfig& config, HttpOptions http_options)
    : url_(config.at("url")), api_version_(config.at("api_version")) {
  const auto number = [&config](const char* key) -> std::size_t {
    const auto& text = config.at(key);
    if (text.empty() || text.size() > 9 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw ConfigError(std::string("connector dynamics365: ") + key +
                        " must be a whole number, not '" + text + "'");
    }
    return std::stoull(text);
  };
  max_api_calls_ = number("max_api_calls");
  page_size_ = std::clamp<std::size_t>(number("page_size"), 1, 5000);
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  HttpClient::check_url(url_);
  if (const auto found = config.find("ca_file"); found != config.end())
    http_options.ca_file = found->second;
  http_ = std::make_unique<HttpClient>(
      with_wait_budget(std::move(http_options), max_wait_of(config, "dynamics365")));
  auth_ = std::make_unique<ClientCredentials>(config.at("authority"), url_, *http_);
}

std::string Dynamics365Connector::api_url(const std::string& rest) const {
  return url_ + "/api/data/v" + api_version_ + "/" + rest;
}

HttpResponse Dynamics365Connector::call(const std::string& url) {
  bool renewed = false;
  for (;;) {
    if (max_api_calls_ != 0 && api_calls() >= max_api_calls_) {
      throw LimitReached("stopped after " + std::to_string(api_calls()) +
                         " API calls (--max-api-calls)");
    }
    if (!token_ || std::chrono::steady_clock::now() >= token_->expires) token_ = auth_->fetch();
    auto response = http_->send({"GET",
                                 url,
                                 {{"Authorization", "Bearer " + token_->value},
                                  {"Accept", "application/json"},
                                  {"OData-MaxVersion", "4.0"},
                                  {"OData-Version", "4.0"},
                                  {"Prefer", "odata.maxpagesize=" + std::to_string(page_size_)}},
                                 {},
                                 // Whatever its status, a timeout forced by a leading wildcard is
                                 // not retried: the same query would time out again.
                                 [](const HttpResponse& r) {
                                   return r.body.find(kLeadingWildcardTimeout) != std::string::npos;
                                 }});
    // An expired or revoked token: one new token, then the request again.
    if (response.status == 401) {
      if (renewed) {
        throw Error(ExitCode::kIncomplete,
                    "Dataverse refused a new access token (" + api_error_text(response) +
                        "): is the app registration an application user of this environment?");
      }
      token_.reset();
      renewed = true;
      continue;
    }
    return response;
  }
}

rapidjson::Document Dynamics365Connector::call_json(const std::string& url) {
  const auto response = call(url);
  const auto what = "GET " + url.substr(url_.size(), url.find('?') - url_.size());
  if (response.status < 200 || response.status >= 300) {
    const auto text = api_error_text(response);
    if (text.find(kLeadingWildcardTimeout) != std::string::npos)
      throw LeadingWildcardTimeout(what + ": " + text);
    throw ApiError(what + ": " + text);
  }
  if (response.header("content-type").find("json") == std::string::npos) {
    throw ApiError(what + ": the response is not JSON (" + response.header("content-type") + ")");
  }
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  if (document.HasParseError() || !document.IsObject())
    throw ApiError(what + ": the response is not valid JSON (truncated?)");
  return document;
}

std::vector<ObjectSchema> Dynamics365Connector::describe() {
  const auto document =
      call_json(api_url("EntityDefinitions?$select=LogicalName,EntitySetName,PrimaryIdAttribute,"
                        "IsCustomEntity,IsManaged"));
  if (!document.HasMember("value") || !document["value"].IsArray())
    throw ApiError("GET EntityDefinitions: no value list in the response");
  std::vector<ObjectSchema> schemas;
  for (const auto& item : document["value"].GetArray()) {
    if (!item.IsObject()) continue;
    EntityInfo info;
    const auto name = member_string(item, "LogicalName");
    info.set_name = member_string(item, "EntitySetName");
    info.primary_id = member_string(item, "PrimaryIdAttribute");
    // Entities without a set (intersections, virtual ones) cannot be queried.
    if (name.empty() || info.set_name.empty() || info.primary_id.empty()) continue;
    const auto custom = item.FindMember("IsCustomEntity");
    info.custom = custom != item.MemberEnd() && custom->value.IsBool() && custom->value.GetBool();
    const auto managed = item.FindMember("IsManaged");
    info.managed =
        managed != item.MemberEnd() && managed->value.IsBool() && managed->value.GetBool();
    entities_[name] = std::move(info);
    schemas.push_back({name, {}});
  }
  described_ = true;
  return schemas;
}

Dynamics365Connector::EntityInfo* Dynamics365Connector::entity(const std::string& object) {
  if (!described_) describe();
  const auto found = entities_.find(ascii_lower(object));
  return found == entities_.end() ? nullptr : &found->second;
}

const ObjectSchema* Dynamics365Connector::schema_of(const std::string& object) {
  auto* info = entity(object);
  if (info == nullptr) return nullptr;
  if (info->schema) return info->schema.get();
  const auto name = ascii_lower(object);
  const auto attributes_url =
      api_url("EntityDefinitions(LogicalName=" + odata_literal(name) + ")/Attributes");
  const auto attributes =
      call_json(attributes_url + "?$select=LogicalName,AttributeType,AttributeOf,IsValidForRead");
  // String formats (Email, Phone) sit on the derived metadata type only.
  const auto strings = call_json(attributes_url +
                                 "/Microsoft.Dynamics.CRM.StringAttributeMetadata"
                                 "?$select=LogicalName,FormatName");
  if (!attributes.HasMember("value") || !attributes["value"].IsArray() ||
      !strings.HasMember("value") || !strings["value"].IsArray()) {
    throw ApiError("metadata of " + name + ": no value list in the response");
  }
  std::map<std::string, std::string> formats;
  for (const auto& item : strings["value"].GetArray()) {
    if (!item.IsObject()) continue;
    const auto format = item.FindMember("FormatName");
    if (format != item.MemberEnd() && format->value.IsObject())
      formats[member_string(item, "LogicalName")] = member_string(format->value, "Value");
  }
  auto schema = std::make_shared<ObjectSchema>();
  schema->object = name;
  for (const auto& item : attributes["value"].GetArray()) {
    if (!item.IsObject()) continue;
    const auto readable = item.FindMember("IsValidForRead");
    if (readable != item.MemberEnd() && readable->value.IsBool() && !readable->value.GetBool())
      continue;
    if (!member_string(item, "AttributeOf").empty()) continue;  // a companion of another column
    const auto logical = member_string(item, "LogicalName");
    const auto type = field_type(member_string(item, "AttributeType"), formats[logical]);
    if (logical.empty() || type.empty()) continue;
    // The Web API names a lookup's value `_<name>_value`.
    schema->fields.push_back({type == "reference" ? "_" + logical + "_value" : logical, type});
  }
  info->schema = std::move(schema);
  return info->schema.get();
}

void Dynamics365Connector::query(const std::string& object, const std::vector<std::string>& clauses,
                                 const RecordSink& on_record) {
  const auto* schema = schema_of(object);
  const auto& info = *entity(object);
  std::string select;
  for (const auto& field : schema->fields) select += (select.empty() ? "" : ",") + field.name;
  auto base = api_url(info.set_name) + "?";
  // An entity with very many columns is read without $select: Dataverse then returns them all.
  if (!select.empty() && select.size() < kMaxUrlBytes / 2) base += "$select=" + select + "&";
  if (clauses.empty()) {
    read_pages(base.substr(0, base.size() - 1), object, on_record);
    return;
  }
  base += "$filter=";
  static const auto kOr = HttpClient::escape(" or ");
  std::size_t start = 0;
  while (start < clauses.size()) {
    std::string filter;
    std::size_t bytes = base.size();
    std::size_t end = start;
    while (end < clauses.size()) {
      const auto escaped = HttpClient::escape(clauses[end]);
      const auto cost = escaped.size() + (end > start ? kOr.size() : 0);
      if (end > start && bytes + cost > kMaxUrlBytes) break;
      filter += (end > start ? kOr : "") + escaped;
      bytes += cost;
      ++end;
    }
    read_pages(base + filter, object, on_record);
    start = end;
  }
}

void Dynamics365Connector::read_pages(const std::string& first_url, const std::string& object,
                                      const RecordSink& on_record) {
  const auto* schema = schema_of(object);
  const auto& primary_id = entity(object)->primary_id;
  auto shared = std::make_shared<const ObjectSchema>(*schema);
  Record record;
  record.schema = shared;
  record.source = "Dataverse " + schema->object;
  std::string url = first_url;
  PageGuard pages;
  while (!url.empty()) {
    const auto document = call_json(url);
    url.clear();
    if (!document.HasMember("value") || !document["value"].IsArray())
      throw ApiError("query on " + schema->object + ": no value list in the response");
    for (const auto& item : document["value"].GetArray()) {
      if (!item.IsObject()) continue;
      record.values.assign(shared->fields.size(), Value{});
      for (std::size_t i = 0; i < shared->fields.size(); ++i) {
        const auto member = item.FindMember(shared->fields[i].name.c_str());
        if (member != item.MemberEnd()) record.values[i] = json_value(member->value);
      }
      record.id = ascii_lower(value_text(record.get(primary_id)));
      on_record(record);
    }
    url = member_string(document, "@odata.nextLink");
    // The token goes only to the environment: a next page elsewhere is refused.
    if (!url.empty() && url.rfind(url_ + "/", 0) != 0)
      throw ApiError("query on " + schema->object + ": a next page outside the environment");
    if (const auto stop = pages.next(url, document["value"].Size()); !stop.empty())
      throw ApiError("query on " + schema->object + ": " + stop);
  }
}

std::vector<std::string> Dynamics365Connector::searched_columns(IdentifierKind kind, bool in_text,
                                                                const ObjectSchema& schema) const {
  std::vector<std::string> columns;
  const auto typed = kind == IdentifierKind::kEmail ? "email" : "phone";
  for (const auto& field : schema.fields) {
    if (!is_text_type(field.type)) continue;
    bool searched = !in_text && kind != IdentifierKind::kId && field.type == typed;
    if (rules_) {
      for (const auto* rules : rules_->rules_for(schema.object)) {
        for (const auto* list : {&rules->identity, &rules->holders}) {
          for (const auto& rule : *list) {
            if (rule.in_text != in_text || (!in_text && rule.kind != kind)) continue;
            searched = searched || names_column(rule.fields, field.name);
          }
        }
        if (!in_text) continue;
        for (const auto& rule : rules->text)
          searched = searched || names_column(rule.fields, field.name);
      }
    }
    if (searched) columns.push_back(field.name);
  }
  return columns;
}

void Dynamics365Connector::add_search_clauses(IdentifierKind kind, bool in_text,
                                              const std::string& term, const ObjectSchema& schema,
                                              Clauses& clauses) {
  const auto add = [](std::vector<std::string>& list, std::string clause) {
    if (std::find(list.begin(), list.end(), clause) == list.end())
      list.push_back(std::move(clause));
  };
  const auto both = [&](const std::string& clause) {
    add(clauses.all, clause);
    add(clauses.exact, clause);
  };
  const auto literal = odata_literal(term);
  if (kind == IdentifierKind::kName) {
    // A folded name ("amelie dubois", "siobhan oneill") by its first word: Dataverse compares
    // without case (and, in most languages, accents), but the apostrophe that folding drops from
    // "O'Neill" would still be missing; the engine checks the whole name. Where contains is
    // refused, the word is looked for at the start of the name columns.
    const auto words = split_list(term, ' ');
    if (words.empty() || !schema.index_of("fullname")) return;
    const auto word = odata_literal(words.front());
    add(clauses.all, "contains(fullname," + word + ")");
    for (const auto* column : {"fullname", "firstname", "lastname"}) {
      if (schema.index_of(column))
        add(clauses.exact, "startswith(" + std::string(column) + "," + word + ")");
    }
    return;
  }
  // A number is typed and stored verbatim: its spellings are compared whole (eq) or looked for
  // at the start of a text (startswith), both without a leading wildcard; inside a text it is
  // looked for by its last four digits, which nearly every spelling writes together ("020 7946
  // 0958", "(415) 555-0132", "+49 30 12345678"), and by each spelling that splits them ("06 22
  // 12 34 56"). The engine then reads each candidate and keeps only the subject's number.
  std::vector<std::string> spellings;
  std::string tail;
  if (kind == IdentifierKind::kPhone) {
    const auto national = PhoneNormalizer::national_number(term);
    if (national.empty()) return;
    tail = national.substr(national.size() - std::min(national.size(), kPhoneTailDigits));
    spellings = phone_variants(term);
  }
  for (const auto& column : searched_columns(kind, in_text, schema)) {
    if (kind == IdentifierKind::kEmail && !in_text) {
      both(column + " eq " + literal);
      // A sub-address of the same mailbox ("amelie+shop@example.fr"), reported for review: the
      // mailbox is enough to ask for (the engine checks the domain), and needs no wildcard first.
      const auto at = term.rfind('@');
      if (at != std::string::npos && at > 0) {
        const auto mailbox = term.substr(0, std::min(at, term.find('+')));
        both("startswith(" + column + "," + odata_literal(mailbox + "+") + ")");
      }
    } else if (kind == IdentifierKind::kPhone) {
      add(clauses.all, "contains(" + column + "," + odata_literal(tail) + ")");
      for (const auto& spelling : spellings) {
        const auto quoted = odata_literal(spelling);
        if (!in_text) {
          both(column + " eq " + quoted);
        } else {
          if (spelling.find(tail) == std::string::npos)
            add(clauses.all, "contains(" + column + "," + quoted + ")");
          add(clauses.exact, "startswith(" + column + "," + quoted + ")");
        }
      }
    } else {
      // An email or a record id inside a text: only contains finds it.
      add(clauses.all, "contains(" + column + "," + literal + ")");
    }
  }
}

void Dynamics365Connector::search(IdentifierKind kind, bool in_text,
                                  const std::vector<std::string>& terms,
                                  const std::vector<std::string>& objects,
                                  const RecordSink& on_record, const ProblemSink& on_problem) {
  if (!described_) describe();
  if (kind == IdentifierKind::kId && !in_text) {
    // A request's record ids are GUIDs that do not say their entity: each ruled one is asked.
    for (const auto& object : objects) fetch(object, "Id", terms, on_record, on_problem);
    return;
  }
  // Only the tables the rules name are searched (their other tables: see notes()).
  std::vector<std::string> targets;
  for (const auto& object : objects) {
    if (entity(object) != nullptr &&
        std::find(targets.begin(), targets.end(), ascii_lower(object)) == targets.end())
      targets.push_back(ascii_lower(object));
  }
  for (const auto& object : targets) {
    const auto keep = [&](const Record& record) {
      fetched_.insert_or_assign(object + '\x1f' + record.id, record);
      on_record(record);
    };
    Clauses clauses;
    try {
      const auto* schema = schema_of(object);
      for (const auto& term : terms) add_search_clauses(kind, in_text, term, *schema, clauses);
      if (clauses.all.empty()) continue;
      query(object, clauses.all, keep);
    } catch (const LeadingWildcardTimeout& e) {
      // Never asked again as it was: the rows the exact conditions find are read, and the scan
      // is incomplete, saying what was not searched.
      on_problem(object,
                 std::string(e.what()) +
                     " — Dataverse timed out a search with a leading wildcard on " + object +
                     ": identifiers written inside its text columns (or spelled other than the "
                     "ways searched exactly) were not searched there; only exact values and "
                     "values at the start of a column were");
      try {
        if (!clauses.exact.empty()) query(object, clauses.exact, keep);
      } catch (const ApiError& again) {
        on_problem(object, again.what());
      }
    } catch (const ApiError& e) {
      on_problem(object, e.what());
    }
  }
}

void Dynamics365Connector::fetch(const std::string& object, const std::string& field,
                                 const std::vector<std::string>& ids, const RecordSink& on_record,
                                 const ProblemSink& on_problem) {
  // A failed request leaves that object incomplete, named; the scan goes on with the rest.
  try {
    const auto* schema = schema_of(object);
    if (schema == nullptr || ids.empty()) return;
    const auto name = ascii_lower(object);
    // "Id" is how the engine asks for the records themselves: the entity's primary key.
    const bool by_key = iequals(field, "Id") || iequals(field, entity(object)->primary_id);
    const auto index = schema->index_of(by_key ? entity(object)->primary_id : field);
    if (!index) return;
    const auto& column = schema->fields[*index];
    const bool guid_typed = column.type == "id" || column.type == "reference";
    std::vector<std::string> clauses;
    for (const auto& id : ids) {
      const auto key = ascii_lower(id);
      if (by_key) {
        if (const auto cached = fetched_.find(name + '\x1f' + key); cached != fetched_.end()) {
          on_record(cached->second);
          continue;
        }
      }
      // A lookup holds GUIDs only (written bare in a filter); a text column whatever was typed.
      if (guid_typed && !is_guid(key)) continue;
      auto clause = column.name + " eq " + (guid_typed ? key : odata_literal(id));
      if (std::find(clauses.begin(), clauses.end(), clause) == clauses.end())
        clauses.push_back(std::move(clause));
    }
    if (clauses.empty()) return;
    query(name, clauses, [&](const Record& record) {
      fetched_.insert_or_assign(name + '\x1f' + record.id, record);
      on_record(record);
    });
  } catch (const ApiError& e) {
    on_problem(object, e.what());
  }
}

bool Dynamics365Connector::has_field(const std::string& object, const std::string& field) {
  try {
    const auto* schema = schema_of(object);
    return schema != nullptr && schema->index_of(field).has_value();
  } catch (const ApiError&) {
    return true;  // not described: fetch() asks again and reports the error against the object
  }
}

void Dynamics365Connector::use_rules(const RuleSet& rules) {
  rules_ = std::make_shared<const RuleSet>(rules);
}

std::vector<std::string> Dynamics365Connector::notes() const {
  if (!rules_ || !described_) return {};
  std::vector<std::string> own;
  std::size_t platform = 0;
  for (const auto& [name, info] : entities_) {
    if (rules_->is_defined(name)) continue;
    if (info.custom && !info.managed)
      own.push_back(name);
    else
      ++platform;
  }
  std::vector<std::string> notes;
  if (!own.empty()) {
    std::string listed;
    for (std::size_t i = 0; i < own.size() && i < 10; ++i) listed += (i ? ", " : "") + own[i];
    if (own.size() > 10) listed += ", …";
    notes.push_back("Dataverse: " + std::to_string(own.size()) +
                    " custom table(s) of this environment that no rule pack names were not "
                    "searched (" +
                    listed +
                    "); name them, with the columns that may hold personal data, in a pack of "
                    "your own to search them");
  }
  if (platform > 0) {
    notes.push_back("Dataverse: " + std::to_string(platform) +
                    " platform or managed-solution table(s) that no rule pack names were not "
                    "searched");
  }
  return notes;
}

std::vector<std::pair<std::string, std::string>> Dynamics365Connector::references_to(
    const std::string&) {
  // Lookups that no rule declares are not followed live: the metadata read does not say which
  // entity a lookup targets, so following them all would cost a query per lookup column of every
  // entity for each hop. The rule pack declares the standard ones (an account's primary contact);
  // a file scan also finds GUIDs of reached records in columns no rule declares.
  return {};
}

void Dynamics365Connector::scan(const std::string& object, const RecordSink& on_record,
                                const ProblemSink& on_problem) {
  try {
    if (schema_of(object) != nullptr) query(ascii_lower(object), {}, on_record);
  } catch (const ApiError& e) {
    on_problem(object, e.what());
  }
}

}  // namespace crmscan::dynamics365

namespace crmscan {

ConnectorEntry crmscan_connector_dynamics365() {
  return connector_entry<dynamics365::Dynamics365Connector>();
}

}  // namespace crmscan

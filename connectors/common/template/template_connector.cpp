#include "template_connector.hpp"

#include "crmscan/text.hpp"

namespace crmscan::templ {

ConnectorDescriptor TemplateConnector::describe_connector() {
  return {"template",
          "a CRM Lite server through its REST API (the token from TEMPLATE_TOKEN)",
          {{"base_url", "url", "", "the API's address", true},
           max_api_calls_option(),
           ca_file_option(),
           max_wait_option()}};
}

const ConnectorDescriptor& TemplateConnector::descriptor() const {
  return descriptor_of<TemplateConnector>();
}

TemplateConnector::TemplateConnector(const ConnectorConfig& config, HttpOptions http_options) {
  const ConnectorOptions options(descriptor(), config);
  base_url_ = options.text("base_url");
  max_api_calls_ = options.number("max_api_calls");
  HttpClient::check_url(base_url_);
  token_ = environment_secret("TEMPLATE_TOKEN");
  if (token_.empty()) throw options.error("set TEMPLATE_TOKEN (or TEMPLATE_TOKEN_FILE)");
  http_ = std::make_unique<HttpClient>(options.http_with_wait_budget(std::move(http_options)));
}

rapidjson::Document TemplateConnector::get(const std::string& path) {
  check_call_cap(api_calls(), max_api_calls_);
  const auto response =
      http_->send({"GET", base_url_ + path, {{"Authorization", "Bearer " + token_}}, {}});
  const auto what = "GET " + path.substr(0, path.find('?'));
  if (response.status == 401) throw LimitReached(what + ": the token was refused");
  if (response.status != 200)
    throw ApiError(what + ": " + api_error_text(response, {false, "error", {"code"}}));
  return json_body(response, what);
}

std::vector<ObjectSchema> TemplateConnector::describe() {
  const auto document = get("/v1/objects");
  std::vector<ObjectSchema> result;
  for (const auto& object : json_array(document, "objects", "GET /v1/objects").GetArray()) {
    ObjectSchema schema{member_string(object, "name"), {}};
    for (const auto& field : json_array(object, "fields", "GET /v1/objects").GetArray())
      schema.fields.push_back({json_text(field), {}});
    schemas_.push_back(std::make_shared<const ObjectSchema>(schema));
    result.push_back(std::move(schema));
  }
  return result;
}

void TemplateConnector::scan(const std::string& object, const RecordSink& on_record,
                             const ProblemSink& on_problem) {
  if (schemas_.empty()) describe();
  const auto schema = std::find_if(schemas_.begin(), schemas_.end(),
                                   [&](const auto& s) { return s->object == object; });
  if (schema == schemas_.end()) return;
  try {
    std::string after = "0";
    PageGuard pages;
    while (!after.empty()) {
      const auto path = "/v1/objects/" + object + "/records";
      const auto page = get(path + "?after=" + after);
      const auto& records = json_array(page, "records", "GET " + path);
      for (const auto& item : records.GetArray()) {
        Record record{*schema, {}, {}, false, false, "template " + object};
        for (const auto& field : (*schema)->fields) {
          const auto member = item.FindMember(field.name.c_str());
          record.values.push_back(member == item.MemberEnd() ? Value{} : json_value(member->value));
        }
        on_record(record);
      }
      after = member_string(page, "next");
      if (const auto stop = pages.next(after, records.Size()); !stop.empty())
        throw ApiError("GET " + path + ": " + stop);
    }
  } catch (const ApiError& e) {
    on_problem(object, e.what());
  }
}

}  // namespace crmscan::templ

namespace crmscan {

/// Listed in connectors/CMakeLists.txt, a connector is registered by this function.
ConnectorEntry crmscan_connector_template() {
  return connector_entry<templ::TemplateConnector>();
}

}  // namespace crmscan

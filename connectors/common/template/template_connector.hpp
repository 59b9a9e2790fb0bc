#pragma once

#include "connector_kit.hpp"

namespace crmscan::templ {

/// The template of a connector made from the kit: a CRM Lite server's REST API (`GET
/// /v1/objects`, `GET /v1/objects/{name}/records?after=N` a page at a time) with a bearer token
/// from TEMPLATE_TOKEN. Copy this folder to start a connector.
class TemplateConnector : public Connector {
 public:
  explicit TemplateConnector(const ConnectorConfig& config, HttpOptions http_options = {});

  static ConnectorDescriptor describe_connector();
  const ConnectorDescriptor& descriptor() const override;
  std::string crm() const override { return "crm-lite"; }
  std::string source() const override { return base_url_; }
  std::vector<ObjectSchema> describe() override;
  void scan(const std::string& object, const RecordSink& on_record,
            const ProblemSink& on_problem) override;
  std::size_t api_calls() const override { return http_->attempts(); }

 private:
  /// A JSON object from a GET, or an ApiError naming what failed.
  rapidjson::Document get(const std::string& path);

  std::string base_url_;
  std::string token_;
  std::size_t max_api_calls_ = 0;
  std::unique_ptr<HttpClient> http_;
  std::vector<std::shared_ptr<const ObjectSchema>> schemas_;
};

}  // namespace crmscan::templ

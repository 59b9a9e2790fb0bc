#pragma once

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/http.hpp"
#include "dynamics365_auth.hpp"

namespace crmscan::dynamics365 {

/// A Dynamics 365 / Dataverse environment through the Web API (v9.2): records found by filtered
/// queries ($filter), pages followed through @odata.nextLink, field types read from the entity
/// metadata. Objects are entity logical names (contact, phonecall, activityparty); fields are
/// Web API property names, lookups as `_<name>_value`. Every request is counted.
class Dynamics365Connector : public Connector, public Lookup {
 public:
  explicit Dynamics365Connector(const ConnectorConfig& config, HttpOptions http_options = {});

  static ConnectorDescriptor describe_connector();
  const ConnectorDescriptor& descriptor() const override;
  std::string crm() const override { return "dynamics365"; }
  std::string source() const override { return url_; }
  std::vector<ObjectSchema> describe() override;
  void scan(const std::string& object, const RecordSink& on_record,
            const ProblemSink& on_problem) override;
  std::size_t api_calls() const override { return http_->attempts(); }
  Lookup* lookup() override { return this; }

  void search(IdentifierKind kind, bool in_text, const std::vector<std::string>& terms,
              const std::vector<std::string>& objects, const RecordSink& on_record,
              const ProblemSink& on_problem) override;
  void fetch(const std::string& object, const std::string& field,
             const std::vector<std::string>& ids, const RecordSink& on_record,
             const ProblemSink& on_problem) override;
  bool has_field(const std::string& object, const std::string& field) override;
  std::vector<std::pair<std::string, std::string>> references_to(
      const std::string& object) override;

 private:
  struct EntityInfo {
    std::string set_name;    // contacts
    std::string primary_id;  // contactid; activityid for activities
    bool custom = false;
    std::shared_ptr<const ObjectSchema> schema;  // after its metadata is read
  };

  /// One GET: signs in first, renews the token once on 401, counts the request.
  HttpResponse call(const std::string& url);
  /// A JSON response, or an ApiError naming what failed.
  rapidjson::Document call_json(const std::string& url);
  EntityInfo* entity(const std::string& object);
  const ObjectSchema* schema_of(const std::string& object);
  /// Reads every page of `{set}?$select=…&$filter=…` for the clauses OR-joined, in as many
  /// queries as the URL length allows; an empty list reads the whole entity.
  void query(const std::string& object, const std::vector<std::string>& clauses,
             const RecordSink& on_record);
  void read_pages(const std::string& first_url, const std::string& object,
                  const RecordSink& on_record);
  /// The clauses that find a term in the fields of one entity.
  std::vector<std::string> search_clauses(IdentifierKind kind, bool in_text,
                                          const std::string& term, const ObjectSchema& schema);
  std::string api_url(const std::string& rest) const;

  std::string url_;
  std::string api_version_;
  std::size_t max_api_calls_ = 0;
  std::size_t page_size_ = 5000;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<ClientCredentials> auth_;
  std::optional<AccessToken> token_;
  std::map<std::string, EntityInfo> entities_;  // by logical name
  bool described_ = false;
  /// Records read so far by object and primary id: asked for by id, they are not read again.
  std::map<std::string, Record> fetched_;
};

}  // namespace crmscan::dynamics365

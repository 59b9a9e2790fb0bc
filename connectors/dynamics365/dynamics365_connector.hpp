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
  void use_rules(const RuleSet& rules) override;
  /// The tables that no rule names, which were not searched.
  std::vector<std::string> notes() const override;

  /// The conditions that find terms in one entity: all of them, and the ones without a leading
  /// wildcard (with startswith in place of contains where that finds some of the same rows) that
  /// are asked for alone when Dataverse refuses the whole for its leading wildcards.
  struct Clauses {
    std::vector<std::string> all;
    std::vector<std::string> exact;
  };

 private:
  struct EntityInfo {
    std::string set_name;    // contacts
    std::string primary_id;  // contactid; activityid for activities
    bool custom = false;
    bool managed = false;                        // part of a managed solution (or the platform)
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
  /// The clauses that find a term in the fields of one entity that the search looks in.
  void add_search_clauses(IdentifierKind kind, bool in_text, const std::string& term,
                          const ObjectSchema& schema, Clauses& clauses);
  /// The columns of an entity searched for a kind of identifier: for exact values, the columns
  /// typed as emails or phone numbers and those the rules name for that kind; in text, the
  /// columns the rules name as text or as holding identifiers in their text.
  std::vector<std::string> searched_columns(IdentifierKind kind, bool in_text,
                                            const ObjectSchema& schema) const;
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
  /// The rule packs of the scan (use_rules): which tables and columns are searched.
  std::shared_ptr<const RuleSet> rules_;
};

}  // namespace crmscan::dynamics365

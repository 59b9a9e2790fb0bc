#pragma once

#include <rapidjson/document.h>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/http.hpp"
#include "salesforce_auth.hpp"

namespace crmscan::salesforce {

/// A live Salesforce org through the REST API: subject scans by search (SOSL) and filtered,
/// chunked queries (SOQL queryAll, so archived and deleted rows are included); full reads
/// through Bulk API 2.0 for large objects. Every request is counted; the org's daily limit is
/// watched through Sforce-Limit-Info and a reserve is kept.
class SalesforceConnector : public Connector, public Lookup {
 public:
  explicit SalesforceConnector(const ConnectorConfig& config, HttpOptions http_options = {});

  static ConnectorDescriptor describe_connector();
  const ConnectorDescriptor& descriptor() const override;
  std::string crm() const override { return "salesforce"; }
  std::string source() const override;
  std::vector<ObjectSchema> describe() override;
  void scan(const std::string& object, const RecordSink& on_record,
            const ProblemSink& on_problem) override;
  std::size_t api_calls() const override { return http_->attempts(); }
  /// In a full read (scan()), the records read of the count the first page gave.
  ReadPosition read_position() const override;
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
  void use_rules(const RuleSet& rules) override { rules_ = &rules; }
  std::vector<std::string> notes() const override { return notes_; }

  /// The ways a number is written that SOSL can match, each a run of whole tokens: its E.164
  /// digits, national digits with and without the trunk prefix, and libphonenumber's national and
  /// international groupings (with and without the country code). None is a run inside another.
  static std::vector<std::vector<std::string>> phone_token_forms(const std::string& e164);

 private:
  struct ObjectInfo {
    std::string key_prefix;
    bool queryable = false;
    bool searchable = false;
    std::shared_ptr<const ObjectSchema> schema;  // after its describe
    std::vector<std::pair<std::string, std::string>> children;
    std::vector<std::string> unfilterable;  // fields a WHERE cannot test (long text), lower-cased
  };

  /// One API request: signs in first, renews an expired session once, counts it, watches limits.
  HttpResponse call(const std::string& method, const std::string& path_or_url,
                    const std::string& body = {},
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  /// A JSON response, or an Error naming what failed.
  rapidjson::Document call_json(const std::string& method, const std::string& path_or_url,
                                const std::string& body = {});
  void fetch_records(const std::string& object, const std::string& field,
                     const std::vector<std::string>& ids, const RecordSink& on_record);
  /// Reads the fields the rules name as holding identifiers of `kind` with queryAll, since search
  /// misses the Recycle Bin (and maybe archived activities) and reads numbers token by token.
  void query_ruled_fields(IdentifierKind kind, bool in_text, const std::vector<std::string>& terms,
                          const std::vector<std::string>& objects, const RecordSink& on_record,
                          const ProblemSink& on_problem);
  /// `SELECT every field FROM object WHERE where` through queryAll; a select list too long for one
  /// URL is read in parts and the parts of each record joined.
  void select_where(const ObjectSchema& schema, const std::string& where,
                    const RecordSink& on_record);
  void note(const std::string& text);
  const ObjectInfo* object_info(const std::string& object);
  const ObjectSchema* schema_of(const std::string& object);
  /// Pages through a queryAll; returns false, having read nothing, when the query has more than
  /// `bulk_above` records.
  bool query(const std::string& soql, const ObjectSchema& schema, const RecordSink& on_record,
             std::size_t bulk_above = std::numeric_limits<std::size_t>::max());
  void bulk_query(const std::string& soql, const ObjectSchema& schema, const RecordSink& on_record);
  std::string select_list(const ObjectSchema& schema) const;
  std::string api_path(const std::string& rest) const;
  void watch_limits(const HttpResponse& response);

  std::string login_url_;
  std::string api_version_;
  std::size_t max_api_calls_ = 0;
  std::size_t api_reserve_ = 0;
  std::size_t batch_size_ = 2000;
  std::size_t bulk_threshold_ = 0;
  std::size_t search_limit_ = 2000;
  std::size_t max_children_ = 50;
  // The full read under way: records it has read, and the count the last query's first page gave.
  bool scanning_ = false;
  std::uint64_t scanned_ = 0;
  std::uint64_t query_total_ = 0;
  const RuleSet* rules_ = nullptr;
  std::vector<std::string> notes_;
  HttpOptions http_options_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<Authenticator> auth_;
  std::optional<Session> session_;
  std::map<std::string, ObjectInfo> objects_;  // by name, from describe global
  std::map<std::string, std::string> names_;   // lower-cased name → name
  bool described_ = false;
  std::map<std::string, Record> fetched_;  // by record_id_key: what lookups have read
};

}  // namespace crmscan::salesforce

#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/http.hpp"

namespace crmscan::hubspot {

/// One filter of a CRM search: EQ, CONTAINS_TOKEN and GT take one value, IN a list.
struct SearchFilter {
  std::string property;
  std::string op;
  std::vector<std::string> values;
};
/// The filters of a group all hold (AND); a search matches any of its groups (OR).
using FilterGroup = std::vector<SearchFilter>;

/// Packs filter groups into as few searches as HubSpot accepts: at most 5 groups a search, 6
/// filters a group and 18 in all, keeping room in each group for `spare` more filters (the
/// `hs_object_id GT` filter that narrows a search past the 10,000-results cap).
std::vector<std::vector<FilterGroup>> pack_filter_groups(const std::vector<FilterGroup>& groups,
                                                         std::size_t spare);

/// The ways a number is commonly stored in HubSpot: E.164, E.164 without its plus, the
/// international and national formats, and the national digits alone ("+442079460958" →
/// "+44 20 7946 0958", "020 7946 0958", "02079460958", …). The engine checks every record these
/// find, so a variant that finds another number costs nothing but a record read.
std::vector<std::string> phone_variants(const std::string& e164);

/// A HubSpot account through the CRM v3 API and associations v4, with a private app's access
/// token: contacts found by search on their emails, numbers and names; their calls through the
/// call-to-contact association and by search on the numbers and text of calls. Every request is
/// counted; the daily limit is watched through the X-HubSpot-RateLimit headers.
class HubSpotConnector : public Connector, public Lookup {
 public:
  explicit HubSpotConnector(const ConnectorConfig& config, HttpOptions http_options = {});

  static ConnectorDescriptor describe_connector();
  const ConnectorDescriptor& descriptor() const override;
  std::string crm() const override { return "hubspot"; }
  std::string source() const override { return base_url_; }
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
  struct ObjectInfo {
    std::shared_ptr<const ObjectSchema> schema;
    std::vector<std::string> properties;       // every property, as searches and reads ask
    std::map<std::string, std::size_t> slots;  // property name → field position
    std::string associated;                    // the object type its association field names
  };

  /// One API request: counted, checked against the caps and the daily limit.
  HttpResponse call(const std::string& method, const std::string& path,
                    const std::string& body = {});
  /// A JSON response (200 or 207), or an Error naming what failed.
  rapidjson::Document call_json(const std::string& method, const std::string& path,
                                const std::string& body = {});
  /// The object's schema and properties, from the properties API once; null for an object type
  /// the connector does not read.
  const ObjectInfo* object_info(const std::string& object);
  Record to_record(const rapidjson::Value& item, const ObjectInfo& info,
                   const std::string& object) const;
  /// Runs one search through every page, narrowing with `hs_object_id GT` whenever the next
  /// page would pass the 10,000-results cap.
  void run_search(const std::string& object, const std::vector<FilterGroup>& groups,
                  const RecordSink& on_record);
  void search_groups(const std::string& object, const std::vector<FilterGroup>& groups,
                     const RecordSink& on_record, const ProblemSink& on_problem);
  /// Batch reads of records by id, 100 at a time; the live ones, or the archived ones.
  void read_by_id(const std::string& object, const std::vector<std::string>& ids, bool archived,
                  const RecordSink& on_record);
  void read_associated(const std::string& object, const std::vector<std::string>& parent_ids,
                       const RecordSink& on_record);
  /// Emits a record once per associated record of the association field's type (none: once).
  void emit_with_associations(const Record& record, const ObjectInfo& info,
                              const std::vector<std::string>& associated_ids,
                              const RecordSink& on_record) const;

  std::string base_url_;
  std::string token_;
  std::size_t max_api_calls_ = 0;
  std::size_t api_reserve_ = 0;
  std::size_t page_size_ = 100;
  std::unique_ptr<HttpClient> http_;
  std::function<void(std::chrono::milliseconds)> pause_;  // waits out a rate-limit window
  std::map<std::string, ObjectInfo> objects_;
  bool described_ = false;
  std::map<std::string, Record> fetched_;  // "object/id" → what reads have returned
};

}  // namespace crmscan::hubspot

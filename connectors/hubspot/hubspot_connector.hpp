#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/http.hpp"
#include "crmscan/phone_spellings.hpp"

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

/// The CONTAINS_TOKEN values that find a number written in free text (a call's title or body, a
/// note) whichever way HubSpot splits text into tokens: when the number ends in a group of four
/// digits or more, that group after anything (`*0958`: spaced, dotted, dashed, bracketed,
/// prefixed or line-broken spellings all end a token with it); otherwise its national digits
/// after any prefix (`*622123456`) and its national and international groups as phrases
/// ("622 12 34 56").
std::vector<std::string> phone_text_values(const std::string& e164);

/// A HubSpot account through the CRM v3 API and associations v4, with a private app's access
/// token: contacts, companies, calls, notes and emails found by search on the properties the
/// rule packs name (and the standard ones); records associated with a reached record read
/// through associations, archived ones too. Every request is counted; searches are paced to
/// HubSpot's documented rate; the daily limit is watched through the X-HubSpot-RateLimit
/// headers; throttling waits stay within the `max_wait` budget.
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
  std::vector<std::string> notes() const override;

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

 private:
  /// The properties searched for each kind of identifier.
  struct Searched {
    std::vector<std::string> email, phone, text;
    std::string first_name, last_name;
  };
  struct ObjectInfo {
    std::shared_ptr<const ObjectSchema> schema;
    std::vector<std::string> properties;       // every property, as searches and reads ask
    std::map<std::string, std::size_t> slots;  // property name → field position
    /// The object types its association fields name, with the position of each id field (the
    /// association's type follows it).
    std::vector<std::pair<std::string, std::size_t>> associations;
  };
  /// Associated ids by object type.
  using Links = std::map<std::string, std::vector<std::string>>;

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
  /// page would pass the 10,000-results cap; a body too long for HubSpot asks for ids only (the
  /// records are then read by id) or is split.
  void run_search(const std::string& object, const std::vector<FilterGroup>& groups,
                  const RecordSink& on_record);
  void search_groups(const std::string& object, const std::vector<FilterGroup>& groups,
                     const RecordSink& on_record, const ProblemSink& on_problem);
  /// Waits so that searches keep to HubSpot's documented rate.
  void pace_search();
  /// Batch reads of records by id, 100 at a time; the live ones, or the archived ones.
  void read_by_id(const std::string& object, const std::vector<std::string>& ids, bool archived,
                  const RecordSink& on_record);
  /// Reads records by id whether archived or not: the live ones, then the rest with archived.
  void read_records(const std::string& object, const std::vector<std::string>& ids,
                    const RecordSink& on_record);
  /// The records of `object` associated with records of `from`, archived ones too.
  void read_associated(const std::string& object, const std::string& from,
                       const std::vector<std::string>& parent_ids, const RecordSink& on_record);
  /// Emits a record with its association fields set, once per associated record of the type
  /// with the most (none: once).
  void emit_with_associations(const Record& record, const ObjectInfo& info, const Links& links,
                              const RecordSink& on_record) const;
  /// The properties searched for a kind of identifier in an object, those the rules name
  /// included, that the object has.
  const Searched& searched(const std::string& object, const ObjectInfo& info);

  std::string base_url_;
  std::string token_;
  std::size_t max_api_calls_ = 0;
  std::size_t api_reserve_ = 0;
  std::size_t page_size_ = 100;
  double search_rate_ = 5;  // searches a second; 0: not paced
  std::unique_ptr<HttpClient> http_;
  std::function<void(std::chrono::milliseconds)> pause_;  // waits out a rate-limit window
  std::optional<std::chrono::steady_clock::time_point> last_search_;
  std::map<std::string, ObjectInfo> objects_;
  bool described_ = false;
  std::map<std::string, Record> fetched_;  // "object/id" → what reads have returned
  /// Properties the rule packs name, by object and kind ("email", "phone", "text", "name").
  std::map<std::string, std::map<std::string, std::vector<std::string>>> ruled_;
  std::map<std::string, Searched> searched_;
  std::vector<std::string> notes_;
};

}  // namespace crmscan::hubspot

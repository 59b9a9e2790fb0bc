#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connector_kit.hpp"
#include "crmscan/connector.hpp"
#include "crmscan/error.hpp"
#include "crmscan/http.hpp"
#include "crmscan/rules.hpp"
#include "vcc_content_api.hpp"

namespace crmscan::vcc {

/// The content API refused one request: that lookup is missing from the report, the rest go on.
using ContentApiError = ApiError;
/// The content API cannot be used any more (budget spent, unavailable, sign-in refused): the
/// lookup stops.
using ContentApiStopped = LimitReached;

/// A time range, in seconds since 1970, start included and end excluded.
struct TimeRange {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

/// Vonage Contact Center's Interaction Content API (recordings, voicemails, transcripts and
/// Conversation Analyzer results): OAuth2 client credentials from VCC_CLIENT_ID and
/// VCC_CLIENT_SECRET (or their _FILE forms), the v3 media type, 7-day search windows followed
/// through their continuation tokens, one token renewal on 401, 429 and 5xx waited out by the
/// shared HTTP client, and a request budget. As a connector its objects are Interaction and
/// InteractionContent over the configured range; the content lookup of a CRM scan uses
/// interaction() and search().
class VccContentConnector : public Connector {
 public:
  explicit VccContentConnector(const ConnectorConfig& config, HttpOptions http_options = {});

  static ConnectorDescriptor describe_connector();
  const ConnectorDescriptor& descriptor() const override;
  std::string crm() const override { return "vcc"; }
  std::string source() const override { return base_url_; }
  std::vector<ObjectSchema> describe() override;
  void scan(const std::string& object, const RecordSink& on_record,
            const ProblemSink& on_problem) override;
  std::size_t api_calls() const override { return http_->attempts(); }
  /// The lookup of the content of the calls a CRM's scan finds (ContentLookup).
  std::unique_ptr<Stage> stage(const SubjectSet& subjects, bool show_values) override;

  /// `GET /interactions/{guid}`; nothing when the API has no such interaction (404).
  std::optional<Interaction> interaction(const std::string& guid);
  /// `GET /interactions` filtered on `parameter` (connectFrom or connectTo, a prefix match) over
  /// the range, one request per 7-day window and per page.
  void search(const std::string& parameter, const std::string& value, const TimeRange& range,
              const std::function<void(Interaction&&)>& on_interaction);
  /// The range of --since/--until, when both were given.
  const std::optional<TimeRange>& range() const { return range_; }
  /// The fields of CRM records that hold call GUIDs (globs).
  const std::vector<NamePattern>& guid_fields() const { return guid_fields_; }
  /// The 7-day windows that cover a range, in order.
  static std::vector<TimeRange> windows(const TimeRange& range);

 private:
  /// One API request with a token, renewed once on 401; counted against the budget.
  HttpResponse call(const std::string& path_and_query);
  void sign_in();
  void check_budget() const;

  std::string token_url_;
  std::string base_url_;
  std::string scope_;
  std::size_t page_size_ = kMaxPageSize;
  std::size_t max_api_calls_ = 0;
  std::optional<TimeRange> range_;
  std::vector<NamePattern> guid_fields_;
  std::unique_ptr<HttpClient> http_;
  std::string access_token_;
  std::int64_t token_expires_ = 0;  // seconds since 1970
};

}  // namespace crmscan::vcc

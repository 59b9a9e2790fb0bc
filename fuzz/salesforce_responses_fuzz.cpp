// The Salesforce connector reading whatever a server answers: a fake org on loopback answers the
// n-th API call with the n-th part of the input, and a subject scan and a full read run through
// it. Every outcome is findings or errors in the report, never a crash, a hang or an exception.
//
// The input is parts separated by a line "--". A part may begin with lines that set the answer's
// status ("status 401"), Sforce-Limit-Info ("limit api-usage=10/15000"), Sforce-Locator
// ("locator 2") and Retry-After ("retry-after 1"); the rest is the body.
#include <httplib.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/error.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/subject.hpp"
#include "salesforce_connector.hpp"

namespace {

struct Answer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

Answer parse_answer(std::string_view part) {
  Answer answer;
  static constexpr std::pair<std::string_view, std::string_view> kHeaderLines[] = {
      {"limit ", "Sforce-Limit-Info"},
      {"locator ", "Sforce-Locator"},
      {"retry-after ", "Retry-After"}};
  for (bool more = true; more;) {
    more = false;
    const auto end = part.find('\n');
    if (end == std::string_view::npos) break;
    const auto line = part.substr(0, end);
    if (line.starts_with("status ") && line.size() == 10) {
      const auto digits = line.substr(7);
      if (digits.find_first_not_of("0123456789") == std::string_view::npos && digits[0] != '0') {
        answer.status = std::stoi(std::string(digits));
        more = true;
      }
    }
    for (const auto& [prefix, header] : kHeaderLines) {
      if (line.starts_with(prefix)) {
        answer.headers.emplace_back(header, std::string(line.substr(prefix.size())));
        more = true;
      }
    }
    if (more) part.remove_prefix(end + 1);
  }
  answer.body = std::string(part);
  return answer;
}

// Serves the answers of the current input in turn, then 404s.
class FakeOrg {
 public:
  FakeOrg() {
    server_.Get(".*",
                [this](const httplib::Request&, httplib::Response& response) { answer(response); });
    server_.Post(
        ".*", [this](const httplib::Request&, httplib::Response& response) { answer(response); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    std::thread([this] { server_.listen_after_bind(); }).detach();
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void serve(std::string_view input) {
    std::lock_guard lock(mutex_);
    answers_.clear();
    next_ = 0;
    for (std::size_t start = 0;;) {
      const auto end = input.find("\n--\n", start);
      answers_.push_back(parse_answer(input.substr(start, end - start)));
      if (end == std::string_view::npos) break;
      start = end + 4;
    }
  }

 private:
  void answer(httplib::Response& response) {
    std::lock_guard lock(mutex_);
    if (next_ >= answers_.size()) {
      response.status = 404;
      response.set_content(R"([{"message":"gone","errorCode":"NOT_FOUND"}])", "application/json");
      return;
    }
    const auto& answer = answers_[next_++];
    response.status = answer.status;
    for (const auto& [name, value] : answer.headers) response.set_header(name, value);
    response.set_content(answer.body, "application/json;charset=UTF-8");
  }

  httplib::Server server_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<Answer> answers_;
  std::size_t next_ = 0;
};

FakeOrg& fake_org() {
  // Lives as long as the process: the server thread is never joined.
  static auto* org = [] {
    auto* created = new FakeOrg;
    setenv("SF_ACCESS_TOKEN", "00Dfuzz!token", 1);
    setenv("SF_INSTANCE_URL", created->url().c_str(), 1);
    return created;
  }();
  return *org;
}

const crmscan::RuleSet& rules() {
  static const auto kRules = crmscan::RuleSet::load({CRMSCAN_SOURCE_DIR "/rules/salesforce"});
  return kRules;
}

const crmscan::SubjectSet& subjects() {
  static const crmscan::SubjectSet kSubjects({{"R1",
                                               {"amelie.dubois@example.fr"},
                                               {"+44 20 7946 0958"},
                                               {"Amélie Dubois"},
                                               {"0035g00000QxB7kAAF"},
                                               "fuzz"}},
                                             "GB");
  return kSubjects;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& org = fake_org();
  crmscan::HttpOptions http;
  http.max_retries = 1;
  http.sleep = [](std::chrono::milliseconds) {};
  http.total_timeout = std::chrono::milliseconds(5000);
  const crmscan::ConnectorConfig config{{"login_url", org.url()}, {"auth", "token"},
                                        {"api_version", "60.0"},  {"max_api_calls", "24"},
                                        {"api_reserve", "1000"},  {"batch_size", "200"},
                                        {"bulk_threshold", "1"}};
  for (const bool full_read : {false, true}) {
    org.serve(std::string_view(reinterpret_cast<const char*>(data), size));
    crmscan::salesforce::SalesforceConnector connector(config, http);
    crmscan::ScanOptions options;
    options.full_read = full_read;
    try {
      crmscan::run_scan(connector, rules(), subjects(), options);
    } catch (const crmscan::Error&) {
      // Failures that end a scan (limits, sign-in) are Errors that main turns into exit 2.
    }
  }
  return 0;
}

// The template connector against its emulator: what a scan of the export finds, faults included.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "connector_test_kit.hpp"
#include "template_connector.hpp"
#include "template_emulator.hpp"

using namespace crmscan::testkit;

namespace crmscan {
ConnectorEntry crmscan_connector_template();
}

namespace {

const Sample sample{"crm-lite", "crm-lite", "crm-lite"};

struct Api {
  crmscan::templemu::Emulator emulator{kSource + "/samples/crm-lite", "template-token"};
  Environment token{{"TEMPLATE_TOKEN"}, {{"TEMPLATE_TOKEN", "template-token"}}};
  Api() { emulator.start(); }
  crmscan::Report scan() {
    crmscan::templ::TemplateConnector connector({{"base_url", emulator.base_url()}}, no_waiting());
    return run_scan(connector, sample.rules(), sample.subjects(), {});
  }
};

}  // namespace

TEST_CASE("The template connector finds what a scan of the export finds, 503s retried",
          "[template]") {
  Api api;
  REQUIRE(sample.file_report().complete());
  REQUIRE_FALSE(sample.file_report().findings.empty());
  crmscan::templemu::Faults faults;
  faults.unavailable = {2, 3};
  api.emulator.set_faults(faults);
  sample.require_same_as_file(api.scan());
}

TEST_CASE("The template connector says what it could not read", "[template]") {
  Api api;
  crmscan::templemu::Faults faults;
  faults.malformed_json_at = 3;  // a page of records cut short
  api.emulator.set_faults(faults);
  const auto report = api.scan();
  CHECK_FALSE(report.complete());
  CHECK_THAT(errors_of(report), Catch::Contains("not valid JSON"));
  const auto entry = crmscan::crmscan_connector_template();
  CHECK_THROWS_AS(entry.create({{"base_url", api.emulator.base_url()}, {"max_api_calls", "x"}}),
                  crmscan::ConfigError);
}

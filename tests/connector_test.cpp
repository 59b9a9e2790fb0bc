// The file connector (CSV, JSON and NDJSON exports) and the connector registry.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/error.hpp"
#include "file_connector.hpp"
#include "support.hpp"

using crmscan::ConnectorConfig;
using crmscan::Record;
using namespace crmscan::test;
namespace fs = std::filesystem;

namespace {

struct Scanned {
  std::vector<Record> records;
  std::vector<std::string> problems;
};

Scanned scan_object(crmscan::Connector& connector, const std::string& object) {
  Scanned scanned;
  connector.scan(
      object, [&](const Record& record) { scanned.records.push_back(record); },
      [&](const std::string& where, const std::string& message) {
        scanned.problems.push_back(where + ": " + message);
      });
  return scanned;
}

std::string text(const Record& record, const std::string& field) {
  return crmscan::value_text(record.get(field));
}

std::unique_ptr<crmscan::Connector> file_connector(const std::string& input,
                                                   ConnectorConfig config = {}) {
  config["input"] = input;
  return crmscan::create_connector("file", config);
}

}  // namespace

TEST_CASE("The file connector reads a Salesforce export folder, one object per CSV file",
          "[connector][file]") {
  auto connector = file_connector(source_path("tests/fixtures/small-export"));
  CHECK(connector->crm() == "salesforce");
  CHECK(connector->descriptor().name == "file");
  const auto schemas = connector->describe();
  REQUIRE(schemas.size() == 2);
  CHECK(schemas[0].object == "Contact");
  CHECK(schemas[1].object == "Task");
  REQUIRE_FALSE(schemas[0].fields.empty());
  CHECK(schemas[0].fields[0].name == "Id");  // the byte-order mark is not part of the name

  const auto contacts = scan_object(*connector, "Contact");
  CHECK(contacts.problems.empty());
  REQUIRE(contacts.records.size() == 3);
  CHECK(contacts.records[0].id == "0035g00000QxB7kAAF");
  CHECK(text(contacts.records[0], "FirstName") == "Am\xC3\xA9lie");
  CHECK(text(contacts.records[0], "email") == " Amelie.Dubois@Example.FR ");
  CHECK(contacts.records[0].location() == "Contact.csv:2");
  CHECK(contacts.records[2].location() == "Contact.csv:4");

  const auto tasks = scan_object(*connector, "Task");
  REQUIRE(tasks.records.size() == 3);
  CHECK(text(tasks.records[0], "Description") == "Asked about\r\nher order");
  CHECK(tasks.records[1].location() == "Task.csv:4");
}

TEST_CASE("The file connector reports a malformed row by file and line and reads the others",
          "[connector][file]") {
  const TempDir dir;
  fs::copy(source_path("tests/fixtures/small-export"), dir.path(), fs::copy_options::recursive);
  write_file(dir / "Lead.csv",
             "Id,Email,Phone\n"
             "00Q5g00001vUki0EAC,tomas.garcia@example.com,07700 900456\n"
             "00Q5g00001vZWZTEA4,stranger@example.com\n"
             "00Q5g00001vZWZUEA4,\"other@example.com\"x,07700 900451\n"
             "00Q5g00001vZWZVEA4,last@example.com,07700 900452\n");
  auto connector = file_connector(dir.path().string());
  const auto leads = scan_object(*connector, "Lead");
  REQUIRE(leads.records.size() == 2);
  CHECK(leads.records[0].id == "00Q5g00001vUki0EAC");
  CHECK(leads.records[1].id == "00Q5g00001vZWZVEA4");
  REQUIRE(leads.problems.size() == 2);
  CHECK_THAT(leads.problems[0], Catch::Contains("Lead.csv:3"));
  CHECK_THAT(leads.problems[1], Catch::Contains("Lead.csv:4"));
}

TEST_CASE("The file connector reads Latin-1 exports when told", "[connector][file]") {
  const TempDir dir;
  write_file(dir / "Contact.csv", "Id,LastName\n0035g00000QxB7kAAF,Am\xE9lie\n");
  auto connector = file_connector(dir.path().string(), {{"encoding", "latin1"}});
  const auto contacts = scan_object(*connector, "Contact");
  REQUIRE(contacts.records.size() == 1);
  CHECK(text(contacts.records[0], "LastName") == "Am\xC3\xA9lie");
}

TEST_CASE("The file connector reads JSON record files, flattening nested objects",
          "[connector][file]") {
  const TempDir dir;
  write_file(dir / "Lead.json",
             R"({"totalSize": 2, "done": true, "records": [
  {"attributes": {"type": "Lead", "url": "/x"}, "Id": "00Q5g00001vUki0EAC",
   "Email": "tomas.garcia@example.com", "IsConverted": true, "Owner": {"Name": "Agent Smith"}},
  {"Id": "00Q5g00001vZWZTEA4", "Email": "stranger@example.com", "NumberOfEmployees": 12}
]})");
  auto connector = file_connector(dir.path().string());
  const auto leads = scan_object(*connector, "Lead");
  CHECK(leads.problems.empty());
  REQUIRE(leads.records.size() == 2);
  CHECK(leads.records[0].id == "00Q5g00001vUki0EAC");
  CHECK(text(leads.records[0], "Email") == "tomas.garcia@example.com");
  CHECK(text(leads.records[0], "IsConverted") == "true");
  CHECK(text(leads.records[0], "Owner.Name") == "Agent Smith");
  CHECK_FALSE(leads.records[0].schema->index_of("attributes.type"));
  CHECK_FALSE(leads.records[0].schema->index_of("type"));
  CHECK(leads.records[1].id == "00Q5g00001vZWZTEA4");
  CHECK(text(leads.records[1], "NumberOfEmployees") == "12");
}

TEST_CASE("The file connector reads NDJSON and reports a bad line by file and line",
          "[connector][file]") {
  const TempDir dir;
  write_file(dir / "Case.ndjson",
             "{\"Id\": \"5005g0000IgZvTdAQK\", \"SuppliedEmail\": \"tomas.garcia@example.com\"}\n"
             "\n"
             "{\"Id\": \"5005g0000IgZvTeAQK\", \"SuppliedEmail\": \n"
             "{\"Id\": \"5005g0000IgZvTfAQK\", \"Tags\": [\"a\", \"b\"]}\n");
  auto connector = file_connector(dir.path().string());
  const auto cases = scan_object(*connector, "Case");
  REQUIRE(cases.records.size() == 2);
  CHECK(cases.records[0].location() == "Case.ndjson:1");
  CHECK(text(cases.records[0], "SuppliedEmail") == "tomas.garcia@example.com");
  CHECK(cases.records[1].id == "5005g0000IgZvTfAQK");
  CHECK(cases.records[1].location() == "Case.ndjson:4");
  REQUIRE(cases.problems.size() == 1);
  CHECK_THAT(cases.problems[0], Catch::Contains("Case.ndjson:3"));
}

TEST_CASE("The file connector builds NDJSON records whatever order their keys come in",
          "[connector][file]") {
  const TempDir dir;
  write_file(dir / "Contact.ndjson",
             "{\"Id\": \"1\", \"Email\": \"a@example.com\", \"Phone\": \"01\"}\n"
             "{\"Phone\": \"02\", \"Id\": \"2\", \"Email\": \"b@example.com\"}\n"
             "{\"Id\": \"3\", \"Tags\": [\"x\", 7, \"y\"], \"Email\": \"c@example.com\", "
             "\"Email\": \"d@example.com\", \"Owner\": {\"Name\": \"N\"}, \"Score\": 1.5, "
             "\"Ok\": true, \"Gone\": null}\n"
             "{\"Id\": \"4\", \"Score\": \"\", \"Score\": 2}\n");
  auto connector = file_connector(dir.path().string());
  const auto contacts = scan_object(*connector, "Contact");
  CHECK(contacts.problems.empty());
  REQUIRE(contacts.records.size() == 4);
  CHECK(text(contacts.records[0], "Phone") == "01");
  CHECK(text(contacts.records[1], "Id") == "2");
  CHECK(text(contacts.records[1], "Phone") == "02");
  CHECK(text(contacts.records[1], "Email") == "b@example.com");
  // A record read before a new key keeps the fields it was read with.
  CHECK_FALSE(contacts.records[1].schema->index_of("Tags"));
  const auto& third = contacts.records[2];
  CHECK(third.id == "3");
  CHECK(text(third, "Tags") == "x; y");
  CHECK(text(third, "Email") == "c@example.com; d@example.com");
  CHECK(text(third, "Owner.Name") == "N");
  CHECK(text(third, "Score") == "1.5");
  CHECK(text(third, "Ok") == "true");
  CHECK(std::holds_alternative<std::monostate>(third.get("Gone")));
  CHECK(std::holds_alternative<std::monostate>(third.get("Phone")));
  // An empty string is replaced by the value after it, not joined to it.
  CHECK(text(contacts.records[3], "Score") == "2");
  CHECK(std::holds_alternative<std::monostate>(contacts.records[3].get("Email")));
}

TEST_CASE("Connector configuration is checked against the connector's options",
          "[connector][file]") {
  const TempDir dir;
  CHECK_THROWS_AS(crmscan::create_connector("file", {}), crmscan::UsageError);
  CHECK_THROWS_AS(file_connector(source_path("tests/fixtures/small-export"), {{"colour", "blue"}}),
                  crmscan::ConfigError);
  CHECK_THROWS_AS(
      file_connector(source_path("tests/fixtures/small-export"), {{"encoding", "ebcdic"}}),
      crmscan::ConfigError);
  CHECK_THROWS_AS(file_connector(dir / "does-not-exist"), crmscan::MissingInputError);
  CHECK_THROWS_AS(file_connector(dir.path().string()),
                  crmscan::MissingInputError);  // nothing to read
  CHECK_THROWS_AS(crmscan::create_connector("nosuch", {}), crmscan::UsageError);
  CHECK(file_connector(source_path("tests/fixtures/small-export"), {{"crm", "crm-lite"}})->crm() ==
        "crm-lite");
}

TEST_CASE("Every connector folder is a registered connector", "[connector]") {
  std::set<std::string> folders;
  for (const auto& entry : fs::directory_iterator(source_path("connectors"))) {
    if (entry.is_directory() && fs::exists(entry.path() / "CMakeLists.txt")) {
      folders.insert(entry.path().filename().string());
    }
  }
  std::set<std::string> registered;
  for (const auto& entry : crmscan::connector_registry())
    registered.insert(entry.descriptor().name);
  CHECK_FALSE(folders.empty());
  CHECK(folders == registered);
  CHECK(registered.count("file") == 1);
}

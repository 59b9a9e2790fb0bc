// Requests: how the identifiers a user gives are normalised and read from subjects files.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "crmscan/error.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/subject.hpp"
#include "support.hpp"

using crmscan::DataError;
using crmscan::MissingInputError;
using crmscan::SubjectRequest;
using crmscan::SubjectSet;
using namespace crmscan::test;
using Strings = std::vector<std::string>;

TEST_CASE("SubjectSet normalises each identifier of a request", "[subjects]") {
  SubjectRequest request;
  request.request_id = "REQ-1";
  request.emails = {" Amelie.Dubois@Example.FR ", "amelie.dubois@example.fr"};
  request.phones = {"020 7946 0958", "+44 20 7946 0958"};
  request.names = {"Am\xC3\xA9lie  DUBOIS"};
  request.ids = {"0035g00000QxB7k"};
  request.source = "subjects.csv:2";
  const SubjectSet subjects({request}, "GB");

  REQUIRE(subjects.subjects().size() == 1);
  const auto& subject = subjects.subjects()[0];
  CHECK(subject.request_id == "REQ-1");
  CHECK(subject.emails == Strings{"amelie.dubois@example.fr"});
  CHECK(subject.phones == Strings{"+442079460958"});
  CHECK(subject.names == Strings{"amelie dubois"});
  CHECK(subject.ids == Strings{*crmscan::salesforce_id_key("0035g00000QxB7kAAF")});

  REQUIRE(subjects.by_email("amelie.dubois@example.fr") != nullptr);
  CHECK(*subjects.by_email("amelie.dubois@example.fr") == std::vector<crmscan::SubjectIndex>{0});
  CHECK(subjects.by_phone("+442079460958") != nullptr);
  CHECK(subjects.by_name("amelie dubois") != nullptr);
  CHECK(subjects.by_id(crmscan::record_id_key("0035g00000QxB7kAAF")) != nullptr);
  CHECK(subjects.by_email("tomas.garcia@example.com") == nullptr);
  CHECK(subjects.by_id(crmscan::record_id_key("0035g00000qXb7KAAS")) == nullptr);
}

TEST_CASE("SubjectSet reads national numbers in the regions of the subjects' own numbers",
          "[subjects]") {
  const SubjectSet subjects({{"REQ-1003", {}, {"+1 415 555 0132"}, {}, {}, "command line"}}, "GB");
  const auto& regions = subjects.phones().regions();
  CHECK(std::find(regions.begin(), regions.end(), "GB") != regions.end());
  CHECK(std::find(regions.begin(), regions.end(), "US") != regions.end());
  std::vector<std::string> found;
  subjects.phones().find_in_text("Call back on (415) 555-0132", found);
  CHECK(std::find(found.begin(), found.end(), "+14155550132") != found.end());
}

TEST_CASE("SubjectSet rejects an identifier it cannot read, naming the request's source",
          "[subjects]") {
  SECTION("phone") {
    const SubjectRequest request{"REQ-9", {}, {"call me maybe"}, {}, {}, "subjects.csv:4"};
    REQUIRE_THROWS_AS(SubjectSet({request}, "GB"), DataError);
    // The message names where the request is, not the identifier itself.
    REQUIRE_THROWS_WITH(SubjectSet({request}, "GB"),
                        Catch::Contains("subjects.csv:4") && Catch::Contains("REQ-9") &&
                            Catch::Contains("phone") && !Catch::Contains("call me maybe"));
  }
  SECTION("national phone number without a region") {
    const SubjectRequest request{"REQ-9", {}, {"020 7946 0958"}, {}, {}, "command line"};
    REQUIRE_THROWS_WITH(SubjectSet({request}, ""),
                        Catch::Contains("command line") && Catch::Contains("--default-region"));
  }
  SECTION("email") {
    const SubjectRequest request{"REQ-9", {"amelie.dubois"}, {}, {}, {}, "subjects.yaml:7:3"};
    REQUIRE_THROWS_WITH(SubjectSet({request}, "GB"),
                        Catch::Contains("subjects.yaml:7:3") && Catch::Contains("REQ-9") &&
                            Catch::Contains("email") && !Catch::Contains("amelie.dubois"));
  }
  SECTION("nothing to look for") {
    const SubjectRequest request{"REQ-9", {}, {}, {}, {}, "subjects.csv:5"};
    REQUIRE_THROWS_AS(SubjectSet({request}, "GB"), DataError);
  }
}

TEST_CASE("load_subjects_file reads a CSV file, merging rows of one request", "[subjects]") {
  const TempDir dir;
  const auto path = dir / "subjects.csv";
  write_file(path,
             "request_id,email,phone,name,id\r\n"
             "REQ-1,a.one@example.com; a.two@example.com,+44 20 7946 0958,Ann One,\r\n"
             "REQ-2,bee@example.com,,\"Bee, Two\",0035g00000QxB7kAAF\r\n"
             "REQ-1,,07700 900123;+44 20 7946 0958,,\r\n");
  const auto requests = crmscan::load_subjects_file(path);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].request_id == "REQ-1");
  CHECK(requests[0].emails == Strings{"a.one@example.com", "a.two@example.com"});
  CHECK(requests[0].phones == Strings{"+44 20 7946 0958", "07700 900123"});
  CHECK(requests[0].names == Strings{"Ann One"});
  CHECK(requests[0].source == path + ":2");
  CHECK(requests[1].request_id == "REQ-2");
  CHECK(requests[1].names == Strings{"Bee, Two"});
  CHECK(requests[1].ids == Strings{"0035g00000QxB7kAAF"});
  CHECK(requests[1].source == path + ":3");
}

TEST_CASE("load_subjects_file rejects a CSV row it cannot read, naming file and line",
          "[subjects]") {
  const TempDir dir;
  const auto path = dir / "subjects.csv";
  SECTION("unknown column") {
    write_file(path, "request_id,mail\nREQ-1,a@example.com\n");
    REQUIRE_THROWS_AS(crmscan::load_subjects_file(path), DataError);
    REQUIRE_THROWS_WITH(crmscan::load_subjects_file(path),
                        Catch::Contains(path + ":1") && Catch::Contains("mail"));
  }
  SECTION("wrong number of values") {
    write_file(path, "request_id,email\nREQ-1,a@example.com\nREQ-2,b@example.com,extra\n");
    REQUIRE_THROWS_WITH(crmscan::load_subjects_file(path), Catch::Contains(path + ":3"));
  }
}

TEST_CASE("load_subjects_file reads a YAML list of requests, strings or lists", "[subjects]") {
  const TempDir dir;
  const auto path = dir / "subjects.yaml";
  write_file(path,
             "# two requests\n"
             "- request_id: REQ-1\n"
             "  email: a.one@example.com\n"
             "  phone: [\"+44 20 7946 0958\", \"07700 900123\"]\n"
             "  name: Ann One\n"
             "- request_id: REQ-2\n"
             "  email:\n"
             "    - bee@example.com\n"
             "    - b.two@example.org\n"
             "  id: 0035g00000QxB7kAAF\n");
  const auto requests = crmscan::load_subjects_file(path);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].request_id == "REQ-1");
  CHECK(requests[0].emails == Strings{"a.one@example.com"});
  CHECK(requests[0].phones == Strings{"+44 20 7946 0958", "07700 900123"});
  CHECK(requests[0].names == Strings{"Ann One"});
  CHECK(requests[1].request_id == "REQ-2");
  CHECK(requests[1].emails == Strings{"bee@example.com", "b.two@example.org"});
  CHECK(requests[1].ids == Strings{"0035g00000QxB7kAAF"});
  CHECK_THAT(requests[1].source, Catch::StartsWith(path + ":6"));
}

TEST_CASE("load_subjects_file rejects an unknown YAML key, naming file and line", "[subjects]") {
  const TempDir dir;
  const auto path = dir / "subjects.yaml";
  write_file(path,
             "- request_id: REQ-1\n"
             "  email: a.one@example.com\n"
             "- request_id: REQ-2\n"
             "  emial: bee@example.com\n");
  REQUIRE_THROWS_AS(crmscan::load_subjects_file(path), DataError);
  REQUIRE_THROWS_WITH(crmscan::load_subjects_file(path),
                      Catch::Contains(path + ":4") && Catch::Contains("emial"));
}

TEST_CASE("load_subjects_file reports a missing file as missing input", "[subjects]") {
  const TempDir dir;
  REQUIRE_THROWS_AS(crmscan::load_subjects_file(dir / "absent.csv"), MissingInputError);
  REQUIRE_THROWS_AS(crmscan::load_subjects_file(dir / "absent.yaml"), MissingInputError);
  REQUIRE_THROWS_WITH(crmscan::load_subjects_file(dir / "absent.csv"),
                      Catch::Contains(dir / "absent.csv"));
}

TEST_CASE("The shipped sample subjects files hold the same requests", "[subjects]") {
  const auto csv = crmscan::load_subjects_file(
      crmscan::test::source_path("samples/salesforce-expected/subjects.csv"));
  const auto yaml = crmscan::load_subjects_file(
      crmscan::test::source_path("samples/salesforce-expected/subjects.yaml"));
  REQUIRE(csv.size() == yaml.size());
  for (std::size_t i = 0; i < csv.size(); ++i) {
    CHECK(csv[i].request_id == yaml[i].request_id);
    CHECK(csv[i].emails == yaml[i].emails);
    CHECK(csv[i].phones == yaml[i].phones);
    CHECK(csv[i].names == yaml[i].names);
    CHECK(csv[i].ids == yaml[i].ids);
  }
}

TEST_CASE("load_subjects_file skips rows whose cells are all empty, as spreadsheets write them",
          "[subjects]") {
  const TempDir dir;
  const auto path = dir / "subjects.csv";
  write_file(path,
             "request_id,email,phone,name,id\r\n"
             "REQ-1,a.one@example.com,,,\r\n"
             ",,,,\r\n"
             "REQ-2,bee@example.com,,,\r\n"
             ",,,,\r\n");
  std::vector<SubjectRequest> requests;
  REQUIRE_NOTHROW(requests = crmscan::load_subjects_file(path));
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].request_id == "REQ-1");
  CHECK(requests[1].request_id == "REQ-2");
  CHECK_NOTHROW(SubjectSet(requests, "GB"));
}

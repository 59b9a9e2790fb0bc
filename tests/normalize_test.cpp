// Normalisation of the identifiers a request is matched by: emails, names, Salesforce ids and
// phone numbers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "crmscan/normalize.hpp"

using crmscan::fold_name;
using crmscan::normalize_email;
using crmscan::PhoneNormalizer;
using crmscan::salesforce_id18;
using crmscan::salesforce_id_key;

namespace {

std::vector<std::string> numbers_in(const PhoneNormalizer& phones, const std::string& text) {
  std::vector<std::string> found;
  phones.find_in_text(text, found);
  return found;
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

TEST_CASE("normalize_email trims and case-folds an address", "[normalize]") {
  CHECK(normalize_email(" Amelie.Dubois@Example.FR ") == "amelie.dubois@example.fr");
  CHECK(normalize_email("\tTOMAS.GARCIA@EXAMPLE.COM\r\n") == "tomas.garcia@example.com");
  CHECK(normalize_email("amelie.dubois@example.fr") == "amelie.dubois@example.fr");
}

TEST_CASE("normalize_email rejects what is not one address", "[normalize]") {
  CHECK_FALSE(normalize_email(""));
  CHECK_FALSE(normalize_email("   "));
  CHECK_FALSE(normalize_email("Amelie Dubois"));
  CHECK_FALSE(normalize_email("amelie.dubois.example.fr"));
  CHECK_FALSE(normalize_email("@example.fr"));
  CHECK_FALSE(normalize_email("amelie@"));
  CHECK_FALSE(normalize_email("a@b@example.fr"));
  CHECK_FALSE(normalize_email("amelie dubois@example.fr"));
  CHECK_FALSE(normalize_email("a@example.fr, b@example.fr"));
  CHECK_FALSE(normalize_email("a@example.fr;b@example.fr"));
}

TEST_CASE("fold_name folds case and accents and joins words with single spaces", "[normalize]") {
  CHECK(fold_name("Am\xC3\xA9lie  DUBOIS") == "amelie dubois");
  CHECK(fold_name("Siobh\xC3\xA1n O'Neill") == "siobhan oneill");
  CHECK(fold_name("Siobh\xC3\xA1n O\xE2\x80\x99Neill") == "siobhan oneill");
  CHECK(fold_name("  Tom\xC3\xA1s   Garc\xC3\xAD"
                  "a ") == "tomas garcia");
  CHECK(fold_name("Jean-Luc Picard") == "jean luc picard");
  CHECK(fold_name("Bj\xC3\xB6rn Svensson") == fold_name("BJORN svensson"));
  CHECK(fold_name("Amelie Dubois") != fold_name("Amelie Dupont"));
}

TEST_CASE("salesforce_id18 appends the case-safe checksum", "[normalize]") {
  CHECK(salesforce_id18("001M000000qfPyS") == "001M000000qfPySIAU");
  CHECK(salesforce_id18("a0RE000000IJmcN") == "a0RE000000IJmcNMAT");
  CHECK(salesforce_id18("001M000000qfPySIAU") == "001M000000qfPySIAU");
}

TEST_CASE("salesforce_id_key makes 15- and 18-character ids of one record equal", "[normalize]") {
  const auto key15 = salesforce_id_key("001M000000qfPyS");
  const auto key18 = salesforce_id_key("001M000000qfPySIAU");
  REQUIRE(key15);
  REQUIRE(key18);
  CHECK(*key15 == *key18);
  // The checksum of an 18-character id is not case-sensitive.
  CHECK(salesforce_id_key("001M000000qfPySiau") == key18);
  CHECK(salesforce_id_key("a0RE000000IJmcN") == salesforce_id_key("a0RE000000IJmcNMAT"));
}

TEST_CASE("salesforce_id_key tells apart 15-character ids that differ only in case",
          "[normalize]") {
  // Two different Contacts of the sample export.
  const auto subject = salesforce_id_key("0035g00000QxB7k");
  const auto namesake = salesforce_id_key("0035g00000qXb7K");
  REQUIRE(subject);
  REQUIRE(namesake);
  CHECK(*subject != *namesake);
  CHECK(*subject == *salesforce_id_key("0035g00000QxB7kAAF"));
  CHECK(*namesake == *salesforce_id_key("0035g00000qXb7KAAS"));
}

TEST_CASE("salesforce_id_key rejects text that is not shaped like an id", "[normalize]") {
  CHECK_FALSE(salesforce_id_key("001M000000qfPySAAA"));  // wrong checksum
  CHECK_FALSE(salesforce_id_key("001M000000qfPySIAV"));
  CHECK_FALSE(salesforce_id_key("Representatives"));     // 15 letters, no digit
  CHECK_FALSE(salesforce_id_key("Internationalising"));  // 18 letters, no digit
  CHECK_FALSE(salesforce_id_key("001M000000qfPy"));      // 14 characters
  CHECK_FALSE(salesforce_id_key("001M000000qfPySI"));    // 16 characters
  CHECK_FALSE(salesforce_id_key("001M000000-fPyS"));
  CHECK_FALSE(salesforce_id_key(""));
}

TEST_CASE("PhoneNormalizer reads a national number in its region as E.164", "[normalize]") {
  const PhoneNormalizer phones({"GB"});
  CHECK(phones.parse("020 7946 0958", "GB") == "+442079460958");
  CHECK(phones.parse("+44 20 7946 0958", "GB") == "+442079460958");
  CHECK(phones.parse_all("020 7946 0958") == std::vector<std::string>{"+442079460958"});
  CHECK_FALSE(phones.parse("not a number", "GB"));
  CHECK(PhoneNormalizer::region_of("+442079460958") == "GB");
}

TEST_CASE("PhoneNormalizer finds a number written in free text in any usual form", "[normalize]") {
  const PhoneNormalizer phones({"GB"});
  CHECK(contains(numbers_in(phones, "Inbound call from 020 7946 0958"), "+442079460958"));
  CHECK(
      contains(numbers_in(phones, "Call back on +44 (0)20 7946 0958 after 5pm"), "+442079460958"));
  CHECK(contains(numbers_in(phones, "Outbound call to 0044 20 7946 0958"), "+442079460958"));
  CHECK(contains(numbers_in(phones, "Number: +442079460958."), "+442079460958"));
}

TEST_CASE("PhoneNormalizer does not take digits inside a longer number for a phone number",
          "[normalize]") {
  const PhoneNormalizer phones({"GB"});
  CHECK_FALSE(contains(numbers_in(phones, "Order ref 4402079460958123 shipped"), "+442079460958"));
  CHECK_FALSE(contains(numbers_in(phones, "Order ref 4402079460958123 shipped"), "+4402079460958"));
  // One digit off is another person's number.
  CHECK_FALSE(contains(numbers_in(phones, "Inbound call from 020 7946 0959"), "+442079460958"));
}

TEST_CASE("PhoneNormalizer reads US numbers in region US", "[normalize]") {
  const PhoneNormalizer phones({"US"});
  CHECK(phones.parse("(415) 555-0132", "US") == "+14155550132");
  CHECK(contains(numbers_in(phones, "Left a voicemail at (415) 555-0132 today"), "+14155550132"));
  // The same digits read in GB are not that number.
  CHECK(PhoneNormalizer({"GB"}).parse("(415) 555-0132", "GB") != "+14155550132");
}

TEST_CASE("A national number is not also read as a call abroad from another region",
          "[normalize]") {
  const crmscan::PhoneNormalizer both({"GB", "US"});
  // 011 is how the US dials out: read in the US, a Sheffield number would become +44 960712.
  CHECK(both.parse_all("0114 496 0712") == std::vector<std::string>{"+441144960712"});
  // A number only the US reads, dialled out of the US, is still read.
  CHECK(both.parse_all("011 44 20 7946 0404") == std::vector<std::string>{"+442079460404"});
  // Ten digits are a national number in both regions: both readings stay.
  CHECK(both.parse_all("2079460404").size() == 2);
}

TEST_CASE("National numbers and regions come from the calling code of an E.164 number",
          "[normalize]") {
  using crmscan::PhoneNormalizer;
  CHECK(PhoneNormalizer::national_number("+12125550123") == "2125550123");
  CHECK(PhoneNormalizer::national_number("+390612345678") == "0612345678");
  CHECK(PhoneNormalizer::national_number("+3531234567") == "1234567");
  CHECK(PhoneNormalizer::national_number("not a number").empty());
  CHECK(PhoneNormalizer::region_of("+33612345678") == "FR");
  CHECK(PhoneNormalizer::region_of("+12125550123") == "US");
  CHECK(PhoneNormalizer::region_of("+999") == "ZZ");
}

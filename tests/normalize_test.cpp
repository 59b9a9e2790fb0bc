// Normalisation of the identifiers a request is matched by: emails, names, Salesforce ids and
// phone numbers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <thread>
#include <utility>
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

namespace {

// The readings of a text, by E.164 form.
std::vector<crmscan::PhoneReading> readings_in(const std::vector<std::string>& regions,
                                               const std::string& text) {
  std::vector<crmscan::PhoneReading> found;
  PhoneNormalizer(regions).read_in_text(text, regions, found);
  return found;
}

const crmscan::PhoneReading* reading_of(const std::vector<crmscan::PhoneReading>& readings,
                                        const std::string& e164) {
  for (const auto& reading : readings) {
    if (reading.e164 == e164) return &reading;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("A reading says whether the value can be no other number", "[normalize][phone]") {
  const PhoneNormalizer phones({"GB"});
  const auto london = phones.read_all("020 7946 0958", {"GB"});
  REQUIRE(london.size() == 1);
  CHECK(london[0].e164 == "+442079460958");
  CHECK(london[0].valid);
  CHECK_FALSE(london[0].international);
  CHECK(london[0].certain);
  // Ofcom's drama mobiles are in no range libphonenumber knows as allocated: written nationally
  // the value is not certain, written with its country code it is.
  const auto national = phones.read_all("07700 900123", {"GB"});
  REQUIRE(national.size() == 1);
  CHECK_FALSE(national[0].valid);
  CHECK_FALSE(national[0].certain);
  const auto international = phones.read_all("+44 7700 900123", {"GB"});
  REQUIRE(international.size() == 1);
  CHECK(international[0].international);
  CHECK(international[0].certain);
}

TEST_CASE("A valid reading outweighs readings that are merely possible", "[normalize][phone]") {
  const PhoneNormalizer phones;
  // Read in Britain, "622 12 34 56" is only a possible number; in Spain a valid mobile.
  const auto spanish = phones.read_all("622 12 34 56", {"GB", "ES"});
  REQUIRE(spanish.size() == 1);
  CHECK(spanish[0].e164 == "+34622123456");
  CHECK(spanish[0].certain);
  // In France "06 22 12 34 56" is a valid mobile; Spain has no number written so.
  const auto french = phones.read_all("06 22 12 34 56", {"FR", "ES"});
  REQUIRE(french.size() == 1);
  CHECK(french[0].e164 == "+33622123456");
  CHECK(french[0].certain);
  // Read in Britain and Spain only, it is no one's number for sure.
  const auto unsure = phones.read_all("06 22 12 34 56", {"GB", "ES"});
  REQUIRE(unsure.size() == 1);
  CHECK(unsure[0].e164 == "+44622123456");
  CHECK_FALSE(unsure[0].certain);
  // A French mobile and a Rome landline: two valid numbers, so neither is certain.
  const auto both = phones.read_all("06 22 12 34 56", {"FR", "IT"});
  CHECK(both.size() == 2);
  for (const auto& reading : both) CHECK_FALSE(reading.certain);
}

TEST_CASE("A value starting with 00 is read as an international number in any region",
          "[normalize][phone]") {
  const PhoneNormalizer phones;
  // North America dials abroad with 011, yet 00 is how most of the world writes it.
  const auto berlin = phones.read_all("0049 (0)30 12345678", {"US"});
  REQUIRE(berlin.size() == 1);
  CHECK(berlin[0].e164 == "+493012345678");
  CHECK(berlin[0].certain);
  CHECK(reading_of(readings_in({"US"}, "Call 0049 30 12345678 after 6"), "+493012345678") !=
        nullptr);
}

TEST_CASE("Digits glued to letters are not a phone number", "[normalize][phone]") {
  const PhoneNormalizer phones({"GB"});
  CHECK(readings_in({"GB"}, "Invoice INV442079460958 paid").empty());
  CHECK(readings_in({"US"}, "Parcel 1Z999AA10123456784 delivered").empty());
  CHECK(phones.read_all("INV442079460958", {"GB"}).empty());
  // A letter with an accent glues as well; a space or punctuation does not.
  CHECK(readings_in({"GB"},
                    "R\xC3\xA9"
                    "f\xC3\xA9"
                    "02079460958")
            .empty());
  CHECK(reading_of(readings_in({"GB"}, "T\xC3\xA9l. 020 7946 0958"), "+442079460958") != nullptr);
  CHECK(reading_of(readings_in({"GB"}, "Tel:02079460958"), "+442079460958") != nullptr);
}

TEST_CASE("A number is read where its digits end: one more digit makes it no reading of it",
          "[normalize][phone]") {
  // A record is read again for a number learned later only if seven digits of it end a run of
  // digits there (hold_phone_tails); this is why that misses nothing. Numbers of many
  // countries, written as people type them.
  struct Written {
    std::string region, e164, text;
  };
  const std::vector<Written> numbers{
      {"GB", "+442079460958", "020 7946 0958"},     {"GB", "+447700900123", "07700 900123"},
      {"US", "+14155550132", "(415) 555-0132"},     {"US", "+13125550175", "312.555.0175"},
      {"FR", "+33612345678", "06 12 34 56 78"},     {"DE", "+493012345678", "030 12345678"},
      {"ES", "+34622123456", "622 12 34 56"},       {"IT", "+390612345678", "06 1234 5678"},
      {"IN", "+919876543210", "098765 43210"},      {"BR", "+5511987654321", "(11) 98765-4321"},
      {"AU", "+61412345678", "0412 345 678"},       {"JP", "+81312345678", "03-1234-5678"},
      {"AR", "+5491123456789", "011 15 2345-6789"}, {"NL", "+31612345678", "06-12345678"},
      {"IE", "+353871234567", "087 123 4567"},      {"GB", "+442079460958", "+44 20 7946 0958"}};
  for (const auto& number : numbers) {
    const std::vector<std::string> regions{number.region};
    for (const char* after : {"1", "0", "9 ", "12", "5 mins"}) {
      const auto text = "Call " + number.text + after;
      INFO(text);
      CHECK(reading_of(readings_in(regions, text), number.e164) == nullptr);
      // Nor as a whole field.
      CHECK_FALSE(contains(PhoneNormalizer(regions).parse_all(number.text + after), number.e164));
    }
    // Anything else after it leaves it whole.
    for (const char* after : {"", " ", ".", " x12", "/ext 5", ";", " ref 123", "\n2"}) {
      const auto text = "Call " + number.text + after;
      INFO(text);
      CHECK(reading_of(readings_in(regions, text), number.e164) != nullptr);
    }
  }
}

TEST_CASE("A number broken across lines or by a run of spaces is read whole",
          "[normalize][phone]") {
  CHECK(reading_of(readings_in({"GB"}, "Call back on 020 7946\n0018 please"), "+442079460018") !=
        nullptr);
  CHECK(reading_of(readings_in({"GB"}, "Call back on 020 7946\r\n  0018"), "+442079460018") !=
        nullptr);
  CHECK(reading_of(readings_in({"GB"}, "Number: 020 7946     0018"), "+442079460018") != nullptr);
  CHECK(reading_of(readings_in({"US"}, "Reach her at (312) 555\n0175."), "+13125550175") !=
        nullptr);
  // A number on a line of its own is still read when the line before ends with digits.
  CHECK(reading_of(readings_in({"GB"}, "Ticket 12\n020 7946 0958"), "+442079460958") != nullptr);
}

TEST_CASE(
    "A text read again is read as it was the first time, in whatever regions and for "
    "whatever is wanted",
    "[normalize][phone]") {
  // libphonenumber's readings of short texts are remembered by each thread; a thread that has
  // never read these texts gives the first readings.
  struct Reading {
    std::string text;
    std::vector<std::string> regions;
  };
  std::vector<Reading> readings;
  for (const char* text : {"715-555-0128", "06 22 12 34 56", "Call 06 22 12 34 56 today",
                           "Outbound call to 0044 20 7946 0404", "+44 (0)306 999 0364",
                           "Call back on 020 7946\n0018 please", "Invoice INV442079460958 paid",
                           "0049 (0)30 12345678", "816.555.0158"}) {
    for (const std::vector<std::string>& regions : std::vector<std::vector<std::string>>{
             {"GB"}, {"US"}, {"GB", "US"}, {"US", "GB"}, {"FR", "ES"}, {"GB", "ES"}, {"ZZ"}}) {
      readings.push_back({text, regions});
    }
  }
  // Enough other texts to make the thread forget some of them.
  for (int i = 0; i < 5000; ++i)
    readings.push_back({"Call 020 7946 " + std::to_string(1000 + i), {"GB"}});

  const auto forms = [](const std::vector<crmscan::PhoneReading>& found) {
    std::vector<std::string> described;
    for (const auto& r : found) {
      described.push_back(r.e164 + (r.valid ? " valid" : "") +
                          (r.international ? " international" : "") +
                          (r.certain ? " certain" : ""));
    }
    return described;
  };
  const PhoneNormalizer phones;
  const auto read = [&](const Reading& reading, const PhoneNormalizer::Wanted& wanted) {
    std::vector<crmscan::PhoneReading> in_text;
    phones.read_in_text(reading.text, reading.regions, in_text, wanted);
    return std::pair(forms(in_text), forms(phones.read_all(reading.text, reading.regions, wanted)));
  };
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> first;
  std::thread([&] {
    for (const auto& reading : readings) first.push_back(read(reading, {}));
  }).join();
  // The regions change the readings: the reading in one set is not another set's.
  REQUIRE(first[2].second ==
          std::vector<std::string>{"+447155550128 valid", "+17155550128 valid certain"});
  REQUIRE(first[0] != first[2]);    // "715-555-0128" in Britain; in Britain and the US
  REQUIRE(first[11] != first[12]);  // "06 22 12 34 56" in France and Spain; Britain and Spain

  const PhoneNormalizer::Wanted nothing = [](const std::string&) { return false; };
  for (int pass = 0; pass < 3; ++pass) {
    for (std::size_t i = 0; i < readings.size(); i += (i < 63 ? 1 : 97)) {
      // Wanting nothing reads nothing, and leaves what is read next as it was.
      const auto none = read(readings[i], nothing);
      CHECK(none.first.empty());
      CHECK(none.second.empty());
      CHECK(read(readings[i], {}) == first[i]);
    }
  }
  for (std::size_t i = 0; i < readings.size(); i += 61) CHECK(read(readings[i], {}) == first[i]);
}

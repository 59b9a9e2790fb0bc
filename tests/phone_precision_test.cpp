// The precision corpus: phone numbers as people write them in CRMs of many countries, each run
// through a whole scan (pre-filter, reading, comparison, action) against one subject's number.
// The cases come from the numbering plans (Ofcom, ComReg, ARCEP, Bundesnetzagentur, CNMC, AGCOM,
// ACM, BIPT, NANPA, ACMA, TRAI…) and libphonenumber's metadata (its example numbers), not from
// what crmscan happened to do. A number that libphonenumber finds valid in one region only, or
// that is written with its country code, is the subject's; one whose country is uncertain (two
// regions read it as valid numbers, or none does) is at most for review.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "crmscan/engine.hpp"
#include "crmscan/memory_connector.hpp"
#include "crmscan/normalize.hpp"
#include "support.hpp"

namespace {

enum class In { kField, kText };  // the call's Number field, or its Notes
enum class Expect {
  kMatch,   // the subject's: the call deleted, or its notes erased
  kSpare,   // nothing destructive (a review may be reported)
  kReview,  // reported, for review only
};

struct PrecisionCase {
  const char* value;
  const char* subject;  // the request's number
  const char* region;   // --default-region
  In in;
  Expect expect;
  const char* why;
};

constexpr auto kField = In::kField;
constexpr auto kText = In::kText;
constexpr auto kMatch = Expect::kMatch;
constexpr auto kSpare = Expect::kSpare;
constexpr auto kReview = Expect::kReview;

const PrecisionCase kCases[] = {
    // ---- United Kingdom (Ofcom): 0 trunk prefix, 00 abroad; 020 7946 0xxx and 0113/0114/0161
    // 496 0xxx are drama ranges that libphonenumber finds valid, 07700 900xxx one it does not.
    {"020 7946 0958", "+44 20 7946 0958", "GB", kField, kMatch, "London, national form"},
    {"+44 20 7946 0958", "+44 20 7946 0958", "GB", kField, kMatch, "international form"},
    {"+44 (0)20 7946 0958", "+44 20 7946 0958", "GB", kField, kMatch,
     "trunk prefix kept in brackets"},
    {"0044 20 7946 0958", "+44 20 7946 0958", "GB", kField, kMatch, "00: the UK's prefix abroad"},
    {"(020) 7946 0958", "+44 20 7946 0958", "GB", kField, kMatch, "area code in brackets"},
    {"020-7946-0958", "+44 20 7946 0958", "GB", kField, kMatch, "hyphens"},
    {"442079460958", "+44 20 7946 0958", "GB", kField, kMatch,
     "a CLI: country code without + before a valid national number"},
    {"Inbound call from 020 7946 0958", "+44 20 7946 0958", "GB", kText, kMatch,
     "national form in a note"},
    {"Call back on +44 (0)20 7946 0958 after 5pm", "+44 20 7946 0958", "GB", kText, kMatch,
     "international form in a note"},
    {"Call back on 020 7946\n0018", "+44 20 7946 0018", "GB", kText, kMatch,
     "broken across a line"},
    {"Tel: 020  7946     0958", "+44 20 7946 0958", "GB", kText, kMatch, "runs of spaces"},
    {"020 7946 0959", "+44 20 7946 0958", "GB", kField, kSpare, "one digit off"},
    {"Inbound call from 020 7946 0959", "+44 20 7946 0958", "GB", kText, kSpare,
     "one digit off, in a note"},
    {"Order ref 4402079460958123 shipped", "+44 20 7946 0958", "GB", kText, kSpare,
     "inside a longer run of digits"},
    {"Invoice INV442079460958 paid", "+44 20 7946 0958", "GB", kText, kSpare,
     "glued to letters: an invoice number"},
    {"+1 207 946 0958", "+44 20 7946 0958", "GB", kField, kSpare,
     "the same ten digits under +1 (Maine)"},
    {"0161 496 0123", "+44 161 496 0123", "GB", kField, kMatch, "Manchester drama range"},
    {"Missed call from 0113 496 0999", "+44 113 496 0999", "GB", kText, kMatch,
     "Leeds drama range in a note"},
    {"0114 496 0712", "+44 114 496 0712", "US", kField, kMatch,
     "Sheffield, though the US would read 011 as its prefix abroad"},
    {"07400 123456", "+44 7400 123456", "GB", kField, kMatch, "libphonenumber's example mobile"},
    {"+44 7400 123 456", "+44 7400 123456", "GB", kField, kMatch, "mobile, international"},
    {"mob. 07400123456", "+44 7400 123456", "GB", kText, kMatch, "mobile without spaces"},
    {"07400 123457", "+44 7400 123456", "GB", kField, kSpare, "mobile one digit off"},
    {"7400 123456", "+44 7400 123456", "GB", kField, kMatch,
     "mobile without its 0, and no other region's number"},
    {"07700 900123", "+44 7700 900123", "GB", kField, kReview,
     "drama mobile range, unallocated to libphonenumber: national form is for review"},
    {"+44 7700 900123", "+44 7700 900123", "GB", kField, kMatch,
     "unallocated, but written with its country code as the request gives it"},
    {"Call 07700 900123 back", "+44 7700 900123", "GB", kText, kReview,
     "unallocated range, national form, in a note"},
    {"Call +447700900123 back", "+44 7700 900123", "GB", kText, kMatch,
     "unallocated range, international form, in a note"},
    {"020 7946 0958", "+44 20 7946 0958", "FR", kField, kMatch,
     "French default region: 020… is no French number, the subject's region reads it"},

    // ---- Ireland (ComReg): mobiles 08x + 7 digits, Dublin 01.
    {"087 123 4567", "+353 87 123 4567", "IE", kField, kMatch, "mobile, national form"},
    {"00353 87 123 4567", "+353 87 123 4567", "IE", kField, kMatch, "00 and country code"},
    {"+353 (0)87 123 4567", "+353 87 123 4567", "IE", kField, kMatch, "trunk prefix in brackets"},
    {"+353871234567", "+353 87 123 4567", "IE", kField, kMatch, "E.164"},
    {"(087) 1234567", "+353 87 123 4567", "IE", kField, kMatch, "prefix in brackets"},
    {"Ring her on 087-123-4567", "+353 87 123 4567", "IE", kText, kMatch, "hyphens in a note"},
    {"Number given: 00353 87 123 4567.", "+353 87 123 4567", "IE", kText, kMatch,
     "00 form in a note"},
    {"087 123 4567", "+353 87 123 4567", "GB", kField, kMatch,
     "British default: 0871… is no valid UK number, Ireland's reading stands"},
    {"087 123 4568", "+353 87 123 4567", "IE", kField, kSpare, "one digit off"},
    {"+44 87 123 4567", "+353 87 123 4567", "IE", kField, kSpare,
     "the same national digits under +44"},
    {"Ref IE0871234567", "+353 87 123 4567", "IE", kText, kSpare, "glued to letters"},
    {"01 234 5678", "+353 1 234 5678", "IE", kField, kMatch, "Dublin landline"},
    {"+353 1 234 5678", "+353 1 234 5678", "IE", kField, kMatch, "Dublin, international"},
    {"085 012 3456", "+353 85 012 3456", "IE", kField, kMatch, "libphonenumber's example mobile"},

    // ---- France (ARCEP): ten digits with the 0, mobiles 06/07.
    {"06 12 34 56 78", "+33 6 12 34 56 78", "FR", kField, kMatch, "mobile in pairs"},
    {"06.12.34.56.78", "+33 6 12 34 56 78", "FR", kField, kMatch, "dots"},
    {"+33 6 12 34 56 78", "+33 6 12 34 56 78", "FR", kField, kMatch, "international"},
    {"+33 (0)6 12 34 56 78", "+33 6 12 34 56 78", "FR", kField, kMatch, "trunk in brackets"},
    {"0033 6 12 34 56 78", "+33 6 12 34 56 78", "FR", kField, kMatch, "00 form"},
    {"0612345678", "+33 6 12 34 56 78", "FR", kField, kMatch, "no separators"},
    {"Rappeler au 06 12 34 56 78 demain", "+33 6 12 34 56 78", "FR", kText, kMatch,
     "in a French note"},
    {"Portable : 06 12 34\n56 78", "+33 6 12 34 56 78", "FR", kText, kMatch,
     "broken across a line"},
    {"06 12 34 56 79", "+33 6 12 34 56 78", "FR", kField, kSpare, "one digit off"},
    {"+34 612 345 678", "+33 6 12 34 56 78", "FR", kField, kSpare,
     "the same nine digits under Spain's code"},
    {"01 23 45 67 89", "+33 1 23 45 67 89", "FR", kField, kMatch, "Paris landline"},
    {"T\xC3\xA9l. : 01 23 45 67 89", "+33 1 23 45 67 89", "FR", kText, kMatch,
     "after an accented label"},
    {"06 22 12 34 56", "+33 6 22 12 34 56", "FR", kField, kMatch, "mobile"},
    {"06 22 12 34 56", "+33 6 22 12 34 56", "IT", kField, kReview,
     "Italian default: also a valid Rome landline, so the country is uncertain"},
    {"06 12 34 56 78", "+33 6 12 34 56 78", "GB", kField, kMatch,
     "British default: +44 612345678 is only possible, France's reading is valid"},

    // ---- Spain (CNMC): nine digits, no trunk prefix; mobiles 6xx.
    {"612 34 56 78", "+34 612 34 56 78", "ES", kField, kMatch, "mobile"},
    {"612345678", "+34 612 34 56 78", "ES", kField, kMatch, "no separators"},
    {"+34 612 34 56 78", "+34 612 34 56 78", "ES", kField, kMatch, "international"},
    {"0034 612 345 678", "+34 612 34 56 78", "ES", kField, kMatch, "00 form"},
    {"34612345678", "+34 612 34 56 78", "ES", kField, kMatch, "a CLI without +"},
    {"Llamar al 612 34 56 78", "+34 612 34 56 78", "ES", kText, kMatch, "in a note"},
    {"612 34 56 79", "+34 612 34 56 78", "ES", kField, kSpare, "one digit off"},
    {"+33 6 12 34 56 78", "+34 612 34 56 78", "ES", kField, kSpare,
     "the same nine digits under France's code"},
    {"91 123 45 67", "+34 911 23 45 67", "ES", kField, kMatch, "Madrid landline"},
    {"+34 911 234 567", "+34 911 23 45 67", "ES", kField, kMatch, "Madrid, international"},
    {"622 12 34 56", "+34 622 123 456", "ES", kField, kMatch, "mobile"},
    {"622 12 34 56", "+34 622 123 456", "GB", kField, kMatch,
     "British default: +44 622123456 is only possible, Spain's reading is valid"},
    {"06 22 12 34 56", "+34 622 123 456", "FR", kField, kSpare,
     "a French mobile with the same nine digits"},
    {"06 22 12 34 56", "+34 622 123 456", "GB", kField, kSpare,
     "Spain has no number written so; a British reading is another number"},
    {"06 22 12 34 56", "+34 622 123 456", "ES", kField, kSpare,
     "Spain has no trunk prefix: ten digits are no Spanish number"},
    {"06 2212 3456", "+34 622 123 456", "IT", kField, kSpare, "a Rome landline"},
    {"06 2212 3456", "+34 622 123 456", "ES", kField, kSpare, "a Rome landline, Spanish default"},
    {"Llamada del 06 22 12 34 56", "+34 622 123 456", "FR", kText, kSpare,
     "a French mobile in a note"},

    // ---- Italy (AGCOM): landlines keep their 0 after +39; mobiles 3xx.
    {"06 2212 3456", "+39 06 2212 3456", "IT", kField, kMatch, "Rome landline"},
    {"+39 06 2212 3456", "+39 06 2212 3456", "IT", kField, kMatch, "international keeps the 0"},
    {"0039 06 22123456", "+39 06 2212 3456", "IT", kField, kMatch, "00 form"},
    {"Chiamare lo 06 2212 3456", "+39 06 2212 3456", "IT", kText, kMatch, "in a note"},
    {"+39 6 2212 3456", "+39 06 2212 3456", "IT", kField, kSpare,
     "without its leading 0 it is another number"},
    {"06 2212 3457", "+39 06 2212 3456", "IT", kField, kSpare, "one digit off"},
    {"06 22 12 34 56", "+39 06 2212 3456", "FR", kField, kSpare,
     "French default: also a valid French mobile, the country is uncertain"},
    {"312 345 6789", "+39 312 345 6789", "IT", kField, kMatch, "mobile"},
    {"+39 312 345 6789", "+39 312 345 6789", "IT", kField, kMatch, "mobile, international"},
    {"cell. 312 3456789", "+39 312 345 6789", "IT", kText, kMatch, "mobile in a note"},
    {"312 345 6789", "+39 312 345 6789", "US", kField, kReview,
     "American default: also a valid Chicago number"},
    {"+1 312 345 6789", "+39 312 345 6789", "IT", kField, kSpare, "the same ten digits under +1"},
    {"02 1234 5678", "+39 02 1234 5678", "IT", kField, kMatch, "libphonenumber's example (Milan)"},

    // ---- Germany (Bundesnetzagentur): 0 trunk prefix, area codes of 2 to 5 digits.
    {"030 12345678", "+49 30 12345678", "DE", kField, kMatch, "Berlin"},
    {"0049 (0)30 12345678", "+49 30 12345678", "DE", kField, kMatch,
     "00, country code and the trunk prefix in brackets"},
    {"+49 (0)30 12345678", "+49 30 12345678", "DE", kField, kMatch, "trunk in brackets"},
    {"+49 30 12345678", "+49 30 12345678", "DE", kField, kMatch, "international"},
    {"030/12345678", "+49 30 12345678", "DE", kField, kMatch, "slash after the area code"},
    {"(030) 123 456 78", "+49 30 12345678", "DE", kField, kMatch, "area code in brackets"},
    {"0049-30-12345678", "+49 30 12345678", "DE", kField, kMatch, "hyphens"},
    {"R\xC3\xBC"
     "ckruf unter 030 12345678",
     "+49 30 12345678", "DE", kText, kMatch, "in a German note"},
    {"Tel. +49 (0)30 1234\n5678", "+49 30 12345678", "DE", kText, kMatch, "broken across a line"},
    {"030 12345679", "+49 30 12345678", "DE", kField, kSpare, "one digit off"},
    {"Rechnung INV493012345678", "+49 30 12345678", "DE", kText, kSpare,
     "glued to letters: an invoice number"},
    {"Auftrag 1003012345678", "+49 30 12345678", "DE", kText, kSpare,
     "inside a longer run of digits"},
    {"01512 3456789", "+49 1512 3456789", "DE", kField, kMatch, "libphonenumber's example mobile"},
    {"+49 1512 3456789", "+49 1512 3456789", "DE", kField, kMatch, "mobile, international"},
    {"0151-23456789", "+49 1512 3456789", "DE", kField, kMatch, "mobile, other grouping"},
    {"011 49 30 12345678", "+49 30 12345678", "US", kField, kMatch, "dialled from the US with 011"},
    {"0049 30 12345678", "+49 30 12345678", "US", kField, kMatch,
     "00 is read as international even where 011 is the prefix"},
    {"Call 0049 30 12345678 after 6", "+49 30 12345678", "US", kText, kMatch,
     "00 form in a note, American default"},
    {"030 12345678", "+49 30 12345678", "US", kField, kMatch,
     "the subject's region reads it; no US number starts with 0"},

    // ---- Netherlands (ACM): 0 trunk prefix, mobiles 06.
    {"06 12345678", "+31 6 12345678", "NL", kField, kMatch, "mobile"},
    {"06-12345678", "+31 6 12345678", "NL", kField, kMatch, "mobile with hyphen"},
    {"+31 6 12345678", "+31 6 12345678", "NL", kField, kMatch, "international"},
    {"+31 (0)6 1234 5678", "+31 6 12345678", "NL", kField, kMatch, "trunk in brackets"},
    {"0031 6 12345678", "+31 6 12345678", "NL", kField, kMatch, "00 form"},
    {"Bel 06-12345678 na 17u", "+31 6 12345678", "NL", kText, kMatch, "in a Dutch note"},
    {"06 12345679", "+31 6 12345678", "NL", kField, kSpare, "one digit off"},
    {"06 12 34 56 78", "+31 6 12345678", "FR", kField, kReview,
     "French default: also a valid French mobile"},
    {"020 123 4567", "+31 20 123 4567", "NL", kField, kMatch, "Amsterdam"},
    {"020 123 4567", "+31 20 123 4567", "GB", kField, kMatch,
     "British default: London numbers have eight digits after 020"},
    {"010 123 4567", "+31 10 123 4567", "NL", kField, kMatch,
     "libphonenumber's example (Rotterdam)"},

    // ---- Belgium (BIPT): 0 trunk prefix, mobiles 04xx.
    {"0470 12 34 56", "+32 470 12 34 56", "BE", kField, kMatch, "mobile"},
    {"+32 470 12 34 56", "+32 470 12 34 56", "BE", kField, kMatch, "international"},
    {"0032 470 123 456", "+32 470 12 34 56", "BE", kField, kMatch, "00 form"},
    {"+32 (0)470 12 34 56", "+32 470 12 34 56", "BE", kField, kMatch, "trunk in brackets"},
    {"GSM: 0470/12.34.56", "+32 470 12 34 56", "BE", kText, kMatch, "slash and dots in a note"},
    {"0470 12 34 57", "+32 470 12 34 56", "BE", kField, kSpare, "one digit off"},
    {"02 223 45 67", "+32 2 223 45 67", "BE", kField, kMatch, "Brussels"},
    {"+32 2 223 45 67", "+32 2 223 45 67", "BE", kField, kMatch, "Brussels, international"},
    {"012 34 56 78", "+32 12 34 56 78", "BE", kField, kMatch, "libphonenumber's example"},

    // ---- United States (NANPA): 1 trunk prefix, 011 abroad; 555-01xx is fictional and valid
    // to libphonenumber under a real area code.
    {"(312) 555-0175", "+1 312 555 0175", "US", kField, kMatch, "Chicago, usual form"},
    {"312.555.0175", "+1 312 555 0175", "US", kField, kMatch, "dots"},
    {"+1-312-555-0175", "+1 312 555 0175", "US", kField, kMatch, "international, hyphens"},
    {"1 (312) 555-0175", "+1 312 555 0175", "US", kField, kMatch, "trunk prefix 1"},
    {"312-555-0175", "+1 312 555 0175", "US", kField, kMatch, "hyphens"},
    {"3125550175", "+1 312 555 0175", "US", kField, kMatch, "ten digits"},
    {"Left a voicemail at (312) 555-0175 today", "+1 312 555 0175", "US", kText, kMatch,
     "in a note"},
    {"Reach her at (312) 555\n0175.", "+1 312 555 0175", "US", kText, kMatch,
     "broken across a line"},
    {"(312) 555-0176", "+1 312 555 0175", "US", kField, kSpare, "one digit off"},
    {"(213) 555-0175", "+1 312 555 0175", "US", kField, kSpare, "another area code"},
    {"Order #13125550175999", "+1 312 555 0175", "US", kText, kSpare,
     "inside a longer run of digits"},
    {"Parcel 1Z999AA13125550175", "+1 312 555 0175", "US", kText, kSpare,
     "glued to letters: parcel tracking"},
    {"001 312 555 0175", "+1 312 555 0175", "GB", kField, kMatch, "dialled from the UK"},
    {"(312) 555-0175", "+1 312 555 0175", "GB", kField, kMatch,
     "British default: no valid UK number, the subject's region reads it"},
    {"+44 312 555 0175", "+1 312 555 0175", "US", kField, kSpare, "the same digits under +44"},
    {"1-800-234-5678", "+1 800 234 5678", "US", kField, kMatch, "toll-free"},
    {"(202) 555-0143", "+1 202 555 0143", "US", kField, kMatch, "Washington"},
    {"715-555-0128", "+1 715 555 0128", "GB", kField, kMatch,
     "British default: a UK mobile would be written 07155 550128; as written it is American"},
    {"Inbound call from 715-555-0128", "+1 715 555 0128", "GB", kText, kMatch,
     "the same in a note"},
    {"2079460404", "+44 20 7946 0404", "US", kField, kReview,
     "American default: a Maine number as written, a London one only without its 0"},
    {"(415) 555-0132", "+1 415 555 0132", "US", kField, kMatch, "San Francisco"},

    // ---- Canada (NANPA, +1 shared with the US).
    {"(416) 555-0123", "+1 416 555 0123", "CA", kField, kMatch, "Toronto"},
    {"416-555-0123", "+1 416 555 0123", "CA", kField, kMatch, "hyphens"},
    {"+1 416 555 0123", "+1 416 555 0123", "CA", kField, kMatch, "international"},
    {"(416) 555-0123", "+1 416 555 0123", "US", kField, kMatch,
     "American default: one numbering plan"},
    {"Call 416.555.0123 re: invoice", "+1 416 555 0123", "CA", kText, kMatch, "in a note"},
    {"(416) 555-0124", "+1 416 555 0123", "CA", kField, kSpare, "one digit off"},
    {"604-555-0100", "+1 604 555 0100", "CA", kField, kMatch, "Vancouver"},
    {"(506) 234-5678", "+1 506 234 5678", "CA", kField, kMatch, "libphonenumber's example"},

    // ---- Australia (ACMA): 0 trunk prefix, 0011 abroad; 02 5550 xxxx and 0491 570 xxx are
    // ranges for drama.
    {"(02) 5550 1234", "+61 2 5550 1234", "AU", kField, kMatch, "Sydney drama range"},
    {"02 5550 1234", "+61 2 5550 1234", "AU", kField, kMatch, "no brackets"},
    {"+61 2 5550 1234", "+61 2 5550 1234", "AU", kField, kMatch, "international"},
    {"0011 61 2 5550 1234", "+61 2 5550 1234", "AU", kField, kMatch, "0011: Australia's prefix"},
    {"(02) 5550 1234", "+61 2 5550 1234", "GB", kField, kMatch,
     "British default: 025… is no valid UK number"},
    {"0412 345 678", "+61 412 345 678", "AU", kField, kMatch, "mobile"},
    {"+61 412 345 678", "+61 412 345 678", "AU", kField, kMatch, "mobile, international"},
    {"ph 0412345678", "+61 412 345 678", "AU", kText, kMatch, "mobile in a note"},
    {"0412 345 679", "+61 412 345 678", "AU", kField, kSpare, "one digit off"},
    {"0491 570 156", "+61 491 570 156", "AU", kField, kMatch, "drama mobile range"},

    // ---- India (TRAI): ten-digit mobiles from 6 to 9, 0 trunk prefix, 00 abroad.
    {"098765 43210", "+91 98765 43210", "IN", kField, kMatch, "mobile with trunk prefix"},
    {"98765 43210", "+91 98765 43210", "IN", kField, kMatch, "mobile"},
    {"+91 98765 43210", "+91 98765 43210", "IN", kField, kMatch, "international"},
    {"+91-9876543210", "+91 98765 43210", "IN", kField, kMatch, "hyphen"},
    {"0091 98765 43210", "+91 98765 43210", "IN", kField, kMatch, "00 form"},
    {"Mobile: 98765 43210", "+91 98765 43210", "IN", kText, kMatch, "in a note"},
    {"98765 43211", "+91 98765 43210", "IN", kField, kSpare, "one digit off"},
    {"9876543210", "+91 98765 43210", "US", kField, kMatch,
     "American default: 987 is no US area code"},
    {"011 2345 6789", "+91 11 2345 6789", "IN", kField, kMatch, "Delhi"},
    {"011 2345 6789", "+91 11 2345 6789", "US", kField, kMatch,
     "American default: 011 would dial out, to no valid number"},

    // ---- More countries.
    {"021 234 56 78", "+41 21 234 56 78", "CH", kField, kMatch, "Lausanne"},
    {"+41 21 234 56 78", "+41 21 234 56 78", "CH", kField, kMatch, "Switzerland, international"},
    {"0041 21 234 56 78", "+41 21 234 56 78", "CH", kField, kMatch, "Switzerland, 00"},
    {"021 234 56 79", "+41 21 234 56 78", "CH", kField, kSpare, "one digit off"},
    {"078 123 45 67", "+41 78 123 45 67", "CH", kField, kMatch, "Swiss mobile"},
    {"0664 123456", "+43 664 123456", "AT", kField, kMatch, "Austrian mobile"},
    {"+43 664 123456", "+43 664 123456", "AT", kField, kMatch, "Austria, international"},
    {"0043 664 123 456", "+43 664 123456", "AT", kField, kMatch, "Austria, 00"},
    {"0664 123457", "+43 664 123456", "AT", kField, kSpare, "one digit off"},
    {"070-123 45 67", "+46 70 123 45 67", "SE", kField, kMatch, "Swedish mobile"},
    {"+46 70 123 45 67", "+46 70 123 45 67", "SE", kField, kMatch, "Sweden, international"},
    {"070-123 45 68", "+46 70 123 45 67", "SE", kField, kSpare, "one digit off"},
    {"912 345 678", "+351 912 345 678", "PT", kField, kMatch, "Portuguese mobile"},
    {"+351 912 345 678", "+351 912 345 678", "PT", kField, kMatch, "Portugal, international"},
    {"00351 912345678", "+351 912 345 678", "PT", kField, kMatch, "Portugal, 00"},
    {"912 345 678", "+351 912 345 678", "ES", kField, kReview,
     "Spanish default: also a valid Madrid landline"},
    {"+34 912 345 678", "+351 912 345 678", "PT", kField, kSpare,
     "the same nine digits under Spain's code"},
    {"512 345 678", "+48 512 345 678", "PL", kField, kMatch, "Polish mobile"},
    {"+48 512-345-678", "+48 512 345 678", "PL", kField, kMatch, "Poland, international"},
    {"512 345 679", "+48 512 345 678", "PL", kField, kSpare, "one digit off"},
    {"32 12 34 56", "+45 32 12 34 56", "DK", kField, kMatch, "Danish number"},
    {"+45 32 12 34 56", "+45 32 12 34 56", "DK", kField, kMatch, "Denmark, international"},
    {"32 12 34 56", "+45 32 12 34 56", "NO", kField, kReview,
     "Norwegian default: also a valid Norwegian number"},
    {"+47 32 12 34 56", "+45 32 12 34 56", "DK", kField, kSpare,
     "the same eight digits under Norway's code"},
    {"406 12 345", "+47 406 12 345", "NO", kField, kMatch, "Norwegian mobile"},
    {"021 123 4567", "+64 21 123 4567", "NZ", kField, kMatch, "New Zealand mobile"},
    {"+64 21 123 4567", "+64 21 123 4567", "NZ", kField, kMatch, "New Zealand, international"},
    {"021 123 4567", "+64 21 123 4567", "ZA", kField, kReview,
     "South African default: also a valid Cape Town number"},
    {"071 123 4567", "+27 71 123 4567", "ZA", kField, kMatch, "South African mobile"},
    {"+27 71 123 4567", "+27 71 123 4567", "ZA", kField, kMatch, "South Africa, international"},
    {"090-1234-5678", "+81 90 1234 5678", "JP", kField, kMatch, "Japanese mobile"},
    {"+81 90-1234-5678", "+81 90 1234 5678", "JP", kField, kMatch, "Japan, international"},
    {"010 81 90 1234 5678", "+81 90 1234 5678", "JP", kField, kMatch, "010: Japan's prefix abroad"},
    {"8123 4567", "+65 8123 4567", "SG", kField, kMatch, "Singapore mobile"},
    {"+65 8123 4567", "+65 8123 4567", "SG", kField, kMatch, "Singapore, international"},
    {"(11) 96123-4567", "+55 11 96123 4567", "BR", kField, kMatch, "S\xC3\xA3o Paulo mobile"},
    {"+55 11 96123-4567", "+55 11 96123 4567", "BR", kField, kMatch, "Brazil, international"},
    {"222 123 4567", "+52 222 123 4567", "MX", kField, kMatch, "Puebla"},
    {"+52 222 123 4567", "+52 222 123 4567", "MX", kField, kMatch, "Mexico, international"},
};

const crmscan::RuleSet& rules() {
  static const auto kRules =
      crmscan::RuleSet::load({crmscan::test::source_path("tests/fixtures/precision-rules.yaml")});
  return kRules;
}

// Scans one call holding the value against one request, and says what happened to it.
std::string outcome(const PrecisionCase& c) {
  crmscan::MemoryConnector records;
  if (c.in == kField) {
    records.add("Call", {{"Id", "C-1"}, {"Number", c.value}, {"Notes", ""}});
  } else {
    records.add("Call", {{"Id", "C-1"}, {"Number", ""}, {"Notes", c.value}});
  }
  const crmscan::SubjectSet subjects({{"R1", {}, {c.subject}, {}, {}, "precision"}}, c.region);
  const auto report = crmscan::run_scan(records, rules(), subjects, crmscan::ScanOptions{});
  const std::string field = c.in == kField ? "" : "Notes";
  std::string seen = "none";
  for (const auto& f : report.findings) {
    if (f.record_id != "C-1") continue;
    if (f.action == crmscan::Action::kDeleteRecord || f.action == crmscan::Action::kEraseField) {
      if (f.field != field) return "destructive finding on field '" + f.field + "'";
      return "match";
    }
    if (f.field == field) seen = "review";
  }
  return seen;
}

}  // namespace

TEST_CASE("The precision corpus covers at least 150 cases in at least 12 countries",
          "[precision]") {
  std::set<std::string> countries;
  for (const auto& c : kCases) {
    countries.insert(
        crmscan::PhoneNormalizer::region_of(*crmscan::PhoneNormalizer().parse(c.subject, "ZZ")));
  }
  CHECK(std::size(kCases) >= 150);
  CHECK(countries.size() >= 12);
}

TEST_CASE("Phone numbers as people write them match the subject's and no one else's",
          "[precision]") {
  for (const auto& c : kCases) {
    INFO((c.in == kField ? "Number" : "Notes") << " '" << c.value << "', subject " << c.subject
                                               << ", default region " << c.region << ": " << c.why);
    const auto got = outcome(c);
    switch (c.expect) {
      case kMatch:
        CHECK(got == "match");
        break;
      case kReview:
        CHECK(got == "review");
        break;
      case kSpare:
        CHECK((got == "none" || got == "review"));
        break;
    }
  }
}

namespace {

// The action on a record of a scan's report, or "none".
std::string action_on(const crmscan::Report& report, const std::string& id) {
  for (const auto& f : report.findings) {
    if (f.record_id == id && f.field.empty()) return std::string(crmscan::to_string(f.action));
  }
  return "none";
}

}  // namespace

TEST_CASE("A number on the subject's record is learned only when it can be no other number",
          "[precision][learn]") {
  crmscan::MemoryConnector records;
  // The subject's own record, found by email, holds a Spanish mobile written nationally.
  records.add("Person", {{"Id", "P-1"}, {"Email", "lucia@example.es"}, {"Phone", "622 12 34 56"}});
  records.add("Call", {{"Id", "C-ES"}, {"Number", "+34 622 12 34 56"}});
  records.add("Call", {{"Id", "C-GB"}, {"Number", "+44 622 123456"}});
  SECTION("with no Spanish number of hers known, it reads as nothing valid: not learned") {
    const crmscan::SubjectSet subjects({{"R1", {"lucia@example.es"}, {}, {}, {}, "test"}}, "GB");
    const auto report = crmscan::run_scan(records, rules(), subjects, crmscan::ScanOptions{});
    REQUIRE(action_on(report, "P-1") == "delete_record");
    CHECK(action_on(report, "C-GB") == "none");
    CHECK(action_on(report, "C-ES") == "none");
  }
  SECTION("with a Spanish number of hers, it is read as Spanish and learned") {
    const crmscan::SubjectSet subjects(
        {{"R1", {"lucia@example.es"}, {"+34 611 22 33 44"}, {}, {}, "test"}}, "GB");
    const auto report = crmscan::run_scan(records, rules(), subjects, crmscan::ScanOptions{});
    REQUIRE(action_on(report, "P-1") == "delete_record");
    CHECK(action_on(report, "C-ES") == "delete_record");
    CHECK(action_on(report, "C-GB") == "none");
  }
}

TEST_CASE("A number learned in a range no numbering plan allocates only ever gives a review",
          "[precision][learn]") {
  crmscan::MemoryConnector records;
  records.add("Person",
              {{"Id", "P-1"}, {"Email", "priya@example.com"}, {"Phone", "+44 7700 900313"}});
  records.add("Call", {{"Id", "C-1"}, {"Number", "+447700900313"}});
  records.add("Call", {{"Id", "C-2"}, {"Notes", "Rang 07700 900313 twice"}});
  const crmscan::SubjectSet subjects({{"R1", {"priya@example.com"}, {}, {}, {}, "test"}}, "GB");
  const auto report = crmscan::run_scan(records, rules(), subjects, crmscan::ScanOptions{});
  REQUIRE(action_on(report, "P-1") == "delete_record");
  CHECK(action_on(report, "C-1") == "review");
  for (const auto& f : report.findings) {
    if (f.record_id == "C-2") CHECK(f.action == crmscan::Action::kReview);
  }
}

TEST_CASE("A request's number in a range no plan allocates is noted in the report", "[precision]") {
  crmscan::MemoryConnector records;
  records.add("Call", {{"Id", "C-1"}, {"Number", "07700 900456"}});
  const crmscan::SubjectSet subjects({{"REQ-9", {}, {"+44 7700 900456"}, {}, {}, "test"}}, "GB");
  const auto report = crmscan::run_scan(records, rules(), subjects, crmscan::ScanOptions{});
  CHECK(action_on(report, "C-1") == "review");
  bool noted = false;
  for (const auto& note : report.notes) noted |= note.find("REQ-9") != std::string::npos;
  CHECK(noted);
}

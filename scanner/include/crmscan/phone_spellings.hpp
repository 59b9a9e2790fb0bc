#pragma once

#include <optional>
#include <string>
#include <vector>

namespace crmscan {

/// The ways libphonenumber writes one number, for connectors that must search a CRM that stores
/// numbers verbatim as typed.
struct PhoneForms {
  std::string e164;             ///< +442079460958
  std::string country;          ///< 44
  std::string national;         ///< 020 7946 0958 (libphonenumber's national format)
  std::string international;    ///< +44 20 7946 0958
  std::string national_digits;  ///< 02079460958
  std::string significant;      ///< 2079460958
  std::string grouped;          ///< 20 7946 0958: the international format after the country code
  bool trunk = false;           ///< the national format starts with a trunk prefix the E.164 lacks
};

/// The forms of an E.164 number; nothing when libphonenumber cannot read it.
std::optional<PhoneForms> phone_forms(const std::string& e164);

/// "(415) 555-0187" → "415 555 0187": the digit groups of a text, joined by `separator`.
std::string regroup_digits(const std::string& text, const std::string& separator);

/// The spellings a number is typed and stored in, verbatim, for exact comparisons on identity
/// fields (HubSpot EQ/IN, Dataverse eq): E.164 with and without its plus, with `00` instead of
/// the plus, the international format as libphonenumber writes it and with only spaces, dashes,
/// dots or a `(0)` trunk prefix between its groups, the
/// national format with spaces, dashes or dots, the national digits with and without the trunk
/// prefix ("+442079460958", "0044 20 7946 0958", "+44 (0)20 7946 0958", "020.7946.0958",
/// "2079460958", …). Each spelling is registered as a request value (redacted wherever a server
/// echoes it). The engine checks every record these find, so a spelling that finds another
/// number costs nothing but a record read.
std::vector<std::string> phone_variants(const std::string& e164);

}  // namespace crmscan

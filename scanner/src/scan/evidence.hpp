// What weighs for or against an identifier being the subject's: who else holds it, how sure its
// reading is.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "crmscan/normalize.hpp"

namespace crmscan::scanning {

/// Whether two folded names can be one person's: first and last words alike, where a word is
/// alike another that it equals, that is its initial, or (three letters or more) that it begins
/// ("j roe" and "jay roe", "tom garcia" and "tomas garcia"; not "jean dubois" and "amelie dubois").
bool same_person(std::string_view a, std::string_view b);

/// Who holds one of the subjects' emails or numbers: the names on the person records that hold
/// it (a record without a name tells nothing) and whether a business does.
struct Holders {
  std::set<std::string> people;
  bool business = false;
  /// Held by a business, or by two records whose names cannot be one person's.
  bool shared() const;
};

/// Why an email found is only possibly the subject's.
inline constexpr const char* kSubAddress =
    "the same mailbox with another +tag: most likely the subject's, but not the address given";

/// Why a phone number read from a value is only possibly the subject's, or empty when the value
/// can be no other number.
std::string doubt_of(const PhoneReading& reading);

/// An address without its sub-address ("amelie+crm@example.fr" → "amelie@example.fr").
std::string email_base(const std::string& email);

}  // namespace crmscan::scanning

#include "scan/evidence.hpp"

#include <utility>

namespace crmscan::scanning {

bool same_person(std::string_view a, std::string_view b) {
  const auto alike = [](std::string_view x, std::string_view y) {
    if (x.size() > y.size()) std::swap(x, y);
    return x == y || (x.size() == 1 && y.front() == x.front()) ||
           (x.size() >= 3 && y.substr(0, x.size()) == x);
  };
  const auto first = [](std::string_view name) { return name.substr(0, name.find(' ')); };
  const auto last = [](std::string_view name) { return name.substr(name.rfind(' ') + 1); };
  return alike(last(a), last(b)) &&
         (a.find(' ') == std::string_view::npos || b.find(' ') == std::string_view::npos ||
          alike(first(a), first(b)));
}

bool Holders::shared() const {
  if (business) return true;
  for (auto a = people.begin(); a != people.end(); ++a) {
    for (auto b = std::next(a); b != people.end(); ++b) {
      if (!same_person(*a, *b)) return true;
    }
  }
  return false;
}

std::string doubt_of(const PhoneReading& reading) {
  if (reading.certain) return {};
  if (reading.valid)
    return "written without its country code, it is another country's number too: check it is "
           "the subject's";
  return "written without its country code, and in no range that its country's numbering plan "
         "allocates (libphonenumber): check it is the subject's";
}

std::string email_base(const std::string& email) {
  const auto at = email.rfind('@');
  const auto plus = email.find('+');
  if (at == std::string::npos || plus == std::string::npos || plus == 0 || plus > at) return email;
  return email.substr(0, plus) + email.substr(at);
}

}  // namespace crmscan::scanning

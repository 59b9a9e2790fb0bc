// The identifier detectors over arbitrary free text: emails, phone numbers in any format and
// region, Salesforce ids and the subjects' names. Everything found must be well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/detectors.hpp"
#include "crmscan/normalize.hpp"
#include "crmscan/subject.hpp"

namespace {

const crmscan::SubjectSet& subjects() {
  static const crmscan::SubjectSet kSubjects(
      {{"R1", {"amelie.dubois@example.fr"}, {"+44 20 7946 0958"}, {"Amélie Dubois"}, {}, "fuzz"},
       {"R2", {}, {"+1 415 555 0132", "06 12 34 56 78"}, {"Siobhán O'Neill"}, {}, "fuzz"},
       {"R3", {}, {"+33 6 12 34 56 78"}, {"Tomás García"}, {"0035g00000QxB7kAAF"}, "fuzz"}},
      "GB");
  return kSubjects;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const crmscan::IdentifierDetector detector(subjects());
  std::vector<std::string> found;
  detector.emails(text, found);
  for (const auto& email : found) {
    if (email.find('@') == std::string::npos) std::abort();
  }
  found.clear();
  detector.phones(text, found);
  subjects().phones().find_in_text(text, found);
  for (const auto& phone : found) {
    if (phone.size() < 2 || phone[0] != '+') std::abort();
  }
  found.clear();
  crmscan::IdentifierDetector::id_tokens(text, found);
  for (const auto& id : found) {
    if (id.size() != 18) std::abort();
  }
  detector.names(text, [](const std::string& name) {
    if (name.empty()) std::abort();
  });
  subjects().phones().parse_all(text);
  return 0;
}

#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/subject.hpp"

namespace crmscan {

/// Finds identifiers written anywhere in a value: emails, phone numbers in any format,
/// Salesforce ids, and the subjects' names. Cheap checks come first, so that most values cost
/// a scan for '@' and a count of digits.
class IdentifierDetector {
 public:
  explicit IdentifierDetector(const SubjectSet& subjects);

  /// Normalised emails in the text.
  void emails(std::string_view text, std::vector<std::string>& out) const;
  /// E.164 phone numbers in the text.
  void phones(std::string_view text, std::vector<std::string>& out) const;
  /// Id keys (salesforce_id_key) of the 15- and 18-character id tokens in the text.
  static void id_tokens(std::string_view text, std::vector<std::string>& out);
  /// Calls `found` with each run of words in the text that is a subject's folded name.
  void names(std::string_view text, const std::function<void(const std::string&)>& found) const;

 private:
  const SubjectSet& subjects_;
  // Reused between values, so that matching allocates only when the text grows.
  mutable std::string folded_;
  mutable std::vector<std::pair<std::size_t, std::size_t>> words_;
  mutable std::string candidate_;
};

}  // namespace crmscan

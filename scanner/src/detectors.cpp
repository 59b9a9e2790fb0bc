#include "crmscan/detectors.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

namespace crmscan {

IdentifierDetector::IdentifierDetector(const SubjectSet& subjects) : subjects_(subjects) {}

void IdentifierDetector::emails(std::string_view text, std::vector<std::string>& out) const {
  if (text.find('@') == std::string_view::npos) return;
  static const RE2 kEmail(R"(([\w.%+'\-]+@[\w\-]+(?:\.[\w\-]+)+))");
  re2::StringPiece input(text.data(), text.size());
  std::string email;
  while (RE2::FindAndConsume(&input, kEmail, &email)) {
    if (auto normalised = normalize_email(email)) out.push_back(std::move(*normalised));
  }
}

namespace {

// A value that is a date or a timestamp and nothing else ("2024-03-14",
// "2024-03-14T09:31:07.000Z", "2018-12-10T17:50:19.000+0000"): many digits, no phone number.
bool is_timestamp(std::string_view text) {
  static const RE2 kTimestamp(
      R"(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)");
  return text.size() >= 10 && text.size() <= 32 &&
         std::isdigit(static_cast<unsigned char>(text[0])) &&
         RE2::FullMatch(re2::StringPiece(text.data(), text.size()), kTimestamp);
}

}  // namespace

void IdentifierDetector::phones(std::string_view text, std::vector<std::string>& out) const {
  if (is_timestamp(text)) return;
  std::size_t digits = 0;
  for (const char c : text) digits += std::isdigit(static_cast<unsigned char>(c)) != 0 ? 1 : 0;
  if (digits < 6) return;
  subjects_.phones().find_in_text(text, out);
}

void IdentifierDetector::id_tokens(std::string_view text, std::vector<std::string>& out) {
  if (text.size() < 15) return;
  std::size_t start = 0;
  const auto is_alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (start < text.size()) {
    while (start < text.size() && !is_alnum(text[start])) ++start;
    std::size_t end = start;
    while (end < text.size() && is_alnum(text[end])) ++end;
    const auto length = end - start;
    if (length == 15 || length == 18) {
      if (auto key = salesforce_id_key(text.substr(start, length))) out.push_back(std::move(*key));
    }
    start = end;
  }
}

void IdentifierDetector::names(std::string_view text,
                               const std::function<void(const std::string&)>& found) const {
  if (!subjects_.has_names()) return;
  fold_words_into(text, folded_, words_);
  const std::string_view folded(folded_);
  for (std::size_t start = 0; start < words_.size(); ++start) {
    const auto [offset, first_length] = words_[start];
    if (!subjects_.may_start_name(folded.substr(offset, first_length))) continue;
    for (const auto length : subjects_.name_lengths()) {
      if (start + length > words_.size()) continue;
      // Words are one space apart in the folded text: a run of them is one substring.
      const auto& [last_offset, last_length] = words_[start + length - 1];
      const auto candidate = folded.substr(offset, last_offset + last_length - offset);
      if (subjects_.by_name(candidate) != nullptr) {
        candidate_.assign(candidate);
        found(candidate_);
      }
    }
  }
}

}  // namespace crmscan

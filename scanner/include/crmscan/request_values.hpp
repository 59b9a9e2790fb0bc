#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmscan/normalize.hpp"
#include "crmscan/record.hpp"
#include "crmscan/report.hpp"
#include "crmscan/stage.hpp"
#include "crmscan/subject.hpp"

namespace crmscan {

/// The identifiers one request was scanned with: those it gave and those the scan learned.
struct RequestIdentifiers {
  std::string request_id;
  std::vector<std::string> emails;          ///< given, case-folded
  std::vector<std::string> phones;          ///< given, E.164
  std::vector<std::string> names;           ///< given, folded
  std::vector<std::string> ids;             ///< given, as written
  std::vector<std::string> learned_emails;  ///< from the request's own person records
  std::vector<std::string> learned_phones;  ///< the same; E.164, allocated
  /// Learned numbers in no allocated range: looked for, but what they alone find is a review.
  std::vector<std::string> learned_review_phones;
};

/// The text of a free-text field to erase, with only the request's identifiers replaced.
struct ErasedText {
  std::string fingerprint;  ///< of the erase_field finding
  std::string text;
};

/// What a redacted report leaves out but `plan` and `verify` need: the identifiers each request
/// was scanned with, and the erased texts of its free-text fields. Written beside the report as
/// `values.json` (mode 0600, like every output, and never meant to leave the machine). The report
/// carries only a keyed hash (HMAC-SHA-256) of each identifier, whose key is in this file alone:
/// without the file the hashes say nothing (a phone number is too short a secret for a plain or
/// publicly salted hash), and with it verify proves that the file belongs to the report.
struct RequestValues {
  std::string key_hex;  ///< the HMAC key: 32 random bytes
  std::vector<RequestIdentifiers> requests;
  std::vector<ErasedText> texts;

  /// Makes the keyed hashes of identifiers ("phone", "+442079460958") as the report lists them.
  class Hasher {
   public:
    explicit Hasher(const std::string& key_hex);
    ~Hasher();
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;
    std::string operator()(std::string_view kind, std::string_view value);

   private:
    struct State;
    std::unique_ptr<State> state_;  // the key set up once: ten thousand requests' hashes cost
                                    // a tenth of what one-off HMACs do
  };
  Hasher hasher() const { return Hasher(key_hex); }
  /// Every identifier of a request as (kind, value): kind is email, phone, name or id, with
  /// `learned_` before it for learned ones.
  static std::vector<std::pair<std::string, std::string>> identifiers(const RequestIdentifiers&);
  /// Writes the JSON of the file.
  void write_json(std::ostream& out) const;
  /// Reads the file; throws DataError naming it when it is not one.
  static RequestValues load(const std::string& path);
};

/// The text with each of the request's identifiers in it replaced by `[erased]`: its emails (and
/// their sub-addressed forms), phone numbers in any format (read in `regions`), names and ids,
/// given or learned. The rest of the text is kept as written.
std::string erase_identifiers(std::string_view text, const RequestIdentifiers& identifiers,
                              const PhoneNormalizer& phones,
                              const std::vector<std::string>& regions);

/// The stage that collects, during a scan, what RequestValues needs (the records that hold
/// something of a request, to rewrite the free text of its erase_field findings), then makes
/// them and adds each request's identifier hashes to the report.
class RequestValuesRecorder : public Stage {
 public:
  explicit RequestValuesRecorder(const SubjectSet& subjects) : subjects_(subjects) {}
  void record_found(const Record& /*record*/, SubjectIndex /*subject*/) override {}
  /// Keeps the text (for its erase_field finding's rewrite, made at the end).
  void text_to_erase(const std::string& object, const std::string& record_id,
                     const std::string& field, const std::string& text) override;
  /// Makes the values of the finished scan (a new key, every request's identifiers, and the
  /// erased text of every erase_field finding on a free-text field) and adds the identifiers'
  /// hashes to the report.
  void run(Report& report) override;
  /// What run() made.
  const RequestValues& values() const { return values_; }

 private:
  RequestValues finish(const Report& report) const;

  const SubjectSet& subjects_;
  RequestValues values_;
  // (object, record id key) → (field, text) of the fields with erase_field text findings
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, std::string>>>
      texts_;
};

}  // namespace crmscan

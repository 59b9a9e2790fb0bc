#include "crmscan/request_values.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "crmscan/error.hpp"
#include "crmscan/json_members.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {

constexpr std::string_view kErased = "[erased]";

std::string hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

std::string unhex(std::string_view text) {
  std::string out;
  const auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out += static_cast<char>(digit(text[i]) * 16 + digit(text[i + 1]));
  return out;
}

// An address without its sub-address ("amelie+crm@example.fr" → "amelie@example.fr").
std::string email_base(const std::string& email) {
  const auto at = email.rfind('@');
  const auto plus = email.find('+');
  if (at == std::string::npos || plus == std::string::npos || plus == 0 || plus > at) return email;
  return email.substr(0, plus) + email.substr(at);
}

bool is_word_byte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80;
}

using Spans = std::vector<std::pair<std::size_t, std::size_t>>;  // [start, end)

void email_spans(std::string_view text, const RequestIdentifiers& ids, Spans& spans) {
  std::set<std::string> bases;
  for (const auto* list : {&ids.emails, &ids.learned_emails}) {
    for (const auto& email : *list) bases.insert(email_base(email));
  }
  const auto local = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("._%+-'").find(c) != std::string_view::npos;
  };
  const auto domain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
  };
  for (auto at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    auto start = at;
    while (start > 0 && local(text[start - 1])) --start;
    auto end = at + 1;
    while (end < text.size() && domain(text[end])) ++end;
    while (end > at + 1 && text[end - 1] == '.') --end;
    if (start == at || end == at + 1) continue;
    if (bases.count(email_base(ascii_lower(text.substr(start, end - start)))) != 0)
      spans.emplace_back(start, end);
  }
}

// Runs of digits with what numbers are written with between them; each window of consecutive
// digit groups is read as a whole number, the longest first.
void phone_spans(std::string_view text, const RequestIdentifiers& ids,
                 const PhoneNormalizer& phones, const std::vector<std::string>& regions,
                 Spans& spans) {
  std::set<std::string> wanted;
  for (const auto* list : {&ids.phones, &ids.learned_phones, &ids.learned_review_phones})
    wanted.insert(list->begin(), list->end());
  if (wanted.empty()) return;
  const auto joiner = [](char c) {
    return std::string_view("+()-./ \t\r\n").find(c) != std::string_view::npos;
  };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t at = 0;
  while (at < text.size()) {
    if (!digit(text[at])) {
      ++at;
      continue;
    }
    // The digit groups of this run.
    Spans groups;
    std::size_t end = at;
    while (end < text.size()) {
      if (digit(text[end])) {
        const auto start = end;
        while (end < text.size() && digit(text[end])) ++end;
        groups.emplace_back(start, end);
      } else if (joiner(text[end])) {
        ++end;
      } else {
        break;
      }
    }
    for (std::size_t i = 0; i < groups.size();) {
      std::size_t matched_to = i;
      // Digits glued to letters are no number ("INV622123456").
      const bool glued_before = groups[i].first > 0 && is_word_byte(text[groups[i].first - 1]);
      for (std::size_t j = groups.size(); !glued_before && j-- > i;) {
        if (groups[j].second < text.size() && is_word_byte(text[groups[j].second])) continue;
        std::size_t digits = 0;
        for (std::size_t k = i; k <= j; ++k) digits += groups[k].second - groups[k].first;
        if (digits < 6 || digits > 17) continue;
        auto start = groups[i].first;
        while (start > 0 && (text[start - 1] == '+' || text[start - 1] == '(')) --start;
        // A number broken across lines is read as written on one.
        std::string candidate(text.substr(start, groups[j].second - start));
        std::replace_if(
            candidate.begin(), candidate.end(),
            [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
        const auto readings = phones.read_all(candidate, regions);
        if (std::any_of(readings.begin(), readings.end(),
                        [&](const PhoneReading& r) { return wanted.count(r.e164) != 0; })) {
          spans.emplace_back(start, groups[j].second);
          matched_to = j + 1;
          break;
        }
      }
      i = matched_to > i ? matched_to : i + 1;
    }
    at = end;
  }
}

// Words as written (letters, digits, apostrophes); a run of them that folds to a request's name
// is that name.
void word_spans(std::string_view text, const RequestIdentifiers& ids, Spans& spans) {
  Spans words;
  for (std::size_t at = 0; at < text.size();) {
    if (!is_word_byte(text[at])) {
      ++at;
      continue;
    }
    const auto start = at;
    while (at < text.size() && (is_word_byte(text[at]) || text[at] == '\'')) ++at;
    words.emplace_back(start, at);
  }
  std::set<std::string> id_keys;
  for (const auto& id : ids.ids) id_keys.insert(record_id_key(id));
  for (const auto& [start, end] : words) {
    if (id_keys.count(record_id_key(text.substr(start, end - start))) != 0)
      spans.emplace_back(start, end);
  }
  for (const auto& name : ids.names) {
    const auto length = static_cast<std::size_t>(std::count(name.begin(), name.end(), ' ')) + 1;
    for (std::size_t i = 0; i + length <= words.size(); ++i) {
      const auto start = words[i].first;
      const auto end = words[i + length - 1].second;
      if (fold_name(text.substr(start, end - start)) == name) spans.emplace_back(start, end);
    }
  }
}

template <typename Writer>
void put(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  const auto text = is_valid_utf8(value) ? value : valid_utf8(value);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

template <typename Writer>
void put_list(Writer& w, const char* key, const std::vector<std::string>& values) {
  w.Key(key);
  w.StartArray();
  for (const auto& value : values)
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  w.EndArray();
}

}  // namespace

// HMAC-SHA-256 through OpenSSL's EVP_MAC: initialised once with the key, then again without one for
// each identifier, which keeps the key's inner and outer states instead of deriving them anew.
struct RequestValues::Hasher::State {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* context = nullptr;
  ~State() {
    EVP_MAC_CTX_free(context);
    EVP_MAC_free(mac);
  }
};

RequestValues::Hasher::Hasher(const std::string& key_hex) : state_(std::make_unique<State>()) {
  const auto key = unhex(key_hex);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  state_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (state_->mac != nullptr) state_->context = EVP_MAC_CTX_new(state_->mac);
  if (state_->context == nullptr ||
      EVP_MAC_init(state_->context, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1)
    throw Error(ExitCode::kIncomplete, "no HMAC-SHA-256 for the request values");
}

RequestValues::Hasher::~Hasher() = default;

std::string RequestValues::Hasher::operator()(std::string_view kind, std::string_view value) {
  auto* context = state_->context;
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t size = 0;
  const auto update = [&](std::string_view text) {
    return EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(text.data()),
                          text.size()) == 1;
  };
  if (EVP_MAC_init(context, nullptr, 0, nullptr) != 1 || !update(kind) || !update(":") ||
      !update(value) || EVP_MAC_final(context, digest, &size, sizeof digest) != 1)
    throw Error(ExitCode::kIncomplete, "HMAC-SHA-256 failed for the request values");
  return hex(digest, size);
}

std::vector<std::pair<std::string, std::string>> RequestValues::identifiers(
    const RequestIdentifiers& request) {
  std::vector<std::pair<std::string, std::string>> all;
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"email", &request.emails},
      {"phone", &request.phones},
      {"name", &request.names},
      {"id", &request.ids},
      {"learned_email", &request.learned_emails},
      {"learned_phone", &request.learned_phones},
      {"learned_review_phone", &request.learned_review_phones}};
  for (const auto& [kind, values] : lists) {
    for (const auto& value : *values) all.emplace_back(kind, value);
  }
  return all;
}

void RequestValues::write_json(std::ostream& out) const {
  // Written as it is made: with 10,000 requests the document is megabytes.
  rapidjson::OStreamWrapper stream(out);
  rapidjson::PrettyWriter<rapidjson::OStreamWrapper> w(stream);
  w.SetIndent(' ', 2);
  w.StartObject();
  put(w, "values", "crmscan request values: private, never to be shared with the report");
  w.Key("version");
  w.Uint(1);
  put(w, "key", key_hex);
  w.Key("requests");
  w.StartArray();
  for (const auto& request : requests) {
    w.StartObject();
    put(w, "request_id", request.request_id);
    put_list(w, "emails", request.emails);
    put_list(w, "phones", request.phones);
    put_list(w, "names", request.names);
    put_list(w, "ids", request.ids);
    put_list(w, "learned_emails", request.learned_emails);
    put_list(w, "learned_phones", request.learned_phones);
    put_list(w, "learned_review_phones", request.learned_review_phones);
    w.EndObject();
  }
  w.EndArray();
  w.Key("erased_texts");
  w.StartArray();
  for (const auto& text : texts) {
    w.StartObject();
    put(w, "fingerprint", text.fingerprint);
    put(w, "text", text.text);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  stream.Flush();
  out << '\n';
}

RequestValues RequestValues::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingInputError(path + ": cannot read the request values file");
  std::stringstream content;
  content << in.rdbuf();
  rapidjson::Document document;
  document.Parse(content.str().c_str());
  if (document.HasParseError() || !document.IsObject() || !document.HasMember("key") ||
      !document.HasMember("requests") || !document["requests"].IsArray())
    throw DataError(path + ": not a crmscan request values file");
  RequestValues values;
  values.key_hex = member_string(document, "key");
  for (const auto& item : document["requests"].GetArray()) {
    if (!item.IsObject()) throw DataError(path + ": a request that is not an object");
    RequestIdentifiers request;
    request.request_id = member_string(item, "request_id");
    request.emails = member_strings(item, "emails");
    request.phones = member_strings(item, "phones");
    request.names = member_strings(item, "names");
    request.ids = member_strings(item, "ids");
    request.learned_emails = member_strings(item, "learned_emails");
    request.learned_phones = member_strings(item, "learned_phones");
    request.learned_review_phones = member_strings(item, "learned_review_phones");
    values.requests.push_back(std::move(request));
  }
  if (const auto texts = std::as_const(document).FindMember("erased_texts");
      texts != std::as_const(document).MemberEnd() && texts->value.IsArray()) {
    for (const auto& item : texts->value.GetArray()) {
      if (item.IsObject())
        values.texts.push_back({member_string(item, "fingerprint"), member_string(item, "text")});
    }
  }
  return values;
}

std::string erase_identifiers(std::string_view text, const RequestIdentifiers& identifiers,
                              const PhoneNormalizer& phones,
                              const std::vector<std::string>& regions) {
  Spans spans;
  email_spans(text, identifiers, spans);
  phone_spans(text, identifiers, phones, regions, spans);
  word_spans(text, identifiers, spans);
  std::sort(spans.begin(), spans.end());
  std::string out;
  std::size_t at = 0;
  for (const auto& [start, end] : spans) {
    if (end <= at) continue;
    if (start > at) out.append(text.substr(at, start - at));
    if (start >= at || out.size() < kErased.size() ||
        std::string_view(out).substr(out.size() - kErased.size()) != kErased)
      out.append(kErased);
    at = end;
  }
  out.append(text.substr(std::min(at, text.size())));
  return out;
}

void RequestValuesRecorder::text_to_erase(const std::string& object, const std::string& record_id,
                                          const std::string& field, const std::string& text) {
  auto& texts = texts_[{object, record_id_key(record_id)}];
  const auto known = std::find_if(texts.begin(), texts.end(),
                                  [&](const auto& entry) { return entry.first == field; });
  if (known != texts.end()) {
    known->second = text;
  } else {
    texts.emplace_back(field, text);
  }
}

void RequestValuesRecorder::run(Report& report) {
  values_ = finish(report);
  auto hash = values_.hasher();
  for (const auto& request : values_.requests) {
    auto& hashes = report.identifier_hashes[request.request_id];
    for (const auto& [kind, value] : RequestValues::identifiers(request))
      hashes.push_back(hash(kind, value));
  }
}

RequestValues RequestValuesRecorder::finish(const Report& report) const {
  RequestValues values;
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1)
    throw Error(ExitCode::kIncomplete, "no random bytes for the request values key");
  values.key_hex = hex(key, sizeof key);
  std::map<std::string, std::size_t> by_request;
  for (const auto& subject : subjects_.subjects()) {
    by_request[subject.request_id] = values.requests.size();
    RequestIdentifiers request;
    request.request_id = subject.request_id;
    request.emails = subject.emails;
    request.phones = subject.phones;
    request.names = subject.names;
    request.ids = subject.given_ids;
    values.requests.push_back(std::move(request));
  }
  for (const auto& learned : report.learned) {
    const auto found = by_request.find(learned.request_id);
    if (found == by_request.end()) continue;
    auto& request = values.requests[found->second];
    auto& list = learned.kind == "email" ? request.learned_emails
                 : learned.review_only   ? request.learned_review_phones
                                         : request.learned_phones;
    list.push_back(learned.value);
  }
  for (const auto& finding : report.findings) {
    if (finding.action != Action::kEraseField || finding.reason != "text") continue;
    const auto record = texts_.find({finding.object, record_id_key(finding.record_id)});
    const auto request = by_request.find(finding.request_id);
    if (record == texts_.end() || request == by_request.end()) continue;
    const auto& identifiers = values.requests[request->second];
    std::vector<std::string> regions;
    if (!subjects_.default_region().empty()) regions.push_back(subjects_.default_region());
    for (const auto* list : {&identifiers.phones, &identifiers.learned_phones}) {
      for (const auto& phone : *list) {
        const auto region = PhoneNormalizer::region_of(phone);
        if (region != "ZZ" && std::find(regions.begin(), regions.end(), region) == regions.end())
          regions.push_back(region);
      }
    }
    for (const auto& [field, text] : record->second) {
      if (!iequals(field, finding.field)) continue;
      auto erased = erase_identifiers(text, identifiers, subjects_.phones(), regions);
      // What the scan found but this cannot place (an HTML entity, a number in pieces): the
      // whole field goes, never the identifier left in.
      if (erased == text) erased.clear();
      values.texts.push_back({finding.fingerprint, std::move(erased)});
    }
  }
  return values;
}

}  // namespace crmscan

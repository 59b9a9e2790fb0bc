#include "crmscan/subject.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <future>
#include <istream>
#include <map>
#include <optional>
#include <thread>
#include <unordered_set>

#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/input.hpp"
#include "crmscan/report.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {

// Adds values not seen before, in order, in time linear in their number: a cell of a hundred
// thousand values, or a hundred thousand rows of one request, must not cost their square.
void add_unique(std::vector<std::string>& values, std::unordered_set<std::string>& seen,
                std::string value) {
  if (seen.insert(value).second) values.push_back(std::move(value));
}

// Subjects are indexed in order, so a subject already listed under a key is the last one.
template <typename Index>
void add_to_index(Index& index, const std::string& key, SubjectIndex subject) {
  auto& subjects = index[key];
  if (subjects.empty() || subjects.back() != subject) subjects.push_back(subject);
}

// A column or key name as an error may show it: a header name as written, anything else (a first
// row of data taken for a header) redacted.
std::string column_name(const std::string& text) {
  const bool name_like =
      !text.empty() && text.size() <= 40 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == ' ';
      });
  return name_like ? "'" + text + "'" : "'" + redact(text) + "' (is the first row a header?)";
}

// Every request's numbers in E.164 (nullopt: not a number), in the order of the requests and their
// numbers. libphonenumber takes ~180,000 instructions to read one, so ten thousand requests'
// numbers are read on several threads (its PhoneNumberUtil is thread-safe; findNumbers, which this
// does not use, is not).
std::vector<std::optional<std::string>> read_numbers(const std::vector<SubjectRequest>& requests,
                                                     const PhoneNormalizer& phones,
                                                     const std::string& region) {
  std::vector<std::string_view> numbers;
  for (const auto& request : requests)
    numbers.insert(numbers.end(), request.phones.begin(), request.phones.end());
  std::vector<std::optional<std::string>> e164(numbers.size());
  const auto read = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) e164[i] = phones.parse(numbers[i], region);
  };
  // A thread for each 500 numbers at most: reading fewer takes less time than starting one.
  constexpr std::size_t kNumbersAThread = 500;
  const auto threads = std::clamp<std::size_t>(
      numbers.size() / kNumbersAThread, 1, std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  std::vector<std::future<void>> others;
  const auto share = (numbers.size() + threads - 1) / threads;
  for (std::size_t thread = 1; thread < threads; ++thread) {
    others.push_back(std::async(std::launch::async, read, thread * share,
                                std::min(numbers.size(), (thread + 1) * share)));
  }
  read(0, std::min(numbers.size(), share));
  for (auto& other : others) other.get();
  return e164;
}

}  // namespace

SubjectSet::SubjectSet(const std::vector<SubjectRequest>& requests,
                       const std::string& default_region) {
  if (!default_region.empty()) phones_.add_region(default_region);
  for (const char c : default_region)
    default_region_.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (default_region_ == "ZZ") default_region_.clear();
  auto numbers =
      read_numbers(requests, phones_, default_region.empty() ? std::string("ZZ") : default_region);
  auto number = numbers.begin();
  for (const auto& request : requests) {
    Subject subject;
    std::unordered_set<std::string> seen[5];
    subject.request_id = request.request_id;
    if (!request.record.empty()) records_[request.request_id] = request.record;
    const auto fail = [&](const std::string& what) {
      throw DataError(request.source + ": request " + request.request_id + ": " + what);
    };
    if (request.emails.empty() && request.phones.empty() && request.names.empty() &&
        request.ids.empty()) {
      fail("no email, phone, name or id to look for");
    }
    for (const auto& email : request.emails) {
      auto normalised = normalize_email(email);
      if (!normalised) fail("'" + redact(email) + "' is not an email address");
      add_unique(subject.emails, seen[0], std::move(*normalised));
    }
    for (const auto& phone : request.phones) {
      auto e164 = std::move(*number++);
      if (!e164) {
        fail("'" + redact(phone) + "' is not a phone number" +
             (default_region.empty() ? " (a national number needs --default-region)" : ""));
      }
      add_unique(subject.phones, seen[1], std::move(*e164));
    }
    for (const auto& name : request.names) {
      auto folded = fold_name(name);
      if (folded.empty()) fail("the name '" + redact(name) + "' has no letters");
      add_unique(subject.names, seen[2], std::move(folded));
    }
    for (const auto& id : request.ids) {
      if (trim(id).empty()) fail("an empty id");
      add_unique(subject.ids, seen[3], record_id_key(id));
      add_unique(subject.given_ids, seen[4], std::string(trim(id)));
    }
    subjects_.push_back(std::move(subject));
  }
  for (SubjectIndex i = 0; i < subjects_.size(); ++i) {
    const auto& subject = subjects_[i];
    for (const auto& email : subject.emails) add_to_index(emails_, email, i);
    for (const auto& phone : subject.phones) {
      add_to_index(phone_numbers_, phone, i);
      // National numbers in the data are most likely written as the subject's own country does.
      phones_.add_region(PhoneNormalizer::region_of(phone));
    }
    for (const auto& name : subject.names) {
      add_to_index(names_, name, i);
      const auto words = static_cast<std::size_t>(std::count(name.begin(), name.end(), ' ') + 1);
      const auto length = std::min<std::size_t>(words, 6);
      if (std::find(name_lengths_.begin(), name_lengths_.end(), length) == name_lengths_.end())
        name_lengths_.push_back(length);
      const auto first_word = std::string_view(name).substr(0, name.find(' '));
      first_words_.set(word_hash(first_word).value % first_words_.size());
      const auto bit = word_hash(name).value % (whole_names_.size() * 64);
      whole_names_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    for (const auto& id : subject.ids) add_to_index(ids_, id, i);
  }
}

const std::vector<SubjectIndex>* SubjectSet::by_email(const std::string& email) const {
  return emails_.find(email);
}
const std::vector<SubjectIndex>* SubjectSet::by_phone(const std::string& e164) const {
  return phone_numbers_.find(e164);
}
const std::vector<SubjectIndex>* SubjectSet::by_name(std::string_view folded) const {
  return names_.find(folded);
}
const std::vector<SubjectIndex>* SubjectSet::by_id(std::string_view id_key) const {
  return ids_.find(id_key);
}

namespace {

constexpr std::size_t kMaxYamlSubjectsBytes = std::size_t{64} << 20;
constexpr const char* kSubjectKeys[] = {"request_id", "email",    "phone",       "name",
                                        "id",         "received", "verified_by", "verification",
                                        "ticket",     "deadline"};
constexpr const char* kSubjectKeyList =
    "request_id, email, phone, name, id, received, verified_by, verification, ticket, deadline";

// The field of a request's record that a subjects-file key names, or nullptr.
std::string* record_field(RequestRecord& record, const std::string& key) {
  return key == "received"       ? &record.received
         : key == "verified_by"  ? &record.verified_by
         : key == "verification" ? &record.verification
         : key == "ticket"       ? &record.ticket
         : key == "deadline"     ? &record.deadline
                                 : nullptr;
}

bool is_record_key(const std::string& key) {
  RequestRecord record;
  return record_field(record, key) != nullptr;
}

// Sets one field of a request's record from the value at `where`. A date must be an ISO 8601
// date; a second row of the request may repeat a value, not change it.
void set_record_field(RequestRecord& record, const std::string& key, std::string_view text,
                      const std::string& where) {
  const std::string value(trim(text));
  if (value.empty()) return;
  if ((key == "received" || key == "deadline") && !is_iso_date(value)) {
    throw DataError(where + ": " + key + " '" + utf8_prefix(value, 40) +
                    "' is not an ISO 8601 date (YYYY-MM-DD)");
  }
  auto& target = *record_field(record, key);
  if (!target.empty() && target != value)
    throw DataError(where + ": " + key +
                    " differs from the one an earlier row of the request gives");
  target = value;
}

// A request being read, with the values it already has of each kind.
struct RequestBuilder {
  SubjectRequest request;
  std::unordered_set<std::string> seen[4];

  void add(const std::string& key, std::vector<std::string> values) {
    const int kind = key == "email" ? 0 : key == "phone" ? 1 : key == "name" ? 2 : 3;
    auto& target = kind == 0   ? request.emails
                   : kind == 1 ? request.phones
                   : kind == 2 ? request.names
                               : request.ids;
    for (auto& value : values) add_unique(target, seen[kind], std::move(value));
  }
};

std::vector<SubjectRequest> take_requests(std::vector<RequestBuilder>& builders) {
  std::vector<SubjectRequest> requests;
  requests.reserve(builders.size());
  for (auto& builder : builders) requests.push_back(std::move(builder.request));
  return requests;
}

std::vector<SubjectRequest> load_csv(const std::string& path, std::istream& in) {
  CsvReader reader(in);
  std::vector<std::string> row;
  if (!reader.next(row)) {
    if (in.bad()) throw DataError(path + ": read error");
    throw DataError(path + ": empty subjects file");
  }
  if (reader.error()) throw DataError(path + ":1: " + *reader.error());
  std::vector<std::string> header;
  for (std::size_t i = 0; i < row.size(); ++i) {
    auto key = ascii_lower(trim(row[i]));
    if (std::find(std::begin(kSubjectKeys), std::end(kSubjectKeys), key) ==
        std::end(kSubjectKeys)) {
      throw DataError(path + ":1: unknown column " + std::to_string(i + 1) + " " +
                      column_name(row[i]) + " (expected " + kSubjectKeyList + ")");
    }
    header.push_back(std::move(key));
  }
  std::vector<RequestBuilder> requests;
  std::map<std::string, std::size_t> by_request;
  while (reader.next(row)) {
    const auto where = path + ":" + std::to_string(reader.row_line());
    if (reader.error()) throw DataError(where + ": " + *reader.error());
    if (std::all_of(row.begin(), row.end(),
                    [](const std::string& cell) { return trim(cell).empty(); })) {
      continue;  // a blank line, or a spreadsheet's empty row
    }
    if (row.size() != header.size()) {
      throw DataError(where + ": " + std::to_string(row.size()) + " values, the header has " +
                      std::to_string(header.size()));
    }
    std::string request_id;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (header[i] == "request_id") request_id = std::string(trim(row[i]));
    }
    if (request_id.empty()) request_id = "line-" + std::to_string(reader.row_line());
    // Rows of one request merge into the first.
    const auto [slot, inserted] = by_request.emplace(request_id, requests.size());
    if (inserted) {
      requests.emplace_back();
      requests.back().request.request_id = request_id;
      requests.back().request.source = where;
    }
    auto& request = requests[slot->second];
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (is_record_key(header[i]))
        set_record_field(request.request.record, header[i], row[i], where);
      else if (header[i] != "request_id")
        request.add(header[i], split_list(row[i], ';'));
    }
  }
  if (in.bad()) throw DataError(path + ":" + std::to_string(reader.row_line()) + ": read error");
  return take_requests(requests);
}

std::vector<SubjectRequest> read_yaml_subjects(const std::string& path, YAML::Node document);

std::vector<SubjectRequest> load_yaml(const std::string& path) {
  // yaml-cpp's own errors (a syntax error, a conversion it refuses) name line and column too.
  try {
    return read_yaml_subjects(path, load_yaml_file(path, {kMaxYamlSubjectsBytes}));
  } catch (const YAML::Exception& e) {
    throw DataError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                    std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

std::vector<SubjectRequest> read_yaml_subjects(const std::string& path, YAML::Node document) {
  if (document.IsMap() && document["subjects"]) document = document["subjects"];
  const auto where = [&path](const YAML::Node& node) {
    return path + ":" + std::to_string(node.Mark().line + 1) + ":" +
           std::to_string(node.Mark().column + 1);
  };
  if (!document.IsSequence()) throw DataError(where(document) + ": expected a list of subjects");
  std::vector<RequestBuilder> requests;
  for (const auto& entry : document) {
    if (!entry.IsMap()) throw DataError(where(entry) + ": expected a map of identifiers");
    RequestBuilder builder;
    auto& request = builder.request;
    request.source = where(entry);
    for (const auto& item : entry) {
      const auto key = item.first.as<std::string>();
      if (std::find(std::begin(kSubjectKeys), std::end(kSubjectKeys), key) ==
          std::end(kSubjectKeys)) {
        throw DataError(where(item.first) + ": unknown key " + column_name(key) + " (expected " +
                        kSubjectKeyList + ")");
      }
      if (key == "request_id") {
        request.request_id = item.second.as<std::string>();
      } else if (is_record_key(key)) {
        if (item.second.IsNull()) continue;  // `ticket:` with nothing yet
        if (!item.second.IsScalar())
          throw DataError(where(item.second) + ": '" + key + "' must be a string");
        set_record_field(request.record, key, item.second.as<std::string>(), where(item.second));
      } else if (item.second.IsSequence()) {
        std::vector<std::string> values;
        for (const auto& value : item.second) {
          // Also refuses an alias to the list itself, which would never end.
          if (!value.IsScalar())
            throw DataError(where(value) + ": '" + key + "' must be a string or a list of strings");
          values.push_back(value.as<std::string>());
        }
        builder.add(key, std::move(values));
      } else if (item.second.IsScalar()) {
        builder.add(key, {item.second.as<std::string>()});
      } else {
        throw DataError(where(item.second) + ": '" + key + "' must be a string or a list");
      }
    }
    if (request.request_id.empty()) {
      request.request_id = "line-" + std::to_string(entry.Mark().line + 1);
    }
    requests.push_back(std::move(builder));
  }
  return take_requests(requests);
}

}  // namespace

std::vector<SubjectRequest> load_subjects_file(const std::string& path) {
  std::string why;
  const int fd = open_regular_file(path, why);
  if (fd < 0) throw MissingInputError(path + ": cannot read the subjects file: " + why);
  DescriptorBuffer buffer(fd);
  std::istream in(&buffer);
  const auto extension = ascii_lower(std::filesystem::path(path).extension().string());
  if (extension == ".yaml" || extension == ".yml") return load_yaml(path);
  if (extension == ".csv") return load_csv(path, in);
  throw DataError(path + ": a subjects file is .csv, .yaml or .yml");
}

void add_request_records(Report& report, const SubjectSet& subjects) {
  for (const auto& [id, record] : subjects.records()) report.request_records[id] = record;
}

}  // namespace crmscan

#include "crmscan/subject.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/report.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {

template <typename T>
void add_unique(std::vector<T>& values, T value) {
  if (std::find(values.begin(), values.end(), value) == values.end()) {
    values.push_back(std::move(value));
  }
}

template <typename Index>
void add_to_index(Index& index, const std::string& key, SubjectIndex subject) {
  add_unique(index[key], subject);
}

}  // namespace

SubjectSet::SubjectSet(const std::vector<SubjectRequest>& requests,
                       const std::string& default_region) {
  if (!default_region.empty()) phones_.add_region(default_region);
  for (const char c : default_region)
    default_region_.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (default_region_ == "ZZ") default_region_.clear();
  for (const auto& request : requests) {
    Subject subject;
    subject.request_id = request.request_id;
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
      add_unique(subject.emails, *normalised);
    }
    for (const auto& phone : request.phones) {
      const auto region = default_region.empty() ? std::string("ZZ") : default_region;
      auto e164 = phones_.parse(phone, region);
      if (!e164) {
        fail("'" + redact(phone) + "' is not a phone number" +
             (default_region.empty() ? " (a national number needs --default-region)" : ""));
      }
      add_unique(subject.phones, *e164);
    }
    for (const auto& name : request.names) {
      auto folded = fold_name(name);
      if (folded.empty()) fail("the name '" + name + "' has no letters");
      add_unique(subject.names, std::move(folded));
    }
    for (const auto& id : request.ids) {
      if (trim(id).empty()) fail("an empty id");
      add_unique(subject.ids, record_id_key(id));
      add_unique(subject.given_ids, std::string(trim(id)));
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
      add_unique(name_lengths_, std::min<std::size_t>(words, 6));
      const auto first_word = std::string_view(name).substr(0, name.find(' '));
      first_words_.set(word_hash(first_word).value % first_words_.size());
      const auto bit = word_hash(name).value % (whole_names_.size() * 64);
      whole_names_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    for (const auto& id : subject.ids) add_to_index(ids_, id, i);
  }
}

const std::vector<SubjectIndex>* SubjectSet::lookup(const Index& index, std::string_view key) {
  const auto found = index.find(key);
  return found == index.end() ? nullptr : &found->second;
}

const std::vector<SubjectIndex>* SubjectSet::by_email(const std::string& email) const {
  return lookup(emails_, email);
}
const std::vector<SubjectIndex>* SubjectSet::by_phone(const std::string& e164) const {
  return lookup(phone_numbers_, e164);
}
const std::vector<SubjectIndex>* SubjectSet::by_name(std::string_view folded) const {
  return lookup(names_, folded);
}
const std::vector<SubjectIndex>* SubjectSet::by_id(std::string_view id_key) const {
  return lookup(ids_, id_key);
}

namespace {

constexpr const char* kSubjectKeys[] = {"request_id", "email", "phone", "name", "id"};

void add_values(SubjectRequest& request, const std::string& key, std::vector<std::string> values) {
  auto& target = key == "email"   ? request.emails
                 : key == "phone" ? request.phones
                 : key == "name"  ? request.names
                                  : request.ids;
  for (auto& value : values) add_unique(target, std::move(value));
}

std::vector<SubjectRequest> load_csv(const std::string& path, std::istream& in) {
  CsvReader reader(in);
  std::vector<std::string> row;
  if (!reader.next(row)) throw DataError(path + ": empty subjects file");
  std::vector<std::string> header;
  for (const auto& cell : row) {
    auto key = ascii_lower(trim(cell));
    if (std::find(std::begin(kSubjectKeys), std::end(kSubjectKeys), key) ==
        std::end(kSubjectKeys)) {
      throw DataError(path + ":1: unknown column '" + cell +
                      "' (expected request_id, email, phone, name, id)");
    }
    header.push_back(std::move(key));
  }
  std::vector<SubjectRequest> requests;
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
    SubjectRequest request;
    request.source = where;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (header[i] == "request_id") {
        request.request_id = std::string(trim(row[i]));
      } else {
        add_values(request, header[i], split_list(row[i], ';'));
      }
    }
    if (request.request_id.empty())
      request.request_id = "line-" + std::to_string(reader.row_line());
    const auto [slot, inserted] = by_request.emplace(request.request_id, requests.size());
    if (inserted) {
      requests.push_back(std::move(request));
    } else {
      auto& merged = requests[slot->second];
      add_values(merged, "email", request.emails);
      add_values(merged, "phone", request.phones);
      add_values(merged, "name", request.names);
      add_values(merged, "id", request.ids);
    }
  }
  return requests;
}

std::vector<SubjectRequest> read_yaml_subjects(const std::string& path, YAML::Node document);

std::vector<SubjectRequest> load_yaml(const std::string& path) {
  // yaml-cpp's own errors (a syntax error, a conversion it refuses) name line and column too.
  try {
    return read_yaml_subjects(path, YAML::LoadFile(path));
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
  std::vector<SubjectRequest> requests;
  for (const auto& entry : document) {
    if (!entry.IsMap()) throw DataError(where(entry) + ": expected a map of identifiers");
    SubjectRequest request;
    request.source = where(entry);
    for (const auto& item : entry) {
      const auto key = item.first.as<std::string>();
      if (std::find(std::begin(kSubjectKeys), std::end(kSubjectKeys), key) ==
          std::end(kSubjectKeys)) {
        throw DataError(where(item.first) + ": unknown key '" + key +
                        "' (expected request_id, email, phone, name, id)");
      }
      if (key == "request_id") {
        request.request_id = item.second.as<std::string>();
      } else if (item.second.IsSequence()) {
        std::vector<std::string> values;
        for (const auto& value : item.second) {
          // Also refuses an alias to the list itself, which would never end.
          if (!value.IsScalar())
            throw DataError(where(value) + ": '" + key + "' must be a string or a list of strings");
          values.push_back(value.as<std::string>());
        }
        add_values(request, key, std::move(values));
      } else if (item.second.IsScalar()) {
        add_values(request, key, {item.second.as<std::string>()});
      } else {
        throw DataError(where(item.second) + ": '" + key + "' must be a string or a list");
      }
    }
    if (request.request_id.empty()) {
      request.request_id = "line-" + std::to_string(entry.Mark().line + 1);
    }
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace

std::vector<SubjectRequest> load_subjects_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path)) {
    throw MissingInputError(path + ": cannot open the subjects file");
  }
  const auto extension = ascii_lower(std::filesystem::path(path).extension().string());
  if (extension == ".yaml" || extension == ".yml") return load_yaml(path);
  if (extension == ".csv") return load_csv(path, in);
  throw DataError(path + ": a subjects file is .csv, .yaml or .yml");
}

}  // namespace crmscan

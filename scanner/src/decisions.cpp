#include "crmscan/decisions.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/input.hpp"
#include "crmscan/report.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace {

constexpr std::size_t kMaxDecisionsBytes = std::size_t{64} << 20;
constexpr const char* kDecisionKeys[] = {"fingerprint", "decision", "legal_basis",
                                         "by",          "at",       "note"};
constexpr const char* kKeyList = "fingerprint, decision, legal_basis, by, at, note";

bool digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(at),
                     text.begin() + static_cast<std::ptrdiff_t>(at + count),
                     [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

// hh:mm[:ss[.fraction]] then Z, ±hh:mm, ±hhmm or ±hh, or nothing (local time).
bool is_iso_time(std::string_view text) {
  if (!digits(text, 0, 2) || text.size() < 5 || text[2] != ':' || !digits(text, 3, 2) ||
      number(text, 0, 2) > 23 || number(text, 3, 2) > 59)
    return false;
  std::size_t at = 5;
  if (at < text.size() && text[at] == ':') {
    if (!digits(text, at + 1, 2) || number(text, at + 1, 2) > 60) return false;  // a leap second
    at += 3;
    if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
      const auto start = ++at;
      while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) != 0) ++at;
      if (at == start) return false;
    }
  }
  const auto zone = text.substr(at);
  if (zone.empty() || zone == "Z") return true;
  if (zone[0] != '+' && zone[0] != '-') return false;
  const auto offset = zone.substr(1);
  const bool ok =
      (offset.size() == 2 && digits(offset, 0, 2)) ||
      (offset.size() == 4 && digits(offset, 0, 4)) ||
      (offset.size() == 5 && digits(offset, 0, 2) && offset[2] == ':' && digits(offset, 3, 2));
  return ok && number(offset, 0, 2) <= 14;
}

bool is_iso_date_time(std::string_view text) {
  if (is_iso_date(text)) return true;
  return text.size() > 11 && (text[10] == 'T' || text[10] == ' ') &&
         is_iso_date(text.substr(0, 10)) && is_iso_time(text.substr(11));
}

std::optional<Decision::Kind> decision_kind(std::string_view text) {
  for (const auto kind :
       {Decision::Kind::kNotSubject, Decision::Kind::kRetain, Decision::Kind::kErasedManually}) {
    if (to_string(kind) == text) return kind;
  }
  return std::nullopt;
}

// A key or column name as an error shows it: as written when it looks like a name, else cut.
std::string key_name(std::string_view text) {
  const bool name_like =
      !text.empty() && text.size() <= 40 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == ' ';
      });
  return name_like ? "'" + std::string(text) + "'" : "(a value that is no column name)";
}

// Sets one field of a decision being read; `where` names the file and line (and column) of the
// value. Throws DataError saying what is wrong with it.
void set_field(Decision& decision, const std::string& key, std::string value,
               const std::string& where) {
  value = std::string(trim(value));
  if (key == "fingerprint") {
    const bool hex = value.size() == 16 && std::all_of(value.begin(), value.end(), [](char c) {
                       return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                     });
    if (!hex)
      throw DataError(where + ": fingerprint '" + utf8_prefix(value, 40) +
                      "' is not a finding's fingerprint (16 hex digits, as findings.csv and "
                      "review.csv give it)");
    decision.fingerprint = ascii_lower(value);
  } else if (key == "decision") {
    const auto kind = decision_kind(ascii_lower(value));
    if (!kind)
      throw DataError(where + ": unknown decision '" + utf8_prefix(value, 40) +
                      "' (expected not_subject, retain or erased_manually)");
    decision.kind = *kind;
  } else if (key == "at") {
    if (!value.empty() && !is_iso_date_time(value))
      throw DataError(where + ": at '" + utf8_prefix(value, 40) +
                      "' is not an ISO 8601 date (YYYY-MM-DD) or date and time "
                      "(YYYY-MM-DDThh:mm:ssZ)");
    decision.at = std::move(value);
  } else if (key == "legal_basis") {
    decision.legal_basis = std::move(value);
  } else if (key == "by") {
    decision.by = std::move(value);
  } else {
    decision.note = std::move(value);
  }
}

// The checks on a whole decision, and on the set it joins.
void add_decision(DecisionSet& set, Decision decision, bool has_decision) {
  const auto& where = decision.source;
  if (decision.fingerprint.empty()) throw DataError(where + ": no fingerprint");
  if (!has_decision)
    throw DataError(where + ": no decision (not_subject, retain or erased_manually)");
  if (decision.kind == Decision::Kind::kRetain && decision.legal_basis.empty())
    throw DataError(where +
                    ": retain needs a legal_basis (why the data is kept, e.g. "
                    "'Art. 17(3)(b) GDPR: invoices kept 10 years under tax law')");
  const auto [at, added] = set.by_fingerprint.emplace(decision.fingerprint, decision);
  if (!added)
    throw DataError(where + ": fingerprint " + decision.fingerprint + " is decided already at " +
                    at->second.source);
}

bool known_key(const std::string& key) {
  return std::find(std::begin(kDecisionKeys), std::end(kDecisionKeys), key) !=
         std::end(kDecisionKeys);
}

void read_csv(DecisionSet& set, const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(in);
  std::vector<std::string> row;
  const auto& path = set.path;
  if (!reader.next(row)) throw DataError(path + ": empty decisions file");
  if (reader.error()) throw DataError(path + ":1: " + *reader.error());
  std::vector<std::string> header;
  for (std::size_t i = 0; i < row.size(); ++i) {
    auto key = ascii_lower(trim(row[i]));
    if (!known_key(key) || std::find(header.begin(), header.end(), key) != header.end()) {
      throw DataError(path + ":1: column " + std::to_string(i + 1) + " " + key_name(row[i]) +
                      (known_key(key) ? " appears twice" : " is unknown") + " (expected " +
                      kKeyList + ")");
    }
    header.push_back(std::move(key));
  }
  for (const char* required : {"fingerprint", "decision"}) {
    if (std::find(header.begin(), header.end(), required) == header.end())
      throw DataError(path + ":1: no '" + required + "' column (expected " + kKeyList + ")");
  }
  while (reader.next(row)) {
    const auto line = path + ":" + std::to_string(reader.row_line());
    if (reader.error()) throw DataError(line + ": " + *reader.error());
    if (std::all_of(row.begin(), row.end(),
                    [](const std::string& cell) { return trim(cell).empty(); }))
      continue;
    if (row.size() != header.size())
      throw DataError(line + ": " + std::to_string(row.size()) + " values, the header has " +
                      std::to_string(header.size()));
    Decision decision;
    decision.source = line;
    bool has_decision = false;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (header[i] == "decision" && trim(row[i]).empty()) continue;
      set_field(decision, header[i], row[i], line + ": column " + std::to_string(i + 1));
      has_decision = has_decision || header[i] == "decision";
    }
    add_decision(set, std::move(decision), has_decision);
  }
}

std::string yaml_where(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1) + ":" +
         std::to_string(node.Mark().column + 1);
}

void read_yaml(DecisionSet& set, YAML::Node document) {
  const auto& path = set.path;
  if (document.IsMap() && document["decisions"]) document = document["decisions"];
  if (document.IsNull()) return;  // an empty file, or `decisions:` with nothing yet
  if (!document.IsSequence())
    throw DataError(yaml_where(path, document) + ": expected a list of decisions");
  for (const auto& entry : document) {
    if (!entry.IsMap())
      throw DataError(yaml_where(path, entry) +
                      ": expected a map (fingerprint, decision, legal_basis, by, at, note)");
    Decision decision;
    decision.source = yaml_where(path, entry);
    bool has_decision = false;
    for (const auto& item : entry) {
      const auto key = item.first.IsScalar() ? item.first.as<std::string>() : std::string();
      if (!known_key(key))
        throw DataError(yaml_where(path, item.first) + ": unknown key " + key_name(key) +
                        " (expected " + kKeyList + ")");
      if (!item.second.IsScalar() && !item.second.IsNull())
        throw DataError(yaml_where(path, item.second) + ": '" + key + "' must be a string");
      const auto value = item.second.IsNull() ? std::string() : item.second.as<std::string>();
      if (key == "decision" && trim(value).empty()) continue;
      set_field(decision, key, value, yaml_where(path, item.second));
      has_decision = has_decision || key == "decision";
    }
    add_decision(set, std::move(decision), has_decision);
  }
}

}  // namespace

bool is_iso_date(std::string_view text) {
  if (text.size() != 10 || !digits(text, 0, 4) || text[4] != '-' || !digits(text, 5, 2) ||
      text[7] != '-' || !digits(text, 8, 2))
    return false;
  const int year = number(text, 0, 4);
  const int month = number(text, 5, 2);
  const int day = number(text, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

std::string_view to_string(Decision::Kind kind) {
  switch (kind) {
    case Decision::Kind::kNotSubject:
      return "not_subject";
    case Decision::Kind::kRetain:
      return "retain";
    case Decision::Kind::kErasedManually:
      return "erased_manually";
  }
  return "";
}

std::optional<Decision::Kind> parse_decision_kind(std::string_view text) {
  return decision_kind(text);
}

DecisionSet load_decisions_file(const std::string& path) {
  std::string why;
  const auto text = read_regular_file(path, kMaxDecisionsBytes, why);
  if (!text) throw MissingInputError(path + ": cannot read the decisions file: " + why);
  DecisionSet set;
  set.path = path;
  set.sha256 = sha256_hex(*text);
  const auto extension = ascii_lower(std::filesystem::path(path).extension().string());
  if (extension == ".csv") {
    read_csv(set, *text);
  } else if (extension == ".yaml" || extension == ".yml") {
    // yaml-cpp's own errors (a syntax error, a conversion it refuses) name line and column too.
    try {
      read_yaml(set, load_yaml(*text, YamlLimits{}.max_alias_nodes));
    } catch (const YAML::Exception& e) {
      throw DataError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
  } else {
    throw DataError(path + ": a decisions file is .csv, .yaml or .yml");
  }
  return set;
}

std::string stale_note(const Decision& decision) {
  return "stale decision: " + std::string(to_string(decision.kind)) + " for fingerprint " +
         decision.fingerprint + " (" + decision.source +
         ") matches no finding of this report: left unused";
}

std::string decisions_note(const AppliedDecisions& decisions) {
  std::string note = "decisions";
  if (!decisions.path.empty())
    note += ": " + decisions.path + " (sha256 " + decisions.sha256.substr(0, 16) + "…)";
  note += ": " + std::to_string(decisions.by_fingerprint.size()) + " finding(s) decided";
  if (!decisions.stale.empty()) note += ", " + std::to_string(decisions.stale.size()) + " stale";
  return note;
}

std::vector<Decision> decide_findings(Report& report, const DecisionSet& file) {
  report.decisions = apply_decisions(file, report.findings);
  report.notes.push_back(decisions_note(report.decisions));
  for (const auto& stale : report.decisions.stale) report.notes.push_back(stale_note(stale));
  return report.decisions.stale;
}

}  // namespace crmscan

#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "org.hpp"

namespace crmscan::sfemu {

/// A literal of a SOQL condition.
struct Literal {
  enum class Kind { kString, kNumber, kBoolean, kNull, kDate };
  Kind kind = Kind::kNull;
  /// The decoded text; for a LIKE pattern, `wildcards` marks which bytes are `%` or `_`.
  std::string text;
  std::vector<bool> wildcards;
  /// For an id compared with an Id or reference field: its case-safe key.
  std::string id_key;
};

/// A WHERE condition: a connective over its children, or a test of one field.
struct Condition {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn, kLike };
  Kind kind = Kind::kCompare;
  std::vector<Condition> children;
  std::size_t column = 0;
  FieldType type = FieldType::kString;
  /// For kCompare: "=", "!=", "<", "<=", ">", ">=".
  std::string op;
  /// For kIn: NOT IN.
  bool negated = false;
  std::vector<Literal> values;
};

/// An ORDER BY item.
struct OrderItem {
  std::size_t column = 0;
  bool descending = false;
  bool nulls_last = false;
};

/// A parsed SOQL query, its names resolved against the org.
struct Query {
  const SObject* object = nullptr;
  std::vector<std::size_t> columns;
  std::optional<Condition> where;
  std::vector<OrderItem> order_by;
  std::optional<std::size_t> limit;
};

/// Parses `SELECT f, … FROM Obj [WHERE …] [ORDER BY …] [LIMIT n]`; throws ApiError
/// (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, INVALID_QUERY_FILTER_OPERATOR).
Query parse_soql(std::string_view text, const Org& org);

/// The rows a query selects, in order; `all_rows` keeps deleted and archived ones (queryAll).
std::vector<std::size_t> run_query(const Query& query, bool all_rows);

/// Which fields a SOSL search looks in.
enum class SearchScope { kAll, kName, kEmail, kPhone };

/// A SOSL search expression: a word or quoted phrase (its tokens, in order, folded; `*` and `?`
/// kept as wildcards), or AND / OR / AND NOT over its children.
struct SearchTerm {
  enum class Kind { kTokens, kAnd, kOr, kAndNot };
  Kind kind = Kind::kTokens;
  std::vector<std::string> tokens;
  std::vector<SearchTerm> children;
};

/// A parsed SOSL search.
struct Search {
  SearchTerm expression;
  SearchScope scope = SearchScope::kAll;
  /// One query per RETURNING object; `columns` empty means the Id alone.
  std::vector<Query> returning;
  std::optional<std::size_t> limit;
};

/// Parses `FIND {terms} [IN … FIELDS] [RETURNING Obj(f, … [WHERE …] [ORDER BY …] [LIMIT n]), …]
/// [LIMIT n]`, where terms are words and quoted phrases joined by OR, AND, AND NOT and
/// parentheses; throws ApiError (MALFORMED_SEARCH, INVALID_TYPE, INVALID_FIELD…).
Search parse_sosl(std::string_view text, const Org& org);

/// A record that a search found.
struct SearchHit {
  const Query* query = nullptr;
  std::size_t row = 0;
};

/// How the search engine is set up.
struct SearchOptions {
  /// Results of one search at most (Salesforce: 2,000 since API version 28.0).
  std::size_t max_results = 2000;
  /// Whether archived activities are in the search index (no public source says).
  bool archived = false;
};

/// The records a search finds, never deleted ones: per object at most its LIMIT, or an even share
/// of the results cap when it has none, and at most the cap in all, objects served in order.
std::vector<SearchHit> run_search(const Search& search, const SearchOptions& options = {});

/// The tokens the search index holds for a value: split at spaces and punctuation, folded.
std::vector<std::string> search_tokens(std::string_view value);

}  // namespace crmscan::sfemu

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

/// A parsed SOSL search.
struct Search {
  /// The terms joined by OR: a record matches when one of them does.
  std::vector<std::string> terms;
  SearchScope scope = SearchScope::kAll;
  /// One query per RETURNING object; `columns` empty means the Id alone.
  std::vector<Query> returning;
  std::optional<std::size_t> limit;
};

/// Parses `FIND {term [OR term…]} [IN … FIELDS] [RETURNING Obj(f, … [WHERE …] [ORDER BY …] [LIMIT
/// n]), …] [LIMIT n]`; throws ApiError (MALFORMED_SEARCH, INVALID_TYPE, INVALID_FIELD…).
Search parse_sosl(std::string_view text, const Org& org);

/// A record that a search found.
struct SearchHit {
  const Query* query = nullptr;
  std::size_t row = 0;
};

/// The records a search finds: not deleted ones, at most 2000.
std::vector<SearchHit> run_search(const Search& search);

}  // namespace crmscan::sfemu

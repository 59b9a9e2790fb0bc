#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crmscan/record.hpp"

namespace crmscan::d365emu {

/// A $filter the emulator cannot read, or that names a property the entity lacks; Dataverse
/// answers such a query 400.
class FilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The subset of OData $filter that Dataverse queries use here: `or`, `and`, `not`, parentheses,
/// `eq` and `ne` against a string ('it''s'), a GUID, a number, true, false or null, and the
/// functions contains, startswith and endswith. Strings compare as Dataverse's collations do:
/// never case-sensitive, accent-insensitive unless the environment's language is one of those
/// whose collation is accent-sensitive (`accent_sensitive`). `eq` compares the whole value as
/// stored; contains, startswith and endswith read `%`, `_`, `[set]` and `[^set]` in their value
/// as wildcards, as T-SQL LIKE does. See README.md for the sources.
class Filter {
 public:
  /// Parses `text`; `has_property` tells the properties that may be named. Throws FilterError.
  Filter(std::string_view text, const std::function<bool(const std::string&)>& has_property,
         bool accent_sensitive = false);
  Filter() = default;

  /// Whether the record whose property values `get` returns (null for none) matches.
  bool matches(const std::function<const Value*(const std::string&)>& get) const;
  /// Whether a condition has a leading wildcard (contains, endswith, or a value that starts with
  /// a wildcard character), which keeps the database from using an index.
  bool has_leading_wildcard() const;

  enum class Kind {
    kTrue,
    kOr,
    kAnd,
    kNot,
    kEquals,
    kNotEquals,
    kContains,
    kStartsWith,
    kEndsWith
  };
  struct Literal {
    enum class Type { kNull, kString, kGuid, kBool, kNumber } type = Type::kNull;
    std::string text;        // a string folded, or a GUID lower-cased
    bool wildcards = false;  // a string holding %, _ or [
    bool boolean = false;
    double number = 0;
  };
  struct Node {
    Kind kind = Kind::kTrue;
    std::vector<Node> children;
    std::string property;
    Literal literal;
  };

 private:
  Node root_;
  bool accent_sensitive_ = false;
};

}  // namespace crmscan::d365emu

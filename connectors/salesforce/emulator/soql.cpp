#include "soql.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "crmscan/normalize.hpp"
#include "crmscan/text.hpp"

namespace crmscan::sfemu {
namespace {

constexpr std::string_view kSearchReserved = "?&|!{}[]()^~*:\\\"'+-";

// "\nSELECT Foo FROM Contact\n       ^\nERROR at Row:1:Column:8\n…", as Salesforce words it.
[[noreturn]] void fail(std::string code, std::string_view text, std::size_t position,
                       const std::string& what) {
  position = std::min(position, text.size());
  std::size_t row = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < position; ++i) {
    if (text[i] == '\n') {
      ++row;
      line_start = i + 1;
    }
  }
  auto line_end = text.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = text.size();
  const auto column = position - line_start + 1;
  throw ApiError(400, std::move(code),
                 "\n" + std::string(text.substr(line_start, line_end - line_start)) + "\n" +
                     std::string(column - 1, ' ') + "^\nERROR at Row:" + std::to_string(row) +
                     ":Column:" + std::to_string(column) + "\n" + what);
}

struct Token {
  enum class Kind { kWord, kString, kNumber, kDate, kSymbol, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // a string literal's raw content, between its quotes
  std::size_t position = 0;
};

bool is_word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

std::vector<Token> tokenize(std::string_view text, std::size_t start, const std::string& code) {
  std::vector<Token> tokens;
  std::size_t at = start;
  while (true) {
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
    Token token;
    token.position = at;
    if (at == text.size()) {
      tokens.push_back(token);
      return tokens;
    }
    const char c = text[at];
    std::size_t end = at + 1;
    if (is_word_start(c)) {
      while (end < text.size() && is_word_char(text[end])) ++end;
      token.kind = Token::Kind::kWord;
    } else if (c == '\'') {
      while (end < text.size() && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
      if (end >= text.size()) fail(code, text, at, "unterminated string literal");
      token.kind = Token::Kind::kString;
      token.text = std::string(text.substr(at + 1, end - at - 1));
      ++end;
    } else if (is_digit(c) ||
               ((c == '-' || c == '+') && at + 1 < text.size() && is_digit(text[at + 1]))) {
      while (end < text.size() &&
             (is_digit(text[end]) ||
              std::string_view("-:.TZ+").find(text[end]) != std::string_view::npos)) {
        ++end;
      }
      const auto literal = text.substr(at, end - at);
      if (is_date(literal) || is_datetime(literal)) {
        token.kind = Token::Kind::kDate;
      } else {
        // Not a date: a number is digits with at most one decimal point.
        end = at + 1;
        while (end < text.size() && is_digit(text[end])) ++end;
        if (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1])) {
          ++end;
          while (end < text.size() && is_digit(text[end])) ++end;
        }
        token.kind = Token::Kind::kNumber;
      }
    } else {
      for (const std::string_view symbol : {"!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ","}) {
        if (text.substr(at).starts_with(symbol)) {
          end = at + symbol.size();
          token.kind = Token::Kind::kSymbol;
          break;
        }
      }
      if (token.kind != Token::Kind::kSymbol)
        fail(code, text, at, "unexpected token: '" + std::string(1, c) + "'");
    }
    if (token.kind != Token::Kind::kString) token.text = std::string(text.substr(at, end - at));
    tokens.push_back(std::move(token));
    at = end;
  }
}

bool is_texty(FieldType type) {
  return type == FieldType::kString || type == FieldType::kTextArea || type == FieldType::kEmail ||
         type == FieldType::kPhone;
}

bool is_id_type(FieldType type) {
  return type == FieldType::kId || type == FieldType::kReference;
}

// The value compared as a number when both sides are numbers, else as case-folded text.
int compare_values(std::string_view a, std::string_view b, FieldType type) {
  if (type == FieldType::kDateTime) {
    const auto x = rest_datetime(a);
    const auto y = rest_datetime(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  double x = 0;
  double y = 0;
  const auto ax = std::from_chars(a.data(), a.data() + a.size(), x);
  const auto by = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ax.ec == std::errc() && ax.ptr == a.data() + a.size() && by.ec == std::errc() &&
      by.ptr == b.data() + b.size()) {
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const auto la = ascii_lower(a);
  const auto lb = ascii_lower(b);
  return la < lb ? -1 : (la > lb ? 1 : 0);
}

std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// LIKE: `%` any run, `_` one character, without regard to ASCII case.
bool like(std::string_view value, const Literal& pattern) {
  const auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  const auto& p = pattern.text;
  std::size_t i = 0;
  std::size_t j = 0;
  std::optional<std::size_t> star_j;
  std::size_t star_i = 0;
  while (i < value.size()) {
    if (j < p.size() && pattern.wildcards[j] && p[j] == '%') {
      star_j = j++;
      star_i = i;
    } else if (j < p.size() && pattern.wildcards[j] && p[j] == '_') {
      i += utf8_length(static_cast<unsigned char>(value[i]));
      ++j;
    } else if (j < p.size() && !pattern.wildcards[j] && lower(p[j]) == lower(value[i])) {
      ++i;
      ++j;
    } else if (star_j) {
      j = *star_j + 1;
      star_i += utf8_length(static_cast<unsigned char>(value[star_i]));
      i = star_i;
    } else {
      return false;
    }
  }
  while (j < p.size() && pattern.wildcards[j] && p[j] == '%') ++j;
  return j == p.size() && i == value.size();
}

bool equals(const Condition& test, const Literal& literal, std::string_view value) {
  if (literal.kind == Literal::Kind::kNull || (is_id_type(test.type) && literal.text.empty()))
    return value.empty();
  if (is_id_type(test.type)) {
    const auto key = salesforce_id_key(value);
    return key && *key == literal.id_key;
  }
  if (test.type == FieldType::kDateTime) return rest_datetime(value) == rest_datetime(literal.text);
  return iequals(value, literal.text);
}

bool holds(const Condition& condition, const std::vector<std::string>& row) {
  switch (condition.kind) {
    case Condition::Kind::kAnd:
      return std::all_of(condition.children.begin(), condition.children.end(),
                         [&](const Condition& c) { return holds(c, row); });
    case Condition::Kind::kOr:
      return std::any_of(condition.children.begin(), condition.children.end(),
                         [&](const Condition& c) { return holds(c, row); });
    case Condition::Kind::kNot:
      return !holds(condition.children.front(), row);
    case Condition::Kind::kIn: {
      const auto& value = row[condition.column];
      const bool found =
          std::any_of(condition.values.begin(), condition.values.end(),
                      [&](const Literal& literal) { return equals(condition, literal, value); });
      return found != condition.negated;
    }
    case Condition::Kind::kLike:
      return like(row[condition.column], condition.values.front());
    case Condition::Kind::kCompare: {
      const auto& value = row[condition.column];
      const auto& literal = condition.values.front();
      if (condition.op == "=") return equals(condition, literal, value);
      if (condition.op == "!=") return !equals(condition, literal, value);
      if (value.empty() || literal.kind == Literal::Kind::kNull) return false;
      const int order = compare_values(value, literal.text, condition.type);
      if (condition.op == "<") return order < 0;
      if (condition.op == "<=") return order <= 0;
      if (condition.op == ">") return order > 0;
      return order >= 0;
    }
  }
  return false;
}

void sort_rows(const Query& query, std::vector<std::size_t>& rows) {
  if (query.order_by.empty()) return;
  const auto& data = query.object->rows;
  std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
    for (const auto& item : query.order_by) {
      const auto& x = data[a][item.column];
      const auto& y = data[b][item.column];
      if (x.empty() != y.empty()) return x.empty() != item.nulls_last;
      const int order = compare_values(x, y, query.object->fields[item.column].type);
      if (order != 0) return item.descending ? order > 0 : order < 0;
    }
    return false;
  });
}

std::vector<std::size_t> select_rows(const Query& query, bool keep_deleted, bool keep_archived) {
  std::vector<std::size_t> rows;
  const auto& object = *query.object;
  for (std::size_t i = 0; i < object.rows.size(); ++i) {
    const auto& row = object.rows[i];
    if (!keep_deleted && object.is_deleted(row)) continue;
    if (!keep_archived && object.is_archived(row)) continue;
    if (query.where && !holds(*query.where, row)) continue;
    rows.push_back(i);
  }
  sort_rows(query, rows);
  return rows;
}

struct NameAt {
  std::string name;
  std::size_t position;
};

// Recursive-descent parser over the tokens of a SOQL query or of a SOSL search's clauses.
class Parser {
 public:
  Parser(std::string_view text, std::size_t start, const Org& org, std::string malformed)
      : text_(text),
        org_(org),
        malformed_(std::move(malformed)),
        tokens_(tokenize(text, start, malformed_)) {}

  Query parse_query() {
    expect_keyword("SELECT");
    auto names = parse_names();
    expect_keyword("FROM");
    Query query;
    query.object = parse_object();
    query.columns = resolve(*query.object, names);
    parse_clauses(query);
    expect_end();
    return query;
  }

  Search parse_search_clauses() {
    Search search;
    if (accept_keyword("IN")) {
      const auto scope = next();
      if (is_keyword(scope, "ALL"))
        search.scope = SearchScope::kAll;
      else if (is_keyword(scope, "NAME"))
        search.scope = SearchScope::kName;
      else if (is_keyword(scope, "EMAIL"))
        search.scope = SearchScope::kEmail;
      else if (is_keyword(scope, "PHONE"))
        search.scope = SearchScope::kPhone;
      else
        unexpected(scope);
      expect_keyword("FIELDS");
    }
    if (accept_keyword("RETURNING")) {
      do {
        Query query;
        query.object = parse_object();
        if (accept_symbol("(")) {
          auto names = parse_names();
          query.columns = resolve(*query.object, names);
          parse_clauses(query);
          expect_symbol(")");
        }
        search.returning.push_back(std::move(query));
      } while (accept_symbol(","));
    } else {
      for (const auto& object : org_.objects()) {
        Query query;
        query.object = &object;
        search.returning.push_back(std::move(query));
      }
    }
    if (accept_keyword("LIMIT")) search.limit = parse_count();
    expect_end();
    return search;
  }

 private:
  const Token& peek() const { return tokens_[at_]; }
  const Token& next() {
    const auto& token = tokens_[at_];
    if (token.kind != Token::Kind::kEnd) ++at_;
    return token;
  }
  static bool is_keyword(const Token& token, std::string_view word) {
    return token.kind == Token::Kind::kWord && iequals(token.text, word);
  }
  bool accept_keyword(std::string_view word) {
    if (!is_keyword(peek(), word)) return false;
    next();
    return true;
  }
  bool accept_symbol(std::string_view symbol) {
    if (peek().kind != Token::Kind::kSymbol || peek().text != symbol) return false;
    next();
    return true;
  }
  [[noreturn]] void unexpected(const Token& token) const {
    fail(malformed_, text_, token.position,
         token.kind == Token::Kind::kEnd ? "unexpected token: <EOF>"
                                         : "unexpected token: '" + token.text + "'");
  }
  void expect_keyword(std::string_view word) {
    if (!accept_keyword(word)) unexpected(peek());
  }
  void expect_symbol(std::string_view symbol) {
    if (!accept_symbol(symbol)) unexpected(peek());
  }
  void expect_end() const {
    if (peek().kind != Token::Kind::kEnd) unexpected(peek());
  }

  std::vector<NameAt> parse_names() {
    std::vector<NameAt> names;
    do {
      const auto& token = next();
      if (token.kind != Token::Kind::kWord || is_keyword(token, "FROM")) unexpected(token);
      names.push_back({token.text, token.position});
    } while (accept_symbol(","));
    return names;
  }

  const SObject* parse_object() {
    const auto& token = next();
    if (token.kind != Token::Kind::kWord) unexpected(token);
    const auto* object = org_.find(token.text);
    if (!object) {
      fail("INVALID_TYPE", text_, token.position,
           "sObject type '" + token.text +
               "' is not supported. If you are attempting to use a custom object, be sure to "
               "append the '__c' after the entity name. Please reference your WSDL or the "
               "describe call for the appropriate names.");
    }
    return object;
  }

  std::size_t resolve(const SObject& object, const NameAt& name) const {
    if (const auto column = object.column(name.name)) return *column;
    if (const auto dot = name.name.find('.'); dot != std::string::npos) {
      fail("INVALID_FIELD", text_, name.position,
           "Didn't understand relationship '" + name.name.substr(0, dot) +
               "' in field path. If you are attempting to use a custom relationship, be sure to "
               "append the '__r' after the custom relationship name. Please reference your WSDL "
               "or the describe call for the appropriate names.");
    }
    fail("INVALID_FIELD", text_, name.position,
         "No such column '" + name.name + "' on entity '" + object.name +
             "'. If you are attempting to use a custom field, be sure to append the '__c' after "
             "the custom field name. Please reference your WSDL or the describe call for the "
             "appropriate names.");
  }

  std::vector<std::size_t> resolve(const SObject& object, const std::vector<NameAt>& names) const {
    std::vector<std::size_t> columns;
    for (const auto& name : names) {
      const auto column = resolve(object, name);
      if (std::find(columns.begin(), columns.end(), column) != columns.end()) {
        fail(malformed_, text_, name.position, "duplicate field selected: " + name.name);
      }
      columns.push_back(column);
    }
    return columns;
  }

  void parse_clauses(Query& query) {
    if (accept_keyword("WHERE")) query.where = parse_expression(*query.object);
    if (accept_keyword("ORDER")) {
      expect_keyword("BY");
      do {
        const auto& token = next();
        if (token.kind != Token::Kind::kWord) unexpected(token);
        OrderItem item;
        item.column = resolve(*query.object, NameAt{token.text, token.position});
        if (accept_keyword("DESC"))
          item.descending = true;
        else
          accept_keyword("ASC");
        item.nulls_last = item.descending;
        if (accept_keyword("NULLS")) {
          if (accept_keyword("LAST"))
            item.nulls_last = true;
          else if (accept_keyword("FIRST"))
            item.nulls_last = false;
          else
            unexpected(peek());
        }
        query.order_by.push_back(item);
      } while (accept_symbol(","));
    }
    if (accept_keyword("LIMIT")) query.limit = parse_count();
  }

  std::size_t parse_count() {
    const auto& token = next();
    std::size_t count = 0;
    const auto end = token.text.data() + token.text.size();
    if (token.kind != Token::Kind::kNumber ||
        std::from_chars(token.text.data(), end, count).ptr != end) {
      unexpected(token);
    }
    return count;
  }

  // SOQL does not mix AND and OR at one level: parentheses must say which binds first.
  Condition parse_expression(const SObject& object) {
    auto first = parse_unary(object);
    Condition::Kind kind;
    if (is_keyword(peek(), "AND"))
      kind = Condition::Kind::kAnd;
    else if (is_keyword(peek(), "OR"))
      kind = Condition::Kind::kOr;
    else
      return first;
    Condition joined;
    joined.kind = kind;
    joined.children.push_back(std::move(first));
    const auto word = kind == Condition::Kind::kAnd ? "AND" : "OR";
    const auto other = kind == Condition::Kind::kAnd ? "OR" : "AND";
    while (accept_keyword(word)) joined.children.push_back(parse_unary(object));
    if (is_keyword(peek(), other)) unexpected(peek());
    return joined;
  }

  Condition parse_unary(const SObject& object) {
    if (accept_keyword("NOT")) {
      Condition negation;
      negation.kind = Condition::Kind::kNot;
      negation.children.push_back(parse_unary(object));
      return negation;
    }
    if (accept_symbol("(")) {
      auto inner = parse_expression(object);
      expect_symbol(")");
      return inner;
    }
    return parse_test(object);
  }

  Condition parse_test(const SObject& object) {
    const auto& name = next();
    if (name.kind != Token::Kind::kWord) unexpected(name);
    Condition test;
    test.column = resolve(object, NameAt{name.text, name.position});
    const auto& field = object.fields[test.column];
    test.type = field.type;
    if (field.type == FieldType::kTextArea) {
      fail("INVALID_FIELD", text_, name.position,
           "field '" + field.name + "' can not be filtered in a query call");
    }
    const auto& op = next();
    if (op.kind == Token::Kind::kSymbol && op.text != "(" && op.text != ")" && op.text != ",") {
      test.kind = Condition::Kind::kCompare;
      test.op = op.text == "<>" ? "!=" : op.text;
      test.values.push_back(parse_literal(field, false));
    } else if (is_keyword(op, "IN") || (is_keyword(op, "NOT") && accept_keyword("IN"))) {
      test.kind = Condition::Kind::kIn;
      test.negated = is_keyword(op, "NOT");
      expect_symbol("(");
      do {
        test.values.push_back(parse_literal(field, false));
      } while (accept_symbol(","));
      expect_symbol(")");
    } else if (is_keyword(op, "LIKE")) {
      test.kind = Condition::Kind::kLike;
      if (peek().kind != Token::Kind::kString) unexpected(peek());
      test.values.push_back(parse_literal(field, true));
    } else {
      unexpected(op);
    }
    return test;
  }

  Literal parse_literal(const Field& field, bool like) {
    const auto& token = next();
    Literal literal;
    switch (token.kind) {
      case Token::Kind::kString:
        literal.kind = Literal::Kind::kString;
        decode_string(token, like, literal);
        break;
      case Token::Kind::kNumber:
        literal.kind = Literal::Kind::kNumber;
        literal.text = token.text;
        break;
      case Token::Kind::kDate:
        literal.kind = Literal::Kind::kDate;
        literal.text = token.text;
        break;
      case Token::Kind::kWord:
        if (is_keyword(token, "null")) {
          literal.kind = Literal::Kind::kNull;
        } else if (is_keyword(token, "true") || is_keyword(token, "false")) {
          literal.kind = Literal::Kind::kBoolean;
          literal.text = ascii_lower(token.text);
        } else {
          unexpected(token);
        }
        break;
      default:
        unexpected(token);
    }
    check_type(field, literal, token);
    return literal;
  }

  // Salesforce refuses a literal of the wrong kind for the field, and an id that is not one.
  void check_type(const Field& field, Literal& literal, const Token& token) const {
    if (literal.kind == Literal::Kind::kNull) return;
    const auto must_be = [&](std::string_view type, bool quoted) {
      fail("INVALID_QUERY_FILTER_OPERATOR", text_, token.position,
           "value of filter criterion for field '" + field.name + "' must be of type " +
               std::string(type) +
               (quoted ? " and should be enclosed in quotes"
                       : " and should not be enclosed in quotes"));
    };
    switch (field.type) {
      case FieldType::kBoolean:
        if (literal.kind != Literal::Kind::kBoolean) must_be("boolean", false);
        return;
      case FieldType::kDate:
        if (literal.kind != Literal::Kind::kDate || !is_date(literal.text)) must_be("date", false);
        return;
      case FieldType::kDateTime:
        if (literal.kind != Literal::Kind::kDate || !is_datetime(literal.text))
          must_be("dateTime", false);
        return;
      case FieldType::kId:
      case FieldType::kReference:
        if (literal.kind != Literal::Kind::kString) must_be("id", true);
        if (!literal.wildcards.empty() || literal.text.empty()) return;
        if (auto key = salesforce_id_key(literal.text)) {
          literal.id_key = std::move(*key);
          return;
        }
        fail("INVALID_QUERY_FILTER_OPERATOR", text_, token.position,
             "invalid ID field: " + literal.text);
      default:
        if (literal.kind != Literal::Kind::kString) must_be("string", true);
    }
  }

  void decode_string(const Token& token, bool like, Literal& literal) const {
    const auto& raw = token.text;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      bool wildcard = like && (c == '%' || c == '_');
      if (c == '\\') {
        const char e = i + 1 < raw.size() ? raw[++i] : '\0';
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 'r':
            c = '\r';
            break;
          case 't':
            c = '\t';
            break;
          case 'b':
            c = '\b';
            break;
          case 'f':
            c = '\f';
            break;
          case '"':
          case '\'':
          case '\\':
            c = e;
            break;
          case '%':
          case '_':
            if (like) {
              c = e;
              break;
            }
            [[fallthrough]];
          default:
            fail(malformed_, text_, token.position + 1 + i,
                 "Invalid string literal '" + raw + "'. Illegal escape sequence '\\" +
                     std::string(1, e) + "'");
        }
        wildcard = false;
      }
      literal.text.push_back(c);
      if (like) literal.wildcards.push_back(wildcard);
    }
  }

  std::string_view text_;
  const Org& org_;
  std::string malformed_;
  std::vector<Token> tokens_;
  std::size_t at_ = 0;
};

// A query word's tokens: split at spaces and punctuation like values are, but `*` and `?` kept
// as wildcards inside a token; each piece between wildcards folded.
std::vector<std::string> query_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::string raw;
  const auto flush = [&] {
    if (raw.empty()) return;
    std::string token, piece;
    for (const char c : raw) {
      if (c == '*' || c == '?') {
        token += fold_name(piece) + c;
        piece.clear();
      } else {
        piece.push_back(c);
      }
    }
    token += fold_name(piece);
    if (!token.empty()) tokens.push_back(std::move(token));
    raw.clear();
  };
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) || c == '*' || c == '?' || c == '\'') {
      raw.push_back(c);
    } else {
      flush();
    }
  }
  flush();
  return tokens;
}

// A token against a query token: equal, or matching its wildcards (`*` any run, `?` one).
bool token_matches(std::string_view token, std::string_view pattern) {
  if (pattern.find_first_of("*?") == std::string_view::npos) return token == pattern;
  std::size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < token.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == token[t])) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The query's tokens in a row among one field's tokens.
bool has_phrase(const std::vector<std::string>& field, const std::vector<std::string>& phrase) {
  if (phrase.empty() || field.size() < phrase.size()) return false;
  for (std::size_t start = 0; start + phrase.size() <= field.size(); ++start) {
    std::size_t i = 0;
    while (i < phrase.size() && token_matches(field[start + i], phrase[i])) ++i;
    if (i == phrase.size()) return true;
  }
  return false;
}

// The tokens of the fields a search looks in, one list per field, for one record.
std::vector<std::vector<std::string>> searched_fields(const SObject& object,
                                                      const std::vector<std::string>& row,
                                                      SearchScope scope) {
  std::vector<std::vector<std::string>> fields;
  if (scope == SearchScope::kName || scope == SearchScope::kAll) {
    for (const std::string_view name : {"Name", "FirstName", "LastName", "SuppliedName"}) {
      if (const auto column = object.column(name); column && !row[*column].empty())
        fields.push_back(search_tokens(row[*column]));
    }
    const auto first = object.column("FirstName");
    const auto last = object.column("LastName");
    if (first && last) fields.push_back(search_tokens(row[*first] + " " + row[*last]));
  }
  if (scope == SearchScope::kName) return fields;
  for (std::size_t i = 0; i < object.fields.size(); ++i) {
    const auto type = object.fields[i].type;
    const bool searched = scope == SearchScope::kAll     ? is_texty(type)
                          : scope == SearchScope::kEmail ? type == FieldType::kEmail
                                                         : type == FieldType::kPhone;
    if (searched && !row[i].empty()) fields.push_back(search_tokens(row[i]));
  }
  return fields;
}

bool matches(const SearchTerm& term, const std::vector<std::vector<std::string>>& fields) {
  switch (term.kind) {
    case SearchTerm::Kind::kTokens:
      return std::any_of(fields.begin(), fields.end(),
                         [&](const auto& field) { return has_phrase(field, term.tokens); });
    case SearchTerm::Kind::kAnd:
      return std::all_of(term.children.begin(), term.children.end(),
                         [&](const SearchTerm& child) { return matches(child, fields); });
    case SearchTerm::Kind::kOr:
      return std::any_of(term.children.begin(), term.children.end(),
                         [&](const SearchTerm& child) { return matches(child, fields); });
    case SearchTerm::Kind::kAndNot:
      return matches(term.children[0], fields) && !matches(term.children[1], fields);
  }
  return false;
}

// The search expression inside FIND's braces: words, "quoted phrases", OR, AND, AND NOT and
// parentheses. Reserved characters are escaped with a backslash; `*` and `?` are wildcards.
class FindParser {
 public:
  FindParser(std::string_view text, std::size_t start, std::string code)
      : text_(text), at_(start), code_(std::move(code)) {}

  SearchTerm parse() {
    auto term = parse_or();
    skip_spaces();
    if (at_ >= text_.size() || text_[at_] != '}')
      fail(code_, text_, at_, "missing '}' after the search term");
    ++at_;
    return term;
  }
  std::size_t end() const { return at_; }

 private:
  void skip_spaces() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  bool keyword(std::string_view word) {
    skip_spaces();
    const auto after = at_ + word.size();
    if (!iequals(text_.substr(at_, word.size()), word) || after >= text_.size() ||
        !(std::isspace(static_cast<unsigned char>(text_[after])) || text_[after] == '(' ||
          text_[after] == '"'))
      return false;
    at_ = after;
    return true;
  }
  SearchTerm combine(SearchTerm::Kind kind, SearchTerm left, SearchTerm right) {
    SearchTerm term;
    term.kind = kind;
    term.children.push_back(std::move(left));
    term.children.push_back(std::move(right));
    return term;
  }
  SearchTerm parse_or() {
    auto term = parse_and();
    while (keyword("OR")) term = combine(SearchTerm::Kind::kOr, std::move(term), parse_and());
    return term;
  }
  SearchTerm parse_and() {
    auto term = parse_primary();
    for (;;) {
      const auto mark = at_;
      if (keyword("AND")) {
        const auto kind = keyword("NOT") ? SearchTerm::Kind::kAndNot : SearchTerm::Kind::kAnd;
        term = combine(kind, std::move(term), parse_primary());
        continue;
      }
      at_ = mark;
      skip_spaces();
      // Words side by side, no operator between them: all of them.
      if (at_ < text_.size() && text_[at_] != '}' && text_[at_] != ')' && !keyword_ahead("OR")) {
        term = combine(SearchTerm::Kind::kAnd, std::move(term), parse_primary());
        continue;
      }
      at_ = mark;
      return term;
    }
  }
  bool keyword_ahead(std::string_view word) {
    const auto mark = at_;
    const bool found = keyword(word);
    at_ = mark;
    return found;
  }
  SearchTerm parse_primary() {
    skip_spaces();
    if (at_ >= text_.size()) fail(code_, text_, at_, "missing '}' after the search term");
    if (text_[at_] == '(') {
      ++at_;
      auto term = parse_or();
      skip_spaces();
      if (at_ >= text_.size() || text_[at_] != ')')
        fail(code_, text_, at_, "missing ')' in the search term");
      ++at_;
      return term;
    }
    const bool quoted = text_[at_] == '"';
    if (quoted) ++at_;
    const auto start = at_;
    std::string raw;
    for (;; ++at_) {
      if (at_ >= text_.size()) fail(code_, text_, at_, "missing '}' after the search term");
      const char c = text_[at_];
      if (quoted ? c == '"'
                 : (std::isspace(static_cast<unsigned char>(c)) || c == '}' || c == ')' ||
                    c == '(' || c == '"'))
        break;
      if (c == '\\') {
        const char e = at_ + 1 < text_.size() ? text_[++at_] : '\0';
        if (kSearchReserved.find(e) == std::string_view::npos || e == '\0')
          fail(code_, text_, at_, "Invalid escape sequence '\\" + std::string(1, e) + "'");
        // An escaped character is literal text, tokenised as stored text is; an escaped wildcard
        // is punctuation, which separates tokens.
        raw.push_back(e == '*' || e == '?' ? ' ' : e);
      } else if (c != '*' && c != '?' && kSearchReserved.find(c) != std::string_view::npos) {
        fail(code_, text_, at_,
             "reserved character '" + std::string(1, c) + "' must be escaped with a backslash");
      } else {
        raw.push_back(c);
      }
    }
    if (quoted) ++at_;
    SearchTerm term;
    term.tokens = query_tokens(raw);
    if (term.tokens.empty() || (term.tokens.size() == 1 && term.tokens[0].size() < 2))
      fail(code_, text_, start, "search term must be longer than one character");
    for (const auto& token : term.tokens) {
      // "The wildcard can't be the first character in a search term".
      if (token.front() == '*' || token.front() == '?')
        fail(code_, text_, start, "a wildcard cannot begin a search term");
    }
    return term;
  }

  std::string_view text_;
  std::size_t at_;
  std::string code_;
};

}  // namespace

Query parse_soql(std::string_view text, const Org& org) {
  return Parser(text, 0, org, "MALFORMED_QUERY").parse_query();
}

std::vector<std::size_t> run_query(const Query& query, bool all_rows) {
  auto rows = select_rows(query, all_rows, all_rows);
  if (query.limit && rows.size() > *query.limit) rows.resize(*query.limit);
  return rows;
}

Search parse_sosl(std::string_view text, const Org& org) {
  const std::string code = "MALFORMED_SEARCH";
  std::size_t at = 0;
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  if (!iequals(text.substr(at, 4), "FIND")) fail(code, text, at, "unexpected token: FIND expected");
  at += 4;
  while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
  if (at == text.size() || text[at] != '{')
    fail(code, text, at, "missing '{' before the search term");
  FindParser find(text, at + 1, code);
  auto expression = find.parse();
  auto search = Parser(text, find.end(), org, code).parse_search_clauses();
  search.expression = std::move(expression);
  return search;
}

std::vector<std::string> search_tokens(std::string_view value) {
  return folded_words(value);
}

std::vector<SearchHit> run_search(const Search& search, const SearchOptions& options) {
  const auto cap = std::min(search.limit.value_or(options.max_results), options.max_results);
  // An object without a LIMIT of its own gets an even share of the cap.
  std::size_t unlimited = 0;
  for (const auto& query : search.returning) unlimited += query.limit ? 0 : 1;
  const auto share = cap / std::max<std::size_t>(unlimited, 1);
  std::vector<SearchHit> hits;
  for (const auto& query : search.returning) {
    // The Recycle Bin is not searched; archived activities only when the index holds them.
    auto rows = select_rows(query, false, options.archived);
    std::erase_if(rows, [&](std::size_t row) {
      return !matches(search.expression,
                      searched_fields(*query.object, query.object->rows[row], search.scope));
    });
    const auto limit = std::min(query.limit.value_or(share), cap - hits.size());
    if (rows.size() > limit) rows.resize(limit);
    for (const auto row : rows) hits.push_back({&query, row});
    if (hits.size() == cap) break;
  }
  return hits;
}

}  // namespace crmscan::sfemu

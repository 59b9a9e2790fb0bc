#include "odata_filter.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "crmscan/text.hpp"

namespace crmscan::d365emu {
namespace {

// Text as the emulator compares it: case-folded, and accents stripped unless the collation is
// accent-sensitive.
std::string fold_text(std::string_view text, bool accent_sensitive) {
  utf8proc_uint8_t* folded = nullptr;
  const auto options = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
                       (accent_sensitive ? 0 : UTF8PROC_STRIPMARK);
  const auto length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                   static_cast<utf8proc_ssize_t>(text.size()), &folded,
                                   static_cast<utf8proc_option_t>(options));
  if (length < 0) return ascii_lower(text);  // not UTF-8: compared as bytes, case aside
  std::unique_ptr<utf8proc_uint8_t, void (*)(void*)> owner(folded, &std::free);
  return std::string(reinterpret_cast<const char*>(folded), static_cast<std::size_t>(length));
}

// The code points of UTF-8 text (a byte that is not UTF-8 stands for itself).
std::u32string code_points(std::string_view text) {
  std::u32string points;
  for (std::size_t at = 0; at < text.size();) {
    utf8proc_int32_t point = 0;
    const auto used = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + at),
                                       static_cast<utf8proc_ssize_t>(text.size() - at), &point);
    if (used <= 0) {
      points.push_back(static_cast<unsigned char>(text[at]));
      ++at;
    } else {
      points.push_back(static_cast<char32_t>(point));
      at += static_cast<std::size_t>(used);
    }
  }
  return points;
}

// One element of a LIKE pattern: `%`, `_`, a bracketed set, or a character.
struct PatternItem {
  enum class Kind { kAny, kOne, kSet, kChar } kind = Kind::kChar;
  char32_t point = 0;
  bool negated = false;
  std::vector<std::pair<char32_t, char32_t>> ranges;

  bool accepts(char32_t c) const {
    if (kind == Kind::kOne) return true;
    if (kind == Kind::kChar) return c == point;
    bool in = false;
    for (const auto& [low, high] : ranges) in = in || (c >= low && c <= high);
    return in != negated;
  }
};

// T-SQL LIKE's wildcards: `%` any run, `_` one character, `[abc]`, `[a-f]`, `[^abc]`; a `[`
// without its `]` stands for itself.
std::vector<PatternItem> parse_pattern(const std::u32string& pattern) {
  std::vector<PatternItem> items;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto c = pattern[i];
    PatternItem item;
    if (c == U'%') {
      item.kind = PatternItem::Kind::kAny;
    } else if (c == U'_') {
      item.kind = PatternItem::Kind::kOne;
    } else if (c == U'[' && pattern.find(U']', i + 1) != std::u32string::npos) {
      const auto close = pattern.find(U']', i + 1);
      std::size_t j = i + 1;
      item.kind = PatternItem::Kind::kSet;
      if (j < close && pattern[j] == U'^') {
        item.negated = true;
        ++j;
      }
      for (; j < close; ++j) {
        if (j + 2 < close && pattern[j + 1] == U'-') {
          item.ranges.emplace_back(pattern[j], pattern[j + 2]);
          j += 2;
        } else {
          item.ranges.emplace_back(pattern[j], pattern[j]);
        }
      }
      i = close;
    } else {
      item.point = c;
    }
    items.push_back(std::move(item));
  }
  return items;
}

// Whether the whole of `text` matches the pattern (backtracking on the last `%` only).
bool like(const std::u32string& text, const std::vector<PatternItem>& pattern) {
  std::size_t t = 0, p = 0;
  std::size_t star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p].kind == PatternItem::Kind::kAny) {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p].accepts(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p].kind == PatternItem::Kind::kAny) ++p;
  return p == pattern.size();
}

bool is_guid_at(std::string_view text) {
  if (text.size() < 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return text.size() == 36 || !std::isalnum(static_cast<unsigned char>(text[36]));
}

class Parser {
 public:
  Parser(std::string_view text, const std::function<bool(const std::string&)>& has_property,
         bool accent_sensitive)
      : text_(text), has_property_(has_property), accent_sensitive_(accent_sensitive) {}

  Filter::Node parse() {
    auto node = parse_or();
    skip_space();
    if (at_ < text_.size()) fail("unexpected '" + std::string(text_.substr(at_, 20)) + "'");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw FilterError("Syntax error at position " + std::to_string(at_) + " in '" +
                      std::string(text_) + "': " + why);
  }

  void skip_space() {
    while (at_ < text_.size() && text_[at_] == ' ') ++at_;
  }

  bool take(std::string_view token) {
    skip_space();
    if (text_.substr(at_, token.size()) != token) return false;
    // A keyword must end there: "order" is not "or".
    const auto after = at_ + token.size();
    if (std::isalpha(static_cast<unsigned char>(token.back())) && after < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[after])) || text_[after] == '_')) {
      return false;
    }
    at_ = after;
    return true;
  }

  std::string identifier() {
    skip_space();
    const auto start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) ||
                                  text_[at_] == '_' || text_[at_] == '.')) {
      ++at_;
    }
    if (at_ == start) fail("a property name was expected");
    return std::string(text_.substr(start, at_ - start));
  }

  std::string property() {
    auto name = identifier();
    if (!has_property_(name)) {
      throw FilterError("Could not find a property named '" + name + "' on this entity type.");
    }
    return name;
  }

  Filter::Literal literal() {
    skip_space();
    Filter::Literal value;
    if (at_ < text_.size() && text_[at_] == '\'') {
      std::string text;
      for (++at_;; ++at_) {
        if (at_ >= text_.size()) fail("unterminated string literal");
        if (text_[at_] == '\'') {
          if (at_ + 1 < text_.size() && text_[at_ + 1] == '\'') {
            text.push_back('\'');
            ++at_;
            continue;
          }
          ++at_;
          break;
        }
        text.push_back(text_[at_]);
      }
      value.type = Filter::Literal::Type::kString;
      value.text = fold_text(text, accent_sensitive_);
      value.wildcards = value.text.find_first_of("%_[") != std::string::npos;
      return value;
    }
    if (is_guid_at(text_.substr(at_))) {
      value.type = Filter::Literal::Type::kGuid;
      value.text = ascii_lower(text_.substr(at_, 36));
      at_ += 36;
      return value;
    }
    if (take("null")) return value;
    if (take("true") || take("false")) {
      value.type = Filter::Literal::Type::kBool;
      value.boolean = text_.substr(at_ - 4, 4) == "true";
      return value;
    }
    char* end = nullptr;
    const std::string rest(text_.substr(at_));
    value.number = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str()) fail("a literal was expected");
    at_ += static_cast<std::size_t>(end - rest.c_str());
    value.type = Filter::Literal::Type::kNumber;
    return value;
  }

  Filter::Node parse_or() {
    auto node = parse_and();
    while (take("or")) {
      if (node.kind != Filter::Kind::kOr)
        node = Filter::Node{Filter::Kind::kOr, {std::move(node)}, {}, {}};
      node.children.push_back(parse_and());
    }
    return node;
  }

  Filter::Node parse_and() {
    auto node = parse_not();
    while (take("and")) {
      if (node.kind != Filter::Kind::kAnd)
        node = Filter::Node{Filter::Kind::kAnd, {std::move(node)}, {}, {}};
      node.children.push_back(parse_not());
    }
    return node;
  }

  Filter::Node parse_not() {
    if (take("not")) return Filter::Node{Filter::Kind::kNot, {parse_not()}, {}, {}};
    return parse_atom();
  }

  Filter::Node parse_atom() {
    if (take("(")) {
      auto node = parse_or();
      if (!take(")")) fail("')' was expected");
      return node;
    }
    static const std::pair<std::string_view, Filter::Kind> kFunctions[] = {
        {"contains", Filter::Kind::kContains},
        {"startswith", Filter::Kind::kStartsWith},
        {"endswith", Filter::Kind::kEndsWith}};
    for (const auto& [name, kind] : kFunctions) {
      const auto mark = at_;
      if (take(name) && take("(")) {
        Filter::Node node{kind, {}, property(), {}};
        if (!take(",")) fail("',' was expected");
        node.literal = literal();
        if (node.literal.type != Filter::Literal::Type::kString)
          fail(std::string(name) + " takes a string");
        if (!take(")")) fail("')' was expected");
        return node;
      }
      at_ = mark;
    }
    Filter::Node node{Filter::Kind::kEquals, {}, property(), {}};
    if (take("ne")) {
      node.kind = Filter::Kind::kNotEquals;
    } else if (!take("eq")) {
      fail("eq or ne was expected");
    }
    node.literal = literal();
    return node;
  }

  std::string_view text_;
  const std::function<bool(const std::string&)>& has_property_;
  bool accent_sensitive_ = false;
  std::size_t at_ = 0;
};

// Folded values, each folded once per record however many conditions read it.
class Folded {
 public:
  explicit Folded(bool accent_sensitive) : accent_sensitive_(accent_sensitive) {}
  const std::string& of(const std::string& text) {
    auto [at, added] = cache_.try_emplace(&text);
    if (added) at->second = fold_text(text, accent_sensitive_);
    return at->second;
  }

 private:
  bool accent_sensitive_;
  std::unordered_map<const std::string*, std::string> cache_;
};

bool equals(const Value* value, const Filter::Literal& literal, Folded& folded) {
  using Type = Filter::Literal::Type;
  const bool null = value == nullptr || std::holds_alternative<std::monostate>(*value);
  if (literal.type == Type::kNull) return null;
  if (null) return false;
  switch (literal.type) {
    case Type::kString:
      return std::holds_alternative<std::string>(*value) &&
             folded.of(std::get<std::string>(*value)) == literal.text;
    case Type::kGuid:
      return std::holds_alternative<std::string>(*value) &&
             ascii_lower(std::get<std::string>(*value)) == literal.text;
    case Type::kBool:
      return std::holds_alternative<bool>(*value) && std::get<bool>(*value) == literal.boolean;
    case Type::kNumber:
      return std::holds_alternative<double>(*value) && std::get<double>(*value) == literal.number;
    case Type::kNull:
      break;
  }
  return false;
}

bool matches_node(const Filter::Node& node,
                  const std::function<const Value*(const std::string&)>& get, Folded& folded) {
  switch (node.kind) {
    case Filter::Kind::kTrue:
      return true;
    case Filter::Kind::kOr:
      for (const auto& child : node.children)
        if (matches_node(child, get, folded)) return true;
      return false;
    case Filter::Kind::kAnd:
      for (const auto& child : node.children)
        if (!matches_node(child, get, folded)) return false;
      return true;
    case Filter::Kind::kNot:
      return !matches_node(node.children.front(), get, folded);
    case Filter::Kind::kEquals:
      return equals(get(node.property), node.literal, folded);
    case Filter::Kind::kNotEquals:
      return !equals(get(node.property), node.literal, folded);
    case Filter::Kind::kContains:
    case Filter::Kind::kStartsWith:
    case Filter::Kind::kEndsWith: {
      const auto* value = get(node.property);
      if (value == nullptr || !std::holds_alternative<std::string>(*value)) return false;
      // contains(p,'x') is LIKE '%x%', startswith LIKE 'x%', endswith LIKE '%x': the value's own
      // wildcard characters stay wildcards.
      const auto& text = folded.of(std::get<std::string>(*value));
      const auto& part = node.literal.text;
      if (!node.literal.wildcards) {
        if (node.kind == Filter::Kind::kContains) return text.find(part) != std::string::npos;
        if (node.kind == Filter::Kind::kStartsWith) return text.starts_with(part);
        return text.ends_with(part);
      }
      auto pattern = code_points(part);
      if (node.kind != Filter::Kind::kStartsWith) pattern.insert(pattern.begin(), U'%');
      if (node.kind != Filter::Kind::kEndsWith) pattern.push_back(U'%');
      return like(code_points(text), parse_pattern(pattern));
    }
  }
  return false;
}

bool leading_wildcard(const Filter::Node& node) {
  switch (node.kind) {
    case Filter::Kind::kContains:
    case Filter::Kind::kEndsWith:
      return true;
    case Filter::Kind::kStartsWith:
      return !node.literal.text.empty() &&
             (node.literal.text[0] == '%' || node.literal.text[0] == '_' ||
              node.literal.text[0] == '[');
    default:
      return std::any_of(node.children.begin(), node.children.end(), leading_wildcard);
  }
}

}  // namespace

Filter::Filter(std::string_view text, const std::function<bool(const std::string&)>& has_property,
               bool accent_sensitive)
    : root_(Parser(text, has_property, accent_sensitive).parse()),
      accent_sensitive_(accent_sensitive) {}

bool Filter::matches(const std::function<const Value*(const std::string&)>& get) const {
  Folded folded(accent_sensitive_);
  return matches_node(root_, get, folded);
}

bool Filter::has_leading_wildcard() const {
  return leading_wildcard(root_);
}

}  // namespace crmscan::d365emu

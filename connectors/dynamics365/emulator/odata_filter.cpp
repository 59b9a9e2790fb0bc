#include "odata_filter.hpp"

#include <utf8proc.h>

#include <cctype>
#include <cstdlib>
#include <memory>

#include "crmscan/text.hpp"

namespace crmscan::d365emu {
namespace {

// Text as the emulator compares it: case-folded, accents stripped.
std::string fold_text(std::string_view text) {
  utf8proc_uint8_t* folded = nullptr;
  const auto length =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                   static_cast<utf8proc_ssize_t>(text.size()), &folded,
                   static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                                  UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK));
  if (length < 0) return ascii_lower(text);  // not UTF-8: compared as bytes, case aside
  std::unique_ptr<utf8proc_uint8_t, void (*)(void*)> owner(folded, &std::free);
  return std::string(reinterpret_cast<const char*>(folded), static_cast<std::size_t>(length));
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
  Parser(std::string_view text, const std::function<bool(const std::string&)>& has_property)
      : text_(text), has_property_(has_property) {}

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
      value.text = fold_text(text);
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
  std::size_t at_ = 0;
};

bool equals(const Value* value, const Filter::Literal& literal) {
  using Type = Filter::Literal::Type;
  const bool null = value == nullptr || std::holds_alternative<std::monostate>(*value);
  if (literal.type == Type::kNull) return null;
  if (null) return false;
  switch (literal.type) {
    case Type::kString:
      return std::holds_alternative<std::string>(*value) &&
             fold_text(std::get<std::string>(*value)) == literal.text;
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
                  const std::function<const Value*(const std::string&)>& get) {
  switch (node.kind) {
    case Filter::Kind::kTrue:
      return true;
    case Filter::Kind::kOr:
      for (const auto& child : node.children)
        if (matches_node(child, get)) return true;
      return false;
    case Filter::Kind::kAnd:
      for (const auto& child : node.children)
        if (!matches_node(child, get)) return false;
      return true;
    case Filter::Kind::kNot:
      return !matches_node(node.children.front(), get);
    case Filter::Kind::kEquals:
      return equals(get(node.property), node.literal);
    case Filter::Kind::kNotEquals:
      return !equals(get(node.property), node.literal);
    case Filter::Kind::kContains:
    case Filter::Kind::kStartsWith:
    case Filter::Kind::kEndsWith: {
      const auto* value = get(node.property);
      if (value == nullptr || !std::holds_alternative<std::string>(*value)) return false;
      const auto text = fold_text(std::get<std::string>(*value));
      const auto& part = node.literal.text;
      if (node.kind == Filter::Kind::kContains) return text.find(part) != std::string::npos;
      if (node.kind == Filter::Kind::kStartsWith) return text.starts_with(part);
      return text.ends_with(part);
    }
  }
  return false;
}

}  // namespace

Filter::Filter(std::string_view text, const std::function<bool(const std::string&)>& has_property)
    : root_(Parser(text, has_property).parse()) {}

bool Filter::matches(const std::function<const Value*(const std::string&)>& get) const {
  return matches_node(root_, get);
}

}  // namespace crmscan::d365emu

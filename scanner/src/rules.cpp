#include "crmscan/rules.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "crmscan/error.hpp"
#include "crmscan/input.hpp"
#include "crmscan/text.hpp"

namespace crmscan {

std::string_view to_string(Action action) {
  switch (action) {
    case Action::kDeleteRecord:
      return "delete_record";
    case Action::kEraseField:
      return "erase_field";
    case Action::kDeleteContent:
      return "delete_content";
    case Action::kReview:
      return "review";
  }
  return "review";
}

std::string_view to_string(RecordAction action) {
  switch (action) {
    case RecordAction::kDeleteRecord:
      return "delete_record";
    case RecordAction::kEraseFields:
      return "erase_fields";
    case RecordAction::kReview:
      return "review";
  }
  return "review";
}

std::string SourceMark::where() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

NamePattern::NamePattern(std::string pattern) : text_(std::move(pattern)) {
  if (text_.empty()) throw std::invalid_argument("an empty name");
  if (text_.find_first_of("*?[") == std::string::npos) return;
  std::string regex = "(?i)";
  for (std::size_t i = 0; i < text_.size(); ++i) {
    const char c = text_[i];
    if (c == '*') {
      regex += ".*";
    } else if (c == '?') {
      regex += '.';
    } else if (c == '[') {
      const auto close = text_.find(']', i + 1);
      if (close == std::string::npos || close == i + 1) {
        throw std::invalid_argument("glob '" + text_ + "' has a '[' without a closing ']'");
      }
      std::string set = text_.substr(i + 1, close - i - 1);
      if (set[0] == '!') set[0] = '^';
      regex += "[" + set + "]";
      i = close;
    } else {
      regex += RE2::QuoteMeta(std::string(1, c));
    }
  }
  regex_ = std::make_shared<RE2>(regex, RE2::Quiet);
  if (!regex_->ok()) throw std::invalid_argument("glob '" + text_ + "': " + regex_->error());
}

bool NamePattern::matches(std::string_view name) const {
  if (regex_) return RE2::FullMatch(re2::StringPiece(name.data(), name.size()), *regex_);
  return iequals(text_, name);
}

namespace {

// Reads one pack with every node's position at hand, so that each error names file:line:column
// and the rule it is in.
class PackReader {
 public:
  explicit PackReader(std::string path) : path_(std::move(path)) {}

  /// The pack the file's bytes `text` hold; `sha256` is theirs.
  RulePack read(const std::string& text, std::string sha256) {
    YAML::Node document;
    try {
      document = load_yaml(text, YamlLimits{}.max_alias_nodes);
    } catch (const YAML::Exception& e) {
      throw ConfigError(path_ + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg);
    }
    // yaml-cpp's own exceptions (a conversion it refuses, an alias it cannot follow) become the
    // same one error as every other problem of the pack.
    try {
      auto pack = read(document);
      pack.sha256 = std::move(sha256);
      return pack;
    } catch (const YAML::Exception& e) {
      throw ConfigError(path_ + ":" + std::to_string(e.mark.line + 1) + ":" +
                        std::to_string(e.mark.column + 1) + ": " + rule_ + ": " + e.msg);
    }
  }

 private:
  // An alias lets a small file hold a tree of conditions that is exponentially large ("billion
  // laughs") or endless (an alias inside its own anchor): both are refused.
  static constexpr int kMaxConditionDepth = 16;
  static constexpr std::size_t kMaxConditions = 10'000;

  RulePack read(const YAML::Node& document) {
    RulePack pack;
    pack.path = path_;
    rule_ = "pack";
    if (!document.IsMap()) fail(document, "a rule pack is a map with 'pack' and 'objects'");
    check_keys(document, {"pack", "crm", "product", "version", "description", "references",
                          "extends", "ids", "objects"});
    pack.id = required_string(document, "pack");
    pack.mark = mark(document["pack"]);
    if (document["extends"]) pack.extends_mark = mark(document["extends"]);
    if (!is_kebab(pack.id)) fail(document["pack"], "pack id '" + pack.id + "' is not kebab-case");
    rule_ = "pack " + pack.id;
    pack.crm = required_string(document, "crm");
    pack.product = optional_string(document, "product");
    pack.version = required_string(document, "version");
    pack.description = optional_string(document, "description");
    pack.references = string_list(document, "references");
    pack.extends = string_list(document, "extends");
    if (const auto ids = document["ids"]) pack.ids = id_shape(ids);
    const auto objects = document["objects"];
    if (!objects || !objects.IsMap()) fail(document, "'objects' must be a map of object names");
    check_unique_keys(objects);
    for (const auto& entry : objects) {
      pack.objects.push_back(read_object(entry.first, entry.second));
    }
    return pack;
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw ConfigError(mark(node).where() + ": " + rule_ + ": " + message);
  }

  SourceMark mark(const YAML::Node& node) const {
    return {path_, node.Mark().line + 1, node.Mark().column + 1};
  }

  static bool is_kebab(const std::string& id) {
    if (id.empty() || id.front() == '-' || id.back() == '-') return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    });
  }

  // yaml-cpp keeps the first of two equal keys without a word: a pack must not say a thing twice.
  void check_unique_keys(const YAML::Node& map) const {
    std::set<std::string> seen;
    for (const auto& item : map) {
      if (!item.first.IsScalar()) fail(item.first, "a key must be a single value");
      const auto key = item.first.as<std::string>();
      if (!seen.insert(key).second) fail(item.first, "'" + key + "' is given twice");
    }
  }

  void check_keys(const YAML::Node& map, std::initializer_list<const char*> allowed) const {
    check_unique_keys(map);
    for (const auto& item : map) {
      const auto key = item.first.as<std::string>();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) { return key == k; })) {
        std::string list;
        for (const char* k : allowed) list += std::string(list.empty() ? "" : ", ") + k;
        fail(item.first, "unknown key '" + key + "' (expected one of: " + list + ")");
      }
    }
  }

  std::string scalar(const YAML::Node& node, const char* what) const {
    if (!node.IsScalar()) fail(node, std::string("'") + what + "' must be a single value");
    return node.as<std::string>();
  }

  std::string required_string(const YAML::Node& map, const char* key) const {
    const auto node = map[key];
    if (!node) fail(map, std::string("missing '") + key + "'");
    return scalar(node, key);
  }

  std::string optional_string(const YAML::Node& map, const char* key) const {
    const auto node = map[key];
    return node ? scalar(node, key) : std::string();
  }

  std::vector<std::string> string_list(const YAML::Node& map, const char* key) const {
    const auto node = map[key];
    std::vector<std::string> values;
    if (!node) return values;
    if (node.IsScalar()) return {node.as<std::string>()};
    if (!node.IsSequence()) fail(node, std::string("'") + key + "' must be a value or a list");
    for (const auto& item : node) values.push_back(scalar(item, key));
    return values;
  }

  NamePattern pattern(const YAML::Node& node, const std::string& text) const {
    try {
      return NamePattern(text);
    } catch (const std::invalid_argument& e) {
      fail(node, e.what());
    }
  }

  std::vector<NamePattern> patterns(const YAML::Node& map, const char* key) const {
    std::vector<NamePattern> result;
    const auto node = map[key];
    if (!node) fail(map, std::string("missing '") + key + "'");
    if (node.IsScalar()) return {pattern(node, node.as<std::string>())};
    if (!node.IsSequence())
      fail(node, std::string("'") + key + "' must be a name or a list of names");
    for (const auto& item : node) result.push_back(pattern(item, scalar(item, key)));
    return result;
  }

  // YAML's true and false in any of their spellings; anything else is an error.
  bool boolean(const YAML::Node& node, const char* key) const {
    const auto text = ascii_lower(scalar(node, key));
    if (text == "true") return true;
    if (text == "false") return false;
    fail(node, std::string("'") + key + "' is true or false, not '" + node.as<std::string>() + "'");
  }

  RecordAction record_action(const YAML::Node& node) const {
    const auto text = scalar(node, "action");
    if (text == "delete_record") return RecordAction::kDeleteRecord;
    if (text == "erase_fields") return RecordAction::kEraseFields;
    if (text == "review") return RecordAction::kReview;
    fail(node, "action '" + text + "' is not one of delete_record, erase_fields, review");
  }

  Condition condition(const YAML::Node& node, int depth = 0) {
    if (depth > kMaxConditionDepth)
      fail(node, "conditions nested deeper than " + std::to_string(kMaxConditionDepth));
    if (++conditions_read_ > kMaxConditions)
      fail(node, "more than " + std::to_string(kMaxConditions) + " conditions in one pack");
    if (!node.IsMap())
      fail(node, "a condition is a map such as {field: TaskSubtype, equals: Call}");
    check_keys(node, {"field", "equals", "in", "present", "prefix", "regex", "any"});
    Condition condition;
    if (const auto any = node["any"]) {
      if (node.size() != 1 || !any.IsSequence()) fail(node, "'any' stands alone with a list");
      condition.op = Condition::Op::kAny;
      for (const auto& item : any) condition.any.push_back(this->condition(item, depth + 1));
      return condition;
    }
    condition.field = required_string(node, "field");
    if (node.size() != 2) fail(node, "a condition has 'field' and exactly one test");
    if (const auto v = node["equals"]) {
      condition.op = Condition::Op::kEquals;
      condition.values = {scalar(v, "equals")};
    } else if (node["in"]) {
      condition.op = Condition::Op::kIn;
      condition.values = string_list(node, "in");
    } else if (const auto v = node["present"]) {
      condition.op = Condition::Op::kPresent;
      condition.present = boolean(v, "present");
    } else if (const auto v = node["prefix"]) {
      condition.op = Condition::Op::kPrefix;
      condition.values = {scalar(v, "prefix")};
    } else if (const auto v = node["regex"]) {
      condition.op = Condition::Op::kRegex;
      condition.regex = std::make_shared<RE2>(scalar(v, "regex"), RE2::Quiet);
      if (!condition.regex->ok()) fail(v, "bad regex: " + condition.regex->error());
    } else {
      fail(node, "a condition needs one of equals, in, present, prefix, regex");
    }
    return condition;
  }

  // A rule's stable id: kebab-case, unique in its pack; later messages name it.
  std::string read_id(const YAML::Node& node, SourceMark& where) {
    auto id = required_string(node, "id");
    if (!is_kebab(id)) fail(node["id"], "rule id '" + id + "' is not kebab-case");
    if (!ids_.insert(id).second) fail(node["id"], "rule id '" + id + "' is used twice");
    rule_ = "rule " + id;
    where = mark(node);
    return id;
  }

  void read_base(const YAML::Node& node, RuleBase& rule) {
    rule.id = read_id(node, rule.mark);
    rule.category = optional_string(node, "category");
    if (const auto action = node["action"]) rule.action = record_action(action);
    if (const auto when = node["when"]) {
      if (!when.IsSequence()) fail(when, "'when' is a list of conditions");
      for (const auto& item : when) rule.when.push_back(condition(item));
    }
  }

  template <typename F>
  void for_each_rule(const YAML::Node& object, const char* key, F read_one) {
    const auto list = object[key];
    if (!list) return;
    if (!list.IsSequence()) fail(list, std::string("'") + key + "' is a list of rules");
    for (const auto& node : list) {
      if (!node.IsMap()) fail(node, "a rule is a map");
      read_one(node);
    }
  }

  IdentityRule identity_rule(const YAML::Node& item) {
    IdentityRule rule;
    read_base(item, rule);
    check_keys(item, {"id", "kind", "fields", "in_text", "when", "category", "action"});
    const auto kind = required_string(item, "kind");
    if (kind == "email")
      rule.kind = IdentifierKind::kEmail;
    else if (kind == "phone")
      rule.kind = IdentifierKind::kPhone;
    else if (kind == "name")
      rule.kind = IdentifierKind::kName;
    else if (kind == "id")
      rule.kind = IdentifierKind::kId;
    else
      fail(item["kind"], "kind '" + kind + "' is not one of email, phone, name, id");
    rule.fields = patterns(item, "fields");
    if (const auto in_text = item["in_text"]) rule.in_text = boolean(in_text, "in_text");
    if (rule.kind == IdentifierKind::kName && rule.in_text) {
      fail(item, "a name is not searched in text by an identity rule (a namesake is no proof)");
    }
    return rule;
  }

  IdShape id_shape(const YAML::Node& node) const {
    const auto text = scalar(node, "ids");
    if (text == "salesforce") return IdShape::kSalesforce;
    if (text == "guid") return IdShape::kGuid;
    if (text == "number") return IdShape::kNumber;
    if (text == "key") return IdShape::kKey;
    fail(node, "ids '" + text + "' is not one of salesforce, guid, number, key");
  }

  IdentityRule holder_rule(const YAML::Node& item) {
    auto rule = identity_rule(item);
    if (rule.kind != IdentifierKind::kEmail && rule.kind != IdentifierKind::kPhone)
      fail(item["kind"], "a holder rule's kind is email or phone");
    if (rule.in_text) fail(item, "a holder rule names whole fields, not text");
    return rule;
  }

  KeyRule key_rule(const YAML::Node& item) {
    KeyRule rule;
    read_base(item, rule);
    check_keys(item, {"id", "key", "fields", "when", "category", "action"});
    rule.key = required_string(item, "key");
    rule.fields = patterns(item, "fields");
    return rule;
  }

  // A relation (`related`) or a forward link (`reaches`): a field and the objects it points to.
  template <typename Rule>
  Rule link_rule(const YAML::Node& item, const char* what_to_names) {
    Rule rule;
    read_base(item, rule);
    check_keys(item, {"id", "via", "to", "when", "category", "action"});
    rule.via = required_string(item, "via");
    rule.to = string_list(item, "to");
    if (rule.to.empty()) fail(item, std::string("missing 'to': ") + what_to_names);
    return rule;
  }

  FieldRule field_rule(const YAML::Node& item) {
    FieldRule rule;
    rule.id = read_id(item, rule.mark);
    check_keys(item, {"id", "name", "type", "category", "action"});
    if (item["name"]) rule.name = pattern(item["name"], optional_string(item, "name"));
    rule.type = optional_string(item, "type");
    if (rule.name.text().empty() == rule.type.empty()) {
      fail(item, "a field rule has either 'name' or 'type'");
    }
    rule.category = required_string(item, "category");
    const auto action = optional_string(item, "action");
    if (action.empty() || action == "erase_field")
      rule.action = Action::kEraseField;
    else if (action == "review")
      rule.action = Action::kReview;
    else if (action == "delete_content")
      rule.action = Action::kDeleteContent;
    else
      fail(item["action"], "a field rule's action is erase_field, delete_content or review");
    return rule;
  }

  TextRule text_rule(const YAML::Node& item) {
    TextRule rule;
    rule.id = read_id(item, rule.mark);
    check_keys(item, {"id", "fields", "category"});
    rule.fields = patterns(item, "fields");
    if (item["category"]) rule.category = optional_string(item, "category");
    return rule;
  }

  ObjectRules read_object(const YAML::Node& key, const YAML::Node& node) {
    ObjectRules rules;
    const auto name = key.as<std::string>();
    rule_ = "object " + name;
    rules.object = pattern(key, name);
    rules.mark = mark(key);
    if (!node.IsMap()) fail(node, "an object's rules are a map");
    check_keys(node, {"category", "action", "person", "staff", "guidance", "id_field",
                      "archived_field", "deleted_field", "identity", "related", "reaches", "fields",
                      "text", "keys", "holders"});
    rules.category = optional_string(node, "category");
    if (const auto action = node["action"]) rules.action = record_action(action);
    if (const auto person = node["person"]) rules.person = boolean(person, "person");
    if (const auto staff = node["staff"]) rules.staff = boolean(staff, "staff");
    rules.guidance = optional_string(node, "guidance");
    if (node["id_field"]) rules.id_field = optional_string(node, "id_field");
    if (node["archived_field"]) rules.archived_field = optional_string(node, "archived_field");
    if (node["deleted_field"]) rules.deleted_field = optional_string(node, "deleted_field");

    for_each_rule(node, "identity",
                  [&](const YAML::Node& item) { rules.identity.push_back(identity_rule(item)); });
    for_each_rule(node, "holders",
                  [&](const YAML::Node& item) { rules.holders.push_back(holder_rule(item)); });
    for_each_rule(node, "keys",
                  [&](const YAML::Node& item) { rules.keys.push_back(key_rule(item)); });
    for_each_rule(node, "related", [&](const YAML::Node& item) {
      rules.related.push_back(link_rule<RelationRule>(item, "the parent objects"));
    });
    for_each_rule(node, "reaches", [&](const YAML::Node& item) {
      rules.reaches.push_back(link_rule<ReachRule>(item, "the objects it points to"));
    });
    for_each_rule(node, "fields",
                  [&](const YAML::Node& item) { rules.fields.push_back(field_rule(item)); });
    for_each_rule(node, "text",
                  [&](const YAML::Node& item) { rules.text.push_back(text_rule(item)); });
    return rules;
  }

  std::string path_;
  std::string rule_;
  std::set<std::string> ids_;
  std::size_t conditions_read_ = 0;
};

template <typename Rule>
void merge_rules(std::vector<Rule>& into, const std::vector<Rule>& from) {
  for (const auto& rule : from) {
    const auto same = std::find_if(into.begin(), into.end(),
                                   [&](const Rule& existing) { return existing.id == rule.id; });
    if (same == into.end()) {
      into.push_back(rule);
    } else {
      *same = rule;
    }
  }
}

// The last pack loaded by each path, with its file's bytes: a run may load one file several
// times (recognising the CRM of an export loads the packs of the CRMs it may be, then the chosen
// CRM's are the scan's; a pack named alone looks among the files beside it for the packs it
// extends), and each load is a YAML parse and RE2 compilations. What a path's bytes give is the
// same every time, so they are parsed once. A file that fails is not kept: it fails again, with
// the same message; a file whose bytes changed is parsed again and replaces what its path held.
class LoadedPacks {
 public:
  std::optional<RulePack> find(const std::string& path, const std::string& text) const {
    const std::lock_guard lock(mutex_);
    const auto found = packs_.find(path);
    if (found == packs_.end() || found->second.first != text) return std::nullopt;
    return found->second.second;
  }

  void add(const std::string& text, const RulePack& pack) {
    const std::lock_guard lock(mutex_);
    packs_.insert_or_assign(pack.path, std::pair{text, pack});
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<std::string, RulePack>> packs_;  // by path
};

LoadedPacks& loaded_packs() {
  static LoadedPacks packs;
  return packs;
}

bool is_pack_file(const std::filesystem::path& path) {
  const auto name = path.filename().string();
  const auto ends_with = [&name](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return (ends_with(".yaml") || ends_with(".yml")) && !ends_with(".test.yaml") &&
         !ends_with(".test.yml");
}

}  // namespace

RulePack load_rule_pack(const std::string& path) {
  // Read once, as a regular file of bounded size: the bytes hashed are the bytes parsed.
  std::string why;
  const auto text = read_regular_file(path, YamlLimits{}.max_bytes, why);
  if (!text) throw MissingInputError(path + ": cannot read the rule pack: " + why);
  auto& loaded = loaded_packs();
  if (auto pack = loaded.find(path, *text)) return std::move(*pack);
  auto pack = PackReader(path).read(*text, sha256_hex(*text));
  loaded.add(*text, pack);
  return pack;
}

std::vector<std::string> find_pack_files(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& path : paths) {
    if (!fs::exists(path)) throw MissingInputError(path + ": no such rule pack or folder");
    if (fs::is_directory(path)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(path)) {
        // A pack's name on something that is not a regular file is read, and refused, not passed
        // over.
        if (!entry.is_directory() && is_pack_file(entry.path()))
          found.push_back(entry.path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

RuleSet RuleSet::load(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  std::vector<RulePack> packs;
  std::set<std::string> loaded_paths;
  const auto files = find_pack_files(paths);
  if (files.empty()) {
    std::string list;
    for (const auto& path : paths) list += (list.empty() ? "" : ", ") + path;
    throw ConfigError(list + ": no rule pack (*.yaml, *.yml other than *.test.yaml) to load");
  }
  for (const auto& file : files) {
    if (loaded_paths.insert(fs::weakly_canonical(file).string()).second) {
      packs.push_back(load_rule_pack(file));
    }
  }
  // A pack named alone brings the packs it extends from its own folder.
  for (std::size_t i = 0; i < packs.size(); ++i) {
    for (const auto& base : packs[i].extends) {
      const auto have = [&] {
        return std::any_of(packs.begin(), packs.end(),
                           [&](const RulePack& p) { return p.id == base; });
      };
      if (have()) continue;
      const auto folder = fs::path(packs[i].path).parent_path().string();
      for (const auto& file : find_pack_files({folder.empty() ? "." : folder})) {
        if (loaded_paths.count(fs::weakly_canonical(file).string()) != 0) continue;
        auto candidate = load_rule_pack(file);
        if (candidate.id == base) {
          loaded_paths.insert(fs::weakly_canonical(file).string());
          packs.push_back(std::move(candidate));
          break;
        }
      }
    }
  }
  return from_packs(std::move(packs));
}

RuleSet RuleSet::from_packs(std::vector<RulePack> packs) {
  RuleSet set;
  std::map<std::string, std::size_t> by_id;
  for (std::size_t i = 0; i < packs.size(); ++i) {
    const auto& pack = packs[i];
    if (const auto [same, added] = by_id.emplace(pack.id, i); !added) {
      throw ConfigError(pack.mark.where() + ": pack id '" + pack.id + "' is also used by " +
                        packs[same->second].path);
    }
  }
  // Order the packs so that each comes after those it extends.
  std::vector<std::size_t> order;
  std::set<std::string> placed, visiting;
  std::function<void(std::size_t)> place = [&](std::size_t index) {
    const auto& pack = packs[index];
    if (placed.count(pack.id) != 0) return;
    if (!visiting.insert(pack.id).second) {
      throw ConfigError(pack.extends_mark.where() + ": pack " + pack.id +
                        " extends itself through a cycle");
    }
    for (const auto& base : pack.extends) {
      const auto found = by_id.find(base);
      if (found == by_id.end()) {
        throw ConfigError(pack.extends_mark.where() + ": pack " + pack.id + " extends '" + base +
                          "', which is not among the loaded packs nor beside it");
      }
      place(found->second);
    }
    placed.insert(pack.id);
    order.push_back(index);
  };
  for (std::size_t i = 0; i < packs.size(); ++i) place(i);
  for (const auto index : order) set.packs_.push_back(std::move(packs[index]));
  set.merge();
  set.validate();
  return set;
}

void RuleSet::merge() {
  // Packs of several CRMs at once (`rules validate rules/`) may disagree: ids are then taken
  // only as whole values, which every shape is.
  std::optional<IdShape> shape;
  for (const auto& pack : packs_) {
    if (pack.ids) {
      id_shape_ = shape && *shape != *pack.ids ? IdShape::kKey : *pack.ids;
      shape = id_shape_;
    }
    for (const auto& object : pack.objects) {
      const auto same = std::find_if(objects_.begin(), objects_.end(), [&](const ObjectRules& o) {
        return o.object.text() == object.object.text();
      });
      if (same == objects_.end()) {
        objects_.push_back(object);
        continue;
      }
      if (!object.category.empty()) same->category = object.category;
      if (object.action) same->action = object.action;
      if (object.person) same->person = object.person;
      merge_rules(same->identity, object.identity);
      merge_rules(same->related, object.related);
      merge_rules(same->reaches, object.reaches);
      merge_rules(same->fields, object.fields);
      merge_rules(same->text, object.text);
      merge_rules(same->keys, object.keys);
      merge_rules(same->holders, object.holders);
      if (object.staff) same->staff = object.staff;
      if (!object.guidance.empty()) same->guidance = object.guidance;
    }
  }
}

bool RuleSet::is_defined(std::string_view object) const {
  return std::any_of(objects_.begin(), objects_.end(),
                     [&](const ObjectRules& rules) { return rules.object.matches(object); });
}

void RuleSet::validate() const {
  const auto check_targets = [this](const RuleBase& rule, const std::vector<std::string>& targets) {
    for (const auto& target : targets) {
      if (!is_defined(target)) {
        throw ConfigError(rule.mark.where() + ": rule " + rule.id + ": object '" + target +
                          "' is not defined by any loaded pack");
      }
    }
  };
  for (const auto& object : objects_) {
    for (const auto& rule : object.related) check_targets(rule, rule.to);
    for (const auto& rule : object.reaches) check_targets(rule, rule.to);
  }
}

std::vector<const ObjectRules*> RuleSet::rules_for(std::string_view object) const {
  std::vector<const ObjectRules*> matching;
  for (const auto& rules : objects_) {
    if (rules.object.matches(object)) matching.push_back(&rules);
  }
  return matching;
}

}  // namespace crmscan

namespace crmscan {

std::string shipped_rules_root() {
  if (const char* env = std::getenv("CRMSCAN_RULES"); env != nullptr && *env != '\0') return env;
  std::error_code error;
  const auto program = std::filesystem::canonical("/proc/self/exe", error);
  if (!error) {
    const auto folder = program.parent_path();
    for (const auto& candidate : {folder / "../share/crmscan/rules", folder / "rules"}) {
      if (std::filesystem::is_directory(candidate, error))
        return std::filesystem::weakly_canonical(candidate).string();
    }
  }
  return CRMSCAN_SOURCE_RULES_DIR;
}

}  // namespace crmscan

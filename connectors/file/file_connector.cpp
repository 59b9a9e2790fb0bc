#include "file_connector.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/filereadstream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unordered_map>

#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& path) {
  return ascii_lower(path.extension().string());
}

// Objects and arrays nested deeper than this are refused: no export nests so deep, and a file
// that does is built to exhaust the stack or to make each value cost its depth.
constexpr int kMaxJsonDepth = 64;
constexpr auto kJsonParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// Builds records from JSON objects whose keys may differ from one record to the next: the
// schema grows as new keys appear, and records read earlier keep the schema they were read with.
class JsonRecordBuilder {
 public:
  explicit JsonRecordBuilder(const std::string& object)
      : schema_(std::make_shared<ObjectSchema>()) {
    schema_->object = object;
  }

  void begin() {
    record_.schema = schema_;
    record_.values.assign(schema_->fields.size(), Value{});
  }

  void set(const std::string& key, Value value) {
    auto found = positions_.find(key);
    if (found == positions_.end()) {
      // The schema is copied only when someone besides this builder and its record holds it (a
      // record already read, a compiled plan): a record with many new keys costs one copy.
      if (schema_.use_count() > 2) {
        schema_ = std::make_shared<ObjectSchema>(*schema_);
        record_.schema = schema_;
      }
      schema_->fields.push_back({key, {}});
      found = positions_.emplace(key, schema_->fields.size() - 1).first;
      record_.values.resize(schema_->fields.size());
    }
    auto& slot = record_.values[found->second];
    if (auto* existing = std::get_if<std::string>(&slot); existing && !existing->empty()) {
      // A list of values flattened into one field.
      existing->append("; ").append(value_text(value));
    } else {
      slot = std::move(value);
    }
  }

  Record& record() { return record_; }

 private:
  std::shared_ptr<ObjectSchema> schema_;
  std::unordered_map<std::string, std::size_t> positions_;
  Record record_;
};

// SAX handler: records are the objects of the top-level array, or of the array under
// `records`, `results` or `value` in a top-level object. Nested objects flatten to dotted names;
// Salesforce's `attributes` member is left out.
class JsonRecordHandler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonRecordHandler> {
 public:
  JsonRecordHandler(JsonRecordBuilder& builder, const std::function<void()>& emit)
      : builder_(builder), emit_(emit) {}

  bool StartObject() {
    if (++depth_ > kMaxJsonDepth) return too_deep();
    if (record_depth_ == 0 && depth_ == 1 && !top_is_array_) return true;  // the wrapper object
    if (record_depth_ == 0 && in_records_array()) {
      record_depth_ = depth_;
      builder_.begin();
      path_.clear();
      return true;
    }
    if (record_depth_ != 0) path_.push_back(key_);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (record_depth_ != 0 && depth_ == record_depth_) {
      emit_();
      record_depth_ = 0;
    } else if (record_depth_ != 0 && !path_.empty()) {
      path_.pop_back();
    }
    --depth_;
    return true;
  }
  bool StartArray() {
    if (++depth_ > kMaxJsonDepth) return too_deep();
    if (depth_ == 1) top_is_array_ = true;
    if (depth_ == 2 && !top_is_array_ && record_depth_ == 0 &&
        (key_ == "records" || key_ == "results" || key_ == "value")) {
      records_array_depth_ = 2;
    }
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    if (depth_ == records_array_depth_) records_array_depth_ = -1;
    --depth_;
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    key_.assign(text, length);
    return true;
  }
  bool Null() { return scalar(Value{}); }
  bool Bool(bool b) { return scalar(Value{b}); }
  bool Int(int i) { return scalar(Value{static_cast<double>(i)}); }
  bool Uint(unsigned u) { return scalar(Value{static_cast<double>(u)}); }
  bool Int64(int64_t i) { return scalar(Value{static_cast<double>(i)}); }
  bool Uint64(uint64_t u) { return scalar(Value{static_cast<double>(u)}); }
  bool Double(double d) { return scalar(Value{d}); }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    return scalar(Value{std::string(text, length)});
  }
  /// Whether the parse stopped because the JSON nests too deep.
  bool stopped_too_deep() const { return too_deep_; }

 private:
  bool too_deep() {
    too_deep_ = true;
    return false;  // stops the parse
  }
  bool in_records_array() const {
    return (top_is_array_ && depth_ == 2) || (records_array_depth_ == 2 && depth_ == 3);
  }
  bool scalar(Value value) {
    if (record_depth_ == 0) return true;
    if (!path_.empty() && path_.front() == "attributes") return true;
    std::string name;
    for (const auto& part : path_) name += part + ".";
    name += key_;
    builder_.set(name, std::move(value));
    return true;
  }

  JsonRecordBuilder& builder_;
  const std::function<void()>& emit_;
  int depth_ = 0;
  int record_depth_ = 0;
  int records_array_depth_ = -1;
  bool top_is_array_ = false;
  bool too_deep_ = false;
  std::string key_;
  std::vector<std::string> path_;
};

// A read stream that counts lines and columns (in bytes), so that an error names its place.
class PositionStream {
 public:
  using Ch = char;
  explicit PositionStream(rapidjson::FileReadStream& inner) : inner_(inner) {}
  Ch Peek() const { return inner_.Peek(); }
  Ch Take() {
    const Ch c = inner_.Take();
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    return c;
  }
  std::size_t Tell() const { return inner_.Tell(); }
  // Never written to: the parser only reads.
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }
  std::string where() const { return std::to_string(line_) + ":" + std::to_string(column_); }

 private:
  rapidjson::FileReadStream& inner_;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

}  // namespace

ConnectorDescriptor FileConnector::describe_connector() {
  return {"file",
          "CRM exports on disk: a Salesforce Data Export folder (one CSV per object), JSON or "
          "NDJSON record files",
          {
              {"input", "path", "", "an export folder (read recursively) or a single file", true},
              {"encoding", "enum(utf-8|latin1)", "utf-8", "character encoding of CSV files", false},
              {"crm", "string", "salesforce",
               "the CRM that wrote the export: its rule packs apply by default", false},
          }};
}

const ConnectorDescriptor& FileConnector::descriptor() const {
  static const ConnectorDescriptor kDescriptor = describe_connector();
  return kDescriptor;
}

FileConnector::FileConnector(const ConnectorConfig& config)
    : input_(config.at("input")), crm_(config.at("crm")) {
  const auto& encoding = config.at("encoding");
  if (iequals(encoding, "latin1") || iequals(encoding, "iso-8859-1")) {
    latin1_ = true;
  } else if (!iequals(encoding, "utf-8") && !iequals(encoding, "utf8")) {
    throw ConfigError("connector file: encoding '" + encoding + "' is not utf-8 or latin1");
  }
  std::error_code error;
  if (!fs::exists(input_, error)) throw MissingInputError(input_ + ": no such file or folder");
  const auto add = [this](const fs::path& path, const fs::path& root) {
    const auto extension = lower_extension(path);
    SourceFile file;
    if (extension == ".csv")
      file.format = SourceFile::Format::kCsv;
    else if (extension == ".json")
      file.format = SourceFile::Format::kJson;
    else if (extension == ".ndjson" || extension == ".jsonl")
      file.format = SourceFile::Format::kNdjson;
    else
      return;
    file.path = path.string();
    file.relative =
        root.empty() ? path.filename().string() : path.lexically_relative(root).string();
    files_[path.stem().string()].push_back(std::move(file));
  };
  if (fs::is_directory(input_)) {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::recursive_directory_iterator(input_)) {
      if (entry.is_regular_file()) paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) add(path, input_);
  } else {
    add(input_, {});
  }
  if (files_.empty()) {
    throw MissingInputError(input_ + ": no .csv, .json or .ndjson files to read");
  }
}

std::vector<ObjectSchema> FileConnector::describe() {
  std::vector<ObjectSchema> schemas;
  for (const auto& [object, files] : files_) {
    ObjectSchema schema{object, {}};
    const auto& first = files.front();
    if (first.format == SourceFile::Format::kCsv) {
      std::ifstream in(first.path, std::ios::binary);
      CsvReader reader(in, latin1_);
      std::vector<std::string> header;
      if (reader.next(header)) {
        for (auto& name : header) schema.fields.push_back({std::string(trim(name)), {}});
      }
    }
    schemas.push_back(std::move(schema));
  }
  return schemas;
}

void FileConnector::scan(const std::string& object, const RecordSink& on_record,
                         const ProblemSink& on_problem) {
  const auto found = files_.find(object);
  if (found == files_.end()) return;
  for (const auto& file : found->second) {
    switch (file.format) {
      case SourceFile::Format::kCsv:
        scan_csv(object, file, on_record, on_problem);
        break;
      case SourceFile::Format::kJson:
        scan_json(object, file, on_record, on_problem);
        break;
      case SourceFile::Format::kNdjson:
        scan_ndjson(object, file, on_record, on_problem);
        break;
    }
  }
}

void FileConnector::scan_csv(const std::string& object, const SourceFile& file,
                             const RecordSink& on_record, const ProblemSink& on_problem) const {
  std::ifstream in(file.path, std::ios::binary);
  if (!in) {
    on_problem(object, file.relative + ": cannot be opened");
    return;
  }
  CsvReader reader(in, latin1_);
  std::vector<std::string> row;
  if (!reader.next(row)) return;
  if (reader.error()) {
    on_problem(object, file.relative + ":" + std::to_string(reader.row_line()) +
                           ": header: " + *reader.error());
    return;
  }
  auto schema = std::make_shared<ObjectSchema>();
  schema->object = object;
  for (const auto& name : row) schema->fields.push_back({std::string(trim(name)), {}});
  const auto id_index = schema->index_of("Id");
  Record record;
  record.schema = schema;
  record.source = file.relative;
  record.values.assign(schema->fields.size(), Value{std::string()});
  while (reader.next(row)) {
    const auto where = file.relative + ":" + std::to_string(reader.row_line());
    if (reader.error()) {
      on_problem(object, where + ": " + *reader.error() + "; the row was not read");
      continue;
    }
    if (row.size() != schema->fields.size()) {
      if (row.size() == 1 && row[0].empty()) continue;  // a blank line
      on_problem(object, where + ": " + std::to_string(row.size()) +
                             " values where the header has " +
                             std::to_string(schema->fields.size()) + "; the row was not read");
      continue;
    }
    for (std::size_t i = 0; i < row.size(); ++i)
      std::get<std::string>(record.values[i]).swap(row[i]);
    record.id = id_index ? std::get<std::string>(record.values[*id_index]) : std::string();
    record.line = reader.row_line();
    on_record(record);
  }
}

void FileConnector::scan_json(const std::string& object, const SourceFile& file,
                              const RecordSink& on_record, const ProblemSink& on_problem) const {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> handle(std::fopen(file.path.c_str(), "rb"),
                                                         &std::fclose);
  if (!handle) {
    on_problem(object, file.relative + ": cannot be opened");
    return;
  }
  char buffer[1 << 16];
  rapidjson::FileReadStream file_stream(handle.get(), buffer, sizeof buffer);
  PositionStream stream(file_stream);
  JsonRecordBuilder builder(object);
  std::size_t count = 0;
  const std::function<void()> emit = [&] {
    auto& record = builder.record();
    ++count;
    record.source = file.relative + " record " + std::to_string(count);
    const auto id_index = record.schema->index_of("Id");
    record.id = id_index ? value_text(record.values[*id_index]) : std::string();
    on_record(record);
  };
  JsonRecordHandler handler(builder, emit);
  rapidjson::Reader reader;
  const auto result = reader.Parse<kJsonParseFlags>(stream, handler);
  if (result.IsError()) {
    const std::string why = handler.stopped_too_deep()
                                ? "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"
                                : rapidjson::GetParseError_En(result.Code());
    on_problem(object, file.relative + ":" + stream.where() + ": " + why +
                           "; records after it were not read");
  }
}

namespace {

// How deep the objects and arrays of a parsed document nest, measured without recursion.
int depth_of(const rapidjson::Value& root) {
  int deepest = 0;
  std::vector<std::pair<const rapidjson::Value*, int>> pending{{&root, 1}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->IsObject() && !node->IsArray()) continue;
    deepest = std::max(deepest, depth);
    if (depth > kMaxJsonDepth) break;
    if (node->IsObject()) {
      for (const auto& member : node->GetObject()) pending.emplace_back(&member.value, depth + 1);
    } else if (node->IsArray()) {
      for (const auto& item : node->GetArray()) pending.emplace_back(&item, depth + 1);
    }
  }
  return deepest;
}

}  // namespace

void FileConnector::scan_ndjson(const std::string& object, const SourceFile& file,
                                const RecordSink& on_record, const ProblemSink& on_problem) const {
  std::ifstream in(file.path, std::ios::binary);
  if (!in) {
    on_problem(object, file.relative + ": cannot be opened");
    return;
  }
  JsonRecordBuilder builder(object);
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    rapidjson::Document document;
    document.Parse<kJsonParseFlags>(line.c_str(), line.size());
    std::string problem;
    if (document.HasParseError()) {
      problem = std::to_string(document.GetErrorOffset() + 1) + ": " +
                rapidjson::GetParseError_En(document.GetParseError());
    } else if (!document.IsObject()) {
      problem = "1: not a JSON object";
    } else if (depth_of(document) > kMaxJsonDepth) {
      problem = "1: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    }
    if (!problem.empty()) {
      on_problem(object, file.relative + ":" + std::to_string(line_number) + ":" + problem +
                             "; the line was not read");
      continue;
    }
    builder.begin();
    std::function<void(const rapidjson::Value&, const std::string&)> flatten =
        [&](const rapidjson::Value& node, const std::string& prefix) {
          for (const auto& member : node.GetObject()) {
            const std::string name =
                prefix + std::string(member.name.GetString(), member.name.GetStringLength());
            const auto& value = member.value;
            if (value.IsObject()) {
              if (name != "attributes") flatten(value, name + ".");
            } else if (value.IsString()) {
              builder.set(name, std::string(value.GetString(), value.GetStringLength()));
            } else if (value.IsBool()) {
              builder.set(name, value.GetBool());
            } else if (value.IsNumber()) {
              builder.set(name, value.GetDouble());
            } else if (value.IsArray()) {
              for (const auto& item : value.GetArray()) {
                if (item.IsString())
                  builder.set(name, std::string(item.GetString(), item.GetStringLength()));
              }
            } else {
              builder.set(name, Value{});
            }
          }
        };
    flatten(document, "");
    auto& record = builder.record();
    record.source = file.relative;
    record.line = line_number;
    const auto id_index = record.schema->index_of("Id");
    record.id = id_index ? value_text(record.values[*id_index]) : std::string();
    on_record(record);
  }
}

ConnectorEntry crmscan_connector_file() {
  return {&FileConnector::describe_connector,
          [](const ConnectorConfig& config) -> std::unique_ptr<Connector> {
            return std::make_unique<FileConnector>(config);
          }};
}

}  // namespace crmscan

#include "file_connector.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numeric>
#include <unordered_map>

#include "crmscan/csv_reader.hpp"
#include "crmscan/error.hpp"
#include "crmscan/input.hpp"
#include "crmscan/ndjson_reader.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/scrub.hpp"
#include "crmscan/text.hpp"

namespace crmscan {
namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& path) {
  return ascii_lower(path.extension().string());
}

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
    next_ = 0;
  }

  void set(std::string_view key, Value value) {
    auto& slot = slot_of(key);
    if (auto* existing = std::get_if<std::string>(&slot); existing && !existing->empty()) {
      // A list of values flattened into one field.
      existing->append("; ").append(value_text(value));
    } else {
      slot = std::move(value);
    }
  }
  /// set() of a string, without making a Value of it first.
  void set_text(std::string_view key, std::string_view text) {
    auto& slot = slot_of(key);
    if (auto* existing = std::get_if<std::string>(&slot); existing && !existing->empty()) {
      existing->append("; ").append(text);
    } else {
      slot.emplace<std::string>(text);
    }
  }

  Record& record() { return record_; }

 private:
  Value& slot_of(std::string_view key) {
    // Records mostly repeat their keys in the same order: the field after the last one set is
    // tried before the map.
    auto& fields = schema_->fields;
    std::size_t index = next_;
    if (index >= fields.size() || fields[index].name != key) {
      const auto found = positions_.find(key);
      if (found != positions_.end()) {
        index = found->second;
      } else {
        // The schema is copied only when someone besides this builder and its record holds it
        // (a record already read, a compiled plan): a record with many new keys costs one copy.
        if (schema_.use_count() > 2) {
          schema_ = std::make_shared<ObjectSchema>(*schema_);
          record_.schema = schema_;
        }
        schema_->fields.push_back({std::string(key), {}});
        index = schema_->fields.size() - 1;
        positions_.emplace(key, index);
        record_.values.resize(schema_->fields.size());
      }
    }
    next_ = index + 1;
    return record_.values[index];
  }

  // Hashes std::string keys and looks them up by std::string_view alike.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };

  std::shared_ptr<ObjectSchema> schema_;
  std::unordered_map<std::string, std::size_t, KeyHash, std::equal_to<>> positions_;
  std::size_t next_ = 0;  // the field after the last one set
  Record record_;
};

// A read stream over a file for RapidJSON's reader, 64 KiB at a time: a character costs a compare,
// a load and an increment. The line and column (in bytes) an error names are counted only when
// asked, from the newlines of the buffers read; a record longer than its bound ends the input
// there (the parser sees the end of the input).
class JsonReadStream {
 public:
  using Ch = char;
  JsonReadStream(std::FILE* file, std::size_t max_record_bytes)
      : file_(file), max_record_bytes_(max_record_bytes), buffer_(std::size_t{1} << 16) {
    current_ = end_ = stop_ = buffer_.data();
  }
  [[gnu::always_inline]] Ch Peek() {
    if (current_ < stop_) [[likely]]
      return *current_;
    return more() ? *current_ : '\0';
  }
  [[gnu::always_inline]] Ch Take() {
    if (current_ < stop_) [[likely]]
      return *current_++;
    return more() ? *current_++ : '\0';
  }
  std::size_t Tell() const { return before_ + static_cast<std::size_t>(current_ - buffer_.data()); }
  // Never written to: the parser only reads.
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }

  std::string where() const {
    const std::string_view read(buffer_.data(),
                                static_cast<std::size_t>(current_ - buffer_.data()));
    const auto last_line_end = read.rfind('\n');
    const auto line =
        lines_before_ + static_cast<std::size_t>(std::count(read.begin(), read.end(), '\n'));
    const auto column = last_line_end == std::string_view::npos ? column_before_ + read.size()
                                                                : read.size() - last_line_end - 1;
    return std::to_string(line + 1) + ":" + std::to_string(column + 1);
  }

  void start_record() {
    record_limit_ = Tell() + max_record_bytes_ + 1;
    set_stop();
  }
  void end_record() {
    record_limit_ = kNone;
    set_stop();
  }
  /// Whether the parse stopped at a record longer than the bound.
  bool stopped() const { return record_limit_ != kNone && Tell() >= record_limit_; }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  // Makes a byte available at current_: reads the next buffer when this one is used up; false at
  // the end of the input or at the record's bound.
  [[gnu::noinline]] bool more() {
    if (current_ < end_) return false;  // stopped at the bound inside the buffer
    if (end_of_file_) return false;
    const std::string_view used(buffer_.data(), static_cast<std::size_t>(end_ - buffer_.data()));
    if (const auto last_line_end = used.rfind('\n'); last_line_end != std::string_view::npos) {
      lines_before_ += static_cast<std::size_t>(std::count(used.begin(), used.end(), '\n'));
      column_before_ = used.size() - last_line_end - 1;
    } else {
      column_before_ += used.size();
    }
    before_ += used.size();
    const auto count = std::fread(buffer_.data(), 1, buffer_.size(), file_);
    end_of_file_ = count == 0;
    current_ = buffer_.data();
    end_ = buffer_.data() + count;
    set_stop();
    return current_ < stop_;
  }
  void set_stop() {
    stop_ = end_;
    if (record_limit_ == kNone) return;
    const auto left = record_limit_ > Tell() ? record_limit_ - Tell() : 0;
    if (left < static_cast<std::size_t>(end_ - current_)) stop_ = current_ + left;
  }

  std::FILE* file_;
  std::size_t max_record_bytes_;
  std::vector<char> buffer_;
  char* current_;
  char* end_;   // of the bytes read into the buffer
  char* stop_;  // end_, or the record's bound when it falls in the buffer
  bool end_of_file_ = false;
  std::size_t before_ = 0;            // bytes of the buffers before this one
  std::size_t lines_before_ = 0;      // and their line ends
  std::size_t column_before_ = 0;     // bytes after the last of them
  std::size_t record_limit_ = kNone;  // the offset at which the record under way is too long
};

// SAX handler: records are the objects of the top-level array, or of the array under
// `records`, `results` or `value` in a top-level object (or in its `result` object, as
// `sf data query --json` writes). Nested objects flatten to dotted names; Salesforce's
// `attributes` member is left out. A document of another shape, and items of the records that
// are not objects, are counted for an error: nothing is skipped in silence.
template <typename Stream>
class JsonRecordHandler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonRecordHandler<Stream>> {
 public:
  JsonRecordHandler(JsonRecordBuilder& builder, const std::function<void()>& emit, Stream& stream)
      : builder_(builder), emit_(emit), stream_(stream) {}

  bool StartObject() {
    if (++depth_ > kMaxJsonDepth) return too_deep();
    if (record_depth_ == 0 && depth_ == 1) {
      wrapper_depth_ = 1;  // the wrapper object
      return true;
    }
    if (record_depth_ == 0 && depth_ == 2 && wrapper_depth_ == 1 && key_ == "result" &&
        !found_records_) {
      wrapper_depth_ = 2;
      return true;
    }
    if (record_depth_ == 0 && in_records_array()) {
      record_depth_ = depth_;
      stream_.start_record();
      builder_.begin();
      path_.clear();
      return true;
    }
    if (record_depth_ != 0) path_.push_back(key_);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (record_depth_ != 0 && depth_ == record_depth_) {
      stream_.end_record();
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
    if (record_depth_ == 0 && in_records_array()) ++not_records_;  // a list among the records
    if (record_depth_ == 0 && !found_records_ &&
        (depth_ == 1 || (depth_ == wrapper_depth_ + 1 &&
                         (key_ == "records" || key_ == "results" || key_ == "value")))) {
      records_array_depth_ = depth_;
      found_records_ = true;
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
  /// Why the document, parsed whole, is not records (empty when it is).
  std::string shape_problem() const {
    if (top_scalar_) return "a single value where records were expected";
    if (!found_records_) {
      return "no records: a JSON export is an array of records, or an object whose records, "
             "results or value member is one";
    }
    if (not_records_ != 0) {
      return std::to_string(not_records_) +
             " item(s) of the records list are not records (JSON objects) and were not read";
    }
    return {};
  }

 private:
  bool too_deep() {
    too_deep_ = true;
    return false;  // stops the parse
  }
  bool in_records_array() const {
    return records_array_depth_ > 0 && depth_ == records_array_depth_ + 1;
  }
  bool scalar(Value value) {
    if (record_depth_ == 0) {
      if (depth_ == 0) top_scalar_ = true;
      if (records_array_depth_ > 0 && depth_ == records_array_depth_) ++not_records_;
      return true;
    }
    if (!path_.empty() && path_.front() == "attributes") return true;
    std::string name;
    for (const auto& part : path_) name += part + ".";
    name += key_;
    builder_.set(name, std::move(value));
    return true;
  }

  JsonRecordBuilder& builder_;
  const std::function<void()>& emit_;
  Stream& stream_;
  int depth_ = 0;
  int record_depth_ = 0;
  int wrapper_depth_ = 0;
  int records_array_depth_ = -1;
  bool found_records_ = false;
  bool top_scalar_ = false;
  std::size_t not_records_ = 0;
  bool too_deep_ = false;
  std::string key_;
  std::vector<std::string> path_;
};

}  // namespace

ConnectorDescriptor FileConnector::describe_connector() {
  return {"file",
          "CRM exports on disk: a Salesforce Data Export folder (one CSV per object), JSON or "
          "NDJSON record files",
          {
              {"input", "path", "", "an export folder (read recursively) or a single file", true},
              {"encoding", "enum(utf-8|latin1)", "utf-8", "character encoding of CSV files", false},
              {"crm", "string", "",
               "the CRM that wrote the export: its rule packs apply by default (default: "
               "recognised from the files)",
               false},
          }};
}

const ConnectorDescriptor& FileConnector::descriptor() const {
  static const ConnectorDescriptor kDescriptor = describe_connector();
  return kDescriptor;
}

FileConnector::FileConnector(const ConnectorConfig& config, CsvLimits limits)
    : input_(config.at("input")), limits_(limits) {
  if (const auto crm = config.find("crm"); crm != config.end()) crm_ = crm->second;
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
    // Every file with an export's extension is listed, whatever it is: one that is not a regular
    // file is reported when its object is read, not passed over.
    std::vector<fs::path> paths;
    fs::recursive_directory_iterator entries(input_, error), end;
    for (; !error && entries != end; entries.increment(error)) {
      if (!entries->is_directory()) paths.push_back(entries->path());
    }
    if (error) throw MissingInputError(input_ + ": cannot read the folder: " + error.message());
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) add(path, input_);
  } else {
    add(input_, {});
  }
  if (files_.empty()) {
    throw MissingInputError(input_ + ": no .csv, .json or .ndjson files to read");
  }
}

std::string FileConnector::crm() const {
  if (crm_.empty()) {
    crm_ = recognise_crm(shipped_rules_root());
    notes_.push_back("the files were recognised as a " + crm_ + " export (give --crm to choose)");
  }
  return crm_;
}

std::string FileConnector::signal_of(const SourceFile& file) const {
  std::string why;
  const int fd = open_regular_file(file.path, why);
  if (fd < 0) return {};
  DescriptorBuffer buffer(fd);
  std::istream in(&buffer);
  if (file.format == SourceFile::Format::kCsv) {
    // A Salesforce Data Export: the first column is Id, and holds Salesforce ids.
    CsvReader reader(in, latin1_, limits_);
    std::vector<std::string> header, row;
    if (!reader.next(header) || reader.error() || header.empty() || trim(header.front()) != "Id" ||
        !reader.next(row) || reader.error() || row.empty())
      return {};
    const auto id = trim(row.front());
    const bool salesforce_id =
        (id.size() == 15 || id.size() == 18) && std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c));
        });
    return salesforce_id ? "salesforce" : "";
  }
  // JSON: what the first records say about the API that wrote them.
  std::string head(16 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.find("\"@odata.") != std::string::npos) return "dynamics365";
  if (head.find("\"properties\"") != std::string::npos &&
      (head.find("\"createdAt\"") != std::string::npos ||
       head.find("\"archived\"") != std::string::npos))
    return "hubspot";
  if (head.find("\"attributes\"") != std::string::npos &&
      head.find("/services/data/") != std::string::npos)
    return "salesforce";
  return {};
}

std::string FileConnector::recognise_crm(const std::string& rules_root) const {
  // How many files each CRM's own format claims.
  std::map<std::string, std::size_t> signals;
  for (const auto& [object, files] : files_) {
    for (const auto& file : files) {
      if (auto crm = signal_of(file); !crm.empty()) ++signals[crm];
    }
  }
  // How many of the files' objects each CRM's shipped packs have rules for: first those of the
  // CRMs the files name, the others only when none of those fits (parsing a CRM's packs costs
  // more than reading a small export; the chosen CRM's are then the scan's, not parsed again).
  std::map<std::string, std::size_t> ruled;
  const auto count_ruled = [&](bool named) {
    std::error_code error;
    for (fs::directory_iterator entry(rules_root, error), end; !error && entry != end;
         entry.increment(error)) {
      const auto crm = entry->path().filename().string();
      if (!entry->is_directory() || (signals.count(crm) != 0) != named) continue;
      try {
        const auto rules = RuleSet::load({entry->path().string()});
        std::size_t count = 0;
        for (const auto& [object, files] : files_) count += rules.rules_for(object).empty() ? 0 : 1;
        if (count != 0) ruled[crm] = count;
      } catch (const Error&) {
        // A folder without valid packs fits no export.
      }
    }
  };
  count_ruled(true);
  const auto best = [](const std::map<std::string, std::size_t>& counts) {
    std::vector<std::string> top;
    std::size_t most = 0;
    for (const auto& [crm, count] : counts) {
      if (count > most) top.clear(), most = count;
      if (count == most) top.push_back(crm);
    }
    return top;
  };
  // A CRM that the files' format names is chosen only if its packs know some of the objects.
  std::map<std::string, std::size_t> claimed;
  for (const auto& [crm, count] : signals) {
    if (ruled.count(crm) != 0) claimed[crm] = count;
  }
  if (claimed.empty()) count_ruled(false);
  auto top = best(claimed.empty() ? ruled : claimed);
  std::string objects;
  std::size_t listed = 0;
  for (const auto& [object, files] : files_) {
    if (listed++ == 5) {
      objects += ", …";
      break;
    }
    objects += (objects.empty() ? "" : ", ") + object;
  }
  if (top.empty()) {
    throw ConfigError(input_ + ": not an export of a CRM crmscan has rule packs for: no pack in " +
                      rules_root + " has rules for its objects (" + objects +
                      "); give --crm and --rules for your own pack");
  }
  if (top.size() > 1) {
    std::string names;
    for (const auto& crm : top) names += (names.empty() ? "" : " or ") + crm;
    throw ConfigError(input_ + ": could be an export of " + names + " (objects " + objects +
                      "); say which with --crm");
  }
  return top.front();
}

std::vector<ObjectSchema> FileConnector::describe() {
  std::vector<ObjectSchema> schemas;
  for (const auto& [object, files] : files_) {
    ObjectSchema schema{object, {}};
    const auto& first = files.front();
    std::string why;
    const int fd =
        first.format == SourceFile::Format::kCsv ? open_regular_file(first.path, why) : -1;
    if (fd >= 0) {  // else scan() reports why
      DescriptorBuffer buffer(fd);
      std::istream in(&buffer);
      CsvReader reader(in, latin1_, limits_);
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
  std::vector<std::uint64_t> sizes;
  for (const auto& file : found->second) {
    std::error_code error;
    const auto size = fs::file_size(file.path, error);
    sizes.push_back(error ? 0 : size);
  }
  object_bytes_ = std::accumulate(sizes.begin(), sizes.end(), std::uint64_t{0});
  bytes_before_ = 0;
  // Not reading any more, however scan() ends.
  struct Done {
    FileConnector& connector;
    ~Done() {
      connector.reading_fd_ = -1;
      connector.object_bytes_ = 0;
    }
  } done{*this};
  for (std::size_t i = 0; i < found->second.size(); ++i) {
    const auto& file = found->second[i];
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
    reading_fd_ = -1;  // closed
    bytes_before_ += sizes[i];
  }
}

ReadPosition FileConnector::read_position() const {
  if (object_bytes_ == 0) return {};
  const auto offset = reading_fd_ >= 0 ? ::lseek(reading_fd_, 0, SEEK_CUR) : -1;
  return {bytes_before_ + (offset > 0 ? static_cast<std::uint64_t>(offset) : 0), object_bytes_,
          true};
}

int FileConnector::open(const std::string& object, const SourceFile& file,
                        const ProblemSink& on_problem) const {
  std::string why;
  const int fd = open_regular_file(file.path, why);
  if (fd < 0) on_problem(object, file.relative + " " + why + "; it was not read");
  reading_fd_ = fd;
  return fd;
}

namespace {

// The rows of one file that could not be read: the first ones named one by one, the rest counted,
// so that a file of a million bad rows gives a report of a hundred errors and a count, not a
// million errors (each compared with the others before it).
class RowProblems {
 public:
  static constexpr std::size_t kNamed = 100;
  RowProblems(const std::string& object, const std::string& file, const ProblemSink& on_problem)
      : object_(object), file_(file), on_problem_(on_problem) {}
  ~RowProblems() {
    if (more_ != 0) {
      on_problem_(object_, file_ + ": " + std::to_string(more_) +
                               " more rows or lines were not read, malformed as those before");
    }
  }
  void operator()(const std::string& message) {
    if (named_ < kNamed) {
      ++named_;
      on_problem_(object_, message);
    } else {
      ++more_;
    }
  }

 private:
  const std::string& object_;
  const std::string& file_;
  const ProblemSink& on_problem_;
  std::size_t named_ = 0;
  std::size_t more_ = 0;
};

// A read error is not the end of a file: what follows it was not read.
void check_read(std::istream& in, const DescriptorBuffer& buffer, const std::string& where,
                const std::string& object, const ProblemSink& on_problem) {
  if (in.bad()) {
    on_problem(object, where + ": read error (" +
                           std::string(std::strerror(buffer.error() ? buffer.error() : EIO)) +
                           "); the rest of the file was not read");
  }
}

}  // namespace

void FileConnector::scan_csv(const std::string& object, const SourceFile& file,
                             const RecordSink& on_record, const ProblemSink& on_problem) const {
  const int fd = open(object, file, on_problem);
  if (fd < 0) return;
  DescriptorBuffer buffer(fd);
  std::istream in(&buffer);
  CsvReader reader(in, latin1_, limits_);
  std::vector<std::string> row;
  if (!reader.next(row)) {
    check_read(in, buffer, file.relative, object, on_problem);
    return;
  }
  RowProblems row_problem(object, file.relative, on_problem);
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
  const auto where = [&] { return file.relative + ":" + std::to_string(reader.row_line()); };
  while (reader.next_row()) {
    if (reader.error()) {
      row_problem(where() + ": " + *reader.error() + "; the row was not read");
      continue;
    }
    const auto count = reader.value_count();
    if (count != schema->fields.size()) {
      if (count == 1 && reader.value(0).empty()) continue;  // a blank line
      row_problem(where() + ": " + std::to_string(count) + " values where the header has " +
                  std::to_string(schema->fields.size()) + "; the row was not read");
      continue;
    }
    for (std::size_t i = 0; i < count; ++i)
      reader.copy_value(i, std::get<std::string>(record.values[i]));
    if (id_index) {
      record.id.assign(std::get<std::string>(record.values[*id_index]));  // in the id's storage
    } else {
      record.id.clear();
    }
    record.line = reader.row_line();
    on_record(record);
  }
  check_read(in, buffer, file.relative + ":" + std::to_string(reader.row_line()), object,
             on_problem);
}

void FileConnector::scan_json(const std::string& object, const SourceFile& file,
                              const RecordSink& on_record, const ProblemSink& on_problem) const {
  const int fd = open(object, file, on_problem);
  if (fd < 0) return;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> handle(::fdopen(fd, "rb"), &std::fclose);
  if (!handle) {
    ::close(fd);
    on_problem(object, file.relative + " cannot be opened; it was not read");
    return;
  }
  JsonReadStream stream(handle.get(), limits_.max_row_bytes);
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
  JsonRecordHandler handler(builder, emit, stream);
  rapidjson::Reader reader;
  const auto result = reader.Parse<kJsonParseFlags>(stream, handler);
  if (std::ferror(handle.get()) != 0) {
    on_problem(object, file.relative + ":" + stream.where() +
                           ": read error; the rest of the file was not read");
  } else if (result.IsError()) {
    const std::string why =
        handler.stopped_too_deep()
            ? "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"
        : stream.stopped()
            ? "a record longer than " + std::to_string(limits_.max_row_bytes) + " bytes"
            : rapidjson::GetParseError_En(result.Code());
    on_problem(object, file.relative + ":" + stream.where() + ": " + why +
                           "; records after it were not read");
  } else if (const auto problem = handler.shape_problem(); !problem.empty()) {
    on_problem(object, file.relative + ": " + problem);
  }
}

void FileConnector::scan_ndjson(const std::string& object, const SourceFile& file,
                                const RecordSink& on_record, const ProblemSink& on_problem) const {
  const int fd = open(object, file, on_problem);
  if (fd < 0) return;
  DescriptorBuffer buffer(fd);
  std::istream in(&buffer);
  NdjsonReader reader(in, limits_.max_row_bytes);
  JsonRecordBuilder builder(object);
  RowProblems row_problem(object, file.relative, on_problem);
  std::vector<NdjsonField> fields;
  while (reader.next()) {
    const auto where = [&] { return file.relative + ":" + std::to_string(reader.line_number()); };
    if (reader.too_long()) {
      row_problem(where() + ": a line longer than " + std::to_string(limits_.max_row_bytes) +
                  " bytes; the line was not read");
      continue;
    }
    if (trim(reader.line()).empty()) continue;
    if (const auto problem = reader.parse(fields)) {
      row_problem(where() + ":" + *problem + "; the line was not read");
      continue;
    }
    builder.begin();
    for (const auto& field : fields) {
      switch (field.kind) {
        case NdjsonField::Kind::kString:
          builder.set_text(field.name, field.text);
          break;
        case NdjsonField::Kind::kNumber:
          builder.set(field.name, Value{field.number});
          break;
        case NdjsonField::Kind::kBool:
          builder.set(field.name, Value{field.boolean});
          break;
        case NdjsonField::Kind::kNull:
          builder.set(field.name, Value{});
          break;
      }
    }
    auto& record = builder.record();
    record.source = file.relative;
    record.line = reader.line_number();
    const auto id_index = record.schema->index_of("Id");
    record.id = id_index ? value_text(record.values[*id_index]) : std::string();
    on_record(record);
  }
  check_read(in, buffer, file.relative + ":" + std::to_string(reader.line_number() + 1), object,
             on_problem);
}

ConnectorEntry crmscan_connector_file() {
  return {&FileConnector::describe_connector,
          [](const ConnectorConfig& config) -> std::unique_ptr<Connector> {
            return std::make_unique<FileConnector>(config);
          }};
}

}  // namespace crmscan

#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "crmscan/record.hpp"
#include "crmscan/rules.hpp"
#include "crmscan/stage.hpp"
#include "crmscan/subject.hpp"

namespace crmscan {

/// One configuration option of a connector: validates configuration and documents it.
struct ConnectorOption {
  std::string key;
  std::string type;  ///< path, string, enum(a|b), bool
  std::string default_value;
  std::string help;
  bool required = false;
};

/// What a connector is, as `crmscan connectors` prints it.
struct ConnectorDescriptor {
  std::string name;
  std::string summary;
  std::vector<ConnectorOption> options;
};

using ConnectorConfig = std::map<std::string, std::string>;

/// How far a connector has got in what it reads, when it knows: `done` of `total` bytes (files)
/// or records (an API that said how many). A total of 0: not known.
struct ReadPosition {
  std::uint64_t done = 0;
  std::uint64_t total = 0;
  bool bytes = false;
};
using RecordSink = std::function<void(const Record&)>;
/// Receives what could not be read: the object and a message naming file and line.
using ProblemSink = std::function<void(const std::string& object, const std::string& message)>;

/// Looks records up instead of reading them all: what an API connector offers, so that a
/// subject scan costs in proportion to what matches rather than to the size of the CRM.
class Lookup {
 public:
  virtual ~Lookup() = default;
  /// Records of the given objects that hold one of the terms: emails or phone numbers (E.164) in
  /// the fields of that kind, or anywhere when `in_text`; names in name fields; record ids (the
  /// records themselves, or with `in_text` records whose text holds the id).
  /// Records come with every field.
  virtual void search(IdentifierKind kind, bool in_text, const std::vector<std::string>& terms,
                      const std::vector<std::string>& objects, const RecordSink& on_record,
                      const ProblemSink& on_problem) = 0;
  /// Records of `object` whose `field` holds one of the record ids (15- or 18-character forms
  /// alike), archived and deleted ones included; `Id` fetches the records themselves.
  virtual void fetch(const std::string& object, const std::string& field,
                     const std::vector<std::string>& ids, const RecordSink& on_record,
                     const ProblemSink& on_problem) = 0;
  /// Whether the CRM has the object and field (a managed package may not be installed).
  virtual bool has_field(const std::string& object, const std::string& field) = 0;
  /// The lookup fields of other objects that point to `object` (its child relationships),
  /// as (child object, field) pairs.
  virtual std::vector<std::pair<std::string, std::string>> references_to(
      const std::string& object) = 0;
  /// The rule packs of the scan, given once before the first lookup, so that a connector can also
  /// read the fields they name another way than by search (archived and deleted rows).
  virtual void use_rules(const RuleSet& /*rules*/) {}
};

/// A source of CRM records. Connectors report what they cannot read to the problem sink and go
/// on with the rest; they never drop data silently.
class Connector {
 public:
  virtual ~Connector() = default;
  virtual const ConnectorDescriptor& descriptor() const = 0;
  /// The CRM whose rule packs apply by default (a folder under rules/).
  virtual std::string crm() const = 0;
  /// Where the data comes from, for the report (a folder, an org URL).
  virtual std::string source() const = 0;
  /// The objects the source holds, with their fields.
  virtual std::vector<ObjectSchema> describe() = 0;
  /// Streams every record of one object, archived and deleted rows included.
  virtual void scan(const std::string& object, const RecordSink& on_record,
                    const ProblemSink& on_problem) = 0;
  /// Requests made to a remote API so far (0 for local files).
  virtual std::size_t api_calls() const { return 0; }
  /// How far the scan() or lookup under way has got, for the progress line; asked by the thread
  /// that called it, from its record sink.
  virtual ReadPosition read_position() const { return {}; }
  /// Its lookups, when it can answer them (APIs); a subject scan then uses them instead of scan().
  virtual Lookup* lookup() { return nullptr; }
  /// What the connector could not see or chose not to read (objects skipped, caps reached,
  /// records outside search), for the report's notes; asked once the scan is over.
  virtual std::vector<std::string> notes() const { return {}; }
  /// The stage this connector runs after a CRM's scan, on what the scan found (the content API's
  /// lookup of the calls' recordings), or null for a connector that scans a CRM itself.
  virtual std::unique_ptr<Stage> stage(const SubjectSet& /*subjects*/, bool /*show_values*/) {
    return nullptr;
  }
};

/// A connector as the registry knows it: how to describe and how to create it.
struct ConnectorEntry {
  ConnectorDescriptor (*descriptor)();
  std::unique_ptr<Connector> (*create)(const ConnectorConfig& config);
};

/// Every connector listed in connectors/CMakeLists.txt, in that order.
const std::vector<ConnectorEntry>& connector_registry();

/// Creates the named connector after checking the configuration against its options (unknown
/// keys and missing required ones are ConfigError; defaults are filled in).
std::unique_ptr<Connector> create_connector(const std::string& name, ConnectorConfig config);

}  // namespace crmscan

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "crmscan/connector.hpp"
#include "crmscan/csv_reader.hpp"

namespace crmscan {

/// Reads a CRM export from local files: a Salesforce Data Export folder (one CSV per object,
/// named after it), JSON files (an array of records, or an object whose `records`, `results`
/// or `value` member is one) and NDJSON files (one record per line). The object is the file
/// name without its extension; a folder is read recursively, so several files may hold one
/// object. Files are streamed, never held whole. Every file it cannot read whole is an error of
/// the scan naming it: a file that is not a regular file (a FIFO, a device, a file of /proc), a
/// read error, a CSV row, NDJSON line or JSON record longer than `limits.max_row_bytes`, text
/// that is not in the declared encoding, JSON that is not records.
///
/// Without a `crm` option it recognises which CRM wrote the export (see recognise_crm()) and says
/// so in the report's notes; an export it cannot place is a ConfigError, never a scan with another
/// CRM's rules.
class FileConnector : public Connector {
 public:
  explicit FileConnector(const ConnectorConfig& config, CsvLimits limits = {});

  static ConnectorDescriptor describe_connector();
  const ConnectorDescriptor& descriptor() const override;
  /// The `crm` option, else the CRM recognised from the files (ConfigError when none fits).
  std::string crm() const override;
  std::vector<std::string> notes() const override { return notes_; }
  std::string source() const override { return input_; }
  std::vector<ObjectSchema> describe() override;
  void scan(const std::string& object, const RecordSink& on_record,
            const ProblemSink& on_problem) override;
  /// Bytes of the object's files read so far, of their total size.
  ReadPosition read_position() const override;

 private:
  struct SourceFile {
    std::string path;      // as opened
    std::string relative;  // as reported: relative to the input folder
    enum class Format { kCsv, kJson, kNdjson } format;
  };
  /// The file opened for reading, or -1 after reporting why it cannot be.
  int open(const std::string& object, const SourceFile& file, const ProblemSink& on_problem) const;
  void scan_csv(const std::string& object, const SourceFile& file, const RecordSink& on_record,
                const ProblemSink& on_problem) const;
  void scan_json(const std::string& object, const SourceFile& file, const RecordSink& on_record,
                 const ProblemSink& on_problem) const;
  void scan_ndjson(const std::string& object, const SourceFile& file, const RecordSink& on_record,
                   const ProblemSink& on_problem) const;

  /// The CRM whose export the files are: a Dataverse Web API answer (`@odata.` annotations) is
  /// Dynamics 365's, records with `properties` HubSpot's, a CSV whose first column is a Salesforce
  /// id, or JSON records with Salesforce `attributes`, Salesforce's; failing those, the CRM under
  /// `rules_root` whose packs rule the most of the files' objects. Ties and no match are errors.
  std::string recognise_crm(const std::string& rules_root) const;
  /// Which CRM the first bytes of a file say wrote it (empty: they do not say).
  std::string signal_of(const SourceFile& file) const;

  std::string input_;
  mutable std::string crm_;  // recognised on first use when not given
  mutable std::vector<std::string> notes_;
  bool latin1_ = false;
  CsvLimits limits_;
  std::map<std::string, std::vector<SourceFile>> files_;  // by object
  // The object scan() reads: its files' bytes, those of the files read whole, and the file being
  // read (its offset is how far the reader has got).
  std::uint64_t object_bytes_ = 0;
  std::uint64_t bytes_before_ = 0;
  mutable int reading_fd_ = -1;
};

}  // namespace crmscan

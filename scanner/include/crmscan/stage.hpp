#pragma once

#include <memory>
#include <string>

#include "crmscan/record.hpp"
#include "crmscan/report.hpp"
#include "crmscan/subject.hpp"

namespace crmscan {

/// A step of the pipeline after the CRM's scan: it sees each record the scan found for a request
/// (with its values, which the report redacts), then adds to the report what it finds elsewhere
/// (the contact center's recordings and transcripts of those calls): findings, made with
/// finding_fingerprint() and preview_of() like the scan's, and its errors, notes, coverage and API
/// calls. A connector that provides one returns it from Connector::stage().
class Stage {
 public:
  virtual ~Stage() = default;
  /// A record that holds something of the request of `subject`; again if a later pass re-reads it.
  virtual void record_found(const Record& record, SubjectIndex subject) = 0;
  /// A free-text field of a record found for a request in which the request's identifiers are to
  /// be erased (an erase_field finding, reason "text"); `record_id` as the finding gives it.
  virtual void text_to_erase(const std::string& /*object*/, const std::string& /*record_id*/,
                             const std::string& /*field*/, const std::string& /*text*/) {}
  /// Runs once the scan is done, adding to its report.
  virtual void run(Report& report) = 0;
};

}  // namespace crmscan

#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "crmscan/record.hpp"
#include "crmscan/report.hpp"
#include "crmscan/stage.hpp"
#include "crmscan/subject.hpp"
#include "vcc_content_connector.hpp"

namespace crmscan::vcc {

/// Turns what a CRM scan found into the contact center's stored content: the call GUIDs held
/// by the records of each request (Task CallObject, the interaction event's call identifier…)
/// are looked up one by one, and each request's phone numbers are searched over the range of
/// the connector, the API's prefix matches checked against the whole number. Each content item
/// becomes a finding in the CRM scan's report.
class ContentLookup : public Stage {
 public:
  ContentLookup(VccContentConnector& api, const SubjectSet& subjects, bool show_values);

  /// Takes the call GUIDs of a record that holds something of a subject's request.
  void record_found(const Record& record, SubjectIndex subject) override;
  /// Looks the content up and adds its findings, errors, notes, coverage and API calls to the
  /// report of the CRM scan. A call whose CRM record is to be deleted gives delete_content; one
  /// whose record is only to be reviewed gives review, unless the number search confirms it.
  void run(Report& report) override;

 private:
  /// A call GUID held in a field of a CRM record of a request.
  struct CallReference {
    std::size_t subject;
    std::string object;
    std::string record_id;
    std::string field;
  };
  using FindingKey = std::tuple<std::size_t, std::string, std::string>;  // subject, guid, key

  void add_findings(std::size_t subject, const Interaction& interaction, Action action,
                    const std::string& reason, const std::string& rule, const std::string& why,
                    std::map<FindingKey, Finding>& findings) const;

  VccContentConnector& api_;
  const SubjectSet& subjects_;
  bool show_values_;
  std::map<std::string, std::vector<CallReference>> calls_;           // by GUID
  std::set<std::tuple<std::string, std::size_t, std::string>> seen_;  // record, subject, field
};

}  // namespace crmscan::vcc

#include "registry/shared/audit/describe.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xds::audit {
namespace {

std::string CodeOf(const Code& code) {
  return code.code().empty() ? std::string() : absl::StrCat(code.code(), "^^", code.scheme());
}

// A query parameter value as the TF codes it: 'a' or ('a','b'); the ids inside.
std::vector<std::string> QuotedValues(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (absl::ConsumePrefix(&value, "(")) absl::ConsumeSuffix(&value, ")");
  std::vector<std::string> ids;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "'")) absl::ConsumeSuffix(&part, "'");
    if (!part.empty()) ids.emplace_back(part);
  }
  return ids;
}

}  // namespace

void AddPatient(const std::string& patient_id, AuditEvent* event) {
  if (patient_id.empty()) return;
  const auto& ids = event->patient_ids();
  if (std::find(ids.begin(), ids.end(), patient_id) == ids.end()) event->add_patient_ids(patient_id);
}

void DescribeSubmission(const Submission& submission, AuditEvent* event) {
  for (const SubmissionSet& set : submission.submission_sets()) {
    event->set_submission_set_unique_id(set.unique_id());
    AddPatient(set.patient_id(), event);
  }
  for (const DocumentEntry& entry : submission.document_entries()) {
    AddPatient(entry.patient_id(), event);
    event->add_document_unique_ids(entry.unique_id());
    event->add_class_codes(CodeOf(entry.class_code()));
    if (!entry.repository_unique_id().empty()) event->add_repository_unique_ids(entry.repository_unique_id());
  }
}

void DescribeQuery(const StoredQueryRequest& request, const StoredQueryResponse& response, AuditEvent* event) {
  *event->mutable_query() = request;
  for (const QueryParameter& parameter : request.parameters()) {
    if (!absl::EndsWithIgnoreCase(parameter.name(), "patientid")) continue;
    for (const std::string& value : parameter.values()) {
      for (const std::string& id : QuotedValues(value)) AddPatient(id, event);
    }
  }
  for (const DocumentEntry& entry : response.document_entries()) {
    AddPatient(entry.patient_id(), event);
    event->add_document_unique_ids(entry.unique_id());
    event->add_class_codes(CodeOf(entry.class_code()));
  }
  for (const SubmissionSet& set : response.submission_sets()) AddPatient(set.patient_id(), event);
  for (const Folder& folder : response.folders()) AddPatient(folder.patient_id(), event);
}

void AppendDetail(std::string_view text, AuditEvent* event) {
  if (text.empty()) return;
  std::string detail = event->detail();
  if (!detail.empty()) detail.append("; ");
  detail.append(text);
  event->set_detail(std::move(detail));
}

}  // namespace xds::audit

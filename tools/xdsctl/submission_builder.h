// Builds an ITI-41 submission from plain files: one SubmissionSet, one DocumentEntry per
// file, HasMember associations, and a sensible default for every attribute a Document
// Source must send (ITI TF-3 Table 4.3.1-3, column DS/41). Hash, size and
// repositoryUniqueId are left to the repository.
#ifndef XDS_TOOLS_XDSCTL_SUBMISSION_BUILDER_H_
#define XDS_TOOLS_XDSCTL_SUBMISSION_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/xds_metadata.pb.h"
#include "tools/xdsctl/backend.h"

namespace xds::ctl {

struct SubmitOptions {
  std::string patient_id;  // CX of the affinity domain (required)
  std::string class_code;  // CODE^^SCHEME (required)
  std::string type_code;   // default: the class code
  std::string mime_type;   // default: from the file extension
  std::string title;       // default: the file name
  std::string format_code = "urn:ihe:iti:xds:2017:mimeTypeSufficient^^1.3.6.1.4.1.19376.1.2.3";
  std::string healthcare_facility_type_code = "22232009^^2.16.840.1.113883.6.96";  // SNOMED CT: Hospital
  std::string practice_setting_code = "394802001^^2.16.840.1.113883.6.96";         // SNOMED CT: General medicine
  std::string confidentiality_code = "N^^2.16.840.1.113883.5.25";                  // HL7 Confidentiality: normal
  std::string content_type_code;  // SubmissionSet contentTypeCode; default: the class code
  std::string language_code = "en-US";
  std::string source_id = "2.25.309417181453467924358126453290571938227";  // xdsctl's own sourceId
  std::string source_patient_id;                                           // default: patient_id
  std::string author_person;                                               // XCN; optional
  std::string creation_time;                                               // DTM; default: now (UTC)
  // eventCodeList (CODE^^SCHEME each), e.g. a BPPC consent document's policy OIDs.
  std::vector<std::string> event_codes;
};

struct BuiltSubmission {
  Submission submission;
  std::vector<DocumentContent> documents;  // same order as the files
  std::vector<std::string> files;
};

// A fresh OID under 2.25 (ITU-T X.667: the decimal value of a random UUID).
std::string NewUuidOid();
// application/pdf for .pdf, text/xml for .xml, ... application/octet-stream otherwise.
std::string GuessMimeType(const std::string& file_name);
std::string NowDtm();  // UTC, 14 digits

// Adds the SubmissionSet "SubmissionSet01" of xdsctl's submissions (ITI-41 and ITI-57):
// `patient_id`, a fresh uniqueId, xdsctl's sourceId, submissionTime now.
SubmissionSet* AddSubmissionSet(Submission* submission, const std::string& patient_id, const Code& content_type,
                                const std::string& title, const std::string& source_id);

// Reads `files` and builds the submission. InvalidArgument for a missing required option,
// a code without ^^, or an unreadable file (the message names it).
absl::StatusOr<BuiltSubmission> BuildSubmission(const std::vector<std::string>& files, const SubmitOptions& options);

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_SUBMISSION_BUILDER_H_

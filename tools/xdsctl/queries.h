// The ITI-18 stored queries xdsctl sends, built as StoredQueryRequest values (the same
// request goes over gRPC or, through the ebRIM codec, as SOAP). Values are coded as the TF
// wants them in rim:Slot values: strings quoted ('x'), lists in parentheses, times bare.
#ifndef XDS_TOOLS_XDSCTL_QUERIES_H_
#define XDS_TOOLS_XDSCTL_QUERIES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/registry_service.pb.h"

namespace xds::ctl {

// "approved" | "deprecated" | "all" -> the status URNs. InvalidArgument otherwise.
absl::StatusOr<std::vector<std::string>> StatusUrns(const std::string& status);

// 'value' with embedded quotes doubled; ('a','b') for lists.
std::string Quoted(const std::string& value);
std::string QuotedList(const std::vector<std::string>& values);

struct FindDocumentsOptions {
  std::string patient_id;
  std::string status = "approved";
  std::vector<std::string> class_codes;      // CODE^^SCHEME, OR
  std::vector<std::string> type_codes;       // OR
  std::vector<std::string> practice_codes;   // OR
  std::string created_from, created_to;      // DTM
  std::string service_from;                  // serviceStartTime >= (DTM)
  std::string service_to;                    // serviceStopTime < (DTM)
  std::vector<std::string> author_patterns;  // authorPerson, % and _ wildcards, OR
  bool object_refs = false;
};
// InvalidArgument for a missing patient, a bad status, a code without ^^ or a bad DTM.
absl::StatusOr<StoredQueryRequest> FindDocumentsQuery(const FindDocumentsOptions& options);

absl::StatusOr<StoredQueryRequest> FindSubmissionSetsQuery(const std::string& patient_id, const std::string& status,
                                                           bool object_refs = false);
absl::StatusOr<StoredQueryRequest> FindFoldersQuery(const std::string& patient_id, const std::string& status,
                                                    bool object_refs = false);

// By entryUUID (an id starting with urn:uuid:) or by uniqueId otherwise.
bool IsEntryUuid(const std::string& id);
StoredQueryRequest GetDocumentsQuery(const std::string& id);
StoredQueryRequest GetFoldersQuery(const std::string& id);
StoredQueryRequest GetSubmissionSetAndContentsQuery(const std::string& id);
StoredQueryRequest GetAssociationsQuery(const std::vector<std::string>& entry_uuids);
// Every relationship type: RPLC, APND, XFRM, XFRM_RPLC, signs, IsSnapshotOf.
StoredQueryRequest GetRelatedDocumentsQuery(const std::string& id);

}  // namespace xds::ctl

#endif  // XDS_TOOLS_XDSCTL_QUERIES_H_

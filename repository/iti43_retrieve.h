// ITI-43 Retrieve Document Set (ITI TF-2 3.43; XDS-B.md §5.3 Q1-Q8): committed documents by
// uniqueId, answered as MTOM with every document an XOP attachment.
#ifndef XDS_REPOSITORY_ITI43_RETRIEVE_H_
#define XDS_REPOSITORY_ITI43_RETRIEVE_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/xds_metadata.pb.h"
#include "registry/shared/service/call_gate.h"
#include "repository/access_cache.h"
#include "repository/document_store.h"

namespace xds {

struct RetrieveOptions {
  std::string repository_unique_id;
  std::string home_community_id;  // urn:oid:...; echoed when configured (empty = none)
};

struct RetrieveResult {
  RetrieveDocumentSetResponse response;
  // Document i of response.document_responses, mapped: no copy until the HTTP body.
  std::vector<std::unique_ptr<DocumentContent>> contents;
  // The patients of the documents answered and of those the access policy hid (the audit
  // event names them: an attempt she was protected from is in her access log too).
  std::vector<std::string> patient_ids;
  int hidden = 0;  // documents held here that the access policy hid
};

// What is wrong with one DocumentRequest before the store is asked (ITI-43 and ITI-86): no
// DocumentUniqueId (XDSDocumentUniqueIdError), another repository's id
// (XDSUnknownRepositoryId), another community (XDSUnknownCommunity); nullopt when none.
std::optional<RegistryError> DocumentRequestError(const DocumentRequest& request, const RetrieveOptions& options);

// ITI-43, run by Repository once the gate admitted the call. Unknown (or still pending)
// uniqueIds get XDSDocumentUniqueIdError, another repository's id XDSUnknownRepositoryId,
// each with location = the DocumentUniqueId (Q3, Q4). A document the store cannot read
// gets XDSRepositoryError with a fixed text; the store's status (paths, SQLite) goes to
// `outcome`, for the service log only.
// `access` (null: no access check) says which uniqueIds the requester may retrieve (issue
// 16): any other is answered exactly like an unknown one; when the decision could not be
// had, every document of this repository gets XDSRepositoryError.
RetrieveResult RetrieveDocumentSet(const RetrieveDocumentSetRequest& request, DocumentStore* store,
                                   const RetrieveOptions& options, const absl::StatusOr<AccessCache::Decision>* access,
                                   CallOutcome& outcome);

}  // namespace xds

#endif  // XDS_REPOSITORY_ITI43_RETRIEVE_H_

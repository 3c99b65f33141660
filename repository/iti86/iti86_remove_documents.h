// ITI-86 Remove Documents (RMD supplement, Document Administrator -> Document Repository):
// deletes stored documents by uniqueId. The metadata goes first, by ITI-62 at the registry;
// the repository does not ask the registry.
#ifndef XDS_REPOSITORY_ITI86_ITI86_REMOVE_DOCUMENTS_H_
#define XDS_REPOSITORY_ITI86_ITI86_REMOVE_DOCUMENTS_H_

#include <string>
#include <vector>

#include "proto/xds_metadata.pb.h"
#include "registry/shared/service/call_gate.h"
#include "repository/document_store.h"
#include "repository/iti43_retrieve.h"

namespace xds {

struct RemoveDocumentsResult {
  RegistryResponse response;
  std::vector<StoredDocument> removed;  // as they were (the audit event names them)
};

// Runs ITI-86 once the gate admitted the call. Each DocumentRequest is checked as for ITI-43
// (XDSUnknownRepositoryId, XDSDocumentUniqueIdError for an id this repository does not
// hold); the documents that pass are removed together in one durable index transaction,
// their files after it. Success when all were removed, PartialSuccess when some, Failure
// when none (as ITI-43 answers, TF-3 Table 4.2.4.2-4). A store failure removes nothing:
// XDSRemoveDocumentsError for each, the detail in `outcome`.
RemoveDocumentsResult RemoveDocuments(const RetrieveDocumentSetRequest& request, DocumentStore* store,
                                      const RetrieveOptions& options, CallOutcome& outcome);

}  // namespace xds

#endif  // XDS_REPOSITORY_ITI86_ITI86_REMOVE_DOCUMENTS_H_

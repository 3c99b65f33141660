// ITI-43 Retrieve Document Set (ITI TF-2 3.43; XDS-B.md §5.3 Q1-Q8): committed documents by
// uniqueId, answered as MTOM with every document an XOP attachment.
#ifndef XDS_REPOSITORY_ITI43_RETRIEVE_H_
#define XDS_REPOSITORY_ITI43_RETRIEVE_H_

#include <memory>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "proto/xds_metadata.pb.h"
#include "registry/shared/service/call_gate.h"
#include "repository/document_store.h"

namespace xds {

struct RetrieveOptions {
  std::string repository_unique_id;
  std::string home_community_id;  // urn:oid:...; echoed when configured (empty = none)
};

struct RetrievedDocument {
  std::string home_community_id;  // the request's, else the configured one, else empty
  std::string repository_unique_id;
  std::string document_unique_id;
  std::string mime_type;
  std::unique_ptr<DocumentContent> content;  // mapped file: no copy until the HTTP body
};

struct RetrieveResult {
  RegistryResponse response;  // Success, PartialSuccess or Failure with one error per miss
  std::vector<RetrievedDocument> documents;
};

// Answers an xds:RetrieveDocumentSetRequest element. Unknown (or still pending) uniqueIds
// get XDSDocumentUniqueIdError, another repository's id XDSUnknownRepositoryId, each with
// location = the DocumentUniqueId (Q3, Q4). A document the store cannot read gets
// XDSRepositoryError with a fixed text; the store's status (paths, SQLite) goes to
// `outcome`, for the service log only.
RetrieveResult RetrieveDocumentSet(const pugi::xml_node& request, DocumentStore* store, const RetrieveOptions& options,
                                   CallOutcome& outcome);

// Appends xds:RetrieveDocumentSetResponse under `parent`; document i's content is an
// xop:Include of cid `content_ids[i]` (the caller puts the bytes in the MTOM package).
void AppendRetrieveDocumentSetResponse(pugi::xml_node parent, const RetrieveResult& result,
                                       const std::vector<std::string>& content_ids);

}  // namespace xds

#endif  // XDS_REPOSITORY_ITI43_RETRIEVE_H_

// The repository's XDS document-set messages at the XML edge: the ITI-41
// xds:ProvideAndRegisterDocumentSetRequest (metadata through the ebRIM codec, each
// xds:Document resolved to its octets) and the ITI-43 xds:RetrieveDocumentSetRequest /
// Response. The repository's transactions see only what these return.
#ifndef XDS_REGISTRY_SHARED_EBRIM_DOCUMENT_SET_CODEC_H_
#define XDS_REGISTRY_SHARED_EBRIM_DOCUMENT_SET_CODEC_H_

#include <string>
#include <vector>

#include <pugixml.hpp>

#include "proto/xds_metadata.pb.h"
#include "registry/shared/mime/mime_multipart.h"
#include "registry/shared/model/provide_and_register_request.h"

namespace xds::ebrim {

// Parses the body element of an ITI-41 request. `multipart` resolves xop:Include hrefs (an
// empty Multipart for plain SOAP). Never fails hard: every problem becomes an error
// (metadata problems carry XDSRepositoryMetadataError: the repository found them).
ProvideAndRegisterRequest ParseProvideAndRegisterRequest(const pugi::xml_node& body, const mime::Multipart& multipart);

// An ITI-43 body decoded. `errors` is not empty only when the body is no
// xds:RetrieveDocumentSetRequest; DocumentRequests are kept as sent (ids trimmed, an
// absent element read as empty) for the transaction to judge.
struct ParsedRetrieveRequest {
  RetrieveDocumentSetRequest request;
  std::vector<RegistryError> errors;
};
ParsedRetrieveRequest ParseRetrieveDocumentSetRequest(const pugi::xml_node& body);
// An ITI-86 rmd:RemoveDocumentsRequest: the same DocumentRequests (RMD.xsd gives it the
// RetrieveDocumentSetRequestType); `errors` when the body is something else.
ParsedRetrieveRequest ParseRemoveDocumentsRequest(const pugi::xml_node& body);

// Appends xds:RetrieveDocumentSetResponse under `parent`; document i's content is an
// xop:Include of cid `content_ids[i]` (the caller puts the bytes in the MTOM package).
void AppendRetrieveDocumentSetResponse(pugi::xml_node parent, const RetrieveDocumentSetResponse& response,
                                       const std::vector<std::string>& content_ids);

}  // namespace xds::ebrim

#endif  // XDS_REGISTRY_SHARED_EBRIM_DOCUMENT_SET_CODEC_H_

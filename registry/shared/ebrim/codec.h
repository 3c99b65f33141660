// ebRIM 3.0 / ebRS 3.0 codec: the only place where XDS metadata is XML. Used by the
// registry, the repository and xdsctl alike. Parsing is lenient (namespaces by URI, any
// child order, ebRS 2.1-style short association types); emitting follows schema order.
#ifndef XDS_REGISTRY_SHARED_EBRIM_CODEC_H_
#define XDS_REGISTRY_SHARED_EBRIM_CODEC_H_

#include <string>
#include <vector>

#include <pugixml.hpp>

#include "proto/registry_service.pb.h"
#include "proto/xds_metadata.pb.h"
#include "registry/shared/model/errors.h"

namespace xds::ebrim {

// What a parser found: the model plus every problem, each as an XDSRegistryMetadataError
// whose context names the object and attribute. The parser never stops at the first error.
struct ParsedSubmission {
  Submission submission;
  std::vector<RegistryError> errors;
};

// Parses an lcm:SubmitObjectsRequest element (the ITI-42 body, or the first child of an
// ITI-41 ProvideAndRegisterDocumentSetRequest). Ids are kept as sent (symbolic or UUID).
ParsedSubmission ParseSubmitObjectsRequest(const pugi::xml_node& submit_objects_request);

// Parses an lcm:RemoveObjectsRequest (ITI-62) into the entryUUIDs of its rim:ObjectRefList.
struct ParsedRemoval {
  RemoveMetadataRequest request;
  std::vector<RegistryError> errors;
};
ParsedRemoval ParseRemoveObjectsRequest(const pugi::xml_node& remove_objects_request);

// Parses an AdhocQueryRequest element into a StoredQueryRequest. Problems that make the
// request meaningless (no AdhocQuery) come back as errors.
struct ParsedQuery {
  StoredQueryRequest request;
  std::vector<RegistryError> errors;
};
ParsedQuery ParseAdhocQueryRequest(const pugi::xml_node& adhoc_query_request);

// Emitters. Each appends one element (with its own xmlns declarations) under `parent`.
void AppendRegistryResponse(pugi::xml_node parent, const RegistryResponse& response);
void AppendRegistryErrorList(pugi::xml_node parent, const std::vector<RegistryError>& errors);
void AppendAdhocQueryResponse(pugi::xml_node parent, const StoredQueryResponse& response);
// The same AdhocQueryResponse element as XML text, written without building a tree (the
// registry's ITI-18 answers; see ResponseEnvelope::SetBodyXml).
std::string AdhocQueryResponseXml(const StoredQueryResponse& response);
void AppendSubmitObjectsRequest(pugi::xml_node parent, const Submission& submission);
void AppendAdhocQueryRequest(pugi::xml_node parent, const StoredQueryRequest& request);
void AppendRemoveObjectsRequest(pugi::xml_node parent, const RemoveMetadataRequest& request);

// Single objects as rim: elements (LeafClass form), appended under a rim:RegistryObjectList.
void AppendDocumentEntry(pugi::xml_node list, const DocumentEntry& entry);
void AppendSubmissionSet(pugi::xml_node list, const SubmissionSet& set);
void AppendFolder(pugi::xml_node list, const Folder& folder);
void AppendAssociation(pugi::xml_node list, const Association& association);

// Client side (xdsctl, tests): responses back into the model.
RegistryResponse ParseRegistryResponse(const pugi::xml_node& registry_response);
StoredQueryResponse ParseAdhocQueryResponse(const pugi::xml_node& adhoc_query_response);

// Helpers shared by the codec's users.
// A fresh entryUUID / MessageID: "urn:uuid:" + a time-ordered (version 7) UUID, lower-case hex.
std::string NewUuidUrn();
std::string StatusUrn(AvailabilityStatus status);
std::string ResponseStatusUrn(ResponseStatus status);
// Normalises ebRS 2.1 short association types ("HasMember", "RPLC", ...) to full URNs;
// returns the input unchanged when it is already a URN or unknown.
std::string NormalizeAssociationType(const std::string& type);

}  // namespace xds::ebrim

#endif  // XDS_REGISTRY_SHARED_EBRIM_CODEC_H_

// Pieces shared by the codec's parse and emit halves; not part of the public API.
#ifndef XDS_REGISTRY_SHARED_EBRIM_CODEC_INTERNAL_H_
#define XDS_REGISTRY_SHARED_EBRIM_CODEC_INTERNAL_H_

#include <pugixml.hpp>
#include <string>
#include <vector>

#include "proto/xds_metadata.pb.h"
#include "registry/shared/ebrim/xml_util.h"

namespace xds::ebrim::internal {

inline constexpr ErrorCode kMetadataError = err::kRegistryMetadataError;

// An XDSRegistryMetadataError (severity Error) located at `object_id`.
RegistryError MetadataError(const std::string& object_id, const std::string& context);

// Parses the children of a rim:RegistryObjectList (ExtrinsicObject, RegistryPackage,
// Association, ObjectRef and top-level Classification/ExternalIdentifier) into `out`,
// appending every problem found to `errors`.
void ParseRegistryObjectList(const pugi::xml_node& list, Submission* out, std::vector<RegistryError>* errors);

// Single objects as rim: elements (LeafClass form), written where a rim:RegistryObjectList
// is open; the rim prefix must be declared by an enclosing element.
void WriteDocumentEntry(xml::XmlWriter& w, const DocumentEntry& entry);
void WriteSubmissionSet(xml::XmlWriter& w, const SubmissionSet& set);
void WriteFolder(xml::XmlWriter& w, const Folder& folder);
void WriteAssociation(xml::XmlWriter& w, const Association& association);

}  // namespace xds::ebrim::internal

#endif  // XDS_REGISTRY_SHARED_EBRIM_CODEC_INTERNAL_H_

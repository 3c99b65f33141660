// Pieces shared by the codec's parse and emit halves; not part of the public API.
#ifndef XDS_REGISTRY_EBRIM_CODEC_INTERNAL_H_
#define XDS_REGISTRY_EBRIM_CODEC_INTERNAL_H_

#include <pugixml.hpp>
#include <string>
#include <vector>

#include "proto/xds_metadata.pb.h"

namespace xds::ebrim::internal {

inline constexpr char kMetadataError[] = "XDSRegistryMetadataError";

// An XDSRegistryMetadataError (severity Error) located at `object_id`.
RegistryError MetadataError(const std::string& object_id, const std::string& context);

// Parses the children of a rim:RegistryObjectList (ExtrinsicObject, RegistryPackage,
// Association, ObjectRef and top-level Classification/ExternalIdentifier) into `out`,
// appending every problem found to `errors`.
void ParseRegistryObjectList(const pugi::xml_node& list, Submission* out,
                             std::vector<RegistryError>* errors);

// A fresh urn:uuid: (RFC 4122 v4, lower case) for nested objects that arrive without id.

}  // namespace xds::ebrim::internal

#endif  // XDS_REGISTRY_EBRIM_CODEC_INTERNAL_H_

// Format predicates used only inside registry/shared/validation (the shared ones are declared in
// metadata_validator.h).
#ifndef XDS_REGISTRY_SHARED_VALIDATION_VALUE_FORMATS_H_
#define XDS_REGISTRY_SHARED_VALIDATION_VALUE_FORMATS_H_

#include <cstddef>
#include <string_view>

namespace xds::validation {

// sourcePatientId (TF-3 4.2.3.2.22) is the source's local id: not checked against the patient
// feed and often not in the strict affinity-domain form. Accepted when it has an IdNumber and
// an assigning authority (CX.4 as namespace or &OID&ISO).
bool IsLocalCx(std::string_view v);

// RFC 2046 type "/" subtype, optionally followed by ";" parameters.
bool IsMimeType(std::string_view v);

// urn:oid: + OID (homeCommunityId).
bool IsOidUrn(std::string_view v);

// Length in characters (UTF-8 code points), the unit of the schema's LongName limit.
size_t Utf8Length(std::string_view v);

}  // namespace xds::validation

#endif  // XDS_REGISTRY_SHARED_VALIDATION_VALUE_FORMATS_H_

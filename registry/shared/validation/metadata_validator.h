// Stateless validation of one ITI-42 / ITI-41 submission (ITI TF-2 3.42.4.1.3, TF-3 4.2/4.3):
// everything that can be decided from the message alone. Checks that need the registry's
// state (known patients, existing uniqueIds, replaced documents' status...) belong to the
// ITI-42 handler, which can ask ExternalReferences() which ids it has to look up.
//
// Per-attribute rules (presence per TF-3 Table 4.3.1-3, cardinality, data type, length,
// allowed values) come from xds-schemas/metadata_attributes.tsv; cross-object rules
// (associations, patient consistency, uniqueness) are written here in C++.
#ifndef XDS_REGISTRY_SHARED_VALIDATION_METADATA_VALIDATOR_H_
#define XDS_REGISTRY_SHARED_VALIDATION_METADATA_VALIDATOR_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "proto/xds_metadata.pb.h"
#include "registry/shared/model/dtm.h"

namespace xds {

struct ValidationOptions {
  // ITI-42 from a Document Repository: hash, size, repositoryUniqueId are required (TF-3
  // Table 4.3.1-3, column DR/42). false = column DS/41 (a Document Source's ITI-41 request,
  // before the repository has added them).
  bool require_repository_attributes = true;
  // rim:Slot values are LongName (max 256 characters) in the ebRIM 3.0 schema.
  size_t max_slot_value_length = 256;
};

// Checks a submission on its own, without registry state: required attributes and value
// formats per the xds-schemas/ tables, exactly one SubmissionSet, association rules that do not
// need the registry, patient consistency inside the submission, uniqueIds unique inside the message.
// Returns every error found (empty = valid), severity ERROR, location = the offending object's
// id (empty when the problem is not tied to one object). Codes:
//   XDSRegistryMetadataError, XDSPatientIdDoesNotMatch, XDSRegistryDuplicateUniqueIdInMessage,
//   UnresolvedReferenceException (a symbolic id that names no object of the submission; a
//   relationship association whose sourceObject is not a DocumentEntry of the submission, or
//   whose target cannot be what the association type demands).
// Never throws.
std::vector<RegistryError> ValidateSubmission(const Submission& submission, const ValidationOptions& options);

// The urn:uuid: ids that associations reference (sourceObject/targetObject) but that are not
// objects of the submission, in order of first appearance, without duplicates. The registry
// has to find each of them among its registered objects.
std::vector<std::string> ExternalReferences(const Submission& submission);

// Value-format predicates, reused by the stored-query parser and the repository.
bool IsOid(std::string_view v);          // digits and dots, no leading zeros, <= 64 chars
bool IsUuidUrn(std::string_view v);      // urn:uuid: + RFC 4122 text (upper-case hex accepted)
bool IsCxPatientId(std::string_view v);  // IdNumber^^^&OID&ISO, components 2,3 empty, HD.1 empty
bool IsSha1Hex(std::string_view v);      // 40 hex chars

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_VALIDATION_METADATA_VALIDATOR_H_

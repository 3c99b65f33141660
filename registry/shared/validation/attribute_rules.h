// The attribute rule table of xds-schemas/metadata_attributes.tsv as C++ values. Internal to
// registry/shared/validation: the validator applies these rows generically (presence, cardinality,
// value format, length, allowed values), so that the rules are reviewed as a table.
#ifndef XDS_REGISTRY_SHARED_VALIDATION_ATTRIBUTE_RULES_H_
#define XDS_REGISTRY_SHARED_VALIDATION_ATTRIBUTE_RULES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace xds::validation {

// TF-3 Table 4.3.1-3 optionality codes.
enum class Optionality { kRequired, kRequiredIfKnown, kOptional, kProhibited };

// Data types of TF-3 Table 4.2.3.1.7-2 plus a few model-level kinds (Author, Flag, ...).
enum class ValueType {
  kString,
  kDtm,
  kOid,
  kOidUrn,
  kCx,
  kCxLocal,
  kSha1,
  kInteger,
  kUuid,
  kReference,
  kCode,
  kAuthor,
  kMimeType,
  kObjectType,
  kAssociationType,
  kFlag,
  kStatus,
  kIdentifier,
  kXcn,
  kCxi,
  kField,
  kUri,
  kUrn,
  kRecipient,
};

// How the attribute travels in ebRIM (only kSlot matters to the validator: slot values are
// limited to 256 characters by the ebRIM schema).
enum class Encoding { kAttribute, kSlot, kClassification, kExternalIdentifier, kName, kDescription };

struct AttributeRule {
  std::string object;                         // DocumentEntry | SubmissionSet | Folder | Association
  std::string attribute;                      // TF attribute name, e.g. "creationTime"
  Optionality ds41 = Optionality::kOptional;  // Document Source in ITI-41
  Optionality dr42 = Optionality::kOptional;  // Document Repository in ITI-42 (what the Registry requires)
  int min_count = 0;
  int max_count = 1;  // -1 = unbounded ("n")
  ValueType type = ValueType::kString;
  Encoding encoding = Encoding::kAttribute;
  size_t max_length = 0;             // in characters; 0 = no limit beyond the slot limit
  std::vector<std::string> allowed;  // empty = any value
  std::string tf_ref;
};

// Parses the tab-separated table (comment lines start with '#'; the first other line is the
// header). Fails with InvalidArgument naming the line on any malformed row.
absl::StatusOr<std::vector<AttributeRule>> ParseAttributeRules(std::string_view tsv);

// The table embedded at build time, parsed once. Thread-safe.
const absl::StatusOr<std::vector<AttributeRule>>& MetadataAttributeRules();

std::string_view OptionalityName(Optionality optionality);

}  // namespace xds::validation

#endif  // XDS_REGISTRY_SHARED_VALIDATION_ATTRIBUTE_RULES_H_

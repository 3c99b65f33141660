// Access to the model's fields by TF attribute name, so that the rows of the attribute table
// (xds-schemas/metadata_attributes.tsv) can be applied generically. Internal to registry/shared/validation.
#ifndef XDS_REGISTRY_SHARED_VALIDATION_MODEL_ACCESS_H_
#define XDS_REGISTRY_SHARED_VALIDATION_MODEL_ACCESS_H_

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "proto/xds_metadata.pb.h"

namespace xds::validation {

// One value of an attribute: text for string-typed attributes, or the Code/Author message.
struct FieldValue {
  std::string_view text;
  const Code* code = nullptr;
  const Author* author = nullptr;
  bool has_integer = false;
  int64_t integer = 0;
};
using Values = std::vector<FieldValue>;

template <typename T>
using Accessor = Values (*)(const T&);
template <typename T>
using AccessorMap = std::map<std::string_view, Accessor<T>>;

// Attribute name -> field, one map per object type. An attribute that is absent or empty
// yields no values; repeated attributes yield one value per element.
const AccessorMap<DocumentEntry>& DocumentEntryAccessors();
const AccessorMap<SubmissionSet>& SubmissionSetAccessors();
const AccessorMap<Folder>& FolderAccessors();
const AccessorMap<Association>& AssociationAccessors();

}  // namespace xds::validation

#endif  // XDS_REGISTRY_SHARED_VALIDATION_MODEL_ACCESS_H_

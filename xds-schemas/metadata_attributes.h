// The XDS metadata attribute table (metadata_attributes.tsv), embedded at build time.
// Parsing and meaning of the columns: README.md and registry/shared/validation.
#ifndef XDS_XDS_SCHEMAS_METADATA_ATTRIBUTES_H_
#define XDS_XDS_SCHEMAS_METADATA_ATTRIBUTES_H_

#include <string_view>

namespace xds::schemas {

// The table's text, tab-separated, exactly as in the source file.
inline std::string_view MetadataAttributesTsv() {
  static constexpr char kTsv[] =
#include "xds-schemas/metadata_attributes.inc"
      ;
  return std::string_view(kTsv, sizeof(kTsv) - 1);
}

}  // namespace xds::schemas

#endif  // XDS_XDS_SCHEMAS_METADATA_ATTRIBUTES_H_

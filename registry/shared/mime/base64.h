// Base64 (RFC 4648 §4, the XML Schema base64Binary alphabet) for MTOM parts sent with
// Content-Transfer-Encoding: base64 and for inline xds:Document content. OpenSSL does the
// table work; this layer adds what EVP_DecodeBlock lacks: whitespace tolerance, strict
// padding checks and the exact decoded length.
#ifndef XDS_REGISTRY_SHARED_MIME_BASE64_H_
#define XDS_REGISTRY_SHARED_MIME_BASE64_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace xds {

// Decodes base64 text. ASCII whitespace (SP, HT, CR, LF, FF, VT) anywhere is ignored, as
// base64Binary and MIME line-wrapping allow. Padding is required: after removing
// whitespace the length must be a multiple of 4 and '=' may only appear as the last one
// or two characters. Returns InvalidArgument (with the offending offset) otherwise.
absl::StatusOr<std::string> DecodeBase64(std::string_view encoded);

// Encodes `data` as one unwrapped line of padded base64.
std::string EncodeBase64(std::string_view data);

}  // namespace xds

#endif  // XDS_REGISTRY_SHARED_MIME_BASE64_H_

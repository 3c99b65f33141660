// MIME multipart/related (RFC 2046 §5.1, RFC 2387) as used by MTOM/XOP (TF-V V.8/V.9):
// a strict, allocation-light parser for untrusted HTTP bodies and the matching builder.
//
// Parsing keeps the parts as views into the caller's buffer (which must outlive the
// Multipart); only base64-transfer-encoded parts are decoded into storage the Multipart
// owns. Work is O(n) in the body size; nothing is read outside the given buffer.
//
// Line endings: RFC 2046 requires CRLF. We also accept a bare LF before a boundary
// delimiter and at the end of part header lines, because some hand-written clients send
// LF-only text. A CR directly before the LF of a delimiter always belongs to the
// delimiter, so CRLF-framed binary parts round-trip exactly.
#ifndef XDS_REGISTRY_SHARED_MIME_MIME_MULTIPART_H_
#define XDS_REGISTRY_SHARED_MIME_MIME_MULTIPART_H_

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace xds::mime {

// A parsed Content-Type header value (RFC 2045 §5.1 / RFC 7231 §3.1.1.1).
struct ContentType {
  std::string type;                           // "type/subtype", lower-cased, e.g. "multipart/related"
  std::map<std::string, std::string> params;  // keys lower-cased, values unquoted (case kept)
};

// Parses `type/subtype *(; name=value)` where value is a token or a quoted-string.
// Folding whitespace (CR, LF, SP, HT) between items is tolerated; a trailing ';' is
// ignored. Unquoted values may contain any visible character except ';' and '"' (real
// stacks send start=<cid> unquoted). Duplicate parameters, control characters, an
// unterminated quoted-string or a missing type/subtype are InvalidArgument.
absl::StatusOr<ContentType> ParseContentType(std::string_view header_value);

struct Part {
  std::map<std::string, std::string> headers;  // names lower-cased, values trimmed, folding joined
  std::string content_id;                      // Content-ID without the surrounding <>
  std::string_view body;                       // the part content after transfer decoding: a view into the input
                                               // buffer, or into Multipart::owned for base64 parts
};

struct Multipart {
  Multipart() = default;
  // Parts may point into `owned`; a copy would point into the original's storage.
  // Moves keep the std::deque's elements in place, so views stay valid.
  Multipart(const Multipart&) = delete;
  Multipart& operator=(const Multipart&) = delete;
  Multipart(Multipart&&) = default;
  Multipart& operator=(Multipart&&) = default;

  std::vector<Part> parts;
  size_t root_index = 0;
  std::deque<std::string> owned;  // decoded bodies of base64 parts
};

struct Limits {
  size_t max_parts = 1000;
  size_t max_header_bytes = 16 * 1024;  // per part, the header block including line ends
};

// Parses a complete multipart body (the HTTP entity body) given its parsed Content-Type.
// The root part is the one whose Content-ID equals the `start` parameter (with or without
// <>); without `start` it is the first part (RFC 2387). Content-Transfer-Encoding
// binary/8bit/7bit (or absent) is taken as is, base64 is decoded, quoted-printable is
// Unimplemented. Preamble and epilogue are ignored; boundary lines may carry transport
// padding. InvalidArgument for: a non-multipart type, a missing or over-long (>70)
// boundary, no opening or closing delimiter, a part whose headers are not ended by a
// blank line or contain a malformed line, duplicate headers in a part, duplicate
// Content-IDs, a `start` that names no part, more than limits.max_parts parts or a header
// block over limits.max_header_bytes, and malformed base64.
absl::StatusOr<Multipart> ParseMultipart(std::string_view body, const ContentType& content_type,
                                         const Limits& limits = {});

// Resolves an xop:Include href ("cid:..." per RFC 2392, scheme any case) to the part with
// that Content-ID after percent-decoding; nullptr when the href is not a cid: URL, is
// badly percent-encoded, or names no part.
const Part* FindByCid(const Multipart& m, std::string_view href);

// The href for an xop:Include that references `content_id`: "cid:" plus the Content-ID
// with every byte outside RFC 3986 unreserved / "@" percent-encoded.
std::string CidHref(std::string_view content_id);

struct Attachment {
  std::string content_id;    // without <>
  std::string content_type;  // empty means application/octet-stream
  std::string_view data;
};

// Builds an MTOM/XOP package: the root part (`root_xml`, typed application/xop+xml;
// type="application/soap+xml", binary) followed by `attachments` (binary). A fresh random
// boundary that occurs in none of the contents is chosen. Sets *content_type_header to
// the full HTTP Content-Type value: multipart/related; boundary=...;
// type="application/xop+xml"; start="<root-cid>"; start-info="application/soap+xml"
// (+ action="..." when `action` is not empty). Returns the HTTP body.
std::string BuildMtom(std::string_view root_xml, const std::vector<Attachment>& attachments, std::string_view action,
                      std::string* content_type_header);

}  // namespace xds::mime

#endif  // XDS_REGISTRY_SHARED_MIME_MIME_MULTIPART_H_

// Fuzz target for the MTOM/XOP MIME parser. Input layout: the first line is the HTTP
// Content-Type value, the rest is the HTTP body. Besides "no crash, no sanitizer report"
// it checks properties a correct parser must have:
//  * every part with a Content-ID is found again by FindByCid(CidHref(id));
//  * bodies lie inside the input or inside the Multipart's own storage;
//  * BuildMtom of the parsed parts parses back to the same parts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "registry/shared/mime/mime_multipart.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "mime_multipart_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

bool Inside(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an exactly-sized heap buffer so ASan catches any read past the end.
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string_view all(input);
  size_t eol = all.find('\n');
  std::string_view header = eol == std::string_view::npos ? all : all.substr(0, eol);
  std::string_view body = eol == std::string_view::npos ? std::string_view() : all.substr(eol + 1);

  auto content_type = xds::mime::ParseContentType(header);
  xds::mime::ContentType fallback;
  if (!content_type.ok()) {
    // Keep fuzzing the body parser even when the header line is broken.
    fallback.type = "multipart/related";
    fallback.params["boundary"] = "b";
  }
  const xds::mime::ContentType& ct = content_type.ok() ? *content_type : fallback;

  xds::mime::Limits limits;
  limits.max_parts = 64;
  limits.max_header_bytes = 1024;
  auto parsed = xds::mime::ParseMultipart(body, ct, limits);
  if (!parsed.ok()) return 0;
  xds::mime::Multipart m = *std::move(parsed);  // moves must keep owned bodies valid
  Check(!m.parts.empty(), "a parsed multipart has at least one part");
  Check(m.root_index < m.parts.size(), "root_index is in range");

  std::vector<xds::mime::Attachment> attachments;
  for (const xds::mime::Part& part : m.parts) {
    bool owned = false;
    for (const std::string& s : m.owned) owned = owned || Inside(part.body, s);
    Check(Inside(part.body, body) || owned, "part body points into the input or owned storage");
    if (!part.content_id.empty()) {
      Check(xds::mime::FindByCid(m, xds::mime::CidHref(part.content_id)) == &part, "FindByCid(CidHref(id))");
    }
    if (&part != &m.parts[m.root_index]) {
      attachments.push_back({part.content_id, "application/octet-stream", part.body});
    }
  }

  // Round trip (only when ids survive header sanitising and are unique/non-empty).
  bool ids_clean = true;
  for (const auto& a : attachments) {
    if (a.content_id.empty()) ids_clean = false;
    for (char c : a.content_id) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '<' || c == '>') ids_clean = false;
    }
  }
  if (!ids_clean) return 0;
  std::string header_out;
  std::string rebuilt = xds::mime::BuildMtom(m.parts[m.root_index].body, attachments, "urn:fuzz", &header_out);
  auto ct2 = xds::mime::ParseContentType(header_out);
  Check(ct2.ok(), "BuildMtom Content-Type parses");
  auto m2 = xds::mime::ParseMultipart(rebuilt, *ct2, {});
  Check(m2.ok(), "BuildMtom output parses");
  Check(m2->parts.size() == attachments.size() + 1, "round trip keeps the part count");
  Check(m2->parts[m2->root_index].body == m.parts[m.root_index].body, "round trip keeps the root body");
  for (const auto& a : attachments) {
    const xds::mime::Part* p = xds::mime::FindByCid(*m2, xds::mime::CidHref(a.content_id));
    Check(p != nullptr && p->body == a.data, "round trip keeps attachment bodies");
  }
  return 0;
}

// Value-format predicates for the XDS data types of ITI TF-3 Table 4.2.3.1.7-2.
#include "registry/shared/validation/value_formats.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "registry/shared/validation/metadata_validator.h"
#include "registry/shared/validation/text_util.h"

namespace xds {
namespace {

using validation::Split;
using validation::StartsWith;

bool AllDigits(std::string_view v) {
  for (char c : v) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// RFC 2045 token characters (no controls, spaces or tspecials).
bool IsToken(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

bool IsOid(std::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (std::string_view arc : Split(v, ".")) {
    if (arc.empty() || !AllDigits(arc)) return false;
    if (arc.size() > 1 && arc[0] == '0') return false;
  }
  return true;
}

bool IsUuidUrn(std::string_view v) {
  if (!StartsWith(v, "urn:uuid:")) return false;
  v.remove_prefix(9);
  if (v.size() != 36) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (v[i] != '-') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(v[i]))) {
      return false;
    }
  }
  return true;
}

bool IsCxPatientId(std::string_view v) {
  std::vector<std::string_view> c = Split(v, "^");
  if (c.size() != 4 || c[0].empty() || !c[1].empty() || !c[2].empty()) return false;
  // An IdNumber with an HL7 separator in it would be mis-split by every receiver.
  if (c[0].find_first_of("&~|") != std::string_view::npos) return false;
  std::vector<std::string_view> hd = Split(c[3], "&");
  return hd.size() == 3 && hd[0].empty() && IsOid(hd[1]) && hd[2] == "ISO";
}

bool IsSha1Hex(std::string_view v) {
  if (v.size() != 40) return false;
  for (char c : v) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

namespace validation {

bool IsLocalCx(std::string_view v) {
  std::vector<std::string_view> c = Split(v, "^");
  return c.size() >= 4 && !c[0].empty() && !c[3].empty();
}

bool IsMimeType(std::string_view v) {
  std::string_view media = v.substr(0, v.find(';'));
  while (!media.empty() && absl::ascii_isspace(static_cast<unsigned char>(media.back()))) media.remove_suffix(1);
  while (!media.empty() && absl::ascii_isspace(static_cast<unsigned char>(media.front()))) media.remove_prefix(1);
  std::vector<std::string_view> parts = Split(media, "/");
  return parts.size() == 2 && IsToken(parts[0]) && IsToken(parts[1]);
}

bool IsOidUrn(std::string_view v) { return StartsWith(v, "urn:oid:") && IsOid(v.substr(8)); }

size_t Utf8Length(std::string_view v) {
  size_t n = 0;
  for (char c : v) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace validation
}  // namespace xds

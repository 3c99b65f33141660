#include "registry/shared/mime/mime_multipart.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <unordered_set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "registry/shared/mime/base64.h"

namespace xds::mime {
namespace {

// RFC 2046 §5.1.1: boundaries are 1 to 70 characters.
constexpr size_t kMaxBoundaryLength = 70;

// absl::string_view is not std::string_view in Debian's Abseil, so no absl string helpers here.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

bool IsFoldingSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsControl(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

// RFC 7230 §3.2.6 tchar.
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Content-ID / start values are msg-ids, "<id>"; the brackets are optional on input.
absl::StatusOr<std::string> StripAngleBrackets(std::string_view id, std::string_view what) {
  id = TrimBlanks(id);
  if (!id.empty() && id.front() == '<') {
    if (id.size() < 2 || id.back() != '>') {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(what), " '", std::string(id), "' has an unmatched '<'"));
    }
    id = id.substr(1, id.size() - 2);
  }
  // msg-id (RFC 5322 §3.6.4) has no brackets inside; allowing them would make "cid:<x>"
  // ambiguous in FindByCid.
  if (id.find_first_of("<>") != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " '", std::string(id), "' contains '<' or '>'"));
  }
  return std::string(id);
}

class ContentTypeParser {
 public:
  explicit ContentTypeParser(std::string_view s) : s_(s) {}

  absl::StatusOr<ContentType> Parse() {
    ContentType result;
    SkipSpace();
    std::string_view type = Token();
    if (type.empty() || !Consume('/')) return Error("expected type/subtype");
    std::string_view subtype = Token();
    if (subtype.empty()) return Error("expected a subtype after '/'");
    result.type = Lower(std::string(type) + "/" + std::string(subtype));

    while (true) {
      SkipSpace();
      if (AtEnd()) break;
      if (!Consume(';')) return Error("expected ';' before a parameter");
      SkipSpace();
      if (AtEnd()) break;           // trailing ';'
      if (Peek() == ';') continue;  // empty parameter
      std::string name = Lower(Token());
      if (name.empty()) return Error("expected a parameter name");
      SkipSpace();
      if (!Consume('=')) return Error(absl::StrCat("expected '=' after parameter '", name, "'"));
      SkipSpace();
      std::string value;
      if (!AtEnd() && Peek() == '"') {
        if (!QuotedString(&value)) return Error(absl::StrCat("bad quoted-string in parameter '", name, "'"));
      } else {
        while (!AtEnd() && !IsFoldingSpace(Peek()) && Peek() != ';') {
          if (Peek() == '"' || IsControl(Peek())) return Error("illegal character in a parameter value");
          value.push_back(s_[pos_++]);
        }
        if (value.empty()) return Error(absl::StrCat("parameter '", name, "' has no value"));
      }
      if (!result.params.emplace(std::move(name), std::move(value)).second) {
        return Error("duplicate parameter");
      }
    }
    return result;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  bool Consume(char c) {
    if (AtEnd() || Peek() != c) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (!AtEnd() && IsFoldingSpace(Peek())) ++pos_;
  }
  std::string_view Token() {
    size_t start = pos_;
    while (!AtEnd() && IsTokenChar(Peek())) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  // RFC 7230 quoted-string with quoted-pair; the opening quote is at pos_.
  bool QuotedString(std::string* out) {
    ++pos_;
    while (!AtEnd()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (AtEnd() || IsControl(Peek())) return false;
        out->push_back(s_[pos_++]);
      } else if (IsControl(c)) {
        return false;
      } else {
        out->push_back(c);
      }
    }
    return false;  // unterminated
  }
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("Content-Type: ", std::string(what), " at offset ", pos_));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// Splits one part's content (between delimiter lines) into headers and body.
absl::Status ParsePart(std::string_view content, const Limits& limits, Part* part, std::deque<std::string>* owned) {
  size_t i = 0;
  std::string* last_value = nullptr;
  std::string_view raw_body;
  while (true) {
    size_t window = std::min(content.size(), limits.max_header_bytes);
    size_t eol = (i < window) ? content.substr(0, window).find('\n', i) : std::string_view::npos;
    if (eol == std::string_view::npos) {
      if (content.size() > limits.max_header_bytes) {
        return absl::InvalidArgumentError(absl::StrCat("part headers exceed ", limits.max_header_bytes, " bytes"));
      }
      // Headers ended by the delimiter's own CRLF: a valid part with an empty body.
      if (i == content.size()) {
        raw_body = content.substr(i);  // empty, but still pointing into the input
        break;
      }
      return absl::InvalidArgumentError("part headers are not followed by a blank line");
    }
    std::string_view line = content.substr(i, eol - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    i = eol + 1;
    if (line.empty()) {
      raw_body = content.substr(i);
      break;
    }
    for (char c : line) {
      if (IsControl(c)) return absl::InvalidArgumentError("control character in a part header");
    }
    if (IsBlank(line.front())) {  // obsolete line folding (RFC 5322 §2.2.3)
      if (last_value == nullptr) return absl::InvalidArgumentError("part header starts with a continuation line");
      std::string_view more = TrimBlanks(line);
      if (!more.empty()) absl::StrAppend(last_value, last_value->empty() ? "" : " ", std::string(more));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError("malformed part header line (no 'name:')");
    }
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
      if (!IsTokenChar(c)) return absl::InvalidArgumentError("malformed part header name");
    }
    auto [it, inserted] = part->headers.emplace(Lower(name), std::string(TrimBlanks(line.substr(colon + 1))));
    if (!inserted) return absl::InvalidArgumentError(absl::StrCat("duplicate part header '", it->first, "'"));
    last_value = &it->second;
  }

  if (auto it = part->headers.find("content-id"); it != part->headers.end()) {
    auto id = StripAngleBrackets(it->second, "Content-ID");
    if (!id.ok()) return id.status();
    part->content_id = *std::move(id);
  }

  std::string encoding;
  if (auto it = part->headers.find("content-transfer-encoding"); it != part->headers.end()) {
    encoding = Lower(it->second);
  }
  if (encoding.empty() || encoding == "binary" || encoding == "8bit" || encoding == "7bit") {
    part->body = raw_body;
  } else if (encoding == "base64") {
    auto decoded = DecodeBase64(raw_body);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("part body: ", decoded.status().message()));
    }
    owned->push_back(*std::move(decoded));
    part->body = owned->back();
  } else if (encoding == "quoted-printable") {
    return absl::UnimplementedError("Content-Transfer-Encoding quoted-printable is not supported");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown Content-Transfer-Encoding '", encoding, "'"));
  }
  return absl::OkStatus();
}

// Finds delimiter lines ("\n--boundary" + padding + line end, or the close delimiter).
class DelimiterScanner {
 public:
  enum class Kind { kNone, kOpen, kClose };
  struct Delimiter {
    Kind kind = Kind::kNone;
    size_t content_end = 0;  // where the preceding part content ends (the CR or LF)
    size_t next = 0;         // first byte after the delimiter line (kOpen)
  };

  DelimiterScanner(std::string_view body, std::string_view boundary)
      : body_(body), pattern_("\n--" + std::string(boundary)) {}

  // The first delimiter, which may open the body without a preceding line end.
  Delimiter First() {
    std::string_view dash_boundary = std::string_view(pattern_).substr(1);
    if (body_.substr(0, dash_boundary.size()) == dash_boundary) {
      Delimiter d = Classify(0, dash_boundary.size());
      if (d.kind != Kind::kNone) return d;
    }
    return Next(0);
  }

  // The next delimiter whose line end ('\n') is at or after `from`.
  //
  // memchr for the LF, then a compare. Unlike Boyer-Moore-Horspool (O(n*m) on inputs
  // such as boundary "aaa..." over a body of 'a's: seconds for 50 MiB) this is strictly
  // linear: the boundary has no LF, so a partial match never spans the next LF and every
  // byte is compared at most twice.
  Delimiter Next(size_t from) {
    const char* data = body_.data();
    const size_t size = body_.size();
    while (from < size) {
      const void* hit = std::memchr(data + from, '\n', size - from);
      if (hit == nullptr) break;
      size_t lf = static_cast<size_t>(static_cast<const char*>(hit) - data);
      if (size - lf >= pattern_.size() && std::memcmp(data + lf, pattern_.data(), pattern_.size()) == 0) {
        // The CR belongs to the delimiter, but never one before `from` (the previous line).
        size_t content_end = (lf > from && data[lf - 1] == '\r') ? lf - 1 : lf;
        Delimiter d = Classify(content_end, lf + pattern_.size());
        if (d.kind != Kind::kNone) return d;
        // "--boundary" was only a prefix of a longer line: part content.
      }
      from = lf + 1;
    }
    return {};
  }

 private:
  // `p` is the first byte after "--boundary".
  Delimiter Classify(size_t content_end, size_t p) const {
    Delimiter d;
    d.content_end = content_end;
    if (p + 2 <= body_.size() && body_[p] == '-' && body_[p + 1] == '-') {
      d.kind = Kind::kClose;  // the epilogue that follows is ignored
      return d;
    }
    while (p < body_.size() && IsBlank(body_[p])) ++p;  // transport padding
    if (p < body_.size() && body_[p] == '\n') {
      d.next = p + 1;
    } else if (p + 1 < body_.size() && body_[p] == '\r' && body_[p + 1] == '\n') {
      d.next = p + 2;
    } else {
      return d;
    }
    d.kind = Kind::kOpen;
    return d;
  }

  std::string_view body_;
  std::string pattern_;  // "\n--boundary"
};

bool IsHex(char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::random_device rd;  // uniqueness, not secrecy, is what matters here
    for (char& c : raw) c = static_cast<char>(rd());
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex;
}

// Keeps caller-supplied header values from injecting header lines or breaking <...>.
std::string HeaderSafe(std::string_view value, bool in_angle_brackets) {
  std::string out;
  for (char c : value) {
    if (IsControl(c) || c == '\t') continue;
    if (in_angle_brackets && (c == '<' || c == '>')) continue;
    out.push_back(c);
  }
  return out;
}

std::string Quoted(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (IsControl(c)) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool Contains(std::string_view haystack, const std::string& needle) {
  if (haystack.size() < needle.size()) return false;
  std::boyer_moore_horspool_searcher searcher(needle.begin(), needle.end());
  return searcher(haystack.begin(), haystack.end()).first != haystack.end();
}

}  // namespace

absl::StatusOr<ContentType> ParseContentType(std::string_view header_value) {
  return ContentTypeParser(header_value).Parse();
}

absl::StatusOr<Multipart> ParseMultipart(std::string_view body, const ContentType& content_type, const Limits& limits) {
  if (content_type.type.rfind("multipart/", 0) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("Content-Type '", content_type.type, "' is not multipart"));
  }
  auto boundary_it = content_type.params.find("boundary");
  if (boundary_it == content_type.params.end()) {
    return absl::InvalidArgumentError("multipart Content-Type has no boundary parameter");
  }
  const std::string& boundary = boundary_it->second;
  if (boundary.empty() || boundary.size() > kMaxBoundaryLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("multipart boundary must be 1 to ", kMaxBoundaryLength, " characters"));
  }
  for (char c : boundary) {
    if (IsControl(c) || c == '\t') return absl::InvalidArgumentError("multipart boundary contains a control character");
  }

  Multipart result;
  DelimiterScanner scanner(body, boundary);
  DelimiterScanner::Delimiter delimiter = scanner.First();
  if (delimiter.kind == DelimiterScanner::Kind::kNone) {
    return absl::InvalidArgumentError("multipart body has no boundary delimiter line for the declared boundary");
  }
  if (delimiter.kind == DelimiterScanner::Kind::kClose) {
    return absl::InvalidArgumentError("multipart body has no parts");
  }
  std::unordered_set<std::string> content_ids;
  while (true) {
    size_t start = delimiter.next;
    delimiter = scanner.Next(start);
    if (delimiter.kind == DelimiterScanner::Kind::kNone) {
      return absl::InvalidArgumentError("multipart body has no closing boundary delimiter");
    }
    if (result.parts.size() >= limits.max_parts) {
      return absl::InvalidArgumentError(absl::StrCat("multipart body has more than ", limits.max_parts, " parts"));
    }
    Part part;
    absl::Status status = ParsePart(body.substr(start, delimiter.content_end - start), limits, &part, &result.owned);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("MIME part ", result.parts.size() + 1, ": ", status.message()));
    }
    if (!part.content_id.empty() && !content_ids.insert(part.content_id).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate Content-ID <", part.content_id, ">"));
    }
    result.parts.push_back(std::move(part));
    if (delimiter.kind == DelimiterScanner::Kind::kClose) break;
  }

  result.root_index = 0;
  if (auto start = content_type.params.find("start"); start != content_type.params.end()) {
    auto root_cid = StripAngleBrackets(start->second, "start parameter");
    if (!root_cid.ok()) return root_cid.status();
    bool found = false;
    for (size_t i = 0; i < result.parts.size(); ++i) {
      if (!root_cid->empty() && result.parts[i].content_id == *root_cid) {
        result.root_index = i;
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat("start parameter <", *root_cid, "> names no MIME part"));
    }
  }
  return result;
}

const Part* FindByCid(const Multipart& m, std::string_view href) {
  if (href.size() <= 4 || Lower(href.substr(0, 4)) != "cid:") return nullptr;
  std::string_view raw = href.substr(4);
  std::string decoded;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      decoded.push_back(raw[i]);
      continue;
    }
    if (i + 2 >= raw.size()) return nullptr;
    if (!IsHex(raw[i + 1]) || !IsHex(raw[i + 2])) return nullptr;
    decoded.push_back(static_cast<char>(HexValue(raw[i + 1]) * 16 + HexValue(raw[i + 2])));
    i += 2;
  }
  // Some senders keep the brackets in the URL; they are never part of the id.
  if (decoded.size() >= 2 && decoded.front() == '<' && decoded.back() == '>') {
    decoded = decoded.substr(1, decoded.size() - 2);
  }
  if (decoded.empty()) return nullptr;
  for (const Part& part : m.parts) {
    if (part.content_id == decoded) return &part;
  }
  return nullptr;
}

std::string CidHref(std::string_view content_id) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string href = "cid:";
  for (char c : content_id) {
    unsigned char u = static_cast<unsigned char>(c);
    // RFC 3986 pchar (unreserved, sub-delims, ':', '@') and '/' stay as they are.
    bool keep = absl::ascii_isalnum(u) || std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
    if (keep) {
      href.push_back(c);
    } else {
      href.push_back('%');
      href.push_back(kDigits[u >> 4]);
      href.push_back(kDigits[u & 15]);
    }
  }
  return href;
}

std::string BuildMtom(std::string_view root_xml, const std::vector<Attachment>& attachments, std::string_view action,
                      std::string* content_type_header) {
  std::string boundary;
  while (true) {
    boundary = "MIMEBoundary_" + RandomHex(16);
    std::string dash_boundary = "--" + boundary;
    bool clash = Contains(root_xml, dash_boundary);
    for (const Attachment& a : attachments) clash = clash || Contains(a.data, dash_boundary);
    if (!clash) break;  // 128 random bits: in practice the first try
  }
  std::string root_cid;
  while (true) {
    root_cid = absl::StrCat("root.", RandomHex(8), "@xds.local");
    bool clash = false;
    for (const Attachment& a : attachments) clash = clash || a.content_id == root_cid;
    if (!clash) break;
  }

  size_t total = root_xml.size() + 256;
  for (const Attachment& a : attachments) total += a.data.size() + a.content_id.size() + a.content_type.size() + 160;
  std::string out;
  out.reserve(total);
  absl::StrAppend(&out, "--", boundary,
                  "\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\""
                  "\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <",
                  root_cid, ">\r\n\r\n");
  out.append(root_xml.data(), root_xml.size());
  for (const Attachment& a : attachments) {
    std::string type = HeaderSafe(a.content_type, false);
    absl::StrAppend(&out, "\r\n--", boundary, "\r\nContent-Type: ", type.empty() ? "application/octet-stream" : type,
                    "\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <", HeaderSafe(a.content_id, true),
                    ">\r\n\r\n");
    out.append(a.data.data(), a.data.size());
  }
  absl::StrAppend(&out, "\r\n--", boundary, "--\r\n");

  if (content_type_header != nullptr) {
    *content_type_header =
        absl::StrCat("multipart/related; boundary=", boundary, "; type=\"application/xop+xml\"; start=\"<", root_cid,
                     ">\"; start-info=\"application/soap+xml\"");
    if (!action.empty()) absl::StrAppend(content_type_header, "; action=", Quoted(action));
  }
  return out;
}

}  // namespace xds::mime

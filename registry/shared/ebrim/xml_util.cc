#include "registry/shared/ebrim/xml_util.h"

#include <algorithm>
#include <cstdlib>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "absl/strings/ascii.h"

namespace xds::ebrim::xml {
namespace {

// Finds the nearest declaration of `attr_name` (xmlns or xmlns:p) from `node` upwards.
pugi::xml_attribute FindDeclaration(pugi::xml_node node, const std::string& attr_name) {
  for (; node; node = node.parent()) {
    if (node.type() != pugi::node_element) continue;
    pugi::xml_attribute attr = node.attribute(attr_name.c_str());
    if (attr) return attr;
  }
  return pugi::xml_attribute();
}

}  // namespace

std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view NamespaceOf(const pugi::xml_node& node) {
  if (node.type() != pugi::node_element) return {};
  std::string_view name = node.name();
  size_t colon = name.find(':');
  std::string attr_name = colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(name.substr(0, colon));
  pugi::xml_attribute decl = FindDeclaration(node, attr_name);
  return decl ? std::string_view(decl.value()) : std::string_view();
}

bool Is(const pugi::xml_node& node, std::string_view ns, std::string_view local) {
  return node.type() == pugi::node_element && LocalName(node) == local && NamespaceOf(node) == ns;
}

pugi::xml_node Child(const pugi::xml_node& parent, std::string_view ns, std::string_view local) {
  for (pugi::xml_node child : parent.children()) {
    if (Is(child, ns, local)) return child;
  }
  return pugi::xml_node();
}

std::vector<pugi::xml_node> Children(const pugi::xml_node& parent, std::string_view ns, std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node child : parent.children()) {
    if (Is(child, ns, local)) out.push_back(child);
  }
  return out;
}

std::string Attr(const pugi::xml_node& node, const char* name) {
  return std::string(absl::StripAsciiWhitespace(node.attribute(name).value()));
}

bool HasAttr(const pugi::xml_node& node, const char* name) { return static_cast<bool>(node.attribute(name)); }

std::string Text(const pugi::xml_node& node) { return std::string(absl::StripAsciiWhitespace(node.text().get())); }

namespace {

// What replaces each byte in text or in a double-quoted attribute value; nullptr when the
// byte stands for itself. Control characters other than tab, LF and CR are not allowed in
// XML 1.0; they are written as character references, like pugixml does, rather than
// dropped. CR (and in attribute values tab and LF) are references so that they survive
// the reader's end-of-line and attribute-value normalisation.
struct Replacements {
  const char* text[256] = {};
  const char* attribute[256] = {};
  Replacements() {
    static const char* const kControl[32] = {"&#0;",  "&#1;",  "&#2;",  "&#3;",  "&#4;",  "&#5;",  "&#6;",  "&#7;",
                                             "&#8;",  "&#9;",  "&#10;", "&#11;", "&#12;", "&#13;", "&#14;", "&#15;",
                                             "&#16;", "&#17;", "&#18;", "&#19;", "&#20;", "&#21;", "&#22;", "&#23;",
                                             "&#24;", "&#25;", "&#26;", "&#27;", "&#28;", "&#29;", "&#30;", "&#31;"};
    for (int c = 0; c < 32; ++c) text[c] = attribute[c] = kControl[c];
    text['\t'] = text['\n'] = nullptr;
    text['&'] = attribute['&'] = "&amp;";
    text['<'] = attribute['<'] = "&lt;";
    text['>'] = attribute['>'] = "&gt;";
    attribute['"'] = "&quot;";
  }
};

// From `i`, skips whole 16-byte blocks in which no byte can need a replacement (no control
// character, &, <, >, and no " in attribute values); returns where the bytes must be looked
// at one by one. Escaping was a ninth of a LeafClass answer's CPU one byte at a time.
size_t SkipPlainBlocks(const char* data, size_t i, size_t n, bool attribute) {
#if defined(__SSE2__)
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'), gt = _mm_set1_epi8('>');
  const __m128i quot = _mm_set1_epi8(attribute ? '"' : '&'), control_max = _mm_set1_epi8(0x1F);
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, amp), _mm_cmpeq_epi8(b, lt)),
                               _mm_or_si128(_mm_cmpeq_epi8(b, gt), _mm_cmpeq_epi8(b, quot)));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_min_epu8(b, control_max), b));  // b <= 0x1F
    if (_mm_movemask_epi8(hit) != 0) break;
  }
#endif
  return i;
}

void AppendEscaped(std::string* out, std::string_view value, bool attribute) {
  static const Replacements kReplacements;
  const char* const* table = attribute ? kReplacements.attribute : kReplacements.text;
  const char* data = value.data();
  const size_t n = value.size();
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < n;) {
    i = SkipPlainBlocks(data, i, n, attribute);
    for (const size_t end = std::min(n, i + 16); i < end; ++i) {
      const char* replacement = table[static_cast<unsigned char>(data[i])];
      if (replacement == nullptr) continue;
      out->append(data + run, i - run);
      out->append(replacement);
      run = i + 1;
    }
  }
  out->append(data + run, n - run);
}

}  // namespace

void XmlWriter::Open(std::string_view qname) {
  FinishStartTag();
  out_->push_back('<');
  out_->append(qname);
  open_.push_back(qname);
  start_tag_open_ = true;
}

void XmlWriter::Attr(std::string_view name, std::string_view value) {
  out_->push_back(' ');
  out_->append(name);
  out_->append("=\"");
  AppendEscaped(out_, value, /*attribute=*/true);
  out_->push_back('"');
}

void XmlWriter::Text(std::string_view text) {
  FinishStartTag();
  AppendEscaped(out_, text, /*attribute=*/false);
}

void XmlWriter::Close() {
  if (start_tag_open_) {
    out_->append("/>");
    start_tag_open_ = false;
  } else {
    out_->append("</");
    out_->append(open_.back());
    out_->push_back('>');
  }
  open_.pop_back();
}

void XmlWriter::FinishStartTag() {
  if (!start_tag_open_) return;
  out_->push_back('>');
  start_tag_open_ = false;
}

void AppendFragment(pugi::xml_node parent, const std::string& xml) {
  if (!parent.append_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8)) std::abort();
}

}  // namespace xds::ebrim::xml

// Small namespace-aware helpers over pugixml, which itself knows nothing of namespaces:
// the one set for the codec, the SOAP envelope and the endpoints. Elements are matched by
// namespace URI + local name, because senders choose their own prefixes (rim:, ns2:, a
// default namespace, ...).
#ifndef XDS_REGISTRY_SHARED_EBRIM_XML_UTIL_H_
#define XDS_REGISTRY_SHARED_EBRIM_XML_UTIL_H_

#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace xds::ebrim::xml {

// The part of an element name after the colon (the whole name when unprefixed).
std::string_view LocalName(const pugi::xml_node& node);

// The namespace URI an element's prefix resolves to, found by walking xmlns
// declarations up the tree; empty when unbound.
std::string_view NamespaceOf(const pugi::xml_node& node);

// True when `node` is an element with this namespace URI and local name.
bool Is(const pugi::xml_node& node, std::string_view ns, std::string_view local);

// First child / all children with this namespace URI and local name.
pugi::xml_node Child(const pugi::xml_node& parent, std::string_view ns, std::string_view local);
std::vector<pugi::xml_node> Children(const pugi::xml_node& parent, std::string_view ns, std::string_view local);

// Attribute value with surrounding whitespace removed ("" when absent).
std::string Attr(const pugi::xml_node& node, const char* name);
bool HasAttr(const pugi::xml_node& node, const char* name);
// Element text with surrounding whitespace removed.
std::string Text(const pugi::xml_node& node);

// Writes XML straight into a string, for answers of thousands of elements: building them
// as a pugixml tree and serialising it was about half of a LeafClass answer's CPU. Element
// names are the caller's constants (qualified, e.g. "rim:Slot"); attribute values and text
// are escaped here. Namespace declarations are the caller's business (plain attributes).
class XmlWriter {
 public:
  explicit XmlWriter(std::string* out) : out_(out) {}
  void Open(std::string_view qname);
  void Attr(std::string_view name, std::string_view value);
  void AttrIfPresent(std::string_view name, std::string_view value) {
    if (!value.empty()) Attr(name, value);
  }
  void Text(std::string_view text);
  void Close();  // the innermost open element: <x/> when it got no content
  // An element holding only `text`.
  void TextElement(std::string_view qname, std::string_view text) {
    Open(qname);
    Text(text);
    Close();
  }

 private:
  void FinishStartTag();

  std::string* out_;
  std::vector<std::string_view> open_;  // names of the open elements
  bool start_tag_open_ = false;         // the innermost start tag still lacks its '>'
};

// Appends the elements of the XML fragment `xml` under `parent` (for callers that hold a
// pugixml tree). A fragment that does not parse is a bug in the writer: aborts.
void AppendFragment(pugi::xml_node parent, const std::string& xml);

// Runs `write` (a callable taking XmlWriter&) into a string appended under `parent`.
template <typename Write>
void AppendWritten(pugi::xml_node parent, Write write) {
  std::string out;
  XmlWriter w(&out);
  write(w);
  AppendFragment(parent, out);
}

}  // namespace xds::ebrim::xml

#endif  // XDS_REGISTRY_SHARED_EBRIM_XML_UTIL_H_

// Small namespace-aware helpers over pugixml, which itself knows nothing of namespaces.
// Internal to the codec: elements are matched by namespace URI + local name, because
// senders choose their own prefixes (rim:, ns2:, a default namespace, ...).
#ifndef XDS_REGISTRY_EBRIM_XML_UTIL_H_
#define XDS_REGISTRY_EBRIM_XML_UTIL_H_

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
std::vector<pugi::xml_node> Children(const pugi::xml_node& parent, std::string_view ns,
                                     std::string_view local);

// Attribute value with surrounding whitespace removed ("" when absent).
std::string Attr(const pugi::xml_node& node, const char* name);
bool HasAttr(const pugi::xml_node& node, const char* name);
// Element text with surrounding whitespace removed.
std::string Text(const pugi::xml_node& node);

// Appends `prefix:local` under `parent`, declaring xmlns:prefix=ns on the new element
// unless that binding is already in scope, so every emitted fragment is self-contained.
pugi::xml_node AppendElement(pugi::xml_node parent, const char* prefix, const char* ns,
                             const char* local);

// Sets an attribute only when the value is non-empty.
void SetAttrIfPresent(pugi::xml_node node, const char* name, const std::string& value);

}  // namespace xds::ebrim::xml

#endif  // XDS_REGISTRY_EBRIM_XML_UTIL_H_

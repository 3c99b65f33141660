#include "registry/ebrim/xml_util.h"

#include <cstdlib>
#include <cstring>

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
  std::string attr_name =
      colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(name.substr(0, colon));
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

std::vector<pugi::xml_node> Children(const pugi::xml_node& parent, std::string_view ns,
                                     std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node child : parent.children()) {
    if (Is(child, ns, local)) out.push_back(child);
  }
  return out;
}

std::string Attr(const pugi::xml_node& node, const char* name) {
  return std::string(absl::StripAsciiWhitespace(node.attribute(name).value()));
}

bool HasAttr(const pugi::xml_node& node, const char* name) {
  return static_cast<bool>(node.attribute(name));
}

std::string Text(const pugi::xml_node& node) {
  return std::string(absl::StripAsciiWhitespace(node.text().get()));
}

pugi::xml_node AppendElement(pugi::xml_node parent, const char* prefix, const char* ns,
                             const char* local) {
  // Names are the emitter's own short constants; a stack buffer spares a malloc per element.
  char qname[64];
  size_t prefix_size = std::strlen(prefix), local_size = std::strlen(local);
  if (prefix_size + local_size + 2 > sizeof(qname)) std::abort();
  std::memcpy(qname, prefix, prefix_size);
  qname[prefix_size] = ':';
  std::memcpy(qname + prefix_size + 1, local, local_size + 1);
  pugi::xml_node element = parent.append_child(qname);
  // Fast path (LeafClass answers append thousands of elements): the emitter binds each
  // prefix to one namespace only, so a parent named with the same prefix has it in scope.
  std::string_view parent_name = parent.name();
  if (parent_name.size() > prefix_size && parent_name[prefix_size] == ':' &&
      parent_name.compare(0, prefix_size, prefix) == 0) {
    return element;
  }
  std::string decl = std::string("xmlns:") + prefix;
  pugi::xml_attribute bound = FindDeclaration(parent, decl);
  if (!bound || std::strcmp(bound.value(), ns) != 0) {
    element.append_attribute(decl.c_str()) = ns;
  }
  return element;
}

void SetAttrIfPresent(pugi::xml_node node, const char* name, const std::string& value) {
  if (!value.empty()) node.append_attribute(name) = value.c_str();
}

}  // namespace xds::ebrim::xml

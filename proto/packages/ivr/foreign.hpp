#pragma once
// Internal to the ivr package: writing content from foreign namespaces (extension
// attributes and elements, inline grammars) back out with the namespace declarations it
// needs. Elements are written with a default-namespace declaration when their namespace
// differs from the one in scope; namespaced attributes get prefixes f0, f1... declared on
// the element that carries them (xml:* keeps its reserved prefix).

#include <string_view>
#include <vector>

#include "proto/packages/ivr/types.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::ivr::detail {

// Writes `e` and its subtree; `defaultNs` is the default namespace in scope where it goes.
void writeForeignElement(xml::Writer& w, const xml::Element& e, std::string_view defaultNs);

// Adds attributes to the start tag that `w` has open, declaring prefixes as needed.
void writeForeignAttributes(xml::Writer& w, const std::vector<xml::Attribute>& attrs);

// The attribute part of an Extensions (call while the start tag is open).
inline void writeExtensionAttributes(xml::Writer& w, const Extensions& ext) {
    writeForeignAttributes(w, ext.attributes);
}

// The element part of an Extensions, written as children of the current msc-ivr element.
void writeExtensionElements(xml::Writer& w, const Extensions& ext);

}  // namespace parley::proto::ivr::detail

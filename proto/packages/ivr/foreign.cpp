#include "proto/packages/ivr/foreign.hpp"

#include <string>

namespace parley::proto::ivr::detail {

namespace {

bool isBlank(std::string_view s) {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string_view trimmed(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

}  // namespace

void writeForeignAttributes(xml::Writer& w, const std::vector<xml::Attribute>& attrs) {
    std::vector<std::string_view> prefixed;  // namespaces given a prefix on this element
    for (const auto& a : attrs) {
        if (a.ns.empty()) {
            w.attr(a.local, a.value);
            continue;
        }
        if (a.ns == kXmlNamespace) {
            w.attr("xml:" + a.local, a.value);
            continue;
        }
        std::size_t index = 0;
        while (index < prefixed.size() && prefixed[index] != a.ns) ++index;
        const std::string prefix = "f" + std::to_string(index);
        if (index == prefixed.size()) {
            prefixed.push_back(a.ns);
            w.attr("xmlns:" + prefix, a.ns);
        }
        w.attr(prefix + ":" + a.local, a.value);
    }
}

void writeForeignElement(xml::Writer& w, const xml::Element& e, std::string_view defaultNs) {
    w.open(e.local);
    if (e.ns != defaultNs) w.attr("xmlns", e.ns);
    writeForeignAttributes(w, e.attributes);
    if (e.children.empty()) {
        if (!e.text.empty()) w.text(e.text);
    } else {
        // Mixed content: the tree keeps one text per element, so only its words matter;
        // the writer's indentation around children is whitespace the reader trims.
        if (!isBlank(e.text)) w.text(trimmed(e.text));
        for (const auto& c : e.children) writeForeignElement(w, c, e.ns);
    }
    w.close();
}

void writeExtensionElements(xml::Writer& w, const Extensions& ext) {
    for (const auto& sub : ext.elements) writeForeignElement(w, sub.element, kNamespace);
}

}  // namespace parley::proto::ivr::detail

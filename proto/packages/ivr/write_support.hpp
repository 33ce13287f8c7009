#pragma once
// Internal to the ivr package: writing typed values as msc-ivr elements. Attributes that
// hold their RFC default are left out (as in the RFC examples); children come in schema
// order; foreign content is written after the package's own children.

#include <optional>
#include <string>
#include <string_view>

#include "proto/packages/ivr/foreign.hpp"
#include "proto/packages/ivr/messages.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::ivr::detail {

inline void attrIf(xml::Writer& w, std::string_view name, const std::optional<std::string>& v) {
    if (v) w.attr(name, *v);
}
inline void timeAttr(xml::Writer& w, std::string_view name, Milliseconds v, Milliseconds dflt) {
    if (v != dflt) w.attr(name, formatTimeDesignation(v));
}
inline void timeAttr(xml::Writer& w, std::string_view name, const std::optional<Milliseconds>& v) {
    if (v) w.attr(name, formatTimeDesignation(*v));
}
inline void boolAttr(xml::Writer& w, std::string_view name, bool v, bool dflt) {
    if (v != dflt) w.attr(name, formatBoolean(v));
}
inline void keyAttr(xml::Writer& w, std::string_view name, const std::optional<char>& key) {
    if (key) w.attr(name, std::string(1, *key));
}
template <typename N>
void numberAttr(xml::Writer& w, std::string_view name, const std::optional<N>& v) {
    if (v) w.attr(name, std::to_string(*v));
}

void writeDialog(xml::Writer& w, const Dialog& d);
void writeMedia(xml::Writer& w, const Media& m);
void writeParams(xml::Writer& w, const Params& p);
void writeCodecs(xml::Writer& w, const Codecs& c);
void writeAudit(xml::Writer& w, const Audit& a);
void writeAuditResponse(xml::Writer& w, const AuditResponse& a);
void writeDocument(xml::Writer& w, const Document& doc);

}  // namespace parley::proto::ivr::detail

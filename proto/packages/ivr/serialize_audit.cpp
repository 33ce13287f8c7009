// Writing audit requests and responses (RFC 6231 section 4.4).
#include "proto/packages/ivr/write_support.hpp"

namespace parley::proto::ivr::detail {

namespace {

void writeMimeTypes(xml::Writer& w, std::string_view name, const MimeTypes& m) {
    w.open(name);
    writeExtensionAttributes(w, m.ext);
    for (const auto& t : m.types) w.open("mimetype").text(t).close();
    writeExtensionElements(w, m.ext);
    w.close();
}

void writeVariables(xml::Writer& w, const Variables& v) {
    w.open("variables");
    writeExtensionAttributes(w, v.ext);
    for (const auto& type : v.types) {
        w.open("variabletype");
        w.attr("type", type.type);
        attrIf(w, "desc", type.desc);
        attrIf(w, "desclang", type.descLang);
        writeExtensionAttributes(w, type.ext);
        for (const auto& f : type.formats) {
            w.open("format");
            attrIf(w, "desc", f.desc);
            attrIf(w, "desclang", f.descLang);
            writeExtensionAttributes(w, f.ext);
            if (!f.value.empty()) w.text(f.value);
            writeExtensionElements(w, f.ext);
            w.close();
        }
        writeExtensionElements(w, type.ext);
        w.close();
    }
    writeExtensionElements(w, v.ext);
    w.close();
}

void writeCapabilities(xml::Writer& w, const Capabilities& c) {
    w.open("capabilities");
    writeExtensionAttributes(w, c.ext);
    writeMimeTypes(w, "dialoglanguages", c.dialogLanguages);
    writeMimeTypes(w, "grammartypes", c.grammarTypes);
    writeMimeTypes(w, "recordtypes", c.recordTypes);
    writeMimeTypes(w, "prompttypes", c.promptTypes);
    writeVariables(w, c.variables);
    w.open("maxpreparedduration").text(formatTimeDesignation(c.maxPreparedDuration)).close();
    w.open("maxrecordduration").text(formatTimeDesignation(c.maxRecordDuration)).close();
    writeCodecs(w, c.codecs);
    writeExtensionElements(w, c.ext);
    w.close();
}

void writeDialogs(xml::Writer& w, const Dialogs& d) {
    w.open("dialogs");
    writeExtensionAttributes(w, d.ext);
    for (const auto& a : d.dialogs) {
        w.open("dialogaudit");
        w.attr("dialogid", a.dialogId);
        w.attr("state", toString(a.state));
        attrIf(w, "connectionid", a.connectionId);
        attrIf(w, "conferenceid", a.conferenceId);
        writeExtensionAttributes(w, a.ext);
        if (a.codecs) writeCodecs(w, *a.codecs);
        writeExtensionElements(w, a.ext);
        w.close();
    }
    writeExtensionElements(w, d.ext);
    w.close();
}

}  // namespace

void writeCodecs(xml::Writer& w, const Codecs& c) {
    w.open("codecs");
    writeExtensionAttributes(w, c.ext);
    for (const auto& codec : c.codecs) {
        w.open("codec");
        w.attr("name", codec.name);
        writeExtensionAttributes(w, codec.ext);
        w.open("subtype").text(codec.subtype).close();
        if (codec.params) writeParams(w, *codec.params);
        writeExtensionElements(w, codec.ext);
        w.close();
    }
    writeExtensionElements(w, c.ext);
    w.close();
}

void writeAudit(xml::Writer& w, const Audit& a) {
    w.open("audit");
    boolAttr(w, "capabilities", a.capabilities, true);
    boolAttr(w, "dialogs", a.dialogs, true);
    attrIf(w, "dialogid", a.dialogId);
    writeExtensionAttributes(w, a.ext);
    writeExtensionElements(w, a.ext);
    w.close();
}

void writeAuditResponse(xml::Writer& w, const AuditResponse& a) {
    w.open("auditresponse");
    w.attr("status", std::to_string(a.status));
    attrIf(w, "reason", a.reason);
    attrIf(w, "desclang", a.descLang);
    writeExtensionAttributes(w, a.ext);
    if (a.capabilities) writeCapabilities(w, *a.capabilities);
    if (a.dialogs) writeDialogs(w, *a.dialogs);
    writeExtensionElements(w, a.ext);
    w.close();
}

}  // namespace parley::proto::ivr::detail

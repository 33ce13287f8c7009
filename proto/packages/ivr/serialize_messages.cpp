// Writing dialog management messages (RFC 6231 section 4.2) and the <mscivr> root.
#include "proto/packages/ivr/write_support.hpp"

namespace parley::proto::ivr::detail {

namespace {

template <typename Request>
void writeFetchAttributes(xml::Writer& w, const Request& r) {
    attrIf(w, "src", r.src);
    attrIf(w, "type", r.type);
    numberAttr(w, "maxage", r.maxAge);
    numberAttr(w, "maxstale", r.maxStale);
    timeAttr(w, "fetchtimeout", r.fetchTimeout, Milliseconds(30000));
    attrIf(w, "dialogid", r.dialogId);
}

void writeSubscribe(xml::Writer& w, const Subscribe& s) {
    w.open("subscribe");
    writeExtensionAttributes(w, s.ext);
    for (const auto& sub : s.dtmfSubs) {
        w.open("dtmfsub");
        if (sub.matchMode != MatchMode::All) w.attr("matchmode", toString(sub.matchMode));
        writeExtensionAttributes(w, sub.ext);
        writeExtensionElements(w, sub.ext);
        w.close();
    }
    writeExtensionElements(w, s.ext);
    w.close();
}

void writeStream(xml::Writer& w, const Stream& s) {
    w.open("stream");
    w.attr("media", s.media);
    attrIf(w, "label", s.label);
    if (s.direction != Direction::SendRecv) w.attr("direction", toString(s.direction));
    writeExtensionAttributes(w, s.ext);
    if (s.region) w.open("region").text(*s.region).close();
    if (s.priority) w.open("priority").text(std::to_string(*s.priority)).close();
    writeExtensionElements(w, s.ext);
    w.close();
}

struct MessageWriter {
    xml::Writer& w;

    void operator()(const DialogPrepare& m) const {
        w.open("dialogprepare");
        writeFetchAttributes(w, m);
        writeExtensionAttributes(w, m.ext);
        if (m.dialog) writeDialog(w, *m.dialog);
        if (m.params) writeParams(w, *m.params);
        writeExtensionElements(w, m.ext);
        w.close();
    }

    void operator()(const DialogStart& m) const {
        w.open("dialogstart");
        writeFetchAttributes(w, m);
        attrIf(w, "prepareddialogid", m.preparedDialogId);
        attrIf(w, "connectionid", m.connectionId);
        attrIf(w, "conferenceid", m.conferenceId);
        writeExtensionAttributes(w, m.ext);
        if (m.dialog) writeDialog(w, *m.dialog);
        if (m.subscribe) writeSubscribe(w, *m.subscribe);
        if (m.params) writeParams(w, *m.params);
        for (const auto& s : m.streams) writeStream(w, s);
        writeExtensionElements(w, m.ext);
        w.close();
    }

    void operator()(const DialogTerminate& m) const {
        w.open("dialogterminate");
        w.attr("dialogid", m.dialogId);
        boolAttr(w, "immediate", m.immediate, false);
        writeExtensionAttributes(w, m.ext);
        writeExtensionElements(w, m.ext);
        w.close();
    }

    void operator()(const Response& m) const {
        w.open("response");
        w.attr("status", std::to_string(m.status));
        attrIf(w, "reason", m.reason);
        attrIf(w, "desclang", m.descLang);
        w.attr("dialogid", m.dialogId);
        attrIf(w, "connectionid", m.connectionId);
        attrIf(w, "conferenceid", m.conferenceId);
        writeExtensionAttributes(w, m.ext);
        writeExtensionElements(w, m.ext);
        w.close();
    }

    void operator()(const Event& m) const {
        w.open("event");
        w.attr("dialogid", m.dialogId);
        writeExtensionAttributes(w, m.ext);
        std::visit(*this, m.notification);
        writeExtensionElements(w, m.ext);
        w.close();
    }

    void operator()(const DialogExit& m) const {
        w.open("dialogexit");
        w.attr("status", std::to_string(m.status));
        attrIf(w, "reason", m.reason);
        attrIf(w, "desclang", m.descLang);
        writeExtensionAttributes(w, m.ext);
        if (m.promptInfo) {
            w.open("promptinfo");
            numberAttr(w, "duration", m.promptInfo->duration);
            w.attr("termmode", toString(m.promptInfo->termMode));
            writeExtensionAttributes(w, m.promptInfo->ext);
            writeExtensionElements(w, m.promptInfo->ext);
            w.close();
        }
        if (m.controlInfo) {
            w.open("controlinfo");
            writeExtensionAttributes(w, m.controlInfo->ext);
            for (const auto& match : m.controlInfo->matches) {
                w.open("controlmatch");
                attrIf(w, "dtmf", match.dtmf);
                attrIf(w, "timestamp", match.timestamp);
                writeExtensionAttributes(w, match.ext);
                writeExtensionElements(w, match.ext);
                w.close();
            }
            writeExtensionElements(w, m.controlInfo->ext);
            w.close();
        }
        if (m.collectInfo) {
            w.open("collectinfo");
            attrIf(w, "dtmf", m.collectInfo->dtmf);
            w.attr("termmode", toString(m.collectInfo->termMode));
            writeExtensionAttributes(w, m.collectInfo->ext);
            writeExtensionElements(w, m.collectInfo->ext);
            w.close();
        }
        if (m.recordInfo) {
            w.open("recordinfo");
            numberAttr(w, "duration", m.recordInfo->duration);
            w.attr("termmode", toString(m.recordInfo->termMode));
            writeExtensionAttributes(w, m.recordInfo->ext);
            for (const auto& mi : m.recordInfo->media) {
                w.open("mediainfo");
                w.attr("loc", mi.loc);
                w.attr("type", mi.type);
                numberAttr(w, "size", mi.size);
                writeExtensionAttributes(w, mi.ext);
                writeExtensionElements(w, mi.ext);
                w.close();
            }
            writeExtensionElements(w, m.recordInfo->ext);
            w.close();
        }
        if (m.params) writeParams(w, *m.params);
        writeExtensionElements(w, m.ext);
        w.close();
    }

    void operator()(const DtmfNotify& m) const {
        w.open("dtmfnotify");
        if (m.matchMode != MatchMode::All) w.attr("matchmode", toString(m.matchMode));
        w.attr("dtmf", m.dtmf);
        w.attr("timestamp", m.timestamp);
        writeExtensionAttributes(w, m.ext);
        writeExtensionElements(w, m.ext);
        w.close();
    }

    void operator()(const Audit& m) const { writeAudit(w, m); }
    void operator()(const AuditResponse& m) const { writeAuditResponse(w, m); }
};

}  // namespace

void writeParams(xml::Writer& w, const Params& p) {
    w.open("params");
    writeExtensionAttributes(w, p.ext);
    for (const auto& param : p.params) {
        w.open("param");
        w.attr("name", param.name);
        if (param.type != "text/plain") w.attr("type", param.type);
        attrIf(w, "encoding", param.encoding);
        writeExtensionAttributes(w, param.ext);
        if (!param.value.empty()) w.text(param.value);
        w.close();
    }
    writeExtensionElements(w, p.ext);
    w.close();
}

void writeDocument(xml::Writer& w, const Document& doc) {
    w.open("mscivr");
    w.attr("version", kVersion);
    w.attr("xmlns", kNamespace);
    attrIf(w, "desclang", doc.descLang);
    writeExtensionAttributes(w, doc.ext);
    std::visit(MessageWriter{w}, doc.message);
    w.close();
}

}  // namespace parley::proto::ivr::detail

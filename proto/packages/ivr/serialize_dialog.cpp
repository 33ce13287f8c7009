// Writing the IVR dialog language (RFC 6231 section 4.3).
#include "proto/packages/ivr/write_support.hpp"

namespace parley::proto::ivr::detail {

namespace {

void writeVariable(xml::Writer& w, const Variable& v) {
    w.open("variable");
    w.attr("type", v.type);
    w.attr("value", v.value);
    attrIf(w, "format", v.format);
    if (v.gender) w.attr("gender", toString(*v.gender));
    if (v.lang) w.attr("xml:lang", *v.lang);
    writeExtensionAttributes(w, v.ext);
    writeExtensionElements(w, v.ext);
    w.close();
}

void writeDtmf(xml::Writer& w, const Dtmf& d) {
    w.open("dtmf");
    w.attr("digits", d.digits);
    if (d.level != -6) w.attr("level", std::to_string(d.level));
    timeAttr(w, "duration", d.duration, Milliseconds(100));
    timeAttr(w, "interval", d.interval, Milliseconds(100));
    writeExtensionAttributes(w, d.ext);
    writeExtensionElements(w, d.ext);
    w.close();
}

struct ItemWriter {
    xml::Writer& w;
    void operator()(const Media& m) const { writeMedia(w, m); }
    void operator()(const Variable& v) const { writeVariable(w, v); }
    void operator()(const Dtmf& d) const { writeDtmf(w, d); }
    void operator()(const Seq& s) const {
        w.open("seq");
        writeExtensionAttributes(w, s.ext);
        for (const auto& item : s.items) std::visit(*this, item);
        writeExtensionElements(w, s.ext);
        w.close();
    }
    void operator()(const Par& p) const {
        w.open("par");
        if (p.endSync != EndSync::Last) w.attr("endsync", toString(p.endSync));
        writeExtensionAttributes(w, p.ext);
        for (const auto& item : p.items) std::visit(*this, item);
        writeExtensionElements(w, p.ext);
        w.close();
    }
};

void writePrompt(xml::Writer& w, const Prompt& p) {
    w.open("prompt");
    if (p.base) w.attr("xml:base", *p.base);
    boolAttr(w, "bargein", p.bargein, true);
    writeExtensionAttributes(w, p.ext);
    for (const auto& item : p.items) std::visit(ItemWriter{w}, item);
    writeExtensionElements(w, p.ext);
    w.close();
}

void writeControl(xml::Writer& w, const Control& c) {
    w.open("control");
    keyAttr(w, "gotostartkey", c.gotoStartKey);
    keyAttr(w, "gotoendkey", c.gotoEndKey);
    timeAttr(w, "skipinterval", c.skipInterval, Milliseconds(6000));
    keyAttr(w, "ffkey", c.ffKey);
    keyAttr(w, "rwkey", c.rwKey);
    timeAttr(w, "pauseinterval", c.pauseInterval, Milliseconds(10000));
    keyAttr(w, "pausekey", c.pauseKey);
    keyAttr(w, "resumekey", c.resumeKey);
    if (c.volumeInterval != 10) w.attr("volumeinterval", formatPercentage(c.volumeInterval));
    keyAttr(w, "volupkey", c.volUpKey);
    keyAttr(w, "voldnkey", c.volDnKey);
    if (c.speedInterval != 10) w.attr("speedinterval", formatPercentage(c.speedInterval));
    keyAttr(w, "speedupkey", c.speedUpKey);
    keyAttr(w, "speeddnkey", c.speedDnKey);
    attrIf(w, "external", c.external);
    writeExtensionAttributes(w, c.ext);
    writeExtensionElements(w, c.ext);
    w.close();
}

void writeGrammar(xml::Writer& w, const Grammar& g) {
    w.open("grammar");
    attrIf(w, "src", g.src);
    attrIf(w, "type", g.type);
    timeAttr(w, "fetchtimeout", g.fetchTimeout, Milliseconds(30000));
    writeExtensionAttributes(w, g.ext);
    if (g.inlineElement) {
        writeForeignElement(w, g.inlineElement->element, kNamespace);
    } else if (!g.inlineText.empty()) {
        w.text(g.inlineText);
    }
    writeExtensionElements(w, g.ext);
    w.close();
}

void writeCollect(xml::Writer& w, const Collect& c) {
    w.open("collect");
    boolAttr(w, "cleardigitbuffer", c.clearDigitBuffer, true);
    timeAttr(w, "timeout", c.timeout, Milliseconds(5000));
    timeAttr(w, "interdigittimeout", c.interDigitTimeout, Milliseconds(2000));
    timeAttr(w, "termtimeout", c.termTimeout, Milliseconds(0));
    keyAttr(w, "escapekey", c.escapeKey);
    if (c.termChar != '#') w.attr("termchar", std::string(1, c.termChar));
    if (c.maxDigits != 5) w.attr("maxdigits", std::to_string(c.maxDigits));
    writeExtensionAttributes(w, c.ext);
    if (c.grammar) writeGrammar(w, *c.grammar);
    writeExtensionElements(w, c.ext);
    w.close();
}

void writeRecord(xml::Writer& w, const Record& r) {
    w.open("record");
    timeAttr(w, "timeout", r.timeout, Milliseconds(5000));
    boolAttr(w, "beep", r.beep, false);
    boolAttr(w, "vadinitial", r.vadInitial, false);
    boolAttr(w, "vadfinal", r.vadFinal, false);
    boolAttr(w, "dtmfterm", r.dtmfTerm, true);
    timeAttr(w, "maxtime", r.maxTime, Milliseconds(15000));
    timeAttr(w, "finalsilence", r.finalSilence, Milliseconds(5000));
    boolAttr(w, "append", r.append, false);
    writeExtensionAttributes(w, r.ext);
    for (const auto& m : r.media) writeMedia(w, m);
    writeExtensionElements(w, r.ext);
    w.close();
}

}  // namespace

void writeMedia(xml::Writer& w, const Media& m) {
    w.open("media");
    w.attr("loc", m.loc);
    attrIf(w, "type", m.type);
    timeAttr(w, "fetchtimeout", m.fetchTimeout, Milliseconds(30000));
    if (m.soundLevel != 100) w.attr("soundLevel", formatPercentage(m.soundLevel));
    timeAttr(w, "clipBegin", m.clipBegin, Milliseconds(0));
    timeAttr(w, "clipEnd", m.clipEnd);
    writeExtensionAttributes(w, m.ext);
    writeExtensionElements(w, m.ext);
    w.close();
}

void writeDialog(xml::Writer& w, const Dialog& d) {
    w.open("dialog");
    if (d.repeatCount != 1) w.attr("repeatCount", std::to_string(d.repeatCount));
    timeAttr(w, "repeatDur", d.repeatDur);
    boolAttr(w, "repeatUntilComplete", d.repeatUntilComplete, false);
    writeExtensionAttributes(w, d.ext);
    if (d.prompt) writePrompt(w, *d.prompt);
    if (d.control) writeControl(w, *d.control);
    if (d.collect) writeCollect(w, *d.collect);
    if (d.record) writeRecord(w, *d.record);
    writeExtensionElements(w, d.ext);
    w.close();
}

}  // namespace parley::proto::ivr::detail

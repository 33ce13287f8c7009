// Parsing the IVR dialog language (RFC 6231 section 4.3).
#include "proto/packages/ivr/parse_support.hpp"

namespace parley::proto::ivr::detail {

namespace {

bool parseVariable(const xml::Element& e, ParseContext& ctx, Variable& out) {
    ElementReader r(e, ctx);
    if (!r.text("type", out.type, Need::Required) || !r.text("value", out.value, Need::Required) ||
        !r.text("format", out.format) || !r.enumeration("gender", out.gender) ||
        !r.xmlAttribute("lang", out.lang) || !r.finish(out.ext) || !r.noText())
        return false;
    if (out.lang && !out.lang->empty() && !isLanguage(*out.lang))
        return ctx.fail(400, "xml:lang on <variable> is not a language tag: " + quote(*out.lang));
    for (const auto& c : e.children) {
        if (c.ns == kNamespace) return r.unexpectedChild(c);
        if (!r.foreignChild(c, out.ext)) return false;
    }
    return true;
}

bool parseDtmf(const xml::Element& e, ParseContext& ctx, Dtmf& out) {
    ElementReader r(e, ctx);
    if (!r.dtmfString("digits", out.digits, Need::Required) || !r.integer("level", out.level) ||
        !r.time("duration", out.duration) || !r.time("interval", out.interval) ||
        !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns == kNamespace) return r.unexpectedChild(c);
        if (!r.foreignChild(c, out.ext)) return false;
    }
    return true;
}

// media, variable, dtmf: the items that can appear in prompt, par and seq.
template <typename Item>
bool parseBasicItem(const xml::Element& c, ParseContext& ctx, std::vector<Item>& items,
                    bool& matched) {
    matched = true;
    if (c.local == "media") return parseMedia(c, ctx, std::get<Media>(items.emplace_back(Media{})));
    if (c.local == "variable")
        return parseVariable(c, ctx, std::get<Variable>(items.emplace_back(Variable{})));
    if (c.local == "dtmf") return parseDtmf(c, ctx, std::get<Dtmf>(items.emplace_back(Dtmf{})));
    matched = false;
    return true;
}

bool parseSeq(const xml::Element& e, ParseContext& ctx, Seq& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
            continue;
        }
        bool matched = false;
        if (!parseBasicItem(c, ctx, out.items, matched)) return false;
        if (!matched) return r.unexpectedChild(c);
    }
    return true;
}

bool parsePar(const xml::Element& e, ParseContext& ctx, Par& out) {
    ElementReader r(e, ctx);
    if (!r.enumeration("endsync", out.endSync) || !r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
            continue;
        }
        if (c.local == "seq") {
            if (!parseSeq(c, ctx, std::get<Seq>(out.items.emplace_back(Seq{})))) return false;
            continue;
        }
        bool matched = false;
        if (!parseBasicItem(c, ctx, out.items, matched)) return false;
        if (!matched) return r.unexpectedChild(c);
    }
    return true;
}

bool parsePrompt(const xml::Element& e, ParseContext& ctx, Prompt& out) {
    ElementReader r(e, ctx);
    if (!r.xmlAttribute("base", out.base) || !r.boolean("bargein", out.bargein) ||
        !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
            continue;
        }
        if (c.local == "par") {
            if (!parsePar(c, ctx, std::get<Par>(out.items.emplace_back(Par{})))) return false;
            continue;
        }
        bool matched = false;
        if (!parseBasicItem(c, ctx, out.items, matched)) return false;
        if (!matched) return r.unexpectedChild(c);
    }
    return true;
}

bool parseControl(const xml::Element& e, ParseContext& ctx, Control& out) {
    ElementReader r(e, ctx);
    if (!r.dtmfChar("gotostartkey", out.gotoStartKey) ||
        !r.dtmfChar("gotoendkey", out.gotoEndKey) || !r.time("skipinterval", out.skipInterval) ||
        !r.dtmfChar("ffkey", out.ffKey) || !r.dtmfChar("rwkey", out.rwKey) ||
        !r.time("pauseinterval", out.pauseInterval) || !r.dtmfChar("pausekey", out.pauseKey) ||
        !r.dtmfChar("resumekey", out.resumeKey) ||
        !r.percentage("volumeinterval", out.volumeInterval) ||
        !r.dtmfChar("volupkey", out.volUpKey) || !r.dtmfChar("voldnkey", out.volDnKey) ||
        !r.percentage("speedinterval", out.speedInterval) ||
        !r.dtmfChar("speedupkey", out.speedUpKey) || !r.dtmfChar("speeddnkey", out.speedDnKey) ||
        !r.dtmfString("external", out.external) || !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns == kNamespace) return r.unexpectedChild(c);
        if (!r.foreignChild(c, out.ext)) return false;
    }
    return true;
}

bool parseGrammar(const xml::Element& e, ParseContext& ctx, Grammar& out) {
    ElementReader r(e, ctx);
    if (!r.text("src", out.src) || !r.text("type", out.type) ||
        !r.time("fetchtimeout", out.fetchTimeout) || !r.finish(out.ext))
        return false;
    for (const auto& c : e.children) {
        if (c.ns == kNamespace)
            return ctx.fail(400, "an inline grammar must not use the msc-ivr namespace (found <" +
                                     c.local + "> in <grammar>)");
        if (c.ns.empty())
            return ctx.fail(400, "inline grammar element <" + c.local + "> has no namespace");
        if (out.inlineElement) return ctx.fail(400, "<grammar> holds more than one inline grammar");
        out.inlineElement = Subtree{c};
    }
    if (!isBlank(e.text)) {
        if (out.inlineElement)
            return ctx.fail(400, "<grammar> mixes an inline XML grammar with text");
        out.inlineText = e.text;
    }
    return true;
}

bool parseCollect(const xml::Element& e, ParseContext& ctx, Collect& out) {
    ElementReader r(e, ctx);
    if (!r.boolean("cleardigitbuffer", out.clearDigitBuffer) || !r.time("timeout", out.timeout) ||
        !r.time("interdigittimeout", out.interDigitTimeout) ||
        !r.time("termtimeout", out.termTimeout) || !r.dtmfChar("escapekey", out.escapeKey) ||
        !r.dtmfChar("termchar", out.termChar) || !r.positive32("maxdigits", out.maxDigits) ||
        !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "grammar") {
            if (!r.once(out.grammar, c) || !parseGrammar(c, ctx, *out.grammar)) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseRecord(const xml::Element& e, ParseContext& ctx, Record& out) {
    ElementReader r(e, ctx);
    if (!r.time("timeout", out.timeout) || !r.boolean("beep", out.beep) ||
        !r.boolean("vadinitial", out.vadInitial) || !r.boolean("vadfinal", out.vadFinal) ||
        !r.boolean("dtmfterm", out.dtmfTerm) || !r.time("maxtime", out.maxTime) ||
        !r.time("finalsilence", out.finalSilence) || !r.boolean("append", out.append) ||
        !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "media") {
            if (!parseMedia(c, ctx, out.media.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

}  // namespace

bool parseMedia(const xml::Element& e, ParseContext& ctx, Media& out) {
    ElementReader r(e, ctx);
    if (!r.text("loc", out.loc, Need::Required) || !r.text("type", out.type) ||
        !r.time("fetchtimeout", out.fetchTimeout) || !r.percentage("soundLevel", out.soundLevel) ||
        !r.time("clipBegin", out.clipBegin) || !r.time("clipEnd", out.clipEnd) ||
        !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns == kNamespace) return r.unexpectedChild(c);
        if (!r.foreignChild(c, out.ext)) return false;
    }
    return true;
}

bool parseDialog(const xml::Element& e, ParseContext& ctx, Dialog& out) {
    ElementReader r(e, ctx);
    if (!r.nonNegative32("repeatCount", out.repeatCount) || !r.time("repeatDur", out.repeatDur) ||
        !r.boolean("repeatUntilComplete", out.repeatUntilComplete) || !r.finish(out.ext) ||
        !r.noText())
        return false;
    // The RFC text allows the four children in any order; the schema fixes one. Accept any.
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "prompt") {
            if (!r.once(out.prompt, c) || !parsePrompt(c, ctx, *out.prompt)) return false;
        } else if (c.local == "control") {
            if (!r.once(out.control, c) || !parseControl(c, ctx, *out.control)) return false;
        } else if (c.local == "collect") {
            if (!r.once(out.collect, c) || !parseCollect(c, ctx, *out.collect)) return false;
        } else if (c.local == "record") {
            if (!r.once(out.record, c) || !parseRecord(c, ctx, *out.record)) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    if (auto st = validateDialog(out); !st) return ctx.fail(st.error().code, st.error().message);
    return true;
}

}  // namespace parley::proto::ivr::detail

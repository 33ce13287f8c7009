// Parsing audit requests and responses (RFC 6231 section 4.4).
#include "proto/packages/ivr/parse_support.hpp"

namespace parley::proto::ivr::detail {

namespace {

// <mimetype>, <subtype>, <maxpreparedduration>...: simple-typed text elements.
bool simpleText(const xml::Element& e, ParseContext& ctx, std::string& out) {
    ElementReader r(e, ctx);
    if (!r.finishNoAttributes() || !r.noChildren()) return false;
    out = std::string(trimXml(e.text));
    return true;
}

bool simpleTime(const xml::Element& e, ParseContext& ctx, Milliseconds& out) {
    std::string text;
    if (!simpleText(e, ctx, text)) return false;
    auto t = parseTimeDesignation(text);
    if (!t)
        return ctx.fail(400, "<" + e.local + "> must be a time designation, not " + quote(text));
    out = *t;
    return true;
}

bool parseMimeTypes(const xml::Element& e, ParseContext& ctx, MimeTypes& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "mimetype") {
            if (!simpleText(c, ctx, out.types.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseFormat(const xml::Element& e, ParseContext& ctx, VariableFormat& out) {
    ElementReader r(e, ctx);
    if (!r.text("desc", out.desc) || !r.language("desclang", out.descLang) || !r.finish(out.ext))
        return false;
    for (const auto& c : e.children) {
        if (c.ns == kNamespace) return r.unexpectedChild(c);
        if (!r.foreignChild(c, out.ext)) return false;
    }
    out.value = std::string(trimXml(e.text));
    return true;
}

bool parseVariableType(const xml::Element& e, ParseContext& ctx, VariableType& out) {
    ElementReader r(e, ctx);
    if (!r.text("type", out.type, Need::Required) || !r.text("desc", out.desc) ||
        !r.language("desclang", out.descLang) || !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "format") {
            if (!parseFormat(c, ctx, out.formats.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseVariables(const xml::Element& e, ParseContext& ctx, Variables& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "variabletype") {
            if (!parseVariableType(c, ctx, out.types.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseCodec(const xml::Element& e, ParseContext& ctx, Codec& out) {
    ElementReader r(e, ctx);
    if (!r.text("name", out.name, Need::Required) || !r.finish(out.ext) || !r.noText())
        return false;
    bool haveSubtype = false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "subtype") {
            if (haveSubtype) return ctx.fail(400, "more than one <subtype> in <codec>");
            haveSubtype = true;
            if (!simpleText(c, ctx, out.subtype)) return false;
        } else if (c.local == "params") {
            if (!r.once(out.params, c) || !parseParams(c, ctx, *out.params)) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    if (!haveSubtype) return ctx.fail(400, "<codec> needs a <subtype>");
    return true;
}

bool parseCapabilities(const xml::Element& e, ParseContext& ctx, Capabilities& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    // Which of the eight mandatory parts have been seen, in schema order.
    bool seen[8] = {};
    static constexpr const char* kParts[8] = {
        "dialoglanguages", "grammartypes",        "recordtypes",       "prompttypes",
        "variables",       "maxpreparedduration", "maxrecordduration", "codecs"};
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
            continue;
        }
        int part = -1;
        for (int i = 0; i < 8; ++i)
            if (c.local == kParts[i]) part = i;
        if (part < 0) return r.unexpectedChild(c);
        if (seen[part]) return ctx.fail(400, "more than one <" + c.local + "> in <capabilities>");
        seen[part] = true;
        bool ok = false;
        switch (part) {
            case 0:
                ok = parseMimeTypes(c, ctx, out.dialogLanguages);
                break;
            case 1:
                ok = parseMimeTypes(c, ctx, out.grammarTypes);
                break;
            case 2:
                ok = parseMimeTypes(c, ctx, out.recordTypes);
                break;
            case 3:
                ok = parseMimeTypes(c, ctx, out.promptTypes);
                break;
            case 4:
                ok = parseVariables(c, ctx, out.variables);
                break;
            case 5:
                ok = simpleTime(c, ctx, out.maxPreparedDuration);
                break;
            case 6:
                ok = simpleTime(c, ctx, out.maxRecordDuration);
                break;
            default:
                ok = parseCodecs(c, ctx, out.codecs);
                break;
        }
        if (!ok) return false;
    }
    for (int i = 0; i < 8; ++i)
        if (!seen[i]) return ctx.fail(400, "<capabilities> lacks <" + std::string(kParts[i]) + ">");
    return true;
}

bool parseDialogAudit(const xml::Element& e, ParseContext& ctx, DialogAudit& out) {
    ElementReader r(e, ctx);
    if (!r.text("dialogid", out.dialogId, Need::Required) ||
        !r.enumeration("state", out.state, Need::Required) ||
        !r.text("connectionid", out.connectionId) || !r.text("conferenceid", out.conferenceId) ||
        !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "codecs") {
            if (!r.once(out.codecs, c) || !parseCodecs(c, ctx, *out.codecs)) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseDialogs(const xml::Element& e, ParseContext& ctx, Dialogs& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "dialogaudit") {
            if (!parseDialogAudit(c, ctx, out.dialogs.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

}  // namespace

bool parseCodecs(const xml::Element& e, ParseContext& ctx, Codecs& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "codec") {
            if (!parseCodec(c, ctx, out.codecs.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseAudit(const xml::Element& e, ParseContext& ctx, Audit& out) {
    ElementReader r(e, ctx);
    if (!r.boolean("capabilities", out.capabilities) || !r.boolean("dialogs", out.dialogs) ||
        !r.text("dialogid", out.dialogId) || !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns == kNamespace) return r.unexpectedChild(c);
        if (!r.foreignChild(c, out.ext)) return false;
    }
    return true;
}

bool parseAuditResponse(const xml::Element& e, ParseContext& ctx, AuditResponse& out) {
    ElementReader r(e, ctx);
    if (!r.statusCode("status", out.status) || !r.text("reason", out.reason) ||
        !r.language("desclang", out.descLang) || !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "capabilities") {
            if (!r.once(out.capabilities, c) || !parseCapabilities(c, ctx, *out.capabilities))
                return false;
        } else if (c.local == "dialogs") {
            if (!r.once(out.dialogs, c) || !parseDialogs(c, ctx, *out.dialogs)) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

}  // namespace parley::proto::ivr::detail

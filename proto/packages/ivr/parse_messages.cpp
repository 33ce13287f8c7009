// Parsing dialog management messages (RFC 6231 section 4.2) and the <mscivr> root.
#include "proto/packages/ivr/parse_support.hpp"

namespace parley::proto::ivr::detail {

namespace {

// Children allowed only from foreign namespaces (elements with no msc-ivr children).
bool onlyForeignChildren(ElementReader& r, Extensions& ext) {
    for (const auto& c : r.element().children) {
        if (c.ns == kNamespace) return r.unexpectedChild(c);
        if (!r.foreignChild(c, ext)) return false;
    }
    return true;
}

bool parseParam(const xml::Element& e, ParseContext& ctx, Param& out) {
    ElementReader r(e, ctx);
    if (!r.text("name", out.name, Need::Required) || !r.text("type", out.type) ||
        !r.text("encoding", out.encoding) || !r.finish(out.ext) || !r.noChildren())
        return false;
    out.value = e.text;
    return true;
}

bool parseDtmfSub(const xml::Element& e, ParseContext& ctx, DtmfSub& out) {
    ElementReader r(e, ctx);
    return r.enumeration("matchmode", out.matchMode) && r.finish(out.ext) && r.noText() &&
           onlyForeignChildren(r, out.ext);
}

bool parseSubscribe(const xml::Element& e, ParseContext& ctx, Subscribe& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "dtmfsub") {
            if (!parseDtmfSub(c, ctx, out.dtmfSubs.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

// xsd:NMTOKEN: one or more name characters (any non-ASCII byte is taken as one).
bool isNmtoken(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s) {
        const bool nameChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
                              c == ':' || c >= 0x80;
        if (!nameChar) return false;
    }
    return true;
}

// <region> and <priority>: simple-typed elements.
bool parseSimpleText(const xml::Element& e, ParseContext& ctx, std::string& out) {
    ElementReader r(e, ctx);
    if (!r.finishNoAttributes() || !r.noChildren()) return false;
    out = std::string(trimXml(e.text));
    return true;
}

bool parseStream(const xml::Element& e, ParseContext& ctx, Stream& out) {
    ElementReader r(e, ctx);
    if (!r.text("media", out.media, Need::Required) || !r.text("label", out.label) ||
        !r.enumeration("direction", out.direction) || !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "region") {
            if (!r.once(out.region, c) || !parseSimpleText(c, ctx, *out.region)) return false;
            if (!isNmtoken(*out.region))
                return ctx.fail(400, "<region> must be a name token, not " + quote(*out.region));
        } else if (c.local == "priority") {
            std::string text;
            if (out.priority) return ctx.fail(400, "more than one <priority> in <stream>");
            if (!parseSimpleText(c, ctx, text)) return false;
            auto n = parseNonNegativeInteger(text);
            if (!n || *n == 0 || *n > 0xffffffffu)
                return ctx.fail(400, "<priority> must be a positive integer, not " + quote(text));
            out.priority = static_cast<std::uint32_t>(*n);
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

// Attributes shared by dialogprepare and dialogstart.
template <typename Request>
bool readFetchAttributes(ElementReader& r, Request& out) {
    return r.text("src", out.src) && r.text("type", out.type) &&
           r.nonNegative("maxage", out.maxAge) && r.nonNegative("maxstale", out.maxStale) &&
           r.time("fetchtimeout", out.fetchTimeout) && r.text("dialogid", out.dialogId);
}

bool parseDialogPrepare(const xml::Element& e, ParseContext& ctx, DialogPrepare& out) {
    ElementReader r(e, ctx);
    if (!readFetchAttributes(r, out) || !r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "dialog") {
            if (!r.once(out.dialog, c) || !parseDialog(c, ctx, *out.dialog)) return false;
        } else if (c.local == "params") {
            if (!r.once(out.params, c) || !parseParams(c, ctx, *out.params)) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    if (out.src && out.dialog)
        return ctx.fail(400, "<dialogprepare> has both a src attribute and a <dialog>");
    if (!out.src && !out.dialog)
        return ctx.fail(400, "<dialogprepare> needs a src attribute or a <dialog>");
    return true;
}

bool parseDialogStart(const xml::Element& e, ParseContext& ctx, DialogStart& out) {
    ElementReader r(e, ctx);
    if (!readFetchAttributes(r, out) || !r.text("prepareddialogid", out.preparedDialogId) ||
        !r.text("connectionid", out.connectionId) || !r.text("conferenceid", out.conferenceId) ||
        !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "dialog") {
            if (!r.once(out.dialog, c) || !parseDialog(c, ctx, *out.dialog)) return false;
        } else if (c.local == "subscribe") {
            if (!r.once(out.subscribe, c) || !parseSubscribe(c, ctx, *out.subscribe)) return false;
        } else if (c.local == "params") {
            if (!r.once(out.params, c) || !parseParams(c, ctx, *out.params)) return false;
        } else if (c.local == "stream") {
            if (!parseStream(c, ctx, out.streams.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    const int sources = (out.src ? 1 : 0) + (out.preparedDialogId ? 1 : 0) + (out.dialog ? 1 : 0);
    if (sources != 1)
        return ctx.fail(400,
                        "<dialogstart> needs exactly one of src, prepareddialogid or <dialog>");
    if (out.preparedDialogId && out.dialogId)
        return ctx.fail(400, "<dialogstart> has both prepareddialogid and dialogid");
    if (out.connectionId.has_value() == out.conferenceId.has_value())
        return ctx.fail(400, "<dialogstart> needs exactly one of connectionid or conferenceid");
    return true;
}

bool parseDialogTerminate(const xml::Element& e, ParseContext& ctx, DialogTerminate& out) {
    ElementReader r(e, ctx);
    return r.text("dialogid", out.dialogId, Need::Required) &&
           r.boolean("immediate", out.immediate) && r.finish(out.ext) && r.noText() &&
           onlyForeignChildren(r, out.ext);
}

bool parseResponse(const xml::Element& e, ParseContext& ctx, Response& out) {
    ElementReader r(e, ctx);
    return r.statusCode("status", out.status) && r.text("reason", out.reason) &&
           r.language("desclang", out.descLang) &&
           r.text("dialogid", out.dialogId, Need::Required) &&
           r.text("connectionid", out.connectionId) && r.text("conferenceid", out.conferenceId) &&
           r.finish(out.ext) && r.noText() && onlyForeignChildren(r, out.ext);
}

// ------------------------------------------------------------------ events

bool parsePromptInfo(const xml::Element& e, ParseContext& ctx, PromptInfo& out) {
    ElementReader r(e, ctx);
    return r.nonNegative("duration", out.duration) &&
           r.enumeration("termmode", out.termMode, Need::Required) && r.finish(out.ext) &&
           r.noText() && onlyForeignChildren(r, out.ext);
}

bool parseControlMatch(const xml::Element& e, ParseContext& ctx, ControlMatch& out) {
    ElementReader r(e, ctx);
    return r.dtmfString("dtmf", out.dtmf) && r.dateTime("timestamp", out.timestamp) &&
           r.finish(out.ext) && r.noText() && onlyForeignChildren(r, out.ext);
}

bool parseControlInfo(const xml::Element& e, ParseContext& ctx, ControlInfo& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "controlmatch") {
            if (!parseControlMatch(c, ctx, out.matches.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseCollectInfo(const xml::Element& e, ParseContext& ctx, CollectInfo& out) {
    ElementReader r(e, ctx);
    return r.dtmfString("dtmf", out.dtmf) &&
           r.enumeration("termmode", out.termMode, Need::Required) && r.finish(out.ext) &&
           r.noText() && onlyForeignChildren(r, out.ext);
}

bool parseMediaInfo(const xml::Element& e, ParseContext& ctx, MediaInfo& out) {
    ElementReader r(e, ctx);
    return r.text("loc", out.loc, Need::Required) && r.text("type", out.type, Need::Required) &&
           r.nonNegative("size", out.size) && r.finish(out.ext) && r.noText() &&
           onlyForeignChildren(r, out.ext);
}

bool parseRecordInfo(const xml::Element& e, ParseContext& ctx, RecordInfo& out) {
    ElementReader r(e, ctx);
    if (!r.nonNegative("duration", out.duration) ||
        !r.enumeration("termmode", out.termMode, Need::Required) || !r.finish(out.ext) ||
        !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "mediainfo") {
            if (!parseMediaInfo(c, ctx, out.media.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseDialogExit(const xml::Element& e, ParseContext& ctx, DialogExit& out) {
    ElementReader r(e, ctx);
    if (!r.nonNegative32("status", out.status, Need::Required) || !r.text("reason", out.reason) ||
        !r.language("desclang", out.descLang) || !r.finish(out.ext) || !r.noText())
        return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "promptinfo") {
            if (!r.once(out.promptInfo, c) || !parsePromptInfo(c, ctx, *out.promptInfo))
                return false;
        } else if (c.local == "controlinfo") {
            if (!r.once(out.controlInfo, c) || !parseControlInfo(c, ctx, *out.controlInfo))
                return false;
        } else if (c.local == "collectinfo") {
            if (!r.once(out.collectInfo, c) || !parseCollectInfo(c, ctx, *out.collectInfo))
                return false;
        } else if (c.local == "recordinfo") {
            if (!r.once(out.recordInfo, c) || !parseRecordInfo(c, ctx, *out.recordInfo))
                return false;
        } else if (c.local == "params") {
            if (!r.once(out.params, c) || !parseParams(c, ctx, *out.params)) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

bool parseDtmfNotify(const xml::Element& e, ParseContext& ctx, DtmfNotify& out) {
    ElementReader r(e, ctx);
    return r.enumeration("matchmode", out.matchMode) &&
           r.dtmfString("dtmf", out.dtmf, Need::Required) &&
           r.dateTime("timestamp", out.timestamp, Need::Required) && r.finish(out.ext) &&
           r.noText() && onlyForeignChildren(r, out.ext);
}

bool parseEvent(const xml::Element& e, ParseContext& ctx, Event& out) {
    ElementReader r(e, ctx);
    if (!r.text("dialogid", out.dialogId, Need::Required) || !r.finish(out.ext) || !r.noText())
        return false;
    const xml::Element* notification = nullptr;
    bool foreign = false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (c.ns.empty())
                return ctx.fail(400, "element <" + c.local + "> in <event> has no namespace");
            foreign = true;
        } else if (c.local == "dialogexit" || c.local == "dtmfnotify") {
            if (notification) return ctx.fail(400, "<event> holds more than one notification");
            notification = &c;
        } else {
            return r.unexpectedChild(c);
        }
    }
    if (notification && foreign)
        return ctx.fail(400, "<event> mixes a notification with foreign elements");
    if (!notification) {
        if (foreign)
            return ctx.fail(431, "unsupported foreign notification {" + e.children.front().ns +
                                     "}" + e.children.front().local + " in <event>");
        return ctx.fail(400, "<event> has no dialogexit or dtmfnotify");
    }
    if (notification->local == "dialogexit")
        return parseDialogExit(*notification, ctx, out.notification.emplace<DialogExit>());
    return parseDtmfNotify(*notification, ctx, out.notification.emplace<DtmfNotify>());
}

}  // namespace

bool parseParams(const xml::Element& e, ParseContext& ctx, Params& out) {
    ElementReader r(e, ctx);
    if (!r.finish(out.ext) || !r.noText()) return false;
    for (const auto& c : e.children) {
        if (c.ns != kNamespace) {
            if (!r.foreignChild(c, out.ext)) return false;
        } else if (c.local == "param") {
            if (!parseParam(c, ctx, out.params.emplace_back())) return false;
        } else {
            return r.unexpectedChild(c);
        }
    }
    return true;
}

namespace {

template <typename T>
bool parseInto(bool (*fn)(const xml::Element&, ParseContext&, T&), const xml::Element& e,
               ParseContext& ctx, Message& out) {
    return fn(e, ctx, out.emplace<T>());
}

bool parseMessage(const xml::Element& e, ParseContext& ctx, Message& out) {
    if (e.local == "dialogprepare") return parseInto(&parseDialogPrepare, e, ctx, out);
    if (e.local == "dialogstart") return parseInto(&parseDialogStart, e, ctx, out);
    if (e.local == "dialogterminate") return parseInto(&parseDialogTerminate, e, ctx, out);
    if (e.local == "audit") return parseInto(&parseAudit, e, ctx, out);
    if (e.local == "response") return parseInto(&parseResponse, e, ctx, out);
    if (e.local == "auditresponse") return parseInto(&parseAuditResponse, e, ctx, out);
    if (e.local == "event") return parseInto(&parseEvent, e, ctx, out);
    return ctx.fail(400, "<" + e.local + "> is not an msc-ivr message");
}

}  // namespace

bool parseRoot(const xml::Element& root, ParseContext& ctx, Document& out) {
    if (root.ns != kNamespace || root.local != "mscivr")
        return ctx.fail(400,
                        "root element must be <mscivr> in namespace " + std::string(kNamespace));
    ElementReader r(root, ctx);
    std::string version;
    if (!r.text("version", version, Need::Required)) return false;
    if (trimXml(version) != kVersion) return r.invalid("version", version, "expected 1.0");
    if (!r.language("desclang", out.descLang) || !r.finish(out.ext) || !r.noText()) return false;

    const xml::Element* message = nullptr;
    const xml::Element* foreign = nullptr;
    for (const auto& c : root.children) {
        if (c.ns == kNamespace) {
            if (message) return ctx.fail(400, "<mscivr> holds more than one message");
            message = &c;
        } else if (c.ns.empty()) {
            return ctx.fail(400, "element <" + c.local + "> in <mscivr> has no namespace");
        } else if (!foreign) {
            foreign = &c;
        }
    }
    if (!message) {
        if (foreign)
            return ctx.fail(431,
                            "unsupported foreign message {" + foreign->ns + "}" + foreign->local);
        return ctx.fail(400, "<mscivr> holds no message");
    }
    if (foreign) return ctx.fail(400, "<mscivr> mixes a message with foreign elements");
    return parseMessage(*message, ctx, out.message);
}

}  // namespace parley::proto::ivr::detail

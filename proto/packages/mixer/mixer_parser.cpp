// msc-mixer/1.0 document -> typed message. See mixer_codec.hpp for the contract.
//
// Each element is read by one function that checks, in this order: its attributes (known
// unqualified ones, foreign ones per leniency), that it holds no stray character data, its
// children against the schema's sequence (Reader::content), then the values. The first
// problem found is returned as Error{400 or 428, "<element> line N: what"}.

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_reader.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::proto::mixer {
namespace {

using namespace detail;

const Names<Direction> kDirections = {{"sendrecv", Direction::sendrecv},
                                      {"sendonly", Direction::sendonly},
                                      {"recvonly", Direction::recvonly},
                                      {"inactive", Direction::inactive}};
const Names<VolumeControl> kControls = {{"automatic", VolumeControl::automatic},
                                        {"setgain", VolumeControl::setgain},
                                        {"setstate", VolumeControl::setstate}};
const Names<AudioMixType> kMixTypes = {{"nbest", AudioMixType::nbest},
                                       {"controller", AudioMixType::controller}};

constexpr std::pair<std::string_view, XconLayout> kLayouts[] = {
    {"single-view", XconLayout::singleView},
    {"dual-view", XconLayout::dualView},
    {"dual-view-crop", XconLayout::dualViewCrop},
    {"dual-view-2x1", XconLayout::dualView2x1},
    {"dual-view-2x1-crop", XconLayout::dualView2x1Crop},
    {"quad-view", XconLayout::quadView},
    {"multiple-3x3", XconLayout::multiple3x3},
    {"multiple-4x4", XconLayout::multiple4x4},
    {"multiple-5x1", XconLayout::multiple5x1},
};

// ------------------------------------------------------------------ shared pieces

Result<Param> readParam(const xml::Element& e, const Reader& r) {
    MIXER_TRY(r.attributes(e, {"name", "type", "encoding"}));
    if (!e.children.empty()) return invalid(e, "child elements are not allowed here");
    Param p;
    const std::string* name = e.attr("name");
    if (!name) return invalid(e, "missing required attribute 'name'");
    p.name = *name;
    if (const std::string* type = e.attr("type")) p.type = *type;
    p.encoding = optionalAttr(e, "encoding");
    p.value = e.text;
    return p;
}

Result<Codec> readCodec(const xml::Element& e, const Reader& r) {
    auto groups = r.content(e, {"name"}, {{"subtype"}, {"params"}});
    if (!groups) return groups.error();
    Codec c;
    auto name = requiredId(e, "name");
    if (!name) return name.error();
    c.name = std::string(trim(*name));
    const xml::Element* subtype = first((*groups)[0]);
    if (!subtype) return invalid(e, "missing required element <subtype>");
    auto text = r.simpleText(*subtype);
    if (!text) return text.error();
    if (text->empty()) return invalid(*subtype, "subtype is empty");
    c.subtype = std::string(*text);
    if (const xml::Element* params = first((*groups)[1])) {
        auto list = r.content(*params, {}, {{"param", true}});
        if (!list) return list.error();
        for (const xml::Element* pe : (*list)[0]) {
            auto p = readParam(*pe, r);
            if (!p) return p.error();
            c.params.push_back(std::move(*p));
        }
    }
    return c;
}

Result<std::vector<Codec>> readCodecs(const xml::Element& e, const Reader& r) {
    auto groups = r.content(e, {}, {{"codec", true}});
    if (!groups) return groups.error();
    std::vector<Codec> out;
    for (const xml::Element* ce : (*groups)[0]) {
        auto c = readCodec(*ce, r);
        if (!c) return c.error();
        out.push_back(std::move(*c));
    }
    return out;
}

// An empty Tcore element such as <vas/> or <single-view/>.
Status readMarker(const xml::Element& e, const Reader& r) {
    auto groups = r.content(e, {}, {});
    if (!groups) return groups.error();
    return {};
}

Result<VideoLayout> readVideoLayout(const xml::Element& e, const Reader& r) {
    MIXER_TRY(r.attributes(e, {"min-participants"}));
    if (!trim(e.text).empty()) return invalid(e, "character data is not allowed here");
    VideoLayout layout;
    if (const std::string* mp = e.attr("min-participants")) {
        auto n = toPositive(e, "min-participants", *mp);
        if (!n) return n.error();
        layout.minParticipants = *n;
    }
    if (e.children.size() != 1) {
        return invalid(
            e, "needs exactly one layout element, has " + std::to_string(e.children.size()));
    }
    const xml::Element& child = e.children.front();
    if (child.ns == kNamespace) {
        auto it = std::find_if(std::begin(kLayouts), std::end(kLayouts),
                               [&](const auto& l) { return l.first == child.local; });
        if (it == std::end(kLayouts)) return invalid(e, "unknown layout <" + child.local + ">");
        MIXER_TRY(readMarker(child, r));
        layout.layout = it->second;
    } else if (child.ns.empty() || child.ns == kXmlNs || child.ns == kXmlnsNs) {
        return invalid(e, "element <" + child.local + "> is in no or a reserved namespace");
    } else {
        // A non-XCON layout: RFC 6505 says it comes in another namespace; the MS decides (423).
        layout.layout = ForeignElement{child.ns, child.local, std::string(trim(child.text))};
    }
    return layout;
}

Result<std::vector<VideoLayout>> readVideoLayouts(const xml::Element& e, const Reader& r) {
    auto groups = r.content(e, {}, {{"video-layout", true}});
    if (!groups) return groups.error();
    if ((*groups)[0].empty()) return invalid(e, "needs at least one <video-layout>");
    std::vector<VideoLayout> out;
    for (const xml::Element* le : (*groups)[0]) {
        auto l = readVideoLayout(*le, r);
        if (!l) return l.error();
        for (const auto& prev : out) {
            if (prev.minParticipants == l->minParticipants) {
                return invalid(e, "two video-layouts have min-participants " +
                                      std::to_string(prev.minParticipants));
            }
        }
        out.push_back(std::move(*l));
    }
    return out;
}

Result<VideoSwitch> readVideoSwitch(const xml::Element& e, const Reader& r) {
    MIXER_TRY(r.attributes(e, {"interval", "activespeakermix"}));
    if (!trim(e.text).empty()) return invalid(e, "character data is not allowed here");
    VideoSwitch vs;
    if (const std::string* v = e.attr("interval")) {
        auto n = toUnsigned(e, "interval", *v);
        if (!n) return n.error();
        vs.interval = std::chrono::seconds(*n);
    }
    if (const std::string* v = e.attr("activespeakermix")) {
        auto b = toBool(e, "activespeakermix", *v);
        if (!b) return b.error();
        vs.activeSpeakerMix = *b;
    }
    if (e.children.size() != 1) {
        return invalid(
            e, "needs exactly one policy element, has " + std::to_string(e.children.size()));
    }
    const xml::Element& child = e.children.front();
    if (child.ns == kNamespace) {
        if (child.local == "vas")
            vs.policy = VideoSwitchPolicy::vas;
        else if (child.local == "controller")
            vs.policy = VideoSwitchPolicy::controller;
        else
            return invalid(e, "unknown video-switch policy <" + child.local + ">");
        MIXER_TRY(readMarker(child, r));
    } else if (child.ns.empty() || child.ns == kXmlNs || child.ns == kXmlnsNs) {
        return invalid(e, "element <" + child.local + "> is in no or a reserved namespace");
    } else {
        // Another policy: RFC 6505 says it comes in another namespace; the MS decides (424).
        vs.policy = ForeignElement{child.ns, child.local, std::string(trim(child.text))};
    }
    return vs;
}

Result<Subscribe> readSubscribe(const xml::Element& e, const Reader& r) {
    auto groups = r.content(e, {}, {{"active-talkers-sub"}});
    if (!groups) return groups.error();
    Subscribe s;
    if (const xml::Element* at = first((*groups)[0])) {
        auto inner = r.content(*at, {"interval"}, {});
        if (!inner) return inner.error();
        ActiveTalkersSub sub;
        if (const std::string* v = at->attr("interval")) {
            auto n = toUnsigned(*at, "interval", *v);
            if (!n) return n.error();
            sub.interval = std::chrono::seconds(*n);
        }
        s.activeTalkers = sub;
    }
    return s;
}

Result<ConferenceSettings> readSettings(const Groups& g, const Reader& r) {
    // g is matched to kConferenceSlots: codecs, audio-mixing, video-layouts, video-switch,
    // subscribe.
    ConferenceSettings s;
    if (const xml::Element* e = first(g[0])) {
        auto c = readCodecs(*e, r);
        if (!c) return c.error();
        s.codecs = std::move(*c);
    }
    if (const xml::Element* e = first(g[1])) {
        auto inner = r.content(*e, {"type", "n"}, {});
        if (!inner) return inner.error();
        AudioMixing am;
        if (const std::string* v = e->attr("type")) {
            auto t = toEnum(*e, "type", *v, kMixTypes);
            if (!t) return t.error();
            am.type = *t;
        }
        if (const std::string* v = e->attr("n")) {
            auto n = toUnsigned(*e, "n", *v);
            if (!n) return n.error();
            am.n = *n;
        }
        s.audioMixing = am;
    }
    if (const xml::Element* e = first(g[2])) {
        auto l = readVideoLayouts(*e, r);
        if (!l) return l.error();
        s.videoLayouts = std::move(*l);
    }
    if (const xml::Element* e = first(g[3])) {
        auto v = readVideoSwitch(*e, r);
        if (!v) return v.error();
        s.videoSwitch = std::move(*v);
    }
    if (const xml::Element* e = first(g[4])) {
        auto sub = readSubscribe(*e, r);
        if (!sub) return sub.error();
        s.subscribe = std::move(*sub);
    }
    return s;
}

// The children of createconference and modifyconference, in schema order.
constexpr Slot kConferenceSlots[] = {
    {"codecs"}, {"audio-mixing"}, {"video-layouts"}, {"video-switch"}, {"subscribe"}};

// ------------------------------------------------------------------ streams

Result<Volume> readVolume(const xml::Element& e, const Reader& r) {
    auto inner = r.content(e, {"controltype", "value"}, {});
    if (!inner) return inner.error();
    const std::string* ct = e.attr("controltype");
    if (!ct) return invalid(e, "missing required attribute 'controltype'");
    auto control = toEnum(e, "controltype", *ct, kControls);
    if (!control) return control.error();
    Volume v;
    v.control = *control;
    const std::string* value = e.attr("value");
    switch (v.control) {
        case VolumeControl::automatic:
            v.level = optionalAttr(e, "value");
            break;
        case VolumeControl::setgain: {
            if (!value) return invalid(e, "setgain needs a value in dB");
            auto gain = toGain(e, *value);
            if (!gain) return gain.error();
            v.gainDb = *gain;
            break;
        }
        case VolumeControl::setstate: {
            if (!value) return invalid(e, "setstate needs a value of mute or unmute");
            auto mute =
                toEnum<bool>(e, "setstate value", *value, {{"mute", true}, {"unmute", false}});
            if (!mute) return mute.error();
            v.mute = *mute;
            break;
        }
    }
    return v;
}

Result<Stream> readStream(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"media", "label", "direction"},
                       {{"volume"}, {"clamp"}, {"region"}, {"priority"}});
    if (!g) return g.error();
    Stream s;
    auto media = requiredId(e, "media");
    if (!media) return media.error();
    s.media = std::string(trim(*media));
    if (s.media.empty()) return invalid(e, "attribute 'media' is empty");
    s.label = optionalAttr(e, "label");
    if (const std::string* d = e.attr("direction")) {
        auto dir = toEnum(e, "direction", *d, kDirections);
        if (!dir) return dir.error();
        s.direction = *dir;
    }
    if (const xml::Element* ve = first((*g)[0])) {
        auto v = readVolume(*ve, r);
        if (!v) return v.error();
        s.volume = std::move(*v);
    }
    if (const xml::Element* ce = first((*g)[1])) {
        auto inner = r.content(*ce, {"tones"}, {});
        if (!inner) return inner.error();
        Clamp c;
        if (const std::string* tones = ce->attr("tones")) {
            c.tones.clear();
            std::string_view rest = *tones;
            while (true) {
                rest = trim(rest);
                if (rest.empty()) break;
                std::size_t end = 0;
                while (end < rest.size() && !isXmlSpace(rest[end])) ++end;
                c.tones.emplace_back(rest.substr(0, end));
                rest.remove_prefix(end);
            }
        }
        s.clamp = std::move(c);
    }
    if (const xml::Element* re = first((*g)[2])) {
        auto text = r.simpleText(*re);
        if (!text) return text.error();
        if (!isNmtoken(*text))
            return invalid(*re, "region must be a name token, not " + quoted(*text));
        s.region = std::string(*text);
    }
    if (const xml::Element* pe = first((*g)[3])) {
        auto text = r.simpleText(*pe);
        if (!text) return text.error();
        auto p = toPositive(*pe, "priority", *text);
        if (!p) return p.error();
        s.priority = *p;
    }
    return s;
}

template <typename T>
Result<T> readJoinLike(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"id1", "id2"}, {{"stream", true}});
    if (!g) return g.error();
    T out;
    auto id1 = requiredId(e, "id1");
    if (!id1) return id1.error();
    auto id2 = requiredId(e, "id2");
    if (!id2) return id2.error();
    out.id1 = std::move(*id1);
    out.id2 = std::move(*id2);
    for (const xml::Element* se : (*g)[0]) {
        auto s = readStream(*se, r);
        if (!s) return s.error();
        out.streams.push_back(std::move(*s));
    }
    return out;
}

// ------------------------------------------------------------------ root children

Result<Message> readCreateConference(const xml::Element& e, const Reader& r) {
    auto g =
        r.content(e, {"conferenceid", "reserved-talkers", "reserved-listeners"}, kConferenceSlots);
    if (!g) return g.error();
    CreateConference c;
    if (const std::string* id = e.attr("conferenceid")) {
        if (id->empty()) return invalid(e, "attribute 'conferenceid' is empty");
        c.conferenceId = *id;
    }
    if (const std::string* v = e.attr("reserved-talkers")) {
        auto n = toUnsigned(e, "reserved-talkers", *v);
        if (!n) return n.error();
        c.reservedTalkers = *n;
    }
    if (const std::string* v = e.attr("reserved-listeners")) {
        auto n = toUnsigned(e, "reserved-listeners", *v);
        if (!n) return n.error();
        c.reservedListeners = *n;
    }
    auto s = readSettings(*g, r);
    if (!s) return s.error();
    c.settings = std::move(*s);
    return Message(std::move(c));
}

Result<Message> readModifyConference(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"conferenceid"}, kConferenceSlots);
    if (!g) return g.error();
    ModifyConference m;
    auto id = requiredId(e, "conferenceid");
    if (!id) return id.error();
    m.conferenceId = std::move(*id);
    auto s = readSettings(*g, r);
    if (!s) return s.error();
    if (s->empty()) {
        return invalid(
            e,
            "needs at least one of codecs, audio-mixing, video-layouts, video-switch, subscribe");
    }
    m.settings = std::move(*s);
    return Message(std::move(m));
}

Result<Message> readDestroyConference(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"conferenceid"}, {});
    if (!g) return g.error();
    auto id = requiredId(e, "conferenceid");
    if (!id) return id.error();
    return Message(DestroyConference{std::move(*id)});
}

Result<Message> readJoin(const xml::Element& e, const Reader& r) {
    auto j = readJoinLike<Join>(e, r);
    if (!j) return j.error();
    return Message(std::move(*j));
}

Result<Message> readModifyJoin(const xml::Element& e, const Reader& r) {
    auto j = readJoinLike<ModifyJoin>(e, r);
    if (!j) return j.error();
    if (j->streams.empty()) return invalid(e, "needs at least one <stream>");
    return Message(std::move(*j));
}

Result<Message> readUnjoin(const xml::Element& e, const Reader& r) {
    auto j = readJoinLike<Unjoin>(e, r);
    if (!j) return j.error();
    return Message(std::move(*j));
}

Result<Message> readAudit(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"capabilities", "mixers", "conferenceid"}, {});
    if (!g) return g.error();
    Audit a;
    if (const std::string* v = e.attr("capabilities")) {
        auto b = toBool(e, "capabilities", *v);
        if (!b) return b.error();
        a.capabilities = *b;
    }
    if (const std::string* v = e.attr("mixers")) {
        auto b = toBool(e, "mixers", *v);
        if (!b) return b.error();
        a.mixers = *b;
    }
    a.conferenceId = optionalAttr(e, "conferenceid");
    return Message(std::move(a));
}

Result<Message> readResponse(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"status", "reason", "desclang", "conferenceid", "connectionid"}, {});
    if (!g) return g.error();
    Response resp;
    const std::string* st = e.attr("status");
    if (!st) return invalid(e, "missing required attribute 'status'");
    auto code = toStatus(e, *st);
    if (!code) return code.error();
    resp.status = *code;
    resp.reason = optionalAttr(e, "reason");
    MIXER_TRY(checkDesclang(e, resp.desclang));
    resp.conferenceId = optionalAttr(e, "conferenceid");
    resp.connectionId = optionalAttr(e, "connectionid");
    return Message(std::move(resp));
}

Result<ConferenceAudit> readConferenceAudit(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"conferenceid"}, {{"codecs"}, {"participants"}, {"video-layout"}});
    if (!g) return g.error();
    ConferenceAudit ca;
    auto id = requiredId(e, "conferenceid");
    if (!id) return id.error();
    ca.conferenceId = std::move(*id);
    if (const xml::Element* ce = first((*g)[0])) {
        auto c = readCodecs(*ce, r);
        if (!c) return c.error();
        ca.codecs = std::move(*c);
    }
    if (const xml::Element* pe = first((*g)[1])) {
        auto list = r.content(*pe, {}, {{"participant", true}});
        if (!list) return list.error();
        ca.participants.emplace();
        for (const xml::Element* p : (*list)[0]) {
            auto inner = r.content(*p, {"id"}, {});
            if (!inner) return inner.error();
            auto pid = requiredId(*p, "id");
            if (!pid) return pid.error();
            ca.participants->push_back(std::move(*pid));
        }
    }
    if (const xml::Element* le = first((*g)[2])) {
        auto l = readVideoLayout(*le, r);
        if (!l) return l.error();
        ca.videoLayout = std::move(*l);
    }
    return ca;
}

Result<Message> readAuditResponse(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"status", "reason", "desclang"}, {{"capabilities"}, {"mixers"}});
    if (!g) return g.error();
    AuditResponse ar;
    const std::string* st = e.attr("status");
    if (!st) return invalid(e, "missing required attribute 'status'");
    auto code = toStatus(e, *st);
    if (!code) return code.error();
    ar.status = *code;
    ar.reason = optionalAttr(e, "reason");
    MIXER_TRY(checkDesclang(e, ar.desclang));
    if (const xml::Element* ce = first((*g)[0])) {
        auto inner = r.content(*ce, {}, {{"codecs"}});
        if (!inner) return inner.error();
        const xml::Element* codecs = first((*inner)[0]);
        if (!codecs) return invalid(*ce, "missing required element <codecs>");
        auto c = readCodecs(*codecs, r);
        if (!c) return c.error();
        ar.capabilities = Capabilities{std::move(*c)};
    }
    if (const xml::Element* me = first((*g)[1])) {
        // RFC 6505 4.3.2.2: conferenceaudit and joinaudit in any order.
        auto inner =
            r.content(*me, {}, {{"conferenceaudit", true}, {"joinaudit", true}}, Order::any);
        if (!inner) return inner.error();
        Mixers m;
        for (const xml::Element* ca : (*inner)[0]) {
            auto a = readConferenceAudit(*ca, r);
            if (!a) return a.error();
            m.conferences.push_back(std::move(*a));
        }
        for (const xml::Element* ja : (*inner)[1]) {
            auto j = r.content(*ja, {"id1", "id2"}, {});
            if (!j) return j.error();
            auto id1 = requiredId(*ja, "id1");
            if (!id1) return id1.error();
            auto id2 = requiredId(*ja, "id2");
            if (!id2) return id2.error();
            m.joins.push_back(JoinAudit{std::move(*id1), std::move(*id2)});
        }
        ar.mixers = std::move(m);
    }
    return Message(std::move(ar));
}

Result<ActiveTalkersNotify> readActiveTalkers(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"conferenceid"}, {{"active-talker", true}});
    if (!g) return g.error();
    ActiveTalkersNotify n;
    auto id = requiredId(e, "conferenceid");
    if (!id) return id.error();
    n.conferenceId = std::move(*id);
    for (const xml::Element* te : (*g)[0]) {
        auto inner = r.content(*te, {"connectionid", "conferenceid"}, {});
        if (!inner) return inner.error();
        const std::string* conn = te->attr("connectionid");
        const std::string* conf = te->attr("conferenceid");
        if ((conn == nullptr) == (conf == nullptr)) {
            if (!r.strict()) continue;  // describes no talker (RFC 6505 4.2.4.1.1)
            return invalid(*te, "needs exactly one of connectionid and conferenceid");
        }
        if (conn)
            n.talkers.push_back(ActiveTalker{ActiveTalker::Kind::connection, *conn});
        else
            n.talkers.push_back(ActiveTalker{ActiveTalker::Kind::conference, *conf});
    }
    return n;
}

Result<UnjoinNotify> readUnjoinNotify(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"status", "reason", "desclang", "id1", "id2"}, {});
    if (!g) return g.error();
    UnjoinNotify n;
    const std::string* st = e.attr("status");
    if (!st) return invalid(e, "missing required attribute 'status'");
    auto code = toUnsigned(e, "status", *st);
    if (!code) return code.error();
    n.status = *code;
    n.reason = optionalAttr(e, "reason");
    MIXER_TRY(checkDesclang(e, n.desclang));
    auto id1 = requiredId(e, "id1");
    if (!id1) return id1.error();
    auto id2 = requiredId(e, "id2");
    if (!id2) return id2.error();
    n.id1 = std::move(*id1);
    n.id2 = std::move(*id2);
    return n;
}

Result<ConferenceExit> readConferenceExit(const xml::Element& e, const Reader& r) {
    auto g = r.content(e, {"conferenceid", "status", "reason", "desclang"}, {});
    if (!g) return g.error();
    ConferenceExit x;
    auto id = requiredId(e, "conferenceid");
    if (!id) return id.error();
    x.conferenceId = std::move(*id);
    const std::string* st = e.attr("status");
    if (!st) return invalid(e, "missing required attribute 'status'");
    auto code = toUnsigned(e, "status", *st);
    if (!code) return code.error();
    x.status = *code;
    x.reason = optionalAttr(e, "reason");
    MIXER_TRY(checkDesclang(e, x.desclang));
    return x;
}

Result<Message> readEvent(const xml::Element& e, const Reader& r) {
    auto g = r.content(
        e, {}, {{"active-talkers-notify", true}, {"unjoin-notify", true}, {"conferenceexit", true}},
        Order::any);
    if (!g) return g.error();
    std::size_t count = (*g)[0].size() + (*g)[1].size() + (*g)[2].size();
    if (count == 0) return invalid(e, "carries no notification");
    if (count > 1) return invalid(e, "carries more than one notification");
    if (const xml::Element* n = first((*g)[0])) {
        auto v = readActiveTalkers(*n, r);
        if (!v) return v.error();
        return Message(Event(std::move(*v)));
    }
    if (const xml::Element* n = first((*g)[1])) {
        auto v = readUnjoinNotify(*n, r);
        if (!v) return v.error();
        return Message(Event(std::move(*v)));
    }
    auto v = readConferenceExit(*first((*g)[2]), r);
    if (!v) return v.error();
    return Message(Event(std::move(*v)));
}

using ChildReader = Result<Message> (*)(const xml::Element&, const Reader&);

constexpr std::pair<std::string_view, ChildReader> kChildReaders[] = {
    {"createconference", readCreateConference},
    {"modifyconference", readModifyConference},
    {"destroyconference", readDestroyConference},
    {"join", readJoin},
    {"modifyjoin", readModifyJoin},
    {"unjoin", readUnjoin},
    {"audit", readAudit},
    {"response", readResponse},
    {"auditresponse", readAuditResponse},
    {"event", readEvent},
};

// The root's desclang applies to reasons of children that name none (RFC 6505 4.1).
struct FoldDesclang {
    const std::optional<std::string>& root;
    void apply(std::optional<std::string>& d) const {
        if (!d) d = root;
    }
    void operator()(Response& m) const { apply(m.desclang); }
    void operator()(AuditResponse& m) const { apply(m.desclang); }
    void operator()(Event& ev) const {
        std::visit(
            [this](auto& n) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(n)>, ActiveTalkersNotify>)
                    apply(n.desclang);
            },
            ev);
    }
    template <typename T>
    void operator()(T&) const {}
};

Result<Message> readRoot(const xml::Element& root, const Reader& r) {
    if (!root.is(kNamespace, "mscmixer")) {
        return Error(status::kSyntaxError, "root element must be <mscmixer> in namespace " +
                                               std::string(kNamespace) + ", not {" + root.ns + "}" +
                                               root.local);
    }
    MIXER_TRY(r.attributes(root, {"version", "desclang"}));
    const std::string* version = root.attr("version");
    if (!version) return invalid(root, "missing required attribute 'version'");
    if (trim(*version) != kVersion)
        return invalid(root, "version must be 1.0, not " + quoted(*version));
    std::optional<std::string> desclang;
    MIXER_TRY(checkDesclang(root, desclang));
    if (!trim(root.text).empty()) return invalid(root, "character data is not allowed here");

    const xml::Element* child = nullptr;
    for (const auto& c : root.children) {
        if (c.ns != kNamespace) {
            if (c.ns.empty()) return invalid(root, "element <" + c.local + "> has no namespace");
            if (r.strict())
                return unsupported(root, "unsupported foreign element {" + c.ns + "}" + c.local);
            continue;
        }
        if (child) return invalid(root, "must hold exactly one request, response or event");
        child = &c;
    }
    if (!child) return invalid(root, "holds no request, response or event");
    auto it = std::find_if(std::begin(kChildReaders), std::end(kChildReaders),
                           [&](const auto& entry) { return entry.first == child->local; });
    if (it == std::end(kChildReaders))
        return invalid(root, "unknown element <" + child->local + ">");
    auto message = it->second(*child, r);
    if (message && desclang) std::visit(FoldDesclang{desclang}, *message);
    return message;
}

}  // namespace

Decoded decode(std::string_view body, const ParseOptions& options) {
    auto doc = xml::parse(body, options.limits);
    if (!doc) {
        // The XML layer reports 400; keep its reason (where the document broke).
        return Decoded{Error(status::kSyntaxError, doc.error().message), false};
    }
    Reader reader(options.leniency);
    return Decoded{readRoot(*doc, reader), true};
}

Result<Message> parse(std::string_view body, const ParseOptions& options) {
    return decode(body, options).message;
}

}  // namespace parley::proto::mixer

// Typed message -> msc-mixer/1.0 document. See mixer_codec.hpp for the contract.

#include <charconv>
#include <string>
#include <type_traits>

#include "proto/packages/mixer/mixer_codec.hpp"

namespace parley::proto::mixer {

std::string_view toString(Direction d) {
    switch (d) {
        case Direction::sendrecv:
            return "sendrecv";
        case Direction::sendonly:
            return "sendonly";
        case Direction::recvonly:
            return "recvonly";
        case Direction::inactive:
            return "inactive";
    }
    return "sendrecv";
}

std::string_view toString(VolumeControl c) {
    switch (c) {
        case VolumeControl::automatic:
            return "automatic";
        case VolumeControl::setgain:
            return "setgain";
        case VolumeControl::setstate:
            return "setstate";
    }
    return "automatic";
}

std::string_view toString(AudioMixType t) {
    return t == AudioMixType::controller ? "controller" : "nbest";
}

std::string_view toString(XconLayout l) {
    switch (l) {
        case XconLayout::singleView:
            return "single-view";
        case XconLayout::dualView:
            return "dual-view";
        case XconLayout::dualViewCrop:
            return "dual-view-crop";
        case XconLayout::dualView2x1:
            return "dual-view-2x1";
        case XconLayout::dualView2x1Crop:
            return "dual-view-2x1-crop";
        case XconLayout::quadView:
            return "quad-view";
        case XconLayout::multiple3x3:
            return "multiple-3x3";
        case XconLayout::multiple4x4:
            return "multiple-4x4";
        case XconLayout::multiple5x1:
            return "multiple-5x1";
    }
    return "single-view";
}

std::string_view toString(VideoSwitchPolicy p) {
    return p == VideoSwitchPolicy::controller ? "controller" : "vas";
}

std::string_view elementName(const Message& m) {
    static constexpr std::string_view kNames[] = {"createconference",
                                                  "modifyconference",
                                                  "destroyconference",
                                                  "join",
                                                  "modifyjoin",
                                                  "unjoin",
                                                  "audit",
                                                  "response",
                                                  "auditresponse",
                                                  "event"};
    static_assert(std::size(kNames) == std::variant_size_v<Message>);
    return kNames[m.index()];
}

std::string formatGainDb(double db) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, db, std::chars_format::fixed);
    std::string out = ec == std::errc() ? std::string(buf, ptr) : std::string("0");
    if (db > 0) out.insert(out.begin(), '+');
    return out;
}

namespace {

class Emitter {
  public:
    explicit Emitter(xml::Writer& w) : w_(w) {}

    void optional(std::string_view name, const std::optional<std::string>& v) {
        if (v) w_.attr(name, *v);
    }
    void number(std::string_view name, std::uint64_t v) { w_.attr(name, std::to_string(v)); }

    void foreign(const ForeignElement& f) {
        w_.open(f.local).attr("xmlns", f.ns);
        if (!f.text.empty()) w_.text(f.text);
        w_.close();
    }

    void codecs(const std::vector<Codec>& list) {
        w_.open("codecs");
        for (const Codec& c : list) {
            w_.open("codec").attr("name", c.name);
            w_.open("subtype").text(c.subtype).close();
            if (!c.params.empty()) {
                w_.open("params");
                for (const Param& p : c.params) {
                    w_.open("param").attr("name", p.name);
                    if (p.type != "text/plain") w_.attr("type", p.type);
                    optional("encoding", p.encoding);
                    if (!p.value.empty()) w_.text(p.value);
                    w_.close();
                }
                w_.close();
            }
            w_.close();
        }
        w_.close();
    }

    void videoLayout(const VideoLayout& l) {
        w_.open("video-layout");
        if (l.minParticipants != 1) number("min-participants", l.minParticipants);
        if (const auto* x = std::get_if<XconLayout>(&l.layout)) {
            w_.leaf(toString(*x));
        } else {
            foreign(std::get<ForeignElement>(l.layout));
        }
        w_.close();
    }

    void settings(const ConferenceSettings& s) {
        if (s.codecs) codecs(*s.codecs);
        if (s.audioMixing) {
            w_.open("audio-mixing").attr("type", toString(s.audioMixing->type));
            if (s.audioMixing->n != 0) number("n", s.audioMixing->n);
            w_.close();
        }
        if (s.videoLayouts) {
            w_.open("video-layouts");
            for (const VideoLayout& l : *s.videoLayouts) videoLayout(l);
            w_.close();
        }
        if (s.videoSwitch) {
            const VideoSwitch& vs = *s.videoSwitch;
            w_.open("video-switch");
            if (vs.interval != std::chrono::seconds(3))
                number("interval", static_cast<std::uint64_t>(vs.interval.count()));
            if (vs.activeSpeakerMix) w_.attr("activespeakermix", "true");
            if (const auto* p = std::get_if<VideoSwitchPolicy>(&vs.policy)) {
                w_.leaf(toString(*p));
            } else {
                foreign(std::get<ForeignElement>(vs.policy));
            }
            w_.close();
        }
        if (s.subscribe) {
            w_.open("subscribe");
            if (s.subscribe->activeTalkers) {
                w_.open("active-talkers-sub");
                number("interval",
                       static_cast<std::uint64_t>(s.subscribe->activeTalkers->interval.count()));
                w_.close();
            }
            w_.close();
        }
    }

    void stream(const Stream& s) {
        w_.open("stream").attr("media", s.media);
        optional("label", s.label);
        w_.attr("direction", toString(s.direction));
        if (s.volume) {
            const Volume& v = *s.volume;
            w_.open("volume").attr("controltype", toString(v.control));
            switch (v.control) {
                case VolumeControl::automatic:
                    optional("value", v.level);
                    break;
                case VolumeControl::setgain:
                    w_.attr("value", formatGainDb(v.gainDb));
                    break;
                case VolumeControl::setstate:
                    w_.attr("value", v.mute ? "mute" : "unmute");
                    break;
            }
            w_.close();
        }
        if (s.clamp) {
            std::string tones;
            for (const std::string& t : s.clamp->tones) {
                if (!tones.empty()) tones += ' ';
                tones += t;
            }
            w_.open("clamp");
            if (tones != kDefaultClampTones) w_.attr("tones", tones);
            w_.close();
        }
        if (s.region) w_.open("region").text(*s.region).close();
        if (s.priority) w_.open("priority").text(std::to_string(*s.priority)).close();
        w_.close();
    }

    void joinLike(std::string_view name, const std::string& id1, const std::string& id2,
                  const std::vector<Stream>& streams) {
        w_.open(name).attr("id1", id1).attr("id2", id2);
        for (const Stream& s : streams) stream(s);
        w_.close();
    }

    void replyHead(int status, const std::optional<std::string>& reason,
                   const std::optional<std::string>& desclang) {
        w_.attr("status", std::to_string(status));
        optional("reason", reason);
        optional("desclang", desclang);
    }

    // ---- one overload per message

    void operator()(const CreateConference& m) {
        w_.open("createconference");
        optional("conferenceid", m.conferenceId);
        if (m.reservedTalkers != 0) number("reserved-talkers", m.reservedTalkers);
        if (m.reservedListeners != 0) number("reserved-listeners", m.reservedListeners);
        settings(m.settings);
        w_.close();
    }
    void operator()(const ModifyConference& m) {
        w_.open("modifyconference").attr("conferenceid", m.conferenceId);
        settings(m.settings);
        w_.close();
    }
    void operator()(const DestroyConference& m) {
        w_.leaf("destroyconference", {{"conferenceid", m.conferenceId}});
    }
    void operator()(const Join& m) { joinLike("join", m.id1, m.id2, m.streams); }
    void operator()(const ModifyJoin& m) { joinLike("modifyjoin", m.id1, m.id2, m.streams); }
    void operator()(const Unjoin& m) { joinLike("unjoin", m.id1, m.id2, m.streams); }
    void operator()(const Audit& m) {
        w_.open("audit");
        if (!m.capabilities) w_.attr("capabilities", "false");
        if (!m.mixers) w_.attr("mixers", "false");
        optional("conferenceid", m.conferenceId);
        w_.close();
    }
    void operator()(const Response& m) {
        w_.open("response");
        replyHead(m.status, m.reason, m.desclang);
        optional("conferenceid", m.conferenceId);
        optional("connectionid", m.connectionId);
        w_.close();
    }
    void operator()(const AuditResponse& m) {
        w_.open("auditresponse");
        replyHead(m.status, m.reason, m.desclang);
        if (m.capabilities) {
            w_.open("capabilities");
            codecs(m.capabilities->codecs);
            w_.close();
        }
        if (m.mixers) {
            w_.open("mixers");
            for (const ConferenceAudit& ca : m.mixers->conferences) {
                w_.open("conferenceaudit").attr("conferenceid", ca.conferenceId);
                if (ca.codecs) codecs(*ca.codecs);
                if (ca.participants) {
                    w_.open("participants");
                    for (const std::string& p : *ca.participants)
                        w_.leaf("participant", {{"id", p}});
                    w_.close();
                }
                if (ca.videoLayout) videoLayout(*ca.videoLayout);
                w_.close();
            }
            for (const JoinAudit& ja : m.mixers->joins)
                w_.leaf("joinaudit", {{"id1", ja.id1}, {"id2", ja.id2}});
            w_.close();
        }
        w_.close();
    }
    void operator()(const Event& ev) {
        w_.open("event");
        std::visit(*this, ev);
        w_.close();
    }
    void operator()(const ActiveTalkersNotify& n) {
        w_.open("active-talkers-notify").attr("conferenceid", n.conferenceId);
        for (const ActiveTalker& t : n.talkers) {
            w_.leaf("active-talker",
                    {{t.kind == ActiveTalker::Kind::connection ? "connectionid" : "conferenceid",
                      t.id}});
        }
        w_.close();
    }
    void operator()(const UnjoinNotify& n) {
        w_.open("unjoin-notify");
        number("status", n.status);
        optional("reason", n.reason);
        optional("desclang", n.desclang);
        w_.attr("id1", n.id1).attr("id2", n.id2);
        w_.close();
    }
    void operator()(const ConferenceExit& n) {
        w_.open("conferenceexit").attr("conferenceid", n.conferenceId);
        number("status", n.status);
        optional("reason", n.reason);
        optional("desclang", n.desclang);
        w_.close();
    }

  private:
    xml::Writer& w_;
};

}  // namespace

std::string serialize(const Message& message) {
    xml::Writer w;
    w.open("mscmixer").attr("version", kVersion).attr("xmlns", kNamespace);
    Emitter emitter(w);
    std::visit(emitter, message);
    return w.finish();
}

}  // namespace parley::proto::mixer

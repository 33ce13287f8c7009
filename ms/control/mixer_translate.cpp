#include "ms/control/mixer_translate.hpp"

#include <cstdlib>

#include "proto/cfw/message.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::ms {

namespace pm = proto::mixer;
using common::Error;

namespace {

mixer::Direction toDirection(pm::Direction d) {
    switch (d) {
        case pm::Direction::sendrecv:
            return mixer::Direction::sendrecv;
        case pm::Direction::sendonly:
            return mixer::Direction::sendonly;
        case pm::Direction::recvonly:
            return mixer::Direction::recvonly;
        case pm::Direction::inactive:
            return mixer::Direction::inactive;
    }
    return mixer::Direction::inactive;
}

std::optional<double> parseLevel(const std::optional<std::string>& level) {
    if (!level || level->empty()) return std::nullopt;
    const char* begin = level->c_str();
    char* end = nullptr;
    double v = std::strtod(begin, &end);
    while (end && (*end == ' ' || *end == 'd' || *end == 'B' || *end == 'F' || *end == 'S' ||
                   *end == 'b' || *end == 'f' || *end == 's'))
        ++end;
    if (end == begin || (end && *end != '\0') || v > 0.0 || v < -96.0) return std::nullopt;
    return v;
}

mixer::VolumeRequest toVolume(const pm::Volume& v) {
    switch (v.control) {
        case pm::VolumeControl::setgain:
            return mixer::VolumeRequest::gain(v.gainDb);
        case pm::VolumeControl::setstate:
            return mixer::VolumeRequest::muted(v.mute);
        case pm::VolumeControl::automatic:
            return mixer::VolumeRequest::automatic(parseLevel(v.level));
    }
    return mixer::VolumeRequest::gain(0.0);
}

mixer::MixType toMixType(pm::AudioMixType t) {
    return t == pm::AudioMixType::controller ? mixer::MixType::controller : mixer::MixType::nbest;
}

bool mixable(const pm::Codec& c) {
    using proto::cfw::equalsIgnoreCase;
    return equalsIgnoreCase(c.name, "audio") &&
           (equalsIgnoreCase(c.subtype, "PCMU") || equalsIgnoreCase(c.subtype, "PCMA") ||
            equalsIgnoreCase(c.subtype, "telephone-event"));
}

}  // namespace

std::vector<mixer::StreamRequest> toStreamRequests(const std::vector<pm::Stream>& streams) {
    std::vector<mixer::StreamRequest> out;
    out.reserve(streams.size());
    for (const auto& s : streams) {
        mixer::StreamRequest r;
        r.media = s.media;
        r.label = s.label;
        r.direction = toDirection(s.direction);
        if (s.volume) r.volume = toVolume(*s.volume);
        if (s.clamp) r.clampTones = s.clamp->tones;
        r.priority = s.priority;
        out.push_back(std::move(r));
    }
    return out;
}

common::Status checkConferenceSettings(const pm::ConferenceSettings& settings) {
    if (settings.codecs) {
        for (const auto& c : *settings.codecs) {
            if (!mixable(c))
                return Error(pm::status::kCodecsUnsupported,
                             "codec " + c.name + "/" + c.subtype +
                                 " cannot be mixed (audio PCMU, PCMA, telephone-event)");
        }
    }
    if (settings.videoLayouts) {
        for (const auto& l : *settings.videoLayouts) {
            if (const auto* f = std::get_if<pm::ForeignElement>(&l.layout))
                return Error(pm::status::kVideoLayoutsUnsupported,
                             "video layout " + f->local + " (" + f->ns + ") is not supported");
        }
    }
    if (settings.videoSwitch) {
        if (const auto* f = std::get_if<pm::ForeignElement>(&settings.videoSwitch->policy))
            return Error(pm::status::kVideoSwitchUnsupported,
                         "video switch policy " + f->local + " (" + f->ns + ") is not supported");
    }
    return {};
}

mixer::ConferenceRequest toConferenceRequest(const pm::CreateConference& m) {
    mixer::ConferenceRequest r;
    r.conferenceId = m.conferenceId;
    r.reservedTalkers = m.reservedTalkers;
    r.reservedListeners = m.reservedListeners;
    if (m.settings.audioMixing) {
        r.mixType = toMixType(m.settings.audioMixing->type);
        r.n = m.settings.audioMixing->n;
    }
    if (m.settings.subscribe && m.settings.subscribe->activeTalkers)
        r.activeTalkersInterval = m.settings.subscribe->activeTalkers->interval;
    return r;
}

mixer::ConferenceChange toConferenceChange(const pm::ConferenceSettings& settings) {
    mixer::ConferenceChange c;
    if (settings.audioMixing) {
        c.mixType = toMixType(settings.audioMixing->type);
        c.n = settings.audioMixing->n;
    }
    if (settings.subscribe && settings.subscribe->activeTalkers)
        c.activeTalkersInterval = settings.subscribe->activeTalkers->interval;
    return c;
}

pm::Event toEvent(const mixer::UnjoinNotice& n) {
    pm::UnjoinNotify e;
    e.status = n.status;
    e.id1 = n.id1;
    e.id2 = n.id2;
    switch (n.status) {
        case mixer::kUnjoinRequested:
            e.reason = "unjoined on request";
            break;
        case mixer::kUnjoinTerminated:
            e.reason = "a connection or conference ended";
            break;
        default:
            e.reason = "execution error";
    }
    return e;
}

pm::Event toEvent(const mixer::ConferenceExitNotice& n) {
    pm::ConferenceExit e;
    e.conferenceId = n.conferenceId;
    e.status = n.status;
    e.reason = n.status == mixer::kExitDestroyed ? "conference destroyed" : "conference ended";
    return e;
}

pm::Event toEvent(const mixer::ActiveTalkersReport& r) {
    pm::ActiveTalkersNotify e;
    e.conferenceId = r.conferenceId;
    for (const auto& t : r.talkers) {
        pm::ActiveTalker a;
        a.kind = t.kind == mixer::EntityKind::conference ? pm::ActiveTalker::Kind::conference
                                                         : pm::ActiveTalker::Kind::connection;
        a.id = t.id;
        e.talkers.push_back(std::move(a));
    }
    return e;
}

}  // namespace parley::ms

#include "proto/sdp/audio_answer.hpp"

#include "proto/sdp/ascii.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace parley::proto::sdp {

namespace {

using detail::equalsIgnoreCase;

const CodecCapability* findCodec(const RtpMap& offered, const AudioCapabilities& caps) {
    for (const auto& c : caps.codecs) {
        if (equalsIgnoreCase(c.encoding, offered.encoding) && c.clockRate == offered.clockRate &&
            c.channels == offered.channels)
            return &c;
    }
    return nullptr;
}

bool isSavp(const Media& m) { return equalsIgnoreCase(m.proto, "RTP/SAVP"); }
bool isAvp(const Media& m) { return equalsIgnoreCase(m.proto, "RTP/AVP"); }

// The first offered crypto line whose suite we hold a key for, answered with our key.
std::optional<Crypto> chooseCrypto(const Media& offered, const AudioCapabilities& caps) {
    for (const auto& o : offered.crypto) {
        for (const auto& local : caps.srtp) {
            if (local.suite == o.suite) {
                return Crypto{o.tag, o.suite, local.keyParams, local.sessionParams};
            }
        }
    }
    return std::nullopt;
}

struct Match {
    std::vector<std::string> formats;
    std::vector<RtpMap> rtpmaps;
    std::map<unsigned, std::string> fmtp;
    std::optional<Crypto> crypto;
};

// Common codecs in the offer's order, or nullopt when the m-line cannot be accepted.
std::optional<Match> match(const Media& offered, const AudioCapabilities& caps) {
    if (!equalsIgnoreCase(offered.type, "audio") || offered.rejected()) return std::nullopt;
    Match out;
    if (isSavp(offered)) {
        out.crypto = chooseCrypto(offered, caps);
        if (!out.crypto) return std::nullopt;
    } else if (!isAvp(offered)) {
        return std::nullopt;
    }
    bool primary = false;
    for (const auto& f : offered.formats) {
        // Formats of an RTP m-line are payload type numbers; rtpmaps follow their order.
        auto it = std::find_if(offered.rtpmaps.begin(), offered.rtpmaps.end(),
                               [&f](const RtpMap& r) { return std::to_string(r.pt) == f; });
        if (it == offered.rtpmaps.end()) continue;
        const RtpMap& r = *it;
        if (std::find(out.formats.begin(), out.formats.end(), f) != out.formats.end()) continue;
        const CodecCapability* cap = findCodec(r, caps);
        if (!cap) continue;
        out.formats.push_back(f);
        out.rtpmaps.push_back(r);
        if (!cap->fmtp.empty()) out.fmtp.emplace(r.pt, cap->fmtp);
        primary = primary || !cap->auxiliary;
    }
    if (!primary) return std::nullopt;
    return out;
}

}  // namespace

AudioCapabilities defaultAudioCapabilities() {
    AudioCapabilities caps;
    caps.codecs = {
        CodecCapability{"PCMU", 8000, 1, 0, "", false},
        CodecCapability{"PCMA", 8000, 1, 8, "", false},
        CodecCapability{"telephone-event", 8000, 1, 101, "0-15", true},
    };
    caps.ptimeMs = 20;
    return caps;
}

bool isAcceptableAudio(const Media& offered, const AudioCapabilities& caps) {
    return match(offered, caps).has_value();
}

Session answerAudioOffer(const Session& offer, const AudioAnswerParams& p) {
    Session s;
    s.origin = p.origin;
    s.name = p.sessionName;
    s.connection = p.address;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const Media& offered = offer.media[i];
        const std::uint16_t port = i < p.ports.size() ? p.ports[i] : 0;
        auto m = port != 0 ? match(offered, p.caps) : std::nullopt;
        if (!m) {
            s.media.push_back(rejectedAnswer(offered));
            continue;
        }
        Media a;
        a.type = "audio";
        a.port = port;
        a.proto = offered.proto;
        a.formats = std::move(m->formats);
        a.rtpmaps = std::move(m->rtpmaps);
        a.fmtp = std::move(m->fmtp);
        if (m->crypto) a.crypto.push_back(std::move(*m->crypto));
        a.direction = intersect(reverse(offered.direction), p.caps.direction);
        if (p.caps.ptimeMs != 0) a.ptime = p.caps.ptimeMs;
        if (offered.label) {
            a.label = offered.label;
        } else if (i < p.labels.size() && !p.labels[i].empty()) {
            a.label = p.labels[i];
        } else {
            a.label = "stream" + std::to_string(i);
        }
        s.media.push_back(std::move(a));
    }
    return s;
}

Session makeAudioOffer(const AudioOfferParams& p) {
    Session s;
    s.origin = p.origin;
    s.name = p.sessionName;
    s.connection = p.address;
    Media m;
    m.type = "audio";
    m.port = p.port;
    m.proto = p.caps.srtp.empty() ? "RTP/AVP" : "RTP/SAVP";
    for (const auto& c : p.caps.codecs) {
        const std::string pt = std::to_string(c.payloadType);
        if (std::find(m.formats.begin(), m.formats.end(), pt) != m.formats.end()) continue;
        m.formats.push_back(pt);
        m.rtpmaps.push_back(RtpMap{c.payloadType, c.encoding, c.clockRate, c.channels});
        if (!c.fmtp.empty()) m.fmtp.emplace(c.payloadType, c.fmtp);
    }
    unsigned tag = 1;
    for (const auto& c : p.caps.srtp) {
        m.crypto.push_back(Crypto{tag++, c.suite, c.keyParams, c.sessionParams});
    }
    m.direction = p.caps.direction;
    if (p.caps.ptimeMs != 0) m.ptime = p.caps.ptimeMs;
    if (!p.label.empty()) m.label = p.label;
    s.media.push_back(std::move(m));
    return s;
}

bool hasActiveMedia(const Session& session) {
    return std::any_of(session.media.begin(), session.media.end(),
                       [](const Media& m) { return !m.rejected(); });
}

}  // namespace parley::proto::sdp

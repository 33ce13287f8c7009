#include "ms/sip/media_sdp.hpp"

#include <charconv>

#include "proto/cfw/message.hpp"
#include "proto/sdp/wire.hpp"

namespace parley::ms {

namespace sdp = proto::sdp;
using common::Error;

namespace {

sdp::Origin originOf(const MediaSdpIdentity& id) {
    sdp::Origin o;
    o.username = "parley-ms";
    o.sessionId = id.sessionId;
    o.version = id.version;
    o.addrType =
        id.address.find(':') != std::string::npos ? sdp::AddrType::IP6 : sdp::AddrType::IP4;
    o.address = id.address;
    return o;
}

sdp::Connection connectionOf(const MediaSdpIdentity& id) {
    sdp::Connection c;
    c.addrType =
        id.address.find(':') != std::string::npos ? sdp::AddrType::IP6 : sdp::AddrType::IP4;
    c.address = id.address;
    return c;
}

rtp::MediaDirection toRtp(sdp::Direction d) {
    switch (d) {
        case sdp::Direction::SendRecv:
            return rtp::MediaDirection::SendRecv;
        case sdp::Direction::SendOnly:
            return rtp::MediaDirection::SendOnly;
        case sdp::Direction::RecvOnly:
            return rtp::MediaDirection::RecvOnly;
        case sdp::Direction::Inactive:
            return rtp::MediaDirection::Inactive;
    }
    return rtp::MediaDirection::Inactive;
}

common::SocketAddress addressOf(const std::string& host, std::uint16_t port) {
    auto a = common::SocketAddress::fromHostPort(host, port);
    return a ? *a : common::SocketAddress();
}

}  // namespace

common::Result<std::size_t> pickAudioStream(const sdp::Session& offer) {
    const sdp::AudioCapabilities caps = sdp::defaultAudioCapabilities();
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        if (sdp::isAcceptableAudio(offer.media[i], caps)) return i;
    }
    return Error(488, "no audio stream with PCMU or PCMA over RTP/AVP");
}

rtp::MediaParams mediaParams(const sdp::Session& remote, const sdp::Media& remoteMedia,
                             const sdp::Media& negotiated, sdp::Direction ourDirection) {
    rtp::MediaParams p;
    p.formats.clear();
    for (const auto& r : negotiated.rtpmaps) {
        if (r.pt > 127 || r.clockRate != 8000) continue;
        if (proto::cfw::equalsIgnoreCase(r.encoding, "PCMU")) {
            p.formats.push_back({static_cast<std::uint8_t>(r.pt), rtp::Codec::Pcmu});
        } else if (proto::cfw::equalsIgnoreCase(r.encoding, "PCMA")) {
            p.formats.push_back({static_cast<std::uint8_t>(r.pt), rtp::Codec::Pcma});
        } else if (proto::cfw::equalsIgnoreCase(r.encoding, "telephone-event")) {
            p.formats.push_back({static_cast<std::uint8_t>(r.pt), rtp::Codec::TelephoneEvent});
        }
    }
    if (remoteMedia.rejected() || negotiated.rejected()) {
        p.direction = rtp::MediaDirection::Inactive;
        return p;  // remoteRtp invalid: nothing is sent
    }
    p.direction = toRtp(ourDirection);
    auto conn = sdp::effectiveConnection(remote, remoteMedia);
    if (conn) p.remoteRtp = addressOf(conn->address, remoteMedia.port);
    // RFC 3605 a=rtcp:<port> [IN IP4 <address>]
    if (const sdp::Attribute* a = remoteMedia.attribute("rtcp")) {
        unsigned port = 0;
        const std::string& v = a->value;
        auto r = std::from_chars(v.data(), v.data() + v.size(), port);
        if (r.ec == std::errc() && port > 0 && port < 65536) {
            std::string host = conn ? conn->address : std::string();
            auto sp = v.rfind(' ');
            if (sp != std::string::npos && sp + 1 < v.size()) host = v.substr(sp + 1);
            p.remoteRtcp = addressOf(host, static_cast<std::uint16_t>(port));
        }
    }
    return p;
}

common::Result<MediaAnswer> answerMediaOffer(const sdp::Session& offer, std::size_t index,
                                             std::uint16_t port, const std::string& label,
                                             const MediaSdpIdentity& id) {
    if (index >= offer.media.size())
        return Error(488, "the offer has " + std::to_string(offer.media.size()) +
                              " m-lines; the audio stream was m-line " + std::to_string(index + 1));
    const sdp::Media& offered = offer.media[index];
    const sdp::AudioCapabilities caps = sdp::defaultAudioCapabilities();
    const bool disabled = offered.rejected() || port == 0;
    if (!disabled && !sdp::isAcceptableAudio(offered, caps))
        return Error(
            488, "m-line " + std::to_string(index + 1) + " has no codec in common (PCMU, PCMA)");

    sdp::AudioAnswerParams ap;
    ap.origin = originOf(id);
    ap.address = connectionOf(id);
    ap.ports.assign(offer.media.size(), 0);
    ap.labels.assign(offer.media.size(), std::string());
    if (!disabled) ap.ports[index] = port;
    ap.labels[index] = label;
    ap.caps = caps;
    sdp::Session answer = sdp::answerAudioOffer(offer, ap);
    for (std::size_t i = 0; i < answer.media.size(); ++i) {
        sdp::Media& m = answer.media[i];
        if (m.label) continue;
        if (offer.media[i].label)
            m.label = offer.media[i].label;
        else
            m.label = i == index && !label.empty() ? label : "stream" + std::to_string(i);
    }
    MediaAnswer out;
    out.label = answer.media[index].label.value_or(label);
    out.params = mediaParams(offer, offered, answer.media[index], answer.media[index].direction);
    out.sdp = sdp::print(answer);
    return out;
}

std::string makeMediaOffer(std::uint16_t port, const std::string& label,
                           const MediaSdpIdentity& id) {
    sdp::AudioOfferParams op;
    op.origin = originOf(id);
    op.address = connectionOf(id);
    op.port = port;
    op.label = label;
    return sdp::print(sdp::makeAudioOffer(op));
}

common::Result<rtp::MediaParams> paramsFromAnswer(std::string_view answerSdp) {
    auto answer = sdp::parse(answerSdp);
    if (!answer) return Error(488, "unreadable SDP answer: " + answer.error().message);
    if (answer->media.empty()) return Error(488, "the SDP answer has no m-line");
    const sdp::Media& m = answer->media[0];
    if (m.rejected()) return Error(488, "the answer rejected the audio stream");
    rtp::MediaParams p = mediaParams(*answer, m, m, sdp::reverse(m.direction));
    bool audio = false;
    for (const auto& f : p.formats) audio = audio || f.codec != rtp::Codec::TelephoneEvent;
    if (!audio) return Error(488, "the answer has no PCMU or PCMA");
    return p;
}

}  // namespace parley::ms

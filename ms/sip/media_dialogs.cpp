#include "ms/sip/media_dialogs.hpp"

#include <chrono>

#include "common/log.hpp"
#include "ms/sip/control_offer.hpp"
#include "proto/cfw/message.hpp"
#include "proto/sdp/wire.hpp"

namespace parley::ms {

namespace sip = proto::sip;
namespace sdp = proto::sdp;

namespace {

Poco::Logger& log() {
    return common::logger("ms.sip");
}

std::string_view mediaTypeOf(std::string_view value) {
    value = value.substr(0, value.find(';'));
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return value;
}

}  // namespace

std::string uriHostPort(std::string_view uri) {
    auto lt = uri.find('<');
    if (lt != std::string_view::npos) {
        uri.remove_prefix(lt + 1);
        uri = uri.substr(0, uri.find('>'));
    }
    auto colon = uri.find(':');
    if (colon == std::string_view::npos) return {};
    uri.remove_prefix(colon + 1);  // scheme
    if (auto at = uri.find('@'); at != std::string_view::npos) uri.remove_prefix(at + 1);
    uri = uri.substr(0, uri.find_first_of(";?>"));
    if (uri.empty()) return {};
    std::string host;
    std::string port = "5060";
    if (uri.front() == '[') {
        auto close = uri.find(']');
        if (close == std::string_view::npos) return {};
        host = std::string(uri.substr(0, close + 1));
        if (close + 1 < uri.size() && uri[close + 1] == ':')
            port = std::string(uri.substr(close + 2));
    } else {
        auto c = uri.rfind(':');
        host = std::string(uri.substr(0, c));
        if (c != std::string_view::npos) port = std::string(uri.substr(c + 1));
    }
    std::string out;
    for (char ch : host) out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out + ":" + port;
}

MediaDialogs::MediaDialogs(plane::MediaPlane& plane, const ControlDialogTable& controls,
                           std::string sdpAddress)
    : plane_(plane), controls_(controls), sdpAddress_(std::move(sdpAddress)) {
    std::random_device rd;
    std::seed_seq seed{
        rd(), rd(), rd(), rd(),
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
    rng_.seed(seed);
}

MediaDialogs::~MediaDialogs() {
    for (auto& [key, leg] : legs_) leg.dialog->setHandler(nullptr);
}

std::string MediaDialogs::freshLabel() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    std::uint64_t v = rng_();
    for (int i = 0; i < 8; ++i) {
        s += kHex[v & 0xf];
        v >>= 4;
    }
    return s;
}

void MediaDialogs::refuse(const sip::DialogRef& dialog, int status, const std::string& reason) {
    ++stats_.refused;
    sip::HeaderList headers{{"Warning", warningValue("parley-ms", reason)}};
    if (status == 415) headers.emplace_back("Accept", "application/sdp");
    if (auto st = dialog->respond(status, {}, {}, {}, headers); !st)
        PARLEY_LOG_INFO(
            log(), "media INVITE " << dialog->callId() << " not refused: " << st.error().message);
}

ChannelId MediaDialogs::ownerHint(const std::string& contact) const {
    const std::string where = uriHostPort(contact);
    if (where.empty()) return 0;
    ChannelId found = 0;
    for (const auto& info : controls_.list()) {
        if (info.channel == 0 || info.ending || uriHostPort(info.contact) != where) continue;
        if (found != 0 && found != info.channel) return 0;  // ambiguous: first use decides
        found = info.channel;
    }
    return found;
}

void MediaDialogs::onIncomingInvite(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    const std::string connId = invite.fromTag + ":" + dialog->localTag();
    if (invite.fromTag.empty()) {
        refuse(dialog, 400, "the INVITE has no From tag: no connectionid can be made");
        return;
    }
    if (plane_.hasLeg(connId)) {
        refuse(dialog, 482, "connection " + connId + " exists");
        return;
    }
    Leg leg;
    leg.dialog = dialog;
    leg.connectionId = connId;
    leg.sdp.address = sdpAddress_;
    leg.sdp.sessionId = rng_() >> 2;
    leg.sdp.version = 1;

    std::optional<sdp::Session> offer;
    if (!invite.body.empty()) {
        if (!proto::cfw::equalsIgnoreCase(mediaTypeOf(invite.contentType), "application/sdp")) {
            refuse(dialog, 415, "body is " + invite.contentType + ", not application/sdp");
            return;
        }
        auto parsed = sdp::parse(invite.body);
        if (!parsed) {
            refuse(dialog, 488, "unreadable SDP: " + parsed.error().message);
            return;
        }
        auto index = pickAudioStream(*parsed);
        if (!index) {
            PARLEY_LOG_INFO(log(), "media INVITE " << invite.callId
                                                   << " refused 488: " << index.error().message);
            refuse(dialog, 488, index.error().message);
            return;
        }
        leg.streamIndex = *index;
        leg.mediaCount = parsed->media.size();
        offer = std::move(*parsed);
    }

    auto ports = plane_.allocatePorts();
    if (!ports) {
        PARLEY_LOG_WARN(
            log(), "media INVITE " << invite.callId << " refused 503: " << ports.error().message);
        ++stats_.refused;
        (void)dialog->respond(
            503, {}, {}, {},
            {{"Warning", warningValue("parley-ms", "no RTP ports left")}, {"Retry-After", "5"}});
        return;
    }
    leg.port = ports->rtpPort();

    std::string body;
    rtp::MediaParams params;
    if (offer) {
        auto answer = answerMediaOffer(*offer, leg.streamIndex, leg.port, freshLabel(), leg.sdp);
        if (!answer) {
            refuse(dialog, answer.error().code, answer.error().message);
            return;
        }
        leg.label = answer->label;
        body = std::move(answer->sdp);
        params = answer->params;
    } else {
        leg.label = freshLabel();
        body = makeMediaOffer(leg.port, leg.label, leg.sdp);
        leg.awaitingAnswer = true;
        params.direction = rtp::MediaDirection::Inactive;  // until the ACK's answer
    }

    plane::LegOptions options;
    options.streams = {mixer::MediaStream{"audio", leg.label}};
    options.owner = ownerHint(invite.contactUri);
    options.peer = invite.fromUri;
    sip::DialogRef ref = dialog;
    options.hangUp = [ref] { (void)ref->hangup(); };
    if (auto st = plane_.addLeg(connId, std::move(*ports), params, std::move(options)); !st) {
        refuse(dialog, 500, st.error().message);
        return;
    }
    leg.registered = true;
    dialog->setHandler(this);
    auto st = dialog->respond(200, {}, body, "application/sdp");
    if (!st) {
        PARLEY_LOG_WARN(
            log(), "media INVITE " << invite.callId << " not answered: " << st.error().message);
        plane_.removeLeg(connId);
        return;
    }
    ++stats_.answered;
    PARLEY_LOG_INFO(log(), "media dialog " << connId << " (call " << invite.callId << " from "
                                           << invite.fromUri << ") answered"
                                           << (offer ? "" : " with an offer") << ": label "
                                           << leg.label << ", RTP port " << leg.port);
    legs_.emplace(dialog.get(), std::move(leg));
}

void MediaDialogs::onReinvite(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    auto it = legs_.find(dialog.get());
    if (it == legs_.end()) {
        (void)dialog->respond(481);
        return;
    }
    Leg& leg = it->second;
    ++stats_.reinvites;
    auto refuseReinvite = [&](int status, const std::string& why) {
        ++stats_.reinvitesRefused;
        PARLEY_LOG_INFO(log(), "media dialog " << leg.connectionId << ": re-INVITE refused "
                                               << status << ": " << why);
        (void)dialog->respond(status, {}, {}, {}, {{"Warning", warningValue("parley-ms", why)}});
    };
    ++leg.sdp.version;
    if (invite.body.empty()) {
        leg.awaitingAnswer = true;
        (void)dialog->respond(200, {}, makeMediaOffer(leg.port, leg.label, leg.sdp),
                              "application/sdp");
        return;
    }
    if (!proto::cfw::equalsIgnoreCase(mediaTypeOf(invite.contentType), "application/sdp")) {
        refuseReinvite(415, "body is " + invite.contentType + ", not application/sdp");
        return;
    }
    auto offer = sdp::parse(invite.body);
    if (!offer) {
        refuseReinvite(488, "unreadable SDP: " + offer.error().message);
        return;
    }
    if (offer->media.size() < leg.mediaCount) {
        refuseReinvite(488, "a re-offer cannot remove m-lines (had " +
                                std::to_string(leg.mediaCount) + ", now " +
                                std::to_string(offer->media.size()) + ")");
        return;
    }
    auto answer = answerMediaOffer(*offer, leg.streamIndex, leg.port, leg.label, leg.sdp);
    if (!answer) {
        refuseReinvite(answer.error().code, answer.error().message);
        return;
    }
    if (auto st = dialog->respond(200, {}, answer->sdp, "application/sdp"); !st) {
        PARLEY_LOG_INFO(log(), "media dialog " << leg.connectionId << ": re-INVITE not answered: "
                                               << st.error().message);
        return;
    }
    leg.mediaCount = offer->media.size();
    leg.awaitingAnswer = false;
    plane_.updateLeg(leg.connectionId, answer->params);
    PARLEY_LOG_INFO(log(), "media dialog " << leg.connectionId << ": re-INVITE applied, remote "
                                           << answer->params.remoteRtp.toString());
}

void MediaDialogs::onAck(const sip::DialogRef& dialog, const sip::SipMessage& ack) {
    auto it = legs_.find(dialog.get());
    if (it == legs_.end() || !it->second.awaitingAnswer) return;
    Leg& leg = it->second;
    leg.awaitingAnswer = false;
    auto params = paramsFromAnswer(ack.body);
    if (!params) {
        PARLEY_LOG_INFO(log(), "media dialog " << leg.connectionId
                                               << ": the ACK's answer is not usable ("
                                               << params.error().message << "): BYE");
        (void)dialog->bye({{"Warning", warningValue("parley-ms", params.error().message)}});
        return;
    }
    plane_.updateLeg(leg.connectionId, *params);
    PARLEY_LOG_INFO(log(), "media dialog " << leg.connectionId << ": answer in ACK, remote "
                                           << params->remoteRtp.toString());
}

void MediaDialogs::onBye(const sip::DialogRef& dialog, const sip::SipMessage& bye) {
    (void)bye;
    auto it = legs_.find(dialog.get());
    if (it == legs_.end()) return;
    PARLEY_LOG_INFO(log(), "media dialog " << it->second.connectionId << ": BYE");
    endLeg(dialog.get(), "BYE");
}

void MediaDialogs::onTerminated(const sip::DialogRef& dialog, int status,
                                const std::string& reason) {
    endLeg(dialog.get(), std::to_string(status) + " " + reason);
}

void MediaDialogs::endLeg(const sip::Dialog* key, const std::string& why) {
    auto it = legs_.find(key);
    if (it == legs_.end()) return;
    Leg leg = std::move(it->second);
    legs_.erase(it);
    ++stats_.ended;
    PARLEY_LOG_INFO(log(), "media dialog " << leg.connectionId << " over (" << why << ")");
    if (leg.registered) plane_.removeLeg(leg.connectionId);
}

void MediaDialogs::hangUpAll() {
    for (auto& [key, leg] : legs_) (void)leg.dialog->hangup();
}

MediaDialogStats MediaDialogs::stats() const {
    MediaDialogStats s = stats_;
    s.live = legs_.size();
    return s;
}

}  // namespace parley::ms

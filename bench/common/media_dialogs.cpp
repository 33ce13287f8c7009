#include "bench/common/media_dialogs.hpp"

#include <charconv>
#include <regex>

namespace parley::bench {

namespace {

// c= address and m=audio port of an SDP answer.
common::Result<common::SocketAddress> answerAddress(const std::string& sdp) {
    std::smatch c, m;
    static const std::regex cre("c=IN IP4 ([0-9.]+)");
    static const std::regex mre("m=audio ([0-9]+) ");
    if (!std::regex_search(sdp, c, cre) || !std::regex_search(sdp, m, mre))
        return common::Error(488, "no c=/m=audio in the answer");
    const std::string port = m[1].str();
    unsigned value = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
    if (r.ec != std::errc() || value == 0 || value > 65535)
        return common::Error(488, "bad m=audio port in the answer");
    return common::SocketAddress::fromHostPort(c[1].str(), static_cast<std::uint16_t>(value));
}

}  // namespace

std::string attribute(const std::string& body, const std::string& name) {
    const std::regex re(name + "=[\"']([^\"']*)[\"']");
    std::smatch m;
    return std::regex_search(body, m, re) ? m[1].str() : std::string();
}

std::string oneLine(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

std::string audioOffer(std::uint16_t rtpPort, std::size_t originBase, std::size_t leg,
                       bool telephoneEvent) {
    const std::string id = std::to_string(originBase + leg);
    return "v=0\r\n"
           "o=bench " +
           id +
           " 1 IN IP4 127.0.0.1\r\n"
           "s=-\r\n"
           "c=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\n"
           "m=audio " +
           std::to_string(rtpPort) + (telephoneEvent ? " RTP/AVP 0 101\r\n" : " RTP/AVP 0\r\n") +
           "a=rtpmap:0 PCMU/8000\r\n" +
           (telephoneEvent ? "a=rtpmap:101 telephone-event/8000\r\n"
                             "a=fmtp:101 0-15\r\n"
                           : "") +
           "a=ptime:20\r\n"
           "a=sendrecv\r\n";
}

MediaDialogs::MediaDialogs(proto::sip::SipStack& stack, MediaDialogsConfig config,
                           Answered answered)
    : stack_(stack), config_(config), answered_(std::move(answered)) {}

common::Status MediaDialogs::invite(std::size_t leg) {
    if (legs_.size() <= leg) legs_.resize(leg + 1);
    if (legs_[leg].dialog) return common::Error(400, "INVITE not sent: leg already invited");
    proto::sip::InviteRequest req;
    req.to = "sip:ms@127.0.0.1:" + std::to_string(config_.msSipPort);
    req.body = audioOffer(config_.rtpPort, config_.originBase, leg, config_.telephoneEvent);
    auto d = stack_.invite(req, this);
    if (!d) return common::Error(d.error().code, "INVITE not sent: " + d.error().message);
    legs_[leg].dialog = *d;
    legByDialog_[d->get()] = leg;
    return {};
}

const proto::sip::DialogRef& MediaDialogs::dialog(std::size_t leg) const {
    static const proto::sip::DialogRef kNone;
    return leg < legs_.size() ? legs_[leg].dialog : kNone;
}

void MediaDialogs::onInviteResponse(const proto::sip::DialogRef& d,
                                    const proto::sip::SipMessage& m) {
    if (m.status < 200) return;
    auto it = legByDialog_.find(d.get());
    if (it == legByDialog_.end()) return;
    const std::size_t index = it->second;
    Leg& leg = legs_[index];
    if (leg.answered) return;
    leg.answered = true;
    if (m.status >= 300) {
        answered_(index, common::Error(m.status, "INVITE answered " + std::to_string(m.status)));
        return;
    }
    answered_(index, answerAddress(m.body));
}

void MediaDialogs::onIncomingInvite(const proto::sip::DialogRef& d,
                                    const proto::sip::SipMessage&) {
    (void)d->respond(603);
}

void MediaDialogs::onTerminated(const proto::sip::DialogRef& d, int status,
                                const std::string& reason) {
    auto it = legByDialog_.find(d.get());
    if (it == legByDialog_.end()) return;
    const std::size_t index = it->second;
    Leg& leg = legs_[index];
    legByDialog_.erase(it);
    if (leg.answered) return;
    leg.answered = true;
    answered_(index, common::Error(status, "media dialog ended before its answer: " +
                                               std::to_string(status) + " " + reason));
}

}  // namespace parley::bench

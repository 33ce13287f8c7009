#include "bench/ivr_load/ivr_legs.hpp"

#include <charconv>
#include <regex>

namespace parley::bench {

namespace {

const std::string kIvrOpen = "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">";
const std::string kIvrClose = "</mscivr>";

std::string attribute(const std::string& body, const std::string& name) {
    const std::regex re(name + "=[\"']([^\"']*)[\"']");
    std::smatch m;
    return std::regex_search(body, m, re) ? m[1].str() : std::string();
}

// A response body on one line, for the report.
std::string oneLine(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

std::string audioOffer(std::uint16_t port, std::size_t leg) {
    const std::string id = std::to_string(5000 + leg);
    return "v=0\r\n"
           "o=bench " +
           id +
           " 1 IN IP4 127.0.0.1\r\n"
           "s=-\r\n"
           "c=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\n"
           "m=audio " +
           std::to_string(port) +
           " RTP/AVP 0 101\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "a=rtpmap:101 telephone-event/8000\r\n"
           "a=fmtp:101 0-15\r\n"
           "a=ptime:20\r\n"
           "a=sendrecv\r\n";
}

common::Result<common::SocketAddress> answerAddress(const std::string& sdp) {
    std::smatch c, m;
    static const std::regex cre("c=IN IP4 ([0-9.]+)");
    static const std::regex mre("m=audio ([0-9]+) ");
    if (!std::regex_search(sdp, c, cre) || !std::regex_search(sdp, m, mre))
        return common::Error(488, "no c=/m=audio in the answer");
    return common::SocketAddress::fromHostPort(c[1].str(),
                                               static_cast<std::uint16_t>(std::stoi(m[1].str())));
}

}  // namespace

IvrLegs::IvrLegs(proto::sip::SipStack& stack, as::MediaServerClient& client, IvrRtp& rtp,
                 std::uint16_t msSipPort, std::size_t window)
    : stack_(stack), client_(client), rtp_(rtp), msSipPort_(msSipPort),
      window_(window == 0 ? 1 : window) {}

std::size_t IvrLegs::addLeg(std::size_t rtpLeg) {
    LegState leg;
    leg.rtpLeg = rtpLeg;
    legs_.push_back(leg);
    return legs_.size() - 1;
}

std::string IvrLegs::dialogIdOf(std::size_t leg) const {
    return "b" + std::to_string(leg) + "g" + std::to_string(legs_[leg].generation);
}

std::optional<std::size_t> IvrLegs::legOf(const std::string& dialogId) const {
    if (dialogId.size() < 4 || dialogId[0] != 'b') return std::nullopt;
    std::size_t leg = 0;
    const char* begin = dialogId.data() + 1;
    const char* end = dialogId.data() + dialogId.size();
    auto r = std::from_chars(begin, end, leg);
    if (r.ec != std::errc() || r.ptr == end || *r.ptr != 'g' || leg >= legs_.size())
        return std::nullopt;
    return leg;
}

void IvrLegs::start(DialogBody body, Done done) {
    body_ = std::move(body);
    done_ = std::move(done);
    stage_ = Stage::Setup;
    next_ = 0;
    pump();
}

void IvrLegs::terminateAll(bool immediate, Done done) {
    done_ = std::move(done);
    immediate_ = immediate;
    stage_ = Stage::Terminate;
    next_ = 0;
    failures_ = 0;
    firstFailure_.clear();
    pump();
}

void IvrLegs::pump() {
    while (inFlight_ < window_ && next_ < legs_.size()) {
        if (stage_ == Stage::Setup)
            inviteNext();
        else if (stage_ == Stage::Terminate)
            terminateNext();
        else
            return;
    }
    if (next_ == legs_.size() && inFlight_ == 0 && stage_ != Stage::Idle) {
        stage_ = Stage::Idle;
        if (done_) {
            auto done = std::move(done_);
            done_ = nullptr;
            done(failures_ == 0, firstFailure_);
        }
    }
}

void IvrLegs::fail(const std::string& why) {
    if (failures_++ == 0) firstFailure_ = why;
}

void IvrLegs::finishOne() {
    --inFlight_;
    pump();
}

void IvrLegs::inviteNext() {
    const std::size_t i = next_++;
    proto::sip::InviteRequest req;
    req.to = "sip:ms@127.0.0.1:" + std::to_string(msSipPort_);
    req.body = audioOffer(rtp_.port(), i);
    auto d = stack_.invite(req, this);
    if (!d) {
        fail("INVITE not sent: " + d.error().message);
        return;
    }
    legs_[i].dialog = *d;
    legByDialog_[d->get()] = i;
    ++inFlight_;
}

void IvrLegs::onInviteResponse(const proto::sip::DialogRef& d, const proto::sip::SipMessage& m) {
    if (m.status < 200) return;
    auto it = legByDialog_.find(d.get());
    if (it == legByDialog_.end()) return;
    LegState& leg = legs_[it->second];
    if (leg.answered) return;
    leg.answered = true;
    if (m.status >= 300) {
        fail("INVITE answered " + std::to_string(m.status));
        finishOne();
        return;
    }
    auto addr = answerAddress(m.body);
    if (!addr) {
        fail(addr.error().message);
        finishOne();
        return;
    }
    rtp_.setRemote(leg.rtpLeg, *addr);
    startDialog(it->second, [this](bool, const std::string&) { finishOne(); });
}

void IvrLegs::startDialog(std::size_t i, std::function<void(bool, const std::string&)> after) {
    LegState& leg = legs_[i];
    ++leg.generation;
    const std::string id = dialogIdOf(i);
    const std::string body = body_(i, leg.dialog->connectionId(), id);
    auto sent = client_.sendControl(
        {"msc-ivr/1.0", "application/msc-ivr+xml", body},
        [this, i, id, after](const proto::cfw::ControlResult& r) {
            if (r.ok() && attribute(r.body, "status") == "200") {
                legs_[i].running = true;
                ++started_;
                after(true, "");
                return;
            }
            const std::string why = "dialogstart " + id + ": " + std::to_string(r.status) + " " +
                                    r.reason + " " + oneLine(r.body);
            fail(why);
            after(false, why);
        });
    if (!sent) {
        const std::string why = "dialogstart not sent: " + sent.error().message;
        fail(why);
        after(false, why);
    }
}

void IvrLegs::restart(std::size_t leg, Done done) {
    if (leg >= legs_.size() || !legs_[leg].dialog) {
        done(false, "no such leg");
        return;
    }
    legs_[leg].running = false;
    startDialog(leg, [done](bool ok, const std::string& why) { done(ok, why); });
}

void IvrLegs::terminateNext() {
    const std::size_t i = next_++;
    if (!legs_[i].running) return;
    legs_[i].running = false;
    const std::string id = dialogIdOf(i);
    const std::string body = kIvrOpen + "<dialogterminate dialogid=\"" + id + "\" immediate=\"" +
                             (immediate_ ? "true" : "false") + "\"/>" + kIvrClose;
    ++inFlight_;
    auto sent = client_.sendControl(
        {"msc-ivr/1.0", "application/msc-ivr+xml", body},
        [this, id](const proto::cfw::ControlResult& r) {
            if (!(r.ok() && attribute(r.body, "status") == "200"))
                fail("dialogterminate " + id + ": " + std::to_string(r.status) + " " + r.reason +
                     " " + oneLine(r.body));
            finishOne();
        });
    if (!sent) {
        fail("dialogterminate not sent: " + sent.error().message);
        --inFlight_;
    }
}

void IvrLegs::onIncomingInvite(const proto::sip::DialogRef& d, const proto::sip::SipMessage&) {
    (void)d->respond(603);
}

void IvrLegs::onTerminated(const proto::sip::DialogRef& d, int status, const std::string& reason) {
    auto it = legByDialog_.find(d.get());
    if (it == legByDialog_.end()) return;
    LegState& leg = legs_[it->second];
    legByDialog_.erase(it);
    if (leg.answered) return;
    leg.answered = true;
    fail("media dialog ended before its answer: " + std::to_string(status) + " " + reason);
    finishOne();
}

}  // namespace parley::bench

#include "bench/mix_load/conference_setup.hpp"

#include <regex>

namespace parley::bench {

namespace {

const std::string kMixerOpen =
    "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">";
const std::string kMixerClose = "</mscmixer>";

std::string attribute(const std::string& body, const std::string& name) {
    const std::regex re(name + "=[\"']([^\"']*)[\"']");
    std::smatch m;
    return std::regex_search(body, m, re) ? m[1].str() : std::string();
}

std::string audioOffer(std::uint16_t port, std::size_t leg) {
    const std::string id = std::to_string(1000 + leg);
    return "v=0\r\n"
           "o=bench " +
           id +
           " 1 IN IP4 127.0.0.1\r\n"
           "s=-\r\n"
           "c=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\n"
           "m=audio " +
           std::to_string(port) +
           " RTP/AVP 0\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "a=ptime:20\r\n"
           "a=sendrecv\r\n";
}

// c= address and m=audio port of an SDP answer.
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

ConferenceSetup::ConferenceSetup(proto::sip::SipStack& stack, as::MediaServerClient& client,
                                 RtpLoad& load, std::uint16_t msSipPort, SetupPlan plan)
    : stack_(stack), client_(client), load_(load), msSipPort_(msSipPort), plan_(plan) {
    conferenceIds_.resize(plan_.conferences);
    if (plan_.window == 0) plan_.window = 1;
}

void ConferenceSetup::addLegs() {
    for (std::size_t c = 0; c < plan_.conferences; ++c) {
        for (std::size_t i = 0; i < plan_.legsPerConference; ++i) {
            LegState leg;
            leg.conference = c;
            leg.loadLeg = load_.addLeg(c, i == 0 ? RtpLoad::Role::Probe : RtpLoad::Role::Talker,
                                       static_cast<int>(i == 0 ? 0 : i - 1));
            legs_.push_back(leg);
        }
    }
}

void ConferenceSetup::start(Done done) {
    done_ = std::move(done);
    pump();
}

void ConferenceSetup::pump() {
    while (inFlight_ < plan_.window && nextConference_ < plan_.conferences) createNext();
    const bool conferencesDone = nextConference_ == plan_.conferences && inFlight_ == 0;
    if (conferencesDone) {
        while (inFlight_ < plan_.window && nextLeg_ < legs_.size()) inviteNext();
    }
    if (conferencesDone && nextLeg_ == legs_.size() && inFlight_ == 0 && !finished_) {
        finished_ = true;
        if (done_) done_(failures_ == 0, firstFailure_);
    }
}

void ConferenceSetup::fail(const std::string& why) {
    if (failures_++ == 0) firstFailure_ = why;
}

void ConferenceSetup::finishOne() {
    --inFlight_;
    pump();
}

void ConferenceSetup::createNext() {
    const std::size_t c = nextConference_++;
    ++inFlight_;
    auto sent =
        client_.sendControl({"msc-mixer/1.0", "application/msc-mixer+xml",
                             kMixerOpen + "<createconference/>" + kMixerClose},
                            [this, c](const proto::cfw::ControlResult& r) {
                                const std::string id = attribute(r.body, "conferenceid");
                                if (r.ok() && attribute(r.body, "status") == "200" && !id.empty()) {
                                    conferenceIds_[c] = id;
                                    ++created_;
                                } else {
                                    fail("createconference: " + std::to_string(r.status) + " " +
                                         r.reason + " " + r.body);
                                }
                                finishOne();
                            });
    if (!sent) {
        fail("createconference not sent: " + sent.error().message);
        --inFlight_;
    }
}

void ConferenceSetup::inviteNext() {
    const std::size_t i = nextLeg_++;
    LegState& leg = legs_[i];
    if (conferenceIds_[leg.conference].empty()) return;  // its conference failed
    proto::sip::InviteRequest req;
    req.to = "sip:ms@127.0.0.1:" + std::to_string(msSipPort_);
    req.body = audioOffer(load_.port(), i);
    auto d = stack_.invite(req, this);
    if (!d) {
        fail("INVITE not sent: " + d.error().message);
        return;
    }
    leg.dialog = *d;
    legByDialog_[d->get()] = i;
    ++inFlight_;
}

void ConferenceSetup::onInviteResponse(const proto::sip::DialogRef& d,
                                       const proto::sip::SipMessage& m) {
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
    load_.setRemote(leg.loadLeg, *addr);
    join(it->second);
}

void ConferenceSetup::join(std::size_t i) {
    const LegState& leg = legs_[i];
    const std::string body = kMixerOpen + "<join id1=\"" + leg.dialog->connectionId() +
                             "\" id2=\"" + conferenceIds_[leg.conference] + "\"/>" + kMixerClose;
    auto sent = client_.sendControl(
        {"msc-mixer/1.0", "application/msc-mixer+xml", body},
        [this](const proto::cfw::ControlResult& r) {
            if (r.ok() && attribute(r.body, "status") == "200")
                ++joined_;
            else
                fail("join: " + std::to_string(r.status) + " " + r.reason + " " + r.body);
            finishOne();
        });
    if (!sent) {
        fail("join not sent: " + sent.error().message);
        finishOne();
    }
}

void ConferenceSetup::onIncomingInvite(const proto::sip::DialogRef& d,
                                       const proto::sip::SipMessage&) {
    (void)d->respond(603);
}

void ConferenceSetup::onTerminated(const proto::sip::DialogRef& d, int status,
                                   const std::string& reason) {
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

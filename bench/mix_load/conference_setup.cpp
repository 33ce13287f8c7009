#include "bench/mix_load/conference_setup.hpp"

namespace parley::bench {

namespace {

const std::string kMixerOpen =
    "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">";
const std::string kMixerClose = "</mscmixer>";

}  // namespace

ConferenceSetup::ConferenceSetup(proto::sip::SipStack& stack, as::MediaServerClient& client,
                                 RtpLoad& load, std::uint16_t msSipPort, SetupPlan plan)
    : client_(client),
      load_(load),
      plan_(plan),
      dialogs_(stack, MediaDialogsConfig{msSipPort, load.port(), 1000, false},
               [this](std::size_t leg, common::Result<common::SocketAddress> remote) {
                   onAnswered(leg, std::move(remote));
               }) {
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
    if (conferenceIds_[legs_[i].conference].empty()) return;  // its conference failed
    if (auto st = dialogs_.invite(i); !st) {
        fail(st.error().message);
        return;
    }
    ++inFlight_;
}

void ConferenceSetup::onAnswered(std::size_t i, common::Result<common::SocketAddress> remote) {
    if (!remote) {
        fail(remote.error().message);
        finishOne();
        return;
    }
    load_.setRemote(legs_[i].loadLeg, *remote);
    join(i);
}

void ConferenceSetup::join(std::size_t i) {
    const LegState& leg = legs_[i];
    const std::string body = kMixerOpen + "<join id1=\"" + dialogs_.dialog(i)->connectionId() +
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

}  // namespace parley::bench

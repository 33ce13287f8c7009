#include "bench/ivr_load/ivr_legs.hpp"

#include <charconv>

namespace parley::bench {

namespace {

const std::string kIvrOpen = "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">";
const std::string kIvrClose = "</mscivr>";

}  // namespace

IvrLegs::IvrLegs(proto::sip::SipStack& stack, as::MediaServerClient& client, IvrRtp& rtp,
                 std::uint16_t msSipPort, std::size_t window)
    : client_(client),
      rtp_(rtp),
      window_(window == 0 ? 1 : window),
      dialogs_(stack, MediaDialogsConfig{msSipPort, rtp.port(), 5000, true},
               [this](std::size_t leg, common::Result<common::SocketAddress> remote) {
                   onAnswered(leg, std::move(remote));
               }) {}

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
    if (auto st = dialogs_.invite(i); !st) {
        fail(st.error().message);
        return;
    }
    ++inFlight_;
}

void IvrLegs::onAnswered(std::size_t i, common::Result<common::SocketAddress> remote) {
    if (!remote) {
        fail(remote.error().message);
        finishOne();
        return;
    }
    rtp_.setRemote(legs_[i].rtpLeg, *remote);
    startDialog(i, [this](bool, const std::string&) { finishOne(); });
}

void IvrLegs::startDialog(std::size_t i, std::function<void(bool, const std::string&)> after) {
    LegState& leg = legs_[i];
    ++leg.generation;
    const std::string id = dialogIdOf(i);
    const std::string body = body_(i, dialogs_.dialog(i)->connectionId(), id);
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
    if (leg >= legs_.size() || !dialogs_.dialog(leg)) {
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

}  // namespace parley::bench

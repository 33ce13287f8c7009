// Callers in a room hear each other: three sipp callers each streaming their own tone hear
// the other two and never themselves, and a SUBSCRIBE to the room gets a conference-info
// document listing three users. Hold and resume by re-INVITE (RFC 3264): a=sendonly from
// the holder still sends (the others keep hearing it), a=inactive silences it, a=sendrecv
// brings it back.

#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "proto/packages/conference_info/conference_info.hpp"
#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/e2e/as_focus/raw_sip.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {
namespace {

namespace ci = proto::confinfo;

std::size_t presentUsers(const ci::ConferenceInfo& info) {
    if (!info.users) return 0;
    std::size_t n = 0;
    for (const auto& u : info.users->users)
        if (u.state != ci::State::Deleted) ++n;
    return n;
}

// Capture time of the AS's 200 to the INVITE with CSeq `cseq` sent to `sipPort`.
std::optional<double> okTime(const RtpCapture& cap, std::uint16_t asPort, std::uint16_t sipPort, int cseq) {
    const std::string want = "CSeq: " + std::to_string(cseq) + " INVITE";
    for (const auto& d : cap.datagrams()) {
        if (d.srcPort != asPort || d.dstPort != sipPort) continue;
        std::string text(d.payload.begin(), d.payload.end());
        if (text.rfind("SIP/2.0 200", 0) == 0 && text.find(want) != std::string::npos) return d.time;
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("as focus: three callers hear the other two and not themselves, SUBSCRIBE lists three users",
          "[focus][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r1")}));
    const double tones[3] = {500, 700, 900};
    std::vector<std::uint16_t> ports;
    while (ports.size() < 3) {
        auto p = freeMediaPort();
        if (std::find(ports.begin(), ports.end(), p) == ports.end()) ports.push_back(p);
    }
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), ports, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    std::vector<SippPeer> callers;
    for (int i = 0; i < 3; ++i) {
        UacOptions o;
        o.room = "r1";
        o.fromUser = "caller" + std::to_string(i);
        o.afterAck = streamTone(toneFile(fx.dir(), tones[i])) + pauseMs(18000);
        callers.push_back(startUac(fx, o.fromUser, o, ports[static_cast<std::size_t>(i)]));
    }
    for (auto& c : callers) {
        bool answered = c.waitAnswered(20s);
        INFO(c.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t j = 0; j < 3; ++j) {
            if (i == j) continue;
            bool heard = cap->waitHeard(ports[i], tones[j], t0, 20s);
            INFO("caller" << i << " should hear " << tones[j] << " Hz: " << cap->describe(ports[i], t0)
                          << "\n" << callers[i].describe(1500) << "\n" << fx.logs(3000));
            CHECK(heard);
        }
    }
    for (std::size_t i = 0; i < 3; ++i) {
        auto own = cap->loudest(ports[i], tones[i], t0);
        INFO("caller" << i << " must not hear itself: " << cap->describe(ports[i], t0));
        REQUIRE(own);
        CHECK(*own < kNotHeard);
    }

    // The room's state, as a watcher sees it.
    RawSipClient watcher;
    auto sub = watcher.request("SUBSCRIBE", fx.roomUri("r1"),
                               {"Event: conference", "Expires: 60",
                                "Accept: application/conference-info+xml"});
    REQUIRE(watcher.send(fx.asSipPort(), sub.text));
    auto ok = watcher.waitResponse(sub.callId, "SUBSCRIBE", 10s);
    {
        INFO(fx.logs());
        REQUIRE(ok);
        INFO("SUBSCRIBE answered " << ok->status << "\n" << ok->raw);
        CHECK((ok->status == 200 || ok->status == 202));
    }
    auto notify = watcher.waitRequest("NOTIFY", 10s, [&](const SipText& m) {
        return m.header("Call-ID") == sub.callId;
    });
    REQUIRE(notify);
    CHECK(notify->header("Event").find("conference") != std::string::npos);
    CHECK(notify->header("Content-Type").find("application/conference-info+xml") != std::string::npos);
    auto info = ci::parse(notify->body);
    INFO(notify->raw);
    REQUIRE(info);
    CHECK(info->state == ci::State::Full);
    CHECK(presentUsers(*info) == 3);
    // The watcher leaves.
    auto unsub = watcher.request("SUBSCRIBE", fx.roomUri("r1"), {"Event: conference", "Expires: 0"}, {},
                                 {}, 2, sub.callId, sub.fromTag, ok->toTag());
    CHECK(watcher.send(fx.asSipPort(), unsub.text));
    auto unsubOk = watcher.waitResponse(sub.callId, "SUBSCRIBE", 10s);
    CHECK(unsubOk);

    // Each caller hangs up at the end of its scenario; the AS answers the BYEs.
    for (auto& c : callers) {
        auto rc = c.wait(40s);
        INFO(c.describe());
        CHECK(rc == std::optional<int>(0));
    }
    CHECK(fx.waitMsLegs(0, 20s));
    CHECK(fx.asAlive());
    {
        INFO(fx.logs());
        CHECK(fx.stopAs() == 0);
    }
}

TEST_CASE("as focus: hold with a=sendonly still sends, a=inactive silences, a=sendrecv resumes",
          "[focus][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r1")}));
    const std::uint16_t holderPort = freeMediaPort();
    std::uint16_t listenerPort = freeMediaPort();
    while (listenerPort == holderPort) listenerPort = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {holderPort, listenerPort}, why, {fx.asSipPort()});
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    UacOptions l;
    l.fromUser = "listener";
    l.afterAck = streamTone(toneFile(fx.dir(), 700)) + pauseMs(30000);
    SippPeer listener = startUac(fx, "listener", l, listenerPort);
    {
        bool answered = listener.waitAnswered(20s);
        INFO(listener.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    UacOptions h;
    h.fromUser = "holder";
    h.afterAck = streamTone(toneFile(fx.dir(), 500)) + pauseMs(5000) + reInvite("sendonly", 2) +
                 pauseMs(5000) + reInvite("inactive", 3) + pauseMs(5000) + reInvite("sendrecv", 4) +
                 pauseMs(6000);
    SippPeer holder = startUac(fx, "holder", h, holderPort);
    {
        bool answered = holder.waitAnswered(20s);
        INFO(holder.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    {
        bool heard = cap->waitHeard(listenerPort, 500, t0, 15s);
        INFO(cap->describe(listenerPort, t0) << "\n" << fx.logs(3000));
        REQUIRE(heard);
    }
    // The three re-INVITEs are answered.
    for (int cseq = 2; cseq <= 4; ++cseq) {
        bool ok = holder.waitReceived("SIP/2.0 200", std::to_string(cseq) + " INVITE", 25s);
        INFO("re-INVITE CSeq " << cseq << "\n" << holder.describe() << "\n" << fx.logs(3000));
        REQUIRE(ok);
    }
    std::this_thread::sleep_for(2s);  // dumpcap writes the file in its own time
    auto sendonly = okTime(*cap, fx.asSipPort(), holder.sipPort, 2);
    auto inactive = okTime(*cap, fx.asSipPort(), holder.sipPort, 3);
    auto resumed = okTime(*cap, fx.asSipPort(), holder.sipPort, 4);
    REQUIRE(sendonly);
    REQUIRE(inactive);
    REQUIRE(resumed);

    // sendonly: the holder still sends, the listener still hears it.
    {
        auto level = cap->loudest(listenerPort, 500, *sendonly + 1.0, *inactive);
        INFO("sendonly: " << cap->describe(listenerPort, *sendonly + 1.0, *inactive));
        REQUIRE(level);
        CHECK(*level >= kHeard);
        // ...and receives nothing of the room (the focus answers recvonly).
        auto back = cap->loudest(holderPort, 700, *sendonly + 1.0, *inactive);
        INFO("holder while sendonly: " << cap->describe(holderPort, *sendonly + 1.0, *inactive));
        CHECK((!back || *back < kNotHeard));
    }
    // inactive: silent for the room.
    {
        auto level = cap->loudest(listenerPort, 500, *inactive + 1.0, *resumed);
        INFO("inactive: " << cap->describe(listenerPort, *inactive + 1.0, *resumed));
        REQUIRE(level);
        CHECK(*level < kNotHeard);
    }
    // sendrecv: heard again.
    {
        bool heard = cap->waitHeard(listenerPort, 500, *resumed, 10s);
        INFO("resumed: " << cap->describe(listenerPort, *resumed));
        CHECK(heard);
    }
    auto rc = holder.wait(30s);
    INFO(holder.describe());
    CHECK(rc == std::optional<int>(0));
}

}  // namespace parley::test::focus

// REFER to the room URI (RFC 3515, RFC 4579 5.5): Refer-To a sipp UAS makes the focus dial
// it out and join it (a participant hears the UAS's tone; the REFER sender gets a sipfrag
// NOTIFY with 200); Refer-To the same URI with ;method=BYE ejects it (the UAS gets BYE).

#include <catch2/catch.hpp>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/e2e/as_focus/raw_sip.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

namespace {

// Waits for a refer NOTIFY of this subscription whose sipfrag status is final; returns it.
std::optional<SipText> finalSipfrag(RawSipClient& c, const std::string& callId,
                                    std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto n = c.waitRequest("NOTIFY", left, [&](const SipText& m) { return m.header("Call-ID") == callId; });
        if (!n) return std::nullopt;
        const auto at = n->body.find("SIP/2.0 ");
        if (at != std::string::npos && n->body.size() >= at + 11 && n->body[at + 8] >= '2') return n;
    }
}

}  // namespace

TEST_CASE("as focus: REFER dials a sipp UAS into the room, REFER method=BYE ejects it",
          "[focus][e2e][sipp][refer]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r3")}));
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    SippPeer uas = startUas(fx, "uas", toneFile(fx.dir(), 1100), 60);
    UacOptions p;
    p.room = "r3";
    p.fromUser = "member";
    p.afterAck = streamTone(toneFile(fx.dir(), 500)) + pauseMs(35000);
    SippPeer member = startUac(fx, "member", p, port);
    {
        bool answered = member.waitAnswered(20s);
        INFO(member.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }

    const std::string target = "sip:uas@127.0.0.1:" + std::to_string(uas.sipPort);
    RawSipClient referrer;
    const double t0 = nowSeconds();
    auto refer = referrer.request("REFER", fx.roomUri("r3"),
                                  {"Refer-To: <" + target + ">", "Referred-By: " + referrer.contact()});
    REQUIRE(referrer.send(fx.asSipPort(), refer.text));
    auto accepted = referrer.waitResponse(refer.callId, "REFER", 10s);
    {
        INFO(fx.logs());
        REQUIRE(accepted);
        CHECK(accepted->status == 202);
    }
    {
        bool invited = uas.waitReceived("INVITE ", "INVITE", 15s);
        INFO(uas.describe() << "\n" << fx.logs(3000));
        REQUIRE(invited);
    }
    {
        auto done = finalSipfrag(referrer, refer.callId, 20s);
        INFO(fx.logs(3000));
        REQUIRE(done);
        CHECK(done->header("Event").find("refer") != std::string::npos);
        CHECK(done->header("Content-Type").find("message/sipfrag") != std::string::npos);
        CHECK(done->body.find("SIP/2.0 200") != std::string::npos);
    }
    {
        bool heard = cap->waitHeard(port, 1100, t0, 20s);
        INFO(cap->describe(port, t0) << "\n" << uas.describe(1500) << "\n" << fx.logs(3000));
        CHECK(heard);
    }

    // Eject it.
    const double t1 = nowSeconds();
    auto eject = referrer.request("REFER", fx.roomUri("r3"), {"Refer-To: <" + target + ";method=BYE>"});
    REQUIRE(referrer.send(fx.asSipPort(), eject.text));
    auto ejectAccepted = referrer.waitResponse(eject.callId, "REFER", 10s);
    REQUIRE(ejectAccepted);
    CHECK(ejectAccepted->status == 202);
    auto rc = uas.wait(20s);
    {
        INFO(uas.describe() << "\n" << fx.logs(3000));
        CHECK(uas.received("BYE ", "BYE"));
        CHECK(rc == std::optional<int>(0));
    }
    bool gone = cap->waitGone(port, 1100, t1 + 1.0, 10s);
    INFO(cap->describe(port, t1));
    CHECK(gone);
}

}  // namespace parley::test::focus

// Who gets into a room: an unknown room is 404, a locked one 403, a full one 486, a denied
// caller 403; a caller who cancels while it rings leaves no leg on parley-ms.

#include <catch2/catch.hpp>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

namespace {

// One sipp call expecting `status`; REQUIREs sipp's success.
void expectRefused(FocusSystem& fx, const std::string& name, const std::string& roomName,
                   const std::string& fromUser, int status) {
    UacOptions o;
    o.room = roomName;
    o.fromUser = fromUser;
    o.expectStatus = status;
    o.timeoutSeconds = 30;
    SippPeer p = startUac(fx, name, o);
    auto rc = p.wait(40s);
    INFO(roomName << " from " << fromUser << " should be refused " << status << "\n"
                  << p.describe() << "\n" << fx.logs(3000));
    CHECK(p.received("SIP/2.0 " + std::to_string(status), "1 INVITE"));
    CHECK(rc == std::optional<int>(0));
}

}  // namespace

TEST_CASE("as focus: an INVITE to an unknown room is answered 404", "[focus][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r1")}));
    expectRefused(fx, "unknown", "no-such-room", "sipp", 404);
    CHECK(fx.asAlive());
    CHECK(fx.msLegs() == std::optional<long>(0));
}

TEST_CASE("as focus: locked room 403, full room 486, denied caller 403", "[focus][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("locked", "\"locked\":true"), room("small", "\"maxParticipants\":1"),
                              room("closed", "\"allow\":[\"sip:*@127.0.0.1\"],\"deny\":[\"sip:bad@127.0.0.1\"]")}));
    expectRefused(fx, "locked", "locked", "sipp", 403);
    expectRefused(fx, "denied", "closed", "bad", 403);

    // The first caller fills the room; the second is busy.
    UacOptions first;
    first.room = "small";
    first.fromUser = "first";
    first.afterAck = streamTone(toneFile(fx.dir(), 500)) + pauseMs(8000);
    SippPeer in = startUac(fx, "first", first);
    {
        bool answered = in.waitAnswered(20s);
        INFO(in.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    expectRefused(fx, "second", "small", "second", 486);
    // A caller allowed in the same room as the denied one gets in.
    UacOptions good;
    good.room = "closed";
    good.fromUser = "good";
    good.afterAck = pauseMs(1000);
    SippPeer g = startUac(fx, "good", good);
    auto rc = g.wait(30s);
    {
        INFO(g.describe() << "\n" << fx.logs());
        CHECK(rc == std::optional<int>(0));
    }
    auto rcIn = in.wait(30s);
    INFO(in.describe());
    CHECK(rcIn == std::optional<int>(0));
    CHECK(fx.waitMsLegs(0, 20s));
}

TEST_CASE("as focus: CANCEL while ringing leaves no media leg on parley-ms", "[focus][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r1")}));
    UacOptions o;
    o.room = "r1";
    o.cancelAfterRinging = true;
    o.timeoutSeconds = 30;
    // parley-ms stopped: the focus rings (180 at once) and cannot answer before the CANCEL
    // (a running MS answers within milliseconds and the CANCEL would race the 200). When it
    // runs again its media leg must go away too.
    fx.freezeMs(true);
    SippPeer p = startUac(fx, "canceller", o);
    auto rc = p.wait(40s);
    fx.freezeMs(false);
    {
        INFO(p.describe() << "\n" << fx.logs(3000));
        CHECK(p.received("SIP/2.0 180", "1 INVITE"));
        CHECK(p.received("SIP/2.0 487", "1 INVITE"));
        CHECK(rc == std::optional<int>(0));
    }
    bool clean = fx.waitMsLegs(0, 20s);
    INFO("legs: " << fx.msLegs().value_or(-1) << "\n" << fx.logs(3000));
    CHECK(clean);
    CHECK(fx.asAlive());
    {
        INFO(fx.logs());
        CHECK(fx.stopAs() == 0);
    }
}

TEST_CASE("as focus: a media server that dies ends its calls with BYE and new calls get 503",
          "[focus][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r1")}));
    UacOptions o;
    o.fromUser = "stranded";
    o.expectByeFromAs = true;  // after the ACK the scenario waits for the AS's BYE
    o.timeoutSeconds = 50;
    SippPeer p = startUac(fx, "stranded", o);
    {
        bool answered = p.waitAnswered(20s);
        INFO(p.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    REQUIRE(fx.waitMsLegs(1, 10s));
    const bool joined = fx.asLog().find("joined room r1") != std::string::npos;
    REQUIRE(joined);
    fx.killMs();
    // The control channel drops: the conference is lost and the focus hangs the caller up.
    bool bye = p.waitReceived("BYE ", "BYE", 20s);
    {
        INFO(p.describe() << "\n" << fx.logs(4000));
        CHECK(bye);
    }
    auto rc = p.wait(20s);
    CHECK(rc == std::optional<int>(0));

    // With no media server up, a new caller is refused at once, not left ringing.
    UacOptions late;
    late.fromUser = "late";
    late.expectStatus = 503;
    late.timeoutSeconds = 20;
    SippPeer q = startUac(fx, "late", late);
    auto qrc = q.wait(30s);
    {
        INFO(q.describe() << "\n" << fx.logs(3000));
        CHECK(q.received("SIP/2.0 503", "1 INVITE"));
        CHECK(qrc == std::optional<int>(0));
    }
    CHECK(fx.asAlive());
    INFO(fx.logs());
    CHECK(fx.stopAs() == 0);
}

}  // namespace parley::test::focus

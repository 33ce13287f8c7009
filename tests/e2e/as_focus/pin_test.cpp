// PIN rooms and waiting for the moderator, heard through the prompts (each prompt is a tone
// of its own, see focus_fixture.hpp). Digits go as RFC 4733 packets from sipp's
// play_pcap_audio, from pcaps written per test so that every digit has a newer RTP
// timestamp than the previous one (a receiver ignores events it has already reported).

#include <catch2/catch.hpp>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

TEST_CASE("as focus: the right PIN plays enter-pin, then the caller hears the room",
          "[focus][e2e][sipp][pin]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r1", "\"pin\":\"1234\"")}));
    const std::uint16_t callerPort = freeMediaPort();
    std::uint16_t otherPort = freeMediaPort();
    while (otherPort == callerPort) otherPort = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {callerPort, otherPort}, why);
    if (!cap) PARLEY_SKIP(why);

    // The other participant enters the PIN, then streams 700 Hz.
    DtmfTrain otherTrain;
    UacOptions other;
    other.fromUser = "other";
    other.afterAck = pauseMs(2500) + playPcap(dtmfPcap(fx.dir(), "other", "1234#", otherTrain)) +
                     pauseMs(2000) + streamTone(toneFile(fx.dir(), 700)) + pauseMs(22000);
    const double t0 = nowSeconds();
    SippPeer o = startUac(fx, "other", other, otherPort);
    // The caller listens to the prompt, then enters the PIN and says nothing.
    DtmfTrain train;
    UacOptions caller;
    caller.fromUser = "caller";
    caller.afterAck = pauseMs(3000) + playPcap(dtmfPcap(fx.dir(), "caller", "1234#", train)) + pauseMs(20000);
    SippPeer c = startUac(fx, "caller", caller, callerPort);

    for (auto* p : {&o, &c}) {
        bool answered = p->waitAnswered(20s);
        INFO(p->describe() << "\n" << fx.logs());
        REQUIRE(answered);  // a PIN room answers first, then asks
    }
    {
        bool prompt = cap->waitHeard(callerPort, kPromptEnterPin, t0, 15s);
        INFO(cap->describe(callerPort, t0) << "\n" << fx.logs(3000));
        CHECK(prompt);
    }
    {
        bool heard = cap->waitHeard(callerPort, 700, t0, 30s);
        INFO(cap->describe(callerPort, t0) << "\n" << c.describe(1500) << "\n" << fx.logs(4000));
        CHECK(heard);
    }
    CHECK_FALSE(c.received("BYE ", "BYE"));
    auto rc = c.wait(40s);
    INFO(c.describe());
    CHECK(rc == std::optional<int>(0));
}

TEST_CASE("as focus: three wrong PINs play pin-wrong, then goodbye, then the focus hangs up",
          "[focus][e2e][sipp][pin]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("r1", "\"pin\":\"1234\"")}));
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    DtmfTrain train;
    UacOptions o;
    o.fromUser = "guesser";
    o.afterAck = pauseMs(3000) + playPcap(dtmfPcap(fx.dir(), "try1", "0000#", train)) + pauseMs(7000) +
                 playPcap(dtmfPcap(fx.dir(), "try2", "4321#", train)) + pauseMs(7000) +
                 playPcap(dtmfPcap(fx.dir(), "try3", "9999#", train));
    o.expectByeFromAs = true;
    o.timeoutSeconds = 60;
    const double t0 = nowSeconds();
    SippPeer c = startUac(fx, "guesser", o, port);
    {
        bool answered = c.waitAnswered(20s);
        INFO(c.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    auto rc = c.wait(60s);
    {
        INFO(c.describe() << "\n" << fx.logs(4000));
        CHECK(c.received("BYE ", "BYE"));
        CHECK(rc == std::optional<int>(0));
    }
    INFO(cap->describe(port, t0));
    CHECK(cap->waitHeard(port, kPromptEnterPin, t0, 5s));
    auto wrong = cap->firstHeard(port, kPromptPinWrong, t0);
    auto bye = cap->firstHeard(port, kPromptGoodbye, t0);
    CHECK(wrong);
    CHECK(bye);
    if (wrong && bye) CHECK(*wrong < *bye);
}

TEST_CASE("as focus: waitForModerator plays music on hold until the moderator joins",
          "[focus][e2e][sipp][pin]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson(
        {room("r2", "\"pin\":\"1234\",\"moderatorPin\":\"5678\",\"waitForModerator\":true")}));
    const std::uint16_t waiterPort = freeMediaPort();
    std::uint16_t moderatorPort = freeMediaPort();
    while (moderatorPort == waiterPort) moderatorPort = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {waiterPort, moderatorPort}, why);
    if (!cap) PARLEY_SKIP(why);

    DtmfTrain waiterTrain;
    UacOptions w;
    w.room = "r2";
    w.fromUser = "waiter";
    w.afterAck = pauseMs(3000) + playPcap(dtmfPcap(fx.dir(), "waiter", "1234#", waiterTrain)) +
                 pauseMs(35000);
    const double t0 = nowSeconds();
    SippPeer waiter = startUac(fx, "waiter", w, waiterPort);
    {
        bool answered = waiter.waitAnswered(20s);
        INFO(waiter.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    {
        bool moh = cap->waitHeard(waiterPort, kPromptMoh, t0, 20s);
        INFO(cap->describe(waiterPort, t0) << "\n" << fx.logs(4000));
        REQUIRE(moh);
    }

    DtmfTrain modTrain;
    UacOptions m;
    m.room = "r2";
    m.fromUser = "moderator";
    m.afterAck = pauseMs(3000) + playPcap(dtmfPcap(fx.dir(), "moderator", "5678#", modTrain)) +
                 pauseMs(1500) + streamTone(toneFile(fx.dir(), 900)) + pauseMs(15000);
    const double t1 = nowSeconds();
    SippPeer moderator = startUac(fx, "moderator", m, moderatorPort);
    {
        bool answered = moderator.waitAnswered(20s);
        INFO(moderator.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    {
        bool heard = cap->waitHeard(waiterPort, 900, t1, 30s);
        INFO(cap->describe(waiterPort, t1) << "\n" << moderator.describe(1500) << "\n" << fx.logs(4000));
        REQUIRE(heard);
    }
    // Music on hold stopped once the conference started.
    auto start = cap->firstHeard(waiterPort, 900, t1);
    REQUIRE(start);
    auto moh = cap->loudest(waiterPort, kPromptMoh, *start + 2.0);
    INFO(cap->describe(waiterPort, *start + 2.0));
    CHECK((!moh || *moh < kNotHeard));
}

TEST_CASE("as focus: early media asks for the PIN before the answer, then 200 and the room",
          "[focus][e2e][sipp][pin][early]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusOptions options;
    options.asExtraArgs = {"--early-media"};
    FocusSystem fx(roomsJson({room("r1", "\"pin\":\"1234\"")}), options);
    const std::uint16_t callerPort = freeMediaPort();
    std::uint16_t otherPort = freeMediaPort();
    while (otherPort == callerPort) otherPort = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {callerPort, otherPort}, why);
    if (!cap) PARLEY_SKIP(why);

    // Both enter the PIN while only a 183 has come: sipp's scenario waits for the 200 after
    // the digits, so a 200 before them would break the scenario (exit status not 0).
    DtmfTrain otherTrain;
    UacOptions other;
    other.fromUser = "other";
    other.earlyMedia = pauseMs(2500) + playPcap(dtmfPcap(fx.dir(), "other", "1234#", otherTrain));
    other.afterAck = streamTone(toneFile(fx.dir(), 700)) + pauseMs(20000);
    const double t0 = nowSeconds();
    SippPeer o = startUac(fx, "other", other, otherPort);
    DtmfTrain train;
    UacOptions caller;
    caller.fromUser = "caller";
    caller.earlyMedia = pauseMs(3000) + playPcap(dtmfPcap(fx.dir(), "caller", "1234#", train));
    caller.afterAck = pauseMs(15000);
    SippPeer c = startUac(fx, "caller", caller, callerPort);

    {
        bool prompt = cap->waitHeard(callerPort, kPromptEnterPin, t0, 15s);
        INFO(cap->describe(callerPort, t0) << "\n" << c.describe(1500) << "\n" << fx.logs(3000));
        CHECK(prompt);
    }
    for (auto* p : {&o, &c}) {
        bool answered = p->waitAnswered(25s);
        INFO(p->describe() << "\n" << fx.logs());
        REQUIRE(answered);
        CHECK(p->received("SIP/2.0 183", "1 INVITE"));
    }
    {
        bool heard = cap->waitHeard(callerPort, 700, t0, 30s);
        INFO(cap->describe(callerPort, t0) << "\n" << c.describe(1500) << "\n" << fx.logs(4000));
        CHECK(heard);
    }
    auto rc = c.wait(40s);
    INFO(c.describe());
    CHECK(rc == std::optional<int>(0));
}

TEST_CASE("as focus: early media refuses three wrong PINs with 403 and never answers",
          "[focus][e2e][sipp][pin][early]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusOptions options;
    options.asExtraArgs = {"--early-media"};
    FocusSystem fx(roomsJson({room("r1", "\"pin\":\"1234\"")}), options);
    DtmfTrain train;
    UacOptions o;
    o.fromUser = "guesser";
    o.earlyMedia = pauseMs(3000) + playPcap(dtmfPcap(fx.dir(), "try1", "0000#", train)) + pauseMs(7000) +
                   playPcap(dtmfPcap(fx.dir(), "try2", "4321#", train)) + pauseMs(7000) +
                   playPcap(dtmfPcap(fx.dir(), "try3", "9999#", train));
    o.expectStatus = 403;
    o.timeoutSeconds = 60;
    SippPeer c = startUac(fx, "guesser", o);
    auto rc = c.wait(60s);
    {
        INFO(c.describe() << "\n" << fx.logs(4000));
        CHECK(rc == std::optional<int>(0));
        CHECK(c.received("SIP/2.0 403", "1 INVITE"));
        CHECK_FALSE(c.received("SIP/2.0 200", "1 INVITE"));
    }
    INFO(fx.logs(3000));
    CHECK(fx.waitMsLegs(0, 15s));
}

}  // namespace parley::test::focus

// The harness checked on its own, without parley: a sipp caller built by uacScenario()
// calls the sipp answerer of startUasAt(); each streams its tone, the caller also plays a
// DTMF pcap from dtmfPcap(). The capture must hear each tone at the other side, find every
// digit with its own RTP timestamp, and read the same packets back from pcapng. When this
// test fails, the focus tests' failures say nothing about the focus.

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <thread>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/e2e/as_focus/raw_sip.hpp"
#include "tests/support/media/rtp_wire.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

TEST_CASE("as focus harness: two sipp peers hear each other through the capture, DTMF pcaps arrive whole",
          "[focus][e2e][harness]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    TempDir root("parley-focus-harness");
    const std::uint16_t uacMedia = freeMediaPort();
    std::uint16_t uasMedia = freeMediaPort();
    while (uasMedia == uacMedia) uasMedia = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(root.path(), {uacMedia, uasMedia}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    SippPeer uas = startUasAt(root.path(), "uas", toneFile(root.path(), 1100), 40, uasMedia);
    DtmfTrain train;
    UacOptions o;
    o.room = "echo";
    o.afterAck = streamTone(toneFile(root.path(), 500)) + pauseMs(4000) +
                 playPcap(dtmfPcap(root.path(), "digits", "1234#", train)) + pauseMs(3000);
    o.timeoutSeconds = 40;
    SippPeer uac = startUacAt(root.path(), "uac", o, uas.sipPort, uacMedia);
    {
        bool answered = uac.waitAnswered(15s);
        INFO(uac.describe() << "\n" << uas.describe());
        REQUIRE(answered);
    }
    CHECK(cap->waitHeard(uacMedia, 1100, t0, 15s));
    CHECK(cap->waitHeard(uasMedia, 500, t0, 15s));
    {
        INFO(cap->describe(uacMedia, t0));
        CHECK(cap->loudest(uacMedia, 500, t0).value_or(0) < kNotHeard);
    }
    auto rcUac = uac.wait(30s);
    auto rcUas = uas.wait(10s);
    {
        INFO(uac.describe() << "\n" << uas.describe());
        CHECK(rcUac == std::optional<int>(0));
        CHECK(rcUas == std::optional<int>(0));
    }
    std::this_thread::sleep_for(1500ms);  // dumpcap writes the file in its own time

    // The digits, each under its own RTP timestamp, in order.
    std::string digits;
    std::set<std::uint32_t> stamps;
    for (const auto& d : cap->datagrams()) {
        if (d.dstPort != uasMedia) continue;
        auto rtp = parseRtp(d.payload);
        if (!rtp || rtp->header.payloadType != 101) continue;
        auto e = parseTelephoneEvent(rtp->payload);
        if (e && stamps.insert(rtp->header.timestamp).second) digits += digitForEvent(e->event);
    }
    CHECK(digits == "1234#");

    // pcapng reads back the same datagrams.
    if (haveProgram("editcap")) {
        const auto ng = root.path() / "capture.pcapng";
        Process conv = Process::start({"editcap", "-F", "pcapng", cap->file().string(), ng.string()},
                                      "editcap", root.path());
        REQUIRE(conv.wait(20s) == std::optional<int>(0));
        auto classic = readPcap(cap->file());
        auto next = readPcap(ng);
        REQUIRE(classic);
        REQUIRE(next);
        CHECK(next->datagrams.size() == classic->datagrams.size());
        CHECK(next->linkType == classic->linkType);
        if (!next->datagrams.empty() && next->datagrams.size() == classic->datagrams.size()) {
            CHECK(next->datagrams.back().payload == classic->datagrams.back().payload);
            CHECK(std::abs(next->datagrams.back().time - classic->datagrams.back().time) < 1e-3);
        }
    }
}

}  // namespace parley::test::focus

namespace parley::test::focus {

TEST_CASE("as focus harness: the hold scenario's re-INVITEs run against a sipp answerer",
          "[focus][e2e][harness]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    TempDir root("parley-focus-harness");
    SippPeer uas = startUasAt(root.path(), "uas", toneFile(root.path(), 1100), 40, 0, 3);
    UacOptions o;
    o.room = "echo";
    o.afterAck = pauseMs(500) + reInvite("sendonly", 2) + pauseMs(300) + reInvite("inactive", 3) +
                 pauseMs(300) + reInvite("sendrecv", 4) + pauseMs(300);
    o.timeoutSeconds = 30;
    SippPeer uac = startUacAt(root.path(), "uac", o, uas.sipPort);
    auto rcUac = uac.wait(30s);
    auto rcUas = uas.wait(10s);
    INFO(uac.describe() << "\n" << uas.describe());
    CHECK(rcUac == std::optional<int>(0));
    CHECK(rcUas == std::optional<int>(0));
    for (int cseq = 2; cseq <= 4; ++cseq) CHECK(uac.received("SIP/2.0 200", std::to_string(cseq) + " INVITE"));
    CHECK(uas.received("BYE ", "BYE"));
}

}  // namespace parley::test::focus

namespace parley::test::focus {

TEST_CASE("as focus harness: the raw SIP client answers requests and matches responses",
          "[focus][e2e][harness]") {
    RawSipClient a;
    RawSipClient b;
    auto notify = a.request("NOTIFY", "sip:raw@127.0.0.1:" + std::to_string(b.port()),
                            {"Event: refer", "Subscription-State: active;expires=60"},
                            "SIP/2.0 200 OK\r\n", "message/sipfrag;version=2.0", 3);
    REQUIRE(a.send(b.port(), notify.text));
    auto got = b.waitRequest("NOTIFY", 5s);
    REQUIRE(got);
    CHECK(got->header("o") == "refer");  // compact form of Event
    CHECK(got->header("content-type") == "message/sipfrag;version=2.0");
    CHECK(got->body == "SIP/2.0 200 OK\r\n");
    CHECK(got->cseqMethod() == "NOTIFY");
    auto ok = a.waitResponse(notify.callId, "NOTIFY", 5s);
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK_FALSE(ok->toTag().empty());
    CHECK(ok->header("Via").find(notify.branch) != std::string::npos);
    // Not SIP: ignored, nothing queued, nothing answered.
    REQUIRE(a.send(b.port(), std::string("\x01\x02garbage", 9)));
    CHECK_FALSE(b.waitRequest("NOTIFY", 300ms));
    CHECK_FALSE(parseSipText("garbage"));
    CHECK_FALSE(parseSipText("INVITE sip:x SIP/3.0\r\n\r\n"));
}

}  // namespace parley::test::focus

// parley-ms as a process on loopback: the control dialog over SIP (AS side: proto/sip) and
// the CFW channel checked on the wire from a raw TCP client (RFC 6230, RFC 7058 section 5).

#include <signal.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "tests/component/ms/ms_harness.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::ms {
namespace {

namespace cfw = proto::cfw;

// parley-ms with one control dialog answered 200.
struct ControlDialog {
    MsInstance ms = startMs();
    AsSipPeer as;
    std::string cfwId = freshCfwId();
    AsSipPeer::Answer answer;

    ControlDialog() {
        answer = as.invite(ms.sipPort, controlOffer(cfwId));
        if (answer.status != 200)
            throw std::runtime_error("control INVITE answered " + std::to_string(answer.status));
    }
    std::unique_ptr<CfwClient> connect() const { return CfwClient::connect(ms.cfwPort); }
    std::unique_ptr<CfwClient> synced(int keepAlive = 100) const {
        auto c = connect();
        if (!c) return nullptr;
        auto r = c->sync(cfwId, keepAlive);
        if (!r || r->status != 200) return nullptr;
        return c;
    }
};

bool contains(const std::string& s, const std::string& what) {
    return s.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("ms: bad flags and a bad config file exit non-zero with a message", "[ms]") {
    TempDir dir;
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), binPath("parley-ms").string());
        auto p = Process::start(args, "bad-flags", dir.path());
        auto code = p.wait(20s);
        return std::make_pair(code.value_or(-1), p.output());
    };
    auto [c1, o1] = run({"--no-such-flag"});
    CHECK(c1 != 0);
    CHECK(contains(o1, "unknown option"));
    CHECK(contains(o1, "usage: parley-ms"));

    auto [c2, o2] = run({"--rtp-ports", "30001-20000"});
    CHECK(c2 != 0);
    CHECK(contains(o2, "--rtp-ports"));

    auto [c3, o3] = run({"--cfw-listen", "127.0.0.1:99999"});
    CHECK(c3 != 0);
    CHECK(contains(o3, "--cfw-listen"));

    { std::ofstream(dir.path() / "ms.conf") << "sip-listen = 127.0.0.1:0\nbogus-key = 1\n"; }
    auto [c4, o4] = run({"--config", (dir.path() / "ms.conf").string()});
    CHECK(c4 != 0);
    CHECK(contains(o4, "bogus-key"));

    auto [c6, o6] = run({"--media-priority", "100"});
    CHECK(c6 != 0);
    CHECK(contains(o6, "--media-priority"));

    auto [c7, o7] = run({"--media-keep-awake", "sometimes"});
    CHECK(c7 != 0);
    CHECK(contains(o7, "--media-keep-awake must be on or off"));

    auto [c8, o8] = run({"--media-io-uring", "maybe"});
    CHECK(c8 != 0);
    CHECK(contains(o8, "--media-io-uring must be on or off"));

    auto [c5, o5] = run({"--help"});
    CHECK(c5 == 0);
    CHECK(contains(o5, "--cfw-listen"));
}

TEST_CASE("ms: the control INVITE is answered per COMEDIA, media offers open media dialogs",
          "[ms]") {
    MsInstance ms = startMs();
    AsSipPeer as;

    const std::string cfwId = freshCfwId();
    auto ok = as.invite(ms.sipPort, controlOffer(cfwId));
    REQUIRE(ok.status == 200);
    CHECK(sdpAttribute(ok.body, "setup") == "passive");
    CHECK(sdpAttribute(ok.body, "connection") == "new");
    const std::string msCfwId = sdpAttribute(ok.body, "cfw-id");
    CHECK(!msCfwId.empty());
    CHECK(msCfwId != cfwId);
    CHECK(sdpApplicationPort(ok.body) == ms.cfwPort);
    CHECK(contains(ok.body, "c=IN IP4 127.0.0.1"));

    SECTION("a cfw-id already used by a live control dialog") {
        CHECK(as.invite(ms.sipPort, controlOffer(cfwId)).status == 488);
    }
    SECTION("a=setup:passive, holdconn, connection:existing") {
        CHECK(as.invite(ms.sipPort, controlOffer(freshCfwId(), "passive")).status == 488);
        CHECK(as.invite(ms.sipPort, controlOffer(freshCfwId(), "holdconn")).status == 488);
        CHECK(as.invite(ms.sipPort, controlOffer(freshCfwId(), "active", "existing")).status ==
              488);
    }
    SECTION("actpass is answered passive") {
        auto r = as.invite(ms.sipPort, controlOffer(freshCfwId(), "actpass"));
        CHECK(r.status == 200);
        CHECK(sdpAttribute(r.body, "setup") == "passive");
    }
    SECTION("no cfw-id, two control m-lines, TLS") {
        std::string offer = controlOffer(freshCfwId());
        std::string noId = offer.substr(0, offer.find("a=cfw-id"));
        CHECK(as.invite(ms.sipPort, noId).status == 488);
        std::string mline = offer.substr(offer.find("m=application"));
        CHECK(as.invite(ms.sipPort, offer + mline).status == 488);
        std::string tls = controlOffer(freshCfwId());
        tls.replace(tls.find("TCP cfw"), 7, "TCP/TLS cfw");
        CHECK(as.invite(ms.sipPort, tls).status == 488);
    }
    SECTION("an audio offer is a media dialog; a video-only offer gets 488") {
        std::string audio =
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        auto r = as.invite(ms.sipPort, audio);
        CHECK(r.status == 200);
        CHECK(contains(r.body, "m=audio "));
        CHECK(contains(r.body, "a=label:"));
        CHECK(contains(r.body, "a=ptime:20"));
        std::string video =
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
        CHECK(as.invite(ms.sipPort, video).status == 488);
        CHECK(as.bye(r.dialog));
    }
    SECTION("the MS's own cfw-id is accepted as the SYNC's Dialog-ID too") {
        auto c = CfwClient::connect(ms.cfwPort);
        REQUIRE(c);
        auto r = c->sync(msCfwId);
        REQUIRE(r);
        CHECK(r->status == 200);
    }
}

TEST_CASE("ms: RFC 7058 5.4: CONTROL before SYNC gets 403 and the connection closes", "[ms]") {
    ControlDialog cd;
    auto c = cd.connect();
    REQUIRE(c);
    REQUIRE(c->send(CfwClient::controlText(
        "early001", "msc-ivr/1.0", "application/msc-ivr+xml",
        "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\"><audit/></mscivr>")));
    auto r = c->next();
    REQUIRE(r);
    CHECK(r->transId == "early001");
    CHECK(r->status == 403);
    CHECK(c->waitClosed(5s));

    // The control dialog was not harmed: a proper channel still comes up.
    CHECK(cd.synced());
}

TEST_CASE("ms: RFC 7058 5.4: SYNC with a wrong Dialog-ID gets 481 and the connection closes",
          "[ms]") {
    ControlDialog cd;
    auto c = cd.connect();
    REQUIRE(c);
    auto r = c->sync("no-such-dialog");
    REQUIRE(r);
    CHECK(r->status == 481);
    CHECK(c->waitClosed(5s));

    SECTION("a dialog already bound to another connection") {
        auto first = cd.synced();
        REQUIRE(first);
        auto second = cd.connect();
        REQUIRE(second);
        auto r2 = second->sync(cd.cfwId);
        REQUIRE(r2);
        CHECK(r2->status == 481);
        CHECK(second->waitClosed(5s));
        // The first channel is unaffected.
        REQUIRE(first->send("CFW ka000001 K-ALIVE\r\n\r\n"));
        auto ka = first->next();
        REQUIRE(ka);
        CHECK(ka->status == 200);
    }
}

TEST_CASE("ms: SYNC, K-ALIVE, package dispatch and framework errors on the wire", "[ms]") {
    ControlDialog cd;
    auto c = cd.connect();
    REQUIRE(c);
    REQUIRE(c->send(CfwClient::syncText("sync7058", cd.cfwId, 100, "msc-ivr/1.0,msc-mixer/1.0")));
    auto sync = c->next();
    REQUIRE(sync);
    CHECK(sync->transId == "sync7058");
    CHECK(sync->status == 200);
    REQUIRE(sync->keepAlive);
    CHECK(*sync->keepAlive == 100);
    REQUIRE(sync->packages);
    CHECK(sync->packages->size() == 2);

    auto roundTrip = [&](const std::string& text) {
        REQUIRE(c->send(text));
        auto r = c->next();
        REQUIRE(r);
        return *r;
    };

    SECTION("K-ALIVE") {
        auto r = roundTrip("CFW ka000001 K-ALIVE\r\n\r\n");
        CHECK(r.transId == "ka000001");
        CHECK(r.status == 200);
    }
    SECTION("unknown method: 500") {
        CHECK(roundTrip("CFW xx000001 FROBNICATE\r\n\r\n").status == 500);
    }
    SECTION("un-negotiated package: 420") {
        CHECK(roundTrip(
                  CfwClient::controlText("pk000001", "msc-example/1.0", "application/xml", "<x/>"))
                  .status == 420);
    }
    SECTION("a body that is not XML: 400, and the channel stays up") {
        CHECK(roundTrip(CfwClient::controlText("bx000001", "msc-mixer/1.0",
                                               "application/msc-mixer+xml",
                                               "<mscmixer version=\"1.0\"><audit"))
                  .status == 400);
        CHECK(roundTrip(CfwClient::controlText("bx000002", "msc-ivr/1.0", "application/msc-ivr+xml",
                                               "this is not xml"))
                  .status == 400);
        CHECK(roundTrip("CFW ka000002 K-ALIVE\r\n\r\n").status == 200);
    }
    SECTION("mixer audit: 200 with an auditresponse listing the codecs") {
        std::string body =
            "<mscmixer version=\"1.0\" "
            "xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/></mscmixer>";
        if (auto ex = specExample("mix_15_s4.3.1.xml")) body = *ex;
        auto r = roundTrip(
            CfwClient::controlText("ma000001", "msc-mixer/1.0", "application/msc-mixer+xml", body));
        CHECK(r.status == 200);
        CHECK(r.contentType.value_or("") == "application/msc-mixer+xml");
        CHECK(contains(r.body, "<auditresponse status=\"200\""));
        CHECK(contains(r.body, "<subtype>PCMU</subtype>"));
        CHECK(contains(r.body, "<subtype>PCMA</subtype>"));
    }
    SECTION("mixer audit of a conference the channel does not have: 406 inside a 200") {
        std::string body =
            "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">"
            "<audit capabilities=\"false\" conferenceid=\"conf4\"/></mscmixer>";
        auto r = roundTrip(
            CfwClient::controlText("ma000002", "msc-mixer/1.0", "application/msc-mixer+xml", body));
        CHECK(r.status == 200);
        CHECK(contains(r.body, "status=\"406\""));
    }
    SECTION("IVR audit: 200 with capabilities") {
        std::string body =
            "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\"><audit/></mscivr>";
        auto r = roundTrip(
            CfwClient::controlText("ia000001", "msc-ivr/1.0", "application/msc-ivr+xml", body));
        CHECK(r.status == 200);
        CHECK(contains(r.body, "<auditresponse status=\"200\""));
        CHECK(contains(r.body, "<prompttypes>"));
        CHECK(contains(r.body, "telephone-event"));
        CHECK(contains(r.body, "<dialogs/>"));
    }
    SECTION("well-formed but against the package: the package's status in a 200") {
        std::string body =
            "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">"
            "<dialogstart dialogid=\"d1\"/></mscivr>";
        auto r = roundTrip(
            CfwClient::controlText("iv000001", "msc-ivr/1.0", "application/msc-ivr+xml", body));
        CHECK(r.status == 200);
        CHECK(contains(r.body, "status=\"400\""));
        CHECK(contains(r.body, "dialogid=\"d1\""));
    }
    SECTION("createconference is carried out; a dialog on an unknown connection gets 407") {
        std::string create =
            "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">"
            "<createconference conferenceid=\"c1\"/></mscmixer>";
        auto m = roundTrip(CfwClient::controlText("cc000001", "msc-mixer/1.0",
                                                  "application/msc-mixer+xml", create));
        CHECK(m.status == 200);
        CHECK(contains(m.body, "status=\"200\""));
        CHECK(contains(m.body, "conferenceid=\"c1\""));
        std::string start =
            "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">"
            "<dialogstart connectionid=\"a:b\"><dialog><prompt><media loc=\"file:///x.wav\"/>"
            "</prompt></dialog></dialogstart></mscivr>";
        auto i = roundTrip(
            CfwClient::controlText("ds000001", "msc-ivr/1.0", "application/msc-ivr+xml", start));
        CHECK(i.status == 200);
        CHECK(contains(i.body, "status=\"407\""));
    }
    SECTION("/health and /metrics count the channel") {
        auto [hs, health] = httpGet(cd.ms.httpPort, "/health");
        CHECK(hs == 200);
        CHECK(contains(health, "\"status\":\"ok\""));
        CHECK(contains(health, "\"channelsUp\":1"));
        CHECK(contains(health, "\"controlDialogs\":1"));
        auto [ms, metrics] = httpGet(cd.ms.httpPort, "/metrics");
        CHECK(ms == 200);
        CHECK(contains(metrics, "parley_ms_cfw_channels_up 1"));
        CHECK(contains(metrics, "parley_ms_cfw_messages_in_total"));
    }
}

TEST_CASE("ms: keep-alive expiry closes the connection and BYEs the control dialog", "[ms]") {
    ControlDialog cd;
    auto c = cd.synced(2);
    REQUIRE(c);
    auto start = std::chrono::steady_clock::now();
    CHECK(c->waitClosed(10s));
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= 1500ms);
    CHECK(cd.as.waitBye(cd.answer.dialog, 10s));
    CHECK(cd.as.waitTerminated(cd.answer.dialog, 10s));
}

TEST_CASE("ms: malformed input gets answers, the process survives, memory stays bounded", "[ms]") {
    ControlDialog cd;
    auto c = cd.synced();
    REQUIRE(c);

    // Truncated frame: a header block cut short, then a good message; the bad one is read as
    // garbage up to the next "CFW " line and the good one is answered.
    REQUIRE(c->send("CFW trunc001 K-ALIVE\r\nContent-Le"));
    REQUIRE(c->send("\r\n\r\nCFW good0001 K-ALIVE\r\n\r\n"));
    bool answeredGood = false;
    for (int i = 0; i < 3 && !answeredGood; ++i) {
        auto r = c->next(3s);
        if (!r) break;
        answeredGood = r->transId == "good0001" && r->status == 200;
    }
    CHECK(answeredGood);

    // Huge Content-Length: refused without buffering; the channel stays up.
    REQUIRE(
        c->send("CFW huge0001 CONTROL\r\nControl-Package: msc-ivr/1.0\r\nContent-Type: "
                "application/msc-ivr+xml\r\nContent-Length: 999999999999\r\n\r\n"));
    auto huge = c->next();
    REQUIRE(huge);
    CHECK(huge->transId == "huge0001");
    CHECK(huge->status == 400);

    // Binary garbage on a second channel (the first one is now discarding that body).
    c.reset();
    const std::string id2 = freshCfwId();
    auto second = cd.as.invite(cd.ms.sipPort, controlOffer(id2));
    REQUIRE(second.status == 200);
    auto c2 = CfwClient::connect(cd.ms.cfwPort);
    REQUIRE(c2);
    auto s2 = c2->sync(id2);
    REQUIRE(s2);
    REQUIRE(s2->status == 200);
    std::string garbage;
    for (int i = 0; i < 20000; ++i) garbage += static_cast<char>((i * 7919) % 256);
    REQUIRE(c2->send(garbage));
    REQUIRE(c2->send("\r\nCFW afte0001 K-ALIVE\r\n\r\n"));
    bool answered = false;
    for (int i = 0; i < 5 && !answered; ++i) {
        auto r = c2->next(3s);
        if (!r) break;
        answered = r->transId == "afte0001" && r->status == 200;
    }
    CHECK(answered);

    // 10,000 pipelined K-ALIVEs, all answered in order.
    std::string burst;
    for (int i = 0; i < 10000; ++i)
        burst += "CFW k" + std::to_string(100000 + i) + " K-ALIVE\r\n\r\n";
    REQUIRE(c2->send(burst));
    int answeredCount = 0;
    bool inOrder = true;
    for (int i = 0; i < 10000; ++i) {
        auto r = c2->next(10s);
        if (!r) break;
        inOrder = inOrder && r->transId == "k" + std::to_string(100000 + i) && r->status == 200;
        ++answeredCount;
    }
    CHECK(answeredCount == 10000);
    CHECK(inOrder);

    CHECK(cd.ms.process.running());
    long rss = rssKiB(cd.ms.process.pid());
    INFO("VmRSS " << rss << " KiB");
    CHECK(rss > 0);
    CHECK(rss < 200 * 1024);
}

TEST_CASE("ms: BYE from the AS closes the channel's TCP connection", "[ms]") {
    ControlDialog cd;
    auto c = cd.synced();
    REQUIRE(c);
    REQUIRE(cd.as.bye(cd.answer.dialog));
    CHECK(c->waitClosed(5s));
    CHECK(cd.as.waitTerminated(cd.answer.dialog, 5s));
    // The dialog is gone: its cfw-id no longer binds.
    auto again = cd.connect();
    REQUIRE(again);
    auto r = again->sync(cd.cfwId);
    REQUIRE(r);
    CHECK(r->status == 481);
}

TEST_CASE("ms: several ASes hold channels at once", "[ms]") {
    MsInstance ms = startMs();
    AsSipPeer as1;
    AsSipPeer as2;
    std::string id1 = freshCfwId(), id2 = freshCfwId();
    auto a1 = as1.invite(ms.sipPort, controlOffer(id1));
    auto a2 = as2.invite(ms.sipPort, controlOffer(id2));
    REQUIRE(a1.status == 200);
    REQUIRE(a2.status == 200);
    auto c1 = CfwClient::connect(ms.cfwPort);
    auto c2 = CfwClient::connect(ms.cfwPort);
    REQUIRE(c1);
    REQUIRE(c2);
    auto s1 = c1->sync(id1);
    auto s2 = c2->sync(id2);
    REQUIRE(s1);
    REQUIRE(s2);
    CHECK(s1->status == 200);
    CHECK(s2->status == 200);
    // Ending one leaves the other up.
    REQUIRE(as1.bye(a1.dialog));
    CHECK(c1->waitClosed(5s));
    REQUIRE(c2->send("CFW ka000009 K-ALIVE\r\n\r\n"));
    auto ka = c2->next();
    REQUIRE(ka);
    CHECK(ka->status == 200);
}

TEST_CASE("ms: SIGTERM BYEs the control dialogs, closes the channels and exits 0", "[ms]") {
    ControlDialog cd;
    auto c = cd.synced();
    REQUIRE(c);
    auto start = std::chrono::steady_clock::now();
    int code = cd.ms.process.stop(SIGTERM, 10s);
    CHECK(code == 0);
    CHECK(std::chrono::steady_clock::now() - start < 6s);
    CHECK(cd.as.waitBye(cd.answer.dialog, 5s));
    CHECK(c->waitClosed(5s));
}

}  // namespace parley::test::ms

// One Channel at a time, driven by hand-written peer bytes and a fake clock.

#include <catch2/catch.hpp>

#include <set>

#include "harness.hpp"
#include "proto/cfw/writer.hpp"

namespace cfw = parley::proto::cfw;
using cfw::Channel;
using cfw::ChannelState;
using cfw::CloseReason;
using cfw::Message;
using parley::test::cfw::clientConfig;
using parley::test::cfw::ControlLog;
using parley::test::cfw::FakeClock;
using parley::test::cfw::RecordingHandler;
using parley::test::cfw::serverConfig;
using namespace std::chrono_literals;

namespace {

const std::string kSync =
    "CFW 6e5e86f95609 SYNC\r\n"
    "Dialog-ID: 5feb6486792a\r\n"
    "Keep-Alive: 100\r\n"
    "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
    "\r\n";

const std::string kSync200 =
    "CFW 6e5e86f95609 200\r\n"
    "Keep-Alive: 100\r\n"
    "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n"
    "Supported: msc-example-pkg/1.0\r\n"
    "\r\n";

std::string control(const std::string& id, const std::string& package = "msc-ivr/1.0",
                    const std::string& body = "<mscivr version=\"1.0\"/>") {
    Message m = Message::request(id, cfw::Method::Control);
    m.controlPackage = package;
    m.contentType = "application/msc-ivr+xml";
    m.body = body;
    return cfw::serialize(m);
}

// A server channel that has accepted the RFC 7058 SYNC.
struct SyncedServer {
    FakeClock clock;
    RecordingHandler h;
    Channel ch{serverConfig(), h};
    SyncedServer() {
        h.dialogs = {"5feb6486792a"};
        ch.start(clock.now);
        ch.onBytes(kSync, clock.now);
        REQUIRE(h.takeBytes() == kSync200);
        REQUIRE(ch.state() == ChannelState::Up);
    }
};

// A client channel whose SYNC (trans-id 6e5e86f95609) was answered 200.
struct SyncedClient {
    FakeClock clock;
    RecordingHandler h;
    Channel ch{[] {
                   auto c = clientConfig();
                   c.transIds = [n = 0]() mutable {
                       return ++n == 1 ? std::string("6e5e86f95609") : "as" + std::to_string(1000 + n);
                   };
                   return c;
               }(),
               h};
    SyncedClient() {
        ch.start(clock.now);
        REQUIRE(h.takeBytes() == kSync);
        ch.onBytes(kSync200, clock.now);
        REQUIRE(ch.state() == ChannelState::Up);
    }
};

}  // namespace

// --- server role ----------------------------------------------------------------------

TEST_CASE("cfw server channel: the RFC 7058 SYNC gets the RFC's 200, byte for byte", "[cfw][channel]") {
    SyncedServer s;
    CHECK(s.ch.negotiatedPackages() == std::vector<std::string>{"msc-ivr/1.0", "msc-mixer/1.0"});
    CHECK(s.ch.keepAliveSeconds() == 100);
    CHECK(s.ch.dialogId() == "5feb6486792a");
    REQUIRE(s.h.ups.size() == 1);
    CHECK(s.ch.nextDeadline() == s.clock.now + 100s);
}

TEST_CASE("cfw server channel: a CONTROL before SYNC gets 403 and closes (RFC 7058 5.4)",
          "[cfw][channel]") {
    FakeClock clock;
    RecordingHandler h;
    Channel ch(serverConfig(), h);
    ch.start(clock.now);
    ch.onBytes(
        "CFW 101fbbd62c35 CONTROL\r\nControl-Package: msc-ivr/1.0\r\n"
        "Content-Type: application/msc-ivr+xml\r\nContent-Length: 78\r\n\r\n"
        "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\"><audit/></mscivr>" +
            kSync,
        clock.now);
    CHECK(h.takeBytes() == "CFW 101fbbd62c35 403\r\n\r\n");
    CHECK(ch.state() == ChannelState::Closed);
    REQUIRE(h.closes.size() == 1);
    CHECK(h.closes[0].reason == CloseReason::NotSynced);
    CHECK_FALSE(ch.nextDeadline());
}

TEST_CASE("cfw server channel: a SYNC with an unknown Dialog-ID gets 481 and closes (RFC 7058 5.4)",
          "[cfw][channel]") {
    FakeClock clock;
    RecordingHandler h;
    h.dialogs = {"5feb6486792a"};
    Channel ch(serverConfig(), h);
    ch.start(clock.now);
    ch.onBytes(
        "CFW 2b4dd8724f27 SYNC\r\nDialog-ID: 4hrn7490012c\r\nKeep-Alive: 100\r\n"
        "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n\r\n",
        clock.now);
    CHECK(h.takeBytes() == "CFW 2b4dd8724f27 481\r\n\r\n");
    REQUIRE(h.closes.size() == 1);
    CHECK(h.closes[0].reason == CloseReason::DialogUnknown);
}

TEST_CASE("cfw server channel: no common package gets 422 + Supported and stays unsynchronised",
          "[cfw][channel]") {
    FakeClock clock;
    RecordingHandler h;
    Channel ch(serverConfig(), h);
    ch.start(clock.now);
    ch.onBytes("CFW abcd0001 SYNC\r\nDialog-ID: d1d1d1d1\r\nKeep-Alive: 100\r\nPackages: msc-foo/1.0\r\n\r\n",
               clock.now);
    CHECK(h.takeBytes() ==
          "CFW abcd0001 422\r\nSupported: msc-ivr/1.0,msc-mixer/1.0,msc-example-pkg/1.0\r\n\r\n");
    CHECK(ch.state() == ChannelState::Syncing);
    CHECK(h.closes.empty());
    // A second SYNC may still succeed; package names compare case-insensitively.
    ch.onBytes("CFW abcd0002 SYNC\r\nDialog-ID: d1d1d1d1\r\nPackages: MSC-IVR/1.0\r\n\r\n", clock.now);
    CHECK(h.takeBytes() ==
          "CFW abcd0002 200\r\nPackages: MSC-IVR/1.0\r\n"
          "Supported: msc-mixer/1.0,msc-example-pkg/1.0\r\n\r\n");
    CHECK(ch.state() == ChannelState::Up);
    CHECK(ch.keepAliveSeconds() == 0);  // no Keep-Alive in the SYNC: no keep-alive timer
    CHECK_FALSE(ch.nextDeadline());
}

TEST_CASE("cfw server channel: no SYNC within the SYNC wait closes", "[cfw][channel]") {
    FakeClock clock;
    RecordingHandler h;
    Channel ch(serverConfig(), h);
    ch.start(clock.now);
    REQUIRE(ch.nextDeadline() == clock.now + 20s);
    ch.onTick(clock.now + 19s);
    CHECK(h.closes.empty());
    ch.onTick(clock.now + 20s);
    REQUIRE(h.closes.size() == 1);
    CHECK(h.closes[0].reason == CloseReason::SyncTimeout);
}

TEST_CASE("cfw server channel: a Keep-Alive over 600 s is refused with 400", "[cfw][channel]") {
    FakeClock clock;
    RecordingHandler h;
    Channel ch(serverConfig(), h);
    ch.start(clock.now);
    ch.onBytes("CFW abcd0001 SYNC\r\nDialog-ID: d1d1d1d1\r\nKeep-Alive: 601\r\nPackages: msc-ivr/1.0\r\n\r\n",
               clock.now);
    CHECK(h.takeBytes() == "CFW abcd0001 400\r\n\r\n");
    CHECK(ch.state() == ChannelState::Syncing);
}

TEST_CASE("cfw server channel: K-ALIVE gets the RFC's 200 and resets the keep-alive timer",
          "[cfw][channel]") {
    SyncedServer s;
    const auto t0 = s.clock.now;
    s.ch.onTick(t0 + 80s);
    s.ch.onBytes("CFW 518ba6047880 K-ALIVE\r\n\r\n", t0 + 80s);
    CHECK(s.h.takeBytes() == "CFW 518ba6047880 200\r\n\r\n");
    CHECK(s.ch.lastKeepAlive() == t0 + 80s);
    CHECK(s.ch.nextDeadline() == t0 + 180s);
    s.ch.onTick(t0 + 179s);
    CHECK(s.h.closes.empty());
    s.ch.onTick(t0 + 180s);
    REQUIRE(s.h.closes.size() == 1);
    CHECK(s.h.closes[0].reason == CloseReason::KeepAliveExpired);
    CHECK(s.ch.state() == ChannelState::Closed);
}

TEST_CASE("cfw server channel: CONTROL reaches the upper layer; 200 with body goes back",
          "[cfw][channel]") {
    SyncedServer s;
    s.ch.onBytes(control("c0ffee01"), s.clock.now);
    REQUIRE(s.h.controls.size() == 1);
    CHECK(s.h.controls[0].transId == "c0ffee01");
    CHECK(s.h.controls[0].package == "msc-ivr/1.0");
    CHECK(s.h.controls[0].body == "<mscivr version=\"1.0\"/>");
    CHECK(s.ch.openServerTransactions() == 1);
    REQUIRE(s.ch.respond("c0ffee01", 200, s.clock.now, "application/msc-ivr+xml", "<ok/>").ok());
    CHECK(s.h.takeBytes() ==
          "CFW c0ffee01 200\r\nContent-Type: application/msc-ivr+xml\r\nContent-Length: 5\r\n\r\n<ok/>");
    CHECK(s.ch.openServerTransactions() == 0);
    CHECK_FALSE(s.ch.respond("c0ffee01", 200, s.clock.now).ok());
}

TEST_CASE("cfw server channel: 202 then REPORT update/terminate with Seq 1, 2", "[cfw][channel]") {
    SyncedServer s;
    s.ch.onBytes(control("c0ffee02"), s.clock.now);
    REQUIRE(s.ch.accept("c0ffee02", 10, s.clock.now).ok());
    REQUIRE(s.ch.report("c0ffee02", cfw::ReportStatus::Update, s.clock.now, "application/msc-ivr+xml",
                        "<u/>").ok());
    REQUIRE(s.ch.report("c0ffee02", cfw::ReportStatus::Terminate, s.clock.now,
                        "application/msc-ivr+xml", "<t/>").ok());
    CHECK(s.h.takeBytes() ==
          "CFW c0ffee02 202\r\nTimeout: 10\r\n\r\n"
          "CFW c0ffee02 REPORT\r\nSeq: 1\r\nStatus: update\r\nTimeout: 10\r\n"
          "Content-Type: application/msc-ivr+xml\r\nContent-Length: 4\r\n\r\n<u/>"
          "CFW c0ffee02 REPORT\r\nSeq: 2\r\nStatus: terminate\r\nTimeout: 10\r\n"
          "Content-Type: application/msc-ivr+xml\r\nContent-Length: 4\r\n\r\n<t/>");
    CHECK(s.ch.openServerTransactions() == 1);  // until both REPORTs are acknowledged
    s.ch.onBytes("CFW c0ffee02 200\r\nSeq: 1\r\n\r\nCFW c0ffee02 200\r\nSeq: 2\r\n\r\n", s.clock.now);
    CHECK(s.ch.openServerTransactions() == 0);
    CHECK(s.h.failures.empty());
}

TEST_CASE("cfw server channel: an unanswered CONTROL is accepted at 8 s and refreshed at 80 %",
          "[cfw][channel]") {
    SyncedServer s;
    const auto t0 = s.clock.now;
    s.ch.onBytes(control("c0ffee03"), t0);
    CHECK(s.ch.nextDeadline() == t0 + 8s);
    s.ch.onTick(t0 + 8s);
    CHECK(s.h.takeBytes() == "CFW c0ffee03 202\r\nTimeout: 10\r\n\r\n");
    s.ch.onTick(t0 + 16s);
    CHECK(s.h.takeBytes() == "CFW c0ffee03 REPORT\r\nSeq: 1\r\nStatus: update\r\nTimeout: 10\r\n\r\n");
    s.ch.onBytes("CFW c0ffee03 200\r\nSeq: 1\r\n\r\n", t0 + 16s);
    // The upper layer finally answers: respond(200) becomes a REPORT terminate.
    REQUIRE(s.ch.respond("c0ffee03", 200, t0 + 20s, "application/msc-ivr+xml", "<r/>").ok());
    CHECK(s.h.takeBytes() ==
          "CFW c0ffee03 REPORT\r\nSeq: 2\r\nStatus: terminate\r\nTimeout: 10\r\n"
          "Content-Type: application/msc-ivr+xml\r\nContent-Length: 4\r\n\r\n<r/>");
}

TEST_CASE("cfw server channel: duplicate trans-id while pending gets 423", "[cfw][channel]") {
    SyncedServer s;
    s.ch.onBytes(control("c0ffee04"), s.clock.now);
    s.ch.onBytes(control("c0ffee04"), s.clock.now);
    CHECK(s.h.takeBytes() == "CFW c0ffee04 423\r\n\r\n");
    CHECK(s.h.controls.size() == 1);
    REQUIRE(s.ch.respond("c0ffee04", 200, s.clock.now).ok());
    s.h.takeBytes();
    // Once finished, the trans-id is free again.
    s.ch.onBytes(control("c0ffee04"), s.clock.now);
    CHECK(s.h.controls.size() == 2);
}

TEST_CASE("cfw server channel: package not negotiated 420, unknown method 500, malformed 400",
          "[cfw][channel]") {
    SyncedServer s;
    s.ch.onBytes(control("c0ffee05", "msc-example-pkg/1.0"), s.clock.now);
    CHECK(s.h.takeBytes() == "CFW c0ffee05 420\r\n\r\n");
    s.ch.onBytes("CFW c0ffee06 FROBNICATE\r\n\r\n", s.clock.now);
    CHECK(s.h.takeBytes() == "CFW c0ffee06 500\r\n\r\n");
    s.ch.onBytes("CFW c0ffee07 CONTROL\r\nContent-Type: a/b\r\nContent-Length: 3\r\n\r\nabc", s.clock.now);
    CHECK(s.h.takeBytes() == "CFW c0ffee07 400\r\n\r\n");
    s.ch.onBytes("\x01\x02garbage\r\n", s.clock.now);
    CHECK(s.h.takeBytes().empty());  // nothing to answer to
    s.ch.onBytes("CFW c0ffee08 CONTROL\r\nControl-Package: msc-ivr/1.0\r\nContent-Type: a/b\r\n"
                 "Content-Length: 99999999\r\n\r\n",
                 s.clock.now);
    CHECK(s.h.takeBytes() == "CFW c0ffee08 400\r\n\r\n");
    s.ch.onBytes(std::string(1000, 'z'), s.clock.now);  // part of the discarded body
    s.ch.onBytes(control("c0ffee09"), s.clock.now);
    CHECK(s.ch.bufferedBytes() == 0);  // dropped on arrival: still inside the discarded body
    CHECK(s.h.controls.empty());
    CHECK(s.ch.state() == ChannelState::Up);
    CHECK(s.ch.stats().parseErrors == 3);
    CHECK(s.ch.stats().errorResponsesSent == 4);
}

TEST_CASE("cfw server channel: 10,000 pipelined K-ALIVEs in one read, memory bounded",
          "[cfw][channel]") {
    SyncedServer s;
    std::string burst;
    for (int i = 0; i < 10000; ++i) burst += "CFW ka" + std::to_string(100000 + i) + " K-ALIVE\r\n\r\n";
    s.ch.onBytes(burst, s.clock.now);
    auto replies = s.h.take();
    REQUIRE(replies.size() == 10000);
    CHECK(replies.front().transId == "ka100000");
    CHECK(replies.back().transId == "ka109999");
    for (const auto& r : replies) CHECK(r.status == 200);
    CHECK(s.ch.bufferedBytes() == 0);
    CHECK(s.ch.openServerTransactions() == 0);
    CHECK(s.ch.stats().keepAlivesReceived == 10000);

    // The same again in 7-byte slices: the parser never holds more than a message.
    std::size_t maxBuffered = 0;
    for (std::size_t at = 0; at < burst.size(); at += 7) {
        s.ch.onBytes(std::string_view(burst).substr(at, 7), s.clock.now);
        maxBuffered = std::max(maxBuffered, s.ch.bufferedBytes());
    }
    CHECK(s.h.take().size() == 10000);
    CHECK(maxBuffered < 64);
}

TEST_CASE("cfw server channel: renegotiation by a later SYNC, or 421 when disabled", "[cfw][channel]") {
    SyncedServer s;
    s.ch.onBytes("CFW abcd0003 SYNC\r\nDialog-ID: 5feb6486792a\r\nPackages: msc-mixer/1.0\r\n\r\n",
                 s.clock.now);
    CHECK(s.h.takeBytes() ==
          "CFW abcd0003 200\r\nPackages: msc-mixer/1.0\r\nSupported: msc-ivr/1.0,msc-example-pkg/1.0\r\n\r\n");
    CHECK(s.ch.negotiatedPackages() == std::vector<std::string>{"msc-mixer/1.0"});
    CHECK(s.ch.keepAliveSeconds() == 100);
    s.ch.onBytes(control("c0ffee10"), s.clock.now);  // msc-ivr/1.0 is no longer negotiated
    CHECK(s.h.takeBytes() == "CFW c0ffee10 420\r\n\r\n");
    s.ch.onBytes("CFW abcd0004 SYNC\r\nDialog-ID: 0ther0ther\r\nPackages: msc-ivr/1.0\r\n\r\n", s.clock.now);
    CHECK(s.h.takeBytes() == "CFW abcd0004 481\r\n\r\n");
    CHECK(s.ch.state() == ChannelState::Up);

    FakeClock clock;
    RecordingHandler h;
    auto cfg = serverConfig();
    cfg.allowRenegotiation = false;
    Channel ch(cfg, h);
    ch.start(clock.now);
    ch.onBytes(kSync, clock.now);
    h.takeBytes();
    ch.onBytes("CFW abcd0005 SYNC\r\nDialog-ID: 5feb6486792a\r\nPackages: msc-mixer/1.0\r\n\r\n", clock.now);
    CHECK(h.takeBytes() == "CFW abcd0005 421\r\n\r\n");
}

TEST_CASE("cfw server channel: events are CONTROL requests completed by the client's 200",
          "[cfw][channel]") {
    SyncedServer s;
    ControlLog log;
    auto id = s.ch.sendEvent({"msc-ivr/1.0", "application/msc-ivr+xml", "<event/>"}, s.clock.now,
                             log.done());
    REQUIRE(id.ok());
    CHECK(*id == "ms0001");
    CHECK(s.h.takeBytes() ==
          "CFW ms0001 CONTROL\r\nControl-Package: msc-ivr/1.0\r\n"
          "Content-Type: application/msc-ivr+xml\r\nContent-Length: 8\r\n\r\n<event/>");
    s.ch.onBytes("CFW ms0001 200\r\n\r\n", s.clock.now);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].ok());
    CHECK(s.ch.sendEvent({"msc-foo/1.0", "", ""}, s.clock.now, log.done()).error().code == 420);
}

// --- client role ----------------------------------------------------------------------

TEST_CASE("cfw client channel: start() sends the RFC's SYNC; the 200 brings it up", "[cfw][channel]") {
    SyncedClient c;
    CHECK(c.ch.negotiatedPackages() == std::vector<std::string>{"msc-ivr/1.0", "msc-mixer/1.0"});
    CHECK(c.ch.peerSupported() == std::vector<std::string>{"msc-example-pkg/1.0"});
    CHECK(c.ch.keepAliveSeconds() == 100);
    REQUIRE(c.h.ups.size() == 1);
    CHECK(c.ch.nextDeadline() == c.clock.now + 80s);  // K-ALIVE at 80 %
}

TEST_CASE("cfw client channel: SYNC answered 481, 422, or not at all", "[cfw][channel]") {
    struct Case {
        std::string answer;
        CloseReason reason;
    };
    for (const auto& c : {Case{"CFW as0001 481\r\n\r\n", CloseReason::DialogUnknown},
                          Case{"CFW as0001 422\r\nSupported: msc-x/1.0\r\n\r\n", CloseReason::NoCommonPackage},
                          Case{"CFW as0001 500\r\n\r\n", CloseReason::SyncRejected},
                          Case{"CFW as0001 200\r\n\r\n", CloseReason::SyncRejected}}) {
        INFO(c.answer);
        FakeClock clock;
        RecordingHandler h;
        Channel ch(clientConfig(), h);
        ch.start(clock.now);
        ch.onBytes(c.answer, clock.now);
        REQUIRE(h.closes.size() == 1);
        CHECK(h.closes[0].reason == c.reason);
        CHECK(ch.state() == ChannelState::Closed);
    }
    FakeClock clock;
    RecordingHandler h;
    Channel ch(clientConfig(), h);
    ch.start(clock.now);
    CHECK(ch.nextDeadline() == clock.now + 20s);
    ch.onTick(clock.now + 19s);
    CHECK(h.closes.empty());
    ch.onTick(clock.now + 20s);
    REQUIRE(h.closes.size() == 1);
    CHECK(h.closes[0].reason == CloseReason::SyncTimeout);
}

TEST_CASE("cfw client channel: K-ALIVE at 80 % of Keep-Alive; unanswered in 10 s fails the channel",
          "[cfw][channel]") {
    SyncedClient c;
    const auto t0 = c.clock.now;
    c.ch.onTick(t0 + 79s);
    CHECK(c.h.takeBytes().empty());
    c.ch.onTick(t0 + 80s);
    CHECK(c.h.takeBytes() == "CFW as1002 K-ALIVE\r\n\r\n");
    c.ch.onBytes("CFW as1002 200\r\n\r\n", t0 + 81s);
    CHECK(c.ch.lastKeepAlive() == t0 + 81s);
    CHECK(c.ch.nextDeadline() == t0 + 161s);

    // A CONTROL pending when the channel fails is completed exactly once.
    ControlLog log;
    REQUIRE(c.ch.sendControl({"msc-ivr/1.0", "application/msc-ivr+xml", "<x/>"}, t0 + 150s, log.done())
                .ok());
    c.ch.onTick(t0 + 161s);
    CHECK(c.h.take().back().method == "K-ALIVE");
    CHECK(c.ch.nextDeadline() == t0 + 170s);  // the earlier of K-ALIVE (171 s) and CONTROL (170 s)
    c.ch.onTick(t0 + 170s);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].outcome == cfw::ControlOutcome::TimedOut);
    c.ch.onTick(t0 + 171s);
    REQUIRE(c.h.closes.size() == 1);
    CHECK(c.h.closes[0].reason == CloseReason::KeepAliveUnanswered);
    CHECK(log.results.size() == 1);
}

TEST_CASE("cfw client channel: closing calls pending completions with ChannelClosed once",
          "[cfw][channel]") {
    SyncedClient c;
    ControlLog log;
    for (int i = 0; i < 3; ++i) {
        REQUIRE(c.ch.sendControl({"msc-mixer/1.0", "", ""}, c.clock.now, log.done()).ok());
    }
    c.ch.close("SIP BYE received");
    REQUIRE(log.results.size() == 3);
    for (const auto& r : log.results) CHECK(r.outcome == cfw::ControlOutcome::ChannelClosed);
    CHECK(c.h.closes.empty());  // the owner closed it: no onClosed
    c.ch.onTick(c.clock.now + 1000s);
    c.ch.onBytes("CFW as1002 200\r\n\r\n", c.clock.now);
    CHECK(log.results.size() == 3);
    CHECK(c.ch.sendControl({"msc-mixer/1.0", "", ""}, c.clock.now, log.done()).error().code == 403);
}

TEST_CASE("cfw client channel: sendControl checks its arguments", "[cfw][channel]") {
    FakeClock clock;
    RecordingHandler h;
    Channel ch(clientConfig(), h);
    ControlLog log;
    CHECK(ch.sendControl({"msc-ivr/1.0", "", ""}, clock.now, log.done()).error().code == 403);
    SyncedClient c;
    CHECK(c.ch.sendControl({"msc-example-pkg/1.0", "", ""}, c.clock.now, log.done()).error().code == 420);
    CHECK(c.ch.sendControl({"msc-ivr/1.0", "", "<x/>"}, c.clock.now, log.done()).error().code == 400);
    CHECK(log.results.empty());
}

TEST_CASE("cfw client channel: events are answered 200 and delivered; bad package 420",
          "[cfw][channel]") {
    SyncedClient c;
    c.ch.onBytes(control("0eb1678c0bfc", "msc-ivr/1.0", "<event/>"), c.clock.now);
    CHECK(c.h.takeBytes() == "CFW 0eb1678c0bfc 200\r\n\r\n");
    REQUIRE(c.h.events.size() == 1);
    CHECK(c.h.events[0].body == "<event/>");
    c.ch.onBytes(control("0eb1678c0bfd", "msc-example-pkg/1.0"), c.clock.now);
    CHECK(c.h.takeBytes() == "CFW 0eb1678c0bfd 420\r\n\r\n");
    c.ch.onBytes("CFW abcd0001 SYNC\r\nDialog-ID: x1x1\r\nPackages: msc-ivr/1.0\r\n\r\n", c.clock.now);
    CHECK(c.h.takeBytes() == "CFW abcd0001 421\r\n\r\n");
}

TEST_CASE("cfw client channel: 202 + REPORTs with a Seq gap answered 406", "[cfw][channel]") {
    SyncedClient c;
    ControlLog log;
    auto id = c.ch.sendControl({"msc-ivr/1.0", "application/msc-ivr+xml", "<x/>"}, c.clock.now,
                               log.done(), log.onProgress());
    REQUIRE(id.ok());
    c.h.takeBytes();
    c.ch.onBytes("CFW " + *id + " 202\r\nTimeout: 10\r\n\r\n"
                 "CFW " + *id + " REPORT\r\nSeq: 1\r\nStatus: update\r\nTimeout: 10\r\n\r\n"
                 "CFW " + *id + " REPORT\r\nSeq: 3\r\nStatus: update\r\nTimeout: 10\r\n\r\n",
                 c.clock.now);
    CHECK(c.h.takeBytes() == "CFW " + *id + " 200\r\nSeq: 1\r\n\r\nCFW " + *id + " 406\r\nSeq: 3\r\n\r\n");
    CHECK(log.progress.size() == 1);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].outcome == cfw::ControlOutcome::ProtocolError);
    CHECK(c.ch.pendingRequests() == 0);
    // A REPORT for no transaction: 481.
    c.ch.onBytes("CFW zzzz9999 REPORT\r\nSeq: 1\r\nStatus: update\r\nTimeout: 10\r\n\r\n", c.clock.now);
    CHECK(c.h.takeBytes() == "CFW zzzz9999 481\r\n\r\n");
}

TEST_CASE("cfw client channel: a malformed answer fails the transaction at once", "[cfw][channel]") {
    SyncedClient c;
    ControlLog log;
    auto id = c.ch.sendControl({"msc-ivr/1.0", "", ""}, c.clock.now, log.done());
    REQUIRE(id.ok());
    c.ch.onBytes("CFW " + *id + " 202\r\n\r\n", c.clock.now);  // 202 without Timeout
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].outcome == cfw::ControlOutcome::ProtocolError);
}

TEST_CASE("cfw channel: generated trans-ids are valid and unique", "[cfw][channel]") {
    auto gen = cfw::randomTransIds();
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        auto id = gen();
        CHECK(id.size() == 12);
        CHECK(cfw::isValidTransId(id));
        seen.insert(id);
    }
    CHECK(seen.size() == 10000);

    // A generator that repeats itself is asked again (then replaced) until the id is free.
    FakeClock clock;
    RecordingHandler h;
    auto cfg = clientConfig();
    int calls = 0;
    cfg.transIds = [&calls] {
        ++calls;
        return std::string("dupe0001");
    };
    Channel ch(cfg, h);
    ch.start(clock.now);
    ch.onBytes("CFW dupe0001 200\r\nPackages: msc-ivr/1.0\r\n\r\n", clock.now);
    REQUIRE(ch.state() == ChannelState::Up);
    ControlLog log;
    std::set<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        auto id = ch.sendControl({"msc-ivr/1.0", "", ""}, clock.now, log.done());
        REQUIRE(id.ok());
        CHECK(cfw::isValidTransId(*id));
        ids.insert(*id);
    }
    CHECK(ids.size() == 20);
    CHECK(calls > 20);
}

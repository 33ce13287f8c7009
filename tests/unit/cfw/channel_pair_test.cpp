// A client (AS) Channel and a server (MS) Channel wired back to back in memory, with a fake
// clock: SYNC, CONTROL/200, CONTROL/202/REPORTs, events, K-ALIVE over a long idle period.

#include <catch2/catch.hpp>

#include "harness.hpp"

namespace cfw = parley::proto::cfw;
using cfw::ChannelState;
using cfw::CloseReason;
using parley::test::cfw::ChannelPair;
using parley::test::cfw::ControlLog;
using namespace std::chrono_literals;

namespace {

void syncUp(ChannelPair& p) {
    p.serverSide.dialogs = {"5feb6486792a"};
    p.server.start(p.clock.now);
    p.client.start(p.clock.now);
    p.pump();
    REQUIRE(p.client.state() == ChannelState::Up);
    REQUIRE(p.server.state() == ChannelState::Up);
}

}  // namespace

TEST_CASE("cfw channel pair: SYNC negotiates packages on both sides", "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    CHECK(p.client.negotiatedPackages() == p.server.negotiatedPackages());
    CHECK(p.client.peerSupported() == std::vector<std::string>{"msc-example-pkg/1.0"});
    CHECK(p.client.keepAliveSeconds() == 100);
    CHECK(p.server.keepAliveSeconds() == 100);
    CHECK(p.server.dialogId() == "5feb6486792a");
}

TEST_CASE("cfw channel pair: CONTROL answered 200 with a body", "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    ControlLog log;
    auto id = p.client.sendControl({"msc-mixer/1.0", "application/msc-mixer+xml", "<join/>"},
                                   p.clock.now, log.done());
    REQUIRE(id.ok());
    p.pump();
    REQUIRE(p.serverSide.controls.size() == 1);
    CHECK(p.serverSide.controls[0].transId == *id);
    CHECK(p.serverSide.controls[0].body == "<join/>");
    REQUIRE(p.server.respond(*id, 200, p.clock.now, "application/msc-mixer+xml", "<response status=\"200\"/>")
                .ok());
    p.pump();
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].ok());
    CHECK_FALSE(log.results[0].extended);
    CHECK(log.results[0].contentType == "application/msc-mixer+xml");
    CHECK(log.results[0].body == "<response status=\"200\"/>");
    CHECK(p.client.pendingRequests() == 0);
    CHECK(p.server.openServerTransactions() == 0);
}

TEST_CASE("cfw channel pair: CONTROL, 202, REPORT updates and terminate over time", "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    ControlLog log;
    auto id = p.client.sendControl({"msc-ivr/1.0", "application/msc-ivr+xml", "<dialogstart/>"},
                                   p.clock.now, log.done(), log.onProgress());
    REQUIRE(id.ok());
    p.pump();
    REQUIRE(p.server.accept(*id, 10, p.clock.now).ok());
    p.pump();
    // The upper layer reports nothing for a minute: the server refreshes the transaction
    // with body-less updates so the client never times out.
    p.runUntil(p.clock.now + 60s);
    CHECK(log.results.empty());
    CHECK(log.progress.size() >= 6);
    for (const auto& pr : log.progress) CHECK(pr.body.empty());
    REQUIRE(p.server.report(*id, cfw::ReportStatus::Update, p.clock.now, "application/msc-ivr+xml",
                            "<progress/>").ok());
    REQUIRE(p.server.report(*id, cfw::ReportStatus::Terminate, p.clock.now,
                            "application/msc-ivr+xml", "<response status=\"200\"/>").ok());
    p.pump();
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].ok());
    CHECK(log.results[0].extended);
    CHECK(log.results[0].body == "<response status=\"200\"/>");
    CHECK(log.progress.back().body == "<progress/>");
    for (std::size_t i = 0; i < log.progress.size(); ++i) CHECK(log.progress[i].seq == i + 1);
    CHECK(p.client.pendingRequests() == 0);
    CHECK(p.server.openServerTransactions() == 0);
    CHECK(p.serverSide.failures.empty());
}

TEST_CASE("cfw channel pair: a slow upper layer is covered by the automatic 202", "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    ControlLog log;
    auto id = p.client.sendControl({"msc-ivr/1.0", "", ""}, p.clock.now, log.done());
    REQUIRE(id.ok());
    p.pump();
    p.runUntil(p.clock.now + 45s);  // well past the client's 20 s
    CHECK(log.results.empty());
    REQUIRE(p.server.respond(*id, 200, p.clock.now, "application/msc-ivr+xml", "<late/>").ok());
    p.pump();
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].ok());
    CHECK(log.results[0].extended);
    CHECK(log.results[0].body == "<late/>");
}

TEST_CASE("cfw channel pair: events from the server are delivered and acknowledged", "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    ControlLog log;
    REQUIRE(p.server.sendEvent({"msc-ivr/1.0", "application/msc-ivr+xml", "<event dialogid=\"d1\"/>"},
                               p.clock.now, log.done())
                .ok());
    p.pump();
    REQUIRE(p.clientSide.events.size() == 1);
    CHECK(p.clientSide.events[0].body == "<event dialogid=\"d1\"/>");
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].ok());
}

TEST_CASE("cfw channel pair: K-ALIVE keeps an idle channel up for an hour", "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    const auto t0 = p.clock.now;
    p.runUntil(t0 + 3600s);
    CHECK(p.client.state() == ChannelState::Up);
    CHECK(p.server.state() == ChannelState::Up);
    CHECK(p.client.stats().keepAlivesSent == 45);  // every 80 s
    CHECK(p.server.stats().keepAlivesReceived == 45);
    CHECK(p.client.lastKeepAlive() == t0 + 3600s);
    CHECK(p.server.lastKeepAlive() == t0 + 3600s);
    CHECK(p.clientSide.closes.empty());
    CHECK(p.serverSide.closes.empty());
}

TEST_CASE("cfw channel pair: a client that stops sending K-ALIVE is closed by the server",
          "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    const auto t0 = p.clock.now;
    // The AS stops ticking (stuck): only the server's timers run.
    p.server.onTick(t0 + 99s);
    CHECK(p.serverSide.closes.empty());
    p.server.onTick(t0 + 100s);
    REQUIRE(p.serverSide.closes.size() == 1);
    CHECK(p.serverSide.closes[0].reason == CloseReason::KeepAliveExpired);
}

TEST_CASE("cfw channel pair: a server that stops answering fails the client's K-ALIVE",
          "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    const auto t0 = p.clock.now;
    ControlLog log;
    REQUIRE(p.client.sendControl({"msc-ivr/1.0", "", ""}, t0 + 75s, log.done()).ok());
    p.client.onTick(t0 + 80s);  // sends K-ALIVE; the server never reads it
    p.client.onTick(t0 + 90s);
    REQUIRE(p.clientSide.closes.size() == 1);
    CHECK(p.clientSide.closes[0].reason == CloseReason::KeepAliveUnanswered);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].outcome == cfw::ControlOutcome::ChannelClosed);
}

TEST_CASE("cfw channel pair: many CONTROLs in flight, answered out of order", "[cfw][pair]") {
    ChannelPair p;
    syncUp(p);
    ControlLog log;
    std::vector<std::string> ids;
    for (int i = 0; i < 50; ++i) {
        auto id = p.client.sendControl({"msc-mixer/1.0", "application/msc-mixer+xml",
                                        "<n>" + std::to_string(i) + "</n>"},
                                       p.clock.now, log.done());
        REQUIRE(id.ok());
        ids.push_back(*id);
    }
    p.pump();
    REQUIRE(p.serverSide.controls.size() == 50);
    for (int i = 49; i >= 0; --i) {
        const auto& c = p.serverSide.controls[static_cast<std::size_t>(i)];
        if (i % 2 == 0) {
            REQUIRE(p.server.respond(c.transId, 200, p.clock.now, "application/msc-mixer+xml", c.body).ok());
        } else {
            REQUIRE(p.server.accept(c.transId, 10, p.clock.now).ok());
            REQUIRE(p.server.report(c.transId, cfw::ReportStatus::Terminate, p.clock.now,
                                    "application/msc-mixer+xml", c.body).ok());
        }
    }
    p.pump();
    REQUIRE(log.results.size() == 50);
    for (const auto& r : log.results) CHECK(r.ok());
    CHECK(p.client.pendingRequests() == 0);
    CHECK(p.server.openServerTransactions() == 0);
    CHECK(p.client.stats().errorResponsesReceived == 0);
    CHECK(p.server.stats().parseErrors == 0);
    CHECK(p.client.stats().parseErrors == 0);
}

// ControlSession (the AS client end of a CFW channel) against a proto::cfw Channel in the
// Server role, wired in memory through the event loop: no sockets.

#include <catch2/catch.hpp>

#include <optional>

#include "as/msclient/control_session.hpp"
#include "as_test_support.hpp"

namespace {

using namespace parley;
using namespace parley::as;
using namespace parley::as::test;
using common::Clock;

// Records what the session reports.
struct Observer : ControlSessionObserver {
    std::optional<std::vector<std::string>> up;
    std::optional<cfw::CloseInfo> closed;
    std::vector<cfw::IncomingControl> events;
    void onSessionUp(const std::vector<std::string>& p) override { up = p; }
    void onSessionClosed(const cfw::CloseInfo& info) override { closed = info; }
    void onSessionEvent(const cfw::IncomingControl& e) override { events.push_back(e); }
};

// The MS end: a Server channel whose bytes reach the session through loop.post, and back.
struct MemoryServer : cfw::ChannelHandler {
    common::EventLoop& loop;
    ControlSession* session = nullptr;
    cfw::Channel channel;
    bool acceptDialog = true;
    std::function<void(const cfw::IncomingControl&)> onCtl;
    std::vector<std::string> dialogIds;

    MemoryServer(common::EventLoop& l, std::vector<std::string> packages)
        : loop(l), channel(serverConfig(std::move(packages)), *this) {}

    static cfw::ChannelConfig serverConfig(std::vector<std::string> packages) {
        cfw::ChannelConfig c;
        c.role = cfw::Role::Server;
        c.packages = std::move(packages);
        return c;
    }
    void sendBytes(std::string_view bytes) override {
        loop.post([this, b = std::string(bytes)] {
            if (session) session->onBytes(b);
        });
    }
    void onClosed(const cfw::CloseInfo&) override {}
    bool acceptDialogId(std::string_view id) override {
        dialogIds.emplace_back(id);
        return acceptDialog;
    }
    void onControl(const cfw::IncomingControl& r) override {
        if (onCtl) onCtl(r);
    }
};

struct ToServer : ByteSink {
    common::EventLoop& loop;
    MemoryServer& server;
    ToServer(common::EventLoop& l, MemoryServer& s) : loop(l), server(s) {}
    void write(std::string_view bytes) override {
        loop.post([this, b = std::string(bytes)] { server.channel.onBytes(b, Clock::now()); });
    }
};

struct Fixture {
    common::EventLoop loop;
    MemoryServer server{loop, {"msc-mixer/1.0", "msc-ivr/1.0"}};
    ToServer sink{loop, server};
    Observer observer;
    std::unique_ptr<ControlSession> session;
    common::EventLoop::TimerId serverTick = 0;

    explicit Fixture(std::uint32_t keepAlive = 100, common::Duration transactionTimeout = 10s) {
        cfw::ChannelConfig c;
        c.dialogId = "as-cfw-id-1";
        c.packages = {"msc-ivr/1.0", "msc-mixer/1.0"};
        c.keepAliveSeconds = keepAlive;
        c.transactionTimeout = transactionTimeout;
        session = std::make_unique<ControlSession>(loop, std::move(c), sink, observer);
        server.session = session.get();
        server.channel.start(Clock::now());
        tick();
    }
    ~Fixture() {
        if (serverTick) loop.cancelTimer(serverTick);
        server.session = nullptr;
    }
    void tick() {
        server.channel.onTick(Clock::now());
        serverTick = loop.addTimer(5ms, [this] { tick(); });
    }
    void bringUp() {
        session->start();
        REQUIRE(runUntil(loop, [&] { return observer.up.has_value(); }));
    }
};

const cfw::OutgoingControl kAudit{"msc-mixer/1.0", "application/msc-mixer+xml",
                                  "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/></mscmixer>"};

}  // namespace

TEST_CASE("as session: SYNC negotiates packages, Dialog-ID and Keep-Alive", "[as][session]") {
    Fixture f(42);
    CHECK_FALSE(f.session->isUp());
    f.bringUp();
    CHECK(f.session->isUp());
    CHECK(f.observer.up->size() == 2);
    REQUIRE(f.server.dialogIds.size() == 1);
    CHECK(f.server.dialogIds[0] == "as-cfw-id-1");
    CHECK(f.server.channel.keepAliveSeconds() == 42);
    CHECK(f.session->channel().keepAliveSeconds() == 42);
}

TEST_CASE("as session: CONTROL before the channel is up is refused at once", "[as][session]") {
    Fixture f;
    bool called = false;
    auto r = f.session->sendControl(kAudit, [&](const cfw::ControlResult&) { called = true; });
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == 403);
    runFor(f.loop, 20ms);
    CHECK_FALSE(called);
}

TEST_CASE("as session: CONTROL answered 200 with a body", "[as][session]") {
    Fixture f;
    f.server.onCtl = [&](const cfw::IncomingControl& r) {
        CHECK(r.package == "msc-mixer/1.0");
        CHECK(r.body == kAudit.body);
        (void)f.server.channel.respond(r.transId, 200, Clock::now(), "application/msc-mixer+xml",
                                       "<mscmixer version=\"1.0\"><auditresponse status=\"200\"/></mscmixer>");
    };
    f.bringUp();
    std::optional<cfw::ControlResult> result;
    auto id = f.session->sendControl(kAudit, [&](const cfw::ControlResult& r) { result = r; });
    REQUIRE(id.ok());
    REQUIRE(runUntil(f.loop, [&] { return result.has_value(); }));
    CHECK(result->ok());
    CHECK(result->status == 200);
    CHECK_FALSE(result->extended);
    CHECK(result->body.find("auditresponse") != std::string::npos);
    CHECK(f.session->channel().pendingRequests() == 0);
}

TEST_CASE("as session: CONTROL answered 202, REPORT update, REPORT terminate", "[as][session]") {
    Fixture f;
    std::string trans;
    f.server.onCtl = [&](const cfw::IncomingControl& r) {
        trans = r.transId;
        (void)f.server.channel.accept(r.transId, 10, Clock::now());
    };
    f.bringUp();
    std::optional<cfw::ControlResult> result;
    int progress = 0;
    REQUIRE(f.session
                ->sendControl(
                    kAudit, [&](const cfw::ControlResult& r) { result = r; },
                    [&](const cfw::ControlProgress&) { ++progress; })
                .ok());
    REQUIRE(runUntil(f.loop, [&] { return !trans.empty(); }));
    runFor(f.loop, 20ms);
    CHECK_FALSE(result.has_value());
    REQUIRE(f.server.channel.report(trans, cfw::ReportStatus::Update, Clock::now(), "text/plain", "half").ok());
    REQUIRE(runUntil(f.loop, [&] { return progress == 1; }));
    REQUIRE(f.server.channel.report(trans, cfw::ReportStatus::Terminate, Clock::now(), "text/plain", "done").ok());
    REQUIRE(runUntil(f.loop, [&] { return result.has_value(); }));
    CHECK(result->ok());
    CHECK(result->extended);
    CHECK(result->body == "done");
}

TEST_CASE("as session: an unanswered CONTROL times out, an error answer is a rejection", "[as][session]") {
    Fixture f(100, 50ms);  // the client waits 2 x Transaction-Timeout
    bool answerWith420 = false;
    f.server.onCtl = [&](const cfw::IncomingControl& r) {
        if (answerWith420) (void)f.server.channel.respond(r.transId, 403, Clock::now());
    };
    f.bringUp();
    std::optional<cfw::ControlResult> result;
    auto t0 = Clock::now();
    REQUIRE(f.session->sendControl(kAudit, [&](const cfw::ControlResult& r) { result = r; }).ok());
    REQUIRE(runUntil(f.loop, [&] { return result.has_value(); }));
    CHECK(result->outcome == cfw::ControlOutcome::TimedOut);
    CHECK(Clock::now() - t0 >= 100ms);

    answerWith420 = true;
    result.reset();
    REQUIRE(f.session->sendControl(kAudit, [&](const cfw::ControlResult& r) { result = r; }).ok());
    REQUIRE(runUntil(f.loop, [&] { return result.has_value(); }));
    CHECK(result->outcome == cfw::ControlOutcome::Rejected);
    CHECK(result->status == 403);
}

TEST_CASE("as session: an un-negotiated package is refused locally", "[as][session]") {
    common::EventLoop loop;
    MemoryServer server{loop, {"msc-mixer/1.0"}};
    ToServer sink{loop, server};
    Observer observer;
    cfw::ChannelConfig c;
    c.dialogId = "d1";
    c.packages = {"msc-ivr/1.0", "msc-mixer/1.0"};
    ControlSession session(loop, std::move(c), sink, observer);
    server.session = &session;
    server.channel.start(Clock::now());
    session.start();
    REQUIRE(runUntil(loop, [&] { return observer.up.has_value(); }));
    CHECK(*observer.up == std::vector<std::string>{"msc-mixer/1.0"});
    auto r = session.sendControl({"msc-ivr/1.0", "application/msc-ivr+xml", "<mscivr/>"}, [](const auto&) {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == 420);
    server.session = nullptr;
}

TEST_CASE("as session: events from the MS reach the observer and are answered 200", "[as][session]") {
    Fixture f;
    f.bringUp();
    std::optional<cfw::ControlResult> serverSide;
    auto sent = f.server.channel.sendEvent({"msc-mixer/1.0", "application/msc-mixer+xml", "<event/>"},
                                           Clock::now(), [&](const cfw::ControlResult& r) { serverSide = r; });
    REQUIRE(sent.ok());
    REQUIRE(runUntil(f.loop, [&] { return serverSide.has_value(); }));
    CHECK(serverSide->status == 200);
    REQUIRE(f.observer.events.size() == 1);
    CHECK(f.observer.events[0].body == "<event/>");
    CHECK(f.observer.events[0].package == "msc-mixer/1.0");
}

TEST_CASE("as session: K-ALIVE goes out at 80 % of Keep-Alive and is answered", "[as][session]") {
    Fixture f(1);
    f.bringUp();
    CHECK_FALSE(f.session->channel().lastKeepAlive().has_value());
    REQUIRE(runUntil(f.loop, [&] { return f.session->channel().lastKeepAlive().has_value(); }, 2s));
    CHECK(f.server.channel.stats().keepAlivesReceived >= 1);
    auto first = *f.session->channel().lastKeepAlive();
    REQUIRE(runUntil(f.loop, [&] { return *f.session->channel().lastKeepAlive() > first; }, 2s));
    CHECK(f.server.channel.state() == cfw::ChannelState::Up);
}

TEST_CASE("as session: close() fails pending requests without onSessionClosed", "[as][session]") {
    Fixture f;
    f.bringUp();
    std::optional<cfw::ControlResult> result;
    REQUIRE(f.session->sendControl(kAudit, [&](const cfw::ControlResult& r) { result = r; }).ok());
    f.session->close("test");
    REQUIRE(result.has_value());
    CHECK(result->outcome == cfw::ControlOutcome::ChannelClosed);
    CHECK_FALSE(f.observer.closed.has_value());
    CHECK_FALSE(f.session->isUp());
}

TEST_CASE("as session: destroying the session fails what is pending", "[as][session]") {
    Fixture f;
    f.bringUp();
    std::optional<cfw::ControlResult> result;
    REQUIRE(f.session->sendControl(kAudit, [&](const cfw::ControlResult& r) { result = r; }).ok());
    f.server.session = nullptr;
    f.session.reset();
    REQUIRE(result.has_value());
    CHECK(result->outcome == cfw::ControlOutcome::ChannelClosed);
    CHECK(f.loop.timerCount() == 1);  // only the fixture's server tick is left
}

TEST_CASE("as session: SYNC answered 481 closes the channel", "[as][session]") {
    Fixture f;
    f.server.acceptDialog = false;
    f.session->start();
    REQUIRE(runUntil(f.loop, [&] { return f.observer.closed.has_value(); }));
    CHECK(f.observer.closed->reason == cfw::CloseReason::DialogUnknown);
    CHECK_FALSE(f.observer.up.has_value());
}

TEST_CASE("as session: an unanswered SYNC closes the channel", "[as][session]") {
    common::EventLoop loop;
    struct Void : ByteSink {
        void write(std::string_view) override {}
    } sink;
    Observer observer;
    cfw::ChannelConfig c;
    c.dialogId = "d1";
    c.packages = {"msc-mixer/1.0"};
    c.transactionTimeout = 30ms;
    ControlSession session(loop, std::move(c), sink, observer);
    session.start();
    REQUIRE(runUntil(loop, [&] { return observer.closed.has_value(); }));
    CHECK(observer.closed->reason == cfw::CloseReason::SyncTimeout);
}

// MediaServerClient: the whole attempt (INVITE, answer, TCP, SYNC) against a fake SIP side
// and a fake MS channel end on real loopback TCP; failures, teardown and backoff.

#include <catch2/catch.hpp>

#include <optional>

#include "as/msclient/media_server_client.hpp"
#include "as/msclient/media_server_registry.hpp"
#include "as_test_support.hpp"

namespace {

using namespace parley;
using namespace parley::as;
using namespace parley::as::test;
using common::Clock;

MediaServerClientOptions fastOptions() {
    MediaServerClientOptions o;
    o.uri = "sip:ms@127.0.0.1:5070";
    o.backoffInitial = 20ms;
    o.backoffMax = 80ms;
    o.inviteTimeout = 300ms;
    o.connectTimeout = 300ms;
    return o;
}

struct Fixture {
    common::EventLoop loop;
    FakeMs ms{loop};
    FakeSignalling sip;
    std::unique_ptr<MediaServerClient> client;
    std::vector<LinkState> states;

    explicit Fixture(MediaServerClientOptions o = fastOptions(), bool autoAnswer = true) {
        sip.loop = &loop;
        if (autoAnswer) sip.autoAnswerPort = ms.port();
        client = std::make_unique<MediaServerClient>(loop, sip, std::move(o));
        client->watchState([this](LinkState s) { states.push_back(s); });
    }
    bool waitUp(common::Duration t = 3s) {
        return runUntil(loop, [&] { return client->isUp(); }, t);
    }
    bool waitState(LinkState s, common::Duration t = 3s) {
        return runUntil(loop, [&] { return client->state() == s; }, t);
    }
};

const cfw::OutgoingControl kAudit{"msc-mixer/1.0", "application/msc-mixer+xml",
                                  "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/></mscmixer>"};

}  // namespace

TEST_CASE("as msclient: backoff doubles from the initial value up to the cap", "[as][msclient]") {
    using std::chrono::seconds;
    common::Duration d = seconds(1);
    std::vector<long> seen;
    for (int i = 0; i < 7; ++i) {
        seen.push_back(std::chrono::duration_cast<seconds>(d).count());
        d = MediaServerClient::nextBackoff(d, seconds(30));
    }
    CHECK(seen == std::vector<long>{1, 2, 4, 8, 16, 30, 30});
}

TEST_CASE("as msclient: INVITE carries the COMEDIA offer and the channel comes up", "[as][msclient]") {
    MediaServerClientOptions o = fastOptions();
    o.keepAliveSeconds = 77;
    Fixture f(o);
    CHECK(f.client->state() == LinkState::Down);
    f.client->start();
    CHECK(f.client->state() == LinkState::Connecting);
    REQUIRE(f.waitUp());

    auto call = f.sip.last();
    REQUIRE(call);
    CHECK(call->uri == "sip:ms@127.0.0.1:5070");
    CHECK(call->offer.find("m=application 9 TCP cfw") != std::string::npos);
    CHECK(call->offer.find("a=setup:active") != std::string::npos);
    CHECK(call->offer.find("a=connection:new") != std::string::npos);
    REQUIRE_FALSE(call->cfwId.empty());
    REQUIRE(f.ms.syncDialogIds.size() == 1);
    CHECK(f.ms.syncDialogIds[0] == call->cfwId);  // SYNC Dialog-ID = our cfw-id

    MediaServerStatus s = f.client->status();
    CHECK(s.state == LinkState::Up);
    CHECK(s.packages.size() == 2);
    CHECK(s.keepAliveSeconds == 77);
    CHECK(s.reconnects == 0);
    CHECK(s.failedAttempts == 0);
    CHECK(s.lastError.empty());
    CHECK(s.dialogId == call->cfwId);
    CHECK(f.states == std::vector<LinkState>{LinkState::Connecting, LinkState::Up});
    REQUIRE(f.ms.channel());
    CHECK(f.ms.channel()->keepAliveSeconds() == 77);
}

TEST_CASE("as msclient: CONTROL round trip, and 503 while down", "[as][msclient]") {
    Fixture f;
    bool called = false;
    auto early = f.client->sendControl(kAudit, [&](const cfw::ControlResult&) { called = true; });
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().code == 503);

    f.ms.onControl = [](cfw::Channel& ch, const cfw::IncomingControl& r) {
        (void)ch.respond(r.transId, 200, Clock::now(), "application/msc-mixer+xml",
                         "<mscmixer version=\"1.0\"><auditresponse status=\"200\"/></mscmixer>");
    };
    f.client->start();
    REQUIRE(f.waitUp());
    std::optional<cfw::ControlResult> result;
    REQUIRE(f.client->sendControl(kAudit, [&](const cfw::ControlResult& r) { result = r; }).ok());
    REQUIRE(runUntil(f.loop, [&] { return result.has_value(); }));
    CHECK(result->status == 200);
    CHECK(result->body.find("auditresponse") != std::string::npos);
    CHECK_FALSE(called);
}

TEST_CASE("as msclient: events reach subscribers until they unsubscribe", "[as][msclient]") {
    Fixture f;
    f.client->start();
    REQUIRE(f.waitUp());
    int a = 0, b = 0;
    auto ida = f.client->subscribe([&](const cfw::IncomingControl& e) {
        CHECK(e.body == "<notify/>");
        ++a;
    });
    f.client->subscribe([&](const cfw::IncomingControl&) { ++b; });
    auto sendEvent = [&] {
        bool done = false;
        REQUIRE(f.ms.channel()
                    ->sendEvent({"msc-mixer/1.0", "application/msc-mixer+xml", "<notify/>"}, Clock::now(),
                                [&](const cfw::ControlResult& r) {
                                    CHECK(r.status == 200);
                                    done = true;
                                })
                    .ok());
        REQUIRE(runUntil(f.loop, [&] { return done; }));
    };
    sendEvent();
    CHECK(a == 1);
    CHECK(b == 1);
    f.client->unsubscribe(ida);
    sendEvent();
    CHECK(a == 1);
    CHECK(b == 2);
}

TEST_CASE("as msclient: MS drops TCP -> down, BYE, pending fails, then up again", "[as][msclient]") {
    Fixture f;
    f.ms.onControl = [](cfw::Channel&, const cfw::IncomingControl&) {};  // never answers
    f.client->start();
    REQUIRE(f.waitUp());
    auto first = f.sip.last();
    std::optional<cfw::ControlResult> pending;
    REQUIRE(f.client->sendControl(kAudit, [&](const cfw::ControlResult& r) { pending = r; }).ok());

    f.ms.dropAll();
    REQUIRE(f.waitState(LinkState::Down));
    REQUIRE(pending.has_value());
    CHECK(pending->outcome == cfw::ControlOutcome::ChannelClosed);
    CHECK(first->hungUp);  // the control dialog got its BYE
    CHECK(f.client->status().lastError.find("TCP") != std::string::npos);

    REQUIRE(f.waitUp());
    CHECK(f.sip.calls.size() == 2);
    CHECK(f.sip.last()->cfwId != first->cfwId);  // a fresh cfw-id per attempt
    MediaServerStatus s = f.client->status();
    CHECK(s.reconnects == 1);
    CHECK(s.failedAttempts == 0);
    CHECK(s.lastError.empty());
}

TEST_CASE("as msclient: refused INVITEs are retried with a growing backoff", "[as][msclient]") {
    MediaServerClientOptions o = fastOptions();
    o.backoffInitial = 40ms;
    o.backoffMax = 160ms;
    Fixture f(o);
    f.sip.autoRefuse = 486;
    f.client->start();
    REQUIRE(runUntil(f.loop, [&] { return f.sip.calls.size() >= 4; }));
    auto t1 = Clock::now();
    REQUIRE(runUntil(f.loop, [&] { return f.sip.calls.size() >= 5; }));
    auto t2 = Clock::now();
    CHECK(t2 - t1 >= 100ms);  // the backoff has reached its 160 ms cap
    MediaServerStatus s = f.client->status();
    CHECK(s.state != LinkState::Up);
    CHECK(s.failedAttempts >= 4);
    CHECK(s.lastError.find("486") != std::string::npos);

    // The MS comes back: the next attempt succeeds and the backoff starts over.
    f.sip.autoRefuse = 0;
    REQUIRE(f.waitUp());
    CHECK(f.client->status().reconnects == 0);  // never up before: not a reconnection
    CHECK(f.client->status().failedAttempts == 0);
}

TEST_CASE("as msclient: invite() failing at once is a failed attempt", "[as][msclient]") {
    Fixture f;
    f.sip.inviteError = 400;
    f.client->start();
    CHECK(f.client->state() == LinkState::Down);
    CHECK(f.client->status().lastError.find("INVITE not sent") != std::string::npos);
    f.sip.inviteError = 0;
    REQUIRE(f.waitUp());
}

TEST_CASE("as msclient: an answer that is not passive is hung up", "[as][msclient]") {
    Fixture f(fastOptions(), false);
    f.client->start();
    auto call = f.sip.last();
    REQUIRE(call);
    FakeSignalling::answer(*call, FakeSignalling::passiveAnswer(f.ms.port(), "active"));
    CHECK(call->hungUp);
    CHECK(f.client->state() == LinkState::Down);
    CHECK(f.client->status().lastError.find("passive") != std::string::npos);
    CHECK(f.ms.accepted() == 0);
}

TEST_CASE("as msclient: unreadable or control-less SDP answers fail the attempt", "[as][msclient]") {
    Fixture f(fastOptions(), false);
    f.client->start();
    FakeSignalling::answer(*f.sip.last(), "not sdp at all");
    CHECK(f.sip.last()->hungUp);
    CHECK(f.client->status().lastError.find("SDP") != std::string::npos);
    REQUIRE(runUntil(f.loop, [&] { return f.sip.calls.size() == 2; }));
    FakeSignalling::answer(*f.sip.last(),
                           "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                           "m=audio 4000 RTP/AVP 0\r\n");
    CHECK(f.sip.last()->hungUp);
    CHECK(f.client->status().lastError.find("control m-line") != std::string::npos);
}

TEST_CASE("as msclient: no answer to INVITE -> CANCEL and retry", "[as][msclient]") {
    Fixture f(fastOptions(), false);
    f.client->start();
    auto call = f.sip.last();
    REQUIRE(runUntil(f.loop, [&] { return call->hungUp; }, 2s));
    CHECK(f.client->status().lastError.find("no final answer") != std::string::npos);
    REQUIRE(runUntil(f.loop, [&] { return f.sip.calls.size() == 2; }));
}

TEST_CASE("as msclient: TCP refused fails the attempt and hangs up", "[as][msclient]") {
    Fixture f(fastOptions(), false);
    f.ms.closeListener();
    f.client->start();
    auto call = f.sip.last();
    FakeSignalling::answer(*call, FakeSignalling::passiveAnswer(f.ms.port()));
    REQUIRE(runUntil(f.loop, [&] { return call->hungUp; }));
    CHECK(f.client->state() != LinkState::Up);
    CHECK(f.client->status().lastError.find("TCP") != std::string::npos);
}

TEST_CASE("as msclient: SYNC answered 481 fails the attempt", "[as][msclient]") {
    Fixture f;
    f.ms.knownDialogs = {"some-other-dialog"};
    f.client->start();
    REQUIRE(runUntil(f.loop, [&] { return f.client->status().failedAttempts >= 1; }));
    CHECK(f.client->status().lastError.find("dialog-unknown") != std::string::npos);
    CHECK(f.sip.calls.front()->hungUp);
    CHECK_FALSE(f.client->isUp());
}

TEST_CASE("as msclient: SYNC answered 422 (no common package) fails the attempt", "[as][msclient]") {
    Fixture f;
    f.ms.packages = {"msc-example/1.0"};
    f.client->start();
    REQUIRE(runUntil(f.loop, [&] { return f.client->status().failedAttempts >= 1; }));
    CHECK(f.client->status().lastError.find("no-common-package") != std::string::npos);
}

TEST_CASE("as msclient: an MS that stops answering K-ALIVE is declared down", "[as][msclient]") {
    MediaServerClientOptions o = fastOptions();
    o.keepAliveSeconds = 1;
    o.transactionTimeout = 200ms;
    Fixture f(o);
    f.client->start();
    REQUIRE(f.waitUp());
    REQUIRE(runUntil(f.loop, [&] { return f.client->status().lastKeepAlive.has_value(); }, 2s));
    f.ms.freeze();
    REQUIRE(f.waitState(LinkState::Down, 3s));
    CHECK(f.client->status().lastError.find("keep-alive-unanswered") != std::string::npos);
    CHECK(f.client->status().lastKeepAlive.has_value());  // remembered after the loss
    CHECK(f.sip.calls.front()->hungUp);
}

TEST_CASE("as msclient: BYE from the MS closes the TCP connection and reconnects", "[as][msclient]") {
    Fixture f;
    f.client->start();
    REQUIRE(f.waitUp());
    auto call = f.sip.last();
    ControlDialogHandler* h = call->handler;
    REQUIRE(h);
    h->onEnded("BYE from the media server");
    CHECK(f.client->state() == LinkState::Down);
    REQUIRE(runUntil(f.loop, [&] { return f.ms.closedByPeer() == 1; }));
    REQUIRE(f.waitUp());
    CHECK(f.client->status().reconnects == 1);
}

TEST_CASE("as msclient: stop() hangs up and stops retrying", "[as][msclient]") {
    Fixture f;
    f.client->start();
    REQUIRE(f.waitUp());
    f.client->stop();
    CHECK(f.sip.last()->hungUp);
    CHECK(f.client->state() == LinkState::Down);
    REQUIRE(runUntil(f.loop, [&] { return f.ms.closedByPeer() == 1; }));
    runFor(f.loop, 100ms);
    CHECK(f.sip.calls.size() == 1);
    CHECK(f.client->status().lastError == "stopped");
}

TEST_CASE("as msclient: destroying a client mid-attempt leaves no timers or watches", "[as][msclient]") {
    common::EventLoop loop;
    FakeSignalling sip;
    std::size_t before = loop.timerCount();
    {
        MediaServerClient c(loop, sip, fastOptions());
        c.start();
        CHECK(loop.timerCount() > before);
    }
    CHECK(loop.timerCount() == before);
    CHECK(loop.watchCount() == 0);
    REQUIRE(sip.last());
    CHECK(sip.last()->hungUp);
}

TEST_CASE("as msclient registry: picks an up client, least loaded first", "[as][msclient]") {
    common::EventLoop loop;
    FakeMs ms1(loop), ms2(loop);
    FakeSignalling sip1, sip2;
    sip1.loop = sip2.loop = &loop;
    sip1.autoAnswerPort = ms1.port();
    sip2.autoAnswerPort = ms2.port();
    ms1.onControl = ms2.onControl = [](cfw::Channel&, const cfw::IncomingControl&) {};
    MediaServerRegistry reg;
    auto o1 = fastOptions();
    o1.uri = "sip:ms1@127.0.0.1";
    auto o2 = fastOptions();
    o2.uri = "sip:ms2@127.0.0.1";
    MediaServerClient& c1 = reg.add(std::make_unique<MediaServerClient>(loop, sip1, o1));
    MediaServerClient& c2 = reg.add(std::make_unique<MediaServerClient>(loop, sip2, o2));
    CHECK(reg.pickUp() == nullptr);
    reg.startAll();
    REQUIRE(runUntil(loop, [&] { return reg.upCount() == 2; }));
    CHECK(reg.find("sip:ms2@127.0.0.1") == &c2);
    CHECK(reg.find("sip:nobody@x") == nullptr);

    REQUIRE(c1.sendControl(kAudit, [](const cfw::ControlResult&) {}).ok());
    CHECK(reg.pickUp() == &c2);  // c1 has a request pending
    CHECK(reg.pickUp() == &c2);
    REQUIRE(c2.sendControl(kAudit, [](const cfw::ControlResult&) {}).ok());
    MediaServerClient* a = reg.pickUp();
    MediaServerClient* b = reg.pickUp();
    CHECK(a != b);  // equal load: round-robin

    auto st = reg.statuses();
    REQUIRE(st.size() == 2);
    CHECK(st[0].uri == "sip:ms1@127.0.0.1");
    CHECK(st[1].state == LinkState::Up);

    reg.stopAll();
    CHECK(reg.upCount() == 0);
    CHECK(reg.pickUp() == nullptr);
    CHECK(sip1.last()->hungUp);
    CHECK(sip2.last()->hungUp);
}

// Transaction tables with an injected clock: client timers, 202 + REPORT, Seq checks;
// server accept/report, automatic 202 and refresh REPORTs, acknowledgements.

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "proto/cfw/client_transactions.hpp"
#include "proto/cfw/server_transactions.hpp"

namespace cfw = parley::proto::cfw;
using cfw::ClientTransactions;
using cfw::ControlOutcome;
using cfw::Message;
using cfw::Notifications;
using cfw::RequestKind;
using cfw::ServerTransactions;
using parley::test::cfw::ControlLog;
using parley::test::cfw::FakeClock;
using namespace std::chrono_literals;

namespace {

void run(Notifications&& n) {
    for (auto& f : n) f();
}

void run(Notifications& n) {
    for (auto& f : n) f();
    n.clear();
}

Message report(const std::string& id, std::uint32_t seq, cfw::ReportStatus st, std::uint32_t timeout,
               std::string body = {}) {
    Message m = Message::request(id, cfw::Method::Report);
    m.seq = seq;
    m.reportStatus = st;
    m.timeout = timeout;
    if (!body.empty()) m.contentType = "application/msc-ivr+xml";
    m.body = std::move(body);
    return m;
}

Message response(const std::string& id, int status, std::optional<std::uint32_t> timeout = {}) {
    Message m = Message::response(id, status);
    m.timeout = timeout;
    return m;
}

}  // namespace

TEST_CASE("cfw client transactions: no answer within 2 x Transaction-Timeout times out",
          "[cfw][transactions]") {
    FakeClock clock;
    ClientTransactions t;
    ControlLog log;
    t.start("abcd0001", RequestKind::Control, clock.now + 20s, log.done());
    CHECK(t.nextDeadline() == clock.now + 20s);
    Notifications n;
    std::vector<RequestKind> other;
    CHECK(t.expire(clock.now + 19999ms, n, other) == 0);
    run(n);
    CHECK(log.results.empty());
    CHECK(t.expire(clock.now + 20s, n, other) == 1);
    run(n);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].outcome == ControlOutcome::TimedOut);
    CHECK(t.size() == 0);
    CHECK_FALSE(t.nextDeadline());
}

TEST_CASE("cfw client transactions: 200 with body completes; errors reject", "[cfw][transactions]") {
    FakeClock clock;
    ClientTransactions t;
    ControlLog log;
    t.start("abcd0001", RequestKind::Control, clock.now + 20s, log.done());
    t.start("abcd0002", RequestKind::Control, clock.now + 20s, log.done());
    Message ok = response("abcd0001", 200);
    ok.contentType = "application/msc-mixer+xml";
    ok.body = "<mscmixer/>";
    auto r = t.onResponse(ok, clock.now);
    REQUIRE(r.kind == RequestKind::Control);
    run(r.notify);
    r = t.onResponse(response("abcd0002", 420), clock.now);
    run(r.notify);
    REQUIRE(log.results.size() == 2);
    CHECK(log.results[0].ok());
    CHECK(log.results[0].status == 200);
    CHECK(log.results[0].body == "<mscmixer/>");
    CHECK_FALSE(log.results[0].extended);
    CHECK(log.results[1].outcome == ControlOutcome::Rejected);
    CHECK(log.results[1].status == 420);
    CHECK_FALSE(t.onResponse(response("zzzz0000", 200), clock.now).kind);
}

TEST_CASE("cfw client transactions: 202 then REPORT updates and terminate", "[cfw][transactions]") {
    FakeClock clock;
    ClientTransactions t;
    ControlLog log;
    t.start("abcd0001", RequestKind::Control, clock.now + 20s, log.done(), log.onProgress());
    run(t.onResponse(response("abcd0001", 202, 5), clock.now).notify);
    CHECK(t.nextDeadline() == clock.now + 5s);  // switched to the 202's Timeout

    clock.advance(4s);
    auto r = t.onReport(report("abcd0001", 1, cfw::ReportStatus::Update, 12, "<progress/>"), clock.now);
    CHECK(r.reply == [] { Message m = Message::response("abcd0001", 200); m.seq = 1; return m; }());
    run(r.notify);
    CHECK(t.nextDeadline() == clock.now + 12s);  // restarted on the update
    REQUIRE(log.progress.size() == 1);
    CHECK(log.progress[0].seq == 1);
    CHECK(log.progress[0].body == "<progress/>");

    clock.advance(11s);
    r = t.onReport(report("abcd0001", 2, cfw::ReportStatus::Update, 10), clock.now);  // keep-alive
    run(r.notify);
    CHECK(r.reply.seq == std::optional<std::uint32_t>(2));
    CHECK(log.progress.size() == 2);
    CHECK(log.results.empty());

    clock.advance(9s);
    r = t.onReport(report("abcd0001", 3, cfw::ReportStatus::Terminate, 10, "<final/>"), clock.now);
    run(r.notify);
    CHECK(r.reply.status == 200);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].ok());
    CHECK(log.results[0].extended);
    CHECK(log.results[0].body == "<final/>");
    CHECK(t.size() == 0);
}

TEST_CASE("cfw client transactions: the REPORT Timeout expires an extended transaction",
          "[cfw][transactions]") {
    FakeClock clock;
    ClientTransactions t;
    ControlLog log;
    t.start("abcd0001", RequestKind::Control, clock.now + 20s, log.done());
    run(t.onResponse(response("abcd0001", 202, 10), clock.now).notify);
    Notifications n;
    std::vector<RequestKind> other;
    t.expire(clock.now + 9s, n, other);
    CHECK(n.empty());
    t.expire(clock.now + 10s, n, other);
    run(n);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].outcome == ControlOutcome::TimedOut);
}

TEST_CASE("cfw client transactions: a Seq gap is answered 406 and kills the transaction",
          "[cfw][transactions]") {
    FakeClock clock;
    ClientTransactions t;
    ControlLog log;
    t.start("abcd0001", RequestKind::Control, clock.now + 20s, log.done());
    run(t.onResponse(response("abcd0001", 202, 10), clock.now).notify);
    auto r = t.onReport(report("abcd0001", 1, cfw::ReportStatus::Update, 10), clock.now);
    run(r.notify);
    r = t.onReport(report("abcd0001", 3, cfw::ReportStatus::Update, 10), clock.now);
    CHECK(r.reply.status == 406);
    run(r.notify);
    REQUIRE(log.results.size() == 1);
    CHECK(log.results[0].outcome == ControlOutcome::ProtocolError);
    CHECK(t.size() == 0);
    // Later REPORTs for it are unknown.
    CHECK(t.onReport(report("abcd0001", 4, cfw::ReportStatus::Update, 10), clock.now).reply.status == 481);
}

TEST_CASE("cfw client transactions: failAll calls every completion exactly once", "[cfw][transactions]") {
    FakeClock clock;
    ClientTransactions t;
    ControlLog log;
    for (int i = 0; i < 5; ++i) {
        t.start("abcd000" + std::to_string(i), RequestKind::Control, clock.now + 20s, log.done());
    }
    t.start("abcd0009", RequestKind::KeepAlive, clock.now + 10s);
    Notifications n;
    t.failAll(ControlOutcome::ChannelClosed, "closed", n);
    run(n);
    CHECK(log.results.size() == 5);
    for (const auto& r : log.results) CHECK(r.outcome == ControlOutcome::ChannelClosed);
    t.failAll(ControlOutcome::ChannelClosed, "closed", n);
    run(n);
    CHECK(log.results.size() == 5);
}

TEST_CASE("cfw server transactions: accept, REPORT Seq numbering, acknowledgements",
          "[cfw][transactions]") {
    FakeClock clock;
    ServerTransactions s({10s, true, 10});
    s.open("abcd0001", clock.now);
    CHECK(s.contains("abcd0001"));
    CHECK_FALSE(s.report("abcd0001", cfw::ReportStatus::Update, {}, {}, clock.now).ok());

    auto a = s.accept("abcd0001", 15, clock.now);
    REQUIRE(a.ok());
    CHECK(a->status == 202);
    CHECK(a->timeout == std::optional<std::uint32_t>(15));
    CHECK(s.nextDeadline() == clock.now + 12s);  // refresh at 80 % of 15 s
    CHECK_FALSE(s.accept("abcd0001", 15, clock.now).ok());

    auto r1 = s.report("abcd0001", cfw::ReportStatus::Update, "a/b", "<u/>", clock.now);
    auto r2 = s.report("abcd0001", cfw::ReportStatus::Update, {}, {}, clock.now);
    auto r3 = s.report("abcd0001", cfw::ReportStatus::Terminate, "a/b", "<t/>", clock.now);
    REQUIRE((r1.ok() && r2.ok() && r3.ok()));
    CHECK(r1->seq == std::optional<std::uint32_t>(1));
    CHECK(r2->seq == std::optional<std::uint32_t>(2));
    CHECK(r3->seq == std::optional<std::uint32_t>(3));
    CHECK(r3->reportStatus == cfw::ReportStatus::Terminate);
    CHECK(r3->timeout == std::optional<std::uint32_t>(15));
    CHECK_FALSE(s.report("abcd0001", cfw::ReportStatus::Update, {}, {}, clock.now).ok());

    std::optional<ServerTransactions::Failure> failure;
    for (std::uint32_t seq = 1; seq <= 3; ++seq) {
        CHECK(s.contains("abcd0001"));
        Message ack = Message::response("abcd0001", 200);
        ack.seq = seq;
        CHECK(s.onResponse(ack, failure));
    }
    CHECK_FALSE(failure);
    CHECK_FALSE(s.contains("abcd0001"));  // terminated and fully acknowledged
}

TEST_CASE("cfw server transactions: respond, and respond(200) after 202 becomes REPORT terminate",
          "[cfw][transactions]") {
    FakeClock clock;
    ServerTransactions s({10s, true, 10});
    s.open("abcd0001", clock.now);
    s.open("abcd0002", clock.now);
    auto r = s.respond("abcd0001", 200, "a/b", "<ok/>", clock.now);
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == "<ok/>");
    CHECK_FALSE(s.contains("abcd0001"));
    CHECK(s.respond("abcd0001", 200, {}, {}, clock.now).error().code == 481);
    CHECK_FALSE(s.respond("abcd0002", 202, {}, {}, clock.now).ok());
    CHECK_FALSE(s.respond("abcd0002", 200, {}, "body without type", clock.now).ok());

    REQUIRE(s.accept("abcd0002", 10, clock.now).ok());
    CHECK_FALSE(s.respond("abcd0002", 404, {}, {}, clock.now).ok());
    auto t = s.respond("abcd0002", 200, "a/b", "<done/>", clock.now);
    REQUIRE(t.ok());
    CHECK(t->method == "REPORT");
    CHECK(t->reportStatus == cfw::ReportStatus::Terminate);
    CHECK(t->seq == std::optional<std::uint32_t>(1));
    CHECK(t->body == "<done/>");
}

TEST_CASE("cfw server transactions: automatic 202, refresh REPORTs, unacknowledged REPORTs",
          "[cfw][transactions]") {
    FakeClock clock;
    ServerTransactions s({10s, true, 10});
    const auto t0 = clock.now;
    s.open("abcd0001", t0);
    CHECK(s.nextDeadline() == t0 + 8s);
    std::vector<Message> out;
    std::vector<ServerTransactions::Failure> failures;
    s.tick(t0 + 7999ms, out, failures);
    CHECK(out.empty());
    s.tick(t0 + 8s, out, failures);
    REQUIRE(out.size() == 1);
    CHECK(out[0].status == 202);
    CHECK(out[0].timeout == std::optional<std::uint32_t>(10));
    out.clear();

    // No REPORT from the upper layer: a body-less update at 80 % of the Timeout.
    s.tick(t0 + 16s, out, failures);
    REQUIRE(out.size() == 1);
    CHECK(out[0].method == "REPORT");
    CHECK(out[0].seq == std::optional<std::uint32_t>(1));
    CHECK(out[0].reportStatus == cfw::ReportStatus::Update);
    CHECK(out[0].body.empty());
    out.clear();
    std::optional<ServerTransactions::Failure> failure;
    Message ack = Message::response("abcd0001", 200);
    ack.seq = 1;
    CHECK(s.onResponse(ack, failure));

    s.tick(t0 + 24s, out, failures);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == std::optional<std::uint32_t>(2));
    out.clear();
    // Seq 2 is never acknowledged: after 2 x Transaction-Timeout the transaction fails
    // (refreshes continue meanwhile).
    s.tick(t0 + 32s, out, failures);
    CHECK(out.size() == 1);
    CHECK(failures.empty());
    s.tick(t0 + 44s, out, failures);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].transId == "abcd0001");
    CHECK_FALSE(s.contains("abcd0001"));
}

TEST_CASE("cfw server transactions: a non-2xx answer to a REPORT ends the transaction",
          "[cfw][transactions]") {
    FakeClock clock;
    ServerTransactions s({10s, false, 10});
    s.open("abcd0001", clock.now);
    REQUIRE(s.accept("abcd0001", 10, clock.now).ok());
    REQUIRE(s.report("abcd0001", cfw::ReportStatus::Update, {}, {}, clock.now).ok());
    std::optional<ServerTransactions::Failure> failure;
    Message nack = Message::response("abcd0001", 406);
    nack.seq = 1;
    CHECK(s.onResponse(nack, failure));
    REQUIRE(failure);
    CHECK(failure->reason.find("406") != std::string::npos);
    CHECK_FALSE(s.contains("abcd0001"));
}

TEST_CASE("cfw server transactions: without autoAccept an unanswered request is dropped",
          "[cfw][transactions]") {
    FakeClock clock;
    ServerTransactions s({10s, false, 10});
    s.open("abcd0001", clock.now);
    std::vector<Message> out;
    std::vector<ServerTransactions::Failure> failures;
    s.tick(clock.now + 19s, out, failures);
    CHECK(failures.empty());
    s.tick(clock.now + 20s, out, failures);
    CHECK(out.empty());
    CHECK(failures.size() == 1);
    CHECK(s.size() == 0);
}

// Two real SipStacks on 127.0.0.1 (port 0) driven from one thread.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/unit/sip/sip_fixture.hpp"

using namespace parley;
using namespace parley::proto::sip;
using parley::test::sip::pumpUntil;
using parley::test::sip::RecordingHandler;

namespace {

const std::string kOffer =
    "v=0\r\no=parley 1 1 IN IP4 127.0.0.1\r\ns=parley-offer\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
const std::string kAnswer =
    "v=0\r\no=parley 2 2 IN IP4 127.0.0.1\r\ns=parley-answer\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 40002 RTP/AVP 0\r\n";

struct Agent {
    common::EventLoop loop;
    RecordingHandler handler;
    std::unique_ptr<SipStack> stack;

    explicit Agent(std::string user = "parley") {
        SipConfig config;
        config.listen = "127.0.0.1:0";
        config.user = std::move(user);
        auto made = SipStack::create(loop, config, handler);
        if (!made) FAIL("SipStack::create: " << made.error().message);
        stack = std::move(made.value());
    }
    std::string uri(const std::string& user, const std::string& params = "") const {
        return "sip:" + user + "@127.0.0.1:" + std::to_string(stack->boundPort()) + params;
    }
};

// Callee answers every INVITE 180 then 200 with kAnswer (or kOffer when it was offerless).
void answerAll(Agent& callee) {
    callee.handler.inviteHook = [](const DialogRef& d, const SipMessage& m) {
        (void)d->respond(180);
        (void)d->respond(200, "", m.body.empty() ? kOffer : kAnswer, "application/sdp");
    };
}

bool noErrors(const RecordingHandler& h) {
    for (const auto& e : h.errors) UNSCOPED_INFO("handler: " << e);
    return h.errors.empty();
}

}  // namespace

TEST_CASE("sip: stack binds port 0 and reports it, bad and busy addresses fail", "[sip]") {
    Agent a;
    REQUIRE(a.stack->boundPort() != 0);
    CHECK(a.stack->contactUri() == "sip:parley@127.0.0.1:" + std::to_string(a.stack->boundPort()));

    common::EventLoop loop;
    RecordingHandler h;
    SipConfig busy;
    busy.listen = "127.0.0.1:" + std::to_string(a.stack->boundPort());
    auto second = SipStack::create(loop, busy, h);
    CHECK_FALSE(second.ok());

    for (const char* bad : {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:abc", ":5060", "[::1"}) {
        SipConfig c;
        c.listen = bad;
        auto r = SipStack::create(loop, c, h);
        CHECK_FALSE(r.ok());
    }
}

TEST_CASE("sip: advertiseHost goes into the Contact", "[sip]") {
    common::EventLoop loop;
    RecordingHandler h;
    SipConfig c;
    c.listen = "127.0.0.1:0";
    c.advertiseHost = "media.example.net";
    auto made = SipStack::create(loop, c, h);
    REQUIRE(made.ok());
    auto& stack = *made;
    CHECK(stack->boundPort() != 0);
    CHECK(stack->contactUri() == "sip:parley@media.example.net:" + std::to_string(stack->boundPort()));

    Agent callee;
    InviteRequest req;
    req.to = callee.uri("x");
    req.body = kOffer;
    DialogRef out = *stack->invite(req);
    REQUIRE(pumpUntil({stack.get(), callee.stack.get()}, [&] { return callee.handler.count("invite") == 1; }));
    CHECK(callee.handler.last("invite")->message.contactUri == stack->contactUri());
    REQUIRE(out->hangup().ok());
    REQUIRE(pumpUntil({stack.get(), callee.stack.get()}, [&] { return out->terminated(); }));
}

TEST_CASE("sip: run() serves the EventLoop and stop() works from a timer or another thread",
          "[sip]") {
    Agent a;
    int fired = 0;
    a.loop.addTimer(std::chrono::milliseconds(20), [&] {
        ++fired;
        a.stack->stop();
    });
    a.loop.addTimer(std::chrono::seconds(5), [&] { a.stack->stop(); });  // bound
    a.stack->run();
    CHECK(fired == 1);

    std::thread other([&] { a.stack->stop(); });
    other.join();
    auto started = common::Clock::now();
    a.stack->run();  // returns at once: stop() came before run()
    CHECK(common::Clock::now() - started < std::chrono::seconds(2));

    // stop() from a thread while run() is running, posted work still runs on the loop.
    bool posted = false;
    std::thread stopper([&] {
        a.loop.post([&] { posted = true; });
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        a.stack->stop();
    });
    a.loop.addTimer(std::chrono::seconds(5), [&] { a.stack->stop(); });
    a.stack->run();
    stopper.join();
    CHECK(posted);
}

TEST_CASE("sip: call between two stacks with tags, headers and BYE from the caller", "[sip]") {
    Agent caller("as"), callee("ms");
    answerAll(callee);
    std::string calleeLocalTagAtInvite;
    auto answer = callee.handler.inviteHook;
    callee.handler.inviteHook = [&](const DialogRef& d, const SipMessage& m) {
        calleeLocalTagAtInvite = d->localTag();
        answer(d, m);
    };

    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    req.headers = {{"X-Parley-Test", "two-stacks"}};
    auto made = caller.stack->invite(req);
    REQUIRE(made.ok());
    DialogRef out = *made;
    CHECK(out->role() == DialogRole::Uac);
    CHECK_FALSE(out->callId().empty());
    CHECK_FALSE(out->localTag().empty());

    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->state() == DialogState::Ready && callee.handler.count("ack") == 1; }));
    REQUIRE(callee.handler.count("invite") == 1);
    const auto& inv = *callee.handler.last("invite");
    DialogRef in = inv.dialog;
    CHECK(inv.message.body == kOffer);
    CHECK(inv.message.contentType == "application/sdp");
    CHECK(inv.message.header("X-Parley-Test") == "two-stacks");
    CHECK(inv.message.requestUri == req.to);
    CHECK(inv.message.fromUri == caller.stack->contactUri());
    CHECK(inv.message.contactUri == caller.stack->contactUri());
    CHECK(in->role() == DialogRole::Uas);
    CHECK(in->state() == DialogState::Ready);

    // Both sides agree on the dialog identifiers; the callee knew its tag from the start.
    CHECK(in->callId() == out->callId());
    CHECK(in->fromTag() == out->fromTag());
    CHECK(in->toTag() == out->toTag());
    CHECK(in->connectionId() == out->connectionId());
    CHECK(calleeLocalTagAtInvite == in->localTag());
    CHECK_FALSE(in->localTag().empty());
    CHECK(out->remoteTag() == in->localTag());

    // The caller saw 180 then 200 with the answer; the stack ACKed by itself.
    std::vector<int> statuses;
    for (const auto& e : caller.handler.events)
        if (e.kind == "response") statuses.push_back(e.status);
    CHECK(statuses == std::vector<int>{180, 200});
    CHECK(caller.handler.last("response")->message.body == kAnswer);
    CHECK(callee.handler.last("ack")->message.body.empty());

    REQUIRE(out->bye().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && in->terminated(); }));
    CHECK(callee.handler.kindsFor(in) == std::vector<std::string>{"invite", "ack", "bye", "terminated"});
    CHECK(caller.handler.terminations(out) == 1);
    CHECK(callee.handler.terminations(in) == 1);
    CHECK(caller.stack->dialogCount() == 0);
    CHECK(callee.stack->dialogCount() == 0);
    CHECK(out->bye().error().code == 481);
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: BYE from the callee ends the caller's dialog", "[sip]") {
    Agent caller, callee;
    answerAll(callee);
    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1; }));
    DialogRef in = callee.handler.last("invite")->dialog;
    REQUIRE(in->bye().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && in->terminated(); }));
    CHECK(caller.handler.count("bye") == 1);
    CHECK(caller.handler.terminations(out) == 1);
    CHECK(callee.handler.terminations(in) == 1);
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: CANCEL before the answer", "[sip]") {
    Agent caller, callee;
    callee.handler.inviteHook = [](const DialogRef& d, const SipMessage&) { (void)d->respond(180); };
    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()}, [&] {
        return caller.handler.count("response") == 1 && out->state() == DialogState::Early;
    }));
    REQUIRE(out->cancel().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && callee.handler.count("terminated") == 1; }));
    DialogRef in = callee.handler.last("invite")->dialog;
    CHECK(callee.handler.kindsFor(in) == std::vector<std::string>{"invite", "cancel", "terminated"});
    CHECK(caller.handler.last("response")->status == 487);
    CHECK(caller.handler.terminations(out) == 1);
    CHECK(in->respond(200).error().code == 481);
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: hangup() before the answer cancels, and a rejected INVITE terminates", "[sip]") {
    Agent caller, callee;
    int n = 0;
    callee.handler.inviteHook = [&](const DialogRef& d, const SipMessage&) {
        if (n++ == 0)
            (void)d->respond(180);
        else
            (void)d->respond(486);
    };
    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef first = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return first->state() == DialogState::Early; }));
    REQUIRE(first->hangup().ok());
    DialogRef second = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return first->terminated() && second->terminated(); }));
    CHECK(caller.handler.kindsFor(second) == std::vector<std::string>{"response", "terminated"});
    CHECK(caller.handler.last("response")->status == 486);
    CHECK(pumpUntil({caller.stack.get(), callee.stack.get()},
                    [&] { return callee.handler.count("terminated") == 2; }));
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: offerless INVITE gets the offer in the 200 and sends the answer in the ACK",
          "[sip]") {
    Agent caller, callee;
    answerAll(callee);
    caller.handler.responseHook = [&](const DialogRef& d, const SipMessage& m) {
        if (m.status == 200) caller.handler.check(d->ack(kAnswer, "application/sdp").ok(), "ack failed");
    };
    InviteRequest req;
    req.to = callee.uri("leg1");
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1 && out->state() == DialogState::Ready; }));
    CHECK(callee.handler.last("invite")->message.body.empty());
    CHECK(caller.handler.last("response")->message.body == kOffer);
    CHECK(callee.handler.last("ack")->message.body == kAnswer);
    CHECK(callee.handler.last("ack")->message.contentType == "application/sdp");
    CHECK(out->ack().error().code == 491);  // only one ACK is owed
    REQUIRE(out->hangup().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && callee.handler.count("terminated") == 1; }));
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: re-INVITE in both directions", "[sip]") {
    Agent caller, callee;
    answerAll(callee);
    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1 && out->state() == DialogState::Ready; }));
    DialogRef in = callee.handler.last("invite")->dialog;

    callee.handler.reinviteHook = [](const DialogRef& d, const SipMessage& m) {
        (void)d->respond(200, "", m.body == kOffer ? kAnswer : "bad", "application/sdp");
    };
    REQUIRE(out->reinvite(kOffer, "application/sdp").ok());
    CHECK(out->reinvite(kOffer).error().code == 491);  // one at a time
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 2 && out->state() == DialogState::Ready; }));
    CHECK(callee.handler.count("reinvite") == 1);
    CHECK(caller.handler.last("response")->message.body == kAnswer);

    // The callee's re-INVITE is refused by the caller's default handler (488); the dialog stays.
    REQUIRE(in->reinvite(kOffer).ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("response") == 1; }));
    CHECK(callee.handler.last("response")->status == 488);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return in->state() == DialogState::Ready; }));
    CHECK_FALSE(out->terminated());

    REQUIRE(in->bye().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && in->terminated(); }));
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: INVITE over TCP", "[sip]") {
    Agent caller, callee;
    answerAll(callee);
    InviteRequest req;
    req.to = callee.uri("conf1", ";transport=tcp");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1; }));
    REQUIRE(out->bye().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && callee.handler.count("terminated") == 1; }));
    CHECK(caller.handler.last("terminated")->status == 200);
}

TEST_CASE("sip: actions that do not fit the state are refused", "[sip]") {
    Agent caller, callee;
    InviteRequest bad;
    bad.to = "not a uri <";
    CHECK(caller.stack->invite(bad).error().code == 400);
    InviteRequest injected;
    injected.to = callee.uri("x");
    injected.headers = {{"X-A", "1\r\nX-B: 2"}};
    CHECK(caller.stack->invite(injected).error().code == 400);

    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    CHECK(out->respond(200).error().code == 491);   // not a UAS
    CHECK(out->ack().error().code == 491);          // no 2xx yet
    CHECK(out->bye().error().code == 491);          // not established
    CHECK(out->reinvite(kOffer).error().code == 491);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("invite") == 1; }));
    DialogRef in = callee.handler.last("invite")->dialog;
    CHECK(in->cancel().error().code == 491);        // not a UAC
    CHECK(in->respond(42).error().code == 400);
    CHECK(in->respond(200, "OK\r\nX: y").error().code == 400);
    REQUIRE(in->respond(603).ok());
    CHECK(in->respond(200).error().code == 491);    // final response already sent
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && in->terminated(); }));
    CHECK(caller.handler.last("terminated")->status == 603);
}

TEST_CASE("sip: shutdown with dialogs up ends every dialog exactly once", "[sip]") {
    // The callee lives on its own thread (a su_root belongs to the thread that made it)
    // because the caller's shutdown() blocks while it ends its dialogs.
    std::mutex m;
    std::condition_variable cv;
    uint16_t calleePort = 0;
    std::vector<std::string> calleeKinds;
    std::vector<std::string> calleeErrors;
    std::thread calleeThread([&] {
        Agent callee;
        callee.handler.inviteHook = [](const DialogRef& d, const SipMessage& msg) {
            if (msg.header("X-Answer") == "yes")
                (void)d->respond(200, "", kAnswer, "application/sdp");
            else
                (void)d->respond(180);
        };
        callee.handler.terminatedHook = [&](const DialogRef&) {
            if (callee.handler.count("terminated") == 2) callee.stack->stop();
        };
        callee.loop.addTimer(std::chrono::seconds(20), [&] { callee.stack->stop(); });  // bound
        {
            std::lock_guard<std::mutex> lock(m);
            calleePort = callee.stack->boundPort();
        }
        cv.notify_all();
        callee.stack->run();
        callee.stack->shutdown();  // nothing left up
        std::lock_guard<std::mutex> lock(m);
        for (const auto& e : callee.handler.events) calleeKinds.push_back(e.kind);
        calleeErrors = callee.handler.errors;
    });
    {
        std::unique_lock<std::mutex> lock(m);
        cv.wait_for(lock, std::chrono::seconds(5), [&] { return calleePort != 0; });
    }
    REQUIRE(calleePort != 0);

    auto caller = std::make_unique<Agent>();
    InviteRequest answered;
    answered.to = "sip:a@127.0.0.1:" + std::to_string(calleePort);
    answered.body = kOffer;
    answered.headers = {{"X-Answer", "yes"}};
    InviteRequest ringing = answered;
    ringing.headers = {{"X-Answer", "no"}};
    DialogRef up = *caller->stack->invite(answered);
    DialogRef early = *caller->stack->invite(ringing);
    bool bothUp = pumpUntil({caller->stack.get()}, [&] {
        return up->state() == DialogState::Ready && early->state() == DialogState::Early;
    });
    CHECK(bothUp);

    auto started = common::Clock::now();
    caller->stack->shutdown();
    CHECK(common::Clock::now() - started < std::chrono::seconds(4));
    CHECK(up->terminated());
    CHECK(early->terminated());
    CHECK(caller->handler.terminations(up) == 1);
    CHECK(caller->handler.terminations(early) == 1);
    CHECK(caller->stack->dialogCount() == 0);
    CHECK(up->bye().error().code == 481);
    InviteRequest late;
    late.to = answered.to;
    CHECK(caller->stack->invite(late).error().code == 503);
    caller->stack->shutdown();  // idempotent
    CHECK(noErrors(caller->handler));
    caller.reset();  // the stack goes; DialogRefs stay readable
    CHECK_FALSE(up->callId().empty());

    calleeThread.join();
    auto countOf = [&](const std::string& k) { return std::count(calleeKinds.begin(), calleeKinds.end(), k); };
    CHECK(countOf("invite") == 2);
    CHECK(countOf("bye") == 1);
    CHECK(countOf("cancel") == 1);
    CHECK(countOf("terminated") == 2);
    CHECK(calleeErrors.empty());
}

TEST_CASE("sip: garbage and malformed requests do not disturb the stack", "[sip]") {
    Agent caller, callee;
    answerAll(callee);
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(callee.stack->boundPort());
    const std::vector<std::string> junk = {
        std::string("\x00\xff\x13garbage", 10),
        "INVITE sip:x@127.0.0.1 SIP/2.0\r\n\r\n",
        "INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n"
        "From: <sip:a@b>\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: j1\r\nCSeq: 1 INVITE\r\n"
        "Content-Length: 99999\r\n\r\nv=0\r\n",
        "BYE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>;tag=nope\r\nCall-ID: j2\r\n"
        "CSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
    };
    for (const auto& j : junk)
        ::sendto(fd, j.data(), j.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    ::close(fd);
    pumpUntil({callee.stack.get()}, [] { return false; }, std::chrono::milliseconds(200));
    CHECK(callee.handler.events.empty());

    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1; }));
    REQUIRE(out->bye().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && callee.handler.count("terminated") == 1; }));
}

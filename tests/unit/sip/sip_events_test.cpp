// What a conference focus needs from proto/sip: SUBSCRIBE/NOTIFY as a notifier (RFC 6665,
// RFC 4575), REFER inside and outside dialogs (RFC 3515, RFC 4579), UPDATE (RFC 3311),
// session timers (RFC 4028) and the ;isfocus Contact. Against sipp (skipped without it)
// and stack to stack on 127.0.0.1 port 0.
#include <catch2/catch.hpp>

#include "tests/support/spec_files.hpp"
#include "tests/unit/sip/sip_fixture.hpp"

using namespace parley;
using namespace parley::proto::sip;
using namespace parley::test::sip;

namespace {

const std::string kOffer =
    "v=0\r\no=parley 1 1 IN IP4 127.0.0.1\r\ns=parley-offer\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
const std::string kAnswer =
    "v=0\r\no=parley 2 2 IN IP4 127.0.0.1\r\ns=parley-answer\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 40002 RTP/AVP 0\r\n";
const std::string kUpdateAnswer =
    "v=0\r\no=parley 2 3 IN IP4 127.0.0.1\r\ns=parley-update-answer\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=recvonly\r\n";
const std::string kConfInfo =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<conference-info "
    "xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:room1@127.0.0.1\" "
    "state=\"full\" version=\"1\"/>\n";

struct Agent {
    common::EventLoop loop;
    RecordingHandler handler;
    std::unique_ptr<SipStack> stack;

    explicit Agent(SipConfig config = {}) {
        config.listen = "127.0.0.1:0";
        auto made = SipStack::create(loop, config, handler);
        if (!made) FAIL("SipStack::create: " << made.error().message);
        stack = std::move(made.value());
    }
    std::string uri(const std::string& user) const {
        return "sip:" + user + "@127.0.0.1:" + std::to_string(stack->boundPort());
    }
};

SipConfig focusConfig() {
    SipConfig c;
    c.allowEvents = {"conference"};
    c.subscribeMinExpires = 60;
    c.subscribeMaxExpires = 300;
    return c;
}

std::vector<std::string> sippArgs(const std::string& scenario, const std::string& target) {
    return {"-sf", (scenarioDir() / scenario).string(), "-m", "1", "-i", "127.0.0.1", "-t", "u1",
            "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_msg", "-trace_err",
            "-skip_rlimit", "-p", std::to_string(freeLocalPort()), target};
}

void runSipp(Agent& a, const std::string& scenario, const std::function<bool()>& done) {
    TempDir dir;
    SippProcess sipp(sippArgs(scenario, "127.0.0.1:" + std::to_string(a.stack->boundPort())), dir.path());
    REQUIRE(sipp.started());
    bool finished = pumpUntil({a.stack.get()}, [&] { return !sipp.running() && done(); },
                              std::chrono::seconds(30));
    if (!finished) sipp.kill();
    INFO(sipp.output());
    for (const auto& e : a.handler.events) UNSCOPED_INFO("event " << e.kind << " " << e.status << " " << e.reason);
    REQUIRE(finished);
    REQUIRE(sipp.exitCode() == 0);
}

bool noErrors(const RecordingHandler& h) {
    for (const auto& e : h.errors) UNSCOPED_INFO("handler: " << e);
    return h.errors.empty();
}

}  // namespace

TEST_CASE("sip: SUBSCRIBE conference: 200 with the granted Expires, NOTIFY, refresh, unsubscribe",
          "[sip][subscribe]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a(focusConfig());
    a.handler.subscribeHook = [&](const SubscriptionRef& s, const SipMessage& m) {
        a.handler.check(s->event() == "conference", "event " + s->event());
        a.handler.check(m.expires == 600, "expires");
        a.handler.check(s->grantedExpires() == 300, "granted");
        a.handler.check(s->notify(kConfInfo, "application/conference-info+xml").ok(), "notify");
        return RequestAnswer{200, ""};
    };
    runSipp(a, "subscribe_conference.xml", [&] { return a.handler.count("sub-terminated") == 1; });
    const auto* sub = a.handler.last("subscribe");
    REQUIRE(sub);
    CHECK(sub->subscription->resourceUri().find("sip:room1@") == 0);
    CHECK(sub->subscription->subscriberUri().find("sip:sipp@") == 0);
    CHECK_FALSE(sub->subscription->fetch());
    REQUIRE(a.handler.count("sub-refresh") == 1);
    CHECK(a.handler.last("sub-refresh")->subscription->grantedExpires() == 120);
    CHECK(a.handler.last("sub-terminated")->reason == "unsubscribed");
    CHECK(sub->subscription->terminated());
    CHECK(sub->subscription->notify(kConfInfo, "application/conference-info+xml").error().code == 481);
    CHECK(noErrors(a.handler));
}

TEST_CASE("sip: SUBSCRIBE refused: 489 unknown event, 423 too brief, 404 by the handler, and a fetch",
          "[sip][subscribe]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a(focusConfig());
    a.handler.subscribeHook = [&](const SubscriptionRef& s, const SipMessage&) {
        if (s->resourceUri().find("nosuchroom") != std::string::npos) return RequestAnswer{404, "No Such Room"};
        a.handler.check(s->fetch(), "fetch expected");
        (void)s->notify(kConfInfo, "application/conference-info+xml");
        return RequestAnswer{200, ""};
    };
    runSipp(a, "subscribe_refused.xml", [&] { return a.handler.count("sub-terminated") == 1; });
    // The 489 and the 423 never reached the handler; the 404 and the fetch did.
    CHECK(a.handler.count("subscribe") == 2);
    CHECK(a.handler.last("sub-terminated")->reason == "fetch");
    CHECK(a.stack->dialogCount() == 0);
    CHECK(noErrors(a.handler));
}

TEST_CASE("sip: SUBSCRIBE without allowEvents, and past maxSubscriptions", "[sip][subscribe]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    SipConfig none;  // a media server: no event package at all
    Agent plain(none);
    plain.handler.subscribeHook = [&](const SubscriptionRef&, const SipMessage&) {
        plain.handler.check(false, "SUBSCRIBE reached the handler");
        return RequestAnswer{200, ""};
    };
    TempDir dir;
    // subscribe_refused.xml expects 489 first: with no package every SUBSCRIBE is a 489,
    // so sipp stops at its second step (423 expected) with an error; the stack stays well.
    SippProcess sipp(sippArgs("subscribe_refused.xml", "127.0.0.1:" + std::to_string(plain.stack->boundPort())),
                     dir.path());
    REQUIRE(sipp.started());
    pumpUntil({plain.stack.get()}, [&] { return !sipp.running(); }, std::chrono::seconds(30));
    sipp.kill();
    CHECK(sipp.output().find("489") != std::string::npos);
    CHECK(plain.handler.events.empty());
    CHECK(noErrors(plain.handler));

    SipConfig capped = focusConfig();
    capped.maxSubscriptions = 0;
    Agent full(capped);
    TempDir dir2;
    SippProcess sipp2(sippArgs("subscribe_conference.xml", "127.0.0.1:" + std::to_string(full.stack->boundPort())),
                      dir2.path());
    REQUIRE(sipp2.started());
    pumpUntil({full.stack.get()}, [&] { return !sipp2.running(); }, std::chrono::seconds(30));
    sipp2.kill();
    CHECK(sipp2.output().find("SIP/2.0 503") != std::string::npos);
    CHECK(full.handler.events.empty());
}

TEST_CASE("sip: REFER outside a dialog: 202 and sipfrag NOTIFYs",
          "[sip][refer]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a(focusConfig());
    a.handler.referHook = [&](const SubscriptionRef& progress, const ReferRequest& r, const DialogRef& d) {
        a.handler.check(d == nullptr, "no dialog expected");
        a.handler.check(r.referTo == "sip:bob@example.com;method=BYE", "referTo " + r.referTo);
        a.handler.check(r.method == "BYE", "method " + r.method);
        a.handler.check(r.target == "sip:bob@example.com", "target " + r.target);
        a.handler.check(r.referredBy.find("sip:sipp@") == 0, "referredBy " + r.referredBy);
        a.handler.check(progress->event() == "refer", "event");
        // Reported at once: the stack holds it until its own 100 Trying went out.
        a.handler.check(progress->notifyProgress(200).ok(), "progress");
        return RequestAnswer{202, ""};
    };
    runSipp(a, "refer_outside.xml", [&] { return a.handler.count("sub-terminated") == 1; });
    CHECK(a.handler.count("refer") == 1);
    CHECK(a.handler.last("sub-terminated")->reason == "terminated");
    CHECK(noErrors(a.handler));
}

TEST_CASE("sip: focus dialog: isfocus Contact, UPDATE with and without offer, in-dialog REFER (400 without Refer-To)",
          "[sip][refer][update]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a(focusConfig());
    a.handler.inviteHook = [&](const DialogRef& d, const SipMessage&) {
        a.handler.check(d->setFocus("room1").ok(), "setFocus");
        a.handler.check(d->isFocus(), "isFocus");
        (void)d->respond(200, "", kAnswer, "application/sdp");
    };
    a.handler.updateHook = [&](const DialogRef& d, const SipMessage& m) {
        if (m.body.empty())
            (void)d->respondUpdate(200);
        else
            (void)d->respondUpdate(200, "", kUpdateAnswer, "application/sdp");
    };
    a.handler.referHook = [&](const SubscriptionRef& progress, const ReferRequest& r, const DialogRef& d) {
        a.handler.check(d != nullptr, "dialog expected");
        a.handler.check(progress->inDialog(), "inDialog");
        a.handler.check(r.method == "INVITE" && r.target == "sip:carol@example.com", "refer " + r.referTo);
        (void)progress->notifyProgress(200);
        return RequestAnswer{202, ""};
    };
    runSipp(a, "uac_focus_refer_update.xml", [&] {
        return a.handler.count("terminated") == 1 && a.handler.count("sub-terminated") == 1;
    });
    CHECK(a.handler.count("refer") == 1);  // the REFER without Refer-To got 400 from the stack
    REQUIRE(a.handler.count("update") == 2);
    CHECK(a.handler.events[2].kind == "update");
    CHECK(a.handler.events[2].message.body.find("s=sipp-update") != std::string::npos);
    CHECK(a.handler.last("update")->message.body.empty());
    CHECK(a.handler.last("sub-terminated")->reason == "terminated");
    CHECK(a.handler.last("terminated")->status == 200);
    CHECK(noErrors(a.handler));
}

TEST_CASE("sip: UPDATE between two stacks, both directions, and the default answers", "[sip][update]") {
    Agent caller, callee;
    callee.handler.inviteHook = [](const DialogRef& d, const SipMessage&) {
        (void)d->respond(200, "", kAnswer, "application/sdp");
    };
    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1 && out->state() == DialogState::Ready; }));
    DialogRef in = callee.handler.last("invite")->dialog;

    // Answered later, outside the callback, as a focus does after asking its media server.
    DialogRef pending;
    callee.handler.updateHook = [&](const DialogRef& d, const SipMessage&) { pending = d; };
    REQUIRE(out->update(kOffer, "application/sdp").ok());
    CHECK(out->update(kOffer).error().code == 491);  // one at a time
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()}, [&] { return pending != nullptr; }));
    CHECK(callee.handler.last("update")->message.body == kOffer);
    CHECK(in->respondUpdate(42).error().code == 400);
    REQUIRE(in->respondUpdate(200, "", kUpdateAnswer, "application/sdp").ok());
    CHECK(in->respondUpdate(200).error().code == 491);  // already answered
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return caller.handler.count("update-response") == 1; }));
    CHECK(caller.handler.last("update-response")->status == 200);
    CHECK(caller.handler.last("update-response")->message.body == kUpdateAnswer);

    // The caller's default handler: an offer gets 488, a bare UPDATE 200.
    REQUIRE(in->update(kOffer, "application/sdp").ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("update-response") == 1; }));
    CHECK(callee.handler.last("update-response")->status == 488);
    REQUIRE(in->update().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("update-response") == 2; }));
    CHECK(callee.handler.last("update-response")->status == 200);
    CHECK_FALSE(out->terminated());

    REQUIRE(out->bye().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && in->terminated(); }));
    CHECK(in->update().error().code == 481);
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: a focus calling out and answering puts isfocus in its Contact", "[sip][focus]") {
    Agent focus, peer;
    peer.handler.inviteHook = [](const DialogRef& d, const SipMessage&) {
        (void)d->respond(200, "", kAnswer, "application/sdp");
    };
    InviteRequest req;
    req.to = peer.uri("bob");
    req.body = kOffer;
    req.isFocus = true;
    req.contactUser = "room7";
    DialogRef out = *focus.stack->invite(req);
    REQUIRE(pumpUntil({focus.stack.get(), peer.stack.get()}, [&] { return peer.handler.count("ack") == 1; }));
    const auto& inv = peer.handler.last("invite")->message;
    CHECK(inv.contactIsFocus);
    CHECK(inv.contactUri == "sip:room7@127.0.0.1:" + std::to_string(focus.stack->boundPort()));
    CHECK(out->isFocus());
    REQUIRE(out->bye().ok());
    REQUIRE(pumpUntil({focus.stack.get(), peer.stack.get()}, [&] { return out->terminated(); }));

    // The other way round: the focus answers.
    focus.handler.inviteHook = [&](const DialogRef& d, const SipMessage&) {
        focus.handler.check(d->setFocus("bad user").error().code == 400, "bad user accepted");
        (void)d->setFocus();
        (void)d->respond(200, "", kAnswer, "application/sdp");
    };
    InviteRequest in;
    in.to = focus.uri("room7");
    in.body = kOffer;
    DialogRef call = *peer.stack->invite(in);
    REQUIRE(pumpUntil({focus.stack.get(), peer.stack.get()}, [&] { return call->state() == DialogState::Ready; }));
    CHECK(peer.handler.last("response")->message.contactIsFocus);
    CHECK(call->remoteContact() == "sip:parley@127.0.0.1:" + std::to_string(focus.stack->boundPort()));
    REQUIRE(call->bye().ok());
    REQUIRE(pumpUntil({focus.stack.get(), peer.stack.get()}, [&] { return call->terminated(); }));
    CHECK(noErrors(focus.handler));
    CHECK(noErrors(peer.handler));
}

TEST_CASE("sip: session timers are negotiated (Session-Expires, Min-SE, refresher)", "[sip][timer]") {
    SipConfig withTimers;
    withTimers.sessionExpires = 1800;
    withTimers.minSessionExpires = 90;
    Agent caller(withTimers);
    SipConfig strict = withTimers;
    strict.sessionExpires = 3600;
    strict.minSessionExpires = 2400;  // the caller's 1800 is too brief: 422, then a retry
    Agent callee(strict);
    callee.handler.inviteHook = [](const DialogRef& d, const SipMessage&) {
        (void)d->respond(200, "", kAnswer, "application/sdp");
    };
    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1 && out->state() == DialogState::Ready; }));
    CHECK(callee.handler.last("invite")->message.sessionExpires >= 2400);
    const auto& ok = caller.handler.last("response")->message;
    CHECK(ok.status == 200);
    CHECK(ok.sessionExpires >= 2400);
    CHECK((ok.refresher == "uac" || ok.refresher == "uas"));
    CHECK(SipStack::create(caller.loop, [] {
              SipConfig c;
              c.listen = "127.0.0.1:0";
              c.sessionExpires = 60;  // below its own Min-SE
              return c;
          }(), caller.handler).error().code == EINVAL);
    REQUIRE(out->bye().ok());
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && callee.handler.count("terminated") == 1; }));
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

TEST_CASE("sip: session refresh by UPDATE keeps the dialog, a failed refresh ends it with BYE",
          "[sip][timer]") {
    // Short timers so that the test runs in seconds (RFC 4028 asks 90 s at least of real
    // peers; the stack does not enforce that floor on its own configuration).
    SipConfig quick;
    quick.sessionExpires = 4;
    quick.minSessionExpires = 2;
    quick.refresher = SipConfig::Refresher::Local;
    Agent caller(quick);
    SipConfig passive = quick;
    passive.refresher = SipConfig::Refresher::Remote;
    Agent callee(passive);
    callee.handler.inviteHook = [](const DialogRef& d, const SipMessage&) {
        (void)d->respond(200, "", kAnswer, "application/sdp");
    };
    InviteRequest req;
    req.to = callee.uri("conf1");
    req.body = kOffer;
    DialogRef out = *caller.stack->invite(req);
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("ack") == 1 && out->state() == DialogState::Ready; }));
    CHECK(caller.handler.last("response")->message.refresher == "uac");
    // The caller refreshes (bare UPDATE, answered 200 by the callee's default handler).
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return callee.handler.count("update") >= 2; }, std::chrono::seconds(12)));
    CHECK(callee.handler.last("update")->message.body.empty());
    CHECK_FALSE(out->terminated());
    CHECK(caller.handler.count("update-response") == 0);  // the stack's own refreshes stay inside

    // The callee now fails refreshes (503): the session runs out, the caller's stack sends BYE
    // and reports it.
    callee.handler.updateHook = [](const DialogRef& d, const SipMessage&) { (void)d->respondUpdate(503); };
    REQUIRE(pumpUntil({caller.stack.get(), callee.stack.get()},
                      [&] { return out->terminated() && callee.handler.count("terminated") == 1; },
                      std::chrono::seconds(15)));
    INFO("caller ended with " << caller.handler.last("terminated")->status << " "
                              << caller.handler.last("terminated")->reason);
    CHECK(caller.handler.terminations(out) == 1);
    CHECK(caller.handler.last("terminated")->status == 408);
    CHECK(caller.handler.last("terminated")->reason == "session timer expired");
    CHECK(callee.handler.count("bye") == 1);
    CHECK(noErrors(caller.handler));
    CHECK(noErrors(callee.handler));
}

// SipStack against sipp 3.x (a peer the project did not write). Skipped without sipp.
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

struct Agent {
    common::EventLoop loop;
    RecordingHandler handler;
    std::unique_ptr<SipStack> stack;
    Agent() {
        SipConfig config;
        config.listen = "127.0.0.1:0";
        auto made = SipStack::create(loop, config, handler);
        if (!made) FAIL("SipStack::create: " << made.error().message);
        stack = std::move(made.value());
    }
};

std::vector<std::string> sippArgs(const std::string& scenario, const std::string& transport,
                                  const std::string& target, const std::vector<std::string>& more) {
    std::vector<std::string> args = {
        "-sf", (scenarioDir() / scenario).string(), "-m", "1", "-i", "127.0.0.1",
        "-t", transport, "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_msg",
        "-trace_err", "-skip_rlimit"};
    args.insert(args.end(), more.begin(), more.end());
    if (!target.empty()) {
        // A UAC sipp would otherwise try the fixed port 5060 first.
        args.push_back("-p");
        args.push_back(std::to_string(freeLocalPort()));
        args.push_back(target);
    }
    return args;
}

// Pumps the stack until sipp exits and done() holds; kills sipp when that takes too long.
void waitForSipp(Agent& a, SippProcess& sipp, const std::function<bool()>& done) {
    bool finished = pumpUntil({a.stack.get()}, [&] { return !sipp.running() && done(); },
                              std::chrono::seconds(30));
    if (!finished) sipp.kill();
    INFO(sipp.output());
    for (const auto& e : a.handler.events) UNSCOPED_INFO("event " << e.kind << " " << e.status);
    INFO("sipp exited: " << !sipp.running());
    REQUIRE(finished);
    REQUIRE(sipp.exitCode() == 0);
}

}  // namespace

TEST_CASE("sip: sipp UAC calls our UAS with an offer and sees ACK and BYE", "[sip]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a;
    a.handler.inviteHook = [](const DialogRef& d, const SipMessage&) {
        (void)d->respond(180);
        (void)d->respond(200, "", kAnswer, "application/sdp");
    };
    TempDir dir;
    std::string target = "127.0.0.1:" + std::to_string(a.stack->boundPort());
    SippProcess sipp(sippArgs("uac_offer.xml", "u1", target, {}), dir.path());
    REQUIRE(sipp.started());
    waitForSipp(a, sipp, [&] { return a.handler.count("terminated") == 1; });

    REQUIRE(a.handler.count("invite") == 1);
    const auto& inv = *a.handler.last("invite");
    CHECK(inv.message.body.find("s=sipp-offer") != std::string::npos);
    CHECK(inv.message.contentType == "application/sdp");
    CHECK(inv.message.header("X-Parley-Test") == "uac-offer");
    CHECK(inv.message.fromTag.find("SIPpTag00") != std::string::npos);
    CHECK(inv.dialog->remoteTag() == inv.message.fromTag);
    CHECK(a.handler.kindsFor(inv.dialog) == std::vector<std::string>{"invite", "ack", "bye", "terminated"});
    CHECK(a.handler.errors.empty());
}

TEST_CASE("sip: our UAC calls a sipp UAS with an offer, gets the answer, ACKs and BYEs", "[sip]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a;
    uint16_t port = freeLocalPort();
    REQUIRE(port != 0);
    TempDir dir;
    SippProcess sipp(sippArgs("uas_answer.xml", "u1", "", {"-p", std::to_string(port)}), dir.path());
    REQUIRE(sipp.started());
    REQUIRE(waitUntilUdpBound(port));

    DialogRef out;
    a.handler.responseHook = [&](const DialogRef&, const SipMessage&) {};
    InviteRequest req;
    req.to = "sip:service@127.0.0.1:" + std::to_string(port);
    req.body = kOffer;
    auto made = a.stack->invite(req);
    REQUIRE(made.ok());
    out = *made;
    bool up = pumpUntil({a.stack.get()}, [&] { return out->state() == DialogState::Ready; },
                        std::chrono::seconds(20));
    if (!up) sipp.kill();
    INFO(sipp.output());
    REQUIRE(up);
    CHECK(a.handler.last("response")->message.body.find("s=sipp-answer") != std::string::npos);
    CHECK(out->remoteTag().find("SIPpTag01") != std::string::npos);
    REQUIRE(out->bye().ok());
    waitForSipp(a, sipp, [&] { return out->terminated(); });
    CHECK(a.handler.last("terminated")->status == 200);
    CHECK(a.handler.errors.empty());
}

TEST_CASE("sip: offerless INVITE to sipp gets our answer in the ACK", "[sip]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a;
    uint16_t port = freeLocalPort();
    REQUIRE(port != 0);
    TempDir dir;
    SippProcess sipp(sippArgs("uas_offer_in_200.xml", "u1", "", {"-p", std::to_string(port)}),
                     dir.path());
    REQUIRE(sipp.started());
    REQUIRE(waitUntilUdpBound(port));

    std::string offer;
    a.handler.responseHook = [&](const DialogRef& d, const SipMessage& m) {
        if (m.status != 200) return;
        offer = m.body;
        a.handler.check(d->ack(kAnswer, "application/sdp").ok(), "ack failed");
    };
    InviteRequest req;
    req.to = "sip:service@127.0.0.1:" + std::to_string(port);
    DialogRef out = *a.stack->invite(req);
    bool up = pumpUntil({a.stack.get()}, [&] { return out->state() == DialogState::Ready; },
                        std::chrono::seconds(20));
    if (!up) sipp.kill();
    INFO(sipp.output());
    REQUIRE(up);
    CHECK(offer.find("s=sipp-offer") != std::string::npos);
    REQUIRE(out->bye().ok());
    // sipp's scenario fails (exit 1) unless the ACK body held s=parley-answer.
    waitForSipp(a, sipp, [&] { return out->terminated(); });
    CHECK(a.handler.errors.empty());
}

TEST_CASE("sip: OPTIONS is answered 200 with Accept and Allow, over UDP and TCP", "[sip]") {
    if (sippPath().empty()) PARLEY_SKIP("sipp is not installed");
    Agent a;
    std::string target = "127.0.0.1:" + std::to_string(a.stack->boundPort());
    for (const char* transport : {"u1", "t1"}) {
        DYNAMIC_SECTION("transport " << transport) {
            TempDir dir;
            SippProcess sipp(sippArgs("options.xml", transport, target, {}), dir.path());
            REQUIRE(sipp.started());
            waitForSipp(a, sipp, [] { return true; });
        }
    }
    CHECK(a.handler.events.empty());  // OPTIONS never reaches the application
    CHECK(a.stack->dialogCount() == 0);
}

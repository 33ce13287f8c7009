// Webhook-scripted calls end to end: a real parley-as (routes from its --rooms file) and a
// real parley-ms, sipp callers and callees, and the customer's application as a web server
// written here (TestHttpServer). What the callers hear is judged from a dumpcap capture on
// lo (the focus e2e fixture); prompts are tones (goodbye is kPromptGoodbye).
//
//   1. gather then conference: digits reach the app's actionUrl, the caller lands in a room
//   2. dial with recording: caller and callee hear each other, the recording holds both
//   3. dead webhook: the fallback prompt, then BYE
//   4. the built-in echo app: the caller hears itself

#include <catch2/catch.hpp>

#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <span>
#include <sstream>
#include <thread>

#include "tests/e2e/as_apps/webhook_app.hpp"
#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::focus {
namespace {

std::string document(const std::vector<std::string>& rooms, const std::vector<std::string>& routes) {
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
        return s;
    };
    return "{\"rooms\":[" + join(rooms) + "],\"routes\":[" + join(routes) + "]}";
}

std::vector<std::uint16_t> distinctMediaPorts(std::size_t n) {
    std::vector<std::uint16_t> ports;
    while (ports.size() < n) {
        auto p = freeMediaPort();
        bool clash = false;
        for (auto q : ports)
            if (p + 2 >= q && q + 2 >= p) clash = true;
        if (!clash) ports.push_back(p);
    }
    return ports;
}

}  // namespace

TEST_CASE("as apps: gather sends the digits to actionUrl, then conference puts the caller in the room",
          "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    app.answer("/call", "[{\"answer\":{}},{\"gather\":{\"numDigits\":4,\"timeout\":8,\"finishOnKey\":\"#\","
                        "\"actionUrl\":\"" + app.url("/digits") + "\"}}]");
    app.answer("/digits", "[{\"conference\":{\"room\":\"r1\"}}]");
    FocusSystem fx(document({room("r1")}, {route("r-help", "help", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    const auto ports = distinctMediaPorts(2);
    const std::uint16_t callerPort = ports[0], memberPort = ports[1];
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {callerPort, memberPort}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    // The room member streams 700 Hz.
    UacOptions member;
    member.room = "r1";
    member.fromUser = "member";
    member.afterAck = streamTone(toneFile(fx.dir(), 700)) + pauseMs(22000);
    SippPeer m = startUac(fx, "member", member, memberPort);
    // The scripted caller keys 1234# once gather runs, then listens.
    DtmfTrain train;
    UacOptions caller;
    caller.room = "help";
    caller.fromUser = "caller";
    caller.afterAck = pauseMs(2500) + playPcap(dtmfPcap(fx.dir(), "caller", "1234#", train)) + pauseMs(16000);
    SippPeer c = startUac(fx, "caller", caller, callerPort);

    for (auto* p : {&m, &c}) {
        bool answered = p->waitAnswered(20s);
        INFO(p->describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    {
        auto incoming = app.waitBody("/call", "call.incoming", 5s);
        INFO(app.all("/call") << "\n" << fx.logs(3000));
        REQUIRE(incoming);
        CHECK(incoming->find("\"route\":\"r-help\"") != std::string::npos);
    }
    {
        auto digits = app.waitBody("/digits", "\"event\":\"gather\"", 15s);
        INFO(app.all("/digits") << "\n" << c.describe(1500) << "\n" << fx.logs(4000));
        REQUIRE(digits);
        CHECK(digits->find("\"digits\":\"1234\"") != std::string::npos);
    }
    {
        bool heard = cap->waitHeard(callerPort, 700, t0, 15s);
        INFO(cap->describe(callerPort, t0, 1e300, {700}) << "\n" << c.describe(1500) << "\n" << fx.logs(4000));
        CHECK(heard);
    }
    CHECK_FALSE(c.received("BYE ", "BYE"));
    for (auto* p : {&c, &m}) {
        auto rc = p->wait(40s);
        INFO(p->describe());
        CHECK(rc == std::optional<int>(0));
    }
}

namespace {

constexpr double kCalleeTone = 900, kCallerTone = 500;

// A scripted caller (streaming kCallerTone) whose webhook answers with one dial verb to a
// sipp callee (streaming kCalleeTone); each must hear the other, then the caller hangs up
// and the callee gets the BYE.
void dialAndListen(FocusSystem& fx, WebhookApp& app, bool record, const RtpCapture* cap,
                   std::uint16_t callerPort, std::uint16_t calleePort) {
    SippPeer callee = startUasAt(fx.dir(), "callee", toneFile(fx.dir(), kCalleeTone), 60, calleePort);
    app.answer("/call", "[{\"dial\":{\"uri\":\"sip:callee@127.0.0.1:" + std::to_string(callee.sipPort) +
                            "\",\"record\":" + (record ? "true" : "false") + "}}]");

    const double t0 = nowSeconds();
    UacOptions caller;
    caller.room = "dialer";
    caller.fromUser = "caller";
    caller.afterAck = streamTone(toneFile(fx.dir(), kCallerTone)) + pauseMs(9000);
    SippPeer c = startUac(fx, "caller", caller, callerPort);
    {
        bool answered = c.waitAnswered(20s);
        INFO(c.describe() << "\n" << callee.describe(1500) << "\n" << fx.logs());
        REQUIRE(answered);
    }
    {
        bool calleeHeard = cap->waitHeard(callerPort, kCalleeTone, t0, 12s);
        INFO(cap->describe(callerPort, t0, 1e300, {kCalleeTone, kCallerTone}) << "\n" << fx.logs(4000));
        CHECK(calleeHeard);
    }
    {
        bool callerHeard = cap->waitHeard(calleePort, kCallerTone, t0, 12s);
        INFO(cap->describe(calleePort, t0, 1e300, {kCalleeTone, kCallerTone}) << "\n" << callee.describe(1500));
        CHECK(callerHeard);
    }
    for (auto* p : {&c, &callee}) {
        auto rc = p->wait(30s);
        INFO(p->describe() << "\n" << fx.logs(3000));
        CHECK(rc == std::optional<int>(0));
    }
}

}  // namespace

TEST_CASE("as apps: dial without record joins caller and callee, who hear each other", "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    FocusSystem fx(document({room("r1")}, {route("r-dial", "dialer", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    const auto ports = distinctMediaPorts(2);
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), ports, why);
    if (!cap) PARLEY_SKIP(why);
    dialAndListen(fx, app, false, cap.get(), ports[0], ports[1]);
}

TEST_CASE("as apps: dial with record bridges caller and callee and the recording holds both voices",
          "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    app.answer("/events", "");
    FocusSystem fx(document({room("r1")}, {route("r-dial", "dialer", "webhook", app.url("/call"), app.url("/events"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    const auto ports = distinctMediaPorts(2);
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), ports, why);
    if (!cap) PARLEY_SKIP(why);
    dialAndListen(fx, app, true, cap.get(), ports[0], ports[1]);

    auto ready = app.waitBody("/events", "recording.ready", 15s);
    INFO("events:\n" << app.all("/events") << "\n" << fx.logs(6000));
    REQUIRE(ready);
    std::optional<std::string> mt = parley::test::reCapture(*ready, "\"recordingUrl\":\"([^\"]+)\"");
    REQUIRE(mt);
    const std::string loc = *mt;
    const auto at = loc.find("/recordings/");
    INFO("recordingUrl " << loc);
    REQUIRE(at != std::string::npos);
    auto [status, body] = ms::httpGet(fx.msHttpPort(), loc.substr(at));
    REQUIRE(status == 200);
    const auto file = fx.dir() / "fetched.wav";
    {
        std::ofstream out(file, std::ios::binary);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    auto wav = readWav(file);
    REQUIRE(wav);
    INFO("samples " << wav->samples.size());
    REQUIRE(wav->samples.size() > 16000);
    // Two seconds from the middle of the recording: both voices are in the mix.
    const std::size_t mid = wav->samples.size() / 2;
    auto window = std::span<const std::int16_t>(wav->samples).subspan(mid - 8000, 16000);
    CHECK(toneDbfs(window, kCalleeTone) > -35);
    CHECK(toneDbfs(window, kCallerTone) > -35);
}

TEST_CASE("as apps: a dead webhook plays the fallback prompt, then the AS hangs up", "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    const int closed = freePort();  // nothing listens there
    FocusSystem fx(document({room("r1")}, {route("r-help", "help", "webhook",
                                                 "http://127.0.0.1:" + std::to_string(closed) + "/call")}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    UacOptions o;
    o.room = "help";
    o.fromUser = "caller";
    o.expectByeFromAs = true;
    o.timeoutSeconds = 40;
    SippPeer c = startUac(fx, "caller", o, port);
    {
        bool answered = c.waitAnswered(20s);
        INFO(c.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    auto rc = c.wait(30s);
    {
        INFO(c.describe() << "\n" << fx.logs(4000));
        CHECK(c.received("BYE ", "BYE"));
        CHECK(rc == std::optional<int>(0));
    }
    INFO(cap->describe(port, t0, 1e300, {kPromptGoodbye}) << "\n" << fx.logs(3000));
    CHECK(cap->waitHeard(port, kPromptGoodbye, t0, 5s));
    CHECK(fx.asLog().find("falling back") != std::string::npos);
}

// A caller routed to the echo app (sipp, streaming 600 Hz after its ACK and then running
// `then`): it must be answered and hear itself; `during` runs next with the capture and the
// caller; finally sipp must end with 0 (its scenario's checks passed).
void echoCall(const std::string& then,
              const std::function<void(FocusSystem&, RtpCapture&, SippPeer&, std::uint16_t port)>&
                  during) {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(document({room("r1")}, {route("r-echo", "echo", "app", "echo")}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    UacOptions o;
    o.room = "echo";
    o.fromUser = "caller";
    o.afterAck = streamTone(toneFile(fx.dir(), 600)) + then;
    SippPeer c = startUac(fx, "caller", o, port);
    {
        bool answered = c.waitAnswered(20s);
        INFO(c.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    {
        bool heard = cap->waitHeard(port, 600, t0, 10s);
        INFO(cap->describe(port, t0, 1e300, {600}) << "\n" << fx.logs(4000));
        CHECK(heard);
    }
    if (during) during(fx, *cap, c, port);
    auto rc = c.wait(20s);
    INFO(c.describe() << "\n" << fx.logs(3000));
    CHECK(rc == std::optional<int>(0));
}

TEST_CASE("as apps: the echo app sends the caller's audio back", "[apps][e2e][sipp]") {
    echoCall(pauseMs(6000), {});
}

// For echoCall(): the 200 to the request of CSeq `cseq` ("2 INVITE") comes, and the caller
// still hears itself after it.
std::function<void(FocusSystem&, RtpCapture&, SippPeer&, std::uint16_t)> heardAfter200(
    std::string cseq) {
    return [cseq](FocusSystem& fx, RtpCapture& cap, SippPeer& c, std::uint16_t port) {
        bool answered = false;
        for (int i = 0; i < 100 && !answered; ++i) {
            answered = c.received("SIP/2.0 200", cseq);
            if (!answered) std::this_thread::sleep_for(100ms);
        }
        {
            INFO(cseq << "\n" << c.describe() << "\n" << fx.logs(3000));
            REQUIRE(answered);
        }
        const double t1 = nowSeconds() + 0.5;
        bool heard = cap.waitHeard(port, 600, t1, 10s);
        INFO(cap.describe(port, t1, 1e300, {600}) << "\n" << fx.logs(4000));
        CHECK(heard);
    };
}

TEST_CASE("as apps: an offerless re-INVITE to the echo app brings parley-ms's offer, the ACK "
          "answers it and the echo goes on",
          "[apps][e2e][sipp]") {
    // The re-INVITE has no body; sipp fails the call unless its 200 carries an m=audio offer.
    echoCall(pauseMs(2000) + reInvite("sendrecv", 2, true) + pauseMs(5000),
             heardAfter200("2 INVITE"));
}

TEST_CASE("as apps: an UPDATE with an offer to the echo app is answered by parley-ms and the "
          "echo goes on",
          "[apps][e2e][sipp]") {
    echoCall(pauseMs(2000) + update("sendrecv", 2) + pauseMs(5000), heardAfter200("2 UPDATE"));
}

}  // namespace parley::test::focus

// The remaining scripted-call verbs, the clock app and /v1/calls end to end: a real
// parley-as (routes from its --rooms file) and parley-ms, a sipp caller, and the customer's
// application as a web server written here, which also serves the tone WAVs the verbs play.
// What the caller hears is judged from a dumpcap capture on lo (the focus e2e fixture).
//
// Spoken variables: parley-ms plays <media root>/phrases/en-US/<name>.wav for each word
// (ms/ivr/phrases.hpp). The fixture writes only prompts, so writePhraseTones() gives every
// name of deploy/phrases/en-US.tsv a tone file: "two", "four" and "five" 1.2 s each at their
// own frequency (so a test hears which word played, in which order), every other word a
// short 0.4 s tone.
//
//   1. play loop 2: the tone for about twice its length, then BYE
//   2. say digits 42 and time 13:45 t24: "four", "two", "... five" in order, then the next verb
//   3. record: the recording posted to actionUrl and fetched from parley-ms holds the caller's tone
//   4. redirect: the second URL's instructions run
//   5. /v1/calls: list, show, redirect and hang up a waiting call
//   6. the clock app: spoken time and date, then BYE
//   7. play of media the MS cannot fetch: the fallback prompt, then BYE

#include <catch2/catch.hpp>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <span>
#include <sstream>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include "tests/e2e/as_apps/webhook_app.hpp"
#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::focus {
namespace {

using Clock = std::chrono::steady_clock;

// Phrase tones (Hz) for the words the tests listen for, and the short tone of all others.
constexpr double kWordTwo = 600, kWordFour = 800, kWordFive = 1000, kOtherWord = 1500;
constexpr double kWordSeconds = 1.2, kOtherWordSeconds = 0.4;

std::string document(const std::vector<std::string>& routes) {
    std::string list;
    for (const auto& r : routes) list += (list.empty() ? "" : ",") + r;
    return "{\"rooms\":[" + room("r1") + "],\"routes\":[" + list + "]}";
}

// The caller got 200 within 20 s (the test stops here otherwise).
void requireAnswered(SippPeer& c, FocusSystem& fx) {
    const bool answered = c.waitAnswered(20s);
    INFO(c.describe() << "\n" << fx.logs());
    REQUIRE(answered);
}

// The call ends within `timeout` with the AS's BYE, and sipp ran its scenario to the end.
void expectByeFromAs(SippPeer& c, FocusSystem& fx, std::chrono::seconds timeout) {
    const auto rc = c.wait(timeout);
    INFO(c.describe() << "\n" << fx.logs(4000));
    CHECK(c.received("BYE ", "BYE"));
    CHECK(rc == std::optional<int>(0));
}

// Writes a tone WAV for every phrase name of deploy/phrases/en-US.tsv; false when the list
// cannot be read (the source tree is not there).
bool writePhraseTones(const std::filesystem::path& mediaRoot, std::string& why) {
    const auto tsv = sourceDir() / "deploy" / "phrases" / "en-US.tsv";
    std::ifstream in(tsv);
    if (!in) {
        why = "cannot read " + tsv.string();
        return false;
    }
    const auto dir = mediaRoot / "phrases" / "en-US";
    std::filesystem::create_directories(dir);
    const auto word = makeTone(kOtherWord, -20, kOtherWordSeconds);
    std::string line;
    int written = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const std::string name = line.substr(0, line.find('\t'));
        std::vector<std::int16_t> tone;
        if (name == "two") tone = makeTone(kWordTwo, -20, kWordSeconds);
        else if (name == "four") tone = makeTone(kWordFour, -20, kWordSeconds);
        else if (name == "five") tone = makeTone(kWordFive, -20, kWordSeconds);
        if (!writeWavPcm16(dir / (name + ".wav"), tone.empty() ? word : tone)) {
            why = "cannot write the phrase " + name;
            return false;
        }
        ++written;
    }
    if (written < 20) {
        why = tsv.string() + " lists only " + std::to_string(written) + " phrases";
        return false;
    }
    return true;
}

// One HTTP request to 127.0.0.1:port; {0, what went wrong} when there was no answer.
std::pair<int, std::string> http(const std::string& method, std::uint16_t port, const std::string& path,
                                 const std::string& body = "") {
    try {
        Poco::Net::HTTPClientSession session("127.0.0.1", port);
        session.setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        if (!body.empty()) {
            req.setContentType("application/json");
            req.setContentLength(static_cast<std::streamsize>(body.size()));
        }
        session.sendRequest(req) << body;
        Poco::Net::HTTPResponse res;
        std::istream& in = session.receiveResponse(res);
        std::ostringstream out;
        out << in.rdbuf();
        return {static_cast<int>(res.getStatus()), out.str()};
    } catch (const std::exception& e) {
        return {0, e.what()};
    }
}

// Per 100 ms of the audio sent to `port` since `from` (gaps left out): the level of `freq`,
// or the broadband level when freq is 0.
std::vector<double> blockLevels(const RtpCapture& cap, std::uint16_t port, double freq, double from) {
    RtpSelect s;
    s.dstPort = port;
    s.from = from;
    const auto audio = rtpAudio(cap.datagrams(), s);
    std::vector<double> out;
    const std::span<const std::int16_t> all(audio.samples);
    for (std::size_t at = 0; at + 800 <= all.size(); at += 800) {
        auto block = all.subspan(at, 800);
        out.push_back(freq > 0 ? toneDbfs(block, freq) : rmsDbfs(block));
    }
    return out;
}

// Seconds of audio to `port` since `from` where `freq` (0: any sound) is at `minDbfs` or more.
double secondsAbove(const RtpCapture& cap, std::uint16_t port, double freq, double from, double minDbfs) {
    int n = 0;
    for (double l : blockLevels(cap, port, freq, from))
        if (l >= minDbfs) ++n;
    return n / 10.0;
}

// The count settles once dumpcap has written the end of the call: polls until two reads
// 600 ms apart agree (bounded by `timeout`).
double settledSecondsAbove(const RtpCapture& cap, std::uint16_t port, double freq, double from, double minDbfs,
                           std::chrono::milliseconds timeout = 6s) {
    const auto deadline = Clock::now() + timeout;
    double last = -1;
    for (;;) {
        const double now = secondsAbove(cap, port, freq, from, minDbfs);
        if (now == last || Clock::now() >= deadline) return now;
        last = now;
        std::this_thread::sleep_for(600ms);  // dumpcap writes the file in its own time
    }
}

// A caller on route `user` that listens and ends by answering the AS's BYE.
SippPeer listeningCaller(FocusSystem& fx, const std::string& user, std::uint16_t port,
                         const std::string& afterAck = "") {
    UacOptions o;
    o.room = user;
    o.fromUser = "caller";
    o.expectByeFromAs = true;
    o.timeoutSeconds = 45;
    o.afterAck = afterAck;
    return startUac(fx, "caller", o, port);
}

// parley-as stops cleanly on SIGTERM, and neither server printed a sanitizer report.
void checkCleanExit(FocusSystem& fx) {
    const int rc = fx.stopAs();
    INFO(fx.logs(3000));
    CHECK(rc == 0);
    for (const char* report : {"AddressSanitizer", "LeakSanitizer", "runtime error:"}) {
        CHECK(fx.asLog().find(report) == std::string::npos);
        CHECK(fx.msLog().find(report) == std::string::npos);
    }
}

std::string jsonField(const std::string& body, const std::string& name) {
    return parley::test::reCapture(body, "\"" + name + "\":\"([^\"]*)\"").value_or("");
}

}  // namespace

TEST_CASE("as apps: play with loop 2 plays the tone twice, then hangup sends BYE", "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    FocusSystem fx(document({route("r-play", "player", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    const std::string tone = app.toneWav(fx.dir(), "/tone.wav", 700, 2.0);
    app.answer("/call", "[{\"answer\":{}},{\"play\":{\"url\":\"" + tone + "\",\"loop\":2}},{\"hangup\":{}}]");
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    SippPeer c = listeningCaller(fx, "player", port);
    requireAnswered(c, fx);
    expectByeFromAs(c, fx, 30s);
    // 2 s played twice: about 4 s of 700 Hz (one loop would be 2 s, an endless one 30 s).
    const double heard = settledSecondsAbove(*cap, port, 700, t0, kHeard);
    INFO(cap->describe(port, t0, 1e300, {700}) << "\nheard 700 Hz for " << heard << " s\n" << fx.logs(3000));
    CHECK(heard >= 3.3);
    CHECK(heard <= 4.7);
    CHECK(app.hits("/tone.wav") >= 1);
    checkCleanExit(fx);
}

TEST_CASE("as apps: say speaks digits and a time from the phrase files, then the next verb runs",
          "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    FocusSystem fx(document({route("r-say", "sayer", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    std::string why;
    if (!writePhraseTones(fx.mediaRoot(), why)) PARLEY_SKIP(why);
    constexpr double kAfter = 1100;
    const std::string after = app.toneWav(fx.dir(), "/after.wav", kAfter, 1.5);
    // "four two", then "thirteen forty five", then the tone of the next verb.
    app.answer("/call", "[{\"answer\":{}},{\"say\":{\"type\":\"digits\",\"value\":\"42\"}},"
                        "{\"say\":{\"type\":\"time\",\"value\":\"13:45\",\"format\":\"t24\"}},"
                        "{\"play\":{\"url\":\"" + after + "\"}},{\"hangup\":{}}]");
    const std::uint16_t port = freeMediaPort();
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    SippPeer c = listeningCaller(fx, "sayer", port);
    requireAnswered(c, fx);
    expectByeFromAs(c, fx, 30s);
    const std::vector<double> freqs = {kWordFour, kWordTwo, kOtherWord, kWordFive, kAfter};
    (void)settledSecondsAbove(*cap, port, 0, t0, -40);
    auto four = cap->firstHeard(port, kWordFour, t0);
    auto two = cap->firstHeard(port, kWordTwo, t0);
    auto five = cap->firstHeard(port, kWordFive, t0);
    auto next = cap->firstHeard(port, kAfter, t0);
    INFO(cap->describe(port, t0, 1e300, freqs) << "\n" << fx.logs(4000));
    REQUIRE(four);
    REQUIRE(two);
    REQUIRE(five);
    REQUIRE(next);
    CHECK(*four < *two);
    CHECK(*two < *five);
    CHECK(*five < *next);
    // The hour and the tens of the minutes ("thirteen forty") come between "two" and "five".
    CHECK(*five - *two >= kWordSeconds + 2 * kOtherWordSeconds - 0.3);
    CHECK(fx.asLog().find("media dialog failed") == std::string::npos);
    checkCleanExit(fx);
}

TEST_CASE("as apps: record posts the recording to actionUrl and parley-ms serves it with the caller's tone",
          "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    FocusSystem fx(document({route("r-rec", "recorder", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    app.answer("/call", "[{\"answer\":{}},{\"record\":{\"maxLength\":3,\"beep\":true,\"actionUrl\":\"" +
                            app.url("/recorded") + "\"}}]");
    app.answer("/recorded", "[{\"hangup\":{}}]");
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    constexpr double kVoice = 500;
    SippPeer c = listeningCaller(fx, "recorder", port, streamTone(toneFile(fx.dir(), kVoice)));
    requireAnswered(c, fx);
    auto posted = app.waitBody("/recorded", "\"event\":\"record\"", 20s);
    {
        INFO(app.all("/call") << "\n" << app.all("/recorded") << "\n" << fx.logs(4000));
        REQUIRE(posted);
    }
    auto rc = c.wait(20s);
    {
        INFO(c.describe() << "\n" << fx.logs(3000));
        CHECK(c.received("BYE ", "BYE"));
        CHECK(rc == std::optional<int>(0));
    }
    const std::string loc = jsonField(*posted, "recordingUrl");
    std::optional<std::string> dm = parley::test::reCapture(*posted, "\"durationMs\":([0-9]+)");
    REQUIRE(dm);
    const long durationMs = std::stol(*dm);
    INFO("posted " << *posted);
    CHECK(durationMs >= 2000);
    CHECK(durationMs <= 3600);
    const auto at = loc.find("/recordings/");
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
    // At most the 3 s asked for (a little slack for framing), at least most of it.
    REQUIRE(wav->samples.size() >= 16000);
    CHECK(wav->samples.size() <= 8000 * 36 / 10);
    const std::size_t mid = wav->samples.size() / 2;
    auto window = std::span<const std::int16_t>(wav->samples).subspan(mid - 4000, 8000);
    CHECK(toneDbfs(window, kVoice) > -35);
    checkCleanExit(fx);
}

TEST_CASE("as apps: redirect fetches the next instructions from its url and runs them", "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    FocusSystem fx(document({route("r-redir", "redirector", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    constexpr double kFirst = 700, kSecond = 1100;
    const std::string first = app.toneWav(fx.dir(), "/first.wav", kFirst, 1.5);
    const std::string second = app.toneWav(fx.dir(), "/second.wav", kSecond, 1.5);
    app.answer("/call", "[{\"answer\":{}},{\"play\":{\"url\":\"" + first + "\"}},{\"redirect\":{\"url\":\"" +
                            app.url("/second") + "\"}},{\"play\":{\"url\":\"" + first + "\"}}]");
    app.answer("/second", "[{\"play\":{\"url\":\"" + second + "\"}},{\"hangup\":{}}]");
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    SippPeer c = listeningCaller(fx, "redirector", port);
    requireAnswered(c, fx);
    {
        auto redirected = app.waitBody("/second", "\"event\":\"call.redirect\"", 15s);
        auto incoming = app.waitBody("/call", "call.incoming", 1s);
        INFO(app.all("/call") << "\n" << app.all("/second") << "\n" << fx.logs(4000));
        REQUIRE(redirected);
        REQUIRE(incoming);
        CHECK(jsonField(*redirected, "id") == jsonField(*incoming, "id"));
        CHECK(jsonField(*redirected, "callId") == jsonField(*incoming, "callId"));
    }
    expectByeFromAs(c, fx, 30s);
    (void)settledSecondsAbove(*cap, port, 0, t0, -40);
    auto a = cap->firstHeard(port, kFirst, t0);
    auto b = cap->firstHeard(port, kSecond, t0);
    INFO(cap->describe(port, t0, 1e300, {kFirst, kSecond}) << "\n" << fx.logs(3000));
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a < *b);
    // The verb after the redirect in the first list never ran: the first tone played once.
    CHECK(secondsAbove(*cap, port, kFirst, t0, kHeard) < 2.2);
    CHECK(app.hits("/second") == 1);
    checkCleanExit(fx);
}

TEST_CASE("as apps: /v1/calls lists and shows a waiting call, redirects it and hangs it up",
          "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    FocusSystem fx(document({route("r-wait", "waiter", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    constexpr double kHold = 700, kMoved = 1100;
    const std::string hold = app.toneWav(fx.dir(), "/hold.wav", kHold, 1.5);
    const std::string moved = app.toneWav(fx.dir(), "/moved.wav", kMoved, 1.5);
    // loop 0: plays until something stops it.
    app.answer("/call", "[{\"answer\":{}},{\"play\":{\"url\":\"" + hold + "\",\"loop\":0}}]");
    app.answer("/moved", "[{\"play\":{\"url\":\"" + moved + "\",\"loop\":0}}]");
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    SippPeer c = listeningCaller(fx, "waiter", port);
    requireAnswered(c, fx);
    {
        bool heard = cap->waitHeard(port, kHold, t0, 10s);
        INFO(cap->describe(port, t0, 1e300, {kHold, kMoved}) << "\n" << fx.logs(4000));
        REQUIRE(heard);
    }
    auto incoming = app.waitBody("/call", "call.incoming", 1s);
    REQUIRE(incoming);
    const std::string id = jsonField(*incoming, "id");
    REQUIRE_FALSE(id.empty());

    const std::uint16_t api = fx.asHttpPort();
    {
        auto [status, body] = http("GET", api, "/v1/calls");
        INFO(status << " " << body);
        REQUIRE(status == 200);
        CHECK(body.find("\"id\":\"" + id + "\"") != std::string::npos);
        CHECK(body.find("\"route\":\"r-wait\"") != std::string::npos);
    }
    {
        auto [status, body] = http("GET", api, "/v1/calls/" + id);
        INFO(status << " " << body);
        REQUIRE(status == 200);
        CHECK(jsonField(body, "id") == id);
        CHECK(jsonField(body, "callId") == jsonField(*incoming, "callId"));
        CHECK(jsonField(body, "state") == "answered");
        CHECK(jsonField(body, "route") == "r-wait");
        CHECK(body.find("\"answeredAt\":null") == std::string::npos);
    }
    CHECK(http("GET", api, "/v1/calls/c999").first == 404);
    CHECK(http("POST", api, "/v1/calls/" + id + "/redirect", "{\"url\":\"ftp://x\"}").first == 400);

    const double tRedirect = nowSeconds();
    {
        auto [status, body] = http("POST", api, "/v1/calls/" + id + "/redirect",
                                   "{\"url\":\"" + app.url("/moved") + "\"}");
        INFO(status << " " << body);
        REQUIRE(status == 202);
    }
    {
        auto posted = app.waitBody("/moved", "\"event\":\"call.redirect\"", 10s);
        INFO(app.all("/moved") << "\n" << fx.logs(3000));
        REQUIRE(posted);
        CHECK(jsonField(*posted, "id") == id);
    }
    {
        bool heard = cap->waitHeard(port, kMoved, tRedirect, 10s);
        bool holdGone = cap->waitGone(port, kHold, tRedirect + 1.5, 8s);
        INFO(cap->describe(port, tRedirect, 1e300, {kHold, kMoved}) << "\n" << fx.logs(4000));
        CHECK(heard);
        CHECK(holdGone);
    }
    CHECK_FALSE(c.received("BYE ", "BYE"));
    {
        auto [status, body] = http("DELETE", api, "/v1/calls/" + id);
        INFO(status << " " << body);
        CHECK(status == 204);
    }
    auto rc = c.wait(15s);
    {
        INFO(c.describe() << "\n" << fx.logs(3000));
        CHECK(c.received("BYE ", "BYE"));
        CHECK(rc == std::optional<int>(0));
    }
    CHECK(http("GET", api, "/v1/calls/" + id).first == 404);
    CHECK(http("DELETE", api, "/v1/calls/" + id).first == 404);
    checkCleanExit(fx);
}

TEST_CASE("as apps: the clock app says the time and the date, then hangs up", "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(document({route("r-clock", "clock", "app", "clock")}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    std::string why;
    if (!writePhraseTones(fx.mediaRoot(), why)) PARLEY_SKIP(why);
    const std::uint16_t port = freeMediaPort();
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    SippPeer c = listeningCaller(fx, "clock", port);
    requireAnswered(c, fx);
    expectByeFromAs(c, fx, 30s);
    // A time ("fourteen oh five") and a date ("november twenty first twenty twenty six"):
    // several words, every one of them a tone here, so seconds of sound.
    const double sound = settledSecondsAbove(*cap, port, 0, t0, -40);
    INFO(cap->describe(port, t0, 1e300, {kOtherWord, kWordTwo, kWordFour, kWordFive})
         << "\nsound for " << sound << " s\n" << fx.logs(4000));
    CHECK(sound > 1.0);
    CHECK(fx.asLog().find("media dialog failed") == std::string::npos);
    checkCleanExit(fx);
}

TEST_CASE("as apps: a play whose media cannot be fetched plays the fallback prompt, then BYE",
          "[apps][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    WebhookApp app;
    FocusSystem fx(document({route("r-bad", "badmedia", "webhook", app.url("/call"))}));
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as takes no --rooms");
    // Nothing is served at /missing.wav: the app server answers 404.
    app.answer("/call", "[{\"answer\":{}},{\"play\":{\"url\":\"" + app.url("/missing.wav") +
                            "\"}},{\"hangup\":{}}]");
    const std::uint16_t port = freeMediaPort();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {port}, why);
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    SippPeer c = listeningCaller(fx, "badmedia", port);
    requireAnswered(c, fx);
    expectByeFromAs(c, fx, 30s);
    INFO(cap->describe(port, t0, 1e300, {kPromptGoodbye}) << "\n" << fx.logs(3000));
    CHECK(cap->waitHeard(port, kPromptGoodbye, t0, 5s));
    CHECK(fx.asLog().find("falling back") != std::string::npos);
    checkCleanExit(fx);
}

}  // namespace parley::test::focus

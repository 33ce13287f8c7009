// Room features heard end to end (prompts are tones of their own, see focus_fixture.hpp):
// endWhenModeratorLeaves (the focus BYEs the others when the last moderator hangs up),
// muteOnJoin (participants join muted, moderators do not; REST unmutes), roll call
// (announceJoinLeave with recordNames: the recorded name and the joined/left prompts are
// played into the room) and an UPDATE with a new offer carried to the MS (a=sendonly stops
// what the caller receives, a=sendrecv brings it back).

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/g711.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::focus {
namespace {

// One HTTP/1.1 request to the AS's REST API on loopback (the API is open on a loopback
// listener without tokens); {0, why} when it could not be done within 5 s.
std::pair<int, std::string> httpCall(std::uint16_t port, const std::string& method, const std::string& path,
                                     const std::string& body = {}) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {0, "socket failed"};
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return {0, "connect failed"};
    }
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!body.empty())
        req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return {0, "send failed"};
    }
    std::string resp;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        resp.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (resp.rfind("HTTP/1.", 0) != 0 || resp.size() < 12) return {0, resp};
    const int status = std::stoi(resp.substr(9, 3));
    auto at = resp.find("\r\n\r\n");
    return {status, at == std::string::npos ? std::string() : resp.substr(at + 4)};
}

// The REST object of the participant whose URI is sip:<user>@..., from the room's list;
// "" when absent.
std::string participantObject(const std::string& listJson, const std::string& user) {
    for (const auto& m : parley::test::reSearchAll(listJson, "\\{[^{}]*\\}")) {
        const std::string& o = m[0];
        if (o.find("\"uri\":\"sip:" + user + "@") != std::string::npos) return o;
    }
    return {};
}

std::string jsonString(const std::string& object, const std::string& key) {
    return parley::test::reCapture(object, "\"" + key + "\" *: *\"([^\"]*)\"").value_or("");
}

std::optional<bool> jsonBool(const std::string& object, const std::string& key) {
    std::optional<std::string> value = parley::test::reCapture(object, "\"" + key + "\" *: *(true|false)");
    if (!value) return std::nullopt;
    return *value == "true";
}

// Capture time of the first SIP datagram from `src` to `dst` starting with `startLine`.
std::optional<double> sipTime(const RtpCapture& cap, std::uint16_t src, std::uint16_t dst,
                              const std::string& startLine) {
    for (const auto& d : cap.datagrams()) {
        if (d.srcPort != src || d.dstPort != dst) continue;
        std::string text(d.payload.begin(), d.payload.end());
        if (text.rfind(startLine, 0) == 0) return d.time;
    }
    return std::nullopt;
}

// Polls sipTime() for a while (dumpcap writes its file with some delay).
std::optional<double> waitSipTime(const RtpCapture& cap, std::uint16_t src, std::uint16_t dst,
                                  const std::string& startLine, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto t = sipTime(cap, src, dst, startLine)) return t;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(250ms);  // dumpcap writes the file in its own time
    }
}

// Sleeps until the system clock passes `t` (capture time), at most `limit`.
void sleepUntil(double t, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (nowSeconds() < t && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);  // waiting for audio to accumulate in the capture
}

// A tone played once (not looped) by sipp's rtp_stream.
std::string streamToneOnce(const std::filesystem::path& dir, double freq, double seconds) {
    auto p = dir / ("once-" + std::to_string(static_cast<int>(freq)) + ".ulaw");
    if (!writeSippRtpStreamFile(p, G711Law::kMuLaw, makeTone(freq, -20, seconds)))
        throw std::runtime_error("cannot write " + p.string());
    return "  <nop><action><exec rtp_stream=\"" + sippRtpStreamAction(p, G711Law::kMuLaw, 1) +
           "\"/></action></nop>\n";
}

// The body of the 200 the caller received for the request with CSeq `cseq` ("2 UPDATE").
std::string okBody(const SippPeer& peer, const std::string& cseq) {
    const std::string text = peer.messagesText();
    const std::string marker = "message received";
    for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
        auto start = text.find_first_not_of("\r\n", text.find('\n', at));
        if (start == std::string::npos) break;
        auto end = text.find("\n-----", start);
        const std::string msg = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (msg.rfind("SIP/2.0 200", 0) != 0 || parley::test::reSearch(msg, "\nCSeq: *" + cseq).empty())
            continue;
        auto body = msg.find("\r\n\r\n");
        if (body == std::string::npos) body = msg.find("\n\n");
        return body == std::string::npos ? std::string() : msg.substr(body);
    }
    return {};
}

std::pair<std::uint16_t, std::uint16_t> twoMediaPorts() {
    const std::uint16_t a = freeMediaPort();
    std::uint16_t b = freeMediaPort();
    while (b == a || (b > a ? b - a : a - b) < 4) b = freeMediaPort();
    return {a, b};
}

}  // namespace

TEST_CASE("as focus: endWhenModeratorLeaves BYEs the others when the moderator hangs up",
          "[focus][e2e][sipp][features]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson(
        {room("m1", "\"pin\":\"1234\",\"moderatorPin\":\"5678\",\"endWhenModeratorLeaves\":true")}));
    const auto [partPort, modPort] = twoMediaPorts();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {partPort, modPort}, why, {fx.asSipPort()});
    if (!cap) PARLEY_SKIP(why);

    // The participant enters the participant PIN, then waits for the focus's BYE.
    DtmfTrain partTrain;
    UacOptions p;
    p.room = "m1";
    p.fromUser = "participant";
    p.afterAck = pauseMs(2500) + playPcap(dtmfPcap(fx.dir(), "participant", "1234#", partTrain));
    p.expectByeFromAs = true;
    p.timeoutSeconds = 45;
    // The moderator enters the moderator PIN, speaks for a while, then hangs up.
    DtmfTrain modTrain;
    UacOptions m;
    m.room = "m1";
    m.fromUser = "moderator";
    m.afterAck = pauseMs(2500) + playPcap(dtmfPcap(fx.dir(), "moderator", "5678#", modTrain)) +
                 pauseMs(1000) + streamTone(toneFile(fx.dir(), 900)) + pauseMs(9000);
    m.timeoutSeconds = 45;
    const double t0 = nowSeconds();
    SippPeer participant = startUac(fx, "participant", p, partPort);
    SippPeer moderator = startUac(fx, "moderator", m, modPort);
    for (auto* c : {&participant, &moderator}) {
        bool answered = c->waitAnswered(20s);
        INFO(c->describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    // Both are in the room: the participant hears the moderator.
    {
        bool heard = cap->waitHeard(partPort, 900, t0, 20s);
        INFO(cap->describe(partPort, t0) << "\n" << fx.logs(4000));
        REQUIRE(heard);
    }
    CHECK(fx.asLog().find("moderator PIN accepted") != std::string::npos);
    CHECK_FALSE(participant.received("BYE ", "BYE"));

    // The moderator hangs up at the end of its scenario; the focus ends the room.
    auto modRc = moderator.wait(30s);
    {
        INFO(moderator.describe() << "\n" << fx.logs(3000));
        CHECK(modRc == std::optional<int>(0));
    }
    {
        bool bye = participant.waitReceived("BYE ", "BYE", 5s);
        INFO(participant.describe() << "\n" << fx.logs(4000));
        REQUIRE(bye);
    }
    auto modBye = waitSipTime(*cap, moderator.sipPort, fx.asSipPort(), "BYE ", 5s);
    auto partBye = waitSipTime(*cap, fx.asSipPort(), participant.sipPort, "BYE ", 5s);
    REQUIRE(modBye);
    REQUIRE(partBye);
    INFO("moderator's BYE at " << *modBye << ", the focus's BYE to the participant at " << *partBye);
    CHECK(*partBye >= *modBye);
    CHECK(*partBye - *modBye < 3.0);

    auto partRc = participant.wait(15s);
    {
        INFO(participant.describe());
        CHECK(partRc == std::optional<int>(0));
    }
    {
        INFO(fx.logs(3000));
        CHECK(fx.waitMsLegs(0, 10s));
        CHECK(fx.msLegs() == std::optional<long>(0));
        CHECK(fx.asLog().find("the last moderator left") != std::string::npos);
    }
    INFO(fx.logs());
    CHECK(fx.stopAs() == 0);  // clean exit, no sanitizer report
}

TEST_CASE("as focus: muteOnJoin mutes participants but not moderators, REST unmutes",
          "[focus][e2e][sipp][features]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(
        roomsJson({room("q1", "\"pin\":\"1234\",\"moderatorPin\":\"5678\",\"muteOnJoin\":true")}));
    const auto [portA, portB] = twoMediaPorts();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {portA, portB}, why);
    if (!cap) PARLEY_SKIP(why);

    // Policy (as/focus/focus.cpp joined()): muted = muteOnJoin && !moderator. A enters the
    // participant PIN (joins muted), B the moderator PIN (joins heard).
    DtmfTrain trainA;
    UacOptions a;
    a.room = "q1";
    a.fromUser = "alice";
    a.afterAck = pauseMs(2500) + playPcap(dtmfPcap(fx.dir(), "alice", "1234#", trainA)) + pauseMs(500) +
                 streamTone(toneFile(fx.dir(), 500)) + pauseMs(20000);
    a.timeoutSeconds = 50;
    DtmfTrain trainB;
    UacOptions b;
    b.room = "q1";
    b.fromUser = "bob";
    b.afterAck = pauseMs(2500) + playPcap(dtmfPcap(fx.dir(), "bob", "5678#", trainB)) + pauseMs(500) +
                 streamTone(toneFile(fx.dir(), 900)) + pauseMs(20000);
    b.timeoutSeconds = 50;
    const double t0 = nowSeconds();
    SippPeer alice = startUac(fx, "alice", a, portA);
    SippPeer bob = startUac(fx, "bob", b, portB);
    for (auto* c : {&alice, &bob}) {
        bool answered = c->waitAnswered(20s);
        INFO(c->describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    // The moderator is not muted: A hears B.
    {
        bool heard = cap->waitHeard(portA, 900, t0, 20s);
        INFO(cap->describe(portA, t0) << "\n" << fx.logs(4000));
        REQUIRE(heard);
    }
    // A hears the room only once joined, so both are joined now: the REST view agrees.
    const std::string listPath = "/v1/conferences/q1/participants";
    std::string aliceId;
    {
        auto [status, body] = httpCall(fx.asHttpPort(), "GET", listPath);
        INFO(status << " " << body);
        REQUIRE(status == 200);
        const std::string ao = participantObject(body, "alice");
        const std::string bo = participantObject(body, "bob");
        REQUIRE_FALSE(ao.empty());
        REQUIRE_FALSE(bo.empty());
        CHECK(jsonString(ao, "state") == "joined");
        CHECK(jsonString(bo, "state") == "joined");
        CHECK(jsonString(ao, "role") == "participant");
        CHECK(jsonString(bo, "role") == "moderator");
        CHECK(jsonBool(ao, "muted") == std::optional<bool>(true));
        CHECK(jsonBool(bo, "muted") == std::optional<bool>(false));
        aliceId = jsonString(ao, "id");
        REQUIRE_FALSE(aliceId.empty());
    }
    // A streams, but B does not hear A while A is muted.
    const double both = nowSeconds();
    sleepUntil(both + 4.0, 6s);
    {
        auto level = cap->loudest(portB, 500, both, both + 4.0);
        INFO("bob while alice is muted: " << cap->describe(portB, both, both + 4.0) << "\n"
                                          << alice.describe(1500));
        REQUIRE(level);
        CHECK(*level < kNotHeard);
    }
    // Unmute A through REST: B hears A now.
    const double unmuted = nowSeconds();
    {
        auto [status, body] =
            httpCall(fx.asHttpPort(), "PATCH", listPath + "/" + aliceId, "{\"muted\":false}");
        INFO(status << " " << body << "\n" << fx.logs(3000));
        REQUIRE(status == 200);
        CHECK(jsonBool(body, "muted") == std::optional<bool>(false));
    }
    {
        bool heard = cap->waitHeard(portB, 500, unmuted, 10s);
        INFO(cap->describe(portB, unmuted) << "\n" << fx.logs(3000));
        CHECK(heard);
    }
    // ...and A still hears B.
    {
        bool heard = cap->waitHeard(portA, 900, unmuted, 5s);
        INFO(cap->describe(portA, unmuted));
        CHECK(heard);
    }
    for (auto* c : {&alice, &bob}) {
        auto rc = c->wait(40s);
        INFO(c->describe());
        CHECK(rc == std::optional<int>(0));
    }
    CHECK(fx.waitMsLegs(0, 10s));
    INFO(fx.logs());
    CHECK(fx.stopAs() == 0);  // clean exit, no sanitizer report
}

TEST_CASE("as focus: roll call records the name and announces joins and leaves into the room",
          "[focus][e2e][sipp][features]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("n1", "\"announceJoinLeave\":true,\"recordNames\":true")}));
    const auto [portA, portB] = twoMediaPorts();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {portA, portB}, why, {fx.asSipPort()});
    if (!cap) PARLEY_SKIP(why);

    // A says nothing when asked for its name, then listens.
    UacOptions a;
    a.room = "n1";
    a.fromUser = "alice";
    a.afterAck = pauseMs(32000);
    a.timeoutSeconds = 60;
    const double t0 = nowSeconds();
    SippPeer alice = startUac(fx, "alice", a, portA);
    {
        bool answered = alice.waitAnswered(20s);
        INFO(alice.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    // A's own join is announced to the room (A hears it); wait until it has ended.
    {
        bool asked = cap->waitHeard(portA, kPromptRecordName, t0, 10s);
        INFO(cap->describe(portA, t0, 1e300, {kPromptRecordName, kPromptJoined}) << "\n" << fx.logs(3000));
        CHECK(asked);
        bool joined = cap->waitHeard(portA, kPromptJoined, t0, 15s);
        REQUIRE(joined);
        auto first = cap->firstHeard(portA, kPromptJoined, t0);
        REQUIRE(first);
        bool over = cap->waitGone(portA, kPromptJoined, *first + 1.0, 10s);
        REQUIRE(over);
    }

    // B is asked for its name and says it (a 2 s tone, played once), stays silent in the
    // room, then hangs up.
    UacOptions b;
    b.room = "n1";
    b.fromUser = "bob";
    b.afterAck = pauseMs(2000) + streamToneOnce(fx.dir(), 900, 2.0) + pauseMs(11000);
    b.timeoutSeconds = 40;
    const double t1 = nowSeconds();
    SippPeer bob = startUac(fx, "bob", b, portB);
    {
        bool answered = bob.waitAnswered(20s);
        INFO(bob.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    {
        bool asked = cap->waitHeard(portB, kPromptRecordName, t1, 10s);
        INFO(cap->describe(portB, t1, 1e300, {kPromptRecordName}) << "\n" << fx.logs(3000));
        CHECK(asked);
    }
    // A hears B's recorded name, then the joined prompt.
    {
        bool name = cap->waitHeard(portA, 900, t1, 20s);
        bool joined = cap->waitHeard(portA, kPromptJoined, t1, 10s);
        INFO(cap->describe(portA, t1, 1e300, {900, kPromptJoined, kPromptLeft}) << "\n" << fx.logs(4000));
        REQUIRE(name);
        REQUIRE(joined);
        auto nameAt = cap->firstHeard(portA, 900, t1);
        auto joinedAt = cap->firstHeard(portA, kPromptJoined, t1);
        REQUIRE(nameAt);
        REQUIRE(joinedAt);
        CHECK(*nameAt < *joinedAt);
        // What A heard is the recording played into the room, not B's live tone: B stopped
        // sending 2 s of tone ~4 s after its answer, before its name recording ended.
        auto bobOk = sipTime(*cap, fx.asSipPort(), bob.sipPort, "SIP/2.0 200");
        REQUIRE(bobOk);
        INFO("B answered at " << *bobOk << ", A heard B's name from " << *nameAt);
        CHECK(*nameAt > *bobOk + 3.5);
    }
    CHECK(fx.asLog().find("announcement refused") == std::string::npos);
    // B leaves: A hears the left prompt.
    const double beforeLeave = nowSeconds();
    auto rcB = bob.wait(25s);
    {
        INFO(bob.describe());
        CHECK(rcB == std::optional<int>(0));
    }
    {
        CHECK_FALSE(cap->firstHeard(portA, kPromptLeft, t0, beforeLeave));
        bool left = cap->waitHeard(portA, kPromptLeft, beforeLeave, 12s);
        INFO(cap->describe(portA, beforeLeave, 1e300, {900, kPromptJoined, kPromptLeft}) << "\n" << fx.logs(3000));
        CHECK(left);
    }
    auto rcA = alice.wait(30s);
    INFO(alice.describe());
    CHECK(rcA == std::optional<int>(0));
    CHECK(fx.waitMsLegs(0, 10s));
    INFO(fx.logs());
    CHECK(fx.stopAs() == 0);  // clean exit, no sanitizer report
}

TEST_CASE("as focus: UPDATE with a new offer is relayed, a=sendonly stops what the caller hears",
          "[focus][e2e][sipp][features]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    FocusSystem fx(roomsJson({room("u1")}));
    const auto [updaterPort, otherPort] = twoMediaPorts();
    std::string why;
    auto cap = RtpCapture::start(fx.dir(), {updaterPort, otherPort}, why, {fx.asSipPort()});
    if (!cap) PARLEY_SKIP(why);

    const double t0 = nowSeconds();
    UacOptions o;
    o.room = "u1";
    o.fromUser = "other";
    o.afterAck = streamTone(toneFile(fx.dir(), 700)) + pauseMs(24000);
    o.timeoutSeconds = 50;
    SippPeer other = startUac(fx, "other", o, otherPort);
    {
        bool answered = other.waitAnswered(20s);
        INFO(other.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    UacOptions u;
    u.room = "u1";
    u.fromUser = "updater";
    u.afterAck = streamTone(toneFile(fx.dir(), 500)) + pauseMs(5000) + update("sendonly", 2) + pauseMs(6000) +
                 update("sendrecv", 3) + pauseMs(6000);
    u.timeoutSeconds = 50;
    SippPeer updater = startUac(fx, "updater", u, updaterPort);
    {
        bool answered = updater.waitAnswered(20s);
        INFO(updater.describe() << "\n" << fx.logs());
        REQUIRE(answered);
    }
    // Before the UPDATE, both hear each other.
    {
        bool heard = cap->waitHeard(updaterPort, 700, t0, 15s);
        INFO(cap->describe(updaterPort, t0) << "\n" << fx.logs(3000));
        REQUIRE(heard);
        CHECK(cap->waitHeard(otherPort, 500, t0, 10s));
    }
    // Both UPDATEs get 200 with an SDP answer.
    for (int cseq = 2; cseq <= 3; ++cseq) {
        bool ok = updater.waitReceived("SIP/2.0 200", std::to_string(cseq) + " UPDATE", 20s);
        INFO("UPDATE CSeq " << cseq << "\n" << updater.describe() << "\n" << fx.logs(3000));
        REQUIRE(ok);
    }
    {
        const std::string sendonlyAnswer = okBody(updater, "2 UPDATE");
        const std::string resumeAnswer = okBody(updater, "3 UPDATE");
        INFO("answer to sendonly:\n" << sendonlyAnswer << "\nanswer to sendrecv:\n" << resumeAnswer);
        CHECK(sendonlyAnswer.find("m=audio") != std::string::npos);
        CHECK(sendonlyAnswer.find("a=recvonly") != std::string::npos);
        CHECK(resumeAnswer.find("m=audio") != std::string::npos);
        CHECK(resumeAnswer.find("a=recvonly") == std::string::npos);
        CHECK(resumeAnswer.find("a=inactive") == std::string::npos);
    }
    std::optional<double> sendonlyOk, resumeOk;
    {
        // The 200s to the UPDATEs, by CSeq, in the capture.
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while ((!sendonlyOk || !resumeOk) && std::chrono::steady_clock::now() < deadline) {
            for (const auto& d : cap->datagrams()) {
                if (d.srcPort != fx.asSipPort() || d.dstPort != updater.sipPort) continue;
                std::string text(d.payload.begin(), d.payload.end());
                if (text.rfind("SIP/2.0 200", 0) != 0) continue;
                if (!sendonlyOk && text.find("CSeq: 2 UPDATE") != std::string::npos) sendonlyOk = d.time;
                if (!resumeOk && text.find("CSeq: 3 UPDATE") != std::string::npos) resumeOk = d.time;
            }
            if (!sendonlyOk || !resumeOk) std::this_thread::sleep_for(250ms);  // dumpcap's delay
        }
    }
    REQUIRE(sendonlyOk);
    REQUIRE(resumeOk);
    // sendonly: the updater still sends (the other hears it) and no longer hears the room.
    {
        auto back = cap->loudest(updaterPort, 700, *sendonlyOk + 1.0, *resumeOk);
        INFO("updater while sendonly: " << cap->describe(updaterPort, *sendonlyOk + 1.0, *resumeOk));
        CHECK((!back || *back < kNotHeard));
        auto level = cap->loudest(otherPort, 500, *sendonlyOk + 1.0, *resumeOk);
        INFO("other while updater is sendonly: " << cap->describe(otherPort, *sendonlyOk + 1.0, *resumeOk));
        REQUIRE(level);
        CHECK(*level >= kHeard);
    }
    // sendrecv again: the updater hears the room again.
    {
        bool heard = cap->waitHeard(updaterPort, 700, *resumeOk, 8s);
        INFO("updater after sendrecv: " << cap->describe(updaterPort, *resumeOk) << "\n" << fx.logs(3000));
        CHECK(heard);
    }
    for (auto* c : {&updater, &other}) {
        auto rc = c->wait(30s);
        INFO(c->describe());
        CHECK(rc == std::optional<int>(0));
    }
    CHECK(fx.waitMsLegs(0, 10s));
    INFO(fx.logs());
    CHECK(fx.stopAs() == 0);  // clean exit, no sanitizer report
}

}  // namespace parley::test::focus

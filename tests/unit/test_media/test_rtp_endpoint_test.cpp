// TestRtpEndpoint on loopback: two endpoints send each other different tones and each
// listens to what arrives (real sockets, real-time pacing, 127.0.0.1, port 0).
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "common/net.hpp"
#include "tests/support/media/test_rtp_endpoint.hpp"

using namespace parley;
using namespace parley::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<TestRtpEndpoint> makeEndpoint(TestRtpEndpoint::Options o = {}) {
    auto ep = TestRtpEndpoint::create(std::move(o));
    if (!ep) FAIL("create: " << ep.error().message);
    return std::move(ep.value());
}

// a offers, b answers; both start sending to each other.
void connect(TestRtpEndpoint& a, TestRtpEndpoint& b) {
    auto answer = b.answerOffer(a.sdpOffer("sendrecv", a.name()), "sendrecv", b.name());
    REQUIRE(answer);
    REQUIRE(a.applyRemoteSdp(answer.value()));
}

void sendRaw(std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
    auto addr = common::SocketAddress::fromHostPort("127.0.0.1", 0);
    auto fd = common::udpBind(addr.value());
    REQUIRE(fd);
    auto to = common::SocketAddress::fromHostPort("127.0.0.1", port);
    REQUIRE(::sendto(fd->get(), bytes.data(), bytes.size(), 0, to->sa(), to->len()) ==
            static_cast<ssize_t>(bytes.size()));
}

}  // namespace

TEST_CASE("test_media: rtp endpoint: binds an even port pair and reports it", "[endpoint]") {
    auto ep = makeEndpoint();
    CHECK(ep->rtpPort() % 2 == 0);
    CHECK(ep->rtpPort() != 0);
    CHECK(ep->rtcpPort() == ep->rtpPort() + 1);
    auto sdp = ep->sdpOffer("sendrecv", "me");
    CHECK(sdp.find("m=audio " + std::to_string(ep->rtpPort()) + " RTP/AVP 0 8 101") !=
          std::string::npos);
    CHECK(sdp.find("a=label:me") != std::string::npos);

    TestRtpEndpoint::Options same;
    same.port = ep->rtpPort();
    CHECK_FALSE(TestRtpEndpoint::create(same));  // already in use
    TestRtpEndpoint::Options odd;
    odd.port = 40001;
    CHECK_FALSE(TestRtpEndpoint::create(odd));
    TestRtpEndpoint::Options badHost;
    badHost.host = "not an address";
    CHECK_FALSE(TestRtpEndpoint::create(badHost));
}

TEST_CASE("test_media: rtp endpoint: two endpoints hear each other's tone and not their own", "[endpoint]") {
    for (auto law : {G711Law::kMuLaw, G711Law::kALaw}) {
        TestRtpEndpoint::Options oa, ob;
        oa.name = "a";
        oa.codec = law;
        ob.name = "b";
        auto a = makeEndpoint(oa);
        auto b = makeEndpoint(ob);
        connect(*a, *b);
        CHECK(b->codec() == law);  // the answer took the offer's first codec
        a->sendTone(400, -20);
        b->sendTone(1000, -26);
        REQUIRE(b->waitForTone(400, -30, 1000ms, 5s));
        REQUIRE(a->waitForTone(1000, -36, 1000ms, 5s));

        auto atA = a->heard(1000ms);
        auto atB = b->heard(1000ms);
        INFO("a: " << atA.describe() << "\nb: " << atB.describe() << "\n"
                   << a->describe() << "\n"
                   << b->describe());
        CHECK(atA.levelDb(1000) == Approx(-26).margin(1.0));
        CHECK(atB.levelDb(400) == Approx(-20).margin(1.0));
        CHECK(atA.levelDb(400) < -60);  // not its own
        CHECK(atB.levelDb(1000) < -60);
        CHECK(atA.dominantTone() == Approx(1000));
        CHECK(atB.dominantTone() == Approx(400));
        CHECK(atA.tonesAbove(-45) == std::vector<double>{1000});

        auto streams = b->streams();
        REQUIRE(streams.size() == 1);
        CHECK(streams[0].ssrc == a->ssrc());
        CHECK(streams[0].source == "127.0.0.1:" + std::to_string(a->rtpPort()));
        CHECK(streams[0].payloadTypes == std::set<std::uint8_t>{payloadTypeOf(law)});
        CHECK(streams[0].lost == 0);
        CHECK(streams[0].sequenceGaps == 0);
        CHECK(streams[0].duplicates == 0);
        CHECK(streams[0].markers == 1);  // the first packet of the talk spurt
        CHECK(streams[0].jitterMs < 20);
        CHECK(a->sent().audioPackets >= 40);
        CHECK(b->received().audioPackets > 0);
        CHECK(b->received().malformed == 0);
    }
}

TEST_CASE("test_media: rtp endpoint: silence is heard when the sender stops or sends silence", "[endpoint]") {
    auto a = makeEndpoint();
    auto b = makeEndpoint();
    connect(*a, *b);
    a->sendTone(800, -20);
    REQUIRE(b->waitForTone(800, -25, 500ms, 5s));
    CHECK_FALSE(b->heardSilence(500ms));

    a->sendSilence();  // packets keep coming, with nothing in them
    REQUIRE(b->waitForSilence(500ms, 5s));
    auto before = b->packetsReceived();
    REQUIRE(b->waitForPackets(before + 10, 2s));
    CHECK(b->heard(400ms).dominantTone() == std::nullopt);

    a->sendTone(800, -20);
    REQUIRE(b->waitForTone(800, -25, 500ms, 5s));
    a->stopSending();  // no packets at all
    REQUIRE(b->waitForSilence(500ms, 5s));
    CHECK(b->receivedAudio(300ms).empty());
    CHECK(b->streams().at(0).markers == 1);  // silence packets do not end the talk spurt

    a->sendTone(800, -20);  // a new talk spurt after a pause: marker bit, same sequence space
    REQUIRE(b->waitForTone(800, -25, 500ms, 5s));
    auto streams = b->streams();
    REQUIRE(streams.size() == 1);
    CHECK(streams[0].markers == 2);
    CHECK(streams[0].lost == 0);
    CHECK(streams[0].sequenceGaps == 0);
}

TEST_CASE("test_media: rtp endpoint: RFC 4733 digits go out and are recognised", "[endpoint][dtmf]") {
    auto a = makeEndpoint();
    auto b = makeEndpoint();
    connect(*a, *b);
    a->sendTone(600, -20);
    REQUIRE(b->waitForPackets(5, 3s));
    a->sendDigits("12#*x", 80ms, 40ms, 12);  // 'x' is skipped
    CHECK(a->digitsPending());
    REQUIRE(b->waitForDigits(4, 5s));
    CHECK(b->receivedDigits() == "12#*");
    REQUIRE(a->waitUntil([&] { return !a->digitsPending(); }, 2s));
    REQUIRE(b->waitUntil([&] { return b->received().eventPackets >= 24; }, 2s));

    auto events = b->events();
    // 80 ms = 4 packets with growing duration, the last one ending, then two more ends.
    REQUIRE(events.size() == 4 * 6);
    CHECK(events[0].marker);
    CHECK(events[0].event.event == 1);
    CHECK(events[0].event.duration == 160);
    CHECK_FALSE(events[0].event.end);
    CHECK(events[0].event.volume == 12);
    for (int i = 3; i < 6; ++i) {
        CHECK(events[i].event.end);
        CHECK(events[i].event.duration == 640);
        CHECK(events[i].timestamp == events[0].timestamp);
    }
    CHECK(events[6].event.event == 2);
    CHECK(events[6].timestamp - events[0].timestamp ==
          6 * 160 + 320);  // 6 ticks of event, 40 ms gap
    auto streams = b->streams();
    REQUIRE(streams.size() == 1);
    CHECK(streams[0].payloadTypes == std::set<std::uint8_t>{0, 101});
    CHECK(streams[0].lost == 0);
    CHECK(b->received().eventPackets == 24);
    CHECK(a->sent().eventPackets == 24);
    // The tone resumes after the digits.
    REQUIRE(b->waitForTone(600, -25, 500ms, 3s));
}

TEST_CASE("test_media: rtp endpoint: the target can change at any time", "[endpoint]") {
    auto a = makeEndpoint();
    auto b = makeEndpoint();
    auto c = makeEndpoint();
    a->sendTone(1200, -20);
    REQUIRE(a->setTarget("127.0.0.1", b->rtpPort()));
    REQUIRE(b->waitForTone(1200, -25, 500ms, 5s));
    a->setTarget(*common::SocketAddress::fromHostPort("127.0.0.1", c->rtpPort()));
    REQUIRE(c->waitForTone(1200, -25, 500ms, 5s));
    REQUIRE(b->waitForSilence(500ms, 3s));
    a->clearTarget();
    CHECK_FALSE(a->target());
    REQUIRE(c->waitForSilence(500ms, 3s));
    CHECK(c->streams().at(0).lost == 0);  // one sequence space, nothing skipped for c
}

TEST_CASE("test_media: rtp endpoint: arrival statistics reflect 20 ms pacing", "[endpoint]") {
    auto a = makeEndpoint();
    auto b = makeEndpoint();
    connect(*a, *b);
    a->sendTone(400, -20);
    REQUIRE(b->waitForPackets(60, 5s));
    auto stats = b->arrivalStats(1000ms);
    INFO("packets " << stats.packets << " mean " << stats.meanIntervalMs << " p50 "
                    << stats.p50IntervalMs << " p99 " << stats.p99IntervalMs << " max "
                    << stats.maxIntervalMs);
    CHECK(stats.packets >= 40);
    CHECK(stats.packets <= 60);
    CHECK(stats.meanIntervalMs == Approx(20).margin(3));
    CHECK(stats.p50IntervalMs == Approx(20).margin(5));
    CHECK(stats.p99IntervalMs < 200);
    CHECK(b->arrivalStats(0ms).packets <= 1);
}

TEST_CASE("test_media: rtp endpoint: bad datagrams are counted and change nothing else", "[endpoint]") {
    auto a = makeEndpoint();
    auto b = makeEndpoint();
    connect(*a, *b);
    a->sendTone(1000, -20);
    REQUIRE(b->waitForPackets(5, 3s));
    sendRaw(b->rtpPort(), {1, 2, 3});
    sendRaw(b->rtpPort(), std::vector<std::uint8_t>(40, 0x40));  // version 1
    sendRaw(b->rtpPort(), {0x80, 200, 0, 1, 0, 0, 0, 1});        // RTCP on the RTP port
    sendRaw(b->rtcpPort(), {0x80, 201, 0, 1, 0, 0, 0, 1});       // RTCP on its port
    sendRaw(b->rtpPort(),
            packRtp(RtpHeader{false, 18, 1, 1, 77}, std::vector<std::uint8_t>(20, 0)));  // G.729
    REQUIRE(b->waitUntil(
        [&] {
            return b->received().malformed == 2 && b->received().rtcpPackets == 2 &&
                   b->received().otherPackets == 1;
        },
        3s));
    REQUIRE(b->waitForTone(1000, -25, 500ms, 3s));
    CHECK(b->streams().size() == 2);  // a and the stranger's SSRC 77
    b->clearReceived();
    CHECK(b->received().packets == 0);
    CHECK(b->streams().empty());
    REQUIRE(b->waitForPackets(3, 3s));
}

TEST_CASE("test_media: rtp endpoint: received audio is bounded by historySeconds", "[endpoint]") {
    TestRtpEndpoint::Options small;
    small.historySeconds = 1;
    auto a = makeEndpoint();
    auto b = makeEndpoint(small);
    connect(*a, *b);
    a->sendTone(400, -20);
    REQUIRE(b->waitForPackets(70, 5s));
    CHECK(b->receivedAudio(10s).size() <= 8000);
    CHECK(b->heard(10s).hasTone(400, -25));
}

TEST_CASE("test_media: rtp endpoint: PCM playback, multi-tone sending and concurrent use", "[endpoint]") {
    auto a = makeEndpoint();
    auto b = makeEndpoint();
    connect(*a, *b);
    a->sendTones({{400, -20}, {1200, -26}});
    REQUIRE(b->waitForTone(1200, -30, 600ms, 5s));
    auto both = b->heard(600ms);
    CHECK(both.levelDb(400) == Approx(-20).margin(1));
    CHECK(both.levelDb(1200) == Approx(-26).margin(1));

    std::atomic<bool> stop{false};
    std::thread poker([&] {
        while (!stop) {
            (void)b->heard(200ms);
            (void)b->streams();
            (void)a->describe();
            std::this_thread::yield();
        }
    });
    a->sendPcm(makeTone(800, -18, 0.2), true);  // loops a 200 ms buffer (whole periods)
    REQUIRE(b->waitForTone(800, -22, 600ms, 5s));
    stop = true;
    poker.join();
    // The detection window may still hold the tail of the two-tone signal; once a whole
    // window has passed after the switch only the PCM loop is left.
    std::this_thread::sleep_for(700ms);
    auto after = b->heard(600ms);
    CHECK(after.levelDb(400) < -50);
    CHECK(after.levelDb(800) == Approx(-18).margin(1.5));
}

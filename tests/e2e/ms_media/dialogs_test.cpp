// Media dialogs of parley-ms on the wire: offerless INVITE, re-INVITE (hold, resume, new
// port, codec change), BYE (unjoin-notify, ports freed), odd offers and bad RTP input.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>


#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/media/sdp_text.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::media {
namespace {

namespace pm = proto::mixer;

// A counter of parley-ms's /metrics ("parley_ms_<name> <value>").
double metric(MediaServerUnderTest& ms, const std::string& name) {
    std::optional<std::string> value = parley::test::reCapture(ms.metrics(), "\nparley_ms_" + name + " ([0-9.e+]+)");
    return value ? std::stod(*value) : -1;
}

bool waitMetric(MediaServerUnderTest& ms, const std::string& name, double atLeast,
                std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (metric(ms, name) >= atLeast) return true;
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

AudioSdpOptions optionsFor(const TestRtpEndpoint& ep) {
    AudioSdpOptions o;
    o.port = ep.rtpPort();
    o.sessionId = 77;
    return o;
}

// Sends `count` datagrams of `bytes` from a fresh socket to 127.0.0.1:port.
void sendFrom(std::uint16_t port, const std::vector<std::uint8_t>& bytes, int count) {
    common::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(port);
    for (int i = 0; i < count; ++i) {
        (void)::sendto(fd.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to);
    }
}

std::vector<std::uint8_t> rtpPacket(std::uint16_t seq, std::uint32_t ssrc) {
    std::vector<std::uint8_t> p(12 + 160, 0xff);
    p[0] = 0x80;
    p[1] = 0;  // PCMU
    p[2] = static_cast<std::uint8_t>(seq >> 8);
    p[3] = static_cast<std::uint8_t>(seq);
    for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
    return p;
}

}  // namespace

TEST_CASE("ms media: offerless INVITE: the offer in the 200, the answer in the ACK",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    TestRtpEndpoint::Options o;
    o.name = "offerless";
    auto ep = TestRtpEndpoint::create(o);
    REQUIRE(ep);
    TestRtpEndpoint& endpoint = **ep;
    std::string offerSeen;
    as->sip().setOfferlessAnswerer([&](const std::string& offer) {
        offerSeen = offer;
        auto answer = endpoint.answerOffer(offer, "sendrecv");
        return answer ? *answer : std::string();
    });
    auto a = as->sip().invite(ms.sipPort(), "");
    REQUIRE(a.status == 200);
    as->sip().setOfferlessAnswerer({});
    CHECK(offerSeen.find("m=audio ") != std::string::npos);
    CHECK(offerSeen.find("a=label:") != std::string::npos);
    CHECK(offerSeen.find("telephone-event/8000") != std::string::npos);
    std::string conn = as->sip().connectionId(a.dialog);
    endpoint.sendTone(600, -20);
    as->joinOk(conn, conn);
    INFO(endpoint.describe());
    CHECK(endpoint.waitForTone(600, kHeard, kListen, kToneTimeout));
}

TEST_CASE("ms media: re-INVITE: hold, resume, new port, codec change", "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    as->joinOk(a->connectionId, b->connectionId);
    {
        bool heard = a->hears(600);
        INFO(a->describe() << "\n" << b->describe() << "\n" << ms.metrics() << "\n" << ms.log());
        REQUIRE(heard);
    }

    SECTION("sendonly hold: parley-ms stops sending to the holder, still hears it") {
        AudioSdpOptions o = optionsFor(*a->ep);
        o.direction = "sendonly";
        o.sessionVersion = 2;
        auto r = as->sip().reinvite(a->dialog, buildAudioSdp(o));
        REQUIRE(r.status == 200);
        CHECK(r.body.find("a=recvonly") != std::string::npos);
        CHECK(a->ep->waitUntil([&] { return a->ep->arrivalStats(500ms).packets == 0; },
                               kToneTimeout));
        CHECK(b->hears(400));
        o.direction = "sendrecv";
        o.sessionVersion = 3;
        REQUIRE(as->sip().reinvite(a->dialog, buildAudioSdp(o)).status == 200);
        CHECK(a->hears(600));
    }
    SECTION("c=0.0.0.0 hold and resume") {
        AudioSdpOptions o = optionsFor(*a->ep);
        o.address = "0.0.0.0";
        o.sessionVersion = 2;
        REQUIRE(as->sip().reinvite(a->dialog, buildAudioSdp(o)).status == 200);
        CHECK(a->ep->waitUntil([&] { return a->ep->arrivalStats(500ms).packets == 0; },
                               kToneTimeout));
        o.address = "127.0.0.1";
        o.sessionVersion = 3;
        REQUIRE(as->sip().reinvite(a->dialog, buildAudioSdp(o)).status == 200);
        CHECK(a->hears(600));
    }
    SECTION("a new port: the media moves to another endpoint") {
        TestRtpEndpoint::Options eo;
        eo.name = "a2";
        auto moved = TestRtpEndpoint::create(eo);
        REQUIRE(moved);
        // The phone moved: the old address falls silent (else symmetric RTP may latch on
        // its last packets again).
        a->ep->stopSending();
        AudioSdpOptions o = optionsFor(**moved);
        o.sessionVersion = 2;
        auto r = as->sip().reinvite(a->dialog, buildAudioSdp(o));
        REQUIRE(r.status == 200);
        REQUIRE((*moved)->applyRemoteSdp(r.body));
        (*moved)->sendTone(1000, -20);
        INFO((*moved)->describe() << "\n" << b->describe() << "\n" << ms.metrics());
        CHECK((*moved)->waitForTone(600, kHeard, kListen, kToneTimeout));
        CHECK(b->hears(1000));
    }
    SECTION("codec change to PCMA") {
        AudioSdpOptions o = optionsFor(*a->ep);
        o.payloadTypes = {8};
        o.sessionVersion = 2;
        auto r = as->sip().reinvite(a->dialog, buildAudioSdp(o));
        REQUIRE(r.status == 200);
        CHECK(r.body.find("PCMA/8000") != std::string::npos);
        CHECK(r.body.find("PCMU") == std::string::npos);
        a->ep->setCodec(G711Law::kALaw);
        a->ep->clearReceived();
        CHECK(a->hears(600));
        CHECK(b->hears(400));
        bool pcma = false;
        for (const auto& s : a->ep->streams()) pcma = pcma || s.payloadTypes.count(8);
        CHECK(pcma);
    }
    SECTION("a re-offer without a common codec is refused and changes nothing") {
        AudioSdpOptions o = optionsFor(*a->ep);
        o.payloadTypes = {18};
        o.sessionVersion = 2;
        CHECK(as->sip().reinvite(a->dialog, buildAudioSdp(o)).status == 488);
        a->ep->clearReceived();
        CHECK(a->hears(600));
    }
}

TEST_CASE("ms media: BYE ends the leg: unjoin-notify status 2, ports freed", "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    std::string conf = as->createConference();
    as->joinOk(a->connectionId, conf);
    as->joinOk(b->connectionId, conf);
    REQUIRE(b->hears(400));
    CHECK(metric(ms, "media_legs") == 2);

    REQUIRE(as->hangUp(*a));
    auto n = as->waitEvent(
        [&](const pm::Event& e) { return isUnjoinNotify(e, a->connectionId, conf, 2); });
    CHECK(n);
    CHECK(b->ep->waitForSilence(kListen, kToneTimeout));
    CHECK(metric(ms, "media_legs") == 1);
    CHECK(as->join(a->connectionId, conf) == 412);
    auto r = as->request(mixerBody("<audit capabilities=\"false\"/>"));
    REQUIRE(r.message);
    auto& audit = std::get<pm::AuditResponse>(*r.message);
    REQUIRE(audit.mixers);
    REQUIRE(audit.mixers->conferences.size() == 1);
    CHECK(audit.mixers->conferences[0].participants ==
          std::optional<std::vector<std::string>>(std::vector<std::string>{b->connectionId}));
}

TEST_CASE("ms media: odd offers: 100 m-lines, video only, no common codec, not SDP",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto ep = TestRtpEndpoint::create();
    REQUIRE(ep);
    const std::string head =
        "v=0\r\no=- 5 5 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
    std::string video;
    for (int i = 0; i < 99; ++i)
        video += "m=video " + std::to_string(30000 + 2 * i) +
                 " RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
    const std::string audio = "m=audio " + std::to_string((*ep)->rtpPort()) +
                              " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                              "a=rtpmap:101 telephone-event/8000\r\n";

    auto hundred = as->sip().invite(ms.sipPort(), head + video + audio);
    REQUIRE(hundred.status == 200);
    auto streams = parseAudioStreams(hundred.body);
    REQUIRE(streams);
    std::size_t mlines = 0, active = 0, labels = 0;
    for (std::size_t p = hundred.body.find("\nm="); p != std::string::npos;
         p = hundred.body.find("\nm=", p + 1))
        ++mlines;
    for (std::size_t p = hundred.body.find("a=label:"); p != std::string::npos;
         p = hundred.body.find("a=label:", p + 1))
        ++labels;
    for (const auto& s : *streams) active += s.port != 0 ? 1 : 0;
    CHECK(mlines == 100);
    CHECK(labels == 100);
    CHECK(active == 1);
    CHECK(hundred.body.find("m=video 0 ") != std::string::npos);
    REQUIRE((*ep)->applyRemoteSdp(hundred.body));
    (*ep)->sendTone(800, -20);
    std::string conn = as->sip().connectionId(hundred.dialog);
    as->joinOk(conn, conn);
    {
        bool heard = (*ep)->waitForTone(800, kHeard, kListen, kToneTimeout);
        INFO((*ep)->describe() << "\n" << ms.metrics() << "\n" << ms.log());
        CHECK(heard);
    }

    CHECK(as->sip().invite(ms.sipPort(), head + video).status == 488);
    CHECK(as->sip()
              .invite(ms.sipPort(), head + "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n")
              .status == 488);
    CHECK(as->sip().invite(ms.sipPort(), "this is not SDP").status == 488);
    CHECK(ms.alive());
}

TEST_CASE(
    "ms media: bad RTP input: strangers, malformed RTP and RTCP, a flood are counted and "
    "the call goes on",
    "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    as->joinOk(a->connectionId, a->connectionId);
    REQUIRE(a->hears(400));
    auto remote = parseRemoteAudio(a->answer);
    REQUIRE(remote);
    const std::uint16_t msPort = remote->port;
    // A leg whose phone sends nothing: not latched, so garbage counts as malformed.
    auto idle = as->call("idle", 0);
    auto idleRemote = parseRemoteAudio(idle->answer);
    REQUIRE(idleRemote);

    sendFrom(msPort, rtpPacket(1, 0xdeadbeef), 50);            // a stranger, after latching
    sendFrom(idleRemote->port, {0x01, 0x02, 0x03}, 20);        // not RTP at all
    sendFrom(idleRemote->port, {0x40, 0x00, 0x00, 0x01}, 20);  // version 1, too short
    sendFrom(msPort + 1, {0x80, 0xc8, 0x00, 0x40, 0x01}, 20);  // broken RTCP
    for (int burst = 0; burst < 20; ++burst) {
        sendFrom(msPort, rtpPacket(2, 0xfeedface), 500);
        std::this_thread::sleep_for(5ms);
    }

    CHECK(waitMetric(ms, "rtp_strangers_total", 200));
    CHECK(waitMetric(ms, "rtp_malformed_total", 40));
    CHECK(waitMetric(ms, "rtcp_malformed_total", 1));
    a->ep->clearReceived();
    INFO(a->describe());
    CHECK(a->hears(400));
    CHECK(ms.alive());
    const std::string log = ms.log();
    // Logged once per kind, not once per packet.
    std::size_t strangerLines = 0;
    for (std::size_t p = log.find("stranger"); p != std::string::npos;
         p = log.find("stranger", p + 1))
        ++strangerLines;
    CHECK(strangerLines <= 3);
}

}  // namespace parley::test::media

// Audio offer/answer: codec intersection, m-line order, rejection, direction, SRTP.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "proto/sdp/audio_answer.hpp"
#include "proto/sdp/wire.hpp"
#include "tests/unit/sdp/fixtures.hpp"

namespace sdp = parley::proto::sdp;
using sdp::test::crlf;

namespace {

const std::string kHead = "v=0\no=ua 1 1 IN IP4 198.51.100.7\ns=-\nc=IN IP4 198.51.100.7\nt=0 0\n";

sdp::Session parseOk(const std::string& body) {
    auto r = sdp::parse(body);
    INFO(body);
    if (!r) FAIL("parse failed: " << r.error().message);
    return r.value();
}

sdp::AudioAnswerParams msSide(std::vector<std::uint16_t> ports) {
    sdp::AudioAnswerParams p;
    p.origin.username = "ms";
    p.origin.sessionId = 5;
    p.origin.version = 5;
    p.origin.address = "192.0.2.20";
    p.address = sdp::Connection{sdp::AddrType::IP4, "192.0.2.20", 0, 1};
    p.ports = std::move(ports);
    return p;
}

std::vector<std::uint16_t> portsOf(const sdp::Session& s) {
    std::vector<std::uint16_t> out;
    for (const auto& m : s.media) out.push_back(m.port);
    return out;
}

}  // namespace

TEST_CASE("sdp: audio answer intersects codecs in the offer's order", "[sdp][audio]") {
    auto offer = parseOk(sdp::test::kPhoneOffer);  // 0 8 3 101, fmtp 0-16
    auto answer = sdp::answerAudioOffer(offer, msSide({30000}));
    REQUIRE(answer.media.size() == 1);
    const auto& m = answer.media[0];
    CHECK(m.port == 30000);
    CHECK(m.proto == "RTP/AVP");
    CHECK(m.formats == std::vector<std::string>{"0", "8", "101"});  // GSM dropped
    REQUIRE(m.rtpmap(101));
    CHECK(m.rtpmap(101)->encoding == "telephone-event");
    CHECK(m.fmtpFor(101) == std::optional<std::string>("0-15"));
    CHECK(m.ptime == std::optional<unsigned>(20));
    CHECK(m.label == std::optional<std::string>("stream0"));
    CHECK(m.direction == sdp::Direction::SendRecv);
    CHECK(answer.connection->address == "192.0.2.20");

    const std::string text = sdp::print(answer);
    CHECK(text.find("m=audio 30000 RTP/AVP 0 8 101\r\n"
                    "a=rtpmap:0 PCMU/8000\r\n"
                    "a=rtpmap:8 PCMA/8000\r\n"
                    "a=rtpmap:101 telephone-event/8000\r\n"
                    "a=fmtp:101 0-15\r\n"
                    "a=ptime:20\r\n"
                    "a=label:stream0\r\n") != std::string::npos);
    auto back = sdp::parse(text);
    REQUIRE(back.ok());
    CHECK(back.value() == answer);
}

TEST_CASE("sdp: audio answer keeps m-line order and sets port 0 on what it rejects",
          "[sdp][audio]") {
    auto offer = parseOk(sdp::test::kMultiOffer);  // audio(8 0 opus), video, SAVP audio
    sdp::AudioAnswerParams p = msSide({30000, 30002, 30004});
    auto answer = sdp::answerAudioOffer(offer, p);
    REQUIRE(answer.media.size() == 3);
    CHECK(portsOf(answer) == std::vector<std::uint16_t>{30000, 0, 0});  // no SRTP keys
    CHECK(answer.media[0].formats == std::vector<std::string>{"8", "0"});
    CHECK(answer.media[0].label == std::optional<std::string>("main-audio"));  // echoed
    CHECK(answer.media[1].type == "video");
    CHECK(answer.media[1].formats == std::vector<std::string>{"97"});
    CHECK(answer.media[2].proto == "RTP/SAVP");

    auto back = sdp::parse(sdp::print(answer));
    REQUIRE(back.ok());
    CHECK(back.value() == answer);
}

TEST_CASE("sdp: no common codec gives an answer with every port 0", "[sdp][audio]") {
    auto offer = parseOk(crlf(kHead +
                              "m=audio 4000 RTP/AVP 18 101\na=rtpmap:101 telephone-event/8000\n"
                              "m=audio 4002 RTP/AVP 9\n"
                              "m=video 4004 RTP/AVP 31\n"));
    auto answer = sdp::answerAudioOffer(offer, msSide({30000, 30002, 30004}));
    CHECK(portsOf(answer) == std::vector<std::uint16_t>{0, 0, 0});
    CHECK_FALSE(sdp::hasActiveMedia(answer));
    // telephone-event alone does not make a stream.
    CHECK_FALSE(sdp::isAcceptableAudio(offer.media[0], sdp::defaultAudioCapabilities()));
    auto back = sdp::parse(sdp::print(answer));
    REQUIRE(back.ok());
    CHECK(back.value() == answer);
}

TEST_CASE("sdp: audio answer needs a port and an active offered stream", "[sdp][audio]") {
    auto offer = parseOk(crlf(kHead + "m=audio 4000 RTP/AVP 0\nm=audio 0 RTP/AVP 0\nm=audio 4004 RTP/AVP 8\n"));
    auto answer = sdp::answerAudioOffer(offer, msSide({30000, 30002}));
    CHECK(portsOf(answer) == std::vector<std::uint16_t>{30000, 0, 0});
    CHECK(sdp::hasActiveMedia(answer));
    CHECK(sdp::isAcceptableAudio(offer.media[2], sdp::defaultAudioCapabilities()));
    CHECK_FALSE(sdp::isAcceptableAudio(offer.media[1], sdp::defaultAudioCapabilities()));
}

TEST_CASE("sdp: audio answer direction follows RFC 3264", "[sdp][audio]") {
    struct Row {
        const char* offered;
        sdp::Direction local;
        sdp::Direction answered;
    };
    const Row rows[] = {
        {"sendrecv", sdp::Direction::SendRecv, sdp::Direction::SendRecv},
        {"sendonly", sdp::Direction::SendRecv, sdp::Direction::RecvOnly},
        {"recvonly", sdp::Direction::SendRecv, sdp::Direction::SendOnly},
        {"inactive", sdp::Direction::SendRecv, sdp::Direction::Inactive},
        {"sendrecv", sdp::Direction::RecvOnly, sdp::Direction::RecvOnly},
        {"recvonly", sdp::Direction::RecvOnly, sdp::Direction::Inactive},
    };
    for (const auto& row : rows) {
        INFO(row.offered);
        auto offer = parseOk(crlf(kHead + "m=audio 4000 RTP/AVP 0\na=" + row.offered + "\n"));
        auto p = msSide({30000});
        p.caps.direction = row.local;
        auto answer = sdp::answerAudioOffer(offer, p);
        CHECK(answer.media[0].direction == row.answered);
        auto back = sdp::parse(sdp::print(answer));
        REQUIRE(back.ok());
        CHECK(back->media[0].direction == row.answered);
    }
}

TEST_CASE("sdp: audio answer matches encodings ignoring case, rate and channels exactly",
          "[sdp][audio]") {
    auto offer = parseOk(crlf(kHead +
                              "m=audio 4000 RTP/AVP 96 97 98\n"
                              "a=rtpmap:96 pcmu/16000\na=rtpmap:97 PCMA/8000/2\na=rtpmap:98 pcma/8000\n"));
    auto answer = sdp::answerAudioOffer(offer, msSide({30000}));
    CHECK(answer.media[0].formats == std::vector<std::string>{"98"});
    CHECK(answer.media[0].rtpmap(98)->encoding == "pcma");  // offer's payload type and name
}

TEST_CASE("sdp: audio answer labels: offer's, then caller's, then stream<i>", "[sdp][audio]") {
    auto offer = parseOk(crlf(kHead +
                              "m=audio 4000 RTP/AVP 0\na=label:from-offer\n"
                              "m=audio 4002 RTP/AVP 0\n"
                              "m=audio 4004 RTP/AVP 0\n"));
    auto p = msSide({30000, 30002, 30004});
    p.labels = {"ignored", "mine"};
    auto answer = sdp::answerAudioOffer(offer, p);
    CHECK(answer.media[0].label == std::optional<std::string>("from-offer"));
    CHECK(answer.media[1].label == std::optional<std::string>("mine"));
    CHECK(answer.media[2].label == std::optional<std::string>("stream2"));
}

TEST_CASE("sdp: SRTP offer is answered with the caller's key for a common suite",
          "[sdp][audio]") {
    auto offer = parseOk(sdp::test::kMultiOffer);
    auto p = msSide({30000, 30002, 30004});
    p.caps.srtp = {sdp::Crypto{9, "AES_CM_128_HMAC_SHA1_32", "inline:bG9jYWxrZXlsb2NhbGtleWxvY2Fsa2V5bG9jYWw=", ""}};
    auto answer = sdp::answerAudioOffer(offer, p);
    CHECK(portsOf(answer) == std::vector<std::uint16_t>{30000, 0, 30004});
    const auto& m = answer.media[2];
    CHECK(m.proto == "RTP/SAVP");
    REQUIRE(m.crypto.size() == 1);
    CHECK(m.crypto[0].tag == 2);  // the offer's tag for that suite
    CHECK(m.crypto[0].suite == "AES_CM_128_HMAC_SHA1_32");
    CHECK(m.crypto[0].keyParams == "inline:bG9jYWxrZXlsb2NhbGtleWxvY2Fsa2V5bG9jYWw=");
    CHECK(m.formats == std::vector<std::string>{"0", "101"});

    p.caps.srtp = {sdp::Crypto{1, "AEAD_AES_256_GCM", "inline:abc", ""}};
    CHECK(sdp::answerAudioOffer(offer, p).media[2].port == 0);
}

TEST_CASE("sdp: audio answer to a 100 m-line offer", "[sdp][audio]") {
    std::string body = kHead;
    std::vector<std::uint16_t> ports;
    for (int i = 0; i < 100; ++i) {
        // every third line offers only G.729, which is refused
        body += "m=audio " + std::to_string(10000 + 2 * i) + (i % 3 == 2 ? " RTP/AVP 18\n" : " RTP/AVP 8 0\n");
        ports.push_back(static_cast<std::uint16_t>(20000 + 2 * i));
    }
    auto offer = parseOk(crlf(body));
    auto answer = sdp::answerAudioOffer(offer, msSide(ports));
    REQUIRE(answer.media.size() == 100);
    for (int i = 0; i < 100; ++i) {
        INFO(i);
        CHECK(answer.media[static_cast<std::size_t>(i)].port == (i % 3 == 2 ? 0 : 20000 + 2 * i));
    }
    auto back = sdp::parse(sdp::print(answer));
    REQUIRE(back.ok());
    CHECK(back.value() == answer);
}

TEST_CASE("sdp: makeAudioOffer lists the capabilities and answers itself", "[sdp][audio]") {
    sdp::AudioOfferParams p;
    p.origin.username = "ms";
    p.origin.address = "192.0.2.20";
    p.address = sdp::Connection{sdp::AddrType::IP4, "192.0.2.20", 0, 1};
    p.port = 31000;
    p.label = "leg1";
    const std::string text = sdp::print(sdp::makeAudioOffer(p));
    CHECK(text.find("m=audio 31000 RTP/AVP 0 8 101\r\n"
                    "a=rtpmap:0 PCMU/8000\r\n"
                    "a=rtpmap:8 PCMA/8000\r\n"
                    "a=rtpmap:101 telephone-event/8000\r\n"
                    "a=fmtp:101 0-15\r\n"
                    "a=ptime:20\r\n"
                    "a=label:leg1\r\n") != std::string::npos);
    auto offer = sdp::parse(text);
    REQUIRE(offer.ok());
    auto answer = sdp::answerAudioOffer(offer.value(), msSide({32000}));
    CHECK(answer.media[0].port == 32000);
    CHECK(answer.media[0].formats == std::vector<std::string>{"0", "8", "101"});
    CHECK(answer.media[0].label == std::optional<std::string>("leg1"));

    p.caps.srtp = {sdp::Crypto{1, "AES_CM_128_HMAC_SHA1_80", "inline:a2V5", ""}};
    auto savp = sdp::parse(sdp::print(sdp::makeAudioOffer(p)));
    REQUIRE(savp.ok());
    CHECK(savp->media[0].proto == "RTP/SAVP");
    REQUIRE(savp->media[0].crypto.size() == 1);
    CHECK(savp->media[0].crypto[0].keyParams == "inline:a2V5");
}

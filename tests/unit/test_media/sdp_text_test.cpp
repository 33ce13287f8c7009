// The endpoint's SDP text: what it offers, and how it reads the other side's answer.
#include <catch2/catch.hpp>

#include "tests/support/media/sdp_text.hpp"

using namespace parley::test;

TEST_CASE("test_media: sdp text: the offer has the m-line, rtpmaps, fmtp, ptime, direction and label",
          "[sdp]") {
    AudioSdpOptions o;
    o.port = 40000;
    o.label = "ep1";
    o.direction = "sendonly";
    auto sdp = buildAudioSdp(o);
    CHECK(sdp.find("c=IN IP4 127.0.0.1\r\n") != std::string::npos);
    CHECK(sdp.find("m=audio 40000 RTP/AVP 0 8 101\r\n") != std::string::npos);
    CHECK(sdp.find("a=rtpmap:0 PCMU/8000\r\n") != std::string::npos);
    CHECK(sdp.find("a=rtpmap:8 PCMA/8000\r\n") != std::string::npos);
    CHECK(sdp.find("a=rtpmap:101 telephone-event/8000\r\n") != std::string::npos);
    CHECK(sdp.find("a=fmtp:101 0-15\r\n") != std::string::npos);
    CHECK(sdp.find("a=ptime:20\r\n") != std::string::npos);
    CHECK(sdp.find("a=sendonly\r\n") != std::string::npos);
    CHECK(sdp.find("a=label:ep1\r\n") != std::string::npos);

    auto parsed = parseRemoteAudio(sdp);
    REQUIRE(parsed);
    CHECK(parsed->address == "127.0.0.1");
    CHECK(parsed->port == 40000);
    CHECK(parsed->payloadTypes == std::vector<std::uint8_t>{0, 8, 101});
    CHECK(parsed->telephoneEventPt == 101);
    CHECK(parsed->direction == "sendonly");
    CHECK(parsed->label == "ep1");
    CHECK(parsed->ptimeMs == 20);
    CHECK(parsed->firstG711() == 0);
    CHECK_FALSE(parsed->held());
}

TEST_CASE("test_media: sdp text: an answer with media-level c=, dynamic event PT and a refused video line",
          "[sdp]") {
    const std::string answer =
        "v=0\n"
        "o=ms 7 7 IN IP4 10.0.0.1\n"
        "s=-\n"
        "c=IN IP4 10.0.0.1\n"
        "t=0 0\n"
        "a=recvonly\n"
        "m=video 0 RTP/AVP 96\n"
        "c=IN IP4 10.9.9.9\n"
        "m=audio 0 RTP/AVP 0\n"
        "m=audio 50002 RTP/AVP 8 96\n"
        "c=IN IP4 192.0.2.7/127\n"
        "a=rtpmap:8 PCMA/8000\n"
        "a=rtpmap:96 telephone-event/8000\n"
        "a=label:m2\n";
    auto all = parseAudioStreams(answer);
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].port == 0);
    CHECK((*all)[0].held());
    CHECK((*all)[0].address == "10.0.0.1");
    CHECK((*all)[0].mlineIndex == 1);
    auto a = parseRemoteAudio(answer);
    REQUIRE(a);
    CHECK(a->mlineIndex == 2);
    CHECK(a->address == "192.0.2.7");
    CHECK(a->port == 50002);
    CHECK(a->telephoneEventPt == 96);
    CHECK(a->firstG711() == 8);
    CHECK(a->direction == "recvonly");  // inherited from the session level
    CHECK(a->label == "m2");
}

TEST_CASE("test_media: sdp text: hold, dynamic G.711 and nonsense", "[sdp]") {
    auto hold = parseRemoteAudio(
        "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 97\r\na=rtpmap:97 "
        "pcmu/8000\r\na=inactive\r\n");
    REQUIRE(hold);
    CHECK(hold->held());
    CHECK(hold->firstG711() == 97);
    CHECK_FALSE(parseRemoteAudio("v=0\r\nm=audio 0 RTP/AVP 0\r\n"));
    CHECK_FALSE(parseRemoteAudio("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"));  // no c= anywhere
    CHECK_FALSE(parseRemoteAudio(""));
    CHECK_FALSE(parseRemoteAudio("m=video 4000 RTP/AVP 96\r\nc=IN IP4 1.2.3.4\r\n"));
    std::string junk =
        "m=audio x y z\r\n=\r\na=rtpmap:\r\na=rtpmap:999 X/1\r\nc=IN\r\nm=audio 70000 RTP/AVP 300 "
        "-1 0\r\n";
    auto streams = parseAudioStreams(junk);
    REQUIRE(streams);
    CHECK(streams->size() == 2);
    CHECK((*streams)[1].port == 0);  // out of range
    CHECK((*streams)[1].payloadTypes == std::vector<std::uint8_t>{0});
    auto noEvents = parseRemoteAudio("c=IN IP4 1.2.3.4\nm=audio 10 RTP/AVP 18\n");
    REQUIRE(noEvents);
    CHECK_FALSE(noEvents->firstG711());
    CHECK_FALSE(noEvents->telephoneEventPt);
}

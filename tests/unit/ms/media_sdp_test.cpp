// Offer/answer of parley-ms media dialogs (ms/sip/media_sdp.hpp): which stream is carried,
// what the answer says, and the RTP parameters that follow.

#include <catch2/catch.hpp>

#include "ms/sip/media_dialogs.hpp"
#include "ms/sip/media_sdp.hpp"
#include "proto/sdp/wire.hpp"

namespace parley::ms {
namespace {

namespace sdp = proto::sdp;

const std::string kHead =
    "v=0\r\no=as 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
const std::string kVideo = "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
const std::string kAudio =
    "m=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

MediaSdpIdentity identity() {
    return MediaSdpIdentity{"127.0.0.1", 42, 1};
}

sdp::Session parsed(const std::string& text) {
    auto s = sdp::parse(text);
    REQUIRE(s);
    return *s;
}

}  // namespace

TEST_CASE("ms: media sdp: the first acceptable audio m-line is carried, the rest get port 0",
          "[ms][sdp]") {
    auto offer = parsed(kHead + kVideo + kAudio + kAudio);
    auto index = pickAudioStream(offer);
    REQUIRE(index);
    CHECK(*index == 1);
    auto answer = answerMediaOffer(offer, *index, 30000, "lbl1", identity());
    REQUIRE(answer);
    auto a = parsed(answer->sdp);
    REQUIRE(a.media.size() == 3);
    CHECK(a.media[0].port == 0);
    CHECK(a.media[1].port == 30000);
    CHECK(a.media[2].port == 0);
    for (const auto& m : a.media) CHECK(m.label);  // a=label on every m-line
    CHECK(a.media[1].label == std::optional<std::string>("lbl1"));
    CHECK(a.media[1].ptime == std::optional<unsigned>(20));
    CHECK(a.media[1].formats == std::vector<std::string>{"8", "0", "101"});
    CHECK(answer->label == "lbl1");
    CHECK(answer->params.remoteRtp.toString() == "127.0.0.1:6000");
    REQUIRE(answer->params.formats.size() == 3);
    CHECK(answer->params.formats[0].codec == rtp::Codec::Pcma);
    CHECK(answer->params.formats[2].codec == rtp::Codec::TelephoneEvent);
    CHECK(answer->params.direction == rtp::MediaDirection::SendRecv);
}

TEST_CASE("ms: media sdp: nothing acceptable is 488", "[ms][sdp]") {
    CHECK(pickAudioStream(parsed(kHead + kVideo)).error().code == 488);
    CHECK(pickAudioStream(parsed(kHead + "m=audio 7000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"))
              .error()
              .code == 488);
    CHECK(pickAudioStream(parsed(kHead + "m=audio 0 RTP/AVP 0\r\n")).error().code == 488);
}

TEST_CASE("ms: media sdp: re-offers: hold, disabled stream, missing m-line, codec change",
          "[ms][sdp]") {
    SECTION("sendonly is answered recvonly") {
        auto a =
            answerMediaOffer(parsed(kHead + kAudio + "a=sendonly\r\n"), 0, 30000, "l", identity());
        REQUIRE(a);
        CHECK(a->params.direction == rtp::MediaDirection::RecvOnly);
        CHECK(a->sdp.find("a=recvonly") != std::string::npos);
    }
    SECTION("c=0.0.0.0 holds the remote address") {
        std::string head = kHead;
        head.replace(head.find("c=IN IP4 127.0.0.1"), 18, "c=IN IP4 0.0.0.0");
        auto a = answerMediaOffer(parsed(head + kAudio), 0, 30000, "l", identity());
        REQUIRE(a);
        CHECK(a->params.remoteRtp.isAnyAddress());
    }
    SECTION("port 0 on the carried stream disables it") {
        auto a =
            answerMediaOffer(parsed(kHead + "m=audio 0 RTP/AVP 0\r\n"), 0, 30000, "l", identity());
        REQUIRE(a);
        CHECK(a->params.direction == rtp::MediaDirection::Inactive);
        CHECK_FALSE(a->params.remoteRtp.valid());
        CHECK(parsed(a->sdp).media[0].port == 0);
    }
    SECTION("the carried index beyond the offer is 488") {
        CHECK(answerMediaOffer(parsed(kHead + kAudio), 1, 30000, "l", identity()).error().code ==
              488);
    }
    SECTION("no common codec any more is 488") {
        CHECK(answerMediaOffer(parsed(kHead + "m=audio 7000 RTP/AVP 18\r\n"), 0, 30000, "l",
                               identity())
                  .error()
                  .code == 488);
    }
    SECTION("a=rtcp names the RTCP address") {
        auto a = answerMediaOffer(parsed(kHead + kAudio + "a=rtcp:6101 IN IP4 127.0.0.2\r\n"), 0,
                                  30000, "l", identity());
        REQUIRE(a);
        CHECK(a->params.remoteRtcp.toString() == "127.0.0.2:6101");
    }
}

TEST_CASE("ms: media sdp: our offer for an offerless INVITE and the ACK's answer", "[ms][sdp]") {
    auto offer = parsed(makeMediaOffer(31000, "mine", identity()));
    REQUIRE(offer.media.size() == 1);
    CHECK(offer.media[0].port == 31000);
    CHECK(offer.media[0].label == std::optional<std::string>("mine"));
    CHECK(offer.media[0].formats == std::vector<std::string>{"0", "8", "101"});

    auto p = paramsFromAnswer(
        kHead + "m=audio 6100 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n");
    REQUIRE(p);
    CHECK(p->remoteRtp.toString() == "127.0.0.1:6100");
    CHECK(p->formats.size() == 2);
    auto held = paramsFromAnswer(kHead + "m=audio 6100 RTP/AVP 0\r\na=recvonly\r\n");
    REQUIRE(held);
    CHECK(held->direction == rtp::MediaDirection::SendOnly);
    CHECK(paramsFromAnswer(kHead + "m=audio 0 RTP/AVP 0\r\n").error().code == 488);
    CHECK(paramsFromAnswer("garbage").error().code == 488);
    CHECK(paramsFromAnswer(kHead + "m=audio 6100 RTP/AVP 18\r\n").error().code == 488);
}

TEST_CASE("ms: uriHostPort reads the host and port of a Contact", "[ms][sip]") {
    CHECK(uriHostPort("sip:as@127.0.0.1:5080;transport=udp") == "127.0.0.1:5080");
    CHECK(uriHostPort("<sip:as@Example.COM>") == "example.com:5060");
    CHECK(uriHostPort("sip:[::1]:5062") == "[::1]:5062");
    CHECK(uriHostPort("nonsense").empty());
}

}  // namespace parley::ms

// RTP and RFC 4733 packing of the test tools, and rejection of malformed packets.
#include <catch2/catch.hpp>

#include "tests/support/media/rtp_wire.hpp"

using namespace parley::test;

TEST_CASE("test_media: rtp wire: pack and parse round trip", "[rtp]") {
    RtpHeader h{true, 8, 0xBEEF, 0x01020304, 0xCAFEBABE};
    std::vector<std::uint8_t> payload(160, 0xD5);
    auto packet = packRtp(h, payload);
    REQUIRE(packet.size() == 172);
    CHECK(packet[0] == 0x80);
    CHECK(packet[1] == 0x88);
    auto v = parseRtp(packet);
    REQUIRE(v);
    CHECK(v->header.marker);
    CHECK(v->header.payloadType == 8);
    CHECK(v->header.sequence == 0xBEEF);
    CHECK(v->header.timestamp == 0x01020304);
    CHECK(v->header.ssrc == 0xCAFEBABE);
    CHECK(v->payload.size() == 160);
    CHECK_FALSE(looksLikeRtcp(packet));
}

TEST_CASE("test_media: rtp wire: CSRC list, header extension and padding are skipped", "[rtp]") {
    std::vector<std::uint8_t> p = {0xB1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,  // V2 P X CC=1
                                   0,    0,    0, 9,                          // CSRC
                                   0xBE, 0xDE, 0, 1, 1, 2, 3, 4,              // extension, 1 word
                                   0xAA, 0xBB, 0, 0, 3};                      // payload + 3 padding
    auto v = parseRtp(p);
    REQUIRE(v);
    REQUIRE(v->payload.size() == 2);
    CHECK(v->payload[0] == 0xAA);
    CHECK(v->payload[1] == 0xBB);
}

TEST_CASE("test_media: rtp wire: malformed packets are rejected, not read past", "[rtp]") {
    std::vector<std::uint8_t> good = packRtp(RtpHeader{}, std::vector<std::uint8_t>(4, 1));
    CHECK_FALSE(parseRtp(std::span<const std::uint8_t>(good.data(), 11)));
    auto v1 = good;
    v1[0] = 0x40;  // version 1
    CHECK_FALSE(parseRtp(v1));
    auto csrc = good;
    csrc[0] = 0x8F;  // 15 CSRCs announced, none present
    CHECK_FALSE(parseRtp(csrc));
    auto ext = good;
    ext[0] = 0x90;  // extension announced, 4 bytes: header only, length 0x0101 words
    ext[12] = 0;
    ext[13] = 0;
    ext[14] = 1;
    ext[15] = 1;
    CHECK_FALSE(parseRtp(ext));
    auto pad = good;
    pad[0] = 0xA0;
    pad.back() = 200;  // more padding than payload
    CHECK_FALSE(parseRtp(pad));
    pad.back() = 0;  // zero padding count is invalid
    CHECK_FALSE(parseRtp(pad));
    CHECK_FALSE(parseRtp({}));
    std::vector<std::uint8_t> rtcp = {0x80, 200, 0, 6, 1, 2, 3, 4};
    CHECK(looksLikeRtcp(rtcp));
}

TEST_CASE("test_media: rtp wire: RFC 4733 events and digits", "[rtp][dtmf]") {
    TelephoneEvent e{11, true, 10, 1600};
    auto payload = packTelephoneEvent(e);
    CHECK(payload == std::vector<std::uint8_t>{11, 0x8A, 0x06, 0x40});
    auto back = parseTelephoneEvent(payload);
    REQUIRE(back);
    CHECK(back->event == 11);
    CHECK(back->end);
    CHECK(back->volume == 10);
    CHECK(back->duration == 1600);
    CHECK_FALSE(parseTelephoneEvent(std::vector<std::uint8_t>{1, 2, 3}));
    std::string all = "0123456789*#ABCD";
    for (std::size_t i = 0; i < all.size(); ++i) {
        CHECK(eventForDigit(all[i]) == i);
        CHECK(digitForEvent(static_cast<std::uint8_t>(i)) == all[i]);
    }
    CHECK(eventForDigit('d') == 15);
    CHECK_FALSE(eventForDigit('x'));
    CHECK(digitForEvent(16) == '?');
}

// RTP header parse/build (RFC 3550 section 5.1): round trips, wire layout, and every kind
// of malformed packet rejected without reading past the buffer.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "ms/rtp/rtp_packet.hpp"

using namespace parley::ms::rtp;

namespace {

std::vector<std::uint8_t> build(const RtpHeader& h, std::vector<std::uint8_t> payload,
                                const RtpBuildOptions& opt = {}) {
    std::vector<std::uint8_t> buf(kMaxRtpPacket);
    const std::size_t n = buildRtp(h, payload, buf, opt);
    REQUIRE(n > 0);
    buf.resize(n);
    return buf;
}

// Parses from a heap copy of exactly `len` bytes so ASan catches any over-read.
RtpParseError parseExact(const std::vector<std::uint8_t>& bytes, std::size_t len,
                         RtpPacketView& v) {
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
    return parseRtp(copy, v);
}

}  // namespace

TEST_CASE("rtp: fixed header is laid out as RFC 3550 says", "[rtp_packet]") {
    RtpHeader h;
    h.marker = true;
    h.payloadType = 8;
    h.sequence = 0x1234;
    h.timestamp = 0xDEADBEEF;
    h.ssrc = 0x01020304;
    const auto bytes = build(h, {0xAA, 0xBB});
    REQUIRE(bytes.size() == 14);
    CHECK(bytes[0] == 0x80);
    CHECK(bytes[1] == 0x88);
    CHECK(bytes[2] == 0x12);
    CHECK(bytes[3] == 0x34);
    CHECK(bytes[4] == 0xDE);
    CHECK(bytes[7] == 0xEF);
    CHECK(bytes[8] == 0x01);
    CHECK(bytes[11] == 0x04);
    CHECK(bytes[12] == 0xAA);

    RtpPacketView v;
    REQUIRE(parseRtp(bytes, v) == RtpParseError::None);
    CHECK(v.header.marker);
    CHECK(v.header.payloadType == 8);
    CHECK(v.header.sequence == 0x1234);
    CHECK(v.header.timestamp == 0xDEADBEEF);
    CHECK(v.header.ssrc == 0x01020304);
    CHECK(v.header.csrcCount == 0);
    CHECK_FALSE(v.hasExtension);
    REQUIRE(v.payload.size() == 2);
    CHECK(v.payload[1] == 0xBB);
}

TEST_CASE("rtp: CSRC list, extension and padding round trip", "[rtp_packet]") {
    RtpHeader h;
    h.payloadType = 101;
    h.sequence = 65535;
    h.timestamp = 160;
    h.ssrc = 42;
    h.csrcCount = 3;
    h.csrc[0] = 7;
    h.csrc[1] = 8;
    h.csrc[2] = 0xFFFFFFFF;
    const std::vector<std::uint8_t> ext = {1, 2, 3, 4, 5, 6, 7, 8};
    RtpBuildOptions opt;
    opt.hasExtension = true;
    opt.extensionProfile = 0xBEDE;
    opt.extension = ext;
    opt.padding = 3;
    const std::vector<std::uint8_t> payload(160, 0x55);
    const auto bytes = build(h, payload, opt);
    CHECK(bytes.size() == 12 + 12 + 4 + 8 + 160 + 3);
    CHECK((bytes[0] & 0x20) != 0);
    CHECK((bytes[0] & 0x10) != 0);
    CHECK((bytes[0] & 0x0F) == 3);
    CHECK(bytes.back() == 3);

    RtpPacketView v;
    REQUIRE(parseRtp(bytes, v) == RtpParseError::None);
    CHECK_FALSE(v.header.marker);
    CHECK(v.header.payloadType == 101);
    CHECK(v.header.sequence == 65535);
    REQUIRE(v.header.csrcCount == 3);
    CHECK(v.header.csrc[2] == 0xFFFFFFFF);
    REQUIRE(v.hasExtension);
    CHECK(v.extensionProfile == 0xBEDE);
    REQUIRE(v.extension.size() == 8);
    CHECK(v.extension[7] == 8);
    CHECK(v.paddingSize == 3);
    REQUIRE(v.payload.size() == 160);
    CHECK(v.payload[0] == 0x55);
    CHECK(v.payload[159] == 0x55);
}

TEST_CASE("rtp: malformed packets are rejected with the right reason", "[rtp_packet]") {
    RtpHeader h;
    h.ssrc = 1;
    const auto good = build(h, std::vector<std::uint8_t>(20, 1));
    RtpPacketView v;

    SECTION("shorter than the header") {
        for (std::size_t n = 0; n < kRtpHeaderSize; ++n)
            CHECK(parseExact(good, n, v) == RtpParseError::TooShort);
        CHECK(parseExact(good, kRtpHeaderSize, v) == RtpParseError::None);  // empty payload is fine
        CHECK(v.payload.empty());
    }
    SECTION("wrong version") {
        for (std::uint8_t ver : {0, 1, 3}) {
            auto bad = good;
            bad[0] = static_cast<std::uint8_t>((bad[0] & 0x3F) | (ver << 6));
            CHECK(parseRtp(bad, v) == RtpParseError::BadVersion);
        }
    }
    SECTION("CSRC count larger than the packet") {
        auto bad = good;
        bad.resize(12 + 8);
        bad[0] = 0x80 | 3;  // needs 12 bytes of CSRC, has 8
        CHECK(parseRtp(bad, v) == RtpParseError::CsrcOverrun);
        bad[0] = 0x80 | 15;
        CHECK(parseRtp(bad, v) == RtpParseError::CsrcOverrun);
    }
    SECTION("extension header or body past the end") {
        auto bad = good;
        bad.resize(14);
        bad[0] = 0x90;  // X bit, only 2 bytes after the header
        CHECK(parseRtp(bad, v) == RtpParseError::ExtensionOverrun);
        bad = good;
        bad[0] = 0x90;
        bad[14] = 0xFF;  // length 0xFFxx words
        bad[15] = 0xFF;
        CHECK(parseRtp(bad, v) == RtpParseError::ExtensionOverrun);
    }
    SECTION("padding count 0 or beyond the payload") {
        auto bad = good;
        bad[0] = 0xA0;
        bad.back() = 0;
        CHECK(parseRtp(bad, v) == RtpParseError::BadPadding);
        bad.back() = static_cast<std::uint8_t>(bad.size() - 12 + 1);
        CHECK(parseRtp(bad, v) == RtpParseError::BadPadding);
        bad.back() = static_cast<std::uint8_t>(bad.size() - 12);  // all padding: empty payload
        REQUIRE(parseRtp(bad, v) == RtpParseError::None);
        CHECK(v.payload.empty());
    }
}

TEST_CASE("rtp: every truncation of a full-featured packet parses or is rejected safely",
          "[rtp_packet]") {
    RtpHeader h;
    h.csrcCount = 2;
    const std::vector<std::uint8_t> ext(12, 9);
    RtpBuildOptions opt;
    opt.hasExtension = true;
    opt.extension = ext;
    opt.padding = 4;
    const auto bytes = build(h, std::vector<std::uint8_t>(40, 2), opt);
    int accepted = 0;
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        RtpPacketView v;
        const auto err = parseExact(bytes, n, v);
        if (err == RtpParseError::None) {
            ++accepted;
            // every byte is accounted for: header, CSRCs, extension, payload, padding
            CHECK(12 + 8 + 4 + v.extension.size() + v.payload.size() + v.paddingSize == n);
        }
    }
    CHECK(accepted >= 1);
    RtpPacketView v;
    CHECK(parseExact(bytes, bytes.size(), v) == RtpParseError::None);
    CHECK(v.payload.size() == 40);
}

TEST_CASE("rtp: build refuses what does not fit or cannot be represented", "[rtp_packet]") {
    RtpHeader h;
    std::vector<std::uint8_t> payload(160, 0);
    std::vector<std::uint8_t> out(100);
    CHECK(buildRtp(h, payload, out) == 0);  // too small
    out.resize(172);
    CHECK(buildRtp(h, payload, out) == 172);
    h.payloadType = 128;
    CHECK(buildRtp(h, payload, out) == 0);
    h.payloadType = 0;
    h.csrcCount = 16;
    CHECK(buildRtp(h, payload, out) == 0);
    h.csrcCount = 0;
    const std::vector<std::uint8_t> ext(3, 0);
    RtpBuildOptions opt;
    opt.hasExtension = true;
    opt.extension = ext;
    out.resize(400);
    CHECK(buildRtp(h, payload, out, opt) == 0);  // extension not whole words
    RtpBuildOptions pad;
    pad.padding = 256;
    CHECK(buildRtp(h, payload, out, pad) == 0);
    CHECK(std::string(describe(RtpParseError::BadPadding)).find("padding") != std::string::npos);
}

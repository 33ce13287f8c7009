// RTCP compound packets: SR/RR/SDES/BYE build and parse, and the RFC 3550 A.2 validity
// checks on malformed input.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "ms/rtp/rtcp_packet.hpp"

using namespace parley::ms::rtp;

namespace {

RtcpReportBlock block(std::uint32_t ssrc, std::int32_t lost) {
    RtcpReportBlock b;
    b.ssrc = ssrc;
    b.fractionLost = 25;
    b.cumulativeLost = lost;
    b.extendedHighestSeq = 0x00012345;
    b.jitter = 77;
    b.lastSr = 0xAABBCCDD;
    b.delaySinceLastSr = 65536;
    return b;
}

std::vector<std::uint8_t> compound() {
    std::array<std::uint8_t, 512> buf{};
    RtcpWriter w(buf);
    RtcpSenderInfo info;
    info.ntpTime = 0x0102030405060708ull;
    info.rtpTimestamp = 160000;
    info.packetCount = 250;
    info.octetCount = 40000;
    const std::array<RtcpReportBlock, 2> blocks = {block(0x11, 3), block(0x22, -2)};
    REQUIRE(w.addSenderReport(0xCAFE, info, blocks));
    REQUIRE(w.addSdesCname(0xCAFE, "ms@127.0.0.1"));
    const std::array<std::uint32_t, 1> bye = {0xCAFE};
    REQUIRE(w.addBye(bye));
    REQUIRE(w.ok());
    return {w.bytes().begin(), w.bytes().end()};
}

RtcpParseError parseExact(const std::vector<std::uint8_t>& bytes, std::size_t len,
                          RtcpCompound& out) {
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len));
    return parseRtcp(copy, out);
}

}  // namespace

TEST_CASE("rtcp: SR + SDES + BYE round trip", "[rtcp_packet]") {
    const auto bytes = compound();
    CHECK(bytes.size() % 4 == 0);
    CHECK(bytes[0] == (0x80 | 2));
    CHECK(bytes[1] == kRtcpSr);
    CHECK(bytes[3] == (28 + 48) / 4 - 1);

    RtcpCompound c;
    REQUIRE(parseRtcp(bytes, c) == RtcpParseError::None);
    REQUIRE(c.reportCount == 1);
    const auto& r = c.reports[0];
    CHECK(r.isSender);
    CHECK(r.ssrc == 0xCAFE);
    CHECK(r.sender.ntpTime == 0x0102030405060708ull);
    CHECK(r.sender.rtpTimestamp == 160000);
    CHECK(r.sender.packetCount == 250);
    CHECK(r.sender.octetCount == 40000);
    REQUIRE(r.blockCount == 2);
    CHECK(r.blocks[0].ssrc == 0x11);
    CHECK(r.blocks[0].fractionLost == 25);
    CHECK(r.blocks[0].cumulativeLost == 3);
    CHECK(r.blocks[1].cumulativeLost == -2);
    CHECK(r.blocks[1].extendedHighestSeq == 0x00012345);
    CHECK(r.blocks[1].jitter == 77);
    CHECK(r.blocks[1].lastSr == 0xAABBCCDD);
    CHECK(r.blocks[1].delaySinceLastSr == 65536);
    REQUIRE(c.cnameCount == 1);
    CHECK(c.cnames[0].ssrc == 0xCAFE);
    CHECK(c.cnames[0].view() == "ms@127.0.0.1");
    CHECK(c.hasBye);
    REQUIRE(c.byeCount == 1);
    CHECK(c.byeSsrcs[0] == 0xCAFE);
}

TEST_CASE("rtcp: RR with and without report blocks, CNAME padding", "[rtcp_packet]") {
    for (std::size_t cnameLen : {0, 1, 2, 3, 4, 5, 10, 255}) {
        std::array<std::uint8_t, 600> buf{};
        RtcpWriter w(buf);
        const std::array<RtcpReportBlock, 1> blocks = {block(9, 0)};
        REQUIRE(w.addReceiverReport(5, cnameLen % 2 ? std::span<const RtcpReportBlock>()
                                                    : std::span<const RtcpReportBlock>(blocks)));
        const std::string cname(cnameLen, 'x');
        REQUIRE(w.addSdesCname(5, cname));
        RtcpCompound c;
        REQUIRE(parseRtcp(w.bytes(), c) == RtcpParseError::None);
        REQUIRE(c.reportCount == 1);
        CHECK_FALSE(c.reports[0].isSender);
        CHECK(c.reports[0].blockCount == (cnameLen % 2 ? 0u : 1u));
        REQUIRE(c.cnameCount == 1);
        CHECK(c.cnames[0].view() == cname);
    }
}

TEST_CASE("rtcp: cumulative loss is clamped to 24 bits signed", "[rtcp_packet]") {
    std::array<std::uint8_t, 64> buf{};
    RtcpWriter w(buf);
    const std::array<RtcpReportBlock, 2> blocks = {block(1, 0x7FFFFFFF), block(2, -0x7FFFFFFF)};
    REQUIRE(w.addReceiverReport(5, blocks));
    RtcpCompound c;
    REQUIRE(parseRtcp(w.bytes(), c) == RtcpParseError::None);
    CHECK(c.reports[0].blocks[0].cumulativeLost == 0x7FFFFF);
    CHECK(c.reports[0].blocks[1].cumulativeLost == -0x800000);
}

TEST_CASE("rtcp: writer refuses what does not fit and stays unchanged", "[rtcp_packet]") {
    std::array<std::uint8_t, 40> buf{};
    RtcpWriter w(buf);
    REQUIRE(w.addReceiverReport(1, {}));
    const std::size_t before = w.size();
    const std::array<RtcpReportBlock, 2> blocks = {block(1, 0), block(2, 0)};
    CHECK_FALSE(w.addReceiverReport(1, blocks));
    CHECK(w.size() == before);
    CHECK_FALSE(w.ok());
    std::array<std::uint8_t, 1024> big{};
    RtcpWriter w2(big);
    CHECK_FALSE(w2.addSdesCname(1, std::string(256, 'a')));
}

TEST_CASE("rtcp: malformed compounds are rejected", "[rtcp_packet]") {
    const auto good = compound();
    RtcpCompound c;

    SECTION("too short and truncated anywhere inside a packet") {
        CHECK(parseExact(good, 0, c) == RtcpParseError::TooShort);
        CHECK(parseExact(good, 3, c) == RtcpParseError::TooShort);
        // Only the packet boundaries make a valid prefix: SR ends at 76, SDES after it.
        int accepted = 0;
        for (std::size_t n = 1; n < good.size(); ++n)
            if (parseExact(good, n, c) == RtcpParseError::None) ++accepted;
        CHECK(accepted == 2);  // SR alone, SR + SDES
    }
    SECTION("wrong version") {
        auto bad = good;
        bad[0] = static_cast<std::uint8_t>((bad[0] & 0x3F) | 0x40);
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadVersion);
    }
    SECTION("first packet not a report") {
        std::array<std::uint8_t, 64> buf{};
        RtcpWriter w(buf);
        REQUIRE(w.addSdesCname(1, "x"));
        CHECK(parseRtcp(w.bytes(), c) == RtcpParseError::NotReportFirst);
    }
    SECTION("length field past the datagram") {
        auto bad = good;
        bad[3] = static_cast<std::uint8_t>(bad[3] + 100);
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadLength);
        auto extra = good;
        extra.push_back(0);  // trailing bytes that are not a packet
        CHECK(parseRtcp(extra, c) != RtcpParseError::None);
    }
    SECTION("padding bit on a packet that is not the last") {
        auto bad = good;
        bad[0] |= 0x20;
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadPadding);
    }
    SECTION("padding count zero or too large on the last packet") {
        std::array<std::uint8_t, 64> buf{};
        RtcpWriter w(buf);
        REQUIRE(w.addReceiverReport(1, {}));
        std::vector<std::uint8_t> bad(w.bytes().begin(), w.bytes().end());
        bad[0] |= 0x20;
        bad.insert(bad.end(), {0, 0, 0, 0});
        bad[3] = static_cast<std::uint8_t>(bad.size() / 4 - 1);
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadPadding);
        bad.back() = 9;
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadPadding);
        bad.back() = 4;
        CHECK(parseRtcp(bad, c) == RtcpParseError::None);
    }
    SECTION("report count larger than the packet") {
        auto bad = good;
        bad[0] = static_cast<std::uint8_t>((bad[0] & 0xE0) | 3);  // SR claims 3 blocks, has 2
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadReport);
    }
    SECTION("SDES item running past its packet") {
        auto bad = good;
        bad[76 + 9] = 200;  // CNAME length
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadSdes);
        bad = good;
        bad[76] = static_cast<std::uint8_t>((bad[76] & 0xE0) | 2);  // 2 chunks, has 1
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadSdes);
    }
    SECTION("BYE count larger than the packet") {
        auto bad = good;
        const std::size_t byeAt = good.size() - 8;
        REQUIRE(bad[byeAt + 1] == kRtcpBye);
        bad[byeAt] = static_cast<std::uint8_t>((bad[byeAt] & 0xE0) | 5);
        CHECK(parseRtcp(bad, c) == RtcpParseError::BadBye);
    }
}

TEST_CASE("rtcp: unknown packet types are skipped, BYE reason accepted", "[rtcp_packet]") {
    std::array<std::uint8_t, 128> buf{};
    RtcpWriter w(buf);
    REQUIRE(w.addReceiverReport(1, {}));
    std::vector<std::uint8_t> bytes(w.bytes().begin(), w.bytes().end());
    // APP packet: V=2 subtype 0, PT 204, length 2 (12 bytes)
    bytes.insert(bytes.end(), {0x80, 204, 0, 2, 0, 0, 0, 1, 'n', 'a', 'm', 'e'});
    // BYE with one SSRC and the reason "bye" (len 3 + 3 bytes = 4, padded to 4)
    bytes.insert(bytes.end(), {0x81, 203, 0, 2, 0, 0, 0, 1, 3, 'b', 'y', 'e'});
    RtcpCompound c;
    REQUIRE(parseRtcp(bytes, c) == RtcpParseError::None);
    CHECK(c.otherPackets == 1);
    CHECK(c.hasBye);
    CHECK(c.byeCount == 1);
    bytes[bytes.size() - 4] = 9;  // reason longer than the packet
    CHECK(parseRtcp(bytes, c) == RtcpParseError::BadBye);
}

// RFC 3550 reception statistics: loss, fraction lost, sequence wrap, restarts, jitter.
#include <catch2/catch.hpp>

#include <cstdint>

#include "ms/rtp/reception_stats.hpp"

using namespace parley::ms::rtp;

TEST_CASE("reception stats: in order, no loss", "[reception_stats]") {
    ReceptionStats s;
    CHECK_FALSE(s.started());
    for (std::uint16_t i = 0; i < 100; ++i)
        REQUIRE(s.onPacket(static_cast<std::uint16_t>(500 + i), i * 160u, i * 160u));
    CHECK(s.expected() == 100);
    CHECK(s.cumulativeLost() == 0);
    CHECK(s.jitter() == 0);
    const auto b = s.makeReportBlock(77, 1, 2);
    CHECK(b.ssrc == 77);
    CHECK(b.fractionLost == 0);
    CHECK(b.cumulativeLost == 0);
    CHECK(b.extendedHighestSeq == 599);
    CHECK(b.lastSr == 1);
    CHECK(b.delaySinceLastSr == 2);
}

TEST_CASE("reception stats: loss and fraction lost per interval", "[reception_stats]") {
    ReceptionStats s;
    for (std::uint16_t i = 0; i < 100; ++i)
        if (i % 10 != 5) s.onPacket(i, i * 160u, i * 160u);
    CHECK(s.cumulativeLost() == 10);
    auto b = s.makeReportBlock(1, 0, 0);
    CHECK(b.fractionLost == 10 * 256 / 100);
    CHECK(b.cumulativeLost == 10);
    // next interval without loss
    for (std::uint16_t i = 100; i < 150; ++i) s.onPacket(i, i * 160u, i * 160u);
    b = s.makeReportBlock(1, 0, 0);
    CHECK(b.fractionLost == 0);
    CHECK(b.cumulativeLost == 10);
}

TEST_CASE("reception stats: sequence wrap counts cycles", "[reception_stats]") {
    ReceptionStats s;
    std::uint16_t seq = 65530;
    for (int i = 0; i < 20; ++i)
        s.onPacket(seq++, static_cast<std::uint32_t>(i) * 160u,
                   static_cast<std::uint32_t>(i) * 160u);
    CHECK(s.extendedHighestSeq() == 65536u + 13u);
    CHECK(s.expected() == 20);
    CHECK(s.cumulativeLost() == 0);
}

TEST_CASE("reception stats: duplicates and reordering", "[reception_stats]") {
    ReceptionStats s;
    s.onPacket(10, 0, 0);
    s.onPacket(12, 320, 320);
    s.onPacket(11, 160, 330);  // late: does not move the highest
    s.onPacket(12, 320, 340);  // duplicate
    CHECK(s.extendedHighestSeq() == 12);
    CHECK(s.cumulativeLost() == -1);  // RFC 3550: duplicates can make it negative
}

TEST_CASE("reception stats: a big jump is believed only when confirmed", "[reception_stats]") {
    ReceptionStats s;
    for (std::uint16_t i = 0; i < 10; ++i) s.onPacket(i, 0, 0);
    CHECK_FALSE(s.onPacket(30000, 0, 0));
    CHECK(s.extendedHighestSeq() == 9);
    CHECK(s.onPacket(30001, 0, 0));  // the sequence continues from the jump: restart
    CHECK(s.extendedHighestSeq() == 30001);
    CHECK(s.expected() == 1);
}

TEST_CASE("reception stats: interarrival jitter follows RFC 3550 A.8", "[reception_stats]") {
    ReceptionStats s;
    // transit alternates by 80 units: |D| = 80 every packet, J converges to 80
    for (std::uint32_t i = 0; i < 500; ++i)
        s.onPacket(static_cast<std::uint16_t>(i), i * 160, i * 160 + (i % 2 ? 80 : 0));
    CHECK(s.jitter() >= 75);
    CHECK(s.jitter() <= 80);
    ReceptionStats steady;
    for (std::uint32_t i = 0; i < 100; ++i)
        steady.onPacket(static_cast<std::uint16_t>(i), i * 160, 5000 + i * 160);
    CHECK(steady.jitter() == 0);
    // event packets (timing=false) do not disturb it
    steady.onPacket(100, 0, 999999, false);
    CHECK(steady.jitter() == 0);
}

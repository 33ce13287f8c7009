// G.711 against the ITU-T reference values: known code points, symmetry, round trips of
// every code, and the quantisation error bound over every 16-bit input.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ms/rtp/g711.hpp"

using namespace parley::ms::rtp;

TEST_CASE("g711: known mu-law code points", "[g711]") {
    CHECK(ulawToLinear(0xFF) == 0);
    CHECK(ulawToLinear(0x7F) == 0);
    CHECK(ulawToLinear(0x80) == 32124);
    CHECK(ulawToLinear(0x00) == -32124);
    CHECK(ulawToLinear(0xFE) == 8);
    CHECK(ulawToLinear(0xF0) == 120);
    CHECK(ulawToLinear(0xEF) == 132);
    CHECK(linearToUlaw(0) == 0xFF);
    CHECK(linearToUlaw(-1) == 0x7F);  // one's complement: negative zero
    CHECK(linearToUlaw(32767) == 0x80);
    CHECK(linearToUlaw(-32768) == 0x00);
    CHECK(linearToUlaw(8) == 0xFE);
    CHECK(g711Silence(G711Law::Ulaw) == 0xFF);
}

TEST_CASE("g711: known A-law code points", "[g711]") {
    CHECK(alawToLinear(0xD5) == 8);
    CHECK(alawToLinear(0x55) == -8);
    CHECK(alawToLinear(0xAA) == 32256);
    CHECK(alawToLinear(0x2A) == -32256);
    CHECK(alawToLinear(0xD4) == 24);
    CHECK(linearToAlaw(0) == 0xD5);
    CHECK(linearToAlaw(-1) == 0x55);
    CHECK(linearToAlaw(32767) == 0xAA);
    CHECK(linearToAlaw(-32768) == 0x2A);
    CHECK(g711Silence(G711Law::Alaw) == 0xD5);
}

TEST_CASE("g711: decoding is sign-symmetric and monotonic", "[g711]") {
    for (int c = 0; c < 128; ++c) {
        const auto pos = static_cast<std::uint8_t>(c | 0x80);
        const auto neg = static_cast<std::uint8_t>(c);
        CHECK(ulawToLinear(pos) == -ulawToLinear(neg));
        CHECK(alawToLinear(pos) == -alawToLinear(neg));
    }
    // mu-law: magnitude grows as the (inverted) code falls
    for (int c = 0xFF; c > 0x80; --c)
        CHECK(ulawToLinear(static_cast<std::uint8_t>(c - 1)) >
              ulawToLinear(static_cast<std::uint8_t>(c)));
    // A-law: magnitude grows with the code after removing the even-bit inversion
    for (int m = 0; m < 127; ++m) {
        const auto a = static_cast<std::uint8_t>((0x80 | m) ^ 0x55);
        const auto b = static_cast<std::uint8_t>((0x80 | (m + 1)) ^ 0x55);
        CHECK(alawToLinear(b) > alawToLinear(a));
    }
}

TEST_CASE("g711: every code survives decode then encode", "[g711]") {
    for (int c = 0; c < 256; ++c) {
        const auto code = static_cast<std::uint8_t>(c);
        CHECK(linearToAlaw(alawToLinear(code)) == code);
        if (code == 0x7F) {
            CHECK(linearToUlaw(ulawToLinear(code)) == 0xFF);  // both zeros decode to 0
        } else {
            CHECK(linearToUlaw(ulawToLinear(code)) == code);
        }
    }
}

TEST_CASE("g711: quantisation error is within half a step for every input", "[g711]") {
    int worstU = 0, worstA = 0;
    for (int x = -32768; x <= 32767; ++x) {
        const auto s = static_cast<std::int16_t>(x);
        const int eu = std::abs(ulawToLinear(linearToUlaw(s)) - x);
        const int ea = std::abs(alawToLinear(linearToAlaw(s)) - x);
        const int bound = std::max(16, std::abs(x) / 16 + 1);
        if (eu > bound || ea > bound) {
            FAIL_CHECK("x=" << x << " mu-law err " << eu << " A-law err " << ea);
            break;
        }
        worstU = std::max(worstU, eu);
        worstA = std::max(worstA, ea);
    }
    CHECK(worstU <= 1024);
    CHECK(worstA <= 1024);
}

TEST_CASE("g711: frame encode and decode of 160 samples", "[g711]") {
    std::array<std::int16_t, kG711FrameSamples> pcm{};
    for (std::size_t i = 0; i < pcm.size(); ++i)
        pcm[i] = static_cast<std::int16_t>(
            10000 * std::sin(2 * M_PI * 1000.0 * static_cast<double>(i) / 8000.0));
    for (auto law : {G711Law::Ulaw, G711Law::Alaw}) {
        std::array<std::uint8_t, kG711FrameSamples> enc{};
        std::array<std::int16_t, kG711FrameSamples> dec{};
        REQUIRE(g711Encode(law, pcm, enc) == 160);
        REQUIRE(g711Decode(law, enc, dec) == 160);
        for (std::size_t i = 0; i < pcm.size(); ++i) {
            CHECK(enc[i] == (law == G711Law::Ulaw ? linearToUlaw(pcm[i]) : linearToAlaw(pcm[i])));
            CHECK(std::abs(dec[i] - pcm[i]) <= std::max(16, std::abs(pcm[i]) / 16 + 1));
        }
        // shorter output: only what fits
        std::array<std::uint8_t, 10> small{};
        CHECK(g711Encode(law, pcm, small) == 10);
    }
}

// G.711 of the test tools: known code points, idempotence, quantization error bounds, and
// (when sox is installed) agreement with sox's decoder, which the project did not write.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "tests/support/media/g711.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::test;

TEST_CASE("test_media: g711: known code points decode to the G.711 values", "[g711]") {
    CHECK(muLawDecode(0xFF) == 0);
    CHECK(muLawDecode(0x80) == 32124);
    CHECK(muLawDecode(0x00) == -32124);
    CHECK(muLawDecode(0xFE) == 8);
    CHECK(muLawDecode(0x7E) == -8);
    CHECK(aLawDecode(0xD5) == 8);
    CHECK(aLawDecode(0x55) == -8);
    CHECK(aLawDecode(0xAA) == 32256);
    CHECK(aLawDecode(0x2A) == -32256);
    CHECK(muLawEncode(0) == 0xFF);
    CHECK(aLawEncode(0) == 0xD5);
    CHECK(muLawEncode(32767) == 0x80);
    CHECK(muLawEncode(-32768) == 0x00);
    CHECK(aLawEncode(32767) == 0xAA);
    CHECK(aLawEncode(-32768) == 0x2A);
    CHECK(g711SilenceCode(G711Law::kMuLaw) == 0xFF);
    CHECK(g711Decode(G711Law::kALaw, g711SilenceCode(G711Law::kALaw)) == 8);
    CHECK(payloadTypeOf(G711Law::kMuLaw) == 0);
    CHECK(payloadTypeOf(G711Law::kALaw) == 8);
    CHECK(encodingNameOf(G711Law::kALaw) == "PCMA");
}

TEST_CASE("test_media: g711: every code re-encodes to itself", "[g711]") {
    for (int c = 0; c < 256; ++c) {
        auto code = static_cast<std::uint8_t>(c);
        if (code != 0x7F) CHECK(muLawEncode(muLawDecode(code)) == code);  // 0x7F is mu-law's -0
        CHECK(aLawEncode(aLawDecode(code)) == code);
    }
}

TEST_CASE("test_media: g711: decoding is monotonic and quantization error stays within half a step", "[g711]") {
    for (auto law : {G711Law::kMuLaw, G711Law::kALaw}) {
        int worst = 0;
        int prev = -40000;
        for (int x = -32768; x <= 32767; ++x) {
            int y = g711Decode(law, g711Encode(law, static_cast<std::int16_t>(x)));
            REQUIRE(y >= prev);  // a larger input never decodes smaller
            prev = y;
            int err = std::abs(y - x);
            int magnitude = std::abs(x);
            if (magnitude < 32000) {  // beyond that both laws clip
                // Step size is at most 1/16 of the magnitude (plus the smallest step).
                if (err > 8 + magnitude / 16) FAIL("law " << int(law) << " x=" << x << " y=" << y);
            }
            worst = std::max(worst, err);
        }
        CHECK(worst <= 1024);
    }
}

TEST_CASE("test_media: g711: a tone survives both laws with about 35 dB of SNR", "[g711]") {
    auto pcm = makeTone(1000, -20, 1.0);
    for (auto law : {G711Law::kMuLaw, G711Law::kALaw}) {
        auto back = g711Decode(law, g711Encode(law, pcm));
        REQUIRE(back.size() == pcm.size());
        double signal = 0, noise = 0;
        for (std::size_t i = 0; i < pcm.size(); ++i) {
            signal += double(pcm[i]) * pcm[i];
            noise += double(back[i] - pcm[i]) * (back[i] - pcm[i]);
        }
        CHECK(10 * std::log10(signal / noise) > 35);
    }
}

TEST_CASE("test_media: g711: decoding agrees with sox", "[g711][sox]") {
    if (!haveProgram("sox")) PARLEY_SKIP("sox is not installed");
    TempDir dir;
    std::vector<std::uint8_t> all(256);
    for (int c = 0; c < 256; ++c) all[c] = static_cast<std::uint8_t>(c);
    for (auto law : {G711Law::kMuLaw, G711Law::kALaw}) {
        auto in = dir.path() / "codes.raw";
        auto out = dir.path() / "linear.raw";
        {
            std::ofstream f(in, std::ios::binary);
            f.write(reinterpret_cast<const char*>(all.data()), 256);
        }
        std::string cmd = std::string("sox -t ") + (law == G711Law::kMuLaw ? "ul" : "al") +
                          " -r 8000 -c 1 " + in.string() + " -t s16 -e signed-integer -b 16 -L " +
                          out.string() + " 2>/dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
        std::ifstream f(out, std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
        REQUIRE(bytes.size() == 512);
        for (int c = 0; c < 256; ++c) {
            auto lo = static_cast<unsigned char>(bytes[2 * c]);
            auto hi = static_cast<unsigned char>(bytes[2 * c + 1]);
            auto sox = static_cast<std::int16_t>(lo | (hi << 8));
            INFO("law " << int(law) << " code " << c);
            CHECK(g711Decode(law, static_cast<std::uint8_t>(c)) == sox);
        }
    }
}

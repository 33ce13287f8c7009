// Speex resampling of whole buffers: output length, alignment and a tone keeping its pitch.

#include <catch2/catch.hpp>

#include <cmath>

#include "audio_test_util.hpp"
#include "ms/ivr/resampler.hpp"

using namespace parley::ms::ivr;
using namespace parley::test::audio;

namespace {

std::vector<std::int16_t> pcm(const std::vector<double>& v) {
    std::vector<std::int16_t> out;
    for (double x : v) out.push_back(static_cast<std::int16_t>(std::lrint(x * 32767)));
    return out;
}

}  // namespace

TEST_CASE("ivr_audio: resample gives round(n * to / from) samples", "[ivr_audio][resample]") {
    const std::pair<std::uint32_t, std::uint32_t> pairs[] = {
        {16000, 8000}, {44100, 8000}, {48000, 8000}, {8000, 16000},
        {8000, 48000}, {22050, 8000}, {11025, 8000}, {32000, 8000}};
    for (auto [from, to] : pairs) {
        for (std::size_t n : {std::size_t{1}, std::size_t{7}, std::size_t{160}, std::size_t{44100},
                              std::size_t{100003}}) {
            INFO(from << " -> " << to << " n=" << n);
            const std::vector<std::int16_t> in(n, 1000);
            const auto out = resample(in, from, to);
            CHECK(out.size() == (n * to + from / 2) / from);
        }
    }
}

TEST_CASE("ivr_audio: a 1 kHz tone keeps its frequency through resampling",
          "[ivr_audio][resample]") {
    for (std::uint32_t from : {16000u, 44100u, 48000u, 22050u}) {
        INFO("from " << from);
        const auto in = pcm(tone(1000, from, from * 2));  // two seconds
        const auto out = resample(in, from, 8000);
        REQUIRE(out.size() == 16000);
        const auto mid = std::span(out).subspan(400, 15200);  // 1.9 s away from the edges
        CHECK(toneShare(mid, 1000, 8000) > 0.95);
        CHECK(toneShare(mid, 1100, 8000) < 0.05);
        // 1 kHz crosses zero 2000 times a second
        const double perSecond = zeroCrossings(mid) / 1.9;
        CHECK(perSecond == Approx(2000).epsilon(0.01));
        // amplitude preserved (0.5 full scale, about 16384)
        int peak = 0;
        for (std::int16_t s : mid) peak = std::max(peak, std::abs(int(s)));
        CHECK(peak == Approx(16384).epsilon(0.06));
    }
    // Upsampling too: 8 kHz -> 48 kHz
    const auto up = resample(pcm(tone(1000, 8000, 8000)), 8000, 48000);
    REQUIRE(up.size() == 48000);
    CHECK(toneShare(std::span(up).subspan(2400, 43200), 1000, 48000) > 0.95);
}

TEST_CASE("ivr_audio: resample is aligned (no filter delay left in)", "[ivr_audio][resample]") {
    // An impulse at input sample 1600 (100 ms at 16 kHz) must peak near output sample 800.
    std::vector<std::int16_t> in(3200, 0);
    in[1600] = 30000;
    const auto out = resample(in, 16000, 8000);
    REQUIRE(out.size() == 1600);
    std::size_t peakAt = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (std::abs(out[i]) > std::abs(out[peakAt])) peakAt = i;
    }
    CHECK(std::abs(static_cast<long>(peakAt) - 800) <= 2);
}

TEST_CASE("ivr_audio: resample edge cases", "[ivr_audio][resample]") {
    const std::vector<std::int16_t> in = {1, 2, 3, 4};
    CHECK(resample(in, 8000, 8000) == in);
    CHECK(resample({}, 16000, 8000).empty());
    CHECK(resample(in, 0, 8000).empty());
    CHECK(resample(in, 8000, 0).empty());
}

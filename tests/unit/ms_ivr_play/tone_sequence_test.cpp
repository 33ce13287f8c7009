// ToneSequence: DTMF pairs at their frequencies and level (dBm0, G.711 reference), the
// interval silence, totals, the beep, and digit filtering.
#include <catch2/catch.hpp>

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "ms/ivr/tone_generator.hpp"
#include "tests/support/media/tone_analysis.hpp"

using namespace parley::ms;
using namespace parley::ms::ivr;
using namespace std::chrono_literals;

namespace {

std::vector<std::int16_t> drain(ToneSequence& t, std::size_t* frames = nullptr) {
    std::vector<std::int16_t> out;
    media::AudioFrame f;
    std::size_t n = 0;
    while (t.fill(f)) {
        out.insert(out.end(), f.samples.begin(), f.samples.begin() + f.count);
        ++n;
    }
    if (frames) *frames = n;
    return out;
}

// dBm0 of a component, from the test tools' dBFS (full-scale sine 32767 = 0 dBFS).
double levelDbm0(std::span<const std::int16_t> s, double hz) {
    const double dbfs = parley::test::toneDbfs(s, hz);
    return dbfs + 20 * std::log10(32767.0 / dbm0ToPeak(0));
}

const std::vector<double> kAllDtmf = {697, 770, 852, 941, 1209, 1336, 1477, 1633};

}  // namespace

TEST_CASE("ivr_play: 0 dBm0 follows G.711 (full-scale sine = +3.14 dBm0)", "[ivr_play][tone]") {
    CHECK(dbm0ToPeak(3.14) == Approx(32124).epsilon(1e-6));
    CHECK(dbm0ToPeak(0) == Approx(22379).margin(2));
    CHECK(dbm0ToPeak(-20) == Approx(dbm0ToPeak(0) / 10).epsilon(1e-9));
}

TEST_CASE("ivr_play: every DTMF digit has its two frequencies at the asked level",
          "[ivr_play][tone]") {
    const std::string digits = "0123456789*#ABCD";
    for (int level : {-6, -20, -40}) {
        for (char d : digits) {
            ToneSequence t;
            t.start(std::string(1, d), level, 300ms, 100ms);
            const auto out = drain(t);
            REQUIRE(out.size() == 400 * 8);
            double lo = 0;
            double hi = 0;
            REQUIRE(dtmfFrequencies(d, lo, hi));
            // The steady part of the tone (ramps excluded).
            std::span<const std::int16_t> tone(out.data() + 400, 1600);
            INFO("digit " << d << " level " << level);
            CHECK(levelDbm0(tone, lo) == Approx(level).margin(1.0));
            CHECK(levelDbm0(tone, hi) == Approx(level).margin(1.0));
            for (double other : kAllDtmf) {
                if (other == lo || other == hi) continue;
                CHECK(levelDbm0(tone, other) < level - 30);
            }
        }
    }
}

TEST_CASE("ivr_play: DTMF levels above -3 dBm0 are made at -3 and never clip", "[ivr_play][tone]") {
    ToneSequence t;
    t.start("5", 0, 200ms, 0ms);
    const auto out = drain(t);
    std::span<const std::int16_t> tone(out.data() + 200, 1200);
    CHECK(levelDbm0(tone, 770) == Approx(-3).margin(1.0));
    CHECK(levelDbm0(tone, 1336) == Approx(-3).margin(1.0));
    int peak = 0;
    for (auto s : out) peak = std::max(peak, std::abs(static_cast<int>(s)));
    CHECK(peak < 32767);
    CHECK(peak > 30000);  // the pair does reach near full scale: the cap is tight
}

TEST_CASE("ivr_play: each tone is followed by its interval of silence; total counts both",
          "[ivr_play][tone]") {
    ToneSequence t;
    t.start("123", -6, 100ms, 60ms);
    CHECK(t.total() == 480ms);
    CHECK_FALSE(t.done());
    std::size_t frames = 0;
    const auto out = drain(t, &frames);
    CHECK(frames == 24);  // 480 ms
    CHECK(t.done());
    REQUIRE(out.size() == 480 * 8);
    const double los[] = {697, 697, 697};
    const double his[] = {1209, 1336, 1477};
    for (int i = 0; i < 3; ++i) {
        const std::size_t toneStart = static_cast<std::size_t>(i) * 160 * 8;
        std::span<const std::int16_t> tone(out.data() + toneStart + 40, 720);
        CHECK(levelDbm0(tone, los[i]) == Approx(-6).margin(1.0));
        CHECK(levelDbm0(tone, his[i]) == Approx(-6).margin(1.0));
        // The first and last tone samples are tiny (3 ms ramps, no clicks).
        CHECK(std::abs(out[toneStart]) < 2000);
        CHECK(std::abs(out[toneStart + 799]) < 2000);
        for (std::size_t k = toneStart + 800; k < toneStart + 1280; ++k) {
            REQUIRE(out[k] == 0);
        }
    }
    media::AudioFrame f;
    f.samples[3] = 99;
    CHECK_FALSE(t.fill(f));
    CHECK(f.silent);
    CHECK(f.samples[3] == 0);
}

TEST_CASE("ivr_play: the beep is a 1 kHz tone of the asked length and level", "[ivr_play][tone]") {
    ToneSequence t;
    t.startBeep();
    CHECK(t.total() == 200ms);
    std::size_t frames = 0;
    const auto out = drain(t, &frames);
    CHECK(frames == 10);
    std::span<const std::int16_t> steady(out.data() + 80, 1440);
    CHECK(levelDbm0(steady, 1000) == Approx(-10).margin(1.0));
    CHECK(levelDbm0(steady, 697) < -50);

    ToneSequence quiet;
    quiet.startBeep(100ms, -30);
    const auto q = drain(quiet, &frames);
    CHECK(frames == 5);
    CHECK(levelDbm0(std::span<const std::int16_t>(q.data() + 80, 640), 1000) ==
          Approx(-30).margin(1.0));
}

TEST_CASE("ivr_play: digits outside 0-9*#A-D are left out, a-d accepted, 64 at most",
          "[ivr_play][tone]") {
    ToneSequence t;
    t.start("1x b!", -6, 50ms, 50ms);
    REQUIRE(t.digitCount() == 2);
    CHECK(t.digit(0) == '1');
    CHECK(t.digit(1) == 'B');
    CHECK(t.total() == 200ms);

    ToneSequence many;
    many.start(std::string(100, '7'), -6, 40ms, 40ms);
    CHECK(many.digitCount() == ToneSequence::kMaxDigits);

    ToneSequence none;
    none.start("xyz", -6, 100ms, 100ms);
    CHECK(none.done());
    media::AudioFrame f;
    CHECK_FALSE(none.fill(f));
}

TEST_CASE("ivr_play: render() at any offset gives what fill() plays", "[ivr_play][tone]") {
    ToneSequence t;
    t.start("9#", -10, 70ms, 30ms);
    const auto all = drain(t);
    std::vector<std::int16_t> part(300);
    t.render(333, part);
    for (std::size_t i = 0; i < part.size(); ++i) REQUIRE(part[i] == all[333 + i]);
    t.render(static_cast<std::int64_t>(all.size()) - 10, part);
    for (std::size_t i = 10; i < part.size(); ++i) REQUIRE(part[i] == 0);
}

// FrameCombiner, soft clipping, gains and the automatic gain control.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <limits>

#include "ms/mixer/frame_combiner.hpp"
#include "ms/mixer/gain.hpp"
#include "test_signals.hpp"

using namespace parley::ms::mixer;
using parley::ms::media::AudioFrame;
using parley::test::constantFrame;
using parley::test::sineFrame;

TEST_CASE("mixeng: soft clip is the identity below the knee", "[mixer][combiner]") {
    for (std::int32_t x : {0, 1, -1, 1000, -1000, 20000, -20000, kClipKnee, -kClipKnee}) {
        CHECK(softClip(x) == x);
    }
}

TEST_CASE("mixeng: soft clip is monotonic, symmetric and bounded", "[mixer][combiner]") {
    std::int16_t previous = softClip(kClipKnee);
    for (std::int32_t x = kClipKnee + 1; x < 4'000'000; x += 97) {
        const std::int16_t y = softClip(x);
        REQUIRE(y >= previous);
        REQUIRE(y < 32767);
        REQUIRE(softClip(-x) == -y);
        previous = y;
    }
    CHECK(softClip(std::numeric_limits<std::int32_t>::max()) <= 32767);
    CHECK(softClip(std::numeric_limits<std::int32_t>::max()) > 32000);
    CHECK(softClip(std::numeric_limits<std::int32_t>::min() + 1) >= -32767);
    // Slope about 1 just above the knee: no corner.
    CHECK(softClip(kClipKnee + 100) - softClip(kClipKnee) >= 98);
}

TEST_CASE("mixeng: loud sums saturate smoothly instead of wrapping", "[mixer][combiner]") {
    const AudioFrame loud = constantFrame(30000);
    const AudioFrame loudNeg = constantFrame(-30000);
    MixBus bus;
    bus.reset();
    for (int i = 0; i < 4; ++i) FrameCombiner::add(bus, loud, Gain::unity());
    AudioFrame out;
    FrameCombiner::render(bus, out);
    CHECK_FALSE(out.silent);
    for (std::size_t i = 0; i < out.count; ++i) {
        REQUIRE(out.samples[i] > kClipKnee);  // int16 wrap would have made this negative
        REQUIRE(out.samples[i] < 32767);
    }
    bus.reset();
    for (int i = 0; i < 4; ++i) FrameCombiner::add(bus, loudNeg, Gain::fromDb(24));
    FrameCombiner::render(bus, out);
    for (std::size_t i = 0; i < out.count; ++i) {
        REQUIRE(out.samples[i] < -kClipKnee);
        REQUIRE(out.samples[i] > -32767);
    }
}

TEST_CASE("mixeng: subtract is the exact inverse of add", "[mixer][combiner]") {
    const AudioFrame a = sineFrame(440, 12000);
    const AudioFrame b = sineFrame(1000, 9000, 7);
    for (double db : {0.0, -3.0, 6.0, -17.5, 11.0}) {
        MixBus bus;
        bus.reset();
        FrameCombiner::add(bus, a, Gain::unity());
        MixBus before = bus;
        FrameCombiner::add(bus, b, Gain::fromDb(db));
        FrameCombiner::subtract(bus, b, Gain::fromDb(db));
        for (std::size_t i = 0; i < bus.count; ++i) REQUIRE(bus.samples[i] == before.samples[i]);
    }
}

TEST_CASE("mixeng: gains of +6 and -6 dB double and halve", "[mixer][combiner]") {
    CHECK(Gain::fromDb(0).isUnity());
    CHECK(std::abs(Gain::fromDb(6).toDb() - 6.0) < 0.01);
    const AudioFrame f = constantFrame(1000);
    MixBus bus;
    bus.reset();
    FrameCombiner::add(bus, f, Gain::fromDb(6.0));
    CHECK(bus.samples[0] == 1995);  // 1000 * 10^(6/20) = 1995.26
    bus.reset();
    FrameCombiner::add(bus, f, Gain::fromDb(-6.0));
    CHECK(bus.samples[0] == 501);  // 1000 * 10^(-6/20) = 501.19
    bus.reset();
    FrameCombiner::add(bus, f, Gain::fromDb(-6.0206));
    CHECK(bus.samples[0] == 500);
}

TEST_CASE("mixeng: gain limits", "[mixer][combiner]") {
    CHECK(Gain::fromDb(-200).q14 == 0);
    CHECK(Gain::fromDb(std::numeric_limits<double>::quiet_NaN()).q14 == 0);
    CHECK(Gain::fromDb(100) == Gain::fromDb(kMaxGainDb));
}

TEST_CASE("mixeng: silent frames and empty buses", "[mixer][combiner]") {
    AudioFrame silent;
    MixBus bus;
    bus.reset();
    FrameCombiner::add(bus, silent, Gain::unity());
    CHECK(bus.empty);
    AudioFrame out = constantFrame(5);
    FrameCombiner::render(bus, out);
    CHECK(out.silent);
    CHECK(out.samples[0] == 0);
    CHECK(meanAbs(constantFrame(-300)) == 300);
    CHECK(meanAbs(silent) == 0);

    const AudioFrame a = constantFrame(100);
    const AudioFrame b = constantFrame(-40);
    FrameCombiner::Weighted in[] = {
        {&a, Gain::unity()}, {&b, Gain::unity()}, {nullptr, Gain::unity()}};
    FrameCombiner::combine(in, 3, bus, out);
    CHECK(out.samples[10] == 60);
    CHECK(out.energy == 60);
    CHECK_FALSE(out.silent);
}

TEST_CASE("mixeng: scaled bus addition saturates instead of overflowing", "[mixer][combiner]") {
    MixBus big;
    big.reset();
    big.empty = false;
    big.samples.fill(kBusLimit / 2);
    MixBus out;
    out.reset();
    FrameCombiner::addScaled(out, big, Gain::fromDb(24));
    CHECK(out.samples[0] == kBusLimit);
    AudioFrame rendered;
    FrameCombiner::render(out, rendered);
    CHECK(rendered.samples[0] > 32000);
}

TEST_CASE("mixeng: automatic gain moves toward the target and holds on noise", "[mixer][agc]") {
    AutomaticGain agc(-20.0);                       // mean abs about 3277
    for (int i = 0; i < 200; ++i) agc.update(328);  // -40 dBFS: wants +20, limited to +18
    CHECK(agc.gainDb() == Approx(kAgcRangeDb));
    AutomaticGain down(-20.0);
    for (int i = 0; i < 10; ++i) down.update(32000);
    CHECK(down.gainDb() == Approx(-10 * kAgcStepDb));
    for (int i = 0; i < 200; ++i) down.update(32000);
    CHECK(down.gainDb() == Approx(-kAgcRangeDb));  // wants -19.8, limited to the range
    AutomaticGain mid(-20.0);
    for (int i = 0; i < 100; ++i) mid.update(8000);  // -12.2 dBFS: settles at -7.8 dB
    CHECK(mid.gainDb() == Approx(-20.0 - levelDbfs(8000)).margin(1e-9));
    const double held = down.gainDb();
    for (int i = 0; i < 50; ++i) down.update(10);  // below the noise floor
    CHECK(down.gainDb() == held);
}

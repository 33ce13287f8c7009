// TimeStretch (WSOLA): bit-exact at rate 1, click-free and dip-free on a chirp at other
// rates, pitch kept, input consumed at the rate.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <vector>

#include "ms/ivr/time_stretch.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/unit/ms_ivr_play/test_audio.hpp"

using namespace parley::ms::ivr;

namespace {

class VectorInput : public StretchInput {
  public:
    explicit VectorInput(std::vector<std::int16_t> s) : s_(std::move(s)) {}
    void read(std::int64_t position, std::span<std::int16_t> out) override {
        for (std::size_t i = 0; i < out.size(); ++i) {
            const std::int64_t p = position + static_cast<std::int64_t>(i);
            out[i] = (p >= 0 && p < static_cast<std::int64_t>(s_.size()))
                         ? s_[static_cast<std::size_t>(p)]
                         : std::int16_t{0};
        }
    }
    const std::vector<std::int16_t>& samples() const { return s_; }

  private:
    std::vector<std::int16_t> s_;
};

std::vector<std::int16_t> chirp(double f0, double f1, double seconds, double peak) {
    const std::size_t n = static_cast<std::size_t>(seconds * 8000);
    std::vector<std::int16_t> v(n);
    double phase = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double f = f0 + (f1 - f0) * static_cast<double>(i) / static_cast<double>(n);
        phase += 2 * std::numbers::pi * f / 8000;
        v[i] = static_cast<std::int16_t>(std::lrint(peak * std::sin(phase)));
    }
    return v;
}

int maxStep(const std::vector<std::int16_t>& v, std::size_t from, std::size_t to) {
    int m = 0;
    for (std::size_t i = from + 1; i < to; ++i) m = std::max(m, std::abs(v[i] - v[i - 1]));
    return m;
}

std::vector<std::int16_t> run(TimeStretch& ts, VectorInput& in, std::size_t frames) {
    std::vector<std::int16_t> out(frames * 160);
    for (std::size_t f = 0; f < frames; ++f) {
        ts.produce(in, std::span<std::int16_t>(out.data() + f * 160, 160));
    }
    return out;
}

}  // namespace

TEST_CASE("ivr_play: time-stretch at rate 1 reproduces the input sample for sample",
          "[ivr_play][stretch]") {
    VectorInput in(chirp(100, 3000, 1.0, 12000));
    TimeStretch ts;
    ts.seek(0, &in);
    const auto out = run(ts, in, 50);
    CHECK(out == in.samples());
    CHECK(ts.position() == Approx(8000));
}

TEST_CASE("ivr_play: time-stretch from normal speed to another rate and back is seamless",
          "[ivr_play][stretch]") {
    VectorInput in(chirp(150, 1000, 4.0, 8000));
    const int inputStep = maxStep(in.samples(), 0, in.samples().size());
    TimeStretch ts;
    ts.seek(0, &in);
    auto out = run(ts, in, 20);  // normal speed: the input itself
    CHECK(std::equal(out.begin(), out.end(), in.samples().begin()));
    ts.setRate(1.5);
    auto faster = run(ts, in, 20);
    ts.setRate(1.0);
    auto again = run(ts, in, 20);
    out.insert(out.end(), faster.begin(), faster.end());
    out.insert(out.end(), again.begin(), again.end());
    // No click at either change of rate.
    CHECK(maxStep(out, 0, out.size()) <= inputStep * 5 / 4);
    // Back at normal speed the output is one contiguous run of the input again.
    const auto& src = in.samples();
    auto at = std::search(src.begin(), src.end(), again.begin(), again.begin() + 160);
    REQUIRE(at != src.end());
    const auto from = static_cast<std::size_t>(at - src.begin());
    REQUIRE(from + again.size() <= src.size());
    CHECK(std::equal(again.begin(), again.end(), src.begin() + static_cast<std::ptrdiff_t>(from)));
    CHECK(from == Approx(3200 + 3200 * 1.5).margin(TimeStretch::kSearch + TimeStretch::kHop));
}

TEST_CASE("ivr_play: time-stretch of a chirp has no clicks and no dips", "[ivr_play][stretch]") {
    const double peak = 8000;
    VectorInput in(chirp(150, 1000, 6.0, peak));
    const int inputStep = maxStep(in.samples(), 0, in.samples().size());
    for (double rate : {0.5, 0.8, 1.25, 1.5, 2.0}) {
        INFO("rate " << rate);
        TimeStretch ts;
        ts.seek(0, &in);
        ts.setRate(rate);
        const std::size_t frames = static_cast<std::size_t>(5.5 / rate * 50);
        const auto out = run(ts, in, std::min<std::size_t>(frames, 250));
        // Sample-to-sample jumps stay those of a clean sine at the chirp's frequencies.
        CHECK(maxStep(out, 0, out.size()) <= inputStep * 5 / 4);
        // No 10 ms window falls much below the chirp's level (phase-aligned overlaps).
        const double expected = 20 * std::log10(peak / std::sqrt(2.0) / 32768.0);
        double lowest = 0;
        for (std::size_t w = 160; w + 80 <= out.size(); w += 80) {
            lowest = std::min(lowest, testaudio::rmsDb(out.data() + w, 80));
        }
        CHECK(lowest > expected - 2.0);
        CHECK(ts.position() == Approx(static_cast<double>(out.size()) * rate).margin(1));
    }
}

TEST_CASE("ivr_play: time-stretch keeps a 440 Hz tone at 440 Hz", "[ivr_play][stretch]") {
    VectorInput in(testaudio::sine(440, 10000, 8000 * 8));
    for (double rate : {0.5, 1.5, 2.0}) {
        TimeStretch ts;
        ts.seek(0, &in);
        ts.setRate(rate);
        const auto out = run(ts, in, 100);
        std::span<const std::int16_t> s(out.data() + 1600, 12800);
        const double at440 = parley::test::toneDbfs(s, 440);
        const double shifted = parley::test::toneDbfs(s, 440 * rate);
        const double original = 20 * std::log10(10000.0 / 32767.0);
        INFO("rate " << rate << " 440: " << at440 << " shifted: " << shifted);
        CHECK(at440 == Approx(original).margin(1.0));
        CHECK(shifted < original - 30);
    }
}

TEST_CASE("ivr_play: rate is clamped to 0.5..2 and a seek cross-fades", "[ivr_play][stretch]") {
    TimeStretch ts;
    ts.setRate(5);
    CHECK(ts.rate() == 2.0);
    ts.setRate(0.1);
    CHECK(ts.rate() == 0.5);
    ts.setRate(1.0);

    std::vector<std::int16_t> s(16000, 1000);
    std::fill(s.begin() + 8000, s.end(), std::int16_t{3000});
    VectorInput in(s);
    ts.seek(0, &in);
    auto out = run(ts, in, 2);
    CHECK(out[0] == 1000);
    ts.seek(8000, nullptr);
    out = run(ts, in, 1);
    // The old level fades out while the new one fades in, monotonically, over 10 ms.
    for (std::size_t i = 1; i < 80; ++i) REQUIRE(out[i] >= out[i - 1]);
    CHECK(out[0] < 1100);
    CHECK(out[79] > 2900);
    for (std::size_t i = 80; i < 160; ++i) REQUIRE(out[i] == 3000);
    CHECK(ts.position() == Approx(8160));
}

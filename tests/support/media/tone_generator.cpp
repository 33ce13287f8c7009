#include "tests/support/media/tone_generator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace parley::test {

double amplitudeForDbfs(double dbfs) {
    return 32767.0 * std::pow(10.0, dbfs / 20.0);
}

ToneGenerator::ToneGenerator(std::vector<ToneSpec> tones, int sampleRate)
    : tones_(std::move(tones)),
      phase_(tones_.size(), 0.0),
      sampleRate_(sampleRate > 0 ? sampleRate : kSampleRate) {}

void ToneGenerator::generate(std::size_t count, std::vector<std::int16_t>& out) {
    out.reserve(out.size() + count);
    constexpr double kTwoPi = 2.0 * std::numbers::pi;
    for (std::size_t i = 0; i < count; ++i) {
        double v = 0;
        for (std::size_t t = 0; t < tones_.size(); ++t) {
            v += amplitudeForDbfs(tones_[t].levelDbfs) * std::sin(phase_[t]);
            phase_[t] += kTwoPi * tones_[t].frequencyHz / sampleRate_;
            if (phase_[t] >= kTwoPi) phase_[t] -= kTwoPi * std::floor(phase_[t] / kTwoPi);
        }
        v = std::clamp(std::round(v), -32768.0, 32767.0);
        out.push_back(static_cast<std::int16_t>(v));
    }
}

std::vector<std::int16_t> ToneGenerator::next(std::size_t count) {
    std::vector<std::int16_t> out;
    generate(count, out);
    return out;
}

std::vector<std::int16_t> makeTones(const std::vector<ToneSpec>& tones, double seconds,
                                    int sampleRate) {
    ToneGenerator gen(tones, sampleRate);
    auto count = static_cast<std::size_t>(std::max(0.0, std::round(seconds * sampleRate)));
    return gen.next(count);
}

std::vector<std::int16_t> makeTone(double frequencyHz, double levelDbfs, double seconds,
                                   int sampleRate) {
    return makeTones({{frequencyHz, levelDbfs}}, seconds, sampleRate);
}

std::vector<std::uint8_t> makeG711Tone(G711Law law, double frequencyHz, double levelDbfs,
                                       double seconds) {
    auto pcm = makeTone(frequencyHz, levelDbfs, seconds);
    return g711Encode(law, pcm);
}

}  // namespace parley::test

#pragma once
// Synthetic 20 ms frames for the mixer tests: constants, sines, ramps, and exact expected sums.
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include "ms/media/audio_frame.hpp"
#include "ms/mixer/frame_combiner.hpp"
#include "ms/mixer/gain.hpp"

namespace parley::test {

using media_frame = parley::ms::media::AudioFrame;

inline media_frame constantFrame(std::int16_t value) {
    media_frame f;
    for (std::size_t i = 0; i < f.count; ++i) f.samples[i] = value;
    f.silent = false;
    return f;
}

// A sine of `hz` at 8 kHz with the given peak, starting at sample offset `phase`.
inline media_frame sineFrame(double hz, double peak, std::size_t phase = 0) {
    media_frame f;
    for (std::size_t i = 0; i < f.count; ++i) {
        const double t = static_cast<double>(i + phase) / 8000.0;
        f.samples[i] = static_cast<std::int16_t>(std::lround(peak * std::sin(2.0 * M_PI * hz * t)));
    }
    f.silent = false;
    return f;
}

// Normalized correlation of two frames (1 = same shape).
inline double correlation(const media_frame& a, const media_frame& b) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i < a.count; ++i) {
        ab += double(a.samples[i]) * b.samples[i];
        aa += double(a.samples[i]) * a.samples[i];
        bb += double(b.samples[i]) * b.samples[i];
    }
    if (aa == 0 || bb == 0) return 0;
    return ab / std::sqrt(aa * bb);
}

struct Term {
    const media_frame* frame;
    double gainDb;
};

// The exact expected output for a sum of weighted frames that stays below the clip knee.
inline media_frame expectedSum(std::initializer_list<Term> terms) {
    using namespace parley::ms::mixer;
    media_frame f;
    for (std::size_t i = 0; i < f.count; ++i) {
        std::int32_t v = 0;
        for (const Term& t : terms)
            v += FrameCombiner::weigh(t.frame->samples[i], Gain::fromDb(t.gainDb));
        f.samples[i] = softClip(v);
    }
    f.silent = false;
    return f;
}

inline bool sameSamples(const media_frame& a, const media_frame& b) {
    if (a.count != b.count) return false;
    for (std::size_t i = 0; i < a.count; ++i) {
        if (a.samples[i] != b.samples[i]) return false;
    }
    return true;
}

}  // namespace parley::test

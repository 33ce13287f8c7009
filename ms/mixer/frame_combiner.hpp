#pragma once
// Combining 20 ms frames: weighted sums in a wide accumulator, then one soft clip.
//
// MixBus is an int32 accumulator the size of an AudioFrame. FrameCombiner adds and subtracts
// weighted int16 frames into it and renders it back to int16 through a soft clipper, so loud
// sums saturate smoothly instead of wrapping around.
//
// Contracts:
// - add() and subtract() weight a sample identically, so add(f, g) then subtract(f, g) leaves
//   a bus exactly as it was: the N-1 mix relies on it.
// - Bus values stay within +-kBusLimit: addScaled() saturates there. A weighted frame sample
//   is at most 32768 * 10^(24/20) < 2^20, so 1024 frames can be summed before saturation can
//   occur; conferences are limited well below that (see join_graph.hpp).
// - The soft clipper is the identity up to kClipKnee, then bends smoothly (slope 1 at the
//   knee, monotonic) toward full scale and never reaches it; output is always in int16.
// - Nothing here allocates; every function is O(samples).
// - Frames in one bus share one sample count and rate; the first frame added sets them.

#include <array>
#include <cstddef>
#include <cstdint>

#include "ms/media/audio_frame.hpp"
#include "ms/mixer/gain.hpp"

namespace parley::ms::mixer {

inline constexpr std::int32_t kBusLimit = 1 << 30;
inline constexpr std::int32_t kClipKnee = 24576;  // about -2.5 dBFS

struct MixBus {
    std::array<std::int32_t, media::AudioFrame::kMaxSamples> samples{};
    std::size_t count = media::kNarrowbandSamples;
    std::uint32_t sampleRate = media::kNarrowbandRate;
    bool empty = true;  // nothing added since reset(): all zeros

    void reset(std::size_t sampleCount = media::kNarrowbandSamples,
               std::uint32_t rate = media::kNarrowbandRate);
};

// The soft-clip curve on one sample.
std::int16_t softClip(std::int32_t x);

// Mean absolute amplitude of a frame (0 for a silent one), as AudioFrame::energy defines it.
std::uint32_t meanAbs(const media::AudioFrame& frame);
std::uint32_t meanAbs(const MixBus& bus);

class FrameCombiner {
  public:
    // bus += gain * frame (silent frames and zero gain add nothing).
    static void add(MixBus& bus, const media::AudioFrame& frame, Gain gain);
    // bus -= gain * frame, the exact inverse of add().
    static void subtract(MixBus& bus, const media::AudioFrame& frame, Gain gain);
    // bus += gain * other, saturating at +-kBusLimit.
    static void addScaled(MixBus& bus, const MixBus& other, Gain gain);
    // out = softClip(bus); sets count, rate, silent (bus empty), energy. speech is cleared.
    static void render(const MixBus& bus, media::AudioFrame& out);
    // Convenience: out = softClip(sum of gain_i * frame_i) for a small fixed set of frames.
    struct Weighted {
        const media::AudioFrame* frame;
        Gain gain;
    };
    static void combine(const Weighted* inputs, std::size_t n, MixBus& scratch,
                        media::AudioFrame& out);

    // Weighted value of one sample, shared by add() and subtract().
    static std::int32_t weigh(std::int16_t sample, Gain gain) {
        const std::int64_t p = static_cast<std::int64_t>(sample) * gain.q14;
        return static_cast<std::int32_t>((p + (1 << (kGainShift - 1))) >> kGainShift);
    }
};

}  // namespace parley::ms::mixer

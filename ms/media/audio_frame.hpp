#pragma once
// The unit of audio inside parley-ms: 20 ms of mono 16-bit linear PCM.
//
// Everything between RTP decoding and RTP encoding (jitter buffer output, mixing, IVR
// playback and recording) moves AudioFrames. The mix runs at 8 kHz today; the sample rate is
// a field so that a wideband mixer can replace the narrowband one behind the same interfaces
// (AudioFrame::kMaxSamples leaves room for 48 kHz).
//
// AudioFrame is a fixed-size value: copying it never allocates, so frames can live in
// preallocated per-leg buffers on the 20 ms path.

#include <array>
#include <cstddef>
#include <cstdint>

namespace parley::ms::media {

inline constexpr int kFrameMs = 20;
inline constexpr int kNarrowbandRate = 8000;
inline constexpr std::size_t kNarrowbandSamples = kNarrowbandRate * kFrameMs / 1000;  // 160

struct AudioFrame {
    static constexpr std::size_t kMaxSamples = 48000 * kFrameMs / 1000;  // 960

    std::array<std::int16_t, kMaxSamples> samples{};
    std::uint32_t sampleRate = kNarrowbandRate;
    std::size_t count = kNarrowbandSamples;  // valid samples in `samples`
    bool silent = true;    // no audio (lost, muted, nothing to play): samples are zeros
    bool speech = false;   // voice activity detected in this frame (set by whoever analyses it)
    std::uint32_t energy = 0;  // mean absolute amplitude, 0..32768 (filled by analysis)

    void clear() {
        samples.fill(0);
        silent = true;
        speech = false;
        energy = 0;
    }
};

}  // namespace parley::ms::media

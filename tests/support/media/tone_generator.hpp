#pragma once
// Test audio: sine tones at a given frequency and level, alone or summed, as 16-bit PCM
// or G.711 bytes.
//
// Levels are dBFS with a full-scale sine at 0 dBFS: a tone at L dBFS has a peak amplitude
// of 32767 * 10^(L/20) (-20 dBFS peaks at 3277). The same convention is used by
// tone_analysis.hpp, so a generated tone measures at the level it was asked for.
//
// ToneGenerator keeps its phase between calls, so consecutive frames join without clicks;
// it is a value type with no sharing and no threads.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/support/media/g711.hpp"

namespace parley::test {

inline constexpr int kSampleRate = 8000;
inline constexpr std::size_t kSamplesPer20Ms = 160;

struct ToneSpec {
    double frequencyHz = 0;
    double levelDbfs = -20;
};

// Peak amplitude of a sine at `dbfs` (full-scale sine = 0 dBFS).
double amplitudeForDbfs(double dbfs);

class ToneGenerator {
  public:
    ToneGenerator() = default;  // silence
    explicit ToneGenerator(std::vector<ToneSpec> tones, int sampleRate = kSampleRate);

    // Appends `count` samples (sum of the tones, clipped to int16) to `out`.
    void generate(std::size_t count, std::vector<std::int16_t>& out);
    std::vector<std::int16_t> next(std::size_t count);

    const std::vector<ToneSpec>& tones() const { return tones_; }
    bool silent() const { return tones_.empty(); }

  private:
    std::vector<ToneSpec> tones_;
    std::vector<double> phase_;  // radians, per tone
    int sampleRate_ = kSampleRate;
};

// One-shot helpers.
std::vector<std::int16_t> makeTone(double frequencyHz, double levelDbfs, double seconds,
                                   int sampleRate = kSampleRate);
std::vector<std::int16_t> makeTones(const std::vector<ToneSpec>& tones, double seconds,
                                    int sampleRate = kSampleRate);
std::vector<std::uint8_t> makeG711Tone(G711Law law, double frequencyHz, double levelDbfs,
                                       double seconds);

}  // namespace parley::test

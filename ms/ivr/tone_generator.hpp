#pragma once
// Tones the IVR plays itself: DTMF digit sequences (RFC 6231 <dtmf>) and the beep that
// precedes a recording (RFC 6231 <record beep="true">).
//
// Levels (dBm0). The level of a <dtmf> is the level of EACH of the two frequencies of a
// digit, as ITU-T Q.23/Q.24 specify DTMF power per frequency. The 0 dBm0 reference is the
// one G.711 defines: a sine that just reaches the mu-law coder's full scale (peak 32124 in
// 16-bit linear, the largest value the G.711 decoder produces) is +3.14 dBm0, so a 0 dBm0
// sine has a peak of 32124 * 10^(-3.14/20) = 22379 (rms 15824). dbm0ToPeak() gives the
// peak of a sine at any level. Two tones at more than -3 dBm0 each would overflow the
// 16-bit range when their peaks coincide, so DTMF levels above -3 dBm0 are generated at
// -3 dBm0 (the RFC's default is -6 dBm0; Q.24 receivers accept roughly 0..-25 dBm0 per
// tone). A beep is a single sine and may go up to 0 dBm0. Levels below -96 are -96.
//
// Timing: each digit is `duration` of tone followed by `interval` of silence (the RFC's
// interval follows each tone, the last one included), so total() = digits * (duration +
// interval). Every tone starts at phase 0 and has a 3 ms raised-cosine rise and fall, so
// tones start and stop without clicks and still measure at their level. Accepted digits:
// 0-9 * # A-D (a-d too); anything else is left out, and at most kMaxDigits are kept.
//
// Threads: a ToneSequence is set up with start()/startBeep() and then used by one thread.
// fill() and render() never allocate, lock or throw; they are usable on the media worker.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ms/media/audio_frame.hpp"

namespace parley::ms::ivr {

inline constexpr double kG711FullScalePeak = 32124.0;  // mu-law decoder's largest value
inline constexpr double kG711FullScaleDbm0 = 3.14;     // a full-scale sine, ITU-T G.711
inline constexpr int kMaxDtmfLevelDbm0 = -3;           // per tone, so the pair never clips
inline constexpr int kMinToneLevelDbm0 = -96;
inline constexpr double kBeepFrequencyHz = 1000.0;

// Peak amplitude (16-bit linear) of a sine at levelDbm0.
double dbm0ToPeak(double levelDbm0);
// The two frequencies of a DTMF digit (row, column); false for a character that is not one.
bool dtmfFrequencies(char digit, double& lowHz, double& highHz);

class ToneSequence {
  public:
    static constexpr std::size_t kMaxDigits = 64;

    // A DTMF sequence; replaces whatever was set before and rewinds to its start.
    void start(std::string_view digits, int levelDbm0, std::chrono::milliseconds duration,
               std::chrono::milliseconds interval);
    // One 1 kHz tone (no interval after it).
    void startBeep(std::chrono::milliseconds duration = std::chrono::milliseconds(200),
                   int levelDbm0 = -10);

    // Writes the next 20 ms at 8 kHz (count 160); samples after the end are zeros. Returns
    // false (and a silent frame) once the whole sequence has been written. out.silent is
    // false when the frame holds tone samples.
    bool fill(media::AudioFrame& out);
    bool done() const { return position_ >= totalSamples_; }
    std::chrono::milliseconds total() const;

    // Positional form for players: the samples from `offset` (in samples from the start of
    // the sequence) on, zeros outside the sequence. Does not move fill()'s position.
    void render(std::int64_t offset, std::span<std::int16_t> out) const;
    std::int64_t totalSamples() const { return totalSamples_; }
    std::int64_t toneSamples() const { return toneSamples_; }
    std::int64_t periodSamples() const { return toneSamples_ + gapSamples_; }
    std::size_t digitCount() const { return count_; }
    char digit(std::size_t i) const { return i < count_ ? digits_[i] : '\0'; }

  private:
    std::array<char, kMaxDigits> digits_{};
    std::array<double, kMaxDigits> low_{};   // Hz per digit (the beep uses low_ only)
    std::array<double, kMaxDigits> high_{};  // 0 for the beep
    std::size_t count_ = 0;
    double amplitude_ = 0;  // peak of each component
    std::int64_t toneSamples_ = 0;
    std::int64_t gapSamples_ = 0;
    std::int64_t rampSamples_ = 0;
    std::int64_t totalSamples_ = 0;
    std::int64_t position_ = 0;
};

}  // namespace parley::ms::ivr

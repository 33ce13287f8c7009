#pragma once
// Listening to test audio: which of a few candidate tones are present, and how loud.
//
// Each candidate frequency is measured with a Hann-windowed Goertzel filter evaluated at
// exactly that frequency (no bin rounding), over consecutive non-overlapping windows
// (100 ms by default: 10 Hz resolution, so tones 200 Hz apart do not leak into each other
// and G.711 quantization noise stays ~60 dB below a tone). The level of a frequency is the
// median of its window levels, so a short gap or glitch does not change the verdict.
//
// Levels are dBFS with a full-scale sine at 0 dBFS (as tone_generator.hpp); broadband
// levels (rms) use the same scale: 20*log10(rms * sqrt(2) / 32767). Anything quieter than
// kFloorDbfs is reported as kFloorDbfs. All functions are pure; a ToneReport is a value.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace parley::test {

inline constexpr double kFloorDbfs = -120.0;

// The tones the conference tests give their participants.
inline const std::vector<double> kDefaultToneSet = {400, 600, 800, 1000, 1200};

struct AnalysisOptions {
    int sampleRate = 8000;
    int windowMs = 100;
};

// Amplitude (peak, linear) of the component at frequencyHz in `samples`, Hann-windowed.
double toneAmplitude(std::span<const std::int16_t> samples, double frequencyHz,
                     int sampleRate = 8000);
double toneDbfs(std::span<const std::int16_t> samples, double frequencyHz, int sampleRate = 8000);
// Broadband level on the same scale.
double rmsDbfs(std::span<const std::int16_t> samples);
// True when every window is quieter than thresholdDbfs (an empty buffer is silent).
bool isSilence(std::span<const std::int16_t> samples, double thresholdDbfs = -50,
               const AnalysisOptions& options = {});

struct ToneLevel {
    double frequencyHz = 0;
    double levelDbfs = kFloorDbfs;   // median over the windows
    double maxDbfs = kFloorDbfs;     // loudest window
    std::vector<double> windowDbfs;  // one per window, in time order
};

class ToneReport {
  public:
    ToneReport() = default;
    ToneReport(std::vector<std::int16_t> samples, const std::vector<double>& candidates,
               const AnalysisOptions& options = {});

    // Median level of frequencyHz; for a frequency that was not a candidate it is measured
    // now from the kept samples.
    double levelDb(double frequencyHz) const;
    bool hasTone(double frequencyHz, double minDbfs) const {
        return levelDb(frequencyHz) >= minDbfs;
    }
    // Fraction of windows in which frequencyHz is at least minDbfs (0 when no windows).
    double presence(double frequencyHz, double minDbfs) const;
    // The loudest candidate, if it reaches floorDbfs.
    std::optional<double> dominantTone(double floorDbfs = -45) const;
    // Candidates at or above minDbfs, loudest first.
    std::vector<double> tonesAbove(double minDbfs) const;
    bool silent(double thresholdDbfs = -50) const;

    double rmsDbfs() const;  // whole buffer
    double durationMs() const;
    std::size_t windowCount() const { return windowCount_; }
    const std::vector<ToneLevel>& levels() const { return levels_; }
    const std::vector<std::int16_t>& samples() const { return *samples_; }
    // "400Hz -20.0 | 600Hz -98.3 | ... rms -17.0 dBFS over 1000 ms (10 windows)"
    std::string describe() const;

  private:
    ToneLevel measure(double frequencyHz) const;
    const ToneLevel* find(double frequencyHz) const;

    std::shared_ptr<const std::vector<std::int16_t>> samples_ =
        std::make_shared<std::vector<std::int16_t>>();
    AnalysisOptions options_;
    std::size_t windowSamples_ = 0;
    std::size_t windowCount_ = 0;
    std::vector<ToneLevel> levels_;
};

ToneReport analyseTones(std::span<const std::int16_t> samples,
                        const std::vector<double>& candidates = kDefaultToneSet,
                        const AnalysisOptions& options = {});

}  // namespace parley::test

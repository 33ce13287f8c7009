#pragma once
// Synthetic audio for the ms_ivr play/record tests: clips, sines, white noise and a
// speech-like signal (a harmonic voice with syllables), all deterministic.
// Levels here are rms dBFS with a full-scale square wave at 0 dB (voice_detector.hpp).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <vector>

#include "ms/ivr/pcm_audio.hpp"
#include "ms/media/audio_frame.hpp"

namespace parley::ms::ivr::testaudio {

inline constexpr std::size_t kFrame = media::kNarrowbandSamples;

inline PcmAudioPtr pcm(std::vector<std::int16_t> samples) {
    auto p = std::make_shared<PcmAudio>();
    p->samples = std::move(samples);
    p->origin = "test";
    return p;
}

inline std::vector<std::int16_t> constant(std::int16_t value, std::size_t count) {
    return std::vector<std::int16_t>(count, value);
}

inline std::vector<std::int16_t> sine(double hz, double peak, std::size_t count) {
    std::vector<std::int16_t> v(count);
    for (std::size_t i = 0; i < count; ++i) {
        v[i] = static_cast<std::int16_t>(
            std::lrint(peak * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / 8000)));
    }
    return v;
}

inline double rmsDb(const std::int16_t* s, std::size_t n) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(s[i]) * s[i];
    if (sum <= 0) return -100;
    return 10 * std::log10(sum / static_cast<double>(n) / (32768.0 * 32768.0));
}

// White noise at a given rms level.
class Noise {
  public:
    explicit Noise(double levelDb, std::uint32_t seed = 12345) : state_(seed) {
        // uniform in [-a, a] has rms a / sqrt(3)
        amplitude_ = std::sqrt(3.0) * 32768.0 * std::pow(10.0, levelDb / 20.0);
    }
    std::int16_t next() {
        state_ = state_ * 1664525u + 1013904223u;
        const double u = static_cast<double>(state_ >> 8) / static_cast<double>(1u << 24);
        return static_cast<std::int16_t>(
            std::lrint(std::clamp((2 * u - 1) * amplitude_, -32768.0, 32767.0)));
    }

  private:
    std::uint32_t state_;
    double amplitude_;
};

// A voiced sound: 12 harmonics of a 140 Hz fundamental with a falling spectrum, its rms at
// levelDb while on. syllableMs > 0 adds a syllabic envelope (raised sine, 4..5 Hz).
class SpeechLike {
  public:
    explicit SpeechLike(double levelDb, double syllableMs = 0) : syllableMs_(syllableMs) {
        double sumSq = 0;
        for (int k = 1; k <= 12; ++k) sumSq += 1.0 / (k * k) / 2.0;
        scale_ = 32768.0 * std::pow(10.0, levelDb / 20.0) / std::sqrt(sumSq);
    }
    std::int16_t next() {
        const double t = static_cast<double>(n_++) / 8000.0;
        double v = 0;
        for (int k = 1; k <= 12; ++k) v += std::sin(2 * std::numbers::pi * 140.0 * k * t) / k;
        double env = 1.0;
        if (syllableMs_ > 0) {
            env = 0.2 + 0.8 * std::pow(std::sin(std::numbers::pi * t * 1000.0 / syllableMs_), 2);
        }
        return static_cast<std::int16_t>(
            std::lrint(std::clamp(v * scale_ * env, -32768.0, 32767.0)));
    }

  private:
    double syllableMs_;
    double scale_;
    std::uint64_t n_ = 0;
};

template <typename Source>
media::AudioFrame frameFrom(Source& src) {
    media::AudioFrame f;
    f.count = kFrame;
    for (std::size_t i = 0; i < kFrame; ++i) f.samples[i] = src.next();
    f.silent = false;
    return f;
}

inline media::AudioFrame zeroFrame() {
    media::AudioFrame f;
    f.count = kFrame;
    return f;
}

}  // namespace parley::ms::ivr::testaudio

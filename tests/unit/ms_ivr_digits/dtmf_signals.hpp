#pragma once
// Synthetic audio for the DTMF detector tests: key tones at levels in dBm0, silence, white
// noise at a chosen level, and a way to run a whole buffer through a DtmfDetector in 20 ms
// frames. Levels follow tests/support/media (dBFS for a sine's peak) with the G.711 offset:
// a full-scale sine is +3.17 dBm0.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "ms/ivr/dtmf_detector.hpp"
#include "tests/support/media/tone_generator.hpp"

namespace parley::test::dtmf {

inline constexpr double kDbm0ToDbfs = -3.17;
inline const std::string kAllKeys = "123A456B789C*0#D";

inline double rowHz(char key) {
    const std::string rows[4] = {"123A", "456B", "789C", "*0#D"};
    const double hz[4] = {697, 770, 852, 941};
    for (int i = 0; i < 4; ++i)
        if (rows[i].find(key) != std::string::npos) return hz[i];
    return 0;
}
inline double colHz(char key) {
    const std::string cols[4] = {"147*", "2580", "369#", "ABCD"};
    const double hz[4] = {1209, 1336, 1477, 1633};
    for (int i = 0; i < 4; ++i)
        if (cols[i].find(key) != std::string::npos) return hz[i];
    return 0;
}

inline std::size_t samplesFor(double ms) {
    return static_cast<std::size_t>(std::lround(ms * 8.0));
}

// A key's two tones, each at its own level (dBm0).
inline std::vector<std::int16_t> keyTone(char key, double ms, double rowDbm0 = -10,
                                         double colDbm0 = -8) {
    return makeTones({{rowHz(key), rowDbm0 + kDbm0ToDbfs}, {colHz(key), colDbm0 + kDbm0ToDbfs}},
                     ms / 1000.0);
}

inline std::vector<std::int16_t> silence(double ms) {
    return std::vector<std::int16_t>(samplesFor(ms), 0);
}

inline void append(std::vector<std::int16_t>& to, const std::vector<std::int16_t>& from) {
    to.insert(to.end(), from.begin(), from.end());
}

// Power of a key's two tones (mean square, linear units) at the given levels.
inline double keyPower(double rowDbm0, double colDbm0) {
    const double ar = amplitudeForDbfs(rowDbm0 + kDbm0ToDbfs);
    const double ac = amplitudeForDbfs(colDbm0 + kDbm0ToDbfs);
    return ar * ar / 2 + ac * ac / 2;
}

inline double rms(const std::vector<std::int16_t>& s) {
    double sum = 0;
    for (std::int16_t x : s) sum += static_cast<double>(x) * x;
    return s.empty() ? 0 : std::sqrt(sum / static_cast<double>(s.size()));
}

// Adds Gaussian white noise of the given rms (reproducible: fixed seed).
inline void addNoise(std::vector<std::int16_t>& s, double noiseRms, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0.0, noiseRms);
    for (std::int16_t& x : s) {
        const double v = static_cast<double>(x) + n(rng);
        x = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
    }
}

struct Run {
    std::vector<ms::ivr::DetectedDigit> digits;
    common::TimePoint t0{};
    std::string keys() const {
        std::string k;
        for (const auto& d : digits) k += d.digit;
        return k;
    }
    double startMs(std::size_t i) const {
        return std::chrono::duration<double, std::milli>(digits[i].start - t0).count();
    }
};

// Feeds `samples` to `det` in 20 ms frames (the last one zero-padded) starting at t0.
inline Run detect(ms::ivr::DtmfDetector& det, const std::vector<std::int16_t>& samples,
                  common::TimePoint t0 = common::TimePoint{} + std::chrono::seconds(100)) {
    Run run;
    run.t0 = t0;
    ms::media::AudioFrame frame;
    for (std::size_t off = 0, i = 0; off < samples.size(); off += 160, ++i) {
        frame.clear();
        frame.silent = false;
        frame.count = 160;
        for (std::size_t j = 0; j < 160 && off + j < samples.size(); ++j)
            frame.samples[j] = samples[off + j];
        if (auto d = det.process(frame, t0 + std::chrono::milliseconds(20 * i)))
            run.digits.push_back(*d);
    }
    return run;
}

inline Run detect(const std::vector<std::int16_t>& samples) {
    ms::ivr::DtmfDetector det;
    return detect(det, samples);
}

}  // namespace parley::test::dtmf

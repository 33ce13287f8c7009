#pragma once
// Tones for the load generators: the amplitude of one frequency in a block of 8 kHz samples
// (Goertzel; for a pure tone of amplitude A that fits the block in whole cycles the result
// is A), and one 20 ms PCMU frame of a steady tone.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ms/rtp/g711.hpp"

namespace parley::bench {

inline double goertzelCoeff(double hz, double rate = 8000.0) {
    return 2.0 * std::cos(2.0 * M_PI * hz / rate);
}

inline double toneAmplitude(const std::int16_t* samples, std::size_t n, double coeff) {
    double s1 = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double s0 = samples[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return n == 0 ? 0.0 : 2.0 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(n);
}

// Amplitude of the `coeff` tone in one mu-law frame of `n` bytes.
inline double ulawToneAmplitude(const std::uint8_t* payload, std::size_t n, double coeff) {
    double s1 = 0, s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double s0 = ms::rtp::ulawToLinear(payload[i]) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return n == 0 ? 0.0 : 2.0 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(n);
}

// `n` mu-law samples of a sine of `hz` (a multiple of 50 Hz repeats every 160 samples).
inline std::vector<std::uint8_t> ulawTone(double hz, double amplitude, std::size_t n = 160) {
    std::vector<std::uint8_t> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double v = amplitude * std::sin(2 * M_PI * hz * static_cast<double>(i) / 8000.0);
        out[i] = ms::rtp::linearToUlaw(static_cast<std::int16_t>(std::lround(v)));
    }
    return out;
}

}  // namespace parley::bench

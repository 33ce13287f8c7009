#pragma once
// Tone measurement for the IVR benchmark: the amplitude of one frequency in a block of
// 8 kHz samples (Goertzel). For a pure tone of amplitude A that fits the block in whole
// cycles the result is A.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

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

}  // namespace parley::bench

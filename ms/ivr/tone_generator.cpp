#include "ms/ivr/tone_generator.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace parley::ms::ivr {

namespace {

constexpr std::int64_t kSamplesPerMs = media::kNarrowbandRate / 1000;
constexpr std::int64_t kRampSamples = 3 * kSamplesPerMs;  // 3 ms rise and fall

struct DtmfKey {
    char digit;
    double low;
    double high;
};

// ITU-T Q.23: rows 697/770/852/941 Hz, columns 1209/1336/1477/1633 Hz.
constexpr std::array<DtmfKey, 16> kKeys = {{
    {'1', 697, 1209},
    {'2', 697, 1336},
    {'3', 697, 1477},
    {'A', 697, 1633},
    {'4', 770, 1209},
    {'5', 770, 1336},
    {'6', 770, 1477},
    {'B', 770, 1633},
    {'7', 852, 1209},
    {'8', 852, 1336},
    {'9', 852, 1477},
    {'C', 852, 1633},
    {'*', 941, 1209},
    {'0', 941, 1336},
    {'#', 941, 1477},
    {'D', 941, 1633},
}};

std::int64_t msToSamples(std::chrono::milliseconds ms) {
    return std::max<std::int64_t>(0, ms.count()) * kSamplesPerMs;
}

}  // namespace

double dbm0ToPeak(double levelDbm0) {
    return kG711FullScalePeak * std::pow(10.0, (levelDbm0 - kG711FullScaleDbm0) / 20.0);
}

bool dtmfFrequencies(char digit, double& lowHz, double& highHz) {
    if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
    for (const DtmfKey& k : kKeys) {
        if (k.digit == digit) {
            lowHz = k.low;
            highHz = k.high;
            return true;
        }
    }
    return false;
}

void ToneSequence::start(std::string_view digits, int levelDbm0, std::chrono::milliseconds duration,
                         std::chrono::milliseconds interval) {
    count_ = 0;
    for (char c : digits) {
        if (count_ == kMaxDigits) break;
        double lo = 0;
        double hi = 0;
        if (!dtmfFrequencies(c, lo, hi)) continue;
        digits_[count_] = (c >= 'a' && c <= 'd') ? static_cast<char>(c - 'a' + 'A') : c;
        low_[count_] = lo;
        high_[count_] = hi;
        ++count_;
    }
    const int level = std::clamp(levelDbm0, kMinToneLevelDbm0, kMaxDtmfLevelDbm0);
    amplitude_ = dbm0ToPeak(level);
    toneSamples_ = msToSamples(duration);
    gapSamples_ = msToSamples(interval);
    rampSamples_ = std::min(kRampSamples, toneSamples_ / 2);
    totalSamples_ = static_cast<std::int64_t>(count_) * (toneSamples_ + gapSamples_);
    position_ = 0;
}

void ToneSequence::startBeep(std::chrono::milliseconds duration, int levelDbm0) {
    count_ = 1;
    digits_[0] = '\0';
    low_[0] = kBeepFrequencyHz;
    high_[0] = 0;
    amplitude_ = dbm0ToPeak(std::clamp(levelDbm0, kMinToneLevelDbm0, 0));
    toneSamples_ = msToSamples(duration);
    gapSamples_ = 0;
    rampSamples_ = std::min(kRampSamples, toneSamples_ / 2);
    totalSamples_ = toneSamples_;
    position_ = 0;
}

std::chrono::milliseconds ToneSequence::total() const {
    return std::chrono::milliseconds(totalSamples_ / kSamplesPerMs);
}

void ToneSequence::render(std::int64_t offset, std::span<std::int16_t> out) const {
    const double twoPiOverRate = 2.0 * std::numbers::pi / media::kNarrowbandRate;
    const std::int64_t period = toneSamples_ + gapSamples_;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::int64_t s = offset + static_cast<std::int64_t>(i);
        out[i] = 0;
        if (s < 0 || s >= totalSamples_ || period <= 0) continue;
        const std::size_t slot = static_cast<std::size_t>(s / period);
        const std::int64_t within = s % period;
        if (slot >= count_ || within >= toneSamples_) continue;
        const double t = static_cast<double>(within);
        double v = std::sin(twoPiOverRate * low_[slot] * t);
        if (high_[slot] > 0) v += std::sin(twoPiOverRate * high_[slot] * t);
        double envelope = 1.0;
        const std::int64_t fromEnd = toneSamples_ - 1 - within;
        const std::int64_t edge = std::min(within, fromEnd);
        if (edge < rampSamples_) {
            envelope = 0.5 - 0.5 * std::cos(std::numbers::pi * (static_cast<double>(edge) + 0.5) /
                                            static_cast<double>(rampSamples_));
        }
        const double sample = std::clamp(v * amplitude_ * envelope, -32768.0, 32767.0);
        out[i] = static_cast<std::int16_t>(std::lrint(sample));
    }
}

bool ToneSequence::fill(media::AudioFrame& out) {
    out.sampleRate = media::kNarrowbandRate;
    out.count = media::kNarrowbandSamples;
    out.speech = false;
    if (done()) {
        out.clear();
        return false;
    }
    std::span<std::int16_t> span(out.samples.data(), out.count);
    render(position_, span);
    position_ += static_cast<std::int64_t>(out.count);
    std::uint64_t sum = 0;
    for (std::int16_t s : span) sum += static_cast<std::uint64_t>(std::abs(static_cast<int>(s)));
    out.energy = static_cast<std::uint32_t>(sum / out.count);
    out.silent = sum == 0;
    return true;
}

}  // namespace parley::ms::ivr

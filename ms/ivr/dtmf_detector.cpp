#include "ms/ivr/dtmf_detector.hpp"

#include <cmath>
#include <numbers>

namespace parley::ms::ivr {
namespace {

constexpr std::array<double, 4> kRowHz = {697.0, 770.0, 852.0, 941.0};
constexpr std::array<double, 4> kColHz = {1209.0, 1336.0, 1477.0, 1633.0};
constexpr char kKeys[4][4] = {
    {'1', '2', '3', 'A'},
    {'4', '5', '6', 'B'},
    {'7', '8', '9', 'C'},
    {'*', '0', '#', 'D'},
};

constexpr double kN = static_cast<double>(DtmfDetector::kBlockSamples);

double dbToPowerRatio(double db) {
    return std::pow(10.0, db / 10.0);
}

// Goertzel power |X(f)|^2 of the block at the frequency whose coefficient is 2cos(w).
// A sine of peak amplitude A gives about (N*A/2)^2.
double goertzel(const std::array<std::int16_t, DtmfDetector::kBlockSamples>& block, double coeff) {
    double s1 = 0;
    double s2 = 0;
    for (std::int16_t x : block) {
        const double s0 = static_cast<double>(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

// Goertzel power of a sine at the minimum accepted level.
double minTonePower() {
    const double dbfs = DtmfDetector::kMinToneDbm0 - DtmfDetector::kFullScaleSineDbm0;
    const double amplitude = 32767.0 * std::pow(10.0, dbfs / 20.0);
    const double x = kN * amplitude / 2.0;
    return x * x;
}

// Index of the largest of four powers; true when each other one is at least `margin`
// (a power ratio) below it.
bool strongestStandsOut(const std::array<double, 4>& p, double margin, std::size_t& best) {
    best = 0;
    for (std::size_t i = 1; i < p.size(); ++i)
        if (p[i] > p[best]) best = i;
    for (std::size_t i = 0; i < p.size(); ++i)
        if (i != best && p[i] * margin > p[best]) return false;
    return true;
}

}  // namespace

DtmfDetector::DtmfDetector() {
    for (std::size_t i = 0; i < 4; ++i) {
        rowCoeff_[i] = 2.0 * std::cos(2.0 * std::numbers::pi * kRowHz[i] / kSampleRate);
        colCoeff_[i] = 2.0 * std::cos(2.0 * std::numbers::pi * kColHz[i] / kSampleRate);
    }
    minPower_ = minTonePower();
    groupMargin_ = dbToPowerRatio(kGroupMarginDb);
    maxColOverRow_ = dbToPowerRatio(kReverseTwistDb);
    maxRowOverCol_ = dbToPowerRatio(kNormalTwistDb);
}

void DtmfDetector::reset() {
    filled_ = 0;
    candidate_ = '\0';
    candidateBlocks_ = 0;
    held_ = '\0';
    releaseBlocks_ = 0;
}

std::optional<DetectedDigit> DtmfDetector::process(const media::AudioFrame& frame,
                                                   common::TimePoint frameStart) {
    if (frame.sampleRate != static_cast<std::uint32_t>(kSampleRate)) return std::nullopt;
    const std::size_t count =
        frame.count < frame.samples.size() ? frame.count : frame.samples.size();
    std::optional<DetectedDigit> found;
    for (std::size_t i = 0; i < count; ++i) {
        if (filled_ == 0)
            blockStart_ = frameStart + std::chrono::duration_cast<common::Duration>(
                                           std::chrono::microseconds(i * 1000000 / kSampleRate));
        block_[filled_++] = frame.silent ? std::int16_t{0} : frame.samples[i];
        if (filled_ < kBlockSamples) continue;
        filled_ = 0;
        std::optional<DetectedDigit> d = onBlock(analyseBlock(), blockStart_);
        if (d && !found) found = d;
    }
    return found;
}

char DtmfDetector::analyseBlock() {
    energy_ = 0;
    for (std::int16_t x : block_) energy_ += static_cast<double>(x) * static_cast<double>(x);
    // A Goertzel power never exceeds N times the block's sum of squares (Cauchy-Schwarz), so
    // a block quieter than that cannot hold a tone at the minimum level: it shows no key, and
    // the eight filters are skipped (silence and quiet audio, most of a call). A held key
    // still gets them: its release is judged on its own tones' share.
    if (held_ == '\0' && kN * energy_ < minPower_) {
        rowPower_.fill(0);
        colPower_.fill(0);
        return '\0';
    }
    for (std::size_t i = 0; i < 4; ++i) rowPower_[i] = goertzel(block_, rowCoeff_[i]);
    std::size_t r = 0;
    const bool rowTone = strongestStandsOut(rowPower_, groupMargin_, r) && rowPower_[r] >= minPower_;
    // Without a row tone the block shows no key whatever the columns hold: their four
    // filters are needed only for a held key's release.
    if (!rowTone && held_ == '\0') {
        colPower_.fill(0);
        return '\0';
    }
    for (std::size_t i = 0; i < 4; ++i) colPower_[i] = goertzel(block_, colCoeff_[i]);
    if (!rowTone) return '\0';

    std::size_t c = 0;
    if (!strongestStandsOut(colPower_, groupMargin_, c)) return '\0';
    const double row = rowPower_[r];
    const double col = colPower_[c];
    if (col < minPower_) return '\0';
    if (col > row * maxColOverRow_ || row > col * maxRowOverCol_) return '\0';
    const char key = kKeys[r][c];
    if (energyShare(key) < kMinToneEnergyRatio) return '\0';
    return key;
}

double DtmfDetector::energyShare(char key) const {
    if (energy_ <= 0) return 0;
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 4; ++c)
            if (kKeys[r][c] == key)
                // A tone of Goertzel power P puts 2P/N into the block's sum of squares.
                return 2.0 * (rowPower_[r] + colPower_[c]) / (kN * energy_);
    return 0;
}

std::optional<DetectedDigit> DtmfDetector::onBlock(char key, common::TimePoint blockStart) {
    if (held_ != '\0') {
        if (key == held_ || energyShare(held_) >= kHoldEnergyRatio) {
            releaseBlocks_ = 0;
        } else if (++releaseBlocks_ >= kReleaseBlocks) {
            held_ = '\0';
            releaseBlocks_ = 0;
        }
    }

    if (key == '\0') {
        candidate_ = '\0';
        candidateBlocks_ = 0;
        return std::nullopt;
    }
    if (key == candidate_) {
        ++candidateBlocks_;
    } else {
        candidate_ = key;
        candidateBlocks_ = 1;
        candidateStart_ = blockStart;
    }
    if (candidateBlocks_ >= kConfirmBlocks && candidate_ != held_) {
        held_ = candidate_;
        releaseBlocks_ = 0;
        return DetectedDigit{candidate_, candidateStart_};
    }
    return std::nullopt;
}

// ------------------------------------------------------------------ DigitMerger

void DigitMerger::reset() {
    size_ = 0;
    rtpSeen_ = false;
}

void DigitMerger::removeAt(std::size_t i) {
    for (std::size_t j = i + 1; j < size_; ++j) queue_[j - 1] = queue_[j];
    --size_;
}

void DigitMerger::insert(const Pending& p) {
    if (size_ == kCapacity) {
        ++overflowed_;
        return;
    }
    std::size_t at = size_;
    while (at > 0 && queue_[at - 1].start > p.start) {
        queue_[at] = queue_[at - 1];
        --at;
    }
    queue_[at] = p;
    ++size_;
}

void DigitMerger::onRtpDigit(char digit, common::TimePoint start, common::TimePoint now) {
    rtpSeen_ = true;
    // The in-band copy of this press, if it is still held: the closest same key in the window.
    std::size_t best = size_;
    common::Duration bestGap = common::Duration::max();
    for (std::size_t i = 0; i < size_; ++i) {
        const Pending& q = queue_[i];
        if (!q.inband || q.digit != digit) continue;
        const common::Duration gap = q.start > start ? q.start - start : start - q.start;
        if (gap <= kMatchWindow && gap < bestGap) {
            best = i;
            bestGap = gap;
        }
    }
    if (best < size_) removeAt(best);
    insert(Pending{digit, start, now, false});
}

void DigitMerger::onInbandDigit(char digit, common::TimePoint start, common::TimePoint now) {
    if (rtpSeen_) return;  // the call sends RFC 4733 events: they are the one report
    insert(Pending{digit, start, now + kInbandHold, true});
}

std::optional<char> DigitMerger::poll(common::TimePoint now) {
    if (size_ == 0 || queue_[0].readyAt > now) return std::nullopt;
    const char d = queue_[0].digit;
    removeAt(0);
    return d;
}

}  // namespace parley::ms::ivr

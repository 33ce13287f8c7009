#include "ms/ivr/time_stretch.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace parley::ms::ivr {

namespace {

std::int16_t saturate(double v) {
    return static_cast<std::int16_t>(std::lrint(std::clamp(v, -32768.0, 32767.0)));
}

}  // namespace

TimeStretch::TimeStretch() {
    for (std::size_t i = 0; i < kWindow; ++i) {
        window_[i] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                          static_cast<double>(kWindow));
    }
}

void TimeStretch::setRate(double rate) {
    rate_ = std::clamp(rate, kMinRate, kMaxRate);
}

void TimeStretch::seek(std::int64_t position, StretchInput* prime) {
    previous_ = position - static_cast<std::int64_t>(kHop);
    nominal_ = static_cast<double>(position);
    settled_ = prime != nullptr;
    if (prime != nullptr) {
        // The second half of a segment that starts one hop earlier: the first hop after
        // this then gives the input exactly.
        prime->read(position, std::span<std::int16_t>(continuation_.data(), kHop));
        for (std::size_t j = 0; j < kHop; ++j) {
            overlap_[j] = window_[kHop + j] * continuation_[j];
        }
    }
}

void TimeStretch::produce(StretchInput& input, std::span<std::int16_t> out) {
    std::size_t done = 0;
    const std::size_t whole = out.size() - out.size() % kHop;
    if (rate_ == 1.0 && settled_ && whole > 0 && whole + kHop <= kMaxRead) {
        // What the hops would give, sample for sample: the input from the clock on. Read one
        // hop further for the overlap the next hop (at another rate) continues from.
        const std::int64_t from = previous_ + static_cast<std::int64_t>(kHop);
        input.read(from, std::span<std::int16_t>(search_.data(), whole + kHop));
        std::copy_n(search_.data(), whole, out.data());
        for (std::size_t j = 0; j < kHop; ++j) overlap_[j] = window_[kHop + j] * search_[whole + j];
        previous_ = from + static_cast<std::int64_t>(whole) - static_cast<std::int64_t>(kHop);
        nominal_ = static_cast<double>(previous_ + static_cast<std::int64_t>(kHop));
        done = whole;
    }
    while (out.size() - done >= kHop) {
        hop(input, out.data() + done);
        done += kHop;
    }
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(done), out.end(), std::int16_t{0});
}

std::int64_t TimeStretch::bestOffset() const {
    // search_ holds the input from target - kSearch; continuation_ the natural continuation.
    double contEnergy = 0;
    for (std::int16_t c : continuation_) contEnergy += static_cast<double>(c) * c;
    if (contEnergy <= 0) return 0;  // nothing to match (silence): stay on the clock

    double candEnergy = 0;
    for (std::size_t j = 0; j < kWindow; ++j) {
        candEnergy += static_cast<double>(search_[j]) * search_[j];
    }
    double bestScore = -2.0;
    std::int64_t best = 0;
    const std::int64_t span = static_cast<std::int64_t>(kSearch);
    for (std::size_t k = 0; k <= 2 * kSearch; ++k) {
        if (k > 0) {
            // Slide the candidate's energy by one sample.
            const double out = search_[k - 1];
            const double in = search_[k + kWindow - 1];
            candEnergy += in * in - out * out;
        }
        double dot = 0;
        for (std::size_t j = 0; j < kWindow; ++j) {
            dot += static_cast<double>(search_[k + j]) * continuation_[j];
        }
        const double norm = std::sqrt(std::max(candEnergy, 1.0) * contEnergy);
        const std::int64_t offset = static_cast<std::int64_t>(k) - span;
        // Prefer the offset nearest the clock among (near-)equal scores.
        const double score = dot / norm - 1e-9 * static_cast<double>(std::abs(offset));
        if (score > bestScore) {
            bestScore = score;
            best = offset;
        }
    }
    return best;
}

void TimeStretch::hop(StretchInput& input, std::int16_t* out) {
    const std::int64_t hopLen = static_cast<std::int64_t>(kHop);
    std::int64_t start = 0;
    const std::int16_t* segment = nullptr;
    if (rate_ == 1.0) {
        // Normal speed: the natural continuation, which reproduces the input exactly.
        start = previous_ + hopLen;
        input.read(start, std::span<std::int16_t>(continuation_.data(), kWindow));
        segment = continuation_.data();
        nominal_ = static_cast<double>(start + hopLen);
    } else {
        const std::int64_t target = std::llround(nominal_);
        input.read(previous_ + hopLen, std::span<std::int16_t>(continuation_.data(), kWindow));
        input.read(target - static_cast<std::int64_t>(kSearch),
                   std::span<std::int16_t>(search_.data(), kMaxRead));
        const std::int64_t offset = bestOffset();
        start = target + offset;
        segment = search_.data() + (offset + static_cast<std::int64_t>(kSearch));
        nominal_ += static_cast<double>(kHop) * rate_;
    }
    for (std::size_t j = 0; j < kHop; ++j) {
        out[j] = saturate(overlap_[j] + window_[j] * segment[j]);
        overlap_[j] = window_[kHop + j] * segment[kHop + j];
    }
    previous_ = start;
    settled_ = true;
}

}  // namespace parley::ms::ivr

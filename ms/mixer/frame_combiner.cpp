#include "ms/mixer/frame_combiner.hpp"

#include <algorithm>
#include <cstdlib>

namespace parley::ms::mixer {

namespace {

constexpr std::int64_t kClipRoom = 32767 - kClipKnee;

std::size_t validCount(std::size_t count) {
    return std::min(count, media::AudioFrame::kMaxSamples);
}

std::size_t overlap(const MixBus& bus, const media::AudioFrame& frame) {
    return std::min(validCount(bus.count), validCount(frame.count));
}

// A bus with nothing in it takes the shape of the first frame added.
void adoptShape(MixBus& bus, const media::AudioFrame& frame) {
    if (!bus.empty) return;
    bus.count = validCount(frame.count);
    bus.sampleRate = frame.sampleRate;
}

}  // namespace

void MixBus::reset(std::size_t sampleCount, std::uint32_t rate) {
    count = validCount(sampleCount);
    sampleRate = rate;
    std::fill(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(count), 0);
    empty = true;
}

std::int16_t softClip(std::int32_t x) {
    const std::int64_t mag = std::llabs(static_cast<std::int64_t>(x));
    if (mag <= kClipKnee) return static_cast<std::int16_t>(x);
    // Above the knee: knee + room * e / (e + room), with e the excess over the knee. The
    // slope is 1 at the knee and the curve approaches (never reaches) knee + room = 32767.
    const std::int64_t excess = mag - kClipKnee;
    const std::int64_t bent = kClipKnee + (kClipRoom * excess) / (excess + kClipRoom);
    return static_cast<std::int16_t>(x < 0 ? -bent : bent);
}

std::uint32_t meanAbs(const media::AudioFrame& frame) {
    if (frame.silent) return 0;
    const std::size_t n = validCount(frame.count);
    if (n == 0) return 0;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i)
        sum += static_cast<std::uint64_t>(std::abs(frame.samples[i]));
    return static_cast<std::uint32_t>(sum / n);
}

std::uint32_t meanAbs(const MixBus& bus) {
    if (bus.empty) return 0;
    const std::size_t n = validCount(bus.count);
    if (n == 0) return 0;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sum += static_cast<std::uint64_t>(std::llabs(static_cast<std::int64_t>(bus.samples[i])));
    }
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(sum / n, 32768));
}

void FrameCombiner::add(MixBus& bus, const media::AudioFrame& frame, Gain gain) {
    if (frame.silent || gain.q14 == 0) return;
    adoptShape(bus, frame);
    const std::size_t n = overlap(bus, frame);
    if (gain.isUnity()) {
        for (std::size_t i = 0; i < n; ++i) bus.samples[i] += frame.samples[i];
    } else {
        for (std::size_t i = 0; i < n; ++i) bus.samples[i] += weigh(frame.samples[i], gain);
    }
    bus.empty = false;
}

void FrameCombiner::subtract(MixBus& bus, const media::AudioFrame& frame, Gain gain) {
    if (frame.silent || gain.q14 == 0) return;
    const std::size_t n = overlap(bus, frame);
    if (gain.isUnity()) {
        for (std::size_t i = 0; i < n; ++i) bus.samples[i] -= frame.samples[i];
    } else {
        for (std::size_t i = 0; i < n; ++i) bus.samples[i] -= weigh(frame.samples[i], gain);
    }
    bus.empty = false;
}

void FrameCombiner::addScaled(MixBus& bus, const MixBus& other, Gain gain) {
    if (other.empty || gain.q14 == 0) return;
    if (bus.empty) {
        bus.count = other.count;
        bus.sampleRate = other.sampleRate;
    }
    const std::size_t n = std::min(validCount(bus.count), validCount(other.count));
    for (std::size_t i = 0; i < n; ++i) {
        std::int64_t v = static_cast<std::int64_t>(other.samples[i]);
        if (!gain.isUnity()) v = (v * gain.q14 + (1 << (kGainShift - 1))) >> kGainShift;
        v += bus.samples[i];
        bus.samples[i] =
            static_cast<std::int32_t>(std::clamp<std::int64_t>(v, -kBusLimit, kBusLimit));
    }
    bus.empty = false;
}

void FrameCombiner::render(const MixBus& bus, media::AudioFrame& out) {
    const std::size_t n = validCount(bus.count);
    out.count = n;
    out.sampleRate = bus.sampleRate;
    out.speech = false;
    if (bus.empty) {
        std::fill(out.samples.begin(), out.samples.begin() + static_cast<std::ptrdiff_t>(n), 0);
        out.silent = true;
        out.energy = 0;
        return;
    }
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int16_t s = softClip(bus.samples[i]);
        out.samples[i] = s;
        sum += static_cast<std::uint64_t>(std::abs(static_cast<int>(s)));
    }
    out.silent = false;
    out.energy = n == 0 ? 0 : static_cast<std::uint32_t>(sum / n);
}

void FrameCombiner::combine(const Weighted* inputs, std::size_t n, MixBus& scratch,
                            media::AudioFrame& out) {
    scratch.reset(out.count, out.sampleRate);
    for (std::size_t i = 0; i < n; ++i) {
        if (inputs[i].frame != nullptr) add(scratch, *inputs[i].frame, inputs[i].gain);
    }
    render(scratch, out);
}

}  // namespace parley::ms::mixer

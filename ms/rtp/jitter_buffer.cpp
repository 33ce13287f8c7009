#include "ms/rtp/jitter_buffer.hpp"

#include <speex/speex_jitter.h>

#include <algorithm>
#include <cassert>
#include <cstring>

namespace parley::ms::rtp {
namespace {

constexpr std::size_t kSpeexMaxPackets = 200;  // SPEEX_JITTER_MAX_BUFFER_SIZE
constexpr int kSpeexResetAfterMisses = 20;

}  // namespace

void JitterBuffer::SpeexDeleter::operator()(JitterBuffer_* jb) const {
    jitter_buffer_destroy(jb);
}

JitterBuffer::JitterBuffer(const JitterBufferConfig& config) : config_(config) {
    assert(config_.frameSamples > 0 && config_.frameSamples <= media::AudioFrame::kMaxSamples);
    const auto frameNs = std::chrono::nanoseconds(std::chrono::seconds(1)) * config_.frameSamples /
                         config_.sampleRate;
    maxFrames_ = static_cast<std::size_t>(std::max<std::int64_t>(1, config_.maxDelay / frameNs));
    const std::size_t capacity = std::min(kSpeexMaxPackets, maxFrames_ * 2 + kMaxFramesPerPut);
    slots_.resize(capacity);
    free_.reserve(capacity);
    pcm_.assign(capacity * config_.frameSamples, 0);
    last_.assign(config_.frameSamples, 0);
    for (std::uint32_t i = 0; i < capacity; ++i) {
        slots_[i].owner = this;
        slots_[i].index = i;
    }
    for (std::uint32_t i = static_cast<std::uint32_t>(capacity); i > 0; --i) free_.push_back(i - 1);

    jb_.reset(jitter_buffer_init(static_cast<int>(config_.frameSamples)));
    assert(jb_);
    // Packets are stored by pointer into our slots; Speex hands them back through the
    // destroy callback when it discards them, so nothing is allocated per packet.
    void (*destroy)(void*) = &JitterBuffer::releaseFromSpeex;
    jitter_buffer_ctl(jb_.get(), JITTER_BUFFER_SET_DESTROY_CALLBACK,
                      reinterpret_cast<void*>(destroy));
    spx_int32_t lateRate = config_.maxLateRatePercent;
    jitter_buffer_ctl(jb_.get(), JITTER_BUFFER_SET_MAX_LATE_RATE, &lateRate);
}

JitterBuffer::~JitterBuffer() = default;

void JitterBuffer::releaseFromSpeex(void* data) {
    auto* slot = static_cast<Slot*>(data);
    slot->owner->release(slot->index);
}

void JitterBuffer::release(std::uint32_t index) {
    Slot& s = slots_[index];
    if (!s.inUse) return;
    s.inUse = false;
    free_.push_back(index);
}

void JitterBuffer::reclaimAll() {
    jitter_buffer_reset(jb_.get());  // hands back every packet it holds
    // Whatever is still marked in use was never stored by Speex (it silently ignores a
    // packet too late to be useful); take those back too.
    for (auto& s : slots_) release(s.index);
    speexResetState_ = true;
    consecutiveMisses_ = 0;
}

std::size_t JitterBuffer::bufferedFrames() const {
    spx_int32_t count = 0;
    jitter_buffer_ctl(jb_.get(), JITTER_BUFFER_GET_AVAILABLE_COUNT, &count);
    return count > 0 ? static_cast<std::size_t>(count) : 0;
}

common::Duration JitterBuffer::currentDelay() const {
    return std::chrono::duration_cast<common::Duration>(
        std::chrono::nanoseconds(std::chrono::seconds(1)) * config_.frameSamples *
        bufferedFrames() / config_.sampleRate);
}

bool JitterBuffer::put(std::uint32_t timestamp, std::span<const std::int16_t> samples) {
    const std::size_t fs = config_.frameSamples;
    if (samples.empty() || samples.size() % fs != 0 || samples.size() / fs > kMaxFramesPerPut) {
        ++stats_.badSize;
        return false;
    }
    if (consecutiveMisses_ > kSpeexResetAfterMisses) {
        // Speex resets itself in this put(): it will accept any timestamp.
        speexResetState_ = true;
        consecutiveMisses_ = 0;
    }
    bool kept = false;
    const std::size_t frames = samples.size() / fs;
    for (std::size_t k = 0; k < frames; ++k) {
        const auto ts = static_cast<std::uint32_t>(timestamp + k * fs);
        if (!speexResetState_) {
            // Speex keeps a packet only while ts + span + step >= its playout pointer.
            const auto pointer =
                static_cast<std::uint32_t>(jitter_buffer_get_pointer_timestamp(jb_.get()));
            if (static_cast<std::int32_t>(ts + 2 * fs - pointer) < 0) {
                ++stats_.late;
                continue;
            }
        }
        // Speex holds at most the slots in use, so only a full pool needs its exact count
        // (asking Speex walks its whole table: not on every put).
        if (free_.empty()) {
            if (bufferedFrames() < slots_.size() / 2) {
                // Slots held by packets Speex has dropped without telling: start over.
                reclaimAll();
                ++stats_.resets;
            } else {
                ++stats_.overflow;
                continue;
            }
        }
        const std::uint32_t index = free_.back();
        free_.pop_back();
        Slot& slot = slots_[index];
        slot.inUse = true;
        std::memcpy(samplesOf(index), samples.data() + k * fs, fs * sizeof(std::int16_t));
        JitterBufferPacket pkt{};
        pkt.data = reinterpret_cast<char*>(&slot);
        pkt.len = static_cast<spx_uint32_t>(fs * sizeof(std::int16_t));
        pkt.timestamp = ts;
        pkt.span = static_cast<spx_uint32_t>(fs);
        jitter_buffer_put(jb_.get(), &pkt);
        ++stats_.framesIn;
        kept = true;
    }
    if (kept) started_ = true;
    return kept;
}

void JitterBuffer::silence(media::AudioFrame& out) {
    std::fill_n(out.samples.begin(), config_.frameSamples, std::int16_t{0});
    out.silent = true;
}

void JitterBuffer::conceal(media::AudioFrame& out) {
    // Repeat the last frame, fading linearly to zero over concealFrames frames.
    const int run = missingRun_ - 1;  // 0 for the first missing frame
    const double n = static_cast<double>(config_.concealFrames);
    const double g0 = 1.0 - run / n;
    const double g1 = 1.0 - (run + 1) / n;
    const std::size_t fs = config_.frameSamples;
    for (std::size_t i = 0; i < fs; ++i) {
        const double g = g0 + (g1 - g0) * static_cast<double>(i) / static_cast<double>(fs);
        out.samples[i] = static_cast<std::int16_t>(last_[i] * g);
    }
    out.silent = false;
    ++stats_.concealed;
}

void JitterBuffer::get(media::AudioFrame& out) {
    out.sampleRate = config_.sampleRate;
    out.count = config_.frameSamples;
    out.speech = false;
    out.energy = 0;

    // Nothing received since the last (re)synchronisation: silence, and Speex is not asked
    // (it takes the next packet's timestamp as it comes). Legs that receive nothing (silent
    // or sendonly callers, hold) cost nothing here.
    if (speexResetState_ && !started_ && heldFrames() == 0) {
        silence(out);
        return;
    }

    // Bound the delay: drop the oldest frames beyond maxDelay. What Speex holds never
    // exceeds the slots in use, so its exact count is needed only when those exceed the bound.
    const std::size_t held = heldFrames();
    const std::size_t buffered = held > maxFrames_ ? bufferedFrames() : held;
    if (buffered > maxFrames_) dropOldest(buffered - maxFrames_, stats_.delayDrops);

    JitterBufferPacket pkt{};
    spx_int32_t offset = 0;
    const int ret =
        jitter_buffer_get(jb_.get(), &pkt, static_cast<spx_int32_t>(config_.frameSamples), &offset);
    if (ret == JITTER_BUFFER_OK && pkt.data) {
        auto* slot = reinterpret_cast<Slot*>(pkt.data);
        const std::int16_t* pcm = samplesOf(slot->index);
        std::memcpy(out.samples.data(), pcm, config_.frameSamples * sizeof(std::int16_t));
        std::memcpy(last_.data(), pcm, config_.frameSamples * sizeof(std::int16_t));
        release(slot->index);
        out.silent = false;
        speexResetState_ = false;
        consecutiveMisses_ = 0;
        missingRun_ = 0;
        ++stats_.framesOut;
    } else {
        ++consecutiveMisses_;
        ++missingRun_;
        if (started_ && missingRun_ <= kIdleFrames) {
            ++stats_.lost;
            if (missingRun_ <= config_.concealFrames) {
                conceal(out);
            } else {
                silence(out);
            }
        } else {
            silence(out);
        }
    }
    jitter_buffer_tick(jb_.get());
    trimBacklog();
}

void JitterBuffer::dropOldest(std::size_t frames, std::uint64_t& counter) {
    for (std::size_t i = 0; i < frames; ++i) {
        JitterBufferPacket pkt{};
        spx_int32_t offset = 0;
        if (jitter_buffer_get(jb_.get(), &pkt, static_cast<spx_int32_t>(config_.frameSamples),
                              &offset) == JITTER_BUFFER_OK) {
            speexResetState_ = false;
            if (pkt.data) releaseFromSpeex(pkt.data);
        }
        ++counter;
    }
}

void JitterBuffer::trimBacklog() {
    // The slots in use bound what is waiting from above; Speex's exact count (a walk of its
    // table) is asked once per window, and only when a trim looks due.
    const std::size_t held = heldFrames();
    if (windowTicks_ == 0 || held < windowMin_) windowMin_ = held;
    if (++windowTicks_ < kTrimWindowTicks) return;
    windowTicks_ = 0;
    if (windowMin_ < kTrimAboveFrames) return;
    const std::size_t standing = std::min(windowMin_, bufferedFrames());
    if (standing >= kTrimAboveFrames) dropOldest(standing - 1, stats_.trimmed);
}

void JitterBuffer::reset() {
    reclaimAll();
    std::fill(last_.begin(), last_.end(), std::int16_t{0});
    missingRun_ = 0;
    started_ = false;
    windowTicks_ = 0;
    ++stats_.resets;
}

}  // namespace parley::ms::rtp

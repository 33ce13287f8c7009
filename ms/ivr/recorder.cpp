#include "ms/ivr/recorder.hpp"

#include <algorithm>

namespace parley::ms::ivr {

namespace {

constexpr std::size_t kSamplesPerMs = media::kNarrowbandRate / 1000;
constexpr std::chrono::milliseconds kFrameDuration{media::kFrameMs};

std::size_t toSamples(std::chrono::milliseconds ms) {
    return static_cast<std::size_t>(std::max<std::chrono::milliseconds::rep>(0, ms.count())) *
           kSamplesPerMs;
}

}  // namespace

Recorder::Recorder(RecorderSettings settings, Sink sink, VoiceDetectorSettings vad)
    : settings_(settings), sink_(std::move(sink)), vad_(vad) {
    maxSamples_ = toSamples(settings_.maxTime);
    finalSilenceSamples_ = toSamples(settings_.finalSilence);
    if (settings_.vadInitial) preRoll_.resize(toSamples(kPreRoll));
    if (settings_.vadFinal) {
        const std::size_t frame = media::kNarrowbandSamples;
        held_.resize(std::min(
            {finalSilenceSamples_ + frame, maxSamples_ + frame, toSamples(kMaxHeldSilence)}));
    }
}

void Recorder::start(common::TimePoint now) {
    vad_.reset();
    phase_ = settings_.vadInitial ? Phase::Waiting : Phase::Recording;
    end_ = RecordEnd::None;
    heardSpeech_ = false;
    preRollHead_ = preRollCount_ = 0;
    heldHead_ = heldCount_ = 0;
    silenceRun_ = 0;
    written_ = 0;
    beepEnd_ = now;
    if (settings_.beep) {
        beep_.startBeep(kBeepDuration, kBeepLevelDbm0);
        beepEnd_ += kBeepDuration;
    }
}

bool Recorder::fillBeep(media::AudioFrame& out) {
    if (!settings_.beep || phase_ == Phase::Idle || phase_ == Phase::Ended) {
        out.clear();
        return false;
    }
    return beep_.fill(out);
}

std::chrono::milliseconds Recorder::recorded() const {
    return std::chrono::milliseconds(written_ / kSamplesPerMs);
}

RecordEnd Recorder::finish(RecordEnd end) {
    phase_ = Phase::Ended;
    end_ = end;
    return end;
}

bool Recorder::write(const std::int16_t* samples, std::size_t count) {
    if (count == 0) return true;
    if (!sink_ || !sink_(samples, count)) return false;
    written_ += count;
    return true;
}

std::size_t Recorder::roomLeft() const {
    const std::size_t used = written_ + heldCount_;
    return used >= maxSamples_ ? 0 : maxSamples_ - used;
}

bool Recorder::writeLimited(const std::int16_t* samples, std::size_t count) {
    return write(samples, std::min(count, roomLeft()));
}

bool Recorder::flushHeld(std::size_t limit) {
    std::size_t n = std::min(limit, heldCount_);
    while (n > 0) {
        const std::size_t chunk = std::min(n, held_.size() - heldHead_);
        // Account first: roomLeft() counts held samples, write() counts written ones.
        heldCount_ -= chunk;
        if (!write(held_.data() + heldHead_, chunk)) return false;
        heldHead_ = (heldHead_ + chunk) % held_.size();
        n -= chunk;
    }
    return true;
}

void Recorder::hold(const std::int16_t* samples, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        held_[(heldHead_ + heldCount_) % held_.size()] = samples[i];
        ++heldCount_;
    }
}

RecordEnd Recorder::process(const media::AudioFrame& in, common::TimePoint now) {
    if (phase_ == Phase::Ended) return end_;
    if (phase_ == Phase::Idle || now < beepEnd_) return RecordEnd::None;

    const std::size_t n = std::min(in.count, media::AudioFrame::kMaxSamples);
    const std::int16_t* samples = in.samples.data();
    if (vad_.process(in)) heardSpeech_ = true;

    if (phase_ == Phase::Waiting) {
        if (!vad_.speech()) {
            for (std::size_t i = 0; i < n && !preRoll_.empty(); ++i) {
                if (preRollCount_ == preRoll_.size()) {
                    preRoll_[preRollHead_] = samples[i];
                    preRollHead_ = (preRollHead_ + 1) % preRoll_.size();
                } else {
                    preRoll_[(preRollHead_ + preRollCount_) % preRoll_.size()] = samples[i];
                    ++preRollCount_;
                }
            }
            if (now + kFrameDuration - beepEnd_ >= settings_.timeout) {
                return finish(RecordEnd::NoInput);
            }
            return RecordEnd::None;
        }
        // Onset: the pre-roll first, oldest sample first.
        phase_ = Phase::Recording;
        const std::size_t first = std::min(preRollCount_, preRoll_.size() - preRollHead_);
        if (!writeLimited(preRoll_.data() + preRollHead_, first) ||
            !writeLimited(preRoll_.data(), preRollCount_ - first)) {
            return finish(RecordEnd::Failed);
        }
        preRollCount_ = 0;
    }

    if (settings_.vadFinal) {
        if (vad_.active()) {
            silenceRun_ = 0;
            if (!flushHeld(heldCount_) || !writeLimited(samples, n)) {
                return finish(RecordEnd::Failed);
            }
        } else {
            const std::size_t take = std::min(n, roomLeft());
            // Keep at most held_.size() back: the oldest beyond that is written now.
            const std::size_t overflow =
                heldCount_ + take > held_.size() ? heldCount_ + take - held_.size() : 0;
            if (!flushHeld(overflow)) return finish(RecordEnd::Failed);
            hold(samples, take);
            silenceRun_ += n;
            if (silenceRun_ >= finalSilenceSamples_) {
                const bool ok = flushHeld(toSamples(kSilenceTail));
                heldHead_ = heldCount_ = 0;
                return finish(ok ? RecordEnd::FinalSilence : RecordEnd::Failed);
            }
        }
    } else if (!writeLimited(samples, n)) {
        return finish(RecordEnd::Failed);
    }

    if (written_ + heldCount_ >= maxSamples_) {
        return finish(flushHeld(heldCount_) ? RecordEnd::MaxTime : RecordEnd::Failed);
    }
    return RecordEnd::None;
}

RecordEnd Recorder::onDtmf(common::TimePoint now) {
    (void)now;
    if (phase_ == Phase::Ended) return end_;
    if (phase_ == Phase::Idle || !settings_.dtmfTerm) return RecordEnd::None;
    return finish(flushHeld(heldCount_) ? RecordEnd::Dtmf : RecordEnd::Failed);
}

RecordEnd Recorder::stop() {
    if (phase_ == Phase::Ended) return end_;
    return finish(flushHeld(heldCount_) ? RecordEnd::Stopped : RecordEnd::Failed);
}

}  // namespace parley::ms::ivr

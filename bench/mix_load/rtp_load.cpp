#include "bench/mix_load/rtp_load.hpp"

#include "bench/common/tone.hpp"
#include "ms/rtp/g711.hpp"

namespace parley::bench {

namespace {

constexpr int kVoices = 9;

}  // namespace

RtpLoad::RtpLoad(RtpLoadConfig config) : config_(config) {
    for (int v = 0; v < kVoices; ++v)
        voices_.push_back(ulawTone(400.0 + 100.0 * v, config_.talkerAmplitude, kRtpFrameBytes));
    probePayload_ = ulawTone(config_.probeHz, config_.probeAmplitude, kRtpFrameBytes);
    probeCoeff_ = goertzelCoeff(config_.probeHz);
    silencePayload_.assign(kRtpFrameBytes, ms::rtp::g711Silence(ms::rtp::G711Law::Ulaw));
}

common::Result<std::unique_ptr<RtpLoad>> RtpLoad::create(common::EventLoop& loop,
                                                         RtpLoadConfig config) {
    std::unique_ptr<RtpLoad> self(new RtpLoad(config));
    RtpEngineConfig ec;
    ec.slots = config.slots;
    ec.silent = config.silent;
    ec.rxWakeups = config.rxWakeups;
    ec.countSendsAfterWindow = true;
    ec.socketBufferBytes = config.socketBufferBytes;
    ec.ssrcBase = 0x50A10000u;
    auto engine = RtpEngine::create(loop, ec, *self);
    if (!engine) return engine.error();
    self->engine_ = std::move(*engine);
    return self;
}

std::size_t RtpLoad::addLeg(std::size_t conference, Role role, int voice) {
    if (conferences_.size() <= conference) {
        const std::size_t before = conferences_.size();
        conferences_.resize(conference + 1);
        for (std::size_t c = before; c < conferences_.size(); ++c)
            conferences_[c].phase = (c * 7) % static_cast<std::uint64_t>(config_.burstEvery);
    }
    Leg leg;
    leg.conference = conference;
    leg.role = role;
    leg.voice = ((voice % kVoices) + kVoices) % kVoices;
    // Probes first in their slot: their send time is the slot's.
    const std::size_t index = engine_->addLeg(role == Role::Probe);
    legs_.push_back(leg);
    if (role == Role::Talker) conferences_[conference].listeners.push_back(index);
    return index;
}

void RtpLoad::nextPacket(std::size_t index, const RtpSendTime& when, RtpOut& out) {
    const Leg& leg = legs_[index];
    out.payload = voices_[static_cast<std::size_t>(leg.voice)].data();
    if (leg.role != Role::Probe) return;
    const bool measuring = engine_->measuring();
    Conference& conf = conferences_[leg.conference];
    const std::uint64_t pos =
        (engine_->frame() + conf.phase) % static_cast<std::uint64_t>(config_.burstEvery);
    out.payload = pos < static_cast<std::uint64_t>(config_.burstFrames) ? probePayload_.data()
                                                                        : silencePayload_.data();
    if (pos != 0) return;
    if (conf.waiting && conf.counted) missed_ += conf.listeners.size() - conf.heard;
    conf.waiting = true;
    conf.counted = measuring;
    conf.heard = 0;
    conf.onsetNs = when.batchNs;
    for (std::size_t l : conf.listeners) legs_[l].heardOnset = false;
    if (measuring) onsets_ += conf.listeners.size();
}

void RtpLoad::onMedia(std::size_t index, const std::uint8_t* data, std::size_t len,
                      std::size_t offset, std::int64_t arrivalNs) {
    Leg& leg = legs_[index];
    if (leg.role != Role::Talker || leg.heardOnset || len < offset + kRtpFrameBytes) return;
    Conference& conf = conferences_[leg.conference];
    if (!conf.waiting || arrivalNs < conf.onsetNs) return;
    if (ulawToneAmplitude(data + offset, kRtpFrameBytes, probeCoeff_) < config_.probeAmplitude / 3)
        return;
    leg.heardOnset = true;
    ++conf.heard;
    if (conf.counted) delay_.add((arrivalNs - conf.onsetNs - engine_->networkNs()) / 1000);
    if (conf.heard == conf.listeners.size()) conf.waiting = false;
}

void RtpLoad::beginMeasure() {
    engine_->beginMeasure();
    onsets_ = missed_ = 0;
    delay_.clear();
    for (Conference& c : conferences_) c.counted = false;
}

void RtpLoad::endMeasure() {
    engine_->endMeasure();
    // Onsets still being looked for are neither heard nor missed: take them out.
    for (Conference& c : conferences_) {
        if (c.waiting && c.counted) onsets_ -= c.listeners.size() - c.heard;
        c.counted = false;
    }
}

RtpLoadReport RtpLoad::report() const {
    RtpLoadReport r;
    static_cast<RtpStreamReport&>(r) = engine_->report();
    r.onsets = onsets_;
    r.missedOnsets = missed_;
    r.delay = &delay_;
    return r;
}

}  // namespace parley::bench

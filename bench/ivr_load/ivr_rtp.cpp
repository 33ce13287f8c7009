#include "bench/ivr_load/ivr_rtp.hpp"

#include <algorithm>

#include "bench/common/tone.hpp"
#include "ms/rtp/g711.hpp"

namespace parley::bench {

namespace {

constexpr std::uint8_t kPcmu = 0;
constexpr std::uint8_t kEventPt = 101;
constexpr int kEndRepeats = 3;

int eventCode(char d) {
    if (d >= '0' && d <= '9') return d - '0';
    if (d == '*') return 10;
    if (d == '#') return 11;
    if (d >= 'A' && d <= 'D') return 12 + (d - 'A');
    return -1;
}

}  // namespace

struct IvrRtp::Leg {
    bool checkPrompt = false;
    std::uint8_t event[4] = {};
    std::uint64_t toneFrames = 0;
    // digits
    std::string digits;  // the sequence being sent ("" when none)
    std::size_t digit = 0;
    int frameInDigit = 0;  // 0..digitFrames-1 events, digitFrames: end, then gap frames
    std::uint32_t eventTs = 0;
    std::vector<std::int64_t> endSent;
    DigitsSent done;
};

IvrRtp::IvrRtp(IvrRtpConfig config) : config_(std::move(config)) {
    if (config_.digitFrames < 1) config_.digitFrames = 1;
    if (config_.gapFrames < 1) config_.gapFrames = 1;
    tonePayload_ = ulawTone(config_.callerHz, config_.callerAmplitude, kRtpFrameBytes);
    silencePayload_.assign(kRtpFrameBytes, ms::rtp::g711Silence(ms::rtp::G711Law::Ulaw));
    for (double hz : config_.promptHz) promptCoeffs_.push_back(goertzelCoeff(hz));
    talking_ = config_.talking;
}

IvrRtp::~IvrRtp() = default;

common::Result<std::unique_ptr<IvrRtp>> IvrRtp::create(common::EventLoop& loop,
                                                       IvrRtpConfig config) {
    std::unique_ptr<IvrRtp> self(new IvrRtp(std::move(config)));
    RtpEngineConfig ec;
    ec.slots = self->config_.slots;
    ec.countSendsAfterWindow = false;
    ec.socketBufferBytes = self->config_.socketBufferBytes;
    ec.ssrcBase = 0x1F400000u;
    auto engine = RtpEngine::create(loop, ec, *self);
    if (!engine) return engine.error();
    self->engine_ = std::move(*engine);
    return self;
}

std::size_t IvrRtp::addLeg(bool checkPrompt) {
    Leg leg;
    leg.checkPrompt = checkPrompt;
    leg.endSent.reserve(16);
    legs_.push_back(std::move(leg));
    return engine_->addLeg();
}

std::uint64_t IvrRtp::toneFrames(std::size_t leg) const {
    return legs_.at(leg).toneFrames;
}

bool IvrRtp::sendDigits(std::size_t index, const std::string& digits, DigitsSent done) {
    Leg& leg = legs_.at(index);
    if (!leg.digits.empty() || digits.empty() || !engine_->hasRemote(index)) return false;
    for (char d : digits)
        if (eventCode(d) < 0) return false;
    leg.digits = digits;
    leg.digit = 0;
    leg.frameInDigit = 0;
    leg.endSent.clear();
    leg.done = std::move(done);
    return true;
}

void IvrRtp::nextPacket(std::size_t index, const RtpSendTime& when, RtpOut& out) {
    Leg& leg = legs_[index];
    out.payload = talking_ ? tonePayload_.data() : silencePayload_.data();
    if (!leg.digits.empty()) {
        const int eventFrames = config_.digitFrames;
        if (leg.frameInDigit == 0) leg.eventTs = out.timestamp;
        if (leg.frameInDigit <= eventFrames) {
            const bool end = leg.frameInDigit == eventFrames;
            const auto duration = static_cast<std::uint32_t>(
                                      std::min(leg.frameInDigit + 1, eventFrames)) *
                                  kRtpFrameBytes;
            leg.event[0] = static_cast<std::uint8_t>(eventCode(leg.digits[leg.digit]));
            leg.event[1] = static_cast<std::uint8_t>((end ? 0x80 : 0x00) | 10);  // -10 dBm0
            leg.event[2] = static_cast<std::uint8_t>(duration >> 8);
            leg.event[3] = static_cast<std::uint8_t>(duration);
            out.payloadType = kEventPt;
            out.marker = leg.frameInDigit == 0;
            out.timestamp = leg.eventTs;
            out.payload = leg.event;
            out.len = sizeof leg.event;
            if (end) {
                out.copies = kEndRepeats;
                leg.endSent.push_back(when.slotNs);
            }
        }
        if (++leg.frameInDigit >= eventFrames + 1 + config_.gapFrames) {
            leg.frameInDigit = 0;
            if (++leg.digit == leg.digits.size()) {
                leg.digits.clear();
                if (leg.done) {
                    auto done = std::move(leg.done);
                    leg.done = nullptr;
                    done(leg.endSent);
                }
            }
        }
    }
    if (out.payloadType == kPcmu && talking_) ++leg.toneFrames;
}

void IvrRtp::onMedia(std::size_t index, const std::uint8_t* data, std::size_t len,
                     std::size_t offset, std::int64_t) {
    if (!engine_->measuring()) return;
    const Leg& leg = legs_[index];
    if (!leg.checkPrompt || (data[1] & 0x7F) != kPcmu || len < offset + kRtpFrameBytes) return;
    ++promptFrames_;
    bool heard = false;
    for (double coeff : promptCoeffs_) {
        if (ulawToneAmplitude(data + offset, kRtpFrameBytes, coeff) >= config_.promptMinAmplitude) {
            heard = true;
            break;
        }
    }
    if (!heard) ++promptGaps_;
}

void IvrRtp::beginMeasure() {
    engine_->beginMeasure();
    promptFrames_ = promptGaps_ = 0;
}

IvrRtpReport IvrRtp::report() const {
    IvrRtpReport r;
    static_cast<RtpStreamReport&>(r) = engine_->report();
    r.promptFrames = promptFrames_;
    r.promptGaps = promptGaps_;
    return r;
}

}  // namespace parley::bench

#include "ms/rtp/telephone_event.hpp"

#include <algorithm>

namespace parley::ms::rtp {
namespace {

constexpr std::array<char, 16> kDigits = {'0', '1', '2', '3', '4', '5', '6', '7',
                                          '8', '9', '*', '#', 'A', 'B', 'C', 'D'};
constexpr std::uint32_t kMaxSegment = 0xFFFF;
constexpr int kTickMs = 20;
constexpr std::uint32_t kMinTicks = 2;
constexpr std::uint32_t kMaxTicks = 8000 / kTickMs;

}  // namespace

char eventCodeToDigit(std::uint8_t code) {
    return code < kDigits.size() ? kDigits[code] : '\0';
}

std::optional<std::uint8_t> digitToEventCode(char digit) {
    if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
    for (std::size_t i = 0; i < kDigits.size(); ++i)
        if (kDigits[i] == digit) return static_cast<std::uint8_t>(i);
    return std::nullopt;
}

bool parseTelephoneEvent(std::span<const std::uint8_t> payload, TelephoneEventPayload& out) {
    if (payload.size() < kTelephoneEventSize) return false;
    out.event = payload[0];
    out.end = (payload[1] & 0x80) != 0;
    out.volume = payload[1] & 0x3F;
    out.duration = static_cast<std::uint16_t>((payload[2] << 8) | payload[3]);
    return true;
}

void writeTelephoneEvent(const TelephoneEventPayload& e, std::uint8_t* out4) {
    out4[0] = e.event;
    out4[1] = static_cast<std::uint8_t>((e.end ? 0x80 : 0) | (e.volume & 0x3F));
    out4[2] = static_cast<std::uint8_t>(e.duration >> 8);
    out4[3] = static_cast<std::uint8_t>(e.duration);
}

// --- receiver ---

DigitEvent TelephoneEventReceiver::finish(bool endSeen) {
    active_ = false;
    ++counters_.digits;
    DigitEvent ev;
    ev.digit = eventCodeToDigit(code_);
    ev.durationSamples = segmentBase_ + duration_;
    ev.duration = std::chrono::milliseconds(std::uint64_t{ev.durationSamples} * 1000 / clockRate_);
    ev.endSeen = endSeen;
    return ev;
}

TelephoneEventReceiver::Outcome TelephoneEventReceiver::onPacket(
    std::uint32_t timestamp, std::span<const std::uint8_t> payload, common::TimePoint now) {
    Outcome out;
    ++counters_.packets;
    TelephoneEventPayload ev;
    if (!parseTelephoneEvent(payload, ev)) {
        ++counters_.malformed;
        return out;
    }
    if (ev.event >= kDigits.size()) {
        ++counters_.unsupported;
        return out;
    }
    if (haveLast_) {
        const auto diff = static_cast<std::int32_t>(timestamp - lastTs_);
        if (diff < 0) {
            ++counters_.stale;
            return out;
        }
        if (diff == 0) {
            if (!active_ || ev.event != code_) {
                ++counters_.duplicates;
                return out;
            }
            duration_ = std::max<std::uint32_t>(duration_, ev.duration);
            lastPacket_ = now;
            if (ev.end) out.ended = finish(true);
            return out;
        }
        // A long event continues in a new segment starting where the last one stopped.
        const auto step = static_cast<std::uint32_t>(diff);
        if (active_ && ev.event == code_ && step <= kMaxSegment &&
            duration_ + clockRate_ / 10 >= kMaxSegment) {
            segmentBase_ += step;
            lastTs_ = timestamp;
            duration_ = ev.duration;
            lastPacket_ = now;
            if (ev.end) out.ended = finish(true);
            return out;
        }
        if (active_) out.ended = finish(false);
    }
    haveLast_ = true;
    active_ = true;
    lastTs_ = timestamp;
    code_ = ev.event;
    duration_ = ev.duration;
    segmentBase_ = 0;
    lastPacket_ = now;
    out.started = eventCodeToDigit(code_);
    if (ev.end) {
        if (out.ended) {
            out.alsoEnded = finish(true);
        } else {
            out.ended = finish(true);
        }
    }
    return out;
}

std::optional<DigitEvent> TelephoneEventReceiver::onTick(common::TimePoint now) {
    if (!active_ || now - lastPacket_ < endTimeout_) return std::nullopt;
    ++counters_.timeouts;
    return finish(false);
}

void TelephoneEventReceiver::reset() {
    active_ = false;
    haveLast_ = false;
    lastTs_ = 0;
    segmentBase_ = 0;
    duration_ = 0;
}

// --- sender ---

bool TelephoneEventSender::queue(char digit, std::chrono::milliseconds duration) {
    const auto code = digitToEventCode(digit);
    if (!code || count_ == kQueueCapacity) return false;
    const auto ms = std::max<std::int64_t>(duration.count(), 0);
    auto ticks =
        static_cast<std::uint32_t>(std::min<std::int64_t>((ms + kTickMs - 1) / kTickMs, kMaxTicks));
    ticks = std::max(ticks, kMinTicks);
    queue_[(head_ + count_) % kQueueCapacity] = Pending{*code, ticks};
    ++count_;
    return true;
}

bool TelephoneEventSender::sendingEvent() const {
    return phase_ == Phase::Sending || phase_ == Phase::Ending ||
           (phase_ == Phase::Idle && count_ > 0);
}

void TelephoneEventSender::clear() {
    count_ = 0;
    head_ = 0;
    phase_ = Phase::Idle;
}

std::optional<TelephoneEventPacket> TelephoneEventSender::onTick(std::uint32_t tickTimestamp) {
    if (phase_ == Phase::Gap) {
        if (--gapLeft_ <= 0) phase_ = Phase::Idle;
        return std::nullopt;
    }
    if (phase_ == Phase::Idle) {
        if (count_ == 0) return std::nullopt;
        current_ = queue_[head_];
        head_ = (head_ + 1) % kQueueCapacity;
        --count_;
        phase_ = Phase::Sending;
        startTs_ = tickTimestamp;
        ticksSent_ = 0;
    }
    TelephoneEventPacket pkt;
    pkt.timestamp = startTs_;
    TelephoneEventPayload ev;
    ev.event = current_.code;
    ev.volume = volume_;
    if (phase_ == Phase::Sending) {
        ++ticksSent_;
        pkt.marker = ticksSent_ == 1;
        if (ticksSent_ >= current_.ticks) {
            phase_ = Phase::Ending;
            endsSent_ = 1;
            ev.end = true;
        }
    } else {  // Ending: the redundant end packets
        ++endsSent_;
        ev.end = true;
        if (endsSent_ >= kEndPackets) {
            gapLeft_ = gapTicks_;
            phase_ = gapTicks_ > 0 ? Phase::Gap : Phase::Idle;
        }
    }
    ev.duration = static_cast<std::uint16_t>(
        std::min<std::uint32_t>(ticksSent_ * samplesPerTick_, kMaxSegment));
    writeTelephoneEvent(ev, pkt.payload.data());
    return pkt;
}

}  // namespace parley::ms::rtp

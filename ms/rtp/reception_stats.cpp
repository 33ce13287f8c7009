#include "ms/rtp/reception_stats.hpp"

#include <algorithm>

namespace parley::ms::rtp {
namespace {
constexpr std::uint32_t kSeqMod = 1u << 16;
}

void ReceptionStats::initSeq(std::uint16_t seq) {
    baseSeq_ = seq;
    maxSeq_ = seq;
    badSeq_ = kSeqMod + 1;
    cycles_ = 0;
    received_ = 0;
    receivedPrior_ = 0;
    expectedPrior_ = 0;
}

bool ReceptionStats::onPacket(std::uint16_t seq, std::uint32_t rtpTimestamp, std::uint32_t arrival,
                              bool timing) {
    if (!started_) {
        initSeq(seq);
        started_ = true;
    } else {
        const std::uint16_t udelta = static_cast<std::uint16_t>(seq - maxSeq_);
        if (udelta < kMaxDropout) {
            if (seq < maxSeq_) cycles_ += kSeqMod;  // wrapped
            maxSeq_ = seq;
        } else if (udelta <= kSeqMod - kMaxMisorder) {
            if (seq == badSeq_) {
                initSeq(seq);  // two in a row after the jump: the source restarted
                haveTransit_ = false;
            } else {
                badSeq_ = (seq + 1u) & (kSeqMod - 1);
                return false;
            }
        }
        // else: duplicate or reordered packet, counted but does not move maxSeq_
    }
    ++received_;
    if (!timing) return true;

    const auto transit = static_cast<std::int32_t>(arrival - rtpTimestamp);
    if (haveTransit_) {
        std::int32_t d = transit - lastTransit_;
        if (d < 0) d = -d;
        // J += (|D| - J) / 16, kept scaled by 16 (RFC 3550 A.8)
        jitterQ4_ = static_cast<std::uint32_t>(static_cast<std::int64_t>(jitterQ4_) + d -
                                               ((jitterQ4_ + 8) >> 4));
    }
    lastTransit_ = transit;
    haveTransit_ = true;
    return true;
}

std::int64_t ReceptionStats::expected() const {
    if (!started_) return 0;
    return static_cast<std::int64_t>(extendedHighestSeq()) - baseSeq_ + 1;
}

std::int64_t ReceptionStats::cumulativeLost() const {
    return expected() - static_cast<std::int64_t>(received_);
}

RtcpReportBlock ReceptionStats::makeReportBlock(std::uint32_t ssrc, std::uint32_t lastSr,
                                                std::uint32_t delaySinceLastSr) {
    RtcpReportBlock b;
    b.ssrc = ssrc;
    const std::int64_t exp = expected();
    const std::int64_t expectedInterval = exp - expectedPrior_;
    const auto receivedInterval = static_cast<std::int64_t>(received_ - receivedPrior_);
    const std::int64_t lostInterval = expectedInterval - receivedInterval;
    expectedPrior_ = exp;
    receivedPrior_ = received_;
    b.fractionLost = (expectedInterval == 0 || lostInterval <= 0)
                         ? 0
                         : static_cast<std::uint8_t>(
                               std::min<std::int64_t>(255, (lostInterval << 8) / expectedInterval));
    b.cumulativeLost =
        static_cast<std::int32_t>(std::clamp<std::int64_t>(cumulativeLost(), -0x800000, 0x7FFFFF));
    b.extendedHighestSeq = extendedHighestSeq();
    b.jitter = jitter();
    b.lastSr = lastSr;
    b.delaySinceLastSr = delaySinceLastSr;
    return b;
}

}  // namespace parley::ms::rtp

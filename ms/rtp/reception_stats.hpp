#pragma once
// Reception statistics of one RTP source (RFC 3550 appendix A.1, A.3, A.8): extended
// highest sequence number with wrap counting, expected and lost packets, interarrival
// jitter, and the report block that goes in our SR/RR.
//
// Contract: feed every packet of the source with its arrival time expressed in the
// payload's clock units (any origin, only differences matter). A jump of more than
// kMaxDropout sequence numbers is believed only when the next packet follows it (the
// source restarted); until then onPacket() returns false and the packet is not counted.
// No allocation, no I/O.

#include <cstdint>

#include "ms/rtp/rtcp_packet.hpp"

namespace parley::ms::rtp {

class ReceptionStats {
  public:
    static constexpr std::uint32_t kMaxDropout = 3000;
    static constexpr std::uint32_t kMaxMisorder = 100;

    // False for a packet not counted (an unconfirmed big jump). `timing` false leaves the
    // jitter estimate alone (telephone-event packets reuse one timestamp).
    bool onPacket(std::uint16_t seq, std::uint32_t rtpTimestamp, std::uint32_t arrival,
                  bool timing = true);
    void reset() { *this = ReceptionStats(); }

    bool started() const { return started_; }
    std::uint64_t received() const { return received_; }
    std::uint32_t extendedHighestSeq() const { return cycles_ + maxSeq_; }
    std::int64_t expected() const;
    std::int64_t cumulativeLost() const;                     // may be negative with duplicates
    std::uint32_t jitter() const { return jitterQ4_ >> 4; }  // clock units

    // The report block about this source; updates the "since last report" baseline.
    RtcpReportBlock makeReportBlock(std::uint32_t ssrc, std::uint32_t lastSr,
                                    std::uint32_t delaySinceLastSr);

  private:
    void initSeq(std::uint16_t seq);

    bool started_ = false;
    std::uint16_t maxSeq_ = 0;
    std::uint32_t cycles_ = 0;
    std::uint32_t baseSeq_ = 0;
    std::uint32_t badSeq_ = 0x10001;
    std::uint64_t received_ = 0;
    std::int64_t expectedPrior_ = 0;
    std::uint64_t receivedPrior_ = 0;
    bool haveTransit_ = false;
    std::int32_t lastTransit_ = 0;
    std::uint32_t jitterQ4_ = 0;  // jitter * 16
};

}  // namespace parley::ms::rtp

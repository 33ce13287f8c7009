#pragma once
// RTCP compound packets (RFC 3550 section 6): build SR, RR, SDES CNAME and BYE; parse SR,
// RR, SDES CNAME and BYE from the peer.
//
// Contract:
// - parseRtcp() never reads outside the buffer and never allocates. It applies the
//   validity checks of RFC 3550 appendix A.2: every packet is version 2, the first one is
//   an SR or RR, only the last one may carry padding, each packet's length field fits in
//   what remains, the lengths add up to the datagram, and each SR/RR/SDES/BYE is long
//   enough for the counts it declares. Any failure rejects the whole compound.
// - Other packet types (APP, XR, feedback...) are skipped and counted in otherPackets.
// - The parsed compound has fixed capacity (kMaxReports reports, kMaxCnames CNAMEs,
//   kMaxBye BYE sources); what exceeds it is skipped, not an error.
// - RtcpWriter appends packets to a caller-owned buffer; an add that does not fit returns
//   false, leaves the buffer as it was and makes ok() false.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace parley::ms::rtp {

inline constexpr std::uint8_t kRtcpSr = 200;
inline constexpr std::uint8_t kRtcpRr = 201;
inline constexpr std::uint8_t kRtcpSdes = 202;
inline constexpr std::uint8_t kRtcpBye = 203;
inline constexpr std::size_t kMaxReportBlocks = 31;

enum class RtcpParseError {
    None,
    TooShort,        // less than one 4-byte header, or a header past the end
    BadVersion,      // some packet is not version 2
    NotReportFirst,  // first packet is not SR or RR
    BadLength,       // a length field runs past the datagram or lengths do not add up
    BadPadding,      // padding on a packet that is not the last, or a bad count
    BadReport,       // SR/RR shorter than its report count needs
    BadSdes,         // SDES chunks or items run past the packet
    BadBye,          // BYE shorter than its source count or reason
};

const char* describe(RtcpParseError e);

struct RtcpReportBlock {
    std::uint32_t ssrc = 0;           // the source this block is about
    std::uint8_t fractionLost = 0;    // fixed point /256 since the last report
    std::int32_t cumulativeLost = 0;  // 24-bit signed
    std::uint32_t extendedHighestSeq = 0;
    std::uint32_t jitter = 0;            // timestamp units
    std::uint32_t lastSr = 0;            // LSR: middle 32 bits of the last SR's NTP time
    std::uint32_t delaySinceLastSr = 0;  // DLSR in 1/65536 s
};

struct RtcpSenderInfo {
    std::uint64_t ntpTime = 0;  // NTP 32.32 fixed point
    std::uint32_t rtpTimestamp = 0;
    std::uint32_t packetCount = 0;
    std::uint32_t octetCount = 0;
};

struct RtcpReport {
    std::uint32_t ssrc = 0;
    bool isSender = false;  // SR (sender info valid) or RR
    RtcpSenderInfo sender;
    std::size_t blockCount = 0;
    std::array<RtcpReportBlock, kMaxReportBlocks> blocks{};
};

struct RtcpCname {
    std::uint32_t ssrc = 0;
    std::array<char, 255> text{};
    std::size_t length = 0;
    std::string_view view() const { return {text.data(), length}; }
};

struct RtcpCompound {
    static constexpr std::size_t kMaxReports = 4;
    static constexpr std::size_t kMaxCnames = 4;
    static constexpr std::size_t kMaxBye = 31;

    std::array<RtcpReport, kMaxReports> reports{};
    std::size_t reportCount = 0;
    std::array<RtcpCname, kMaxCnames> cnames{};
    std::size_t cnameCount = 0;
    bool hasBye = false;
    std::array<std::uint32_t, kMaxBye> byeSsrcs{};
    std::size_t byeCount = 0;
    std::size_t otherPackets = 0;  // APP, XR, ... skipped
    std::size_t skipped = 0;       // entries beyond the fixed capacity

    void clear();
};

RtcpParseError parseRtcp(std::span<const std::uint8_t> datagram, RtcpCompound& out);

class RtcpWriter {
  public:
    explicit RtcpWriter(std::span<std::uint8_t> buffer) : buf_(buffer) {}

    bool addSenderReport(std::uint32_t ssrc, const RtcpSenderInfo& info,
                         std::span<const RtcpReportBlock> blocks);
    bool addReceiverReport(std::uint32_t ssrc, std::span<const RtcpReportBlock> blocks);
    bool addSdesCname(std::uint32_t ssrc, std::string_view cname);  // cname up to 255 bytes
    bool addBye(std::span<const std::uint32_t> ssrcs);              // up to 31 sources

    bool ok() const { return ok_; }
    std::size_t size() const { return used_; }
    std::span<const std::uint8_t> bytes() const { return buf_.first(used_); }

  private:
    bool fail() {
        ok_ = false;
        return false;
    }
    std::uint8_t* begin(std::size_t bytes, std::uint8_t count, std::uint8_t type);
    void writeBlock(std::uint8_t* p, const RtcpReportBlock& b);

    std::span<std::uint8_t> buf_;
    std::size_t used_ = 0;
    bool ok_ = true;
};

// The middle 32 bits of an NTP timestamp (the LSR/DLSR unit is 1/65536 s).
inline std::uint32_t ntpMiddle32(std::uint64_t ntp) {
    return static_cast<std::uint32_t>(ntp >> 16);
}

}  // namespace parley::ms::rtp

#pragma once
// RTP data packets (RFC 3550 section 5.1): parse and build the fixed header, the CSRC
// list, the header extension and padding.
//
// Contract:
// - parseRtp() never reads outside [data, data+size) and never allocates. It rejects
//   (returns a RtpParseError other than None) anything that is not a well-formed version 2
//   packet: shorter than 12 bytes, CSRC list or extension running past the end, padding
//   count 0 or larger than what follows the header. On success the view points into the
//   caller's buffer, so it is valid only as long as that buffer is.
// - buildRtp() writes header, CSRCs, extension, payload and padding into the caller's
//   buffer and returns the number of bytes written, or 0 when it does not fit or the
//   header is not representable (more than 15 CSRCs, payload type above 127, extension not
//   a multiple of 4 bytes, padding of 0 or above 255).
// - Counting rejected packets is the caller's business (RtpSession counts them).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::ms::rtp {

inline constexpr std::size_t kRtpHeaderSize = 12;
inline constexpr std::size_t kMaxCsrc = 15;
inline constexpr std::size_t kMaxRtpPacket = 1500;  // what we send and accept

enum class RtpParseError {
    None,
    TooShort,          // fewer than 12 bytes
    BadVersion,        // version field is not 2
    CsrcOverrun,       // CSRC list longer than the packet
    ExtensionOverrun,  // extension header or body longer than the packet
    BadPadding,        // padding count 0 or past the header
};

const char* describe(RtpParseError e);

struct RtpHeader {
    bool marker = false;
    std::uint8_t payloadType = 0;  // 0..127
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    std::uint8_t csrcCount = 0;
    std::array<std::uint32_t, kMaxCsrc> csrc{};
};

// A parsed packet: header fields plus spans into the parsed buffer.
struct RtpPacketView {
    RtpHeader header;
    bool hasExtension = false;
    std::uint16_t extensionProfile = 0;
    std::span<const std::uint8_t> extension;  // extension body (without its 4-byte header)
    std::span<const std::uint8_t> payload;    // without padding
    std::size_t paddingSize = 0;              // 0 when the P bit is clear
};

RtpParseError parseRtp(std::span<const std::uint8_t> packet, RtpPacketView& out);

// What to add beyond the fixed header when building.
struct RtpBuildOptions {
    bool hasExtension = false;
    std::uint16_t extensionProfile = 0;
    std::span<const std::uint8_t> extension;  // multiple of 4 bytes
    std::size_t padding = 0;                  // 0: no P bit; else 1..255 bytes at the end
};

std::size_t buildRtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                     std::span<std::uint8_t> out, const RtpBuildOptions& options = {});

// Big-endian helpers shared by the RTP and RTCP code.
inline std::uint16_t readBe16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t readBe32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
inline void writeBe16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void writeBe32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace parley::ms::rtp

#include "ms/rtp/rtp_packet.hpp"

#include <cstring>

namespace parley::ms::rtp {

const char* describe(RtpParseError e) {
    switch (e) {
        case RtpParseError::None:
            return "ok";
        case RtpParseError::TooShort:
            return "shorter than the RTP header";
        case RtpParseError::BadVersion:
            return "RTP version is not 2";
        case RtpParseError::CsrcOverrun:
            return "CSRC list runs past the packet";
        case RtpParseError::ExtensionOverrun:
            return "header extension runs past the packet";
        case RtpParseError::BadPadding:
            return "invalid padding count";
    }
    return "unknown";
}

RtpParseError parseRtp(std::span<const std::uint8_t> packet, RtpPacketView& out) {
    const std::size_t size = packet.size();
    if (size < kRtpHeaderSize) return RtpParseError::TooShort;
    const std::uint8_t* p = packet.data();
    if ((p[0] >> 6) != 2) return RtpParseError::BadVersion;
    const bool padding = (p[0] & 0x20) != 0;
    const bool extension = (p[0] & 0x10) != 0;
    const std::uint8_t cc = p[0] & 0x0F;

    RtpHeader& h = out.header;
    h.marker = (p[1] & 0x80) != 0;
    h.payloadType = p[1] & 0x7F;
    h.sequence = readBe16(p + 2);
    h.timestamp = readBe32(p + 4);
    h.ssrc = readBe32(p + 8);

    std::size_t offset = kRtpHeaderSize;
    if (size - offset < std::size_t{cc} * 4) return RtpParseError::CsrcOverrun;
    h.csrcCount = cc;
    for (std::size_t i = 0; i < cc; ++i) h.csrc[i] = readBe32(p + offset + i * 4);
    offset += std::size_t{cc} * 4;

    out.hasExtension = extension;
    out.extensionProfile = 0;
    out.extension = {};
    if (extension) {
        if (size - offset < 4) return RtpParseError::ExtensionOverrun;
        out.extensionProfile = readBe16(p + offset);
        const std::size_t words = readBe16(p + offset + 2);
        offset += 4;
        if (size - offset < words * 4) return RtpParseError::ExtensionOverrun;
        out.extension = packet.subspan(offset, words * 4);
        offset += words * 4;
    }

    std::size_t end = size;
    out.paddingSize = 0;
    if (padding) {
        const std::size_t count = p[size - 1];
        if (count == 0 || count > size - offset) return RtpParseError::BadPadding;
        out.paddingSize = count;
        end -= count;
    }
    out.payload = packet.subspan(offset, end - offset);
    return RtpParseError::None;
}

std::size_t buildRtp(const RtpHeader& header, std::span<const std::uint8_t> payload,
                     std::span<std::uint8_t> out, const RtpBuildOptions& options) {
    if (header.csrcCount > kMaxCsrc || header.payloadType > 127) return 0;
    if (options.hasExtension &&
        (options.extension.size() % 4 != 0 || options.extension.size() / 4 > 0xFFFF))
        return 0;
    if (options.padding > 255) return 0;
    const std::size_t need = kRtpHeaderSize + std::size_t{header.csrcCount} * 4 +
                             (options.hasExtension ? 4 + options.extension.size() : 0) +
                             payload.size() + options.padding;
    if (need > out.size()) return 0;

    std::uint8_t* p = out.data();
    p[0] = static_cast<std::uint8_t>(0x80 | (options.padding ? 0x20 : 0) |
                                     (options.hasExtension ? 0x10 : 0) | header.csrcCount);
    p[1] = static_cast<std::uint8_t>((header.marker ? 0x80 : 0) | header.payloadType);
    writeBe16(p + 2, header.sequence);
    writeBe32(p + 4, header.timestamp);
    writeBe32(p + 8, header.ssrc);
    std::size_t offset = kRtpHeaderSize;
    for (std::size_t i = 0; i < header.csrcCount; ++i, offset += 4)
        writeBe32(p + offset, header.csrc[i]);
    if (options.hasExtension) {
        writeBe16(p + offset, options.extensionProfile);
        writeBe16(p + offset + 2, static_cast<std::uint16_t>(options.extension.size() / 4));
        offset += 4;
        if (!options.extension.empty())
            std::memcpy(p + offset, options.extension.data(), options.extension.size());
        offset += options.extension.size();
    }
    if (!payload.empty()) std::memcpy(p + offset, payload.data(), payload.size());
    offset += payload.size();
    if (options.padding) {
        std::memset(p + offset, 0, options.padding - 1);
        p[offset + options.padding - 1] = static_cast<std::uint8_t>(options.padding);
        offset += options.padding;
    }
    return offset;
}

}  // namespace parley::ms::rtp

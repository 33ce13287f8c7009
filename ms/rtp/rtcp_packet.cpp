#include "ms/rtp/rtcp_packet.hpp"

#include <algorithm>
#include <cstring>

#include "ms/rtp/rtp_packet.hpp"

namespace parley::ms::rtp {

const char* describe(RtcpParseError e) {
    switch (e) {
        case RtcpParseError::None:
            return "ok";
        case RtcpParseError::TooShort:
            return "shorter than an RTCP header";
        case RtcpParseError::BadVersion:
            return "RTCP version is not 2";
        case RtcpParseError::NotReportFirst:
            return "compound does not start with SR or RR";
        case RtcpParseError::BadLength:
            return "RTCP length does not match the datagram";
        case RtcpParseError::BadPadding:
            return "invalid RTCP padding";
        case RtcpParseError::BadReport:
            return "SR/RR shorter than its report count";
        case RtcpParseError::BadSdes:
            return "malformed SDES chunk";
        case RtcpParseError::BadBye:
            return "malformed BYE";
    }
    return "unknown";
}

void RtcpCompound::clear() {
    reportCount = 0;
    cnameCount = 0;
    hasBye = false;
    byeCount = 0;
    otherPackets = 0;
    skipped = 0;
}

namespace {

constexpr std::size_t kBlockSize = 24;

RtcpReportBlock readBlock(const std::uint8_t* p) {
    RtcpReportBlock b;
    b.ssrc = readBe32(p);
    b.fractionLost = p[4];
    std::uint32_t lost = (std::uint32_t{p[5]} << 16) | (std::uint32_t{p[6]} << 8) | p[7];
    // sign-extend the 24-bit value
    b.cumulativeLost = (lost & 0x800000) ? static_cast<std::int32_t>(lost | 0xFF000000u)
                                         : static_cast<std::int32_t>(lost);
    b.extendedHighestSeq = readBe32(p + 8);
    b.jitter = readBe32(p + 12);
    b.lastSr = readBe32(p + 16);
    b.delaySinceLastSr = readBe32(p + 20);
    return b;
}

// body: the packet after its 4-byte header, padding removed.
RtcpParseError parseReport(bool sender, std::uint8_t count, std::span<const std::uint8_t> body,
                           RtcpCompound& out) {
    const std::size_t fixed = sender ? 24 : 4;
    if (body.size() < fixed + std::size_t{count} * kBlockSize) return RtcpParseError::BadReport;
    if (out.reportCount == RtcpCompound::kMaxReports) {
        ++out.skipped;
        return RtcpParseError::None;
    }
    RtcpReport& r = out.reports[out.reportCount++];
    const std::uint8_t* p = body.data();
    r.ssrc = readBe32(p);
    r.isSender = sender;
    r.sender = {};
    if (sender) {
        r.sender.ntpTime = (std::uint64_t{readBe32(p + 4)} << 32) | readBe32(p + 8);
        r.sender.rtpTimestamp = readBe32(p + 12);
        r.sender.packetCount = readBe32(p + 16);
        r.sender.octetCount = readBe32(p + 20);
    }
    r.blockCount = count;
    for (std::size_t i = 0; i < count; ++i) r.blocks[i] = readBlock(p + fixed + i * kBlockSize);
    return RtcpParseError::None;
}

RtcpParseError parseSdes(std::uint8_t count, std::span<const std::uint8_t> body,
                         RtcpCompound& out) {
    std::size_t off = 0;
    const std::size_t n = body.size();
    const std::uint8_t* p = body.data();
    for (std::size_t c = 0; c < count; ++c) {
        if (n - off < 4) return RtcpParseError::BadSdes;
        const std::uint32_t ssrc = readBe32(p + off);
        off += 4;
        // items until a null item
        for (;;) {
            if (off >= n) return RtcpParseError::BadSdes;
            const std::uint8_t type = p[off];
            if (type == 0) break;
            if (n - off < 2) return RtcpParseError::BadSdes;
            const std::size_t len = p[off + 1];
            if (n - off - 2 < len) return RtcpParseError::BadSdes;
            if (type == 1) {  // CNAME
                if (out.cnameCount < RtcpCompound::kMaxCnames) {
                    RtcpCname& cn = out.cnames[out.cnameCount++];
                    cn.ssrc = ssrc;
                    cn.length = len;
                    if (len) std::memcpy(cn.text.data(), p + off + 2, len);
                } else {
                    ++out.skipped;
                }
            }
            off += 2 + len;
        }
        // the null item and the padding up to the next 32-bit boundary
        off = (off + 4) & ~std::size_t{3};
        if (off > n) return RtcpParseError::BadSdes;
    }
    return RtcpParseError::None;
}

RtcpParseError parseBye(std::uint8_t count, std::span<const std::uint8_t> body, RtcpCompound& out) {
    const std::size_t need = std::size_t{count} * 4;
    if (body.size() < need) return RtcpParseError::BadBye;
    if (body.size() > need) {  // optional reason: length byte + text
        const std::size_t len = body[need];
        if (body.size() - need - 1 < len) return RtcpParseError::BadBye;
    }
    out.hasBye = true;
    for (std::size_t i = 0; i < count; ++i) {
        if (out.byeCount < RtcpCompound::kMaxBye) {
            out.byeSsrcs[out.byeCount++] = readBe32(body.data() + i * 4);
        } else {
            ++out.skipped;
        }
    }
    return RtcpParseError::None;
}

}  // namespace

RtcpParseError parseRtcp(std::span<const std::uint8_t> datagram, RtcpCompound& out) {
    out.clear();
    const std::size_t size = datagram.size();
    if (size < 4) return RtcpParseError::TooShort;
    std::size_t off = 0;
    bool first = true;
    while (off < size) {
        if (size - off < 4) return RtcpParseError::TooShort;
        const std::uint8_t* h = datagram.data() + off;
        if ((h[0] >> 6) != 2) return RtcpParseError::BadVersion;
        const bool padding = (h[0] & 0x20) != 0;
        const std::uint8_t count = h[0] & 0x1F;
        const std::uint8_t type = h[1];
        const std::size_t len = (std::size_t{readBe16(h + 2)} + 1) * 4;
        if (len > size - off) return RtcpParseError::BadLength;
        if (first && type != kRtcpSr && type != kRtcpRr) return RtcpParseError::NotReportFirst;
        first = false;
        const bool last = off + len == size;
        std::size_t bodyLen = len - 4;
        if (padding) {
            if (!last) return RtcpParseError::BadPadding;
            const std::size_t pad = h[len - 1];
            if (pad == 0 || pad > bodyLen) return RtcpParseError::BadPadding;
            bodyLen -= pad;
        }
        const auto body = datagram.subspan(off + 4, bodyLen);
        RtcpParseError e = RtcpParseError::None;
        switch (type) {
            case kRtcpSr:
                e = parseReport(true, count, body, out);
                break;
            case kRtcpRr:
                e = parseReport(false, count, body, out);
                break;
            case kRtcpSdes:
                e = parseSdes(count, body, out);
                break;
            case kRtcpBye:
                e = parseBye(count, body, out);
                break;
            default:
                ++out.otherPackets;
                break;
        }
        if (e != RtcpParseError::None) return e;
        off += len;
    }
    return RtcpParseError::None;
}

std::uint8_t* RtcpWriter::begin(std::size_t bytes, std::uint8_t count, std::uint8_t type) {
    if (!ok_ || bytes % 4 != 0 || buf_.size() - used_ < bytes) {
        ok_ = false;
        return nullptr;
    }
    std::uint8_t* p = buf_.data() + used_;
    p[0] = static_cast<std::uint8_t>(0x80 | count);
    p[1] = type;
    writeBe16(p + 2, static_cast<std::uint16_t>(bytes / 4 - 1));
    used_ += bytes;
    return p;
}

void RtcpWriter::writeBlock(std::uint8_t* p, const RtcpReportBlock& b) {
    writeBe32(p, b.ssrc);
    const std::int32_t clamped = std::clamp<std::int32_t>(b.cumulativeLost, -0x800000, 0x7FFFFF);
    const auto lost = static_cast<std::uint32_t>(clamped) & 0xFFFFFF;
    writeBe32(p + 4, (std::uint32_t{b.fractionLost} << 24) | lost);
    writeBe32(p + 8, b.extendedHighestSeq);
    writeBe32(p + 12, b.jitter);
    writeBe32(p + 16, b.lastSr);
    writeBe32(p + 20, b.delaySinceLastSr);
}

bool RtcpWriter::addSenderReport(std::uint32_t ssrc, const RtcpSenderInfo& info,
                                 std::span<const RtcpReportBlock> blocks) {
    if (blocks.size() > kMaxReportBlocks) return fail();
    std::uint8_t* p =
        begin(28 + blocks.size() * kBlockSize, static_cast<std::uint8_t>(blocks.size()), kRtcpSr);
    if (!p) return false;
    writeBe32(p + 4, ssrc);
    writeBe32(p + 8, static_cast<std::uint32_t>(info.ntpTime >> 32));
    writeBe32(p + 12, static_cast<std::uint32_t>(info.ntpTime));
    writeBe32(p + 16, info.rtpTimestamp);
    writeBe32(p + 20, info.packetCount);
    writeBe32(p + 24, info.octetCount);
    for (std::size_t i = 0; i < blocks.size(); ++i) writeBlock(p + 28 + i * kBlockSize, blocks[i]);
    return true;
}

bool RtcpWriter::addReceiverReport(std::uint32_t ssrc, std::span<const RtcpReportBlock> blocks) {
    if (blocks.size() > kMaxReportBlocks) return fail();
    std::uint8_t* p =
        begin(8 + blocks.size() * kBlockSize, static_cast<std::uint8_t>(blocks.size()), kRtcpRr);
    if (!p) return false;
    writeBe32(p + 4, ssrc);
    for (std::size_t i = 0; i < blocks.size(); ++i) writeBlock(p + 8 + i * kBlockSize, blocks[i]);
    return true;
}

bool RtcpWriter::addSdesCname(std::uint32_t ssrc, std::string_view cname) {
    if (cname.size() > 255) return fail();
    // ssrc + CNAME item (2 + len) + at least one null byte, padded to 32 bits
    const std::size_t chunk = (4 + 2 + cname.size() + 1 + 3) & ~std::size_t{3};
    std::uint8_t* p = begin(4 + chunk, 1, kRtcpSdes);
    if (!p) return false;
    std::memset(p + 4, 0, chunk);
    writeBe32(p + 4, ssrc);
    p[8] = 1;
    p[9] = static_cast<std::uint8_t>(cname.size());
    if (!cname.empty()) std::memcpy(p + 10, cname.data(), cname.size());
    return true;
}

bool RtcpWriter::addBye(std::span<const std::uint32_t> ssrcs) {
    if (ssrcs.size() > kMaxReportBlocks) return fail();
    std::uint8_t* p =
        begin(4 + ssrcs.size() * 4, static_cast<std::uint8_t>(ssrcs.size()), kRtcpBye);
    if (!p) return false;
    for (std::size_t i = 0; i < ssrcs.size(); ++i) writeBe32(p + 4 + i * 4, ssrcs[i]);
    return true;
}

}  // namespace parley::ms::rtp

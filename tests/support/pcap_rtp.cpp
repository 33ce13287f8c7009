#include "tests/support/pcap_rtp.hpp"

#include <cstring>
#include <fstream>
#include <iterator>

#include "tests/support/media/g711.hpp"
#include "tests/support/media/rtp_wire.hpp"

namespace parley::test {

using common::Error;

namespace {

constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kPcapngShb = 0x0a0d0d0a;
constexpr std::uint32_t kPcapngByteOrder = 0x1a2b3c4d;

constexpr std::uint32_t kLinkNull = 0;
constexpr std::uint32_t kLinkEthernet = 1;
constexpr std::uint32_t kLinkRawBsd12 = 12;
constexpr std::uint32_t kLinkRawBsd14 = 14;
constexpr std::uint32_t kLinkRaw = 101;
constexpr std::uint32_t kLinkLoop = 108;
constexpr std::uint32_t kLinkSll = 113;
constexpr std::uint32_t kLinkIpv4 = 228;
constexpr std::uint32_t kLinkSll2 = 276;

// Byte reader with a chosen byte order; every read is bounds-checked by the caller.
struct Reader {
    std::span<const std::uint8_t> b;
    bool swap = false;

    std::uint16_t u16(std::size_t at) const {
        std::uint16_t v = static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
        return swap ? static_cast<std::uint16_t>((v >> 8) | (v << 8)) : v;
    }
    std::uint32_t u32(std::size_t at) const {
        std::uint32_t v = static_cast<std::uint32_t>(b[at]) |
                          (static_cast<std::uint32_t>(b[at + 1]) << 8) |
                          (static_cast<std::uint32_t>(b[at + 2]) << 16) |
                          (static_cast<std::uint32_t>(b[at + 3]) << 24);
        return swap ? __builtin_bswap32(v) : v;
    }
};

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
    return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
    return (static_cast<std::uint32_t>(b[at]) << 24) | (static_cast<std::uint32_t>(b[at + 1]) << 16) |
           (static_cast<std::uint32_t>(b[at + 2]) << 8) | b[at + 3];
}

// The IPv4 packet inside a link-layer frame; empty when it is something else.
std::span<const std::uint8_t> ipv4Of(std::uint32_t linkType, std::span<const std::uint8_t> frame) {
    switch (linkType) {
        case kLinkNull: {
            if (frame.size() < 4) return {};
            std::uint32_t family;
            std::memcpy(&family, frame.data(), 4);  // host byte order of the capturing machine
            if (family != 2 && __builtin_bswap32(family) != 2) return {};
            return frame.subspan(4);
        }
        case kLinkLoop:
            if (frame.size() < 4 || be32(frame, 0) != 2) return {};
            return frame.subspan(4);
        case kLinkEthernet: {
            std::size_t at = 12;
            if (frame.size() < at + 2) return {};
            std::uint16_t type = be16(frame, at);
            while (type == 0x8100 || type == 0x88a8) {  // VLAN tags
                at += 4;
                if (frame.size() < at + 2) return {};
                type = be16(frame, at);
            }
            if (type != 0x0800) return {};
            return frame.subspan(at + 2);
        }
        case kLinkSll:
            if (frame.size() < 16 || be16(frame, 14) != 0x0800) return {};
            return frame.subspan(16);
        case kLinkSll2:
            if (frame.size() < 20 || be16(frame, 0) != 0x0800) return {};
            return frame.subspan(20);
        case kLinkRaw:
        case kLinkRawBsd12:
        case kLinkRawBsd14:
        case kLinkIpv4:
            return frame;
        default:
            return {};
    }
}

// Appends the UDP datagram of an IPv4 packet; false when it is not one.
bool addUdp(std::span<const std::uint8_t> ip, double time, std::vector<UdpDatagram>& out) {
    if (ip.size() < 20 || (ip[0] >> 4) != 4) return false;
    const std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    const std::size_t total = be16(ip, 2);
    if (ihl < 20 || total < ihl || ip.size() < ihl || ip[9] != 17) return false;
    const std::uint16_t frag = be16(ip, 6);
    if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0) return false;  // a fragment
    const std::size_t end = std::min(total, ip.size());
    if (end < ihl + 8) return false;
    auto udp = ip.subspan(ihl, end - ihl);
    const std::size_t udpLen = be16(udp, 4);
    if (udpLen < 8 || udpLen > udp.size()) return false;
    UdpDatagram d;
    d.time = time;
    d.srcIp = be32(ip, 12);
    d.dstIp = be32(ip, 16);
    d.srcPort = be16(udp, 0);
    d.dstPort = be16(udp, 2);
    d.payload.assign(udp.begin() + 8, udp.begin() + static_cast<std::ptrdiff_t>(udpLen));
    out.push_back(std::move(d));
    return true;
}

common::Result<PcapContents> parseClassic(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 24) return Error(1, "pcap: file header cut short");
    Reader r{bytes, false};
    std::uint32_t magic = r.u32(0);
    bool nano = false;
    if (magic == kPcapMagicMicro || magic == kPcapMagicNano) {
        nano = magic == kPcapMagicNano;
    } else {
        r.swap = true;
        magic = r.u32(0);
        if (magic != kPcapMagicMicro && magic != kPcapMagicNano) return Error(1, "pcap: bad magic");
        nano = magic == kPcapMagicNano;
    }
    PcapContents c;
    c.linkType = r.u32(20) & 0x0fffffff;
    std::size_t at = 24;
    while (at < bytes.size()) {
        if (bytes.size() - at < 16) {
            c.truncated = true;
            break;
        }
        const double sec = r.u32(at);
        const double frac = r.u32(at + 4);
        const std::size_t incl = r.u32(at + 8);
        at += 16;
        if (incl > bytes.size() - at) {
            c.truncated = true;
            break;
        }
        const double time = sec + frac / (nano ? 1e9 : 1e6);
        if (!addUdp(ipv4Of(c.linkType, bytes.subspan(at, incl)), time, c.datagrams)) ++c.skipped;
        at += incl;
    }
    return c;
}

common::Result<PcapContents> parseNg(std::span<const std::uint8_t> bytes) {
    PcapContents c;
    Reader r{bytes, false};
    struct Interface {
        std::uint32_t linkType = 0;
        double unitsPerSecond = 1e6;
    };
    std::vector<Interface> interfaces;
    std::size_t at = 0;
    bool first = true;
    while (at < bytes.size()) {
        if (bytes.size() - at < 12) {
            c.truncated = true;
            break;
        }
        std::uint32_t type = Reader{bytes, false}.u32(at);
        if (type == kPcapngShb) {
            // Byte order from the section's own magic.
            if (bytes.size() - at < 28) {
                c.truncated = true;
                break;
            }
            Reader probe{bytes, false};
            if (probe.u32(at + 8) == kPcapngByteOrder) {
                r.swap = false;
            } else {
                probe.swap = true;
                if (probe.u32(at + 8) != kPcapngByteOrder) return Error(1, "pcapng: bad byte-order magic");
                r.swap = true;
            }
            interfaces.clear();
        } else if (first) {
            return Error(1, "pcapng: does not start with a section header");
        }
        first = false;
        type = r.u32(at);
        const std::size_t len = r.u32(at + 4);
        if (len < 12 || len % 4 != 0) return Error(1, "pcapng: bad block length");
        if (len > bytes.size() - at) {
            c.truncated = true;
            break;
        }
        auto body = bytes.subspan(at + 8, len - 12);
        if (type == 1 && body.size() >= 8) {  // interface description
            Interface itf;
            itf.linkType = r.u16(at + 8);
            std::size_t opt = 8;
            while (opt + 4 <= body.size()) {
                const std::uint16_t code = r.u16(at + 8 + opt);
                const std::uint16_t olen = r.u16(at + 8 + opt + 2);
                if (code == 0 || opt + 4 + olen > body.size()) break;
                if (code == 9 && olen >= 1) {  // if_tsresol
                    const std::uint8_t v = body[opt + 4];
                    double units = 1;
                    const int n = v & 0x7f;
                    for (int i = 0; i < n && i < 30; ++i) units *= (v & 0x80) ? 2 : 10;
                    itf.unitsPerSecond = units;
                }
                opt += 4 + ((olen + 3u) & ~3u);
            }
            if (interfaces.empty() && c.linkType == 0) c.linkType = itf.linkType;
            interfaces.push_back(itf);
        } else if (type == 6 && body.size() >= 20) {  // enhanced packet
            const std::size_t ifId = r.u32(at + 8);
            const std::uint64_t ts = (static_cast<std::uint64_t>(r.u32(at + 12)) << 32) | r.u32(at + 16);
            const std::size_t captured = r.u32(at + 20);
            if (ifId < interfaces.size() && captured <= body.size() - 20) {
                const double time = static_cast<double>(ts) / interfaces[ifId].unitsPerSecond;
                if (!addUdp(ipv4Of(interfaces[ifId].linkType, body.subspan(20, captured)), time,
                            c.datagrams))
                    ++c.skipped;
            } else {
                ++c.skipped;
            }
        } else if (type == 3 && body.size() >= 4) {  // simple packet: no time stamp
            const std::size_t original = r.u32(at + 8);
            const std::size_t captured = std::min(original, body.size() - 4);
            const bool added =
                !interfaces.empty() &&
                addUdp(ipv4Of(interfaces[0].linkType, body.subspan(4, captured)), 0, c.datagrams);
            if (!added) ++c.skipped;
        }
        at += len;
    }
    return c;
}

void put16be(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

void put32be(std::vector<std::uint8_t>& out, std::uint32_t v) {
    put16be(out, static_cast<std::uint16_t>(v >> 16));
    put16be(out, static_cast<std::uint16_t>(v));
}

void put32le(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

bool matches(const UdpDatagram& d, const RtpSelect& s) {
    if (s.dstPort && d.dstPort != *s.dstPort) return false;
    if (s.srcPort && d.srcPort != *s.srcPort) return false;
    return true;
}

}  // namespace

common::Result<PcapContents> parsePcap(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 4) return Error(1, "pcap: too short to be a capture file");
    if (Reader{bytes, false}.u32(0) == kPcapngShb) return parseNg(bytes);
    return parseClassic(bytes);
}

common::Result<PcapContents> readPcap(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error(1, "cannot open " + path.string());
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parsePcap(bytes);
}

RtpAudio rtpAudio(const std::vector<UdpDatagram>& datagrams, const RtpSelect& select) {
    RtpAudio a;
    bool any = false;
    for (const auto& d : datagrams) {
        if (!matches(d, select) || d.time < select.from || d.time >= select.to) continue;
        if (looksLikeRtcp(d.payload)) {
            ++a.notRtp;
            continue;
        }
        auto rtp = parseRtp(d.payload);
        if (!rtp) {
            ++a.notRtp;
            continue;
        }
        const std::uint8_t pt = rtp->header.payloadType;
        if (pt != kPayloadPcmu && pt != kPayloadPcma) {
            ++a.otherPackets;
            continue;
        }
        auto pcm = g711Decode(pt == kPayloadPcmu ? G711Law::kMuLaw : G711Law::kALaw, rtp->payload);
        a.samples.insert(a.samples.end(), pcm.begin(), pcm.end());
        ++a.audioPackets;
        a.ssrcs.insert(rtp->header.ssrc);
        if (!any) a.first = d.time;
        a.last = d.time;
        any = true;
    }
    return a;
}

std::optional<double> lastTime(const std::vector<UdpDatagram>& datagrams, const RtpSelect& select) {
    std::optional<double> t;
    for (const auto& d : datagrams)
        if (matches(d, select) && (!t || d.time > *t)) t = d.time;
    return t;
}

common::Status writePcap(const std::filesystem::path& path, const std::vector<UdpDatagram>& datagrams) {
    std::vector<std::uint8_t> out;
    put32le(out, kPcapMagicMicro);
    out.push_back(2);  // version 2.4, little endian
    out.push_back(0);
    out.push_back(4);
    out.push_back(0);
    put32le(out, 0);      // thiszone
    put32le(out, 0);      // sigfigs
    put32le(out, 65535);  // snaplen
    put32le(out, kLinkEthernet);
    for (const auto& d : datagrams) {
        if (d.payload.size() > 65000) return Error(1, "pcap: datagram too large to write");
        std::vector<std::uint8_t> frame;
        // Ethernet: locally administered addresses, IPv4.
        const std::uint8_t dstMac[6] = {0x02, 0, 0, 0, 0, 2};
        const std::uint8_t srcMac[6] = {0x02, 0, 0, 0, 0, 1};
        frame.insert(frame.end(), dstMac, dstMac + 6);
        frame.insert(frame.end(), srcMac, srcMac + 6);
        put16be(frame, 0x0800);
        const std::size_t ipAt = frame.size();
        const auto total = static_cast<std::uint16_t>(20 + 8 + d.payload.size());
        frame.push_back(0x45);
        frame.push_back(0);
        put16be(frame, total);
        put16be(frame, 0);       // identification
        put16be(frame, 0x4000);  // don't fragment
        frame.push_back(64);     // ttl
        frame.push_back(17);     // udp
        put16be(frame, 0);       // checksum, below
        put32be(frame, d.srcIp ? d.srcIp : 0x7f000001);
        put32be(frame, d.dstIp ? d.dstIp : 0x7f000001);
        std::uint32_t sum = 0;
        for (std::size_t i = 0; i < 20; i += 2) sum += be16(frame, ipAt + i);
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        const auto check = static_cast<std::uint16_t>(~sum);
        frame[ipAt + 10] = static_cast<std::uint8_t>(check >> 8);
        frame[ipAt + 11] = static_cast<std::uint8_t>(check);
        put16be(frame, d.srcPort);
        put16be(frame, d.dstPort);
        put16be(frame, static_cast<std::uint16_t>(8 + d.payload.size()));
        put16be(frame, 0);  // no UDP checksum
        frame.insert(frame.end(), d.payload.begin(), d.payload.end());

        const double whole = d.time < 0 ? 0 : d.time;
        const auto sec = static_cast<std::uint32_t>(whole);
        const auto usec = static_cast<std::uint32_t>((whole - sec) * 1e6);
        put32le(out, sec);
        put32le(out, usec);
        put32le(out, static_cast<std::uint32_t>(frame.size()));
        put32le(out, static_cast<std::uint32_t>(frame.size()));
        out.insert(out.end(), frame.begin(), frame.end());
    }
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return Error(1, "cannot write " + path.string());
    f.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
    if (!f) return Error(1, "short write to " + path.string());
    return {};
}

std::vector<UdpDatagram> dtmfDatagrams(const std::string& digits, DtmfTrain& train) {
    std::vector<UdpDatagram> out;
    double t = 0;
    const int frames = std::max(1, train.toneMs / 20);
    for (char c : digits) {
        auto event = eventForDigit(c);
        if (!event) continue;
        auto emit = [&](std::uint16_t duration, bool end, bool marker) {
            TelephoneEvent e;
            e.event = *event;
            e.end = end;
            e.volume = 10;
            e.duration = duration;
            RtpHeader h;
            h.marker = marker;
            h.payloadType = train.payloadType;
            h.sequence = train.firstSequence++;
            h.timestamp = train.firstTimestamp;
            h.ssrc = train.ssrc;
            UdpDatagram d;
            d.time = t;
            d.srcPort = train.srcPort;
            d.dstPort = train.dstPort;
            d.payload = packRtp(h, packTelephoneEvent(e));
            out.push_back(std::move(d));
        };
        for (int i = 1; i <= frames; ++i) {
            emit(static_cast<std::uint16_t>(160 * i), false, i == 1);
            t += 0.020;
        }
        const auto duration = static_cast<std::uint16_t>(160 * (frames + 1));
        for (int i = 0; i < 3; ++i) emit(duration, true, false);
        t += 0.020 + train.gapMs / 1000.0;
        // The next event starts after this one's duration and the gap, in timestamp units.
        train.firstTimestamp += static_cast<std::uint32_t>(duration) +
                                static_cast<std::uint32_t>(train.gapMs * 8) + 160;
    }
    return out;
}

}  // namespace parley::test

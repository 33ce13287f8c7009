#include "tests/support/media/rtp_wire.hpp"

namespace parley::test {

std::vector<std::uint8_t> packRtp(const RtpHeader& h, std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> p;
    p.reserve(12 + payload.size());
    p.push_back(0x80);  // V=2, P=0, X=0, CC=0
    p.push_back(static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | (h.payloadType & 0x7F)));
    p.push_back(static_cast<std::uint8_t>(h.sequence >> 8));
    p.push_back(static_cast<std::uint8_t>(h.sequence & 0xFF));
    for (int shift = 24; shift >= 0; shift -= 8)
        p.push_back(static_cast<std::uint8_t>(h.timestamp >> shift));
    for (int shift = 24; shift >= 0; shift -= 8)
        p.push_back(static_cast<std::uint8_t>(h.ssrc >> shift));
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}

std::optional<RtpView> parseRtp(std::span<const std::uint8_t> p) {
    if (p.size() < 12 || (p[0] >> 6) != 2) return std::nullopt;
    std::size_t headerLen = 12 + 4u * (p[0] & 0x0F);
    if (p.size() < headerLen) return std::nullopt;
    if (p[0] & 0x10) {  // header extension: 4-byte header, length in 32-bit words
        if (p.size() < headerLen + 4) return std::nullopt;
        std::size_t words = (static_cast<std::size_t>(p[headerLen + 2]) << 8) | p[headerLen + 3];
        headerLen += 4 + 4 * words;
        if (p.size() < headerLen) return std::nullopt;
    }
    std::size_t end = p.size();
    if (p[0] & 0x20) {  // padding: last byte counts the padding bytes, itself included
        std::size_t pad = p.back();
        if (pad == 0 || pad > end - headerLen) return std::nullopt;
        end -= pad;
    }
    RtpView v;
    v.header.marker = (p[1] & 0x80) != 0;
    v.header.payloadType = p[1] & 0x7F;
    v.header.sequence = static_cast<std::uint16_t>((p[2] << 8) | p[3]);
    v.header.timestamp = (std::uint32_t{p[4]} << 24) | (std::uint32_t{p[5]} << 16) |
                         (std::uint32_t{p[6]} << 8) | p[7];
    v.header.ssrc = (std::uint32_t{p[8]} << 24) | (std::uint32_t{p[9]} << 16) |
                    (std::uint32_t{p[10]} << 8) | p[11];
    v.payload = p.subspan(headerLen, end - headerLen);
    return v;
}

bool looksLikeRtcp(std::span<const std::uint8_t> p) {
    return p.size() >= 8 && (p[0] >> 6) == 2 && p[1] >= 200 && p[1] <= 204;
}

std::vector<std::uint8_t> packTelephoneEvent(const TelephoneEvent& e) {
    return {e.event, static_cast<std::uint8_t>((e.end ? 0x80 : 0) | (e.volume & 0x3F)),
            static_cast<std::uint8_t>(e.duration >> 8),
            static_cast<std::uint8_t>(e.duration & 0xFF)};
}

std::optional<TelephoneEvent> parseTelephoneEvent(std::span<const std::uint8_t> payload) {
    if (payload.size() < 4) return std::nullopt;
    TelephoneEvent e;
    e.event = payload[0];
    e.end = (payload[1] & 0x80) != 0;
    e.volume = payload[1] & 0x3F;
    e.duration = static_cast<std::uint16_t>((payload[2] << 8) | payload[3]);
    return e;
}

std::optional<std::uint8_t> eventForDigit(char d) {
    if (d >= '0' && d <= '9') return static_cast<std::uint8_t>(d - '0');
    if (d == '*') return 10;
    if (d == '#') return 11;
    if (d >= 'A' && d <= 'D') return static_cast<std::uint8_t>(12 + d - 'A');
    if (d >= 'a' && d <= 'd') return static_cast<std::uint8_t>(12 + d - 'a');
    return std::nullopt;
}

char digitForEvent(std::uint8_t e) {
    static constexpr char kDigits[] = "0123456789*#ABCD";
    return e < 16 ? kDigits[e] : '?';
}

}  // namespace parley::test

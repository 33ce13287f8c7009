#pragma once
// RTP (RFC 3550) and RFC 4733 telephone-event packing for the test endpoint, independent of
// ms/rtp on purpose. Parsing never throws and rejects what is not RTP version 2 or is
// shorter than its header says (CSRC list, extension, padding).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace parley::test {

struct RtpHeader {
    bool marker = false;
    std::uint8_t payloadType = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
};

struct RtpView {
    RtpHeader header;
    std::span<const std::uint8_t> payload;
};

// 12-byte header (no CSRC, no extension, no padding) followed by the payload.
std::vector<std::uint8_t> packRtp(const RtpHeader& header, std::span<const std::uint8_t> payload);
std::optional<RtpView> parseRtp(std::span<const std::uint8_t> packet);
// RTCP packet types 200..204 occupy the byte where RTP keeps marker+PT 72..76 (RFC 5761).
bool looksLikeRtcp(std::span<const std::uint8_t> packet);

// RFC 4733 section 2.3 payload: event, E bit, volume (0..63, -dBm0), duration (timestamp units).
struct TelephoneEvent {
    std::uint8_t event = 0;  // 0-9 digits, 10 '*', 11 '#', 12-15 A-D
    bool end = false;
    std::uint8_t volume = 10;
    std::uint16_t duration = 0;
};

std::vector<std::uint8_t> packTelephoneEvent(const TelephoneEvent& e);
std::optional<TelephoneEvent> parseTelephoneEvent(std::span<const std::uint8_t> payload);

// '0'-'9', '*', '#', 'A'-'D' (either case) <-> 0..15; nullopt / '?' for anything else.
std::optional<std::uint8_t> eventForDigit(char digit);
char digitForEvent(std::uint8_t event);

}  // namespace parley::test

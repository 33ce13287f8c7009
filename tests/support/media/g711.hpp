#pragma once
// G.711 mu-law and A-law for the test endpoint, written here on purpose: the tools that
// judge parley-ms must not share code with it (ms/rtp has its own codec).
//
// Encoding follows ITU-T G.711 on the 16-bit linear scale (14-bit mu-law and 13-bit A-law
// magnitudes shifted up). Decoding returns the segment's mid value. All functions are pure
// and thread-safe.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace parley::test {

enum class G711Law { kMuLaw, kALaw };

// RTP static payload types (RFC 3551): PCMU 0, PCMA 8.
inline constexpr std::uint8_t kPayloadPcmu = 0;
inline constexpr std::uint8_t kPayloadPcma = 8;

inline constexpr std::uint8_t payloadTypeOf(G711Law law) {
    return law == G711Law::kMuLaw ? kPayloadPcmu : kPayloadPcma;
}
std::string_view encodingNameOf(G711Law law);  // "PCMU" / "PCMA"

std::uint8_t muLawEncode(std::int16_t sample);
std::int16_t muLawDecode(std::uint8_t code);
std::uint8_t aLawEncode(std::int16_t sample);
std::int16_t aLawDecode(std::uint8_t code);

std::uint8_t g711Encode(G711Law law, std::int16_t sample);
std::int16_t g711Decode(G711Law law, std::uint8_t code);

std::vector<std::uint8_t> g711Encode(G711Law law, std::span<const std::int16_t> pcm);
std::vector<std::int16_t> g711Decode(G711Law law, std::span<const std::uint8_t> codes);

// The code that decodes to digital silence (or the nearest to it): 0xFF mu-law, 0xD5 A-law.
std::uint8_t g711SilenceCode(G711Law law);

}  // namespace parley::test

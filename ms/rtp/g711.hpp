#pragma once
// G.711 mu-law (PCMU) and A-law (PCMA) at 8 kHz, table-driven, bit-exact with the ITU-T
// G.711 reference coder (G.191 software tools): mu-law encodes the top 14 bits of a
// 16-bit sample, A-law the top 13; decoding gives 16-bit linear values.
//
// Contract: pure functions, no state, safe from any thread, never allocate. The span
// forms encode/decode min(in.size(), out.size()) samples and return that count.

#include <cstddef>
#include <cstdint>
#include <span>

namespace parley::ms::rtp {

enum class G711Law { Ulaw, Alaw };

inline constexpr std::uint8_t kPayloadTypePcmu = 0;
inline constexpr std::uint8_t kPayloadTypePcma = 8;
inline constexpr std::size_t kG711FrameSamples = 160;  // 20 ms at 8 kHz

std::uint8_t linearToUlaw(std::int16_t sample);
std::int16_t ulawToLinear(std::uint8_t code);
std::uint8_t linearToAlaw(std::int16_t sample);
std::int16_t alawToLinear(std::uint8_t code);

std::size_t g711Encode(G711Law law, std::span<const std::int16_t> in, std::span<std::uint8_t> out);
std::size_t g711Decode(G711Law law, std::span<const std::uint8_t> in, std::span<std::int16_t> out);

// The code for silence (linear 0) in each law.
inline constexpr std::uint8_t g711Silence(G711Law law) {
    return law == G711Law::Ulaw ? 0xFF : 0xD5;
}

}  // namespace parley::ms::rtp

#include "ms/rtp/g711.hpp"

#include <algorithm>
#include <array>

namespace parley::ms::rtp {
namespace {

// Segment end points of A-law, in 13-bit magnitudes.
constexpr std::array<int, 8> kAlawSegEnd = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
constexpr int kUlawBias = 0x84;  // 132, in 16-bit units

constexpr int segmentOf(int value, const std::array<int, 8>& ends) {
    for (int i = 0; i < 8; ++i)
        if (value <= ends[static_cast<std::size_t>(i)]) return i;
    return 8;
}

// Compressors on the reduced-precision input (14-bit for mu-law, 13-bit for A-law).
constexpr std::uint8_t ulawFrom14(int v) {
    // Negative inputs use the one's complement magnitude, as the G.191 reference does, so
    // that -1 (14-bit) is "negative zero" (0x7F) rather than the first negative step.
    const bool negative = v < 0;
    int magnitude = (negative ? ~v : v) + kUlawBias / 4;
    if (magnitude > 0x1FFF) magnitude = 0x1FFF;
    int seg = 1;
    for (int i = magnitude >> 6; i != 0; i >>= 1) ++seg;
    const int high = 8 - seg;
    const int low = 0x0F - ((magnitude >> seg) & 0x0F);
    int code = (high << 4) | low;
    if (!negative) code |= 0x80;
    return static_cast<std::uint8_t>(code);
}

constexpr std::uint8_t alawFrom13(int v) {
    int mask = 0xD5;
    if (v < 0) {
        mask = 0x55;
        v = -v - 1;
    }
    const int seg = segmentOf(v, kAlawSegEnd);
    if (seg >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);
    int code = seg << 4;
    code |= seg < 2 ? (v >> 1) & 0x0F : (v >> seg) & 0x0F;
    return static_cast<std::uint8_t>(code ^ mask);
}

constexpr std::int16_t ulawExpand(std::uint8_t code) {
    const int u = ~code & 0xFF;
    int t = ((u & 0x0F) << 3) + kUlawBias;
    t <<= (u & 0x70) >> 4;
    return static_cast<std::int16_t>((u & 0x80) ? (kUlawBias - t) : (t - kUlawBias));
}

constexpr std::int16_t alawExpand(std::uint8_t code) {
    const int a = code ^ 0x55;
    int t = (a & 0x0F) << 4;
    const int seg = (a & 0x70) >> 4;
    if (seg == 0) {
        t += 8;
    } else {
        t += 0x108;
        t <<= seg - 1;
    }
    return static_cast<std::int16_t>((a & 0x80) ? t : -t);
}

// Encoder tables indexed by the reduced-precision sample as an unsigned index.
constexpr std::array<std::uint8_t, 16384> makeUlawEncodeTable() {
    std::array<std::uint8_t, 16384> t{};
    for (int i = 0; i < 16384; ++i)
        t[static_cast<std::size_t>(i)] = ulawFrom14(i < 8192 ? i : i - 16384);
    return t;
}
constexpr std::array<std::uint8_t, 8192> makeAlawEncodeTable() {
    std::array<std::uint8_t, 8192> t{};
    for (int i = 0; i < 8192; ++i)
        t[static_cast<std::size_t>(i)] = alawFrom13(i < 4096 ? i : i - 8192);
    return t;
}
constexpr std::array<std::int16_t, 256> makeDecodeTable(G711Law law) {
    std::array<std::int16_t, 256> t{};
    for (int i = 0; i < 256; ++i) {
        const auto c = static_cast<std::uint8_t>(i);
        t[static_cast<std::size_t>(i)] = law == G711Law::Ulaw ? ulawExpand(c) : alawExpand(c);
    }
    return t;
}

constexpr auto kUlawEncode = makeUlawEncodeTable();
constexpr auto kAlawEncode = makeAlawEncodeTable();
constexpr auto kUlawDecode = makeDecodeTable(G711Law::Ulaw);
constexpr auto kAlawDecode = makeDecodeTable(G711Law::Alaw);

// Arithmetic shift of the 16-bit sample, then its low bits as a table index.
inline std::size_t ulawIndex(std::int16_t s) {
    return static_cast<std::size_t>((s >> 2) & 0x3FFF);
}
inline std::size_t alawIndex(std::int16_t s) {
    return static_cast<std::size_t>((s >> 3) & 0x1FFF);
}

}  // namespace

std::uint8_t linearToUlaw(std::int16_t sample) {
    return kUlawEncode[ulawIndex(sample)];
}
std::int16_t ulawToLinear(std::uint8_t code) {
    return kUlawDecode[code];
}
std::uint8_t linearToAlaw(std::int16_t sample) {
    return kAlawEncode[alawIndex(sample)];
}
std::int16_t alawToLinear(std::uint8_t code) {
    return kAlawDecode[code];
}

std::size_t g711Encode(G711Law law, std::span<const std::int16_t> in, std::span<std::uint8_t> out) {
    const std::size_t n = std::min(in.size(), out.size());
    if (law == G711Law::Ulaw) {
        for (std::size_t i = 0; i < n; ++i) out[i] = kUlawEncode[ulawIndex(in[i])];
    } else {
        for (std::size_t i = 0; i < n; ++i) out[i] = kAlawEncode[alawIndex(in[i])];
    }
    return n;
}

std::size_t g711Decode(G711Law law, std::span<const std::uint8_t> in, std::span<std::int16_t> out) {
    const std::size_t n = std::min(in.size(), out.size());
    const auto& table = law == G711Law::Ulaw ? kUlawDecode : kAlawDecode;
    for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
    return n;
}

}  // namespace parley::ms::rtp

#include "tests/support/media/g711.hpp"

#include <array>

namespace parley::test {
namespace {

// mu-law: 14-bit magnitude plus a bias of 33 (132 on the 16-bit scale); the segment is
// the position of the highest set bit above bit 5 of the biased value.
constexpr int kMuBias = 0x84;
constexpr int kMuClip = 32635;

// A-law: 13-bit magnitude (16-bit value >> 3); segment 0 and 1 share the step size.
constexpr std::uint8_t kALawToggle = 0x55;

int segmentOf(int value, int firstBoundary) {
    int seg = 0;
    for (int bound = firstBoundary; seg < 8 && value >= bound; bound <<= 1) ++seg;
    return seg;
}

std::array<std::int16_t, 256> buildTable(G711Law law) {
    std::array<std::int16_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        auto code = static_cast<std::uint8_t>(c);
        if (law == G711Law::kMuLaw) {
            std::uint8_t u = static_cast<std::uint8_t>(~code);
            int seg = (u >> 4) & 0x7;
            int mant = u & 0x0F;
            int mag = (((mant << 3) + kMuBias) << seg) - kMuBias;
            t[c] = static_cast<std::int16_t>((u & 0x80) ? -mag : mag);
        } else {
            std::uint8_t a = code ^ kALawToggle;
            int seg = (a >> 4) & 0x7;
            int mant = a & 0x0F;
            int mag = (mant << 4) + 8;  // mid-point of the step in segment 0
            if (seg >= 1) mag = (mag + 0x100) << (seg - 1);
            // Sign bit set means positive in A-law.
            t[c] = static_cast<std::int16_t>((a & 0x80) ? mag : -mag);
        }
    }
    return t;
}

const std::array<std::int16_t, 256>& table(G711Law law) {
    static const auto mu = buildTable(G711Law::kMuLaw);
    static const auto a = buildTable(G711Law::kALaw);
    return law == G711Law::kMuLaw ? mu : a;
}

}  // namespace

std::string_view encodingNameOf(G711Law law) {
    return law == G711Law::kMuLaw ? "PCMU" : "PCMA";
}

std::uint8_t muLawEncode(std::int16_t sample) {
    int v = sample;
    int sign = 0;
    if (v < 0) {
        // One's complement so that -1..-4 fall in the same step as 0..3 (G.191 convention).
        v = ~v;
        sign = 0x80;
    }
    if (v > kMuClip) v = kMuClip;
    v += kMuBias;
    int seg = segmentOf(v, 0x100);  // biased value 0x84..0xFF is segment 0
    int mant = (v >> (seg + 3)) & 0x0F;
    return static_cast<std::uint8_t>(~(sign | (seg << 4) | mant));
}

std::int16_t muLawDecode(std::uint8_t code) {
    return table(G711Law::kMuLaw)[code];
}

std::uint8_t aLawEncode(std::int16_t sample) {
    int v = sample;
    int sign = 0x80;  // positive
    if (v < 0) {
        v = ~v;
        sign = 0;
    }
    v >>= 3;  // 13-bit magnitude 0..4095
    int seg = segmentOf(v, 0x20);
    int mant = seg == 0 ? (v >> 1) & 0x0F : (v >> seg) & 0x0F;
    return static_cast<std::uint8_t>((sign | (seg << 4) | mant) ^ kALawToggle);
}

std::int16_t aLawDecode(std::uint8_t code) {
    return table(G711Law::kALaw)[code];
}

std::uint8_t g711Encode(G711Law law, std::int16_t sample) {
    return law == G711Law::kMuLaw ? muLawEncode(sample) : aLawEncode(sample);
}

std::int16_t g711Decode(G711Law law, std::uint8_t code) {
    return table(law)[code];
}

std::vector<std::uint8_t> g711Encode(G711Law law, std::span<const std::int16_t> pcm) {
    std::vector<std::uint8_t> out;
    out.reserve(pcm.size());
    for (auto s : pcm) out.push_back(g711Encode(law, s));
    return out;
}

std::vector<std::int16_t> g711Decode(G711Law law, std::span<const std::uint8_t> codes) {
    const auto& t = table(law);
    std::vector<std::int16_t> out;
    out.reserve(codes.size());
    for (auto c : codes) out.push_back(t[c]);
    return out;
}

std::uint8_t g711SilenceCode(G711Law law) {
    return law == G711Law::kMuLaw ? 0xFF : 0xD5;
}

}  // namespace parley::test

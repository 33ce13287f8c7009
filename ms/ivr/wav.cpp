#include "ms/ivr/wav.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "ms/ivr/resampler.hpp"
#include "ms/rtp/g711.hpp"
#include "proto/packages/ivr/status.hpp"

namespace parley::ms::ivr {
namespace {

constexpr int kUnsupported = proto::ivr::status::kUnsupportedPlaybackFormat;  // 422
constexpr std::uint16_t kTagPcm = 1;
constexpr std::uint16_t kTagFloat = 3;
constexpr std::uint16_t kTagAlaw = 6;
constexpr std::uint16_t kTagUlaw = 7;
constexpr std::uint16_t kTagExtensible = 0xFFFE;
constexpr std::uint32_t kMinRate = 8000;
constexpr std::uint32_t kMaxRate = 48000;
constexpr std::uint32_t kTargetRate = media::kNarrowbandRate;
// The 14 bytes that follow the format code in a KSDATAFORMAT_SUBTYPE_* GUID.
constexpr std::array<unsigned char, 14> kSubtypeGuidTail = {
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

common::Error unsupported(std::string reason) {
    return common::Error(kUnsupported, std::move(reason));
}

const unsigned char* at(std::string_view bytes, std::size_t pos) {
    return reinterpret_cast<const unsigned char*>(bytes.data()) + pos;
}

std::uint16_t le16(const unsigned char* p) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

std::uint32_t le32(const unsigned char* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

void putLe16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
}

void putLe32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

bool isChunkId(std::string_view bytes, std::uint64_t pos) {
    if (pos + 4 > bytes.size()) return false;
    for (std::size_t i = 0; i < 4; ++i) {
        const unsigned char c = *at(bytes, static_cast<std::size_t>(pos) + i);
        if (c < 0x20 || c > 0x7E) return false;
    }
    return true;
}

std::string hex16(std::uint16_t v) {
    static const char* kDigits = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 12; shift >= 0; shift -= 4) s.push_back(kDigits[(v >> shift) & 0xF]);
    return s;
}

// Parses a fmt chunk body of `size` bytes (all present) into info.
common::Status parseFmt(const unsigned char* b, std::uint32_t size, WavInfo& info) {
    std::uint16_t tag = le16(b);
    const std::uint16_t channels = le16(b + 2);
    const std::uint32_t rate = le32(b + 4);
    const std::uint16_t blockAlign = le16(b + 12);
    const std::uint16_t bits = le16(b + 14);
    if (tag == kTagExtensible) {
        if (size < 40) return unsupported("WAVE_FORMAT_EXTENSIBLE fmt chunk too short");
        const std::uint16_t cbSize = le16(b + 16);
        const std::uint16_t validBits = le16(b + 18);
        if (cbSize < 22) return unsupported("WAVE_FORMAT_EXTENSIBLE with a short extension");
        if (validBits > bits) return unsupported("valid bits exceed the container size");
        if (std::memcmp(b + 26, kSubtypeGuidTail.data(), kSubtypeGuidTail.size()) != 0) {
            return unsupported("WAVE_FORMAT_EXTENSIBLE with an unknown subformat GUID");
        }
        tag = le16(b + 24);
    }
    switch (tag) {
        case kTagPcm:
            if (bits != 8 && bits != 16 && bits != 24 && bits != 32) {
                return unsupported("PCM with " + std::to_string(bits) + " bits per sample");
            }
            info.encoding = WavEncoding::Pcm;
            break;
        case kTagFloat:
            if (bits != 32) return unsupported("float with " + std::to_string(bits) + " bits");
            info.encoding = WavEncoding::Float;
            break;
        case kTagUlaw:
        case kTagAlaw:
            if (bits != 8) return unsupported("G.711 with " + std::to_string(bits) + " bits");
            info.encoding = tag == kTagUlaw ? WavEncoding::Ulaw : WavEncoding::Alaw;
            break;
        default:
            return unsupported("WAV format tag " + hex16(tag) + " not supported");
    }
    if (channels != 1 && channels != 2) {
        return unsupported(std::to_string(channels) + " channels not supported");
    }
    if (rate < kMinRate || rate > kMaxRate) {
        return unsupported("sample rate " + std::to_string(rate) + " not in 8000..48000");
    }
    info.channels = channels;
    info.sampleRate = rate;
    info.bitsPerSample = bits;
    if (blockAlign != info.frameBytes()) {
        return unsupported("block alignment " + std::to_string(blockAlign) +
                           " does not match the format");
    }
    return {};
}

// One channel's sample at p, as 16-bit linear.
std::int16_t sampleAt(const WavInfo& info, const unsigned char* p) {
    switch (info.encoding) {
        case WavEncoding::Ulaw:
            return rtp::ulawToLinear(p[0]);
        case WavEncoding::Alaw:
            return rtp::alawToLinear(p[0]);
        case WavEncoding::Float: {
            float f;
            const std::uint32_t raw = le32(p);
            std::memcpy(&f, &raw, sizeof f);
            if (!std::isfinite(f)) return f > 0 ? 32767 : (f < 0 ? -32768 : 0);
            const float scaled = std::clamp(f * 32768.0f, -32768.0f, 32767.0f);
            return static_cast<std::int16_t>(std::lrint(scaled));
        }
        case WavEncoding::Pcm:
            break;
    }
    switch (info.bitsPerSample) {
        case 8:
            return static_cast<std::int16_t>((static_cast<int>(p[0]) - 128) * 256);
        case 16:
            return static_cast<std::int16_t>(le16(p));
        case 24:
            return static_cast<std::int16_t>(le16(p + 1));
        default:
            return static_cast<std::int16_t>(le16(p + 2));
    }
}

}  // namespace

common::Result<WavInfo> inspectWav(std::string_view bytes) {
    if (bytes.size() < 12) return unsupported("not a RIFF/WAVE file (too short)");
    if (bytes.substr(0, 4) != "RIFF" || bytes.substr(8, 4) != "WAVE") {
        return unsupported("not a RIFF/WAVE file");
    }
    WavInfo info;
    bool haveFmt = false;
    bool haveData = false;
    std::uint64_t pos = 12;
    const std::uint64_t size = bytes.size();
    while (pos + 8 <= size) {
        const std::string_view id = bytes.substr(static_cast<std::size_t>(pos), 4);
        const std::uint32_t chunkSize = le32(at(bytes, static_cast<std::size_t>(pos) + 4));
        const std::uint64_t body = pos + 8;
        const std::uint64_t avail = size - body;
        std::uint64_t next = body + chunkSize;
        if (chunkSize % 2 == 1) {
            // RIFF pads odd chunks to even; some writers forget. Take the padded position
            // unless only the unpadded one starts something that looks like a chunk.
            const bool padOmitted = !isChunkId(bytes, next + 1) && isChunkId(bytes, next);
            if (!padOmitted) next += 1;
        }
        if (id == "fmt ") {
            if (haveFmt) return unsupported("more than one fmt chunk");
            if (chunkSize < 16) return unsupported("fmt chunk too short");
            const std::uint64_t need = chunkSize >= 40 ? 40 : 16;
            if (avail < need) return unsupported("fmt chunk truncated");
            auto st = parseFmt(at(bytes, static_cast<std::size_t>(body)), chunkSize, info);
            if (!st) return st.error();
            haveFmt = true;
        } else if (id == "data" && !haveData) {
            haveData = true;
            info.dataOffset = static_cast<std::size_t>(body);
            info.dataBytesDeclared = chunkSize;
            info.dataBytesPresent =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunkSize, avail));
            info.dataIsLastChunk = next + 8 > size;
        }
        if (haveData && haveFmt) break;
        pos = next;
    }
    if (!haveFmt) return unsupported("WAV without a fmt chunk");
    if (!haveData) return unsupported("WAV without a data chunk");
    return info;
}

common::Result<PcmAudio> decodeWav(std::string_view bytes, std::string origin,
                                   const WavLimits& limits) {
    if (bytes.size() > limits.maxBytes) {
        return unsupported("WAV larger than " + std::to_string(limits.maxBytes) + " bytes");
    }
    auto inspected = inspectWav(bytes);
    if (!inspected) return inspected.error();
    const WavInfo& info = *inspected;
    const std::size_t frameBytes = info.frameBytes();
    const std::size_t frames = info.dataBytesPresent / frameBytes;
    const std::uint64_t maxFrames =
        static_cast<std::uint64_t>(limits.maxDuration.count()) * info.sampleRate;
    if (frames > maxFrames) {
        return unsupported("WAV longer than " + std::to_string(limits.maxDuration.count()) + " s");
    }
    std::vector<std::int16_t> mono(frames);
    const std::size_t sampleBytes = info.bitsPerSample / 8;
    const unsigned char* data = at(bytes, info.dataOffset);
    for (std::size_t i = 0; i < frames; ++i) {
        const unsigned char* frame = data + i * frameBytes;
        if (info.channels == 1) {
            mono[i] = sampleAt(info, frame);
        } else {
            const int sum = sampleAt(info, frame) + sampleAt(info, frame + sampleBytes);
            mono[i] = static_cast<std::int16_t>(sum / 2);
        }
    }
    PcmAudio audio;
    audio.origin = std::move(origin);
    audio.sampleRate = kTargetRate;
    if (info.sampleRate == kTargetRate) {
        audio.samples = std::move(mono);
    } else {
        audio.samples = resample(mono, info.sampleRate, kTargetRate);
    }
    return audio;
}

std::string wavHeader(std::uint32_t sampleRate, std::uint32_t dataBytes) {
    constexpr std::uint32_t kMaxData = 0xFFFFFFFFu - 36;
    dataBytes = std::min(dataBytes, kMaxData);
    std::string h;
    h.reserve(kWavHeaderBytes);
    h.append("RIFF");
    putLe32(h, 36 + dataBytes);
    h.append("WAVE");
    h.append("fmt ");
    putLe32(h, 16);
    putLe16(h, kTagPcm);
    putLe16(h, 1);  // channels
    putLe32(h, sampleRate);
    putLe32(h, sampleRate * 2);  // byte rate
    putLe16(h, 2);               // block align
    putLe16(h, 16);              // bits per sample
    h.append("data");
    putLe32(h, dataBytes);
    return h;
}

std::string encodeWav(const PcmAudio& audio) {
    const std::uint64_t dataBytes = std::uint64_t(audio.samples.size()) * 2;
    std::string out =
        wavHeader(audio.sampleRate,
                  static_cast<std::uint32_t>(std::min<std::uint64_t>(dataBytes, 0xFFFFFFFFu)));
    out.reserve(out.size() + dataBytes);
    for (std::int16_t s : audio.samples) putLe16(out, static_cast<std::uint16_t>(s));
    return out;
}

}  // namespace parley::ms::ivr

#include "tests/support/media/audio_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace parley::test {
namespace {

constexpr std::uint16_t kFormatPcm = 1;
constexpr std::uint16_t kFormatALaw = 6;
constexpr std::uint16_t kFormatMuLaw = 7;

void put16(std::vector<std::uint8_t>& b, std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v & 0xFF));
    b.push_back(static_cast<std::uint8_t>((v >> 8) & 0xFF));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    put16(b, v & 0xFFFF);
    put16(b, v >> 16);
}
void putTag(std::vector<std::uint8_t>& b, const char* tag) {
    b.insert(b.end(), tag, tag + 4);
}

std::uint32_t get16(const std::uint8_t* p) {
    return p[0] | (p[1] << 8);
}
std::uint32_t get32(const std::uint8_t* p) {
    return get16(p) | (get16(p + 2) << 16);
}

common::Status writeBytes(const std::filesystem::path& path,
                          const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        return common::makeError(errno,
                                 "cannot create " + path.string() + ": " + std::strerror(errno));
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return common::makeError(EIO, "cannot write " + path.string());
    return {};
}

// RIFF header + fmt chunk (+ fact chunk for non-PCM) + data chunk header.
std::vector<std::uint8_t> wavHeader(std::uint16_t format, int sampleRate,
                                    std::uint16_t bitsPerSample, std::uint32_t dataBytes,
                                    std::uint32_t frames) {
    const bool pcm = format == kFormatPcm;
    const std::uint32_t fmtSize = pcm ? 16 : 18;
    const std::uint32_t factSize = pcm ? 0 : 12;
    const std::uint16_t blockAlign = bitsPerSample / 8;
    std::vector<std::uint8_t> h;
    putTag(h, "RIFF");
    put32(h, 4 + (8 + fmtSize) + factSize + 8 + dataBytes + (dataBytes & 1));
    putTag(h, "WAVE");
    putTag(h, "fmt ");
    put32(h, fmtSize);
    put16(h, format);
    put16(h, 1);  // mono
    put32(h, static_cast<std::uint32_t>(sampleRate));
    put32(h, static_cast<std::uint32_t>(sampleRate) * blockAlign);
    put16(h, blockAlign);
    put16(h, bitsPerSample);
    if (!pcm) {
        put16(h, 0);  // cbSize
        putTag(h, "fact");
        put32(h, 4);
        put32(h, frames);
    }
    putTag(h, "data");
    put32(h, dataBytes);
    return h;
}

}  // namespace

common::Status writeWavPcm16(const std::filesystem::path& path,
                             std::span<const std::int16_t> samples, int sampleRate) {
    if (sampleRate <= 0) return common::makeError(EINVAL, "bad sample rate");
    auto dataBytes = static_cast<std::uint32_t>(samples.size() * 2);
    auto bytes = wavHeader(kFormatPcm, sampleRate, 16, dataBytes,
                           static_cast<std::uint32_t>(samples.size()));
    for (auto s : samples) put16(bytes, static_cast<std::uint16_t>(s));
    return writeBytes(path, bytes);
}

common::Status writeWavG711(const std::filesystem::path& path, G711Law law,
                            std::span<const std::int16_t> samples) {
    auto codes = g711Encode(law, samples);
    auto dataBytes = static_cast<std::uint32_t>(codes.size());
    auto bytes = wavHeader(law == G711Law::kMuLaw ? kFormatMuLaw : kFormatALaw, 8000, 8, dataBytes,
                           dataBytes);
    bytes.insert(bytes.end(), codes.begin(), codes.end());
    if (codes.size() & 1) bytes.push_back(0);  // RIFF chunks are word aligned
    return writeBytes(path, bytes);
}

common::Status writeSippRtpStreamFile(const std::filesystem::path& path, G711Law law,
                                      std::span<const std::int16_t> samples) {
    if (samples.empty()) return common::makeError(EINVAL, "no audio for " + path.string());
    auto codes = g711Encode(law, samples);
    constexpr std::size_t kPacketBytes = 160;
    std::size_t rem = codes.size() % kPacketBytes;
    if (rem) codes.insert(codes.end(), kPacketBytes - rem, g711SilenceCode(law));
    return writeBytes(path, codes);
}

std::string sippRtpStreamAction(const std::filesystem::path& path, G711Law law, int loops) {
    return path.string() + "," + std::to_string(loops) + "," + std::to_string(payloadTypeOf(law));
}

common::Result<WavAudio> readWav(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return common::makeError(errno, "cannot open " + path.string());
    std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
    if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 ||
        std::memcmp(b.data() + 8, "WAVE", 4) != 0)
        return common::makeError(EINVAL, path.string() + ": not a RIFF/WAVE file");
    std::uint32_t format = 0, channels = 0, rate = 0, bits = 0;
    bool haveFmt = false;
    std::size_t pos = 12;
    while (pos + 8 <= b.size()) {
        const std::uint8_t* chunk = b.data() + pos;
        std::uint32_t size = get32(chunk + 4);
        std::size_t body = pos + 8;
        if (size > b.size() - body)
            return common::makeError(EINVAL, path.string() + ": truncated chunk");
        if (std::memcmp(chunk, "fmt ", 4) == 0 && size >= 16) {
            format = get16(b.data() + body);
            channels = get16(b.data() + body + 2);
            rate = get32(b.data() + body + 4);
            bits = get16(b.data() + body + 14);
            haveFmt = true;
        } else if (std::memcmp(chunk, "data", 4) == 0) {
            if (!haveFmt) return common::makeError(EINVAL, path.string() + ": data before fmt");
            if (channels != 1) return common::makeError(EINVAL, path.string() + ": not mono");
            WavAudio out;
            out.sampleRate = static_cast<int>(rate);
            const std::uint8_t* d = b.data() + body;
            if (format == kFormatPcm && bits == 16) {
                for (std::size_t i = 0; i + 1 < size; i += 2)
                    out.samples.push_back(static_cast<std::int16_t>(get16(d + i)));
            } else if ((format == kFormatMuLaw || format == kFormatALaw) && bits == 8) {
                out.samples = g711Decode(format == kFormatMuLaw ? G711Law::kMuLaw : G711Law::kALaw,
                                         std::span<const std::uint8_t>(d, size));
            } else {
                return common::makeError(EINVAL, path.string() + ": unsupported format " +
                                                     std::to_string(format) + "/" +
                                                     std::to_string(bits) + " bits");
            }
            return out;
        }
        pos = body + size + (size & 1);
    }
    return common::makeError(EINVAL, path.string() + ": no data chunk");
}

}  // namespace parley::test

#include "bench/ivr_load/wav_files.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "bench/common/tone.hpp"

namespace parley::bench {

namespace {

constexpr std::uint32_t kRate = 8000;
constexpr std::size_t kBlock = 160;

void put16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
}

void put32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint32_t get32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

std::uint16_t get16(const std::string& s, std::size_t at) {
    return static_cast<std::uint16_t>(static_cast<std::uint8_t>(s[at]) |
                                      (static_cast<std::uint8_t>(s[at + 1]) << 8));
}

}  // namespace

common::Status writeToneWav(const std::filesystem::path& path, const std::vector<double>& tonesHz,
                            double segmentSeconds, double amplitude) {
    const auto perSegment = static_cast<std::size_t>(std::lround(segmentSeconds * kRate));
    std::string data;
    data.reserve(tonesHz.size() * perSegment * 2);
    for (double hz : tonesHz) {
        for (std::size_t i = 0; i < perSegment; ++i) {
            const double v = amplitude * std::sin(2 * M_PI * hz * static_cast<double>(i) / kRate);
            put16(data, static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(v))));
        }
    }
    std::string out = "RIFF";
    put32(out, static_cast<std::uint32_t>(36 + data.size()));
    out += "WAVEfmt ";
    put32(out, 16);
    put16(out, 1);  // PCM
    put16(out, 1);  // mono
    put32(out, kRate);
    put32(out, kRate * 2);
    put16(out, 2);
    put16(out, 16);
    out += "data";
    put32(out, static_cast<std::uint32_t>(data.size()));
    out += data;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f) return common::Error(5, "cannot write " + path.string());
    return {};
}

RecordingCheck checkRecording(const std::filesystem::path& path, double toneHz,
                              double minAmplitude) {
    RecordingCheck r;
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        r.why = "cannot open " + path.string();
        return r;
    }
    const std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    r.fileBytes = s.size();
    if (s.size() < 12 || s.compare(0, 4, "RIFF") != 0 || s.compare(8, 4, "WAVE") != 0) {
        r.why = "not RIFF/WAVE";
        return r;
    }
    if (get32(s, 4) + 8ULL != s.size()) {
        r.why = "RIFF size " + std::to_string(get32(s, 4)) + " does not match the file (" +
                std::to_string(s.size()) + " bytes)";
        return r;
    }
    bool haveFmt = false;
    std::size_t dataAt = 0, dataSize = 0;
    for (std::size_t at = 12; at + 8 <= s.size();) {
        const std::string id = s.substr(at, 4);
        const std::uint32_t size = get32(s, at + 4);
        if (at + 8 + size > s.size()) {
            r.why = "chunk " + id + " runs past the end of the file";
            return r;
        }
        if (id == "fmt ") {
            if (size < 16 || get16(s, at + 8) != 1 || get16(s, at + 10) != 1 ||
                get32(s, at + 12) != kRate || get16(s, at + 22) != 16) {
                r.why = "fmt is not 8 kHz mono PCM16";
                return r;
            }
            haveFmt = true;
        } else if (id == "data") {
            dataAt = at + 8;
            dataSize = size;
        }
        at += 8 + size + (size & 1);
    }
    if (!haveFmt || dataAt == 0) {
        r.why = "no fmt or data chunk";
        return r;
    }
    if (dataSize % 2 != 0) {
        r.why = "odd data size";
        return r;
    }
    r.samples = dataSize / 2;
    std::vector<std::int16_t> pcm(r.samples);
    std::memcpy(pcm.data(), s.data() + dataAt, dataSize);  // little-endian host
    const double coeff = goertzelCoeff(toneHz);
    std::uint64_t blocks = r.samples / kBlock;
    bool seen = false;
    std::uint64_t sinceLast = 0;
    for (std::uint64_t b = 0; b < blocks; ++b) {
        const bool tone = toneAmplitude(pcm.data() + b * kBlock, kBlock, coeff) >= minAmplitude;
        if (!tone) {
            if (seen) ++sinceLast;
            continue;
        }
        if (!seen) {
            seen = true;
            r.firstTone = b;
        } else {
            r.gaps += sinceLast;
        }
        sinceLast = 0;
        r.lastTone = b;
        ++r.toneBlocks;
    }
    r.valid = true;
    return r;
}

}  // namespace parley::bench

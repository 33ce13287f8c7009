#include "audio_test_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include "ms/rtp/g711.hpp"

namespace parley::test::audio {

namespace fs = std::filesystem;

namespace {
// As parley-ms does at start-up: a peer closing a socket must not kill the process.
const bool kSigpipeIgnored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();
}  // namespace

void writeFile(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<double> tone(double freq, std::uint32_t rate, std::size_t count, double amp) {
    std::vector<double> out(count);
    for (std::size_t i = 0; i < count; ++i) {
        out[i] = amp * std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / rate);
    }
    return out;
}

namespace {

void le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

int bitsOf(Fmt f) {
    switch (f) {
        case Fmt::U8:
        case Fmt::Ulaw:
        case Fmt::Alaw:
            return 8;
        case Fmt::S16:
            return 16;
        case Fmt::S24:
            return 24;
        case Fmt::S32:
        case Fmt::F32:
            return 32;
    }
    return 16;
}

std::uint16_t tagOf(Fmt f) {
    switch (f) {
        case Fmt::F32:
            return 3;
        case Fmt::Ulaw:
            return 7;
        case Fmt::Alaw:
            return 6;
        default:
            return 1;
    }
}

void putSample(std::string& out, Fmt f, double v) {
    v = std::clamp(v, -1.0, 1.0);
    const auto s16 = static_cast<std::int16_t>(std::lrint(v * 32767));
    switch (f) {
        case Fmt::U8:
            out.push_back(static_cast<char>(std::lrint(v * 127) + 128));
            break;
        case Fmt::S16:
            le(out, static_cast<std::uint16_t>(s16), 2);
            break;
        case Fmt::S24:
            le(out, static_cast<std::uint32_t>(std::lrint(v * 8388607)), 3);
            break;
        case Fmt::S32:
            le(out,
               static_cast<std::uint32_t>(static_cast<std::int32_t>(std::llrint(v * 2147483647.0))),
               4);
            break;
        case Fmt::F32: {
            const float fl = static_cast<float>(v);
            std::uint32_t raw;
            std::memcpy(&raw, &fl, 4);
            le(out, raw, 4);
            break;
        }
        case Fmt::Ulaw:
            out.push_back(static_cast<char>(ms::rtp::linearToUlaw(s16)));
            break;
        case Fmt::Alaw:
            out.push_back(static_cast<char>(ms::rtp::linearToAlaw(s16)));
            break;
    }
}

}  // namespace

std::string makeWav(const WavSpec& spec, const std::vector<std::vector<double>>& channels) {
    const int bits = bitsOf(spec.fmt);
    const std::size_t frames = channels.empty() ? 0 : channels[0].size();
    std::string data;
    for (std::size_t i = 0; i < frames; ++i) {
        for (std::uint16_t c = 0; c < spec.channels; ++c) putSample(data, spec.fmt, channels[c][i]);
    }
    std::string fmt;
    const std::uint16_t block = static_cast<std::uint16_t>(spec.channels * bits / 8);
    le(fmt, spec.extensible ? 0xFFFE : tagOf(spec.fmt), 2);
    le(fmt, spec.channels, 2);
    le(fmt, spec.rate, 4);
    le(fmt, spec.rate * block, 4);
    le(fmt, block, 2);
    le(fmt, static_cast<std::uint64_t>(bits), 2);
    if (spec.extensible) {
        le(fmt, 22, 2);
        le(fmt, static_cast<std::uint64_t>(bits), 2);
        le(fmt, spec.channels == 1 ? 4 : 3, 4);
        le(fmt, tagOf(spec.fmt), 2);
        static const unsigned char kTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
        fmt.append(reinterpret_cast<const char*>(kTail), 14);
    }
    std::string out = "RIFF";
    le(out, 4 + 8 + fmt.size() + 8 + data.size() + (data.size() & 1), 4);
    out += "WAVE";
    out += "fmt ";
    le(out, fmt.size(), 4);
    out += fmt;
    out += "data";
    le(out, data.size(), 4);
    out += data;
    if (data.size() & 1) out.push_back('\0');
    return out;
}

std::string makeWav(const WavSpec& spec, const std::vector<double>& mono) {
    std::vector<std::vector<double>> ch(spec.channels, mono);
    return makeWav(spec, ch);
}

double toneShare(std::span<const std::int16_t> s, double freq, std::uint32_t rate) {
    if (s.empty()) return 0;
    const double w = 2 * std::numbers::pi * freq / rate;
    const double coeff = 2 * std::cos(w);
    double q1 = 0, q2 = 0, energy = 0;
    for (std::int16_t v : s) {
        const double x = v;
        const double q0 = coeff * q1 - q2 + x;
        q2 = q1;
        q1 = q0;
        energy += x * x;
    }
    const double power = q1 * q1 + q2 * q2 - coeff * q1 * q2;
    if (energy <= 0) return 0;
    // A pure tone of N samples gives power = N^2 A^2 / 4 and energy = N A^2 / 2.
    return power / (energy * static_cast<double>(s.size()) / 2);
}

std::size_t zeroCrossings(std::span<const std::int16_t> s) {
    std::size_t n = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        if ((s[i - 1] < 0) != (s[i] < 0)) ++n;
    }
    return n;
}

// ---------------------------------------------------------------------------------------

}  // namespace parley::test::audio

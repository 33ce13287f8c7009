// WAV decoding of every supported shape, refusals (422), tolerance of sloppy writers, and a
// hostile-input loop (truncations, bit flips, random garbage) meant to run under ASan.

#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "audio_test_util.hpp"
#include "ms/ivr/wav.hpp"

using namespace parley::ms::ivr;
using namespace parley::test::audio;

namespace {

std::string le32(std::uint32_t v) {
    std::string s;
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return s;
}

void setLe32(std::string& s, std::size_t pos, std::uint32_t v) {
    s.replace(pos, 4, le32(v));
}
void setLe16(std::string& s, std::size_t pos, std::uint16_t v) {
    s[pos] = static_cast<char>(v & 0xFF);
    s[pos + 1] = static_cast<char>(v >> 8);
}

std::int16_t expected(double v) {
    return static_cast<std::int16_t>(std::lrint(v * 32767));
}

}  // namespace

TEST_CASE("ivr_audio: PCM16 mono 8 kHz decodes sample for sample", "[ivr_audio][wav]") {
    const auto t = tone(1000, 8000, 800);
    auto r = decodeWav(makeWav({Fmt::S16, 1, 8000}, t), "mem");
    REQUIRE(r.ok());
    REQUIRE(r->samples.size() == 800);
    CHECK(r->sampleRate == 8000);
    CHECK(r->origin == "mem");
    CHECK(r->duration() == std::chrono::milliseconds(100));
    for (std::size_t i = 0; i < t.size(); ++i) REQUIRE(r->samples[i] == expected(t[i]));
}

TEST_CASE("ivr_audio: every sample format decodes, mono, stereo and extensible",
          "[ivr_audio][wav]") {
    struct Case {
        Fmt fmt;
        int tolerance;  // max |error| in 16-bit units
    };
    const Case cases[] = {{Fmt::U8, 300}, {Fmt::S16, 1},     {Fmt::S24, 1},    {Fmt::S32, 1},
                          {Fmt::F32, 1},  {Fmt::Ulaw, 1100}, {Fmt::Alaw, 1100}};
    const auto t = tone(1000, 8000, 1600);
    for (const Case& c : cases) {
        for (std::uint16_t channels : {1, 2}) {
            for (bool ext : {false, true}) {
                INFO("format " << int(c.fmt) << " channels " << channels << " extensible " << ext);
                auto r = decodeWav(makeWav({c.fmt, channels, 8000, ext}, t), "x");
                REQUIRE(r.ok());
                REQUIRE(r->samples.size() == t.size());
                int worst = 0;
                for (std::size_t i = 0; i < t.size(); ++i) {
                    worst = std::max(worst, std::abs(r->samples[i] - expected(t[i])));
                }
                CHECK(worst <= c.tolerance);
                CHECK(toneShare(r->samples, 1000, 8000) > 0.95);
            }
        }
    }
}

TEST_CASE("ivr_audio: stereo is averaged to mono", "[ivr_audio][wav]") {
    const auto left = tone(1000, 8000, 400, 0.8);
    const std::vector<double> right(400, 0.0);
    auto r = decodeWav(makeWav({Fmt::S16, 2, 8000}, {left, right}), "x");
    REQUIRE(r.ok());
    for (std::size_t i = 0; i < left.size(); ++i) {
        REQUIRE(std::abs(r->samples[i] - expected(left[i]) / 2) <= 1);
    }
}

TEST_CASE("ivr_audio: any rate 8..48 kHz is resampled to 8 kHz keeping the tone",
          "[ivr_audio][wav]") {
    for (std::uint32_t rate : {11025u, 16000u, 22050u, 32000u, 44100u, 48000u}) {
        INFO("rate " << rate);
        const auto t = tone(1000, rate, rate);  // one second
        for (Fmt f : {Fmt::S16, Fmt::F32, Fmt::S24}) {
            auto r = decodeWav(makeWav({f, 1, rate}, t), "x");
            REQUIRE(r.ok());
            CHECK(r->sampleRate == 8000);
            CHECK(r->samples.size() == 8000);
            CHECK(toneShare(std::span(r->samples).subspan(200, 7600), 1000, 8000) > 0.9);
        }
    }
}

TEST_CASE("ivr_audio: unsupported WAVs are 422 with a reason", "[ivr_audio][wav]") {
    const std::string good = makeWav({Fmt::S16, 1, 8000}, tone(1000, 8000, 80));
    const auto refuse = [](const std::string& bytes, const std::string& what) {
        INFO(what);
        auto r = decodeWav(bytes, "x");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 422);
        CHECK_FALSE(r.error().message.empty());
    };
    refuse("", "empty");
    refuse("RIFF", "short");
    refuse(std::string("RIFX") + good.substr(4), "big-endian RIFX");
    refuse(good.substr(0, 8) + "AVI " + good.substr(12), "not WAVE");
    refuse(makeWav({Fmt::S16, 1, 7999}, tone(1000, 7999, 80)), "rate too low");
    refuse(makeWav({Fmt::S16, 1, 96000}, tone(1000, 96000, 80)), "rate too high");
    refuse(makeWav({Fmt::S16, 3, 8000}, {tone(1, 8000, 8), tone(1, 8000, 8), tone(1, 8000, 8)}),
           "three channels");
    {
        std::string adpcm = good;
        setLe16(adpcm, 20, 2);
        refuse(adpcm, "MS ADPCM");
    }
    {
        std::string bits12 = good;
        setLe16(bits12, 34, 12);
        refuse(bits12, "12-bit PCM");
    }
    {
        std::string badAlign = good;
        setLe16(badAlign, 32, 4);
        refuse(badAlign, "block align");
    }
    {
        std::string floatBits = makeWav({Fmt::S16, 1, 8000}, tone(1000, 8000, 80));
        setLe16(floatBits, 20, 3);  // float with 16 bits
        refuse(floatBits, "16-bit float");
    }
    {
        std::string ext = makeWav({Fmt::S16, 1, 8000, true}, tone(1000, 8000, 80));
        ext[12 + 8 + 24 + 5] = 0x11;  // damage the subformat GUID tail
        refuse(ext, "unknown extensible GUID");
    }
    refuse("RIFF" + le32(4) + "WAVE", "no chunks");
    refuse(good.substr(0, 12 + 8 + 16), "no data chunk");
    {
        std::string noFmt = "RIFF" + le32(0) + "WAVE" + "data" + le32(4) + "abcd";
        refuse(noFmt, "no fmt chunk");
    }
    {
        WavLimits small;
        small.maxBytes = 100;
        auto r = decodeWav(good + std::string(200, '\0'), "x", small);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 422);
    }
    {
        WavLimits shortLimit;
        shortLimit.maxDuration = std::chrono::seconds(1);
        auto r = decodeWav(makeWav({Fmt::S16, 1, 8000}, tone(1000, 8000, 8001)), "x", shortLimit);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == 422);
    }
}

TEST_CASE("ivr_audio: unknown chunks, odd padding and truncated data are tolerated",
          "[ivr_audio][wav]") {
    const auto t = tone(1000, 8000, 160);
    const std::string good = makeWav({Fmt::S16, 1, 8000}, t);
    const std::string fmtChunk = good.substr(12, 24);
    const std::string dataChunk = good.substr(36);

    SECTION("LIST chunk with odd size and its pad byte before fmt and data") {
        const std::string list = "LIST" + le32(5) + "abcde" + std::string(1, '\0');
        auto r = decodeWav("RIFF" + le32(0) + "WAVE" + list + fmtChunk + dataChunk, "x");
        REQUIRE(r.ok());
        CHECK(r->samples.size() == 160);
        CHECK(r->samples[10] == expected(t[10]));
    }
    SECTION("odd chunk whose writer forgot the pad byte") {
        const std::string list = "junk" + le32(3) + "abc";
        auto r = decodeWav("RIFF" + le32(0) + "WAVE" + list + fmtChunk + dataChunk, "x");
        REQUIRE(r.ok());
        CHECK(r->samples.size() == 160);
    }
    SECTION("data size larger than the file: read what is there") {
        std::string trunc = good.substr(0, good.size() - 101);  // 59 whole samples and a half
        auto r = decodeWav(trunc, "x");
        REQUIRE(r.ok());
        CHECK(r->samples.size() == 109);
    }
    SECTION("data size 0xFFFFFFFF (streamed writer)") {
        std::string s = good;
        setLe32(s, 40, 0xFFFFFFFFu);
        auto r = decodeWav(s, "x");
        REQUIRE(r.ok());
        CHECK(r->samples.size() == 160);
    }
    SECTION("fmt after data") {
        auto r = decodeWav("RIFF" + le32(0) + "WAVE" + dataChunk + fmtChunk, "x");
        REQUIRE(r.ok());
        CHECK(r->samples.size() == 160);
    }
    SECTION("empty data") {
        auto r = decodeWav("RIFF" + le32(0) + "WAVE" + fmtChunk + "data" + le32(0), "x");
        REQUIRE(r.ok());
        CHECK(r->samples.empty());
    }
}

TEST_CASE("ivr_audio: hostile WAV bytes never crash or read out of bounds",
          "[ivr_audio][wav][hostile]") {
    const std::string list = "LIST" + le32(7) + "abcdefg" + std::string(1, '\0');
    std::vector<std::string> seeds;
    for (Fmt f : {Fmt::S16, Fmt::S24, Fmt::F32, Fmt::Ulaw}) {
        for (bool ext : {false, true}) {
            std::string w = makeWav({f, 2, 16000, ext}, tone(1000, 16000, 64));
            w.insert(12, list);
            seeds.push_back(w);
        }
    }
    std::size_t accepted = 0, refused = 0;
    const auto check = [&](const std::string& bytes) {
        auto r = decodeWav(bytes, "hostile");
        if (r.ok()) {
            ++accepted;
            REQUIRE(r->sampleRate == 8000);
        } else {
            ++refused;
            REQUIRE(r.error().code == 422);
        }
    };
    std::mt19937 rng(6231);
    for (const std::string& seed : seeds) {
        for (std::size_t len = 0; len <= seed.size(); ++len) {
            // a copy of exactly len bytes, so ASan catches any read past the end
            check(std::string(seed.data(), len));
        }
        for (std::size_t pos = 0; pos < std::min<std::size_t>(seed.size(), 120); ++pos) {
            for (int bit = 0; bit < 8; ++bit) {
                std::string m = seed;
                m[pos] = static_cast<char>(m[pos] ^ (1 << bit));
                check(m);
            }
        }
        for (int i = 0; i < 2000; ++i) {
            std::string m = seed.substr(0, rng() % (seed.size() + 1));
            const int edits = 1 + static_cast<int>(rng() % 6);
            for (int e = 0; e < edits && !m.empty(); ++e) {
                const std::size_t pos = rng() % m.size();
                switch (rng() % 3) {
                    case 0:
                        m[pos] = static_cast<char>(rng());
                        break;
                    case 1:
                        if (pos + 4 <= m.size()) setLe32(m, pos, 0xFFFFFFFFu - (rng() % 3));
                        break;
                    default:
                        if (pos + 2 <= m.size()) setLe16(m, pos, static_cast<std::uint16_t>(rng()));
                }
            }
            check(m);
        }
    }
    CHECK(accepted > 0);
    CHECK(refused > 0);
}

TEST_CASE("ivr_audio: encodeWav writes a canonical header that decodes back", "[ivr_audio][wav]") {
    const std::string h = wavHeader(8000, 320);
    REQUIRE(h.size() == kWavHeaderBytes);
    CHECK(h.substr(0, 4) == "RIFF");
    CHECK(h.substr(4, 4) == le32(36 + 320));
    CHECK(h.substr(8, 8) == "WAVEfmt ");
    CHECK(h.substr(36, 4) == "data");
    CHECK(h.substr(40, 4) == le32(320));
    auto info = inspectWav(h);
    REQUIRE(info.ok());
    CHECK(info->sampleRate == 8000);
    CHECK(info->channels == 1);
    CHECK(info->bitsPerSample == 16);
    CHECK(info->dataOffset == 44);

    PcmAudio a;
    for (int i = 0; i < 1000; ++i) a.samples.push_back(static_cast<std::int16_t>(i * 37 - 16000));
    const std::string w = encodeWav(a);
    CHECK(w.size() == 44 + 2000);
    auto back = decodeWav(w, "rt");
    REQUIRE(back.ok());
    CHECK(back->samples == a.samples);
}

// WAV files and the raw G.711 files sipp 3.6's rtp_stream plays.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::test;

namespace {
std::vector<std::uint8_t> bytesOf(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("test_media: audio file: PCM16 WAV round trip", "[wav]") {
    TempDir dir;
    auto pcm = makeTone(400, -20, 0.5);
    auto path = dir.path() / "tone.wav";
    REQUIRE(writeWavPcm16(path, pcm));
    auto bytes = bytesOf(path);
    REQUIRE(bytes.size() == 44 + pcm.size() * 2);
    CHECK(std::string(bytes.begin(), bytes.begin() + 4) == "RIFF");
    CHECK(std::string(bytes.begin() + 8, bytes.begin() + 12) == "WAVE");
    auto back = readWav(path);
    REQUIRE(back);
    CHECK(back->sampleRate == 8000);
    CHECK(back->samples == pcm);
}

TEST_CASE("test_media: audio file: G.711 WAV decodes to the G.711 round trip", "[wav]") {
    TempDir dir;
    auto pcm = makeTone(1000, -15, 0.3);
    for (auto law : {G711Law::kMuLaw, G711Law::kALaw}) {
        auto path = dir.path() / "g711.wav";
        REQUIRE(writeWavG711(path, law, pcm));
        auto back = readWav(path);
        REQUIRE(back);
        CHECK(back->samples == g711Decode(law, g711Encode(law, pcm)));
        CHECK(analyseTones(back->samples).levelDb(1000) == Approx(-15).margin(0.5));
    }
}

TEST_CASE("test_media: audio file: the sipp rtp_stream file is raw G.711 in whole 20 ms packets",
          "[wav][sipp]") {
    TempDir dir;
    auto pcm = makeTone(600, -20, 1.01);  // 8080 samples: padded to 8160
    auto path = dir.path() / "tone.ulaw";
    REQUIRE(writeSippRtpStreamFile(path, G711Law::kMuLaw, pcm));
    auto bytes = bytesOf(path);
    REQUIRE(bytes.size() == 8160);
    CHECK(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 8080) ==
          g711Encode(G711Law::kMuLaw, pcm));
    CHECK(bytes.back() == 0xFF);
    CHECK(sippRtpStreamAction(path, G711Law::kMuLaw) == path.string() + ",-1,0");
    CHECK(sippRtpStreamAction("/x/a.alaw", G711Law::kALaw, 1) == "/x/a.alaw,1,8");
    CHECK_FALSE(writeSippRtpStreamFile(path, G711Law::kMuLaw, {}));
}

TEST_CASE("test_media: audio file: readWav rejects what it cannot read", "[wav]") {
    TempDir dir;
    auto path = dir.path() / "bad.wav";
    auto write = [&](const std::string& s) { std::ofstream(path, std::ios::binary) << s; };
    write("hello");
    CHECK_FALSE(readWav(path));
    write(
        std::string("RIFF\x10\0\0\0WAVEdata\xff\xff\0\0", 20));  // data chunk longer than the file
    CHECK_FALSE(readWav(path));
    CHECK_FALSE(readWav(dir.path() / "missing.wav"));
    CHECK_FALSE(writeWavPcm16(dir.path() / "no/such/dir/x.wav", std::vector<std::int16_t>(10, 0)));
}

TEST_CASE("test_media: audio file: sox reads what we write", "[wav][sox]") {
    if (!haveProgram("sox")) PARLEY_SKIP("sox is not installed");
    TempDir dir;
    auto pcm = makeTone(800, -20, 0.5);
    REQUIRE(writeWavPcm16(dir.path() / "a.wav", pcm));
    REQUIRE(writeWavG711(dir.path() / "u.wav", G711Law::kMuLaw, pcm));
    REQUIRE(writeWavG711(dir.path() / "a-law.wav", G711Law::kALaw, pcm));
    REQUIRE(writeSippRtpStreamFile(dir.path() / "s.alaw", G711Law::kALaw, pcm));
    for (std::string in : {"a.wav", "u.wav", "a-law.wav", "-t al -r 8000 -c 1 s.alaw"}) {
        // sox converts each to 16-bit PCM WAV, which we read back and listen to.
        std::string cmd = "cd " + dir.path().string() + " && sox " + in +
                          " -b 16 -e signed-integer out.wav 2>/dev/null";
        INFO(cmd);
        REQUIRE(std::system(cmd.c_str()) == 0);
        auto back = readWav(dir.path() / "out.wav");
        REQUIRE(back);
        CHECK(back->samples.size() == pcm.size());
        CHECK(analyseTones(back->samples).levelDb(800) == Approx(-20).margin(0.5));
    }
}

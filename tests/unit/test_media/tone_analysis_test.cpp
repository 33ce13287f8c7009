// Tone generation and Goertzel analysis: levels, mixtures, G.711, silence, short buffers.
#include <catch2/catch.hpp>

#include "tests/support/media/g711.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"

using namespace parley::test;

TEST_CASE("test_media: tone: a generated tone measures at its level at every candidate frequency", "[tone]") {
    for (double f : kDefaultToneSet) {
        for (double level : {-6.0, -20.0, -40.0}) {
            auto report = analyseTones(makeTone(f, level, 1.0));
            INFO(report.describe());
            CHECK(report.levelDb(f) == Approx(level).margin(0.2));
            CHECK(report.hasTone(f, level - 1));
            CHECK_FALSE(report.hasTone(f, level + 1));
            CHECK(report.dominantTone(-50) == Approx(f));
            for (double other : kDefaultToneSet)
                if (other != f) CHECK(report.levelDb(other) < level - 50);
        }
    }
}

TEST_CASE("test_media: tone: a sum of tones shows each at its own level", "[tone]") {
    auto pcm = makeTones({{400, -20}, {1000, -26}, {1200, -32}}, 1.0);
    auto report = analyseTones(pcm);
    INFO(report.describe());
    CHECK(report.levelDb(400) == Approx(-20).margin(0.3));
    CHECK(report.levelDb(1000) == Approx(-26).margin(0.3));
    CHECK(report.levelDb(1200) == Approx(-32).margin(0.3));
    CHECK(report.levelDb(600) < -70);
    CHECK(report.levelDb(800) < -70);
    CHECK(report.dominantTone() == Approx(400));
    CHECK(report.tonesAbove(-35) == std::vector<double>{400, 1000, 1200});
    // Broadband level: powers add (-20, -26, -32 dBFS).
    CHECK(report.rmsDbfs() == Approx(-18.7).margin(0.3));
}

TEST_CASE("test_media: tone: G.711 quantization does not move levels or invent tones", "[tone][g711]") {
    auto pcm = makeTones({{600, -18}, {800, -30}}, 1.0);
    for (auto law : {G711Law::kMuLaw, G711Law::kALaw}) {
        auto decoded = g711Decode(law, g711Encode(law, pcm));
        auto report = analyseTones(decoded);
        INFO(report.describe());
        CHECK(report.levelDb(600) == Approx(-18).margin(0.5));
        CHECK(report.levelDb(800) == Approx(-30).margin(0.5));
        CHECK(report.levelDb(400) < -55);
        CHECK(report.levelDb(1000) < -55);
        CHECK(report.levelDb(1200) < -55);
    }
}

TEST_CASE("test_media: tone: silence, near-silence and the empty buffer", "[tone]") {
    std::vector<std::int16_t> zeros(8000, 0);
    CHECK(isSilence(zeros));
    CHECK(analyseTones(zeros).silent());
    CHECK(analyseTones(zeros).dominantTone() == std::nullopt);
    CHECK(analyseTones(zeros).levelDb(400) == kFloorDbfs);
    CHECK(isSilence(makeTone(400, -70, 1.0)));
    CHECK_FALSE(isSilence(makeTone(400, -30, 1.0)));
    // One loud window is enough to not be silent.
    auto mostlyQuiet = zeros;
    auto burst = makeTone(1000, -20, 0.1);
    std::copy(burst.begin(), burst.end(), mostlyQuiet.begin() + 4000);
    CHECK_FALSE(isSilence(mostlyQuiet));

    std::vector<std::int16_t> none;
    auto empty = analyseTones(none);
    CHECK(empty.windowCount() == 0);
    CHECK(empty.silent());
    CHECK(empty.levelDb(400) == kFloorDbfs);
    CHECK(empty.presence(400, -60) == 0);
    CHECK(rmsDbfs(none) == kFloorDbfs);
}

TEST_CASE("test_media: tone: short buffers and frequencies outside the candidates", "[tone]") {
    auto shortReport = analyseTones(makeTone(800, -20, 0.04));  // 40 ms, less than a window
    CHECK(shortReport.windowCount() == 1);
    CHECK(shortReport.levelDb(800) == Approx(-20).margin(0.5));
    auto report = analyseTones(makeTone(1400, -25, 0.5), {400, 600});
    CHECK(report.levelDb(1400) == Approx(-25).margin(0.2));  // measured on demand
    CHECK(report.hasTone(1400, -30));
    CHECK(report.dominantTone() == std::nullopt);  // neither candidate is present
    CHECK(analyseTones(makeTone(400, -20, 0.01)).windowCount() == 0);  // under 20 ms
}

TEST_CASE("test_media: tone: the median ignores a short interruption; presence counts it", "[tone]") {
    auto pcm = makeTone(600, -20, 1.0);
    std::fill(pcm.begin() + 1600, pcm.begin() + 2400, 0);  // one 100 ms window
    auto report = analyseTones(pcm);
    CHECK(report.levelDb(600) == Approx(-20).margin(0.5));
    CHECK(report.presence(600, -25) == Approx(0.9));
    auto half = makeTone(600, -20, 0.5);
    half.resize(8000, 0);
    auto halfReport = analyseTones(half);
    CHECK(halfReport.presence(600, -25) == Approx(0.5));
    CHECK(halfReport.levels()[1].windowDbfs.size() == 10);
}

TEST_CASE("test_media: tone: the generator keeps phase across calls and clips sums", "[tone]") {
    ToneGenerator gen({{1000, -20}});
    std::vector<std::int16_t> joined;
    for (int i = 0; i < 50; ++i) gen.generate(160, joined);
    auto whole = makeTone(1000, -20, 1.0);
    REQUIRE(joined.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) REQUIRE(std::abs(joined[i] - whole[i]) <= 1);
    auto loud = makeTones({{400, 0}, {600, 0}}, 0.1);
    CHECK(*std::max_element(loud.begin(), loud.end()) == 32767);
    CHECK(amplitudeForDbfs(0) == Approx(32767));
    CHECK(amplitudeForDbfs(-20) == Approx(3276.7));
    CHECK(ToneGenerator().next(160) == std::vector<std::int16_t>(160, 0));
}

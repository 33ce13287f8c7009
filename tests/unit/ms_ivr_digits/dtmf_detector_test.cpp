// DtmfDetector: keys, levels, twist, durations, gaps, noise, G.711, and talk-off against
// synthetic vowels and (when espeak-ng and sox are installed) synthetic speech.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <random>

#include <unistd.h>

#include "ms/ivr/dtmf_detector.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/g711.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/unit/ms_ivr_digits/dtmf_signals.hpp"

using namespace parley::test::dtmf;
using parley::ms::ivr::DtmfDetector;

namespace {

// Each key `onMs` on, `offMs` off.
std::vector<std::int16_t> keySequence(const std::string& keys, double onMs, double offMs,
                                      double rowDbm0 = -10, double colDbm0 = -8) {
    std::vector<std::int16_t> s = silence(offMs);
    for (char k : keys) {
        append(s, keyTone(k, onMs, rowDbm0, colDbm0));
        append(s, silence(offMs));
    }
    return s;
}

}  // namespace

TEST_CASE("ivr_digits: detector finds every key at nominal level, once, with its start time",
          "[dtmf]") {
    const auto audio = keySequence(kAllKeys, 100, 100);
    const Run run = detect(audio);
    REQUIRE(run.keys() == kAllKeys);
    for (std::size_t i = 0; i < run.digits.size(); ++i) {
        const double expected = 100.0 + 200.0 * static_cast<double>(i);  // tone onsets
        INFO("key " << run.digits[i].digit);
        CHECK(run.startMs(i) >= expected - 13);
        CHECK(run.startMs(i) <= expected + 13);
    }
}

TEST_CASE("ivr_digits: detector level range, accepted inside and refused outside", "[dtmf]") {
    for (double level : {-30.0, -25.0, -15.0, -4.0}) {
        INFO("each tone at " << level << " dBm0");
        CHECK(detect(keySequence("159#", 60, 60, level, level)).keys() == "159#");
    }
    for (double level : {-37.0, -45.0, -60.0}) {
        INFO("each tone at " << level << " dBm0");
        CHECK(detect(keySequence("159#", 60, 60, level, level)).keys().empty());
    }
    // One tone strong, the other below the minimum.
    CHECK(detect(keySequence("5", 80, 60, -10, -40)).keys().empty());
    CHECK(detect(keySequence("5", 80, 60, -40, -10)).keys().empty());
}

TEST_CASE("ivr_digits: detector twist limits (normal 8 dB, reverse 4 dB)", "[dtmf]") {
    const double row = -12;
    // column (high group) relative to row (low group)
    for (double twist : {-7.0, -4.0, 0.0, 3.0}) {
        INFO("high group " << twist << " dB against the low group");
        CHECK(detect(keySequence("2580", 60, 60, row, row + twist)).keys() == "2580");
    }
    for (double twist : {-10.0, -14.0, 6.0, 9.0}) {
        INFO("high group " << twist << " dB against the low group");
        CHECK(detect(keySequence("2580", 60, 60, row, row + twist)).keys().empty());
    }
}

TEST_CASE("ivr_digits: detector accepts 40 ms tones and refuses 20 ms tones at any alignment",
          "[dtmf]") {
    for (std::size_t offset = 0; offset < 160; offset += 7) {
        INFO("tone starts " << offset << " samples into a frame");
        std::vector<std::int16_t> lead(offset, 0);
        auto shortTones = lead;
        append(shortTones, keySequence("1397", 20, 60));
        CHECK(detect(shortTones).keys().empty());
        auto okTones = lead;
        append(okTones, keySequence("1397", 40, 60));
        CHECK(detect(okTones).keys() == "1397");
    }
}

TEST_CASE("ivr_digits: detector gaps, repeated keys and long presses", "[dtmf]") {
    SECTION("the same key with 40 ms pauses counts each press") {
        CHECK(detect(keySequence("55555", 50, 40)).keys() == "55555");
    }
    SECTION("a long press is one digit") {
        auto s = silence(40);
        append(s, keyTone('8', 1500));
        append(s, silence(40));
        CHECK(detect(s).keys() == "8");
    }
    SECTION("a 10 ms dropout inside a press does not make a second digit") {
        for (std::size_t offset = 0; offset < 102; offset += 13) {
            std::vector<std::int16_t> s(offset, 0);
            append(s, keyTone('3', 120));
            append(s, silence(10));
            append(s, keyTone('3', 120));
            append(s, silence(60));
            INFO("offset " << offset);
            CHECK(detect(s).keys() == "3");
        }
    }
    SECTION("different keys back to back without a pause are two digits") {
        auto s = silence(40);
        append(s, keyTone('1', 80));
        append(s, keyTone('2', 80));
        append(s, silence(40));
        CHECK(detect(s).keys() == "12");
    }
}

TEST_CASE("ivr_digits: detector in white noise (15 dB SNR found, 0 dB no false digits)", "[dtmf]") {
    const double row = -14;
    const double col = -12;
    SECTION("15 dB SNR") {
        auto s = keySequence(kAllKeys, 60, 60, row, col);
        addNoise(s, std::sqrt(keyPower(row, col) / std::pow(10.0, 1.5)), 7);
        CHECK(detect(s).keys() == kAllKeys);
    }
    SECTION("0 dB SNR: whatever is reported is right and at most once per press") {
        for (char key : kAllKeys) {
            auto s = keySequence(std::string(1, key), 80, 80, row, col);
            addNoise(s, std::sqrt(keyPower(row, col)), static_cast<std::uint32_t>(key));
            const std::string got = detect(s).keys();
            INFO("key " << key << " got '" << got << "'");
            CHECK(got.size() <= 1);
            if (!got.empty()) CHECK(got[0] == key);
        }
    }
    SECTION("noise alone, at DTMF levels, for 60 s") {
        std::vector<std::int16_t> s(samplesFor(60000), 0);
        addNoise(s, std::sqrt(keyPower(row, col)), 99);
        CHECK(detect(s).keys().empty());
        std::vector<std::int16_t> loud(samplesFor(20000), 0);
        addNoise(loud, 6000, 100);
        CHECK(detect(loud).keys().empty());
    }
}

TEST_CASE("ivr_digits: detector through G.711 mu-law and A-law", "[dtmf]") {
    for (auto law : {parley::test::G711Law::kMuLaw, parley::test::G711Law::kALaw}) {
        auto s = keySequence(kAllKeys, 50, 50, -28, -28);
        s = parley::test::g711Decode(law, parley::test::g711Encode(law, s));
        CHECK(detect(s).keys() == kAllKeys);
    }
}

namespace {

// Vowel-like audio: harmonics of a gliding pitch shaped by three formants, syllables with
// attack and decay, random pauses. Deterministic for a seed.
std::vector<std::int16_t> syntheticSpeech(double seconds, std::uint32_t seed) {
    struct Vowel {
        double f1, f2, f3;
    };
    const Vowel vowels[] = {{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240},
                            {530, 1840, 2480}, {570, 840, 2410},  {660, 1720, 2410},
                            {490, 1350, 1690}, {440, 1020, 2240}, {640, 1190, 2390}};
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<std::int16_t> out;
    const std::size_t total = samplesFor(seconds * 1000);
    double phase = 0;
    while (out.size() < total) {
        const Vowel& v = vowels[static_cast<std::size_t>(u(rng) * 9) % 9];
        const double ms = 120 + u(rng) * 380;
        const double f0a = 80 + u(rng) * 240;
        const double f0b = std::clamp(f0a * (0.6 + u(rng) * 0.8), 70.0, 400.0);
        const double peak = parley::test::amplitudeForDbfs(-28 + u(rng) * 22);
        const std::size_t n = samplesFor(ms);
        const std::size_t edge = samplesFor(30);
        for (std::size_t i = 0; i < n; ++i) {
            const double t = static_cast<double>(i) / static_cast<double>(n);
            const double f0 = f0a + (f0b - f0a) * t;
            phase += 2 * std::numbers::pi * f0 / 8000.0;
            if (phase > 2 * std::numbers::pi * 1000) phase -= 2 * std::numbers::pi * 1000;
            double x = 0;
            double norm = 0;
            for (int h = 1; h * f0 < 3800; ++h) {
                const double f = h * f0;
                double a = 0;
                for (double F : {v.f1, v.f2, v.f3}) {
                    const double bw = 80 + F * 0.05;
                    a += 1.0 / std::sqrt(1.0 + std::pow((f - F) / bw, 2));
                }
                a *= std::pow(f / 100.0, -0.5);  // spectral tilt of the glottal source
                x += a * std::sin(h * phase);
                norm += a * a;
            }
            double env = 1.0;
            if (i < edge) env = static_cast<double>(i) / static_cast<double>(edge);
            if (n - i < edge) env = static_cast<double>(n - i) / static_cast<double>(edge);
            x = x / std::sqrt(norm / 2) * peak * env;
            out.push_back(static_cast<std::int16_t>(std::clamp(x, -32768.0, 32767.0)));
        }
        const std::size_t pause = samplesFor(u(rng) * 200);
        out.insert(out.end(), pause, 0);
    }
    return out;
}

}  // namespace

TEST_CASE("ivr_digits: talk-off, no digits from 60 s of synthetic vowels with pitch glides",
          "[dtmf][talkoff]") {
    auto speech = syntheticSpeech(60, 2024);
    REQUIRE(speech.size() >= samplesFor(60000));
    const Run run = detect(speech);
    INFO("false digits: " << run.keys());
    CHECK(run.digits.empty());
    // The same vowels with a key pressed over them: speech must not hide a clear key press.
    auto mixed = syntheticSpeech(3, 77);
    for (std::size_t i = 0; i < mixed.size(); ++i)
        mixed[i] = static_cast<std::int16_t>(mixed[i] / 8);
    auto keys = keySequence("147", 200, 800, -8, -6);
    keys.resize(mixed.size(), 0);
    for (std::size_t i = 0; i < mixed.size(); ++i)
        keys[i] = static_cast<std::int16_t>(std::clamp(keys[i] + mixed[i], -32768, 32767));
    CHECK(detect(keys).keys() == "147");
}

TEST_CASE("ivr_digits: talk-off, no digits from 30 s or more of espeak-ng speech",
          "[dtmf][talkoff]") {
    namespace fs = std::filesystem;
    if (std::system("command -v espeak-ng >/dev/null 2>&1 && command -v sox >/dev/null 2>&1") != 0)
        PARLEY_SKIP("espeak-ng or sox not installed");
    const fs::path dir =
        fs::temp_directory_path() / ("parley_dtmf_talkoff_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const char* texts[] = {
        "Welcome to the conference service. Please enter your conference number followed by the "
        "pound key. If you do not know your number, please stay on the line and an operator will "
        "assist you shortly. Thank you for calling, and have a wonderful day.",
        "The quick brown fox jumps over the lazy dog while seven hungry zebras quietly munch "
        "on juicy apples. Ninety nine balloons drifted over the harbour at sunset, one, two, "
        "three, four, five, six, seven, eight, nine, zero, star, hash.",
        "Hello? Yes, I can hear you. Could you repeat the last part, please? The meeting starts "
        "at half past ten, and we will review the budget, the schedule, and the remaining open "
        "issues before lunch. Oh, really? That is amazing, wow!",
    };
    const char* voices[] = {"en-us", "en-us+f3", "en-us+m7", "en-us+f5"};
    std::vector<std::int16_t> speech;
    int n = 0;
    for (const char* voice : voices) {
        for (const char* text : texts) {
            const fs::path raw = dir / ("s" + std::to_string(n) + ".wav");
            const fs::path nb = dir / ("s" + std::to_string(n) + "_8k.wav");
            ++n;
            const std::string cmd = std::string("espeak-ng -v ") + voice + " -w '" + raw.string() +
                                    "' \"" + text + "\" >/dev/null 2>&1 && sox '" + raw.string() +
                                    "' -r 8000 -c 1 -b 16 '" + nb.string() + "' >/dev/null 2>&1";
            if (std::system(cmd.c_str()) != 0) continue;
            auto wav = parley::test::readWav(nb);
            if (wav && wav->sampleRate == 8000) append(speech, wav->samples);
        }
    }
    fs::remove_all(dir);
    if (speech.size() < samplesFor(30000))
        PARLEY_SKIP("espeak-ng produced less than 30 s of speech");
    INFO("speech: " << speech.size() / 8000.0 << " s");
    // At the level it was made and 10 dB louder.
    CHECK(detect(speech).keys().empty());
    for (std::int16_t& x : speech) x = static_cast<std::int16_t>(std::clamp(x * 3, -32768, 32767));
    CHECK(detect(speech).keys().empty());
}

TEST_CASE("ivr_digits: detector does not allocate while processing", "[dtmf][alloc]") {
    DtmfDetector det;
    const auto audio = keySequence("12*#", 60, 60);
    parley::test::startCountingAllocations();
    parley::ms::media::AudioFrame frame;
    frame.silent = false;
    int found = 0;
    for (std::size_t off = 0; off + 160 <= audio.size(); off += 160) {
        std::copy(audio.begin() + static_cast<long>(off),
                  audio.begin() + static_cast<long>(off + 160), frame.samples.begin());
        if (det.process(frame, parley::common::TimePoint{} + std::chrono::milliseconds(off / 8)))
            ++found;
    }
    const std::size_t allocations = parley::test::stopCountingAllocations();
    CHECK(allocations == 0);
    CHECK(found == 4);
}

TEST_CASE("ivr_digits: detector reset, silent frames and other sample rates", "[dtmf]") {
    const auto tone = keyTone('9', 200);
    auto frameAt = [&](std::size_t i) {
        parley::ms::media::AudioFrame f;
        f.silent = false;
        std::copy(tone.begin() + static_cast<long>(160 * i),
                  tone.begin() + static_cast<long>(160 * (i + 1)), f.samples.begin());
        return f;
    };
    const auto t = parley::common::TimePoint{};
    auto at = [&](int i) { return t + std::chrono::milliseconds(20 * i); };

    DtmfDetector plain;
    CHECK_FALSE(plain.process(frameAt(0), at(0)));
    CHECK(plain.process(frameAt(1), at(1)));  // two blocks seen by the end of frame 2

    DtmfDetector det;
    CHECK_FALSE(det.process(frameAt(0), at(0)));
    det.reset();  // the first frame is forgotten: the next one alone is not enough
    CHECK_FALSE(det.process(frameAt(1), at(1)));
    auto d = det.process(frameAt(2), at(2));
    REQUIRE(d);
    CHECK(d->digit == '9');
    CHECK(d->start == at(1));

    DtmfDetector wide;
    for (int i = 0; i < 8; ++i) {
        auto f = frameAt(static_cast<std::size_t>(i));
        f.sampleRate = 16000;
        CHECK_FALSE(wide.process(f, at(i)));
    }

    DtmfDetector quiet;
    for (int i = 0; i < 8; ++i) {
        auto f = frameAt(static_cast<std::size_t>(i));
        f.silent = true;  // flagged silent: the samples are not looked at
        CHECK_FALSE(quiet.process(f, at(i)));
    }
}

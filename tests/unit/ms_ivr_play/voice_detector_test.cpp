// VoiceDetector: speech-like bursts are speech, line noise and digital zero are not; onset,
// hangover and the adaptive noise floor.
#include <catch2/catch.hpp>

#include <vector>

#include "ms/ivr/voice_detector.hpp"
#include "tests/unit/ms_ivr_play/test_audio.hpp"

using namespace parley::ms;
using namespace parley::ms::ivr;
using namespace parley::ms::ivr::testaudio;

TEST_CASE("ivr_play: digital zero and lost frames are never speech", "[ivr_play][vad]") {
    VoiceDetector vad;
    for (int i = 0; i < 200; ++i) {
        CHECK_FALSE(vad.process(zeroFrame()));
    }
    CHECK(vad.levelDb() == VoiceDetector::kFloorDb);
    CHECK(vad.noiseFloorDb() == VoiceDetector::kFloorDb);
    // A frame marked silent counts as zero whatever its samples hold.
    media::AudioFrame lost = zeroFrame();
    lost.samples.fill(20000);
    lost.silent = true;
    CHECK_FALSE(vad.process(lost));
    CHECK_FALSE(vad.active());
}

TEST_CASE("ivr_play: stationary line noise is not speech, at any level up to -35 dBFS",
          "[ivr_play][vad]") {
    for (double level : {-70.0, -55.0, -45.0, -36.0}) {
        INFO("noise at " << level);
        VoiceDetector vad;
        Noise noise(level);
        int speechFrames = 0;
        for (int i = 0; i < 500; ++i) {
            auto f = frameFrom(noise);
            speechFrames += vad.process(f) ? 1 : 0;
        }
        CHECK(speechFrames == 0);
        CHECK(vad.noiseFloorDb() == Approx(level).margin(2.0));
    }
}

TEST_CASE("ivr_play: speech-like bursts over noise are speech, with onset and hangover",
          "[ivr_play][vad]") {
    VoiceDetector vad;
    Noise noise(-55);
    SpeechLike voice(-22, 220);
    std::vector<bool> speech;
    std::vector<bool> burst;
    // 1 s of noise, then 5 x (600 ms burst + 500 ms pause).
    for (int i = 0; i < 50; ++i) {
        auto f = frameFrom(noise);
        speech.push_back(vad.process(f));
        burst.push_back(false);
    }
    for (int b = 0; b < 5; ++b) {
        for (int i = 0; i < 30; ++i) {
            media::AudioFrame f = zeroFrame();
            f.silent = false;
            for (std::size_t k = 0; k < kFrame; ++k) {
                f.samples[k] = static_cast<std::int16_t>(voice.next() + noise.next());
            }
            speech.push_back(vad.process(f));
            burst.push_back(true);
        }
        for (int i = 0; i < 25; ++i) {
            auto f = frameFrom(noise);
            speech.push_back(vad.process(f));
            burst.push_back(false);
        }
    }
    for (int i = 0; i < 50; ++i) CHECK_FALSE(speech[static_cast<std::size_t>(i)]);
    for (int b = 0; b < 5; ++b) {
        const std::size_t start = 50 + static_cast<std::size_t>(b) * 55;
        INFO("burst " << b);
        // Onset: two active frames (40 ms), the syllable envelope starts low: within 60 ms.
        CHECK_FALSE(speech[start]);
        CHECK(speech[start + 3]);
        for (std::size_t i = start + 3; i < start + 30; ++i) REQUIRE(speech[i]);
        // Hangover: stays on for 300 ms after the burst, then off until the next one.
        CHECK(speech[start + 30 + 10]);
        for (std::size_t i = start + 30 + 17; i < start + 55; ++i) REQUIRE_FALSE(speech[i]);
    }
    CHECK(vad.noiseFloorDb() == Approx(-55).margin(2.0));
}

TEST_CASE("ivr_play: a single click is not speech; a noise step is absorbed by the floor",
          "[ivr_play][vad]") {
    VoiceDetector vad;
    Noise quiet(-65);
    for (int i = 0; i < 50; ++i) {
        auto f = frameFrom(quiet);
        vad.process(f);
    }
    media::AudioFrame click = frameFrom(quiet);
    for (std::size_t k = 0; k < 40; ++k) click.samples[k] = 20000;
    CHECK_FALSE(vad.process(click));
    CHECK(vad.active());
    auto f = frameFrom(quiet);
    CHECK_FALSE(vad.process(f));

    // The line gets 25 dB noisier and stays so: within 1.8 s (the ring plus the block in
    // progress) it is the noise floor, and after the 300 ms hangover never speech again.
    Noise loud(-40, 99);
    int lastSpeech = -1;
    for (int i = 0; i < 300; ++i) {
        auto g = frameFrom(loud);
        if (vad.process(g)) lastSpeech = i;
    }
    CHECK(lastSpeech > 0);
    CHECK(lastSpeech <= 90 + 15);
    CHECK(vad.noiseFloorDb() == Approx(-40).margin(2.0));
}

TEST_CASE("ivr_play: speech after digital silence is found; faint hiss is not", "[ivr_play][vad]") {
    VoiceDetector vad;
    for (int i = 0; i < 100; ++i) vad.process(zeroFrame());
    Noise hiss(-72);
    for (int i = 0; i < 50; ++i) {
        auto f = frameFrom(hiss);
        REQUIRE_FALSE(vad.process(f));
    }
    for (int i = 0; i < 100; ++i) vad.process(zeroFrame());
    SpeechLike quietTalker(-42);
    auto a = frameFrom(quietTalker);
    CHECK_FALSE(vad.process(a));
    CHECK(vad.active());
    auto b = frameFrom(quietTalker);
    CHECK(vad.process(b));  // onset after two active frames
    CHECK(vad.levelDb() == Approx(-42).margin(1.0));
}

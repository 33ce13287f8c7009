// NarrowbandMixer: N-1, nbest with hysteresis, controller, gain, mute, AGC, state carry-over.
#include <catch2/catch.hpp>

#include <vector>

#include "ms/mixer/narrowband_mixer.hpp"
#include "test_signals.hpp"

using namespace parley::ms::mixer;
using parley::ms::media::AudioFrame;
using parley::test::constantFrame;
using parley::test::correlation;
using parley::test::expectedSum;
using parley::test::sameSamples;
using parley::test::sineFrame;

namespace {

struct FrameSource : AudioMixer::Source {
    AudioFrame frame;
    bool present = true;
    const AudioFrame* currentFrame() const override { return present ? &frame : nullptr; }
};

struct Room {
    std::vector<FrameSource> sources;
    NarrowbandMixer mixer;

    explicit Room(std::size_t n, MixPolicy policy = {}) : sources(n) {
        std::vector<AudioMixer::Participant> parts;
        for (std::size_t i = 0; i < n; ++i) {
            parts.push_back(
                {"p" + std::to_string(i) + ":x", EntityKind::connection, &sources[i], false, {}});
        }
        mixer.setParticipants(std::move(parts));
        mixer.setPolicy(policy);
    }
    void configure(std::size_t slot, InputSettings input) {
        std::vector<AudioMixer::Participant> parts;
        for (std::size_t i = 0; i < sources.size(); ++i) {
            auto p = mixer.participant(i);
            if (i == slot) p.input = input;
            parts.push_back(p);
        }
        mixer.setParticipants(std::move(parts));
    }
    AudioFrame outputFor(std::size_t slot) const {
        MixBus bus;
        bus.reset();
        mixer.mixFor(slot, bus);
        AudioFrame out;
        FrameCombiner::render(bus, out);
        return out;
    }
};

}  // namespace

TEST_CASE("mixeng: N-1 gives each listener exactly the sum of the others", "[mixer][nminus1]") {
    Room room(3);
    room.sources[0].frame = sineFrame(300, 4000);
    room.sources[1].frame = sineFrame(700, 3000);
    room.sources[2].frame = sineFrame(1100, 5000, 3);
    room.mixer.mix();
    const auto& f = room.sources;
    CHECK(sameSamples(room.outputFor(0), expectedSum({{&f[1].frame, 0}, {&f[2].frame, 0}})));
    CHECK(sameSamples(room.outputFor(1), expectedSum({{&f[0].frame, 0}, {&f[2].frame, 0}})));
    CHECK(sameSamples(room.outputFor(2), expectedSum({{&f[0].frame, 0}, {&f[1].frame, 0}})));
    // And never the listener's own signal: orthogonal tones correlate to about zero.
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(std::abs(correlation(room.outputFor(i), f[i].frame)) < 0.1);
    }
}

TEST_CASE("mixeng: a listener that does not contribute hears everybody", "[mixer][nminus1]") {
    FrameSource a, b;
    a.frame = constantFrame(100);
    b.frame = constantFrame(200);
    NarrowbandMixer mixer;
    mixer.setParticipants({{"a:1", EntityKind::connection, &a, false, {}},
                           {"b:1", EntityKind::connection, &b, false, {}},
                           {"l:1", EntityKind::connection, nullptr, false, {}}});
    mixer.mix();
    MixBus bus;
    bus.reset();
    mixer.mixFor(2, bus);
    CHECK(bus.samples[0] == 300);
    CHECK_FALSE(mixer.isMixed(2));
}

TEST_CASE("mixeng: nbest n=2 with three talkers mixes the two loudest", "[mixer][nbest]") {
    Room room(3, MixPolicy{MixType::nbest, 2});
    room.sources[0].frame = constantFrame(6000);
    room.sources[1].frame = constantFrame(300);
    room.sources[2].frame = constantFrame(3000);
    for (int t = 0; t < 5; ++t) room.mixer.mix();
    CHECK(room.mixer.isMixed(0));
    CHECK_FALSE(room.mixer.isMixed(1));
    CHECK(room.mixer.isMixed(2));
    // The quiet one hears both mixed talkers; the loud ones hear only each other.
    CHECK(room.outputFor(1).samples[0] == 9000);
    CHECK(room.outputFor(0).samples[0] == 3000);
    CHECK(room.outputFor(2).samples[0] == 6000);

    // The quiet one becomes the loudest: it takes the place of the weakest mixed talker.
    room.sources[1].frame = constantFrame(12000);
    for (int t = 0; t < 30; ++t) room.mixer.mix();
    CHECK(room.mixer.isMixed(0));
    CHECK(room.mixer.isMixed(1));
    CHECK_FALSE(room.mixer.isMixed(2));
}

TEST_CASE("mixeng: nbest always mixes an announcement and gives it none of the n places",
          "[mixer][nbest]") {
    Room room(4, MixPolicy{MixType::nbest, 2});
    std::vector<AudioMixer::Participant> parts;
    for (std::size_t i = 0; i < 4; ++i) parts.push_back(room.mixer.participant(i));
    parts[3].id = "ivr#d1";  // an IVR dialog playing into the conference, quieter than all
    room.mixer.setParticipants(std::move(parts));
    room.sources[0].frame = constantFrame(6000);
    room.sources[1].frame = constantFrame(3000);
    room.sources[2].frame = constantFrame(1000);
    room.sources[3].frame = constantFrame(200);
    for (int t = 0; t < 5; ++t) room.mixer.mix();
    CHECK(room.mixer.isMixed(0));
    CHECK(room.mixer.isMixed(1));
    CHECK_FALSE(room.mixer.isMixed(2));  // the two places went to the loudest people
    CHECK(room.mixer.isMixed(3));        // the announcement is mixed anyway
    CHECK(room.outputFor(2).samples[0] == 9200);
    CHECK(room.outputFor(0).samples[0] == 3200);
    // Between prompts (no frame) it adds nothing, and the n places stay with the loudest.
    room.sources[3].present = false;
    for (int t = 0; t < 5; ++t) room.mixer.mix();
    CHECK(room.outputFor(0).samples[0] == 3000);
    CHECK_FALSE(room.mixer.isMixed(2));
}

TEST_CASE("mixeng: nbest hysteresis keeps a mixed talker against a slightly louder one",
          "[mixer][nbest]") {
    Room room(2, MixPolicy{MixType::nbest, 1});
    room.sources[0].frame = constantFrame(1000);
    room.sources[1].present = false;
    for (int t = 0; t < 20; ++t) room.mixer.mix();
    REQUIRE(room.mixer.isMixed(0));
    room.sources[1].present = true;
    room.sources[1].frame = constantFrame(1300);  // 1.3x: below the 1.5x hysteresis
    for (int t = 0; t < 50; ++t) {
        room.mixer.mix();
        REQUIRE(room.mixer.isMixed(0));
    }
    room.sources[1].frame = constantFrame(2000);  // 2x: takes over
    for (int t = 0; t < 10; ++t) room.mixer.mix();
    CHECK(room.mixer.isMixed(1));
    CHECK_FALSE(room.mixer.isMixed(0));
}

TEST_CASE("mixeng: controller mixing mixes every unmuted contributor", "[mixer][controller]") {
    Room room(4, MixPolicy{MixType::controller, 1});  // n ignored
    for (std::size_t i = 0; i < 4; ++i)
        room.sources[i].frame = constantFrame(static_cast<std::int16_t>(100 * (i + 1)));
    room.configure(3, InputSettings{0, true, false, -20});
    room.mixer.mix();
    CHECK(room.mixer.isMixed(0));
    CHECK(room.mixer.isMixed(1));
    CHECK(room.mixer.isMixed(2));
    CHECK_FALSE(room.mixer.isMixed(3));
    CHECK(room.outputFor(3).samples[0] == 600);
    CHECK(room.outputFor(0).samples[0] == 500);
}

TEST_CASE("mixeng: a muted participant is heard by nobody until unmuted", "[mixer][mute]") {
    Room room(3);
    room.sources[0].frame = constantFrame(1000);
    room.sources[1].frame = constantFrame(20);
    room.sources[2].frame = constantFrame(3);
    room.configure(0, InputSettings{0, true, false, -20});
    room.mixer.mix();
    CHECK(room.outputFor(1).samples[0] == 3);
    CHECK(room.outputFor(2).samples[0] == 20);
    CHECK(room.outputFor(0).samples[0] == 23);  // a muted participant still listens
    room.configure(0, InputSettings{});
    room.mixer.mix();
    CHECK(room.outputFor(1).samples[0] == 1003);
}

TEST_CASE("mixeng: per-participant gain weighs its contribution", "[mixer][gain]") {
    Room room(3);
    room.sources[0].frame = sineFrame(440, 8000);
    room.sources[1].frame = sineFrame(620, 8000);
    room.sources[2].frame = constantFrame(0);
    room.configure(0, InputSettings{6.0, false, false, -20});
    room.configure(1, InputSettings{-6.0, false, false, -20});
    room.mixer.mix();
    const auto& f = room.sources;
    CHECK(sameSamples(room.outputFor(2), expectedSum({{&f[0].frame, 6.0}, {&f[1].frame, -6.0}})));
    // The listener with gain is still removed exactly from its own output.
    CHECK(sameSamples(room.outputFor(0), expectedSum({{&f[1].frame, -6.0}, {&f[2].frame, 0}})));
}

TEST_CASE("mixeng: automatic gain raises a quiet contributor toward the target", "[mixer][agc]") {
    Room room(2);
    room.sources[0].frame = constantFrame(328);  // -40 dBFS
    room.sources[1].frame = constantFrame(0);
    room.configure(0, InputSettings{0, false, true, -20.0});
    for (int t = 0; t < 100; ++t) room.mixer.mix();
    CHECK(room.mixer.agcGainDb(0) == Approx(kAgcRangeDb));
    const std::int16_t heard = room.outputFor(1).samples[0];
    CHECK(heard > 328 * 7);  // +18 dB = 7.9x
    CHECK(heard < 328 * 8 + 2);
}

TEST_CASE("mixeng: participants that stay keep their state across a new participant set",
          "[mixer][state]") {
    Room room(2, MixPolicy{MixType::nbest, 1});
    room.sources[0].frame = constantFrame(5000);
    room.sources[1].frame = constantFrame(100);
    for (int t = 0; t < 10; ++t) room.mixer.mix();
    const float before = room.mixer.smoothedEnergy(0);
    REQUIRE(room.mixer.isMixed(0));
    FrameSource extra;
    extra.frame = constantFrame(50);
    std::vector<AudioMixer::Participant> parts{
        room.mixer.participant(1),
        room.mixer.participant(0),
        {"new:1", EntityKind::connection, &extra, false, {}}};
    room.mixer.setParticipants(parts);
    CHECK(room.mixer.smoothedEnergy(1) == before);
    CHECK(room.mixer.isMixed(1));
    CHECK(room.mixer.smoothedEnergy(2) == 0.0f);
}

// PromptPlayer: the timeline (clips, clipBegin/clipEnd, soundLevel, tones, <par> endsync),
// VCR controls with the RFC 6231 rules, speed by time-stretching, digits out of band, and
// no allocation on fill().
#include <catch2/catch.hpp>

#include <cmath>
#include <span>
#include <utility>
#include <vector>

#include "ms/ivr/prompt_player.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/unit/ms_ivr_play/test_audio.hpp"

using namespace parley::ms;
using namespace parley::ms::ivr;
using namespace parley::ms::ivr::testaudio;
using namespace std::chrono_literals;
using parley::proto::ivr::EndSync;

namespace {

// A clip whose sample i is base + i % 100: every sample tells where it came from.
std::vector<std::int16_t> marked(std::int16_t base, std::size_t count) {
    std::vector<std::int16_t> v(count);
    for (std::size_t i = 0; i < count; ++i) v[i] = static_cast<std::int16_t>(base + i % 100);
    return v;
}

Clip clip(std::vector<std::int16_t> s) {
    Clip c;
    c.audio = pcm(std::move(s));
    return c;
}

Clip constClip(std::int16_t v, std::chrono::milliseconds ms) {
    return clip(constant(v, static_cast<std::size_t>(ms.count()) * 8));
}

std::vector<std::int16_t> drain(PromptPlayer& p, std::size_t* frames = nullptr,
                                std::size_t limit = 100000) {
    std::vector<std::int16_t> out;
    media::AudioFrame f;
    std::size_t n = 0;
    while (n < limit && p.fill(f)) {
        REQUIRE(f.count == 160);
        out.insert(out.end(), f.samples.begin(), f.samples.begin() + 160);
        ++n;
    }
    if (frames) *frames = n;
    return out;
}

media::AudioFrame next(PromptPlayer& p) {
    media::AudioFrame f;
    REQUIRE(p.fill(f));
    return f;
}

}  // namespace

TEST_CASE("ivr_play: clips play in order with exact sample counts", "[ivr_play][player]") {
    const auto a = marked(1000, 1234);
    const auto b = marked(-3000, 999);
    const auto c = marked(5000, 160);
    PromptPlayer p(Playlist{clip(a), clip(b), clip(c)});
    CHECK(p.length() == std::chrono::milliseconds((1234 + 999 + 160) / 8));
    CHECK_FALSE(p.finished());
    std::size_t frames = 0;
    const auto out = drain(p, &frames);
    const std::size_t total = a.size() + b.size() + c.size();
    CHECK(frames == (total + 159) / 160);
    REQUIRE(out.size() >= total);
    std::vector<std::int16_t> expected = a;
    expected.insert(expected.end(), b.begin(), b.end());
    expected.insert(expected.end(), c.begin(), c.end());
    CHECK(std::vector<std::int16_t>(out.begin(), out.begin() + static_cast<long>(total)) ==
          expected);
    for (std::size_t i = total; i < out.size(); ++i) REQUIRE(out[i] == 0);
    CHECK(p.finished());
    CHECK(p.position() == p.length());
    CHECK(p.played() == std::chrono::milliseconds(total / 8));
    media::AudioFrame f;
    CHECK_FALSE(p.fill(f));
    CHECK(f.silent);
}

TEST_CASE("ivr_play: an empty playlist or empty clips finish at once", "[ivr_play][player]") {
    PromptPlayer empty(Playlist{});
    CHECK(empty.finished());
    media::AudioFrame f;
    CHECK_FALSE(empty.fill(f));

    Clip none;  // no audio
    auto wrongRate = std::make_shared<PcmAudio>();
    wrongRate->samples.assign(16000, 100);
    wrongRate->sampleRate = 16000;
    Clip wide;
    wide.audio = wrongRate;
    PromptPlayer p(Playlist{none, wide});
    CHECK(p.length() == 0ms);
    CHECK(p.finished());
}

TEST_CASE("ivr_play: clipBegin and clipEnd cut a clip", "[ivr_play][player]") {
    const auto s = marked(0, 8000);
    SECTION("both") {
        Clip c = clip(s);
        c.clipBegin = 200ms;
        c.clipEnd = 500ms;
        PromptPlayer p(Playlist{c});
        CHECK(p.length() == 300ms);
        const auto out = drain(p);
        REQUIRE(out.size() == 2400);
        CHECK(std::vector<std::int16_t>(out.begin(), out.end()) ==
              std::vector<std::int16_t>(s.begin() + 1600, s.begin() + 4000));
    }
    SECTION("clipEnd past the end plays to the end") {
        Clip c = clip(s);
        c.clipBegin = 900ms;
        c.clipEnd = 5s;
        PromptPlayer p(Playlist{c});
        CHECK(p.length() == 100ms);
        const auto out = drain(p);
        CHECK(out[0] == s[7200]);
        CHECK(out[799] == s[7999]);
    }
    SECTION("clipBegin after the end or after clipEnd plays nothing") {
        Clip late = clip(s);
        late.clipBegin = 2s;
        Clip crossed = clip(s);
        crossed.clipBegin = 600ms;
        crossed.clipEnd = 300ms;
        PromptPlayer p(Playlist{late, crossed, constClip(7, 20ms)});
        CHECK(p.length() == 20ms);
        const auto out = drain(p);
        REQUIRE(out.size() == 160);
        CHECK(out[0] == 7);
    }
}

TEST_CASE("ivr_play: soundLevel scales a clip", "[ivr_play][player]") {
    Clip half = constClip(1000, 20ms);
    half.soundLevel = 50;
    Clip mute = constClip(1000, 20ms);
    mute.soundLevel = 0;
    Clip loud = constClip(20000, 20ms);
    loud.soundLevel = 200;
    PromptPlayer p(Playlist{half, mute, loud});
    CHECK(next(p).samples[10] == 500);
    const auto m = next(p);
    CHECK(m.samples[10] == 0);
    CHECK(m.silent);
    CHECK(next(p).samples[10] == 32767);  // saturates, never wraps
}

TEST_CASE("ivr_play: a Parallel mixes its branches; endsync last or first", "[ivr_play][player]") {
    Parallel par;
    par.branches.push_back({constClip(1000, 300ms)});
    par.branches.push_back({constClip(2000, 100ms), constClip(3000, 100ms)});
    SECTION("last: as long as the longest branch, short branches end in silence") {
        par.endSync = EndSync::Last;
        PromptPlayer p(Playlist{par, constClip(-5, 20ms)});
        CHECK(p.length() == 320ms);
        const auto out = drain(p);
        REQUIRE(out.size() == 320 * 8);
        CHECK(out[0] == 3000);
        CHECK(out[799] == 3000);
        CHECK(out[800] == 4000);
        CHECK(out[1599] == 4000);
        CHECK(out[1600] == 1000);  // the two-clip branch is done: not wrapped around
        CHECK(out[2399] == 1000);
        CHECK(out[2400] == -5);
    }
    SECTION("first: ends with the shortest branch, the others are cut") {
        par.endSync = EndSync::First;
        PromptPlayer p(Playlist{par, constClip(-5, 20ms)});
        CHECK(p.length() == 220ms);
        const auto out = drain(p);
        REQUIRE(out.size() == 220 * 8);
        CHECK(out[1599] == 4000);
        CHECK(out[1600] == -5);
    }
    SECTION("mixing saturates") {
        Parallel loud;
        loud.branches.push_back({constClip(30000, 20ms)});
        loud.branches.push_back({constClip(30000, 20ms)});
        PromptPlayer p(Playlist{loud});
        CHECK(next(p).samples[5] == 32767);
    }
}

TEST_CASE("ivr_play: skip moves across items, clamped to the ends", "[ivr_play][player]") {
    PromptPlayer p(Playlist{constClip(1000, 1s), constClip(2000, 1s), constClip(3000, 1s)});
    for (int i = 0; i < 10; ++i) next(p);
    CHECK(p.position() == 200ms);

    p.skip(1000ms);  // ffkey into the second clip
    CHECK(p.position() == 1200ms);
    auto f = next(p);
    CHECK(f.samples[0] == 1000);  // 10 ms cross-fade from where it was
    CHECK(f.samples[80] == 2000);
    CHECK(f.samples[159] == 2000);
    CHECK(p.position() == 1220ms);

    p.skip(1500ms);  // into the third
    f = next(p);
    CHECK(f.samples[100] == 3000);
    CHECK(p.position() == 2740ms);

    p.skip(-2000ms);  // rwkey back across two boundaries
    f = next(p);
    CHECK(p.position() == 760ms);
    CHECK(f.samples[100] == 1000);

    p.skip(-6000ms);  // clamped at the start
    CHECK(p.position() == 0ms);
    f = next(p);
    CHECK(f.samples[120] == 1000);

    p.skip(60s);  // clamped at the end: the prompt is complete
    CHECK(p.finished());
    CHECK(p.position() == 3000ms);
    media::AudioFrame g;
    CHECK_FALSE(p.fill(g));
}

TEST_CASE("ivr_play: restart and toEnd", "[ivr_play][player]") {
    const auto a = marked(100, 4000);
    PromptPlayer p(Playlist{clip(a), constClip(2000, 500ms)});
    for (int i = 0; i < 30; ++i) next(p);
    p.toEnd();
    CHECK(p.finished());
    CHECK(p.position() == p.length());
    media::AudioFrame f;
    CHECK_FALSE(p.fill(f));

    p.restart();  // from a finished prompt: starts cleanly at 0
    CHECK_FALSE(p.finished());
    CHECK(p.position() == 0ms);
    const auto out = drain(p);
    REQUIRE(out.size() == 8000);
    CHECK(std::vector<std::int16_t>(out.begin(), out.begin() + 4000) == a);

    PromptPlayer q(Playlist{constClip(1000, 1s), constClip(2000, 1s)});
    for (int i = 0; i < 60; ++i) next(q);
    q.restart();  // while playing: cross-fades back to the start
    auto g = next(q);
    CHECK(g.samples[0] == 2000);
    CHECK(g.samples[100] == 1000);
    CHECK(q.position() == 20ms);
}

TEST_CASE("ivr_play: pause plays silence and resumes by itself after maxPause",
          "[ivr_play][player]") {
    PromptPlayer p(Playlist{constClip(1000, 1s)});
    for (int i = 0; i < 5; ++i) next(p);
    p.pause(100ms);
    CHECK(p.paused());
    p.pause(10s);  // pause while paused: ignored
    for (int i = 0; i < 5; ++i) {
        auto f = next(p);
        CHECK(f.silent);
        CHECK(f.samples[50] == 0);
        CHECK(p.position() == 100ms);
    }
    CHECK_FALSE(p.paused());
    auto f = next(p);
    CHECK(f.samples[0] == 1000);  // exactly where it was
    CHECK(p.position() == 120ms);
    CHECK(p.played() == 220ms);  // pauses count in played()

    p.resume();  // resume while playing: ignored
    CHECK_FALSE(p.paused());

    p.pause(10s);
    next(p);
    p.resume();
    CHECK(next(p).samples[10] == 1000);

    // Seek, volume and speed while paused resume playback (RFC 6231 4.3.1.2).
    p.pause(10s);
    p.skip(100ms);
    CHECK_FALSE(p.paused());
    p.pause(10s);
    p.changeVolume(10);
    CHECK_FALSE(p.paused());
    p.pause(10s);
    p.changeSpeed(10);
    CHECK_FALSE(p.paused());
}

TEST_CASE("ivr_play: volume steps and clamps", "[ivr_play][player]") {
    PromptPlayer p(Playlist{constClip(1000, 10s)});
    CHECK(p.volume() == 100);
    p.changeVolume(-50);
    auto f = next(p);  // the gain ramps over this frame
    CHECK(f.samples[0] < 1000);
    CHECK(f.samples[0] > 990);
    CHECK(f.samples[159] == 500);
    f = next(p);
    CHECK(f.samples[0] == 500);
    for (int i = 0; i < 100; ++i) p.changeVolume(-10);
    CHECK(p.volume() == PromptPlayer::kMinVolume);
    next(p);
    CHECK(next(p).samples[7] == 100);
    for (int i = 0; i < 100; ++i) p.changeVolume(25);
    CHECK(p.volume() == PromptPlayer::kMaxVolume);
    next(p);
    CHECK(next(p).samples[7] == 4000);
    p.changeVolume(-300);
    CHECK(p.volume() == 100);
}

TEST_CASE("ivr_play: speed changes the pace, not the pitch", "[ivr_play][player]") {
    const double original = 20 * std::log10(10000.0 / 32767.0);
    for (int speed : {50, 150, 200}) {
        INFO("speed " << speed);
        PromptPlayer p(Playlist{clip(sine(440, 10000, 8000 * 8))});
        p.changeSpeed(speed - 100);
        CHECK(p.speed() == speed);
        std::vector<std::int16_t> out;
        for (int i = 0; i < 75; ++i) {
            auto f = next(p);
            out.insert(out.end(), f.samples.begin(), f.samples.begin() + 160);
        }
        // 1.5 s played: the timeline moved 1.5 s * rate.
        CHECK(p.played() == 1500ms);
        CHECK(std::abs(p.position().count() - 15 * speed) <= 20);
        std::span<const std::int16_t> s(out.data() + 1600, 8000);
        CHECK(parley::test::toneDbfs(s, 440) == Approx(original).margin(1.0));
        CHECK(parley::test::toneDbfs(s, 440.0 * speed / 100) < original - 30);
    }
}

TEST_CASE("ivr_play: speed clamps at 50..200 and a 2x prompt takes half the time",
          "[ivr_play][player]") {
    PromptPlayer p(Playlist{clip(sine(440, 8000, 8000 * 2))});
    for (int i = 0; i < 30; ++i) p.changeSpeed(10);
    CHECK(p.speed() == PromptPlayer::kMaxSpeed);
    std::size_t frames = 0;
    drain(p, &frames);
    CHECK(frames == 50);  // 2 s of timeline in 1 s
    CHECK(p.played() == 1000ms);
    CHECK(p.position() == 2000ms);

    PromptPlayer q(Playlist{clip(sine(440, 8000, 8000))});
    for (int i = 0; i < 30; ++i) q.changeSpeed(-10);
    CHECK(q.speed() == PromptPlayer::kMinSpeed);
    drain(q, &frames);
    CHECK(frames == 100);
    CHECK(q.played() == 2000ms);

    // Back to 100 %: exact playback again from the natural continuation.
    PromptPlayer r(Playlist{clip(marked(0, 16000))});
    r.changeSpeed(50);
    for (int i = 0; i < 10; ++i) next(r);
    r.changeSpeed(-50);
    next(r);
    auto f = next(r);
    for (std::size_t i = 1; i < 160; ++i) {
        const int step = (f.samples[i] - f.samples[i - 1] + 100) % 100;
        REQUIRE(step == 1);  // consecutive source samples
    }
}

TEST_CASE("ivr_play: Tones are played in-band, or handed to the digit sink on time",
          "[ivr_play][player]") {
    Tones t;
    t.digits = "12#";
    Playlist list{constClip(0, 300ms), t, constClip(1000, 100ms)};
    SECTION("in band") {
        PromptPlayer p(list);
        CHECK(p.length() == 300ms + 600ms + 100ms);
        const auto out = drain(p);
        std::span<const std::int16_t> one(out.data() + 2400 + 80, 640);
        CHECK(parley::test::toneDbfs(one, 697) > -20);
        CHECK(parley::test::toneDbfs(one, 1209) > -20);
        std::span<const std::int16_t> gap(out.data() + 2400 + 800, 800);
        CHECK(parley::test::rmsDbfs(gap) < -90);
    }
    SECTION("out of band") {
        PromptPlayer p(list);
        std::vector<std::pair<int, char>> got;
        int frame = 0;
        p.setDigitSink([&](char d, std::chrono::milliseconds dur) {
            CHECK(dur == 100ms);
            got.emplace_back(frame, d);
        });
        media::AudioFrame f;
        std::vector<std::int16_t> out;
        for (; p.fill(f); ++frame) {
            out.insert(out.end(), f.samples.begin(), f.samples.begin() + 160);
        }
        CHECK(frame == 50);
        REQUIRE(got.size() == 3);
        CHECK(got[0] == std::make_pair(15, '1'));                     // 300 ms
        CHECK(got[1] == std::make_pair(25, '2'));                     // 500 ms
        CHECK(got[2] == std::make_pair(35, '#'));                     // 700 ms
        for (std::size_t i = 0; i < 7200; ++i) REQUIRE(out[i] == 0);  // kept time in silence
        CHECK(out[7200] == 1000);
    }
    SECTION("seeks skip digits or play them again") {
        PromptPlayer p(list);
        std::vector<char> got;
        p.setDigitSink([&](char d, std::chrono::milliseconds) { got.push_back(d); });
        for (int i = 0; i < 16; ++i) next(p);  // '1' sent
        p.skip(300ms);                         // 620 ms: over '2'
        for (int i = 0; i < 6; ++i) next(p);   // '#' at 700 ms
        p.skip(-500ms);
        for (int i = 0; i < 11; ++i) next(p);  // '1' again at 300 ms
        CHECK(std::string(got.begin(), got.end()) == "1#1");
    }
    SECTION("in a Parallel cut by endsync first, digits past its end are not sent") {
        Parallel par;
        par.endSync = EndSync::First;
        Tones many;
        many.digits = "123456";
        par.branches.push_back({many});
        par.branches.push_back({constClip(5, 450ms)});
        PromptPlayer p(Playlist{par});
        std::string got;
        p.setDigitSink([&](char d, std::chrono::milliseconds) { got.push_back(d); });
        drain(p);
        CHECK(got == "123");
        CHECK(p.played() == 450ms);
    }
}

TEST_CASE("ivr_play: fill() and the controls allocate nothing", "[ivr_play][player][alloc]") {
    Parallel par;
    par.branches.push_back({constClip(1000, 500ms), Tones{"159", -10, 80ms, 40ms}});
    par.branches.push_back({clip(sine(440, 5000, 8000))});
    Playlist list{clip(sine(300, 8000, 16000)), Tones{"0*#", -6, 100ms, 100ms}, par,
                  constClip(50, 3s)};
    PromptPlayer p(std::move(list));
    int digits = 0;
    p.setDigitSink([&digits](char, std::chrono::milliseconds) { ++digits; });
    media::AudioFrame f;

    parley::test::startCountingAllocations();
    for (int i = 0; i < 400; ++i) {
        p.fill(f);
        switch (i) {
            case 20:
                p.changeSpeed(50);
                break;
            case 40:
                p.skip(-1000ms);
                break;
            case 60:
                p.pause(100ms);
                break;
            case 80:
                p.changeVolume(-30);
                break;
            case 90:
                p.changeSpeed(-100);
                break;
            case 120:
                p.restart();
                break;
            case 140:
                p.changeSpeed(50);
                break;
            case 200:
                p.toEnd();
                break;
            case 210:
                p.restart();
                break;
            default:
                break;
        }
    }
    const std::size_t allocations = parley::test::stopCountingAllocations();
    CHECK(allocations == 0);
    CHECK(digits > 3);
    // The counter does see allocations (the check above can fail).
    parley::test::startCountingAllocations();
    auto* v = new std::vector<int>(100);
    delete v;
    CHECK(parley::test::stopCountingAllocations() >= 1);
}

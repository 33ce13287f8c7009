// The adaptive jitter buffer over Speex: order restored, concealment of lost frames
// (repeat-and-fade, then silence), late and flood drops, bounded delay, reset, and no
// leak of its preallocated slots under abuse.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "ms/rtp/jitter_buffer.hpp"

using namespace parley::ms::rtp;
using parley::ms::media::AudioFrame;

namespace {

constexpr std::size_t kFs = 160;

// A frame whose every sample is `id` (ids 1..30000 identify frames).
std::array<std::int16_t, kFs> frameOf(int id) {
    std::array<std::int16_t, kFs> f{};
    f.fill(static_cast<std::int16_t>(id));
    return f;
}

// Id of a frame that carries real audio; 0 for silence, -1 for anything else (concealment).
int idOf(const AudioFrame& f) {
    if (f.silent) return 0;
    for (std::size_t i = 1; i < kFs; ++i)
        if (f.samples[i] != f.samples[0]) return -1;
    return f.samples[0];
}

struct Harness {
    JitterBuffer jb;
    std::uint32_t base;
    explicit Harness(JitterBufferConfig c = {}, std::uint32_t b = 1000) : jb(c), base(b) {}
    bool put(int id) {
        const auto f = frameOf(id);
        return jb.put(base + static_cast<std::uint32_t>(id) * kFs, f);
    }
    int get() {
        AudioFrame out;
        jb.get(out);
        CHECK(out.count == kFs);
        CHECK(out.sampleRate == 8000);
        return idOf(out);
    }
};

// Ids of real-audio frames in output order.
std::vector<int> audioIds(const std::vector<int>& out) {
    std::vector<int> ids;
    for (int v : out)
        if (v > 0) ids.push_back(v);
    return ids;
}

}  // namespace

TEST_CASE("jitter buffer: in-order stream plays every frame in order", "[jitter_buffer]") {
    Harness h;
    std::vector<int> out;
    for (int id = 1; id <= 200; ++id) {
        h.put(id);
        out.push_back(h.get());
    }
    for (int i = 0; i < 20; ++i) out.push_back(h.get());
    const auto ids = audioIds(out);
    REQUIRE(ids.size() >= 195);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    CHECK(h.jb.stats().framesIn == 200);
    CHECK(h.jb.stats().late == 0);
    CHECK(h.jb.stats().overflow == 0);
}

TEST_CASE("jitter buffer: frames before the first packet are silent and not lost",
          "[jitter_buffer]") {
    Harness h;
    for (int i = 0; i < 30; ++i) CHECK(h.get() == 0);
    CHECK(h.jb.stats().lost == 0);
}

TEST_CASE("jitter buffer: reordered packets come out in order", "[jitter_buffer]") {
    Harness h;
    std::vector<int> out;
    // warm up with a few frames buffered ahead
    h.put(1);
    h.put(2);
    h.put(3);
    out.push_back(h.get());
    // then pairs swapped: 5 before 4, 7 before 6...
    for (int id = 4; id < 100; id += 2) {
        h.put(id + 1);
        h.put(id);
        out.push_back(h.get());
        out.push_back(h.get());
    }
    for (int i = 0; i < 10; ++i) out.push_back(h.get());
    const auto ids = audioIds(out);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(ids.size() >= 90);
}

TEST_CASE("jitter buffer: a lost frame is concealed by repeat-and-fade", "[jitter_buffer]") {
    Harness h;
    std::vector<AudioFrame> frames;
    for (int id = 1; id <= 60; ++id) {
        if (id != 30) h.put(id);
        AudioFrame f;
        h.jb.get(f);
        frames.push_back(f);
    }
    // find the concealed frame between 29 and 31
    std::size_t at29 = 0;
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (idOf(frames[i]) == 29) at29 = i;
    REQUIRE(at29 > 0);
    REQUIRE(at29 + 2 < frames.size());
    const AudioFrame& c = frames[at29 + 1];
    CHECK_FALSE(c.silent);
    CHECK(idOf(c) == -1);                      // not a real frame
    CHECK(c.samples[0] == 29);                 // starts as the last frame
    CHECK(std::abs(c.samples[kFs - 1]) < 29);  // and fades
    CHECK(idOf(frames[at29 + 2]) == 31);
    CHECK(h.jb.stats().lost >= 1);
    CHECK(h.jb.stats().concealed >= 1);
}

TEST_CASE("jitter buffer: a long gap fades to silence and then stops counting loss",
          "[jitter_buffer]") {
    JitterBufferConfig cfg;
    cfg.concealFrames = 3;
    Harness h(cfg);
    for (int id = 1; id <= 20; ++id) {
        h.put(id);
        h.get();
    }
    std::vector<AudioFrame> frames;
    for (int i = 0; i < 40; ++i) {
        AudioFrame f;
        h.jb.get(f);
        frames.push_back(f);
    }
    // a possibly still-buffered frame first, then concealment
    std::size_t first = 0;
    while (first < frames.size() && idOf(frames[first]) > 0) ++first;
    REQUIRE(first + 4 < frames.size());
    CHECK_FALSE(frames[first].silent);
    CHECK_FALSE(frames[first + 2].silent);
    CHECK(frames[first + 3].silent);
    for (std::size_t i = first + 3; i < frames.size(); ++i) CHECK(frames[i].silent);
    CHECK(h.jb.stats().concealed == 3);
    CHECK(h.jb.stats().lost == static_cast<std::uint64_t>(JitterBuffer::kIdleFrames));
    // audio comes back (the stream moved on): played again
    h.base += 60 * kFs;
    std::vector<int> out;
    for (int id = 21; id <= 60; ++id) {
        h.put(id);
        out.push_back(h.get());
    }
    CHECK(audioIds(out).size() >= 30);
}

TEST_CASE("jitter buffer: packets too late to play are dropped and counted", "[jitter_buffer]") {
    Harness h;
    for (int id = 1; id <= 50; ++id) {
        h.put(id);
        h.get();
    }
    CHECK_FALSE(h.put(5));
    CHECK(h.jb.stats().late == 1);
}

TEST_CASE("jitter buffer: a flood is bounded by capacity and maximum delay", "[jitter_buffer]") {
    JitterBufferConfig cfg;
    cfg.maxDelay = std::chrono::milliseconds(200);
    Harness h(cfg);
    REQUIRE(h.jb.maxFrames() == 10);
    h.put(1);
    h.get();
    for (int id = 2; id < 500; ++id) h.put(id);
    CHECK(h.jb.stats().overflow > 0);
    CHECK(h.jb.bufferedFrames() <= h.jb.capacity());
    h.get();
    CHECK(h.jb.bufferedFrames() <= h.jb.maxFrames());
    CHECK(h.jb.currentDelay() <= std::chrono::milliseconds(200));
    CHECK(h.jb.stats().delayDrops > 0);
    // it keeps playing afterwards
    std::vector<int> out;
    for (int id = 500; id < 560; ++id) {
        h.put(id);
        out.push_back(h.get());
    }
    CHECK(audioIds(out).size() >= 40);
}

TEST_CASE("jitter buffer: multi-frame packets and bad sizes", "[jitter_buffer]") {
    JitterBuffer jb;
    std::vector<std::int16_t> two(2 * kFs, 7);
    std::fill(two.begin() + kFs, two.end(), 8);
    REQUIRE(jb.put(0, two));
    AudioFrame a, b;
    jb.get(a);
    jb.get(b);
    CHECK(idOf(a) == 7);
    CHECK(idOf(b) == 8);
    std::vector<std::int16_t> odd(100, 1);
    CHECK_FALSE(jb.put(320, odd));
    std::vector<std::int16_t> huge((JitterBuffer::kMaxFramesPerPut + 1) * kFs, 1);
    CHECK_FALSE(jb.put(320, huge));
    CHECK(jb.stats().badSize == 2);
}

TEST_CASE("jitter buffer: reset resynchronises on a new timestamp base", "[jitter_buffer]") {
    Harness h;
    for (int id = 1; id <= 30; ++id) {
        h.put(id);
        h.get();
    }
    h.jb.reset();
    h.base = 0xFFFFF000u;  // new source, timestamps about to wrap
    std::vector<int> out;
    for (int id = 100; id <= 160; ++id) {
        h.put(id);
        out.push_back(h.get());
    }
    const auto ids = audioIds(out);
    REQUIRE(ids.size() >= 55);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(h.jb.stats().resets == 1);
}

TEST_CASE("jitter buffer: random jitter, loss, duplicates and lateness never exhaust it",
          "[jitter_buffer]") {
    Harness h;
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> jitter(0, 6);
    std::uniform_int_distribution<int> pct(0, 99);
    // packets scheduled at their send tick plus a random delay
    std::vector<std::vector<int>> arrivals(6000 + 20);
    for (int id = 1; id < 6000; ++id) {
        const int r = pct(rng);
        if (r < 3) continue;  // lost
        arrivals[static_cast<std::size_t>(id + jitter(rng))].push_back(id);
        if (r > 96)
            arrivals[static_cast<std::size_t>(id + jitter(rng) + 10)].push_back(
                id);  // late duplicate
    }
    std::vector<int> out;
    for (std::size_t t = 0; t < arrivals.size(); ++t) {
        for (int id : arrivals[t]) h.put(id);
        out.push_back(h.get());
    }
    // then a clean stream: still plays (slots were all returned)
    std::vector<int> tail;
    for (int id = 6100; id < 6200; ++id) {
        h.put(id);
        tail.push_back(h.get());
    }
    CHECK(audioIds(tail).size() >= 80);
    const auto ids = audioIds(out);
    CHECK(ids.size() > 5000);
    const auto& s = h.jb.stats();
    CHECK(s.lost > 0);
    INFO("late " << s.late << " lost " << s.lost << " overflow " << s.overflow << " delayDrops "
                 << s.delayDrops);
    CHECK(h.jb.bufferedFrames() <= h.jb.maxFrames() + 1);
}

TEST_CASE("jitter buffer: a standing backlog is trimmed back to one frame", "[jitter_buffer]") {
    Harness h;
    // Bursts of five frames every fifth tick for 3 s: Speex raises its delay to cover them.
    std::vector<int> out;
    int next = 1;
    for (int t = 0; t < 150; ++t) {
        if (t % 5 == 4)
            for (int k = 0; k < 5; ++k) h.put(next++);
        out.push_back(h.get());
    }
    CHECK(h.jb.stats().trimmed == 0);  // the buffer emptied between bursts: nothing standing
    // Then a steady stream: Speex keeps the delay it chose, the trim takes it back.
    for (int t = 0; t < 20; ++t) {
        h.put(next++);
        out.push_back(h.get());
    }
    CHECK(h.jb.bufferedFrames() >= 3);
    for (int t = 0; t < 2 * static_cast<int>(JitterBuffer::kTrimWindowTicks); ++t) {
        h.put(next++);
        out.push_back(h.get());
    }
    CHECK(h.jb.stats().trimmed >= 2);
    CHECK(h.jb.bufferedFrames() <= 1);
    const auto ids = audioIds(out);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    // and every frame after the trim plays
    std::vector<int> tail;
    for (int t = 0; t < 20; ++t) {
        h.put(next++);
        tail.push_back(h.get());
    }
    CHECK(audioIds(tail).size() == 20);
}

TEST_CASE("jitter buffer: a stream that drains its buffer is never trimmed", "[jitter_buffer]") {
    Harness h;
    // Two frames every other tick: the buffer empties every second tick.
    std::vector<int> out;
    int next = 1;
    for (int t = 0; t < 500; ++t) {
        if (t % 2 == 0) {
            h.put(next++);
            h.put(next++);
        }
        out.push_back(h.get());
    }
    CHECK(h.jb.stats().trimmed == 0);
    CHECK(audioIds(out).size() >= 480);
}

// Recorder: every RecordEnd with its exact timing (RFC 6231 section 4.3.1.4), the vadinitial
// pre-roll, the trimmed final silence, the beep kept out of the recording, and no
// allocation on the worker calls.
#include <catch2/catch.hpp>

#include <cmath>
#include <span>
#include <vector>

#include "ms/ivr/recorder.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/unit/ms_ivr_play/test_audio.hpp"

using namespace parley::ms;
using namespace parley::ms::ivr;
using namespace parley::ms::ivr::testaudio;
using namespace std::chrono_literals;
using parley::common::TimePoint;

namespace {

const TimePoint kT0 = TimePoint{} + 3600s;

TimePoint at(int frame) {
    return kT0 + std::chrono::milliseconds(20 * frame);
}

// Everything the sink received.
struct Capture {
    std::vector<std::int16_t> samples;
    int calls = 0;
    int failAtCall = -1;  // this call (0-based) and later ones fail
    Recorder::Sink sink() {
        return [this](const std::int16_t* s, std::size_t n) {
            if (failAtCall >= 0 && calls >= failAtCall) return false;
            ++calls;
            samples.insert(samples.end(), s, s + n);
            return true;
        };
    }
};

// A scripted input: noise, or speech over noise, frame by frame; keeps all it produced.
class Line {
  public:
    Line() : noise_(-60), voice_(-20) {}
    media::AudioFrame quiet() { return make(false); }
    media::AudioFrame talk() { return make(true); }
    const std::vector<std::int16_t>& all() const { return all_; }

  private:
    media::AudioFrame make(bool speech) {
        media::AudioFrame f = zeroFrame();
        f.silent = false;
        for (std::size_t k = 0; k < kFrame; ++k) {
            int v = noise_.next() + (speech ? voice_.next() : 0);
            f.samples[k] = static_cast<std::int16_t>(v);
            all_.push_back(f.samples[k]);
        }
        return f;
    }
    Noise noise_;
    SpeechLike voice_;
    std::vector<std::int16_t> all_;
};

std::vector<std::int16_t> slice(const std::vector<std::int16_t>& v, std::size_t from,
                                std::size_t to) {
    return std::vector<std::int16_t>(v.begin() + static_cast<long>(from),
                                     v.begin() + static_cast<long>(to));
}

}  // namespace

TEST_CASE("ivr_play: vadinitial with no speech ends NoInput when timeout is reached",
          "[ivr_play][recorder]") {
    Capture cap;
    RecorderSettings s;
    s.vadInitial = true;
    s.timeout = 1000ms;
    Recorder r(s, cap.sink());
    Line line;
    r.start(kT0);
    for (int k = 0; k < 49; ++k) REQUIRE(r.process(line.quiet(), at(k)) == RecordEnd::None);
    CHECK(r.process(line.quiet(), at(49)) == RecordEnd::NoInput);  // 50 frames = 1000 ms
    CHECK(r.state() == RecordEnd::NoInput);
    CHECK(r.recorded() == 0ms);
    CHECK(cap.samples.empty());
    CHECK_FALSE(r.heardSpeech());
    CHECK(r.process(line.talk(), at(50)) == RecordEnd::NoInput);
    CHECK(cap.samples.empty());
}

TEST_CASE("ivr_play: without vadinitial, recording starts at once and timeout never fires",
          "[ivr_play][recorder]") {
    Capture cap;
    RecorderSettings s;
    s.timeout = 100ms;
    Recorder r(s, cap.sink());
    Line line;
    r.start(kT0);
    for (int k = 0; k < 100; ++k) REQUIRE(r.process(line.quiet(), at(k)) == RecordEnd::None);
    CHECK(r.recorded() == 2000ms);
    CHECK(cap.samples == line.all());
    CHECK(r.stop() == RecordEnd::Stopped);
}

TEST_CASE("ivr_play: vadinitial starts at speech onset with 200 ms of pre-roll",
          "[ivr_play][recorder]") {
    Capture cap;
    RecorderSettings s;
    s.vadInitial = true;
    Recorder r(s, cap.sink());
    Line line;
    r.start(kT0);
    for (int k = 0; k < 30; ++k) REQUIRE(r.process(line.quiet(), at(k)) == RecordEnd::None);
    CHECK(cap.samples.empty());
    // Speech from frame 30; onset is declared on frame 31 (two active frames).
    CHECK(r.process(line.talk(), at(30)) == RecordEnd::None);
    CHECK_FALSE(r.recording());
    CHECK(r.process(line.talk(), at(31)) == RecordEnd::None);
    CHECK(r.recording());
    CHECK(r.heardSpeech());
    // Pre-roll: the ten frames before the onset frame (21..30), then frame 31.
    CHECK(r.recorded() == 220ms);
    for (int k = 32; k < 60; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
    CHECK(r.stop() == RecordEnd::Stopped);
    CHECK(cap.samples == slice(line.all(), 21 * kFrame, 60 * kFrame));
    CHECK(r.recorded() == 780ms);
}

TEST_CASE("ivr_play: vadfinal ends after finalsilence and keeps only a short tail of it",
          "[ivr_play][recorder]") {
    Capture cap;
    RecorderSettings s;
    s.vadFinal = true;
    s.finalSilence = 1000ms;
    Recorder r(s, cap.sink());
    Line line;
    r.start(kT0);
    int k = 0;
    for (; k < 25; ++k) REQUIRE(r.process(line.quiet(), at(k)) == RecordEnd::None);
    CHECK(cap.samples.empty());  // held back: it may turn out to be final silence
    for (; k < 75; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
    CHECK(r.recorded() == 1500ms);  // the leading 500 ms were not final: written
    for (; k < 124; ++k) REQUIRE(r.process(line.quiet(), at(k)) == RecordEnd::None);
    CHECK(r.process(line.quiet(), at(124)) == RecordEnd::FinalSilence);  // 50 quiet frames
    CHECK(r.recorded() == 1500ms + Recorder::kSilenceTail);
    CHECK(cap.samples == slice(line.all(), 0, 75 * kFrame + 1600));
    CHECK(r.process(line.talk(), at(125)) == RecordEnd::FinalSilence);
    CHECK(r.recorded() == 1700ms);
}

TEST_CASE("ivr_play: maxtime caps the recording exactly", "[ivr_play][recorder]") {
    SECTION("a whole number of frames") {
        Capture cap;
        RecorderSettings s;
        s.maxTime = 2000ms;
        Recorder r(s, cap.sink());
        Line line;
        r.start(kT0);
        for (int k = 0; k < 99; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
        CHECK(r.process(line.talk(), at(99)) == RecordEnd::MaxTime);
        CHECK(r.recorded() == 2000ms);
        CHECK(cap.samples.size() == 16000);
    }
    SECTION("the last frame is cut") {
        Capture cap;
        RecorderSettings s;
        s.maxTime = 1010ms;
        Recorder r(s, cap.sink());
        Line line;
        r.start(kT0);
        for (int k = 0; k < 50; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
        CHECK(r.process(line.talk(), at(50)) == RecordEnd::MaxTime);
        CHECK(r.recorded() == 1010ms);
        CHECK(cap.samples == slice(line.all(), 0, 8080));
    }
    SECTION("held-back silence counts and is written") {
        Capture cap;
        RecorderSettings s;
        s.maxTime = 1000ms;
        s.vadFinal = true;
        Recorder r(s, cap.sink());
        Line line;
        r.start(kT0);
        int k = 0;
        for (; k < 10; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
        for (; k < 49; ++k) REQUIRE(r.process(line.quiet(), at(k)) == RecordEnd::None);
        CHECK(r.process(line.quiet(), at(49)) == RecordEnd::MaxTime);
        CHECK(r.recorded() == 1000ms);
        CHECK(cap.samples == line.all());
    }
}

TEST_CASE("ivr_play: a DTMF key ends the recording when dtmfterm", "[ivr_play][recorder]") {
    Line line;
    SECTION("dtmfterm true") {
        Capture cap;
        Recorder r(RecorderSettings{}, cap.sink());
        r.start(kT0);
        for (int k = 0; k < 10; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
        CHECK(r.onDtmf(at(10)) == RecordEnd::Dtmf);
        CHECK(r.state() == RecordEnd::Dtmf);
        CHECK(r.recorded() == 200ms);
        CHECK(r.process(line.talk(), at(10)) == RecordEnd::Dtmf);
        CHECK(cap.samples.size() == 1600);
    }
    SECTION("dtmfterm false") {
        Capture cap;
        RecorderSettings s;
        s.dtmfTerm = false;
        Recorder r(s, cap.sink());
        r.start(kT0);
        REQUIRE(r.process(line.talk(), at(0)) == RecordEnd::None);
        CHECK(r.onDtmf(at(1)) == RecordEnd::None);
        CHECK(r.process(line.talk(), at(1)) == RecordEnd::None);
        CHECK(r.recorded() == 40ms);
    }
    SECTION("while waiting for speech, nothing recorded") {
        Capture cap;
        RecorderSettings s;
        s.vadInitial = true;
        Recorder r(s, cap.sink());
        r.start(kT0);
        REQUIRE(r.process(line.quiet(), at(0)) == RecordEnd::None);
        CHECK(r.onDtmf(at(1)) == RecordEnd::Dtmf);
        CHECK(cap.samples.empty());
    }
    SECTION("held-back silence before the key is part of the recording") {
        Capture cap;
        RecorderSettings s;
        s.vadFinal = true;
        Recorder r(s, cap.sink());
        r.start(kT0);
        for (int k = 0; k < 5; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
        for (int k = 5; k < 20; ++k) REQUIRE(r.process(line.quiet(), at(k)) == RecordEnd::None);
        CHECK(r.recorded() == 100ms);
        CHECK(r.onDtmf(at(20)) == RecordEnd::Dtmf);
        CHECK(r.recorded() == 400ms);
        CHECK(cap.samples == line.all());
    }
}

TEST_CASE("ivr_play: stop ends with Stopped", "[ivr_play][recorder]") {
    Capture cap;
    Recorder r(RecorderSettings{}, cap.sink());
    Line line;
    CHECK(r.process(line.talk(), at(0)) == RecordEnd::None);  // not started: ignored
    CHECK(cap.samples.empty());
    r.start(kT0);
    for (int k = 0; k < 7; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
    CHECK(r.stop() == RecordEnd::Stopped);
    CHECK(r.stop() == RecordEnd::Stopped);
    CHECK(r.onDtmf(at(8)) == RecordEnd::Stopped);
    CHECK(r.recorded() == 140ms);
}

TEST_CASE("ivr_play: a failing sink ends the recording with Failed", "[ivr_play][recorder]") {
    Capture cap;
    cap.failAtCall = 4;
    Recorder r(RecorderSettings{}, cap.sink());
    Line line;
    r.start(kT0);
    for (int k = 0; k < 4; ++k) REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
    CHECK(r.process(line.talk(), at(4)) == RecordEnd::Failed);
    CHECK(r.state() == RecordEnd::Failed);
    CHECK(r.recorded() == 80ms);
    CHECK(r.process(line.talk(), at(5)) == RecordEnd::Failed);
    CHECK(r.stop() == RecordEnd::Failed);

    Recorder noSink(RecorderSettings{}, Recorder::Sink{});
    noSink.start(kT0);
    CHECK(noSink.process(line.talk(), at(0)) == RecordEnd::Failed);
}

TEST_CASE("ivr_play: the beep plays first and is not recorded", "[ivr_play][recorder]") {
    Capture cap;
    RecorderSettings s;
    s.beep = true;
    Recorder r(s, cap.sink());
    media::AudioFrame out;
    CHECK_FALSE(r.fillBeep(out));  // not started
    r.start(kT0);
    std::vector<std::int16_t> beep;
    int beepFrames = 0;
    Line line;
    for (int k = 0; k < 30; ++k) {
        if (r.fillBeep(out)) {
            ++beepFrames;
            beep.insert(beep.end(), out.samples.begin(), out.samples.begin() + 160);
            // The beep comes straight back as echo: it must not be recorded.
            REQUIRE(r.process(out, at(k)) == RecordEnd::None);
            line.quiet();
        } else {
            REQUIRE(r.process(line.talk(), at(k)) == RecordEnd::None);
        }
    }
    CHECK(beepFrames == 10);
    const double dbm0 =
        parley::test::toneDbfs(beep, 1000) + 20 * std::log10(32767.0 / dbm0ToPeak(0));
    CHECK(dbm0 == Approx(Recorder::kBeepLevelDbm0).margin(1.0));
    CHECK(r.recorded() == 400ms);
    CHECK(cap.samples == slice(line.all(), 10 * kFrame, 30 * kFrame));
    CHECK(parley::test::toneDbfs(cap.samples, 1000) < -60);

    SECTION("timeout counts from the end of the beep") {
        Capture c2;
        RecorderSettings t;
        t.beep = true;
        t.vadInitial = true;
        t.timeout = 1000ms;
        Recorder q(t, c2.sink());
        Line l2;
        q.start(kT0);
        for (int k = 0; k < 59; ++k) REQUIRE(q.process(l2.quiet(), at(k)) == RecordEnd::None);
        CHECK(q.process(l2.quiet(), at(59)) == RecordEnd::NoInput);
    }
}

TEST_CASE("ivr_play: the recorder's worker calls allocate nothing", "[ivr_play][recorder][alloc]") {
    std::size_t total = 0;
    RecorderSettings s;
    s.beep = true;
    s.vadInitial = true;
    s.vadFinal = true;
    s.finalSilence = 600ms;
    Recorder r(s, [&total](const std::int16_t*, std::size_t n) {
        total += n;
        return true;
    });
    Line line;
    std::vector<media::AudioFrame> frames;
    for (int k = 0; k < 10; ++k) frames.push_back(line.quiet());
    for (int k = 0; k < 20; ++k) frames.push_back(line.quiet());
    for (int k = 0; k < 40; ++k) frames.push_back(line.talk());
    for (int k = 0; k < 10; ++k) frames.push_back(line.quiet());
    for (int k = 0; k < 20; ++k) frames.push_back(line.talk());
    for (int k = 0; k < 40; ++k) frames.push_back(line.quiet());
    media::AudioFrame beep;
    RecordEnd end = RecordEnd::None;

    parley::test::startCountingAllocations();
    r.start(kT0);
    for (std::size_t k = 0; k < frames.size() && end == RecordEnd::None; ++k) {
        r.fillBeep(beep);
        end = r.process(frames[k], at(static_cast<int>(k)));
    }
    r.start(kT0);  // again, ended by a key this time
    for (int k = 0; k < 60; ++k) r.process(frames[static_cast<std::size_t>(k)], at(k));
    const RecordEnd byKey = r.onDtmf(at(60));
    const std::size_t allocations = parley::test::stopCountingAllocations();
    CHECK(allocations == 0);
    CHECK(end == RecordEnd::FinalSilence);
    CHECK(byKey == RecordEnd::Dtmf);
    CHECK(total > 0);
}

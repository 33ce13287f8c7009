// DigitMerger: one digit per key press when a phone sends it both as RFC 4733 events and
// as in-band tones, and the order of presses kept.
#include <catch2/catch.hpp>

#include <string>

#include "ms/ivr/dtmf_detector.hpp"
#include "tests/support/alloc_counter.hpp"
#include "tests/unit/ms_ivr_digits/dtmf_signals.hpp"

using parley::common::TimePoint;
using parley::ms::ivr::DigitMerger;
using std::chrono::milliseconds;

namespace {

const TimePoint t0 = TimePoint{} + std::chrono::seconds(50);
TimePoint at(int ms) {
    return t0 + milliseconds(ms);
}

// Everything poll() gives at `now`.
std::string drain(DigitMerger& m, TimePoint now) {
    std::string out;
    while (auto d = m.poll(now)) out += *d;
    return out;
}

}  // namespace

TEST_CASE("ivr_digits: merger, in-band first then the RTP event of the same press: one digit",
          "[merger]") {
    DigitMerger m;
    m.onInbandDigit('5', at(0), at(40));  // detected 40 ms after the tone started
    CHECK(drain(m, at(40)).empty());      // held
    m.onRtpDigit('5', at(20), at(60));    // the event, 20 ms later than the tone
    CHECK(drain(m, at(60)) == "5");
    CHECK(drain(m, at(500)).empty());
    CHECK(m.rtpSeen());
}

TEST_CASE("ivr_digits: merger, RTP first then in-band of the same press: one digit", "[merger]") {
    DigitMerger m;
    m.onRtpDigit('7', at(0), at(0));
    CHECK(drain(m, at(0)) == "7");
    m.onInbandDigit('7', at(10), at(50));
    CHECK(drain(m, at(200)).empty());
    // And every later in-band digit of that call is ignored: its RTP events are the report.
    m.onInbandDigit('8', at(1000), at(1040));
    CHECK(drain(m, at(2000)).empty());
    m.onRtpDigit('8', at(1010), at(1010));
    CHECK(drain(m, at(1010)) == "8");
}

TEST_CASE("ivr_digits: merger, real detector output and RTP events of the same presses",
          "[merger]") {
    using namespace parley::test::dtmf;
    std::vector<std::int16_t> audio = silence(100);
    for (char k : std::string("2468")) {
        append(audio, keyTone(k, 80));
        append(audio, silence(120));
    }
    parley::ms::ivr::DtmfDetector det;
    DigitMerger m;
    std::string out;
    parley::ms::media::AudioFrame frame;
    frame.silent = false;
    for (std::size_t i = 0; (i + 1) * 160 <= audio.size(); ++i) {
        const TimePoint now = at(static_cast<int>(20 * i));
        // The phone's RFC 4733 event for each press starts with the tone (every 200 ms from 100).
        if (i >= 5 && (i - 5) % 10 == 0 && (i - 5) / 10 < 4)
            m.onRtpDigit("2468"[(i - 5) / 10], now, now + milliseconds(30));
        std::copy(audio.begin() + static_cast<long>(160 * i),
                  audio.begin() + static_cast<long>(160 * (i + 1)), frame.samples.begin());
        if (auto d = det.process(frame, now)) m.onInbandDigit(d->digit, d->start, now);
        out += drain(m, now + milliseconds(30));
    }
    CHECK(out == "2468");
}

TEST_CASE("ivr_digits: merger, in-band only digits come out after the hold, in order", "[merger]") {
    DigitMerger m;
    m.onInbandDigit('1', at(0), at(40));
    m.onInbandDigit('2', at(200), at(240));
    CHECK(drain(m, at(40 + 59)).empty());
    CHECK(drain(m, at(40 + 60)) == "1");
    CHECK(drain(m, at(299)).empty());
    CHECK(drain(m, at(300)) == "2");
    CHECK_FALSE(m.rtpSeen());
    // The same key pressed twice in-band is two digits.
    m.onInbandDigit('3', at(1000), at(1040));
    m.onInbandDigit('3', at(1100), at(1140));
    CHECK(drain(m, at(2000)) == "33");
}

TEST_CASE("ivr_digits: merger keeps press order across sources and drops only the same key",
          "[merger]") {
    DigitMerger m;
    m.onInbandDigit('4', at(0), at(40));  // a press before the call's first RTP event
    m.onRtpDigit('6', at(50), at(50));    // a different key: both are kept, 4 first
    CHECK(drain(m, at(50)).empty());      // 6 waits behind the held 4
    CHECK(drain(m, at(100)) == "46");
    // An RTP event for the same key far from the in-band digit does not swallow it.
    DigitMerger n;
    n.onInbandDigit('9', at(0), at(40));
    n.onRtpDigit('9', at(400), at(400));
    CHECK(drain(n, at(400)) == "99");
}

TEST_CASE("ivr_digits: merger reset, capacity, no allocation", "[merger][alloc]") {
    DigitMerger m;
    parley::test::startCountingAllocations();
    for (int i = 0; i < 40; ++i) m.onInbandDigit('0', at(i * 100), at(i * 100 + 40));
    std::size_t got = 0;
    while (auto d = m.poll(at(10000))) got += *d == '0' ? 1 : 100;
    m.onRtpDigit('1', at(20000), at(20000));
    const auto one = m.poll(at(20000));
    const std::size_t allocations = parley::test::stopCountingAllocations();
    CHECK(allocations == 0);
    CHECK(got == DigitMerger::kCapacity);
    CHECK(m.overflowed() == 40 - DigitMerger::kCapacity);
    REQUIRE(one);
    CHECK(*one == '1');
    m.reset();
    CHECK_FALSE(m.rtpSeen());
    m.onInbandDigit('2', at(30000), at(30000));
    CHECK(drain(m, at(31000)) == "2");
}

// RFC 4733: the receiver reports each digit exactly once (end bit, redundant ends,
// duplicates, reordering, new event by timestamp, lost end by timeout, long events) and
// the sender produces the RFC's packet sequence.
#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <vector>

#include "ms/rtp/telephone_event.hpp"

using namespace parley::ms::rtp;
using namespace std::chrono_literals;
using parley::common::TimePoint;

namespace {

std::array<std::uint8_t, 4> ev(std::uint8_t code, bool end, std::uint16_t duration) {
    std::array<std::uint8_t, 4> p{};
    writeTelephoneEvent(TelephoneEventPayload{code, end, 10, duration}, p.data());
    return p;
}

struct Feed {
    TelephoneEventReceiver rx;
    TimePoint now{};
    std::vector<char> started;
    std::vector<DigitEvent> ended;

    void packet(std::uint32_t ts, std::uint8_t code, bool end, std::uint16_t duration) {
        now += 20ms;
        const auto p = ev(code, end, duration);
        const auto out = rx.onPacket(ts, p, now);
        if (out.started) started.push_back(*out.started);
        if (out.ended) ended.push_back(*out.ended);
        if (out.alsoEnded) ended.push_back(*out.alsoEnded);
    }
    void idle(std::chrono::milliseconds d) {
        for (auto t = 0ms; t < d; t += 20ms) {
            now += 20ms;
            if (auto e = rx.onTick(now)) ended.push_back(*e);
        }
    }
};

}  // namespace

TEST_CASE("telephone-event: digit codes", "[telephone_event]") {
    const std::string digits = "0123456789*#ABCD";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        CHECK(eventCodeToDigit(static_cast<std::uint8_t>(i)) == digits[i]);
        CHECK(digitToEventCode(digits[i]) == static_cast<std::uint8_t>(i));
    }
    CHECK(digitToEventCode('a') == 12);
    CHECK_FALSE(digitToEventCode('x').has_value());
    CHECK_FALSE(digitToEventCode('E').has_value());
    CHECK(eventCodeToDigit(16) == '\0');

    const auto p = ev(11, true, 0x1234);
    CHECK(p[0] == 11);
    CHECK(p[1] == (0x80 | 10));
    CHECK(p[2] == 0x12);
    CHECK(p[3] == 0x34);
    TelephoneEventPayload back;
    REQUIRE(parseTelephoneEvent(p, back));
    CHECK(back.event == 11);
    CHECK(back.end);
    CHECK(back.volume == 10);
    CHECK(back.duration == 0x1234);
}

TEST_CASE("telephone-event: one digit from start, updates and three end packets",
          "[telephone_event]") {
    Feed f;
    f.packet(1000, 5, false, 160);
    REQUIRE(f.started == std::vector<char>{'5'});
    CHECK(f.rx.inEvent());
    f.packet(1000, 5, false, 320);
    f.packet(1000, 5, false, 480);
    f.packet(1000, 5, true, 640);
    f.packet(1000, 5, true, 640);
    f.packet(1000, 5, true, 640);
    REQUIRE(f.ended.size() == 1);
    CHECK(f.ended[0].digit == '5');
    CHECK(f.ended[0].durationSamples == 640);
    CHECK(f.ended[0].duration == 80ms);
    CHECK(f.ended[0].endSeen);
    CHECK(f.started.size() == 1);
    CHECK(f.rx.counters().duplicates == 2);
    f.idle(1s);  // no timeout after a proper end
    CHECK(f.ended.size() == 1);
    CHECK(f.rx.counters().digits == 1);
}

TEST_CASE("telephone-event: duplicates and reordering inside an event", "[telephone_event]") {
    Feed f;
    f.packet(5000, 1, false, 160);
    f.packet(5000, 1, false, 160);  // duplicate
    f.packet(5000, 1, false, 480);  // 320 arrives later
    f.packet(5000, 1, false, 320);
    f.packet(5000, 1, true, 800);
    f.packet(5000, 1, false, 640);  // reordered after the end: ignored
    REQUIRE(f.ended.size() == 1);
    CHECK(f.started.size() == 1);
    CHECK(f.ended[0].durationSamples == 800);
}

TEST_CASE("telephone-event: end packet first, the rest of the event ignored", "[telephone_event]") {
    Feed f;
    f.packet(7000, 11, true, 800);
    REQUIRE(f.started == std::vector<char>{'#'});
    REQUIRE(f.ended.size() == 1);
    CHECK(f.ended[0].digit == '#');
    f.packet(7000, 11, false, 160);
    f.packet(7000, 11, true, 800);
    CHECK(f.ended.size() == 1);
    CHECK(f.started.size() == 1);
}

TEST_CASE("telephone-event: a new timestamp ends the previous event and starts the next",
          "[telephone_event]") {
    Feed f;
    f.packet(1000, 1, false, 160);
    f.packet(1000, 1, false, 320);
    // all end packets of '1' lost; '2' starts
    f.packet(2000, 2, false, 160);
    REQUIRE(f.ended.size() == 1);
    CHECK(f.ended[0].digit == '1');
    CHECK(f.ended[0].durationSamples == 320);
    CHECK_FALSE(f.ended[0].endSeen);
    CHECK(f.started == std::vector<char>{'1', '2'});
    // same digit twice in a row is two events (different timestamps)
    f.packet(2000, 2, true, 480);
    f.packet(3000, 2, true, 480);
    CHECK(f.started == std::vector<char>{'1', '2', '2'});
    REQUIRE(f.ended.size() == 3);
    CHECK(f.ended[2].digit == '2');
    // an old event's late packet is stale
    f.packet(1000, 1, true, 400);
    CHECK(f.ended.size() == 3);
    CHECK(f.rx.counters().stale == 1);
}

TEST_CASE("telephone-event: a lost end is detected by timeout, once", "[telephone_event]") {
    Feed f;
    f.packet(9000, 0, false, 160);
    f.packet(9000, 0, false, 320);
    f.idle(100ms);
    CHECK(f.ended.empty());
    f.idle(300ms);
    REQUIRE(f.ended.size() == 1);
    CHECK(f.ended[0].digit == '0');
    CHECK_FALSE(f.ended[0].endSeen);
    CHECK(f.rx.counters().timeouts == 1);
    // a straggling end packet of that event does not report it again
    f.packet(9000, 0, true, 480);
    f.idle(1s);
    CHECK(f.ended.size() == 1);
}

TEST_CASE("telephone-event: malformed and unsupported events are counted, not reported",
          "[telephone_event]") {
    TelephoneEventReceiver rx;
    const std::array<std::uint8_t, 3> shortPayload = {1, 2, 3};
    auto out = rx.onPacket(1, shortPayload, TimePoint{});
    CHECK_FALSE(out.started);
    CHECK(rx.counters().malformed == 1);
    const auto flash = ev(16, true, 800);
    out = rx.onPacket(2, flash, TimePoint{});
    CHECK_FALSE(out.started);
    CHECK_FALSE(out.ended);
    CHECK(rx.counters().unsupported == 1);
}

TEST_CASE("telephone-event: a long event split at 65535 samples is one digit",
          "[telephone_event]") {
    Feed f;
    f.packet(100, 9, false, 160);
    f.packet(100, 9, false, 65535);
    f.packet(100 + 65535, 9, false, 800);
    f.packet(100 + 65535, 9, true, 1600);
    CHECK(f.started.size() == 1);
    REQUIRE(f.ended.size() == 1);
    CHECK(f.ended[0].durationSamples == 65535 + 1600);
}

TEST_CASE("telephone-event: reset forgets the current event", "[telephone_event]") {
    Feed f;
    f.packet(100, 3, false, 160);
    f.rx.reset();
    f.packet(50, 4, false, 160);  // an older timestamp is fine after a reset (new SSRC)
    CHECK(f.started == std::vector<char>{'3', '4'});
}

TEST_CASE("telephone-event sender: packet sequence of one digit", "[telephone_event]") {
    TelephoneEventSender tx(160, 10, 3);
    REQUIRE(tx.queue('7', 100ms));
    CHECK(tx.busy());
    std::vector<TelephoneEventPacket> pkts;
    std::uint32_t ts = 48000;
    int audioTicks = 0;
    for (int tick = 0; tick < 12; ++tick, ts += 160) {
        if (auto p = tx.onTick(ts)) {
            pkts.push_back(*p);
        } else {
            ++audioTicks;
        }
    }
    REQUIRE(pkts.size() == 7);  // 5 (up to 100 ms, last with E) + 2 redundant ends
    for (std::size_t i = 0; i < pkts.size(); ++i) {
        TelephoneEventPayload e;
        REQUIRE(parseTelephoneEvent(pkts[i].payload, e));
        CHECK(pkts[i].timestamp == 48000);
        CHECK(pkts[i].marker == (i == 0));
        CHECK(e.event == 7);
        CHECK(e.volume == 10);
        CHECK(e.end == (i >= 4));
        CHECK(e.duration == std::min<std::size_t>(i + 1, 5) * 160);
    }
    CHECK(audioTicks == 5);
    CHECK_FALSE(tx.busy());
}

TEST_CASE("telephone-event sender: queued digits, gap, new timestamps, limits",
          "[telephone_event]") {
    TelephoneEventSender tx(160, 10, 2);
    CHECK_FALSE(tx.queue('x'));
    REQUIRE(tx.queue('1', 40ms));
    REQUIRE(tx.queue('2', 10ms));  // rounded up to the 40 ms minimum
    std::vector<std::pair<std::uint32_t, TelephoneEventPacket>> pkts;
    std::uint32_t ts = 0;
    for (int tick = 0; tick < 20; ++tick, ts += 160)
        if (auto p = tx.onTick(ts)) pkts.emplace_back(ts, *p);
    REQUIRE(pkts.size() == 8);  // 2 + 2 ends each
    CHECK(pkts[0].second.timestamp == 0);
    CHECK(pkts[4].second.timestamp == 160 * (4 + 2));  // after 4 packets and a 2-tick gap
    CHECK(pkts[4].second.marker);
    for (std::size_t i = 0; i < TelephoneEventSender::kQueueCapacity; ++i) REQUIRE(tx.queue('9'));
    CHECK_FALSE(tx.queue('9'));
    tx.clear();
    CHECK_FALSE(tx.busy());
}

TEST_CASE("telephone-event: sender output read back by the receiver", "[telephone_event]") {
    TelephoneEventSender tx;
    REQUIRE(tx.queue('*', 160ms));
    REQUIRE(tx.queue('D', 60ms));
    Feed f;
    std::uint32_t ts = 123456;
    for (int tick = 0; tick < 40; ++tick, ts += 160) {
        if (auto p = tx.onTick(ts)) {
            f.now += 20ms;
            const auto out = f.rx.onPacket(p->timestamp, p->payload, f.now);
            if (out.started) f.started.push_back(*out.started);
            if (out.ended) f.ended.push_back(*out.ended);
        }
    }
    CHECK(f.started == std::vector<char>{'*', 'D'});
    REQUIRE(f.ended.size() == 2);
    CHECK(f.ended[0].duration == 160ms);
    CHECK(f.ended[1].duration == 60ms);
}

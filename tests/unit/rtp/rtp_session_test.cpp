// Two RtpSessions (and raw UDP sockets posing as peers) on 127.0.0.1, driven by a real
// EventLoop with a 20 ms timer: audio checked by Goertzel tone detection, latching and
// strangers, malformed input, sequence/timestamp/marker on the wire, RFC 4733 both ways,
// RTCP SR counts and RR statistics; the SendRing and RecvRing (io_uring) sending and reading
// many sessions' packets.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "ms/rtp/rtp_session.hpp"
#include "ms/rtp/recv_ring.hpp"
#include "ms/rtp/send_ring.hpp"

using namespace parley::ms::rtp;
using namespace std::chrono_literals;
using parley::common::Clock;
using parley::common::EventLoop;
using parley::common::Fd;
using parley::common::SocketAddress;
using parley::common::TimePoint;
using parley::ms::media::AudioFrame;

namespace {

SocketAddress loopback(std::uint16_t port = 0) {
    return SocketAddress::fromHostPort("127.0.0.1", port).value();
}

// One allocator for the whole test binary, on a range that was free when probed.
PortAllocator& allocator() {
    static PortAllocator alloc = [] {
        std::mt19937 rng(std::random_device{}());
        std::uniform_int_distribution<int> pick(20000, 59000);
        for (int attempt = 0; attempt < 200; ++attempt) {
            const auto lo = static_cast<std::uint16_t>(pick(rng) & ~1);
            std::vector<Fd> held;
            bool ok = true;
            for (int i = 0; i < 64 && ok; ++i) {
                auto fd = parley::common::udpBind(loopback(static_cast<std::uint16_t>(lo + i)));
                if (fd)
                    held.push_back(std::move(*fd));
                else
                    ok = false;
            }
            if (ok) return PortAllocator(loopback(), lo, static_cast<std::uint16_t>(lo + 63));
        }
        return PortAllocator(loopback(), 0, 0);
    }();
    return alloc;
}

PortPair ports() {
    auto p = allocator().allocate();
    REQUIRE(p.ok());
    return std::move(*p);
}

constexpr double kToneA = 500.0;
constexpr double kToneB = 1400.0;

void toneFrame(AudioFrame& f, double freq, std::uint64_t frameIndex) {
    f.count = 160;
    f.sampleRate = 8000;
    f.silent = false;
    for (std::size_t i = 0; i < 160; ++i) {
        const double t = static_cast<double>(frameIndex * 160 + i) / 8000.0;
        f.samples[i] = static_cast<std::int16_t>(8000.0 * std::sin(2 * M_PI * freq * t));
    }
}

// Goertzel power of `freq` over the samples, normalised by length.
double goertzel(const std::vector<std::int16_t>& x, double freq) {
    const double w = 2 * M_PI * freq / 8000.0;
    const double c = 2 * std::cos(w);
    double s1 = 0, s2 = 0;
    for (auto v : x) {
        const double s0 = v + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const double power = s1 * s1 + s2 * s2 - c * s1 * s2;
    return power / static_cast<double>(x.size() * x.size());
}

struct Leg {
    std::unique_ptr<RtpSession> session;
    double tone = 0;
    bool push = true;
    std::uint64_t frames = 0;
    std::vector<std::int16_t> heard;
    std::vector<DigitEvent> digits;

    Leg(PortPair p, const MediaParams& media, RtpSessionConfig cfg) {
        session = std::make_unique<RtpSession>(std::move(p), media, std::move(cfg), Clock::now());
        session->setDigitCallback([this](const DigitEvent& d) { digits.push_back(d); });
    }
    void onTick(TimePoint now) {
        session->tick(now);
        AudioFrame in;
        session->pullFrame(in);
        heard.insert(heard.end(), in.samples.begin(),
                     in.samples.begin() + static_cast<std::ptrdiff_t>(in.count));
        AudioFrame out;
        toneFrame(out, tone, frames++);
        if (push) session->pushFrame(out);
    }
    std::vector<std::int16_t> lastHeard(std::size_t samples) const {
        const std::size_t n = std::min(samples, heard.size());
        return {heard.end() - static_cast<std::ptrdiff_t>(n), heard.end()};
    }
};

MediaParams mediaTo(const SocketAddress& remote, bool withEvents = true) {
    MediaParams m;
    m.remoteRtp = remote;
    m.formats = {{0, Codec::Pcmu}, {8, Codec::Pcma}};
    if (withEvents) m.formats.push_back({101, Codec::TelephoneEvent});
    return m;
}

RtpSessionConfig fastRtcp() {
    RtpSessionConfig c;
    c.rtcpInterval = 300ms;
    c.randomizeRtcp = false;
    return c;
}

// Drives the loop: every 20 ms calls onTick(i, now) for i in [0, ticks). Bounded in time.
void drive(EventLoop& loop, int ticks, const std::function<void(int, TimePoint)>& onTick) {
    int done = 0;
    TimePoint next = Clock::now() + 20ms;
    std::function<void()> arm = [&] {
        loop.addTimerAt(next, [&] {
            onTick(done, Clock::now());
            ++done;
            next += 20ms;
            if (done < ticks) arm();
        });
    };
    arm();
    const TimePoint deadline = Clock::now() + ticks * 20ms + 5s;
    while (done < ticks && Clock::now() < deadline) loop.runOnce(50ms);
    REQUIRE(done == ticks);
}

void watch(EventLoop& loop, RtpSession& s) {
    REQUIRE(loop.watch(s.rtpFd(), EventLoop::kReadable,
                       [&s](std::uint32_t) { s.onRtpReadable(Clock::now()); })
                .ok());
    REQUIRE(loop.watch(s.rtcpFd(), EventLoop::kReadable,
                       [&s](std::uint32_t) { s.onRtcpReadable(Clock::now()); })
                .ok());
}

// A raw UDP socket on loopback, to sniff or to inject.
struct RawPeer {
    Fd fd;
    SocketAddress addr;
    RawPeer() {
        fd = std::move(parley::common::udpBind(loopback()).value());
        addr = parley::common::localAddress(fd.get()).value();
    }
    void sendTo(const SocketAddress& to, const std::vector<std::uint8_t>& bytes) const {
        REQUIRE(::sendto(fd.get(), bytes.data(), bytes.size(), 0, to.sa(), to.len()) ==
                static_cast<ssize_t>(bytes.size()));
    }
    std::optional<std::vector<std::uint8_t>> receive() const {
        std::vector<std::uint8_t> buf(2048);
        const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) return std::nullopt;
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }
};

std::vector<std::uint8_t> rtpBytes(std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc,
                                   std::uint8_t pt = 0, std::size_t payload = 160,
                                   std::uint8_t fill = 0xFF) {
    RtpHeader h;
    h.sequence = seq;
    h.timestamp = ts;
    h.ssrc = ssrc;
    h.payloadType = pt;
    std::vector<std::uint8_t> p(payload, fill);
    std::vector<std::uint8_t> out(kMaxRtpPacket);
    out.resize(buildRtp(h, p, out));
    return out;
}

SocketAddress localOf(const RtpSession& s) {
    return loopback(s.localRtpPort());
}

}  // namespace

TEST_CASE("rtp session: two legs hear each other's tone", "[rtp_session]") {
    EventLoop loop;
    auto pa = ports();
    auto pb = ports();
    const auto addrA = loopback(pa.rtpPort());
    const auto addrB = loopback(pb.rtpPort());
    Leg a(std::move(pa), mediaTo(addrB), fastRtcp());
    Leg b(std::move(pb), mediaTo(addrA), fastRtcp());
    a.tone = kToneA;
    b.tone = kToneB;
    watch(loop, *a.session);
    watch(loop, *b.session);
    drive(loop, 100, [&](int, TimePoint now) {
        a.onTick(now);
        b.onTick(now);
    });

    const auto atB = b.lastHeard(8000);  // the last second
    const auto atA = a.lastHeard(8000);
    INFO("B hears A " << goertzel(atB, kToneA) << " / B " << goertzel(atB, kToneB));
    CHECK(goertzel(atB, kToneA) > 1e5);
    CHECK(goertzel(atB, kToneA) > 100 * goertzel(atB, kToneB));
    INFO("A hears B " << goertzel(atA, kToneB) << " / A " << goertzel(atA, kToneA));
    CHECK(goertzel(atA, kToneB) > 1e5);
    CHECK(goertzel(atA, kToneB) > 100 * goertzel(atA, kToneA));

    for (const Leg* l : {&a, &b}) {
        const auto& c = l->session->counters();
        CHECK(c.packetsOut == 100);
        CHECK(c.packetsIn >= 95);
        CHECK(c.malformed == 0);
        CHECK(c.strangers == 0);
        CHECK(l->session->latched());
        CHECK(l->session->jitterStats().framesOut >= 80);
        CHECK(l->session->jitterDelay() <= 200ms);
    }
    CHECK(a.session->ssrc() != b.session->ssrc());
    // RTCP both ways: reports about our stream from the peer
    const auto& rr = a.session->remoteReport();
    CHECK(a.session->counters().rtcpIn >= 3);
    REQUIRE(rr.valid);
    CHECK(rr.fractionLost == 0);
    CHECK(rr.cumulativeLost == 0);
    REQUIRE(rr.haveRtt);
    CHECK(rr.rtt < 100ms);
}

TEST_CASE("rtp session: PCMA when it is the negotiated codec", "[rtp_session]") {
    EventLoop loop;
    auto pa = ports();
    auto pb = ports();
    auto ma = mediaTo(loopback(pb.rtpPort()));
    auto mb = mediaTo(loopback(pa.rtpPort()));
    ma.formats = {{8, Codec::Pcma}};
    mb.formats = {{8, Codec::Pcma}};
    Leg a(std::move(pa), ma, {});
    Leg b(std::move(pb), mb, {});
    a.tone = kToneA;
    b.push = false;
    watch(loop, *a.session);
    watch(loop, *b.session);
    drive(loop, 50, [&](int, TimePoint now) {
        a.onTick(now);
        b.onTick(now);
    });
    const auto heard = b.lastHeard(4000);
    CHECK(goertzel(heard, kToneA) > 1e5);
    CHECK(b.session->counters().unknownPayload == 0);
}

TEST_CASE("rtp session: sequence, timestamp, marker and SR on the wire", "[rtp_session]") {
    EventLoop loop;
    RawPeer rtpSniffer, rtcpSniffer;
    MediaParams m = mediaTo(rtpSniffer.addr);
    m.remoteRtcp = rtcpSniffer.addr;
    RtpSessionConfig cfg = fastRtcp();
    cfg.ssrc = 0x5EED;
    Leg a(ports(), m, cfg);
    a.tone = kToneA;
    watch(loop, *a.session);

    std::vector<RtpPacketView> seen;
    std::vector<std::vector<std::uint8_t>> store;
    auto drainRtp = [&] {
        while (auto bytes = rtpSniffer.receive()) {
            store.push_back(std::move(*bytes));
            RtpPacketView v;
            REQUIRE(parseRtp(store.back(), v) == RtpParseError::None);
            seen.push_back(v);
        }
    };
    int srSeen = 0;
    REQUIRE(loop.watch(rtcpSniffer.fd.get(), EventLoop::kReadable,
                       [&](std::uint32_t) {
                           drainRtp();  // what was sent before the SR is already queued on loopback
                           while (auto bytes = rtcpSniffer.receive()) {
                               RtcpCompound c;
                               REQUIRE(parseRtcp(*bytes, c) == RtcpParseError::None);
                               REQUIRE(c.reportCount == 1);
                               const auto& r = c.reports[0];
                               CHECK(r.ssrc == 0x5EED);
                               REQUIRE(r.isSender);
                               // the SR counts exactly the packets sent before it: those stamped
                               // before its RTP time (the packet of the SR's own tick may already
                               // be queued too)
                               std::size_t before = 0;
                               for (const auto& v : seen)
                                   if (static_cast<std::int32_t>(v.header.timestamp -
                                                                 r.sender.rtpTimestamp) < 0)
                                       ++before;
                               CHECK(r.sender.packetCount == before);
                               CHECK(r.sender.octetCount == before * 160);
                               CHECK(seen.size() - before <= 1);
                               CHECK(r.blockCount == 0);  // nothing received: no report block
                               REQUIRE(c.cnameCount == 1);
                               CHECK(c.cnames[0].view().find("parley-ms-") == 0);
                               ++srSeen;
                           }
                       })
                .ok());

    // ticks 20..22: no frame pushed (a gap); 40..44: recvonly (not sending); 60..64: hold.
    drive(loop, 90, [&](int i, TimePoint now) {
        if (i == 40) {
            auto r = m;
            r.direction = MediaDirection::RecvOnly;
            a.session->updateMedia(r);
        }
        if (i == 45) a.session->updateMedia(m);
        if (i == 60) {
            auto h = m;
            h.remoteRtp = SocketAddress::fromHostPort("0.0.0.0", rtpSniffer.addr.port()).value();
            a.session->updateMedia(h);
        }
        if (i == 65) a.session->updateMedia(m);
        a.push = !(i >= 20 && i < 23);
        a.onTick(now);
    });
    drainRtp();

    REQUIRE(seen.size() == 90 - 3 - 5 - 5);
    CHECK(a.session->counters().packetsOut == seen.size());
    CHECK(srSeen >= 3);
    std::size_t markers = 0;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        const auto& h = seen[i].header;
        CHECK(h.ssrc == 0x5EED);
        CHECK(h.payloadType == 0);
        CHECK(seen[i].payload.size() == 160);
        if (h.marker) ++markers;
        if (i == 0) {
            CHECK(h.marker);
            continue;
        }
        const auto& p = seen[i - 1].header;
        CHECK(static_cast<std::uint16_t>(p.sequence + 1) == h.sequence);
        const std::uint32_t step = h.timestamp - p.timestamp;
        CHECK(step % 160 == 0);
        if (step != 160) {
            CHECK(h.marker);  // first packet after a gap, recvonly or hold
        } else {
            CHECK_FALSE(h.marker);
        }
    }
    CHECK(markers == 4);  // start, after the gap, after recvonly, after hold
    // the three gaps keep time: total timestamp span is 89 ticks
    CHECK(seen.back().header.timestamp - seen.front().header.timestamp == 89u * 160u);
}

TEST_CASE("rtp session: latching to the first source, strangers dropped", "[rtp_session]") {
    EventLoop loop;
    RawPeer sdpAddress;  // what the SDP says: nobody sends from there
    RawPeer stranger;
    auto pa = ports();
    auto pb = ports();
    const auto addrA = loopback(pa.rtpPort());
    Leg a(std::move(pa), mediaTo(sdpAddress.addr), {});
    Leg b(std::move(pb), mediaTo(addrA), {});
    a.tone = kToneA;
    b.tone = kToneB;
    watch(loop, *a.session);
    watch(loop, *b.session);
    CHECK_FALSE(a.session->latched());
    drive(loop, 80, [&](int i, TimePoint now) {
        if (i >= 20 && i % 2 == 0)
            stranger.sendTo(addrA,
                            rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 999, 0, 160, 0x80));
        a.onTick(now);
        b.onTick(now);
    });
    REQUIRE(a.session->latched());
    CHECK(a.session->rtpDestination() == loopback(b.session->localRtpPort()));
    CHECK(a.session->counters().strangers == 30);
    CHECK(a.session->counters().ssrcChanges == 0);
    // A sent to B (the latched source) although the SDP pointed elsewhere
    CHECK(goertzel(b.lastHeard(8000), kToneA) > 1e5);
    // A still hears B only
    CHECK(goertzel(a.lastHeard(8000), kToneB) > 1e5);
    int leaked = 0;
    while (sdpAddress.receive()) ++leaked;
    CHECK(leaked <= 1);  // at most the first packet, before the peer's first packet arrived
}

TEST_CASE("rtp session: with latching off packets from anywhere are accepted", "[rtp_session]") {
    RawPeer sdpAddress, other;
    RtpSessionConfig cfg;
    cfg.symmetricRtp = false;
    RtpSession s(ports(), mediaTo(sdpAddress.addr), cfg, Clock::now());
    other.sendTo(localOf(s), rtpBytes(1, 160, 7));
    sdpAddress.sendTo(localOf(s), rtpBytes(2, 320, 7));
    s.onRtpReadable(Clock::now());
    CHECK(s.counters().audioIn == 2);
    CHECK(s.counters().strangers == 0);
    CHECK_FALSE(s.latched());
    CHECK(s.rtpDestination() == sdpAddress.addr);
}

TEST_CASE("rtp session: malformed RTP and RTCP are counted and ignored", "[rtp_session]") {
    RawPeer peer;
    RawPeer peerRtcp;
    RtpSession s(ports(), mediaTo(peer.addr), {}, Clock::now());
    const auto to = localOf(s);
    peer.sendTo(to, {1, 2, 3, 4, 5});  // too short
    auto badVersion = rtpBytes(1, 0, 7);
    badVersion[0] = 0x40;
    peer.sendTo(to, badVersion);
    auto csrc = rtpBytes(1, 0, 7, 0, 4);
    csrc[0] = 0x8F;  // 15 CSRCs in 16 bytes
    peer.sendTo(to, csrc);
    peer.sendTo(to, rtpBytes(1, 0, 7, 0, 100));  // not whole 20 ms frames
    peer.sendTo(to, rtpBytes(1, 0, 7, 96));      // payload type not negotiated
    s.onRtpReadable(Clock::now());
    CHECK(s.counters().malformed == 4);
    CHECK(s.counters().unknownPayload == 1);
    CHECK_FALSE(s.latched());  // invalid packets do not latch
    // then a good packet is played
    peer.sendTo(to, rtpBytes(2, 160, 7, 0, 160, 0x80));
    s.onRtpReadable(Clock::now());
    CHECK(s.latched());
    AudioFrame f;
    s.pullFrame(f);
    CHECK_FALSE(f.silent);

    const auto rtcpTo = loopback(static_cast<std::uint16_t>(s.localRtpPort() + 1));
    peerRtcp.sendTo(rtcpTo, {0x80, 202, 0, 0});              // SDES first
    peerRtcp.sendTo(rtcpTo, {0x81, 201, 0, 1, 0, 0, 0, 1});  // RR claims a block it lacks
    peerRtcp.sendTo(rtcpTo, {0x80});
    s.onRtcpReadable(Clock::now());
    CHECK(s.counters().rtcpMalformed == 3);
    CHECK(s.counters().rtcpIn == 0);
}

TEST_CASE("rtp session: a flood is read in bounded batches and bounded by the buffer",
          "[rtp_session]") {
    RawPeer peer;
    RtpSessionConfig cfg;
    cfg.maxPacketsPerRead = 16;
    RtpSession s(ports(), mediaTo(peer.addr), cfg, Clock::now());
    // 150 datagrams fit in a default socket buffer; the jitter buffer holds far fewer
    for (int i = 0; i < 150; ++i)
        peer.sendTo(localOf(s), rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 7));
    s.onRtpReadable(Clock::now());
    CHECK(s.counters().packetsIn == 16);
    for (int i = 0; i < 20; ++i) s.onRtpReadable(Clock::now());
    CHECK(s.counters().packetsIn == 150);
    CHECK(s.jitterStats().overflow > 0);
    AudioFrame f;
    s.pullFrame(f);
    CHECK(s.jitterDelay() <= 200ms);
}

TEST_CASE("rtp session: a read stopped at the bound counts it and leaves the rest queued",
          "[rtp_session]") {
    RawPeer peer;
    RtpSessionConfig cfg;
    cfg.maxPacketsPerRead = 4;
    RtpSession s(ports(), mediaTo(peer.addr), cfg, Clock::now());
    for (int i = 0; i < 6; ++i)
        peer.sendTo(localOf(s), rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 7));
    s.onRtpReadable(Clock::now());
    CHECK(s.counters().packetsIn == 4);
    CHECK(s.counters().readLimitHits == 1);
    s.onRtpReadable(Clock::now());
    CHECK(s.counters().packetsIn == 6);
    CHECK(s.counters().readLimitHits == 1);  // two left: the socket emptied before the bound
    CHECK(s.counters().audioIn == 6);
}

TEST_CASE("rtp session: packets read late keep their kernel arrival times", "[rtp_session]") {
    // Ten packets sent on a 20 ms cadence and read all at once afterwards (as a busy owner
    // would). With the arrival taken at the read, every transit would differ by 20 ms and
    // the RFC 3550 jitter would reach about 70 units (8.7 ms); with the kernel's receive
    // stamps it stays near the sender's own scheduling noise.
    RawPeer peer;
    RtpSession s(ports(), mediaTo(peer.addr), {}, Clock::now());
    const TimePoint start = Clock::now();
    for (int i = 0; i < 10; ++i) {
        std::this_thread::sleep_until(start + i * 20ms);
        peer.sendTo(localOf(s), rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 7));
    }
    s.onRtpReadable(Clock::now());
    REQUIRE(s.counters().audioIn == 10);
    CHECK(s.reception().jitter() < 40);  // 5 ms
}

TEST_CASE("rtp session: a new SSRC resets the receive side", "[rtp_session]") {
    RawPeer peer;
    RtpSession s(ports(), mediaTo(peer.addr), {}, Clock::now());
    for (int i = 0; i < 5; ++i)
        peer.sendTo(localOf(s), rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 7));
    s.onRtpReadable(Clock::now());
    peer.sendTo(localOf(s), rtpBytes(9000, 777777, 8));
    s.onRtpReadable(Clock::now());
    CHECK(s.counters().ssrcChanges == 1);
    CHECK(s.jitterStats().resets == 1);
    CHECK(s.reception().received() == 1);
}

TEST_CASE("rtp session: direction and hold on the receive side", "[rtp_session]") {
    RawPeer peer;
    auto m = mediaTo(peer.addr);
    m.direction = MediaDirection::SendOnly;
    RtpSession s(ports(), m, {}, Clock::now());
    CHECK(s.sending());
    CHECK_FALSE(s.receiving());
    peer.sendTo(localOf(s), rtpBytes(1, 160, 7));
    s.onRtpReadable(Clock::now());
    CHECK(s.counters().notReceiving == 1);
    CHECK(s.counters().audioIn == 0);
    m.direction = MediaDirection::Inactive;
    s.updateMedia(m);
    CHECK_FALSE(s.sending());
    CHECK_FALSE(s.sendDigit('1'));
    m.direction = MediaDirection::SendRecv;
    m.remoteRtp = SocketAddress::fromHostPort("0.0.0.0", 4000).value();
    s.updateMedia(m);
    CHECK_FALSE(s.sending());  // c=0.0.0.0
    CHECK(s.receiving());
    AudioFrame f;
    toneFrame(f, 440, 0);
    s.tick(Clock::now());
    s.pushFrame(f);
    CHECK(s.counters().packetsOut == 0);
}

TEST_CASE("rtp session: RFC 4733 digits both ways", "[rtp_session]") {
    EventLoop loop;
    auto pa = ports();
    auto pb = ports();
    const auto addrA = loopback(pa.rtpPort());
    const auto addrB = loopback(pb.rtpPort());
    Leg a(std::move(pa), mediaTo(addrB), {});
    Leg b(std::move(pb), mediaTo(addrA), {});
    a.tone = kToneA;
    b.tone = kToneB;
    watch(loop, *a.session);
    watch(loop, *b.session);
    drive(loop, 60, [&](int i, TimePoint now) {
        if (i == 5) {
            REQUIRE(a.session->sendDigit('5', 100ms));
            REQUIRE(a.session->sendDigit('#', 60ms));
            REQUIRE(b.session->sendDigit('9', 120ms));
        }
        a.onTick(now);
        b.onTick(now);
    });
    REQUIRE(b.digits.size() == 2);
    CHECK(b.digits[0].digit == '5');
    CHECK(b.digits[0].duration == 100ms);
    CHECK(b.digits[0].endSeen);
    CHECK(b.digits[1].digit == '#');
    CHECK(b.digits[1].duration == 60ms);
    REQUIRE(a.digits.size() == 1);
    CHECK(a.digits[0].digit == '9');
    CHECK(a.digits[0].duration == 120ms);
    CHECK(a.session->counters().dtmfOut == 2);
    CHECK(b.session->counters().dtmfIn == 2);
    CHECK(b.session->dtmfCounters().duplicates == 4);  // the redundant end packets
    // without telephone-event negotiated, no digits
    RtpSession plain(ports(), mediaTo(addrA, false), {}, Clock::now());
    CHECK_FALSE(plain.sendDigit('1'));
}

TEST_CASE("rtp session: a prepared packet leaves at sendPrepared(), and is never lost",
          "[rtp_session]") {
    RawPeer peer;
    RtpSession s(ports(), mediaTo(peer.addr), {}, Clock::now());
    AudioFrame f;
    toneFrame(f, 440, 0);
    auto sequenceOf = [](const std::vector<std::uint8_t>& bytes) {
        RtpPacketView v;
        REQUIRE(parseRtp(bytes, v) == RtpParseError::None);
        return v.header.sequence;
    };
    s.tick(Clock::now());
    s.prepareFrame(f);
    CHECK(s.counters().packetsOut == 1);
    CHECK_FALSE(peer.receive());  // built, not sent
    s.sendPrepared();
    auto first = peer.receive();
    REQUIRE(first);
    s.sendPrepared();  // nothing waits: nothing more is sent
    CHECK_FALSE(peer.receive());
    // A packet still waiting when the next tick prepares is sent first, in order.
    s.tick(Clock::now());
    s.prepareFrame(f);
    s.tick(Clock::now());
    s.prepareFrame(f);
    auto second = peer.receive();
    REQUIRE(second);
    CHECK_FALSE(peer.receive());
    s.sendPrepared();
    auto third = peer.receive();
    REQUIRE(third);
    CHECK(sequenceOf(*second) == static_cast<std::uint16_t>(sequenceOf(*first) + 1));
    CHECK(sequenceOf(*third) == static_cast<std::uint16_t>(sequenceOf(*first) + 2));
    CHECK(s.counters().packetsOut == 3);
    CHECK(s.counters().sendErrors == 0);
}

// The kernel may have no io_uring (or forbid it): SendRing::create() then fails, the media
// worker sends with sendto(), and these tests have nothing to check.
std::unique_ptr<SendRing> sendRingOrNothing(unsigned entries) {
    auto ring = SendRing::create(entries);
    if (!ring) {
        WARN("no io_uring here (" << ring.error().message << "): send ring not tested");
        return nullptr;
    }
    return std::move(*ring);
}

TEST_CASE("send ring: every session's prepared packet leaves in one submission",
          "[rtp_session][send_ring]") {
    auto ring = sendRingOrNothing(64);
    if (!ring) return;
    std::vector<RawPeer> peers(5);
    std::vector<std::unique_ptr<RtpSession>> sessions;
    for (auto& peer : peers)
        sessions.push_back(std::make_unique<RtpSession>(ports(), mediaTo(peer.addr),
                                                        RtpSessionConfig{}, Clock::now()));
    AudioFrame f;
    toneFrame(f, 440, 0);
    for (int round = 0; round < 3; ++round) {
        for (auto& s : sessions) {
            s->tick(Clock::now());
            s->prepareFrame(f);
            ring->add(*s);
        }
        for (auto& peer : peers) CHECK_FALSE(peer.receive());  // queued, not yet submitted
        ring->flush();
        for (std::size_t i = 0; i < peers.size(); ++i) {
            auto got = peers[i].receive();
            REQUIRE(got);
            RtpPacketView v;
            REQUIRE(parseRtp(*got, v) == RtpParseError::None);
            CHECK(v.header.ssrc == sessions[i]->ssrc());
            CHECK_FALSE(peers[i].receive());  // exactly one each
        }
    }
    CHECK(ring->submissions() == 3);
    CHECK(ring->packets() == 15);
    CHECK(ring->direct() == 0);
    CHECK(ring->live());
    for (auto& s : sessions) {
        CHECK(s->counters().packetsOut == 3);
        CHECK(s->counters().sendErrors == 0);
    }
    // A session with nothing prepared adds nothing; a flush with nothing queued submits nothing.
    ring->add(*sessions[0]);
    ring->flush();
    CHECK(ring->submissions() == 3);
    CHECK_FALSE(peers[0].receive());
}

TEST_CASE("send ring: more packets than its entries go out in several submissions",
          "[rtp_session][send_ring]") {
    auto ring = sendRingOrNothing(4);  // the kernel gives 4 entries
    if (!ring) return;
    RawPeer peer;
    std::vector<std::unique_ptr<RtpSession>> sessions;
    for (int i = 0; i < 10; ++i)
        sessions.push_back(std::make_unique<RtpSession>(ports(), mediaTo(peer.addr),
                                                        RtpSessionConfig{}, Clock::now()));
    AudioFrame f;
    toneFrame(f, 440, 0);
    for (auto& s : sessions) {
        s->tick(Clock::now());
        s->prepareFrame(f);
        ring->add(*s);
    }
    ring->flush();
    std::vector<std::uint32_t> ssrcs;
    while (auto got = peer.receive()) {
        RtpPacketView v;
        REQUIRE(parseRtp(*got, v) == RtpParseError::None);
        ssrcs.push_back(v.header.ssrc);
    }
    REQUIRE(ssrcs.size() == sessions.size());
    for (std::size_t i = 0; i < sessions.size(); ++i)
        CHECK(ssrcs[i] == sessions[i]->ssrc());  // in the order they were added
    CHECK(ring->submissions() == 3);  // 4 + 4 + 2
    CHECK(ring->packets() == 10);
}

TEST_CASE("send ring: without io_uring each packet leaves at add() through sendto()",
          "[rtp_session][send_ring]") {
    auto ring = SendRing::withoutRing();
    RawPeer peer;
    RtpSession s(ports(), mediaTo(peer.addr), {}, Clock::now());
    AudioFrame f;
    toneFrame(f, 440, 0);
    for (int round = 0; round < 2; ++round) {
        s.tick(Clock::now());
        s.prepareFrame(f);
        ring->add(s);
        CHECK(peer.receive());  // sent by add() itself
        ring->flush();          // nothing queued: nothing more
        CHECK_FALSE(peer.receive());
    }
    CHECK_FALSE(ring->live());
    CHECK(ring->direct() == 2);
    CHECK(ring->submissions() == 0);
    CHECK(ring->packets() == 0);
    CHECK(s.counters().packetsOut == 2);
    CHECK(s.counters().sendErrors == 0);
}

TEST_CASE("send ring: a failed send is its session's send error, as with sendto()",
          "[rtp_session][send_ring]") {
    auto ring = sendRingOrNothing(16);
    if (!ring) return;
    // An IPv6 destination from an IPv4 socket: the kernel refuses that send (EAFNOSUPPORT).
    const SocketAddress v6 = SocketAddress::fromHostPort("::1", 40000).value();
    RawPeer peer;
    RtpSession bad(ports(), mediaTo(v6), {}, Clock::now());
    RtpSession good(ports(), mediaTo(peer.addr), {}, Clock::now());
    RtpSession badDirect(ports(), mediaTo(v6), {}, Clock::now());
    AudioFrame f;
    toneFrame(f, 440, 0);
    for (RtpSession* s : {&bad, &good, &badDirect}) {
        s->tick(Clock::now());
        s->prepareFrame(f);
    }
    ring->add(bad);
    ring->add(good);
    ring->flush();
    badDirect.sendPrepared();
    CHECK(bad.counters().sendErrors == 1);
    CHECK(badDirect.counters().sendErrors == 1);
    CHECK(good.counters().sendErrors == 0);
    CHECK(peer.receive());  // the entry after the failed one still went out
    CHECK(ring->packets() == 1);
    CHECK(ring->live());  // a failed send is the packet's trouble, not the ring's
}

// The io_uring instances this process holds: their descriptors (/proc/self/fd links read
// "anon_inode:[io_uring]").
std::set<int> ioUringFds() {
    std::set<int> fds;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(entry.path(), ec);
        if (!ec && target.string() == "anon_inode:[io_uring]")
            fds.insert(std::stoi(entry.path().filename().string()));
    }
    return fds;
}

// The one io_uring descriptor that is in `now` and not in `before`.
int newRingFd(const std::set<int>& before, const std::set<int>& now) {
    std::vector<int> added;
    for (int fd : now)
        if (before.count(fd) == 0) added.push_back(fd);
    REQUIRE(added.size() == 1);
    return added.front();
}

// A ring broken for good, as by a kernel that stops honouring it: its descriptor now names
// /dev/null, so every io_uring_enter on it fails (EOPNOTSUPP).
void breakRing(int fd) {
    Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    REQUIRE(null);
    REQUIRE(::dup2(null.get(), fd) == fd);
}

TEST_CASE("send ring: a ring that fails for good sends with sendto() from then on",
          "[rtp_session][send_ring]") {
    const auto before = ioUringFds();
    auto ring = sendRingOrNothing(16);
    if (!ring) return;
    const int ringFd = newRingFd(before, ioUringFds());
    RawPeer peer;
    RtpSession s(ports(), mediaTo(peer.addr), {}, Clock::now());
    AudioFrame f;
    toneFrame(f, 440, 0);
    auto sendOne = [&] {
        s.tick(Clock::now());
        s.prepareFrame(f);
        ring->add(s);
        ring->flush();
    };
    sendOne();
    CHECK(peer.receive());
    CHECK(ring->packets() == 1);
    breakRing(ringFd);
    sendOne();  // the submission fails: the queued packet goes out with sendto()
    CHECK(peer.receive());
    CHECK_FALSE(ring->live());
    CHECK(ring->direct() == 1);
    sendOne();  // and every later one
    CHECK(peer.receive());
    CHECK(ring->direct() == 2);
    CHECK(ring->packets() == 1);
    CHECK(s.counters().packetsOut == 3);
    CHECK(s.counters().sendErrors == 0);
}

std::unique_ptr<RecvRing> recvRingOrNothing(unsigned buffers = RecvRing::kDefaultBuffers) {
    auto ring = RecvRing::create(buffers);
    if (!ring) {
        WARN("no io_uring receive here (" << ring.error().message << "): receive ring not tested");
        return nullptr;
    }
    return std::move(*ring);
}

std::uint32_t watched(RecvRing& ring, RtpSession& s) {
    auto slot = ring.watch(s);
    REQUIRE(slot.ok());
    return *slot;
}

// A ring (null where there is no io_uring) and one session on it, fed by one raw peer.
struct RingLeg {
    std::unique_ptr<RecvRing> ring = recvRingOrNothing();
    RawPeer peer;
    RtpSession s;
    std::uint32_t slot = RecvRing::kNoSlot;
    explicit RingLeg(RtpSessionConfig cfg = {})
        : s(ports(), mediaTo(peer.addr), std::move(cfg), Clock::now()) {
        if (ring) slot = watched(*ring, s);
    }
    ~RingLeg() {
        if (ring) ring->unwatch(slot, Clock::now());
    }
    void send(const std::vector<std::uint8_t>& bytes) const { peer.sendTo(localOf(s), bytes); }
};

// One tick of a worker for these sessions: one reap(), each delivered.
void readTick(RecvRing& ring, const std::vector<std::uint32_t>& slots) {
    ring.reap();
    for (auto slot : slots) ring.deliver(slot, Clock::now());
}

TEST_CASE("recv ring: the ready sockets are read together; each session gets its own "
          "datagrams in order, at deliver()",
          "[rtp_session][recv_ring]") {
    auto ring = recvRingOrNothing();
    if (!ring) return;
    RawPeer pa, pb, pc;
    RtpSession a(ports(), mediaTo(pa.addr), {}, Clock::now());
    RtpSession b(ports(), mediaTo(pb.addr), {}, Clock::now());
    RtpSession c(ports(), mediaTo(pc.addr), {}, Clock::now());
    const auto sa = watched(*ring, a), sb = watched(*ring, b), sc = watched(*ring, c);
    pa.sendTo(localOf(a), rtpBytes(1, 160, 11));
    pa.sendTo(localOf(a), rtpBytes(2, 320, 11));
    pb.sendTo(localOf(b), rtpBytes(7, 0, 22));
    ring->reap();  // c has nothing: not read
    CHECK(ring->datagrams() == 3);
    CHECK(ring->held() == 3);
    // Two rounds: a and b in one submission, then a again (still ready: it had two).
    CHECK(ring->submissions() == 2);
    CHECK(a.counters().packetsIn == 0);  // read, not yet handed over
    ring->deliver(sa, Clock::now());
    CHECK(a.counters().packetsIn == 2);
    CHECK(a.counters().audioIn == 2);
    CHECK(a.latched());
    CHECK(a.rtpDestination() == pa.addr);  // the datagrams' source came along
    CHECK(a.reception().extendedHighestSeq() == 2);
    ring->deliver(sb, Clock::now());
    ring->deliver(sc, Clock::now());
    CHECK(b.counters().packetsIn == 1);
    CHECK(b.rtpDestination() == pb.addr);
    CHECK(c.counters().packetsIn == 0);
    CHECK(c.counters().recvErrors == 0);  // an empty socket is no error
    CHECK(ring->held() == 0);
    // The next tick: only c has something.
    pc.sendTo(localOf(c), rtpBytes(1, 0, 33));
    readTick(*ring, {sa, sb, sc});
    CHECK(c.counters().packetsIn == 1);
    CHECK(a.counters().packetsIn == 2);
    CHECK(ring->submissions() == 3);
    for (auto slot : {sa, sb, sc}) ring->unwatch(slot, Clock::now());
}

TEST_CASE("recv ring: datagrams read late keep their kernel arrival times",
          "[rtp_session][recv_ring]") {
    // As "packets read late keep their kernel arrival times", through the ring.
    RingLeg leg;
    if (!leg.ring) return;
    const TimePoint start = Clock::now();
    for (int i = 0; i < 10; ++i) {
        std::this_thread::sleep_until(start + i * 20ms);
        leg.send(rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 7));
    }
    readTick(*leg.ring, {leg.slot});
    REQUIRE(leg.s.counters().audioIn == 10);
    CHECK(leg.s.reception().jitter() < 40);  // 5 ms
}

TEST_CASE("recv ring: a socket is read up to its bound; the rest waits in it for the next tick",
          "[rtp_session][recv_ring]") {
    RtpSessionConfig cfg;
    cfg.maxPacketsPerRead = 4;
    RingLeg leg(cfg);
    if (!leg.ring) return;
    for (int i = 0; i < 6; ++i) leg.send(rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 7));
    readTick(*leg.ring, {leg.slot});
    CHECK(leg.s.counters().packetsIn == 4);
    CHECK(leg.s.counters().readLimitHits == 1);
    readTick(*leg.ring, {leg.slot});
    CHECK(leg.s.counters().packetsIn == 6);
    CHECK(leg.s.counters().readLimitHits == 1);  // two left: the socket emptied before the bound
    CHECK(leg.s.counters().audioIn == 6);
}

TEST_CASE("recv ring: with fewer buffers than datagrams the rest waits in the sockets",
          "[rtp_session][recv_ring]") {
    auto ring = recvRingOrNothing(4);
    if (!ring) return;
    REQUIRE(ring->buffers() == 4);
    RawPeer pa, pb;
    RtpSession a(ports(), mediaTo(pa.addr), {}, Clock::now());
    RtpSession b(ports(), mediaTo(pb.addr), {}, Clock::now());
    const auto sa = watched(*ring, a), sb = watched(*ring, b);
    for (int i = 0; i < 3; ++i) {
        pa.sendTo(localOf(a), rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 1));
        pb.sendTo(localOf(b), rtpBytes(static_cast<std::uint16_t>(i), i * 160u, 2));
    }
    readTick(*ring, {sa, sb});
    CHECK(a.counters().packetsIn + b.counters().packetsIn == 4);
    CHECK(ring->bufferShortages() >= 1);
    CHECK(ring->held() == 0);  // every buffer back after deliver()
    readTick(*ring, {sa, sb});
    CHECK(a.counters().packetsIn == 3);
    CHECK(b.counters().packetsIn == 3);
    CHECK(a.counters().audioIn + b.counters().audioIn == 6);  // in order: none late or lost
    CHECK(a.counters().recvErrors + b.counters().recvErrors == 0);
    ring->unwatch(sa, Clock::now());
    ring->unwatch(sb, Clock::now());
}

TEST_CASE("recv ring: oversize and empty datagrams are malformed, as read by recvmmsg()",
          "[rtp_session][recv_ring]") {
    RingLeg leg;
    if (!leg.ring) return;
    // Larger than an RTP packet may be, larger than the ring's buffer (cut short), empty,
    // then a good one: all four read in one tick.
    std::vector<std::uint8_t> big(kMaxRtpPacket + 100, 0);
    big[0] = 0x80;
    std::vector<std::uint8_t> huge(3000, 0);
    huge[0] = 0x80;
    leg.send(big);
    leg.send(huge);
    leg.send({});
    leg.send(rtpBytes(3, 480, 7));
    readTick(*leg.ring, {leg.slot});
    CHECK(leg.s.counters().packetsIn == 4);
    CHECK(leg.s.counters().malformed == 3);
    CHECK(leg.s.counters().audioIn == 1);
    CHECK(leg.s.counters().bytesIn == big.size() + huge.size() + 172);  // lengths on the wire
    CHECK(leg.ring->held() == 0);
}

TEST_CASE("recv ring: without io_uring the ready sockets are read with recvmmsg() at deliver()",
          "[rtp_session][recv_ring]") {
    auto ring = RecvRing::withoutRing();
    REQUIRE(ring.ok());
    CHECK_FALSE((*ring)->live());
    RawPeer pa, pb;
    RtpSession a(ports(), mediaTo(pa.addr), {}, Clock::now());
    RtpSession b(ports(), mediaTo(pb.addr), {}, Clock::now());
    const auto sa = watched(**ring, a), sb = watched(**ring, b);
    pa.sendTo(localOf(a), rtpBytes(1, 160, 7));
    pa.sendTo(localOf(a), rtpBytes(2, 320, 7));
    (*ring)->reap();
    CHECK(a.counters().packetsIn == 0);  // marked, not read
    (*ring)->deliver(sa, Clock::now());
    (*ring)->deliver(sb, Clock::now());
    CHECK(a.counters().packetsIn == 2);
    CHECK(a.counters().audioIn == 2);
    CHECK(b.counters().packetsIn == 0);
    CHECK((*ring)->submissions() == 0);
    CHECK((*ring)->datagrams() == 0);
    pb.sendTo(localOf(b), rtpBytes(1, 160, 8));
    readTick(**ring, {sa, sb});
    CHECK(b.counters().packetsIn == 1);
    CHECK(a.counters().packetsIn == 2);
    (*ring)->unwatch(sa, Clock::now());
    (*ring)->unwatch(sb, Clock::now());
}

TEST_CASE("recv ring: a ring that fails for good leaves the reading to recvmmsg(), nothing lost",
          "[rtp_session][recv_ring]") {
    const auto before = ioUringFds();
    RingLeg leg;
    if (!leg.ring) return;
    const int ringFd = newRingFd(before, ioUringFds());
    leg.send(rtpBytes(1, 160, 7));
    readTick(*leg.ring, {leg.slot});
    CHECK(leg.s.counters().packetsIn == 1);
    breakRing(ringFd);
    leg.send(rtpBytes(2, 320, 7));
    leg.send(rtpBytes(3, 480, 7));
    readTick(*leg.ring, {leg.slot});  // the submission fails; deliver() reads the socket
    CHECK_FALSE(leg.ring->live());
    CHECK(leg.s.counters().packetsIn == 3);
    leg.send(rtpBytes(4, 640, 7));
    readTick(*leg.ring, {leg.slot});
    CHECK(leg.s.counters().packetsIn == 4);
    CHECK(leg.s.counters().audioIn == 4);
    CHECK(leg.s.counters().recvErrors == 0);
}

TEST_CASE("recv ring: unwatch() hands over what was read; a slot used again starts empty",
          "[rtp_session][recv_ring]") {
    auto ring = recvRingOrNothing();
    if (!ring) return;
    RawPeer peer;
    RtpSession a(ports(), mediaTo(peer.addr), {}, Clock::now());
    const auto sa = watched(*ring, a);
    peer.sendTo(localOf(a), rtpBytes(1, 160, 7));
    peer.sendTo(localOf(a), rtpBytes(2, 320, 7));
    ring->reap();
    REQUIRE(ring->held() == 2);
    ring->unwatch(sa, Clock::now());  // e.g. the leg moves to another worker
    CHECK(a.counters().packetsIn == 2);
    CHECK(ring->held() == 0);
    // Let go with a datagram waiting: the ring no longer reads that socket.
    RtpSession b(ports(), mediaTo(peer.addr), {}, Clock::now());
    const auto sb = watched(*ring, b);
    CHECK(sb == sa);  // the slot is used again
    peer.sendTo(localOf(b), rtpBytes(1, 160, 9));
    ring->unwatch(sb, Clock::now());
    ring->reap();
    CHECK(ring->datagrams() == 2);
    CHECK(b.counters().packetsIn == 0);
    b.onRtpReadable(Clock::now());  // still in b's socket
    CHECK(b.counters().packetsIn == 1);
    RtpSession c(ports(), mediaTo(peer.addr), {}, Clock::now());
    const auto sc = watched(*ring, c);
    ring->deliver(sc, Clock::now());
    CHECK(c.counters().packetsIn == 0);
    ring->unwatch(sc, Clock::now());
}

TEST_CASE("rtp session: BYE reaches the peer", "[rtp_session]") {
    auto pa = ports();
    auto pb = ports();
    const auto addrA = loopback(pa.rtpPort());
    const auto addrB = loopback(pb.rtpPort());
    RtpSession a(std::move(pa), mediaTo(addrB), {}, Clock::now());
    RtpSession b(std::move(pb), mediaTo(addrA), {}, Clock::now());
    AudioFrame f;
    toneFrame(f, 440, 0);
    a.tick(Clock::now());
    a.pushFrame(f);
    b.onRtpReadable(Clock::now());
    a.sendBye(Clock::now());
    b.onRtcpReadable(Clock::now());
    CHECK(b.counters().rtcpIn == 1);
    CHECK(b.counters().byeIn == 1);
}

// --- re-latching: a stray packet that won the latch gives way to the SDP address ---

namespace {

// Sends one valid PCMU packet from `peer` and lets the session read it at time `at`.
void deliverAt(RtpSession& s, const RawPeer& peer, std::uint16_t seq, std::uint32_t ssrc,
               TimePoint at) {
    peer.sendTo(localOf(s), rtpBytes(seq, seq * 160u, ssrc, 0, 160, 0x80));
    s.onRtpReadable(at);
}

int drain(const RawPeer& peer) {
    int n = 0;
    while (peer.receive()) ++n;
    return n;
}

void pushOne(RtpSession& s, TimePoint now) {
    AudioFrame f;
    toneFrame(f, 440, 0);
    s.tick(now);
    s.pushFrame(f);
}

}  // namespace

TEST_CASE("rtp session: a quiet stray latch gives way to the SDP address", "[rtp_session]") {
    RawPeer sdpPeer;  // where signalling says the stream comes from
    RawPeer stray;    // a previous call's sender on a reused port
    RtpSessionConfig cfg;
    cfg.relatchAfterQuiet = 1s;
    RtpSession s(ports(), mediaTo(sdpPeer.addr), cfg, Clock::now());
    const TimePoint t0 = Clock::now();

    deliverAt(s, stray, 1, 111, t0);  // the stray wins the latch
    REQUIRE(s.latched());
    CHECK(s.rtpDestination() == stray.addr);

    // the real peer starts while the stray is still live: no take-over
    deliverAt(s, stray, 2, 111, t0 + 20ms);
    deliverAt(s, sdpPeer, 1, 222, t0 + 40ms);
    CHECK(s.counters().strangers == 1);
    CHECK(s.rtpDestination() == stray.addr);

    // the stray goes quiet; the SDP address keeps sending, held off until 1 s of quiet
    std::uint16_t seq = 2;
    for (auto t = 60ms; t < 1020ms; t += 20ms) deliverAt(s, sdpPeer, seq++, 222, t0 + t);
    CHECK(s.counters().relatches == 0);
    CHECK(s.rtpDestination() == stray.addr);
    const auto strangersBefore = s.counters().strangers;
    deliverAt(s, sdpPeer, seq++, 222, t0 + 1020ms);  // 1 s since the stray's last packet
    CHECK(s.counters().relatches == 1);
    CHECK(s.counters().strangers == strangersBefore);
    CHECK(s.latched());
    CHECK(s.rtpDestination() == sdpPeer.addr);
    CHECK(s.rtcpDestination().port() == sdpPeer.addr.port() + 1);
    CHECK(s.counters().ssrcChanges == 1);  // the stray's SSRC, then the peer's

    // we now send to the SDP address, and the stray is a stranger when it comes back
    drain(stray);
    drain(sdpPeer);
    pushOne(s, t0 + 1030ms);
    CHECK(drain(sdpPeer) == 1);
    CHECK(drain(stray) == 0);
    deliverAt(s, stray, 3, 111, t0 + 1040ms);
    CHECK(s.counters().strangers == strangersBefore + 1);
    CHECK(s.rtpDestination() == sdpPeer.addr);
    CHECK(s.counters().relatches == 1);
}

TEST_CASE("rtp session: a malformed packet from the SDP address does not re-latch",
          "[rtp_session]") {
    RawPeer sdpPeer, stray;
    RtpSession s(ports(), mediaTo(sdpPeer.addr), {}, Clock::now());
    const TimePoint t0 = Clock::now();
    deliverAt(s, stray, 1, 111, t0);
    REQUIRE(s.rtpDestination() == stray.addr);
    sdpPeer.sendTo(localOf(s), rtpBytes(1, 160, 222, 0, 100));  // not whole frames
    s.onRtpReadable(t0 + 2s);
    sdpPeer.sendTo(localOf(s), rtpBytes(2, 320, 222, 96));  // payload type not negotiated
    s.onRtpReadable(t0 + 2s);
    CHECK(s.counters().relatches == 0);
    CHECK(s.rtpDestination() == stray.addr);
    deliverAt(s, sdpPeer, 3, 222, t0 + 2s);
    CHECK(s.counters().relatches == 1);
    CHECK(s.rtpDestination() == sdpPeer.addr);
}

TEST_CASE("rtp session: a stranger cannot take over a live stream, nor a quiet one",
          "[rtp_session]") {
    RawPeer sdpPeer;   // announced in SDP, silent (a private address behind NAT, say)
    RawPeer natted;    // where the peer's packets really come from
    RawPeer stranger;  // neither
    RtpSession s(ports(), mediaTo(sdpPeer.addr), {}, Clock::now());
    const TimePoint t0 = Clock::now();
    std::uint16_t seq = 1;
    for (auto t = 0ms; t < 400ms; t += 20ms) {
        deliverAt(s, natted, seq++, 333, t0 + t);
        stranger.sendTo(localOf(s), rtpBytes(seq, seq * 160u, 999, 0, 160, 0x11));
        s.onRtpReadable(t0 + t + 1ms);
    }
    CHECK(s.counters().strangers == 20);
    CHECK(s.rtpDestination() == natted.addr);
    // the latched source goes quiet for 5 s: a stranger still cannot take it
    for (int i = 0; i < 10; ++i) {
        stranger.sendTo(localOf(s), rtpBytes(seq, seq * 160u, 999, 0, 160, 0x11));
        s.onRtpReadable(t0 + 5s + i * 20ms);
        ++seq;
    }
    CHECK(s.counters().strangers == 30);
    CHECK(s.counters().relatches == 0);
    CHECK(s.rtpDestination() == natted.addr);
    CHECK(s.counters().ssrcChanges == 0);
    // and the natted source carries on where it left off
    deliverAt(s, natted, seq++, 333, t0 + 5300ms);
    CHECK(s.counters().audioIn == 21);
}

TEST_CASE("rtp session: re-latching can be turned off", "[rtp_session]") {
    RawPeer sdpPeer, stray;
    RtpSessionConfig cfg;
    cfg.relatchAfterQuiet = parley::common::Duration::zero();
    RtpSession s(ports(), mediaTo(sdpPeer.addr), cfg, Clock::now());
    const TimePoint t0 = Clock::now();
    deliverAt(s, stray, 1, 111, t0);
    deliverAt(s, sdpPeer, 1, 222, t0 + 10s);
    CHECK(s.counters().relatches == 0);
    CHECK(s.counters().strangers == 1);
    CHECK(s.rtpDestination() == stray.addr);
}

TEST_CASE("rtp session: a re-INVITE with a new remote address restarts latching", "[rtp_session]") {
    RawPeer first, second, rtcpFirst, rtcpSecond;
    auto m = mediaTo(first.addr);
    RtpSession s(ports(), m, {}, Clock::now());
    const TimePoint t0 = Clock::now();
    deliverAt(s, first, 1, 111, t0);
    REQUIRE(s.latched());
    rtcpFirst.sendTo(loopback(static_cast<std::uint16_t>(s.localRtpPort() + 1)),
                     {0x80, 201, 0, 1, 0, 0, 0, 111});  // an empty RR from the first peer
    s.onRtcpReadable(t0);
    REQUIRE(s.counters().rtcpIn == 1);
    CHECK(s.rtcpDestination() == rtcpFirst.addr);

    // a re-INVITE that only changes the direction keeps the latch
    m.direction = MediaDirection::SendOnly;
    s.updateMedia(m);
    CHECK(s.latched());
    CHECK(s.rtpDestination() == first.addr);
    m.direction = MediaDirection::SendRecv;
    s.updateMedia(m);

    // a re-INVITE to a new address: the latch is dropped, we send where the SDP says
    m.remoteRtp = second.addr;
    m.remoteRtcp = rtcpSecond.addr;
    s.updateMedia(m);
    CHECK_FALSE(s.latched());
    CHECK(s.rtpDestination() == second.addr);
    CHECK(s.rtcpDestination() == rtcpSecond.addr);
    drain(second);
    pushOne(s, t0 + 20ms);
    CHECK(drain(second) == 1);
    CHECK(drain(first) == 0);

    // the new source latches at once (no quiet period), the old one is a stranger now
    deliverAt(s, second, 1, 222, t0 + 40ms);
    CHECK(s.latched());
    CHECK(s.rtpDestination() == second.addr);
    deliverAt(s, first, 2, 111, t0 + 60ms);
    CHECK(s.counters().strangers == 1);
    CHECK(s.counters().relatches == 0);
    // RTCP latching restarted too: the old peer's late RR may win it, but the SDP's RTCP
    // address takes it back once the old one has been quiet for the re-latch period
    const auto rtcpPort = loopback(static_cast<std::uint16_t>(s.localRtpPort() + 1));
    rtcpFirst.sendTo(rtcpPort, {0x80, 201, 0, 1, 0, 0, 0, 111});
    s.onRtcpReadable(t0 + 60ms);
    CHECK(s.rtcpDestination() == rtcpFirst.addr);
    rtcpSecond.sendTo(rtcpPort, {0x80, 201, 0, 1, 0, 0, 0, 222});
    s.onRtcpReadable(t0 + 80ms);
    CHECK(s.counters().rtcpStrangers == 1);
    CHECK(s.rtcpDestination() == rtcpFirst.addr);
    rtcpSecond.sendTo(rtcpPort, {0x80, 201, 0, 1, 0, 0, 0, 222});
    s.onRtcpReadable(t0 + 1100ms);
    CHECK(s.counters().rtcpRelatches == 1);
    CHECK(s.rtcpDestination() == rtcpSecond.addr);
    CHECK(s.counters().rtcpIn == 3);
}

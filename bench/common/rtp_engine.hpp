#pragma once
// RtpEngine: the phones of the load generators (bench_mix_load's RtpLoad, bench_ivr_load's
// IvrRtp). One UDP socket on 127.0.0.1 carries every leg (each leg's INVITE offers this
// socket's port; parley-ms gives each leg its own port, so a packet's source port says which
// leg it belongs to). One thread, inside a common::EventLoop: a periodic absolute timerfd
// paces the sending, recvmmsg reads, stamped by the kernel (SO_TIMESTAMPNS, taken when
// parley-ms's send reaches our socket on loopback, so the generator's own scheduling does
// not enter it).
//
// Sending: every leg sends one packet every 20 ms with continuous sequence numbers and a
// media clock that advances 160 per frame. The legs are spread over `slots` phases of the
// 20 ms period (the timer fires every 20/slots ms and sends one slot's legs with sendmmsg),
// as real phones are not synchronised. What a leg sends is the Media's: nextPacket() gets
// the defaults (PCMU, 160 bytes, marker on the leg's first packet, the leg's media clock, one
// copy) and picks the payload; copies > 1 repeat the packet with new sequence numbers and no
// marker (RFC 4733 end packets). More than 5 periods of late timer slots are dropped.
//
// Receiving, per stream parley-ms sends back, while measuring: |inter-arrival - 20 ms| over
// consecutive sequence numbers (histogram, us), sequence gaps, late/duplicate packets,
// timestamp jumps, short streams (fewer packets than the window allows: a sender that skips
// ticks keeps its sequence continuous), our own socket's drops (SO_RXQ_OVFL). Every packet in
// sequence (measuring or not) then goes to Media::onMedia. The loopback one-way time is
// measured at start() (median of 101 probes) for the Media's latencies.
//
// Contract: loop thread only; the Media outlives the engine; addLeg() before start();
// setRemote() any time (sending starts then); no allocation on the packet path once start()
// has run.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench/common/histogram.hpp"
#include "bench/common/stall_probe.hpp"
#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::bench {

// CLOCK_REALTIME in ns (the clock of the kernel's receive stamps).
std::int64_t realtimeNs();

inline constexpr std::size_t kRtpFrameBytes = 160;  // 20 ms of G.711
inline constexpr std::int64_t kRtpFrameNs = 20'000'000;

struct RtpEngineConfig {
    int slots = 10;  // phases per 20 ms (1..20)
    bool silent = false;  // legs send nothing
    // false: the socket is read on every send-timer expiry (no wake-up per packet);
    // true: it is watched in epoll.
    bool rxWakeups = false;
    // true: sent / send errors / late slots count from beginMeasure() on, also after
    // endMeasure(); false: only inside the window.
    bool countSendsAfterWindow = true;
    int socketBufferBytes = 16 << 20;
    std::uint32_t ssrcBase = 0;  // leg i's SSRC is ssrcBase + i
};

// What the engine measured over the window (the Media's own counts come on top).
struct RtpStreamReport {
    std::uint64_t legs = 0;
    std::uint64_t received = 0;       // packets from parley-ms while measuring
    std::uint64_t lost = 0;           // sequence gaps
    std::uint64_t lateOrDup = 0;      // sequence at or behind the highest seen
    std::uint64_t socketDrops = 0;    // our receive buffer overflowed (generator too slow)
    std::uint64_t silentStreams = 0;  // legs that received nothing while measuring
    std::uint64_t due = 0;            // packets a stream on time would have sent in the window
    std::uint64_t shortStreams = 0;   // streams with fewer than due - 1 packets (ticks not sent)
    std::uint64_t shortfall = 0;      // packets missing from those streams
    std::uint64_t tsJumps = 0;        // consecutive sequence numbers whose timestamps skip
    std::uint64_t sent = 0;
    std::uint64_t sendErrors = 0;
    std::uint64_t lateSlots = 0;          // timer expirations that found more than one slot due
    std::int64_t networkMicros = 0;       // loopback one-way time
    const Histogram* interval = nullptr;  // |interval - 20 ms|, us
    // With a stall probe: the intervals that a stall of parley-ms's CPU fell into (or into
    // the 20 ms before them: the interval after a late packet), and |interval - 20 ms| of the
    // others. Without one: 0 and nullptr.
    std::uint64_t stallTouched = 0;
    const Histogram* calmInterval = nullptr;
};

// One packet to send; nextPacket() receives it filled with the defaults.
struct RtpOut {
    const std::uint8_t* payload = nullptr;  // must be set (lives until the slot is sent)
    std::size_t len = kRtpFrameBytes;
    std::uint8_t payloadType = 0;  // PCMU
    bool marker = false;           // default: the leg's first packet
    std::uint32_t timestamp = 0;   // default: the leg's media clock
    int copies = 1;
};

// When the packet goes out: the slot's start and the current sendmmsg batch's start
// (CLOCK_REALTIME ns).
struct RtpSendTime {
    std::int64_t slotNs = 0;
    std::int64_t batchNs = 0;
};

class RtpEngine {
  public:
    class Media {
      public:
        virtual ~Media() = default;
        virtual void nextPacket(std::size_t leg, const RtpSendTime& when, RtpOut& out) = 0;
        // A packet of `leg` in sequence; its payload starts at data + offset (offset may be
        // past len for a malformed extension: check before reading).
        virtual void onMedia(std::size_t leg, const std::uint8_t* data, std::size_t len,
                             std::size_t offset, std::int64_t arrivalNs) = 0;
    };

    static common::Result<std::unique_ptr<RtpEngine>> create(common::EventLoop& loop,
                                                             RtpEngineConfig config, Media& media);
    ~RtpEngine();
    RtpEngine(const RtpEngine&) = delete;
    RtpEngine& operator=(const RtpEngine&) = delete;

    std::uint16_t port() const { return port_; }
    // A new leg; `firstInSlot` puts it ahead of the legs already in its slot (its send time is
    // then the slot's). Returns the leg index (dense from 0).
    std::size_t addLeg(bool firstInSlot = false);
    std::size_t legs() const;
    // Where parley-ms receives this leg's RTP (from the SDP answer); sending starts then.
    void setRemote(std::size_t leg, const common::SocketAddress& ms);
    bool hasRemote(std::size_t leg) const;

    // Measures the loopback one-way time, then starts the timer (first expiry on a whole
    // second) and, with rxWakeups, the receive watch.
    common::Status start();
    // Intervals touched by the probe's stalls are also counted apart (report().stallTouched,
    // calmInterval). The probe must outlive the engine's measuring; nullptr: none.
    void setStallProbe(const StallProbe* probe) { stallProbe_ = probe; }
    void beginMeasure();
    void endMeasure();
    bool measuring() const { return measuring_; }
    // 20 ms periods since the first timer expiry.
    std::uint64_t frame() const { return frame_; }
    std::int64_t networkNs() const { return networkNs_; }
    RtpStreamReport report() const;

  private:
    struct Leg;
    struct Batch;
    RtpEngine(common::EventLoop& loop, RtpEngineConfig config, Media& media);
    void onTimer();
    void advanceSlot();
    void sendSlot(int slot);
    void onReadable();
    void onPacket(const std::uint8_t* data, std::size_t len, std::uint16_t fromPort,
                  std::int64_t arrivalNs);
    void measureNetwork();

    common::EventLoop& loop_;
    RtpEngineConfig config_;
    Media& media_;
    common::Fd fd_;
    common::Fd timerFd_;
    std::uint16_t port_ = 0;
    std::vector<Leg> legs_;
    std::vector<std::vector<std::size_t>> slotLegs_;
    std::vector<std::int32_t> legByPort_;
    std::unique_ptr<Batch> batch_;
    std::uint64_t frame_ = 0;
    int slotCursor_ = 0;
    bool measuring_ = false;
    std::int64_t networkNs_ = 0;
    std::int64_t measureStartNs_ = 0;
    std::int64_t measureEndNs_ = 0;

    std::uint64_t sent_ = 0;
    std::uint64_t sendErrors_ = 0;
    std::uint64_t lateSlots_ = 0;
    std::uint64_t received_ = 0;
    std::uint64_t lost_ = 0;
    std::uint64_t lateOrDup_ = 0;
    std::uint64_t tsJumps_ = 0;
    std::uint64_t dropsAtStart_ = 0;
    std::uint64_t drops_ = 0;
    Histogram interval_;
    const StallProbe* stallProbe_ = nullptr;
    std::uint64_t stallTouched_ = 0;
    Histogram calmInterval_;
};

}  // namespace parley::bench

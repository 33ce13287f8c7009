#pragma once
// RtpLoad: the phones of the mix benchmark. One UDP socket on 127.0.0.1 carries every leg
// (each leg's INVITE offers this socket's port; parley-ms's legs each have their own port,
// so a packet's source port says which leg it belongs to). Runs on one thread, inside a
// common::EventLoop (epoll): a periodic absolute timerfd paces the sending, recvmmsg reads.
//
// Sending: every leg sends one PCMU packet every 20 ms with continuous sequence numbers and
// timestamps. The legs are spread over `slots` phases of the 20 ms period (the timer fires
// every 20/slots ms and sends one slot's legs with sendmmsg), as real phones are not
// synchronised. A talker sends its own steady tone (integer cycles per frame, so each
// frame's payload is the same precomputed 160 bytes). The probe leg of each conference
// sends silence with a tone burst of `burstFrames` every `burstEvery` frames (phases
// staggered over the conferences): the burst's onset is the marker whose arrival in the
// other legs' streams gives the mixer's added delay. In `silent` mode nothing is sent.
//
// Receiving (what parley-ms sends back), per stream, while measuring:
// - the inter-arrival interval from kernel receive timestamps (SO_TIMESTAMPNS, taken when
//   parley-ms's send reaches our socket on loopback, so the generator's own scheduling
//   does not enter it): histogram of |interval - 20 ms| over consecutive sequence numbers;
// - loss: the sum of sequence gaps; late/duplicate packets counted apart; and, since a
//   sender that skips ticks keeps its sequence numbers continuous, streams that delivered
//   fewer packets than the window's length allows (short streams);
// - delay: for each burst onset, the first packet of each listener of that conference whose
//   payload holds the probe tone (Goertzel at the probe frequency); delay = its arrival -
//   the onset's send time - the loopback one-way time measured at start. A listener that
//   does not hear the onset before the next one counts as missed.
// - receive-buffer drops of our own socket (SO_RXQ_OVFL), so generator overload is visible.
//
// Contract: loop thread only; addLeg/setRemote before or after start(); no allocation on
// the packet path once the legs are added (buffers are sized in start()).

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/mix_load/histogram.hpp"
#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::bench {

struct RtpLoadConfig {
    int slots = 10;           // phases per 20 ms
    bool silent = false;      // legs send nothing
    int burstEvery = 50;      // frames between probe onsets (1 s)
    int burstFrames = 5;      // frames of probe tone per burst
    double probeHz = 2000.0;  // the probe's tone (a multiple of 50 Hz)
    double probeAmplitude = 6000;
    double talkerAmplitude = 2000;
    int socketBufferBytes = 16 << 20;
    // false: the socket is read on every send-timer expiry (no wake-up per packet);
    // true: it is watched in epoll.
    bool rxWakeups = false;
};

struct RtpLoadReport {
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
    std::uint64_t lateSlots = 0;  // timer expirations that found more than one slot due
    std::uint64_t onsets = 0;     // listener x onset pairs due
    std::uint64_t missedOnsets = 0;
    std::int64_t networkMicros = 0;       // loopback one-way time subtracted from delays
    const Histogram* interval = nullptr;  // |interval - 20 ms|, us
    const Histogram* delay = nullptr;     // onset send -> arrival at a listener - network, us
};

class RtpLoad {
  public:
    enum class Role { Talker, Probe };

    static common::Result<std::unique_ptr<RtpLoad>> create(common::EventLoop& loop,
                                                           RtpLoadConfig config);
    ~RtpLoad();
    RtpLoad(const RtpLoad&) = delete;
    RtpLoad& operator=(const RtpLoad&) = delete;

    std::uint16_t port() const { return port_; }

    // A leg of conference `conference` (dense indices from 0). Talkers get distinct tones
    // by `voice` (0..8). Returns the leg index.
    std::size_t addLeg(std::size_t conference, Role role, int voice);
    // Where parley-ms receives this leg's RTP (from the SDP answer); sending starts then.
    void setRemote(std::size_t leg, const common::SocketAddress& ms);

    // Starts the timer and the receive watch; measures the loopback one-way time first.
    common::Status start();
    void beginMeasure();
    void endMeasure();
    RtpLoadReport report() const;

  private:
    struct Leg;
    struct Conference;
    RtpLoad(common::EventLoop& loop, RtpLoadConfig config);
    void onTimer();
    void sendSlot(int slot);
    void onReadable();
    void onPacket(const std::uint8_t* data, std::size_t len, std::uint16_t fromPort,
                  std::int64_t arrivalNs);
    void measureNetwork();

    common::EventLoop& loop_;
    RtpLoadConfig config_;
    common::Fd fd_;
    common::Fd timerFd_;
    std::uint16_t port_ = 0;
    std::vector<Leg> legs_;
    std::vector<Conference> conferences_;
    std::vector<std::vector<std::size_t>> slotLegs_;  // probes first in each slot
    std::vector<std::int32_t> legByPort_;
    std::vector<std::vector<std::uint8_t>> voices_;  // one 160-byte payload per voice
    std::vector<std::uint8_t> probePayload_;
    std::vector<std::uint8_t> silencePayload_;
    double probeCoeff_ = 0;    // Goertzel coefficient of the probe frequency
    std::uint64_t frame_ = 0;  // 20 ms periods since start
    int slotCursor_ = 0;
    bool measuring_ = false;
    std::int64_t networkNs_ = 0;
    std::int64_t measureStartNs_ = 0;
    std::int64_t measureEndNs_ = 0;
    std::uint64_t tsJumps_ = 0;

    // scratch for sendmmsg / recvmmsg
    struct Batch;
    std::unique_ptr<Batch> batch_;

    std::uint64_t sent_ = 0;
    std::uint64_t sendErrors_ = 0;
    std::uint64_t lateSlots_ = 0;
    std::uint64_t received_ = 0;
    std::uint64_t lost_ = 0;
    std::uint64_t lateOrDup_ = 0;
    std::uint64_t dropsAtStart_ = 0;
    std::uint64_t drops_ = 0;
    std::uint64_t onsets_ = 0;
    std::uint64_t missed_ = 0;
    Histogram interval_;
    Histogram delay_;
};

}  // namespace parley::bench

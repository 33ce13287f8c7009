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
// The socket, pacing, receive stamps and per-stream interval/loss figures are the shared
// RtpEngine's (bench/common/rtp_engine.hpp); RtpLoad chooses the payloads and finds the
// probe onsets.
//
// Contract: loop thread only; addLeg/setRemote before or after start(); no allocation on
// the packet path once the legs are added (buffers are sized in start()).

#include <cstdint>
#include <memory>
#include <vector>

#include "bench/common/histogram.hpp"
#include "bench/common/rtp_engine.hpp"
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

// The engine's stream figures plus the mixer-delay probe's.
struct RtpLoadReport : RtpStreamReport {
    std::uint64_t onsets = 0;  // listener x onset pairs due
    std::uint64_t missedOnsets = 0;
    const Histogram* delay = nullptr;  // onset send -> arrival at a listener - network, us
};

class RtpLoad final : private RtpEngine::Media {
  public:
    enum class Role { Talker, Probe };

    static common::Result<std::unique_ptr<RtpLoad>> create(common::EventLoop& loop,
                                                           RtpLoadConfig config);
    ~RtpLoad() override = default;
    RtpLoad(const RtpLoad&) = delete;
    RtpLoad& operator=(const RtpLoad&) = delete;

    std::uint16_t port() const { return engine_->port(); }

    // A leg of conference `conference` (dense indices from 0). Talkers get distinct tones
    // by `voice` (0..8). Returns the leg index.
    std::size_t addLeg(std::size_t conference, Role role, int voice);
    // Where parley-ms receives this leg's RTP (from the SDP answer); sending starts then.
    void setRemote(std::size_t leg, const common::SocketAddress& ms) { engine_->setRemote(leg, ms); }
    void setStallProbe(const StallProbe* probe) { engine_->setStallProbe(probe); }

    // Starts the timer and the receive watch; measures the loopback one-way time first.
    common::Status start() { return engine_->start(); }
    void beginMeasure();
    void endMeasure();
    RtpLoadReport report() const;

  private:
    struct Leg {
        std::size_t conference = 0;
        Role role = Role::Talker;
        int voice = 0;
        bool heardOnset = false;
    };
    struct Conference {
        std::vector<std::size_t> listeners;
        std::uint64_t phase = 0;
        std::int64_t onsetNs = 0;
        bool waiting = false;
        bool counted = false;  // the onset fell inside the measuring window
        std::size_t heard = 0;
    };
    explicit RtpLoad(RtpLoadConfig config);
    void nextPacket(std::size_t leg, const RtpSendTime& when, RtpOut& out) override;
    void onMedia(std::size_t leg, const std::uint8_t* data, std::size_t len, std::size_t offset,
                 std::int64_t arrivalNs) override;

    RtpLoadConfig config_;
    std::unique_ptr<RtpEngine> engine_;
    std::vector<Leg> legs_;
    std::vector<Conference> conferences_;
    std::vector<std::vector<std::uint8_t>> voices_;  // one 160-byte payload per voice
    std::vector<std::uint8_t> probePayload_;
    std::vector<std::uint8_t> silencePayload_;
    double probeCoeff_ = 0;  // Goertzel coefficient of the probe frequency
    std::uint64_t onsets_ = 0;
    std::uint64_t missed_ = 0;
    Histogram delay_;
};

}  // namespace parley::bench

#pragma once
// IvrRtp: the callers of the IVR benchmark. One UDP socket on 127.0.0.1 carries every leg
// (each leg's INVITE offers this socket's port; parley-ms gives each leg its own port, so a
// packet's source port says which leg it belongs to). One thread, inside a
// common::EventLoop: a periodic absolute timerfd paces the sending (legs spread over
// `slots` phases of the 20 ms period, each phase sent with sendmmsg) and the socket is read
// with recvmmsg on every timer expiry, stamped by the kernel (SO_TIMESTAMPNS).
//
// Sending, per leg, one PCMU packet every 20 ms with continuous sequence numbers and
// timestamps: the caller's tone (callerHz) while talking, else digital silence; setTalking()
// switches every leg at its next packet and toneFrames() counts the tone packets each leg
// sent (what a recording of it must hold). sendDigits() replaces the audio of one leg by
// RFC 4733 events (payload type 101): per digit `digitFrames` event packets (marker on the
// first, duration growing), the end packet three times, then `gapFrames` of audio; the
// callback gets the send time (CLOCK_REALTIME ns) of each digit's first end packet.
//
// Receiving, per stream parley-ms sends back, while measuring: |inter-arrival - 20 ms| from
// the kernel's receive stamps over consecutive sequence numbers (histogram), sequence gaps,
// late/duplicate packets, short streams (fewer packets than the window allows: a sender
// that skips ticks keeps its sequence continuous), timestamp jumps, our own socket's drops
// (SO_RXQ_OVFL); and on legs added with checkPrompt, whether each frame holds one of the
// prompt's tones (Goertzel): frames that do not are counted as prompt gaps.
//
// The socket, pacing, receive stamps and per-stream figures are the shared RtpEngine's
// (bench/common/rtp_engine.hpp); IvrRtp chooses the payloads (tone, silence, RFC 4733
// events) and checks the prompt.
//
// Contract: loop thread only; addLeg() before start(); no allocation on the packet path.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/histogram.hpp"
#include "bench/common/rtp_engine.hpp"
#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::bench {

struct IvrRtpConfig {
    int slots = 10;
    double callerHz = 400.0;  // a multiple of 50 Hz: every frame's payload is the same
    double callerAmplitude = 3000;
    bool talking = true;
    std::vector<double> promptHz;  // tones the prompt is made of (multiples of 50 Hz)
    double promptMinAmplitude = 1500;
    int digitFrames = 5;  // 100 ms per digit
    int gapFrames = 5;    // 100 ms of audio between digits
    int socketBufferBytes = 16 << 20;
};

// The engine's stream figures plus the prompt check's.
struct IvrRtpReport : RtpStreamReport {
    std::uint64_t promptFrames = 0;  // frames checked on checkPrompt legs
    std::uint64_t promptGaps = 0;    // of those, frames without any prompt tone
};

class IvrRtp final : private RtpEngine::Media {
  public:
    using DigitsSent = std::function<void(std::vector<std::int64_t> endSentNs)>;

    static common::Result<std::unique_ptr<IvrRtp>> create(common::EventLoop& loop,
                                                          IvrRtpConfig config);
    ~IvrRtp() override;
    IvrRtp(const IvrRtp&) = delete;
    IvrRtp& operator=(const IvrRtp&) = delete;

    std::uint16_t port() const { return engine_->port(); }
    std::size_t addLeg(bool checkPrompt);
    void setRemote(std::size_t leg, const common::SocketAddress& ms) { engine_->setRemote(leg, ms); }
    void setStallProbe(const StallProbe* probe) { engine_->setStallProbe(probe); }
    common::Status start() { return engine_->start(); }

    void setTalking(bool on) { talking_ = on; }
    std::uint64_t toneFrames(std::size_t leg) const;
    // Queues `digits` on the leg (one sequence at a time: false while one is running).
    bool sendDigits(std::size_t leg, const std::string& digits, DigitsSent done);

    void beginMeasure();
    void endMeasure() { engine_->endMeasure(); }
    IvrRtpReport report() const;

  private:
    struct Leg;
    explicit IvrRtp(IvrRtpConfig config);
    void nextPacket(std::size_t leg, const RtpSendTime& when, RtpOut& out) override;
    void onMedia(std::size_t leg, const std::uint8_t* data, std::size_t len, std::size_t offset,
                 std::int64_t arrivalNs) override;

    IvrRtpConfig config_;
    std::unique_ptr<RtpEngine> engine_;
    std::vector<Leg> legs_;
    std::vector<std::uint8_t> tonePayload_;
    std::vector<std::uint8_t> silencePayload_;
    std::vector<double> promptCoeffs_;
    bool talking_ = true;
    std::uint64_t promptFrames_ = 0;
    std::uint64_t promptGaps_ = 0;
};

}  // namespace parley::bench

#pragma once
// RtpSession: the RTP/RTCP endpoint of one media leg, driven by its owner's event loop.
//
// Threading and driving: no threads inside. The owner (a media worker) calls
// onRtpReadable() when rtpFd() may hold datagrams (the media worker does it at the start
// of every 20 ms tick instead of watching the socket), or has its RecvRing read them and
// hand each over with onRtpDatagram(), and onRtcpReadable() when rtcpFd() is readable,
// and on its 20 ms timer calls, in this order: tick(now), pullFrame(), and
// pushFrame() (or prepareFrame(), then sendPrepared() or takePrepared()) at most once.
// Every call must come from that one thread. Nothing on these paths allocates: buffers are
// preallocated in the constructor or are per-thread static scratch (the recvmmsg() batch);
// logging happens once per kind of trouble.
//
// Receiving:
// - Symmetric RTP (config.symmetricRtp, default on): the source of the first valid packet
//   (parses, negotiated payload type) is latched and becomes where we send; after that,
//   packets from any other source are dropped and counted (strangers), logged once. RTCP
//   latches the same way on its own port. With latching off, packets are accepted from
//   anywhere and we send to the SDP address.
// - onRtpReadable() reads with recvmmsg() and stops after config.maxPacketsPerRead
//   datagrams (a flood cannot starve the other legs; the rest waits in the socket for
//   the next call, counted in readLimitHits); the jitter buffer drops what exceeds its
//   capacity. For the interarrival jitter (RTCP), a datagram's arrival time is the
//   kernel's receive stamp (SO_TIMESTAMPNS, enabled on the RTP socket) moved onto the
//   steady clock through `now` (the time of the call), so reading late does not show as
//   network jitter; without a stamp it is `now`. Latching, quiet times and digits use
//   `now`.
// - Malformed RTP/RTCP is dropped and counted (logged once). Unknown payload types are
//   counted. Audio (PCMU/PCMA by the negotiated payload types) is decoded into the jitter
//   buffer; pullFrame() returns one 20 ms frame per tick, concealed when missing. A new
//   SSRC resets the jitter buffer, the statistics and the DTMF receiver.
// - RFC 4733 events become one DigitEvent each, delivered to the digit callback.
// - Direction sendonly/inactive: input is dropped (counted as notReceiving).
//
// Sending:
// - pushFrame() sends one packet for the current tick: continuous sequence numbers, the
//   timestamp advancing 160 per tick whether or not a packet went out (gaps keep time);
//   the marker bit is set on the first packet and on the first after a gap (a tick without
//   pushFrame, silence suppressed with config.suppressSilence, or a time we could not
//   send). One random SSRC per session. Calling pushFrame() twice without tick() moves to
//   the next tick, so an owner without tick() still gets continuous timestamps.
// - While a digit queued by sendDigit() is being sent, its RFC 4733 packets replace the
//   audio packets of those ticks (the owner keeps pushing frames).
// - Nothing is sent when the direction is recvonly/inactive or the remote address is on
//   hold (0.0.0.0 / :: / port 0).
// - RTCP: every config.rtcpInterval (randomised 0.5x-1.5x, RFC 3550 6.3.1, unless
//   disabled) an SR (we sent RTP since the previous report) or RR, with a report block
//   about the remote source and an SDES CNAME. Received SR/RR update the remote report:
//   loss, jitter and the round-trip time from LSR/DLSR.
//
// updateMedia() applies a re-INVITE's answer (new address, codecs, direction); a changed
// remote address (or port) drops both latches so the new source can latch; the same
// address again keeps them.

#include <time.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <Poco/Logger.h>

#include "common/clock.hpp"
#include "common/net.hpp"
#include "ms/media/audio_frame.hpp"
#include "ms/rtp/g711.hpp"
#include "ms/rtp/jitter_buffer.hpp"
#include "ms/rtp/port_allocator.hpp"
#include "ms/rtp/reception_stats.hpp"
#include "ms/rtp/rtcp_packet.hpp"
#include "ms/rtp/rtp_packet.hpp"
#include "ms/rtp/telephone_event.hpp"

namespace parley::ms::rtp {

enum class Codec : std::uint8_t { Pcmu, Pcma, TelephoneEvent };

struct PayloadFormat {
    std::uint8_t payloadType = 0;
    Codec codec = Codec::Pcmu;
};

// Our own direction for this stream (the answer's attribute as we apply it).
enum class MediaDirection { SendRecv, SendOnly, RecvOnly, Inactive };

// What offer/answer decided for the stream.
struct MediaParams {
    common::SocketAddress remoteRtp;   // c= and m= port; any-address or port 0: on hold
    common::SocketAddress remoteRtcp;  // a=rtcp; not valid(): remoteRtp port + 1
    // Negotiated formats; the first PCMU/PCMA one is what we send. telephone-event uses
    // its payload type both ways.
    std::vector<PayloadFormat> formats{{kPayloadTypePcmu, Codec::Pcmu}};
    MediaDirection direction = MediaDirection::SendRecv;

    // telephone-event was negotiated: RFC 4733 digits can be sent.
    bool telephoneEvent() const {
        for (const auto& f : formats)
            if (f.codec == Codec::TelephoneEvent) return true;
        return false;
    }
};

struct RtpSessionConfig {
    bool symmetricRtp = true;
    // Latched source silent this long + valid RTP from the SDP address: latch to the SDP
    // address. Zero or negative: never re-latch.
    common::Duration relatchAfterQuiet = std::chrono::seconds(1);
    common::Duration rtcpInterval = std::chrono::seconds(5);
    bool randomizeRtcp = true;
    std::string cname;  // empty: "parley-ms-<ssrc>@<local address>"
    JitterBufferConfig jitter;
    std::size_t maxPacketsPerRead = 16;
    common::Duration dtmfEndTimeout = std::chrono::milliseconds(250);
    bool suppressSilence = false;  // silent frames are not sent (no comfort noise)
    std::uint32_t ssrc = 0;        // 0: random
};

struct RtpCounters {
    std::uint64_t packetsIn = 0;  // RTP datagrams received (any source)
    std::uint64_t bytesIn = 0;
    std::uint64_t packetsOut = 0;  // RTP packets sent (audio and events)
    std::uint64_t bytesOut = 0;
    std::uint64_t payloadBytesOut = 0;
    std::uint64_t audioIn = 0;         // audio packets given to the jitter buffer
    std::uint64_t malformed = 0;       // RTP that does not parse, oversize, bad payload size
    std::uint64_t strangers = 0;       // RTP from a source other than the latched one
    std::uint64_t relatches = 0;       // latch moved back to the SDP address (quiet latch)
    std::uint64_t unknownPayload = 0;  // payload type not negotiated
    std::uint64_t notReceiving = 0;    // dropped because the direction excludes receiving
    std::uint64_t ssrcChanges = 0;
    std::uint64_t sendErrors = 0;
    std::uint64_t recvErrors = 0;
    std::uint64_t readLimitHits = 0;  // reads that stopped at maxPacketsPerRead (rest waits)
    std::uint64_t rtcpIn = 0;
    std::uint64_t rtcpOut = 0;
    std::uint64_t rtcpMalformed = 0;
    std::uint64_t rtcpStrangers = 0;
    std::uint64_t rtcpRelatches = 0;  // RTCP latch moved back to the SDP's RTCP address
    std::uint64_t byeIn = 0;
    std::uint64_t dtmfIn = 0;     // digits received
    std::uint64_t dtmfOut = 0;    // digits whose first packet went out
    std::uint64_t badFrames = 0;  // pushFrame() with a frame we cannot encode (not 8 kHz/160)

    // Field by field: the counts of legs summed (a worker's, the ended legs').
    RtpCounters& operator+=(const RtpCounters& c);
};

// What the peer said about our stream in its last SR/RR report block.
struct RemoteReport {
    bool valid = false;
    std::uint64_t count = 0;
    std::uint8_t fractionLost = 0;  // /256
    std::int32_t cumulativeLost = 0;
    std::uint32_t extendedHighestSeq = 0;
    std::uint32_t jitter = 0;  // timestamp units
    bool haveRtt = false;
    common::Duration rtt{};
};

// CLOCK_REALTIME in nanoseconds, and a kernel receive stamp (SO_TIMESTAMPNS, realtime) moved
// onto the steady clock: `now` minus the stamp's age at realNowNs (`now` for a stamp from the
// future).
std::int64_t realtimeNs();
common::TimePoint arrivalFromStamp(const timespec& stamp, common::TimePoint now,
                                   std::int64_t realNowNs);

class RtpSession {
  public:
    using DigitCallback = std::function<void(const DigitEvent&)>;

    RtpSession(PortPair ports, const MediaParams& media, RtpSessionConfig config,
               common::TimePoint now);
    RtpSession(const RtpSession&) = delete;
    RtpSession& operator=(const RtpSession&) = delete;

    void updateMedia(const MediaParams& media);
    void setDigitCallback(DigitCallback cb) { onDigit_ = std::move(cb); }

    int rtpFd() const { return ports_.rtpFd(); }
    int rtcpFd() const { return ports_.rtcpFd(); }
    std::uint16_t localRtpPort() const { return ports_.rtpPort(); }

    void onRtpReadable(common::TimePoint now);
    void onRtcpReadable(common::TimePoint now);
    // Reading done by someone else (RecvRing: io_uring reads the socket into buffers of its
    // own). onRtpDatagram() takes one datagram as onRtpReadable() takes each it reads: `size`
    // is its length on the wire (more than data.size() when it was cut short), `arrival` its
    // kernel receive time on the steady clock (or `now`). onRtpReadLimit(): the reader
    // stopped at maxPacketsPerRead() this tick (readLimitHits); onRtpReadError(): a read
    // failed (recvErrors).
    void onRtpDatagram(std::span<const std::uint8_t> data, std::size_t size,
                       const common::SocketAddress& from, common::TimePoint arrival,
                       common::TimePoint now);
    void onRtpReadLimit();
    void onRtpReadError();
    std::size_t maxPacketsPerRead() const { return config_.maxPacketsPerRead; }
    void tick(common::TimePoint now);
    void pullFrame(media::AudioFrame& out);
    void pushFrame(const media::AudioFrame& frame);  // prepareFrame() then sendPrepared()
    // pushFrame() in two steps, for an owner that sends many legs' packets at one moment:
    // prepareFrame() builds the tick's packet (encoding, header, counters); sendPrepared()
    // sends it (nothing when none is waiting). A packet still waiting when the next
    // prepareFrame() comes is sent first.
    void prepareFrame(const media::AudioFrame& frame);
    void sendPrepared();
    // sendPrepared() done by someone else (SendRing: one io_uring submission for many legs):
    // takePrepared() hands over the waiting packet (false when none waits) and forgets it;
    // its bytes and address stay valid until the next prepareFrame() or updateMedia().
    // sendResult() takes what the send returned (bytes, or -errno: counted and logged once);
    // sendTaken() sends a handed-over packet with sendto() and takes its result
    // (sendPrepared() is takePrepared() then sendTaken()).
    struct OutgoingPacket {
        int fd = -1;
        std::span<const std::uint8_t> data;
        const common::SocketAddress* to = nullptr;
    };
    bool takePrepared(OutgoingPacket& packet);
    void sendResult(long result);
    void sendTaken(const OutgoingPacket& packet);

    // Queues an RFC 4733 digit; false when telephone-event was not negotiated, we may not
    // send, the digit is not 0-9 * # A-D, or the queue is full.
    bool sendDigit(char digit, std::chrono::milliseconds duration = std::chrono::milliseconds(100));
    // An RTCP BYE (with a final report); call before dropping the session when the leg ends.
    void sendBye(common::TimePoint now);

    std::uint32_t ssrc() const { return ssrc_; }
    bool latched() const { return latched_; }
    const common::SocketAddress& rtpDestination() const { return rtpDest_; }
    const common::SocketAddress& rtcpDestination() const { return rtcpDest_; }
    bool sending() const;
    bool receiving() const;
    const RtpCounters& counters() const { return counters_; }
    const JitterBufferStats& jitterStats() const { return jitter_.stats(); }
    common::Duration jitterDelay() const { return jitter_.currentDelay(); }
    const ReceptionStats& reception() const { return reception_; }
    const TelephoneEventCounters& dtmfCounters() const { return dtmfRx_.counters(); }
    const RemoteReport& remoteReport() const { return remoteReport_; }

  private:
    void applyMedia(const MediaParams& media);
    common::SocketAddress sdpRtcpAddress() const;
    bool mayRelatch(const common::SocketAddress& from, common::TimePoint now) const;
    void relatchToSdp(common::TimePoint now);
    // `now`: when it is read (latching, quiet times, digits); `arrival`: when the kernel
    // received it (interarrival jitter).
    void handleRtp(std::span<const std::uint8_t> data, const common::SocketAddress& from,
                   common::TimePoint now, common::TimePoint arrival);
    void handleRtcp(std::span<const std::uint8_t> data, const common::SocketAddress& from,
                    common::TimePoint now);
    void deliverDigit(const DigitEvent& ev);
    void prepareRtp(const RtpHeader& h, std::span<const std::uint8_t> payload);
    void sendReport(common::TimePoint now, bool bye);
    void scheduleRtcp(common::TimePoint now);
    std::uint64_t ntpAt(common::TimePoint now) const;
    std::uint32_t clockUnits(common::TimePoint now) const;
    std::uint32_t currentTimestamp() const;

    PortPair ports_;
    RtpSessionConfig config_;
    Poco::Logger& log_;
    std::mt19937 rng_;

    // negotiated
    MediaParams media_;
    std::array<std::int16_t, 128> ptCodec_{};  // -1: not negotiated, else Codec
    int sendPt_ = -1;
    G711Law sendLaw_ = G711Law::Ulaw;
    int eventPt_ = -1;
    bool onHold_ = false;

    // addresses
    common::SocketAddress rtpDest_;
    common::SocketAddress rtcpDest_;
    bool latched_ = false;
    common::SocketAddress latchedFrom_;
    common::TimePoint lastLatchedRx_;  // last valid RTP from latchedFrom_
    bool rtcpLatched_ = false;
    common::SocketAddress rtcpLatchedFrom_;
    common::TimePoint lastRtcpLatchedRx_;  // last valid RTCP from rtcpLatchedFrom_

    // sending
    std::uint32_t ssrc_;
    std::uint16_t seq_;
    std::uint32_t tsBase_;
    std::uint64_t tickCount_ = 0;
    std::uint64_t lastPushTick_ = 0;
    bool pushedOnce_ = false;
    bool markerPending_ = true;
    common::TimePoint lastTick_;
    TelephoneEventSender dtmfTx_;
    bool sentSinceReport_ = false;
    bool sentSincePrevReport_ = false;
    std::uint32_t lastSentTimestamp_ = 0;

    // receiving
    bool haveRemoteSsrc_ = false;
    std::uint32_t remoteSsrc_ = 0;
    ReceptionStats reception_;
    JitterBuffer jitter_;
    TelephoneEventReceiver dtmfRx_;
    DigitCallback onDigit_;

    // RTCP
    common::TimePoint steadyBase_;
    std::uint64_t ntpBase_ = 0;
    common::TimePoint nextRtcp_;
    bool haveLastSr_ = false;
    std::uint32_t lastSrMiddle_ = 0;
    common::TimePoint lastSrArrival_;
    RemoteReport remoteReport_;
    RtcpCompound rtcpIn_;

    RtpCounters counters_;
    bool loggedStranger_ = false;
    bool loggedRelatch_ = false;
    bool loggedMalformed_ = false;
    bool loggedRtcpMalformed_ = false;
    bool loggedSendError_ = false;
    bool loggedUnknownPt_ = false;

    std::array<std::uint8_t, 2048> rxBuf_{};
    std::array<std::uint8_t, kMaxRtpPacket> txBuf_{};
    std::size_t txPending_ = 0;  // bytes of a prepared packet in txBuf_ not sent yet
    std::array<std::uint8_t, kMaxRtpPacket> payloadBuf_{};
    std::array<std::int16_t, media::kNarrowbandSamples * JitterBuffer::kMaxFramesPerPut> pcmBuf_{};
};

}  // namespace parley::ms::rtp

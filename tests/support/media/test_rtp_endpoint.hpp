#pragma once
// TestRtpEndpoint: a real RTP peer on 127.0.0.1 for media tests. It sends a tone (or
// silence, or given PCM, or RFC 4733 digits) as G.711 in 20 ms packets paced in real time,
// and keeps what it receives so a test can ask what it heard.
//
//   auto ep = TestRtpEndpoint::create({}).value();          // port pair on 127.0.0.1, port 0
//   std::string offer = ep->sdpOffer("sendrecv", "ep1");      // m=audio <port> RTP/AVP 0 8 101
//   ... send the offer to parley-ms, get its answer ...
//   REQUIRE(ep->applyRemoteSdp(answer));                      // target + codec + event PT
//   ep->sendTone(400, -20);
//   REQUIRE(ep->waitForTone(600, -30, 1s, 5s));               // the other party
//   CHECK_FALSE(ep->heard(1s).hasTone(400, -40));             // not itself
//
// Independence: this links only parley_common and the standard library; G.711, RTP and SDP
// are written again in tests/support/media so the tools do not share code with ms/.
//
// Threads: the endpoint runs its own common::EventLoop on its own thread (socket reads and
// the 20 ms send timer). Every public method may be called from any thread; state shared
// with the loop thread is behind one mutex. The destructor stops the thread and closes the
// sockets. create() returns an error (never throws) when the ports cannot be bound.
//
// Sending: the RTP timestamp advances 160 per 20 ms tick whether or not a packet goes out;
// the sequence number advances per packet; one SSRC for the endpoint's life; the marker
// bit is set on the first audio packet after a pause or after digits. Digits replace the
// audio while they play: event packets every 20 ms with a growing duration, the first with
// the marker bit, the end packet sent three times (each with its own sequence number).
// Nothing is sent until a target is set. applyRemoteSdp() does not act on the remote's
// direction attribute: the test decides whether to send (stopSending()).
//
// Receiving: every datagram on the RTP port is parsed; PCMU (0) and PCMA (8) are decoded
// and kept with their arrival time in a ring of at most historySeconds of 20 ms packets
// (bounded memory under a flood); the telephone-event payload type (configurable, default
// 101) is kept as events; other payload types, RTCP and malformed packets are counted.
// Per-SSRC statistics: packets, sequence gaps, loss, duplicates, reordering, payload
// types, RFC 3550 interarrival jitter. receivedAudio() rebuilds the audio of a recent
// interval in arrival order, filling timestamp gaps within one SSRC with zeros.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "common/result.hpp"
#include "tests/support/media/g711.hpp"
#include "tests/support/media/rtp_wire.hpp"
#include "tests/support/media/sdp_text.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"

namespace parley::test {

struct ReceivedEvent {
    common::TimePoint arrival;
    std::uint32_t ssrc = 0;
    std::uint32_t timestamp = 0;  // RTP timestamp: the event's start
    std::uint16_t sequence = 0;
    bool marker = false;
    TelephoneEvent event;
};

struct StreamStats {
    std::uint32_t ssrc = 0;
    std::string source;              // "ip:port" of the last packet
    std::uint64_t packets = 0;       // every packet of this SSRC, duplicates included
    std::uint64_t bytes = 0;         // payload bytes
    std::uint64_t expected = 0;      // highest extended sequence - first + 1
    std::int64_t lost = 0;           // expected - unique packets received (may be < 0)
    std::uint64_t sequenceGaps = 0;  // forward jumps of more than one
    std::uint64_t duplicates = 0;
    std::uint64_t outOfOrder = 0;  // older than the highest seen
    std::uint64_t markers = 0;
    std::set<std::uint8_t> payloadTypes;
    double jitterMs = 0;  // RFC 3550 interarrival jitter of the audio packets
};

struct ArrivalStats {
    std::size_t packets = 0;    // packets in the interval
    double meanIntervalMs = 0;  // between consecutive arrivals
    double p50IntervalMs = 0;
    double p99IntervalMs = 0;
    double maxIntervalMs = 0;
    double p99DeviationMs = 0;  // p99 of |interval - 20 ms|
};

struct ReceiveTotals {
    std::uint64_t packets = 0;       // valid RTP packets
    std::uint64_t audioPackets = 0;  // PCMU/PCMA
    std::uint64_t eventPackets = 0;  // telephone-event
    std::uint64_t otherPackets = 0;  // any other payload type
    std::uint64_t rtcpPackets = 0;   // on either port
    std::uint64_t malformed = 0;
};

struct SendTotals {
    std::uint64_t packets = 0;
    std::uint64_t audioPackets = 0;
    std::uint64_t eventPackets = 0;
    std::uint64_t errors = 0;  // sendto failures
};

class TestRtpEndpoint {
  public:
    struct Options {
        std::string host = "127.0.0.1";
        std::uint16_t port = 0;  // RTP port (even); 0 = any free pair
        G711Law codec = G711Law::kMuLaw;
        std::uint8_t telephoneEventPt = 101;
        std::optional<std::uint32_t> ssrc;  // random when unset
        int historySeconds = 60;            // received audio kept (at 20 ms per packet)
        std::string name = "rtp";           // for descriptions
    };

    static common::Result<std::unique_ptr<TestRtpEndpoint>> create(Options options);
    static common::Result<std::unique_ptr<TestRtpEndpoint>> create() { return create(Options{}); }
    ~TestRtpEndpoint();
    TestRtpEndpoint(const TestRtpEndpoint&) = delete;
    TestRtpEndpoint& operator=(const TestRtpEndpoint&) = delete;

    // --- identity ---
    const std::string& host() const { return options_.host; }
    std::uint16_t rtpPort() const { return rtpPort_; }
    std::uint16_t rtcpPort() const { return static_cast<std::uint16_t>(rtpPort_ + 1); }
    std::uint32_t ssrc() const { return ssrc_; }
    const std::string& name() const { return options_.name; }

    // --- SDP ---
    // This endpoint's audio offer: c=/m= with its address and port, the current codec
    // first, telephone-event with the configured payload type, ptime 20.
    std::string sdpOffer(const std::string& direction = "sendrecv",
                         const std::string& label = "") const;
    // Reads the remote's address, port, codec and telephone-event PT and starts using them.
    common::Status applyRemoteSdp(std::string_view remoteSdp);
    // Answers a remote offer (picks its first G.711 codec) and applies it.
    common::Result<std::string> answerOffer(std::string_view remoteOffer,
                                            const std::string& direction = "sendrecv",
                                            const std::string& label = "");

    // --- sending (any thread, effective from the next 20 ms tick) ---
    void setTarget(const common::SocketAddress& target);
    common::Status setTarget(const std::string& host, std::uint16_t port);
    void clearTarget();
    std::optional<common::SocketAddress> target() const;
    void setCodec(G711Law law);
    G711Law codec() const;
    void setTelephoneEventPayloadType(std::uint8_t pt);

    void sendTone(double frequencyHz, double levelDbfs);
    void sendTones(std::vector<ToneSpec> tones);
    void sendSilence();  // packets of digital silence
    void sendPcm(std::vector<std::int16_t> pcm,
                 bool loop);  // 8 kHz; silence after the end unless loop
    void stopSending();       // no packets at all (timestamps keep running)
    // Queues RFC 4733 digits ("0-9*#A-D"); unknown characters are skipped.
    void sendDigits(const std::string& digits,
                    std::chrono::milliseconds duration = std::chrono::milliseconds(100),
                    std::chrono::milliseconds gap = std::chrono::milliseconds(60), int volume = 10);
    bool digitsPending() const;
    SendTotals sent() const;

    // --- receiving (any thread) ---
    ReceiveTotals received() const;
    std::uint64_t packetsReceived() const { return received().packets; }
    std::vector<StreamStats> streams() const;   // per SSRC, in order of first arrival
    std::vector<ReceivedEvent> events() const;  // every telephone-event packet
    // One character per distinct event (SSRC + timestamp), in arrival order.
    std::string receivedDigits() const;
    // Audio of the last `interval` (see the header comment for how it is assembled).
    std::vector<std::int16_t> receivedAudio(std::chrono::milliseconds interval) const;
    ToneReport heard(std::chrono::milliseconds interval,
                     const std::vector<double>& candidates = kDefaultToneSet) const;
    bool heardSilence(std::chrono::milliseconds interval, double thresholdDbfs = -50) const;
    ArrivalStats arrivalStats(std::chrono::milliseconds interval) const;
    void clearReceived();

    // --- waiting (poll every 20 ms until true or the timeout) ---
    bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) const;
    bool waitForPackets(std::uint64_t count, std::chrono::milliseconds timeout) const;
    bool waitForTone(double frequencyHz, double minDbfs, std::chrono::milliseconds interval,
                     std::chrono::milliseconds timeout) const;
    bool waitForSilence(std::chrono::milliseconds interval, std::chrono::milliseconds timeout,
                        double thresholdDbfs = -50) const;
    bool waitForDigits(std::size_t count, std::chrono::milliseconds timeout) const;

    // "rtp 127.0.0.1:40000 ssrc=... sent=... received=..." for test failure messages.
    std::string describe() const;

  private:
    enum class Source { kOff, kTone, kSilence, kPcm };
    struct Digit {
        std::uint8_t event = 0;
        std::uint32_t durationSamples = 800;
        std::uint32_t gapSamples = 480;
        std::uint8_t volume = 10;
    };
    struct HistoryEntry {
        common::TimePoint arrival;
        std::uint32_t ssrc = 0;
        std::uint32_t timestamp = 0;
        std::uint8_t payloadType = 0;
        std::vector<std::int16_t> pcm;  // empty for non-audio packets
    };
    struct StreamState {
        StreamStats stats;
        bool started = false;
        std::uint16_t maxSeq = 0;
        std::uint32_t cycles = 0;
        std::uint32_t baseSeq = 0;
        std::uint64_t unique = 0;
        bool haveTransit = false;
        double lastTransit = 0;
        double jitter = 0;  // timestamp units
        std::size_t order = 0;
    };

    explicit TestRtpEndpoint(Options options);
    common::Status bindPorts();
    void start();
    void scheduleTick(common::TimePoint when);
    void onTick();
    void onReadable(int fd, bool rtcpPort);
    void onPacket(std::span<const std::uint8_t> data, const common::SocketAddress& from,
                  common::TimePoint now);
    bool sendPacket(const RtpHeader& h, std::span<const std::uint8_t> payload);  // mutex held
    std::vector<std::int16_t> nextAudio();                                       // mutex held
    bool tickDigit();                                                            // mutex held
    std::vector<std::int16_t> audioSince(common::TimePoint since) const;         // mutex held

    Options options_;
    common::Fd rtpFd_;
    common::Fd rtcpFd_;
    std::uint16_t rtpPort_ = 0;
    std::uint32_t ssrc_ = 0;

    common::EventLoop loop_;
    std::thread thread_;
    common::TimePoint nextTick_{};

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;

    // sending
    std::optional<common::SocketAddress> target_;
    G711Law codec_;
    std::uint8_t telephoneEventPt_;
    Source source_ = Source::kOff;
    ToneGenerator generator_;
    std::vector<std::int16_t> pcm_;
    std::size_t pcmPos_ = 0;
    bool pcmLoop_ = false;
    std::deque<Digit> digits_;
    bool digitActive_ = false;
    std::uint32_t digitStartTs_ = 0;
    std::uint32_t digitElapsed_ = 0;
    int endPacketsSent_ = 0;
    std::uint32_t gapLeft_ = 0;
    bool talkspurt_ = false;  // last tick sent audio
    std::uint16_t sequence_ = 0;
    std::uint32_t timestamp_ = 0;
    SendTotals sent_;

    // receiving
    ReceiveTotals totals_;
    std::deque<HistoryEntry> history_;
    std::size_t maxHistory_ = 3000;
    std::map<std::uint32_t, StreamState> streams_;
    std::vector<ReceivedEvent> events_;
};

}  // namespace parley::test

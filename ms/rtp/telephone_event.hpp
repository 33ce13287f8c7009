#pragma once
// RFC 4733 telephone events (DTMF digits 0-9 * # A-D, event codes 0-15).
//
// TelephoneEventReceiver turns the packets of one RTP source into digits, each reported
// exactly once:
// - the first packet of an event (a new RTP timestamp) starts it (onPacket() says so);
// - the event ends on the first packet with the E bit, or when a packet with a newer
//   timestamp arrives, or when no packet came for `endTimeout` (all end packets lost;
//   checked by onTick());
// - the redundant end packets, duplicates and packets reordered inside an event only
//   update the duration (the largest seen); packets of an event already reported and
//   packets older than the current event are ignored;
// - a long event split at the 16-bit duration limit (the next segment's timestamp is the
//   previous one plus its duration) is one digit.
// Event codes above 15 (flash, tones) are ignored and counted.
//
// TelephoneEventSender produces the packet sequence of queued digits, one packet per
// 20 ms tick: the first packet of an event has the marker bit and duration one frame,
// updates keep the event's timestamp and grow the duration by one frame, and the end
// packet (E bit, final duration) is sent three times. Digits queue (fixed capacity) and
// are separated by a gap.
//
// Both are plain state machines: no I/O, no clock of their own (times and timestamps come
// from the caller), no allocation after construction.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/clock.hpp"

namespace parley::ms::rtp {

inline constexpr std::size_t kTelephoneEventSize = 4;

// '0'-'9', '*', '#', 'A'-'D' <-> 0..15. Unknown: '\0' / nullopt. Lower-case a-d accepted.
char eventCodeToDigit(std::uint8_t code);
std::optional<std::uint8_t> digitToEventCode(char digit);

struct TelephoneEventPayload {
    std::uint8_t event = 0;
    bool end = false;
    std::uint8_t volume = 0;     // 0..63, -dBm0
    std::uint16_t duration = 0;  // timestamp units
};

// Reads the first 4-byte event of a payload; false when shorter than 4 bytes.
bool parseTelephoneEvent(std::span<const std::uint8_t> payload, TelephoneEventPayload& out);
void writeTelephoneEvent(const TelephoneEventPayload& e, std::uint8_t* out4);

struct DigitEvent {
    char digit = '\0';
    std::uint32_t durationSamples = 0;
    std::chrono::milliseconds duration{0};
    bool endSeen = false;  // false: ended by timeout or by the next event
};

struct TelephoneEventCounters {
    std::uint64_t packets = 0;
    std::uint64_t digits = 0;
    std::uint64_t duplicates = 0;   // packets of an event already ended or repeated
    std::uint64_t stale = 0;        // older than the current event
    std::uint64_t malformed = 0;    // shorter than 4 bytes
    std::uint64_t unsupported = 0;  // event code above 15
    std::uint64_t timeouts = 0;     // ended without an end packet
};

class TelephoneEventReceiver {
  public:
    struct Outcome {
        std::optional<char> started;          // a new event began with this packet
        std::optional<DigitEvent> ended;      // an event ended (possibly the previous one)
        std::optional<DigitEvent> alsoEnded;  // the new event itself ended at once
    };

    explicit TelephoneEventReceiver(std::uint32_t clockRate = 8000,
                                    common::Duration endTimeout = std::chrono::milliseconds(250))
        : clockRate_(clockRate), endTimeout_(endTimeout) {}

    Outcome onPacket(std::uint32_t timestamp, std::span<const std::uint8_t> payload,
                     common::TimePoint now);
    // Ends an event whose end packets were all lost.
    std::optional<DigitEvent> onTick(common::TimePoint now);
    // Forget everything (new SSRC).
    void reset();

    bool inEvent() const { return active_; }
    const TelephoneEventCounters& counters() const { return counters_; }

  private:
    DigitEvent finish(bool endSeen);

    std::uint32_t clockRate_;
    common::Duration endTimeout_;
    bool active_ = false;
    bool haveLast_ = false;          // lastTs_ valid: some event seen since reset
    std::uint32_t lastTs_ = 0;       // timestamp of the current or last event segment
    std::uint32_t segmentBase_ = 0;  // samples of earlier segments of a long event
    std::uint8_t code_ = 0;
    std::uint32_t duration_ = 0;  // largest duration seen in the current segment
    common::TimePoint lastPacket_{};
    TelephoneEventCounters counters_;
};

struct TelephoneEventPacket {
    std::array<std::uint8_t, kTelephoneEventSize> payload{};
    std::uint32_t timestamp = 0;
    bool marker = false;
};

class TelephoneEventSender {
  public:
    static constexpr std::size_t kQueueCapacity = 32;
    static constexpr int kEndPackets = 3;

    explicit TelephoneEventSender(std::uint32_t samplesPerTick = 160, std::uint8_t volume = 10,
                                  int gapTicks = 3)
        : samplesPerTick_(samplesPerTick), volume_(volume), gapTicks_(gapTicks) {}

    // Queues a digit; false when it is not a DTMF digit or the queue is full. Durations are
    // rounded up to whole ticks, at least 2 ticks (40 ms), at most 8 s.
    bool queue(char digit, std::chrono::milliseconds duration = std::chrono::milliseconds(100));
    // True while a digit is being sent or waits in the queue.
    bool busy() const { return phase_ != Phase::Idle || count_ > 0; }
    // True when the next tick would send an event packet (not a gap tick).
    bool sendingEvent() const;

    // Called once per tick with the RTP timestamp of that tick. Returns the event packet to
    // send instead of audio, or nullopt (audio goes out as usual).
    std::optional<TelephoneEventPacket> onTick(std::uint32_t tickTimestamp);
    void clear();

  private:
    enum class Phase { Idle, Sending, Ending, Gap };
    struct Pending {
        std::uint8_t code = 0;
        std::uint32_t ticks = 0;
    };

    std::uint32_t samplesPerTick_;
    std::uint8_t volume_;
    int gapTicks_;
    std::array<Pending, kQueueCapacity> queue_{};
    std::size_t head_ = 0;
    std::size_t count_ = 0;

    Phase phase_ = Phase::Idle;
    Pending current_{};
    std::uint32_t startTs_ = 0;
    std::uint32_t ticksSent_ = 0;
    int endsSent_ = 0;
    int gapLeft_ = 0;
};

}  // namespace parley::ms::rtp

#pragma once
// JitterBuffer: one leg's adaptive jitter buffer for decoded audio, over Speex DSP's
// JitterBuffer (the only file that includes <speex/speex_jitter.h> is jitter_buffer.cpp).
//
// Contract:
// - The owner puts decoded audio as it arrives (put(), RTP timestamp of the first sample,
//   a whole number of frames) and takes exactly one frame per 20 ms tick (get()). get()
//   always fills the frame: buffered audio, or concealment when the frame is missing
//   (G.711 has no PLC: the last good frame repeated and faded out over concealFrames
//   frames, then silence), or silence before the first packet and after a long gap.
// - Delay adapts to the measured jitter (Speex) and is bounded: when more than maxDelay
//   of audio is buffered, the oldest frames are dropped (stats().delayDrops). At most
//   `capacity` frames are held; what does not fit is dropped (stats().overflow). Frames
//   too late to be played are dropped (stats().late).
// - Excess delay is trimmed: when at least kTrimAboveFrames frames were still waiting
//   after every get() of the last kTrimWindowTicks ticks (a backlog left by a burst, a
//   stalled reader or a delay Speex does not lower by itself), the frames above one are
//   dropped at once (stats().trimmed), so the delay returns to what the jitter needs.
// - Lost frames (stats().lost) are missing frames while the stream is active; after
//   kIdleFrames missing frames in a row the stream counts as paused (hold, silence
//   suppression) and stops counting losses until audio comes back.
// - reset() empties the buffer and resynchronises on the next packet (SSRC change).
// - Storage is preallocated in the constructor; put() and get() never allocate. Not
//   thread-safe: one owner thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/clock.hpp"
#include "ms/media/audio_frame.hpp"

struct JitterBuffer_;  // Speex DSP

namespace parley::ms::rtp {

struct JitterBufferConfig {
    common::Duration maxDelay = std::chrono::milliseconds(200);
    std::uint32_t sampleRate = media::kNarrowbandRate;
    std::size_t frameSamples = media::kNarrowbandSamples;  // 20 ms
    int maxLateRatePercent = 5;  // Speex: share of late frames the delay estimate may accept
    int concealFrames = 3;       // frames of repeat-and-fade before silence
};

struct JitterBufferStats {
    std::uint64_t framesIn = 0;    // frames accepted by put()
    std::uint64_t framesOut = 0;   // frames of real audio returned by get()
    std::uint64_t late = 0;        // arrived too late to play
    std::uint64_t overflow = 0;    // no room (flood)
    std::uint64_t delayDrops = 0;  // dropped to keep the delay under maxDelay
    std::uint64_t trimmed = 0;     // dropped as a standing backlog (excess delay)
    std::uint64_t lost = 0;        // missing frames while the stream was active
    std::uint64_t concealed = 0;   // frames filled by repeat-and-fade
    std::uint64_t badSize = 0;     // put() with a size that is not whole frames
    std::uint64_t resets = 0;
};

class JitterBuffer {
  public:
    static constexpr std::size_t kMaxFramesPerPut = 6;  // 120 ms packets
    static constexpr int kIdleFrames = 10;              // 200 ms without audio: paused
    static constexpr std::size_t kTrimWindowTicks = 50;  // 1 s
    static constexpr std::size_t kTrimAboveFrames = 2;

    explicit JitterBuffer(const JitterBufferConfig& config = {});
    ~JitterBuffer();
    JitterBuffer(const JitterBuffer&) = delete;
    JitterBuffer& operator=(const JitterBuffer&) = delete;

    // Audio of one packet starting at RTP timestamp `timestamp`. Returns false when
    // nothing of it was kept (late, overflow, bad size); every dropped frame is counted.
    bool put(std::uint32_t timestamp, std::span<const std::int16_t> samples);
    // One frame for this tick (see the contract); advances the buffer's clock.
    void get(media::AudioFrame& out);
    void reset();

    const JitterBufferStats& stats() const { return stats_; }
    // Audio waiting to be played.
    common::Duration currentDelay() const;
    std::size_t bufferedFrames() const;
    // Frames whose slots are taken (buffered, or dropped by Speex and not yet handed back):
    // an upper bound of bufferedFrames() kept without asking Speex.
    std::size_t heldFrames() const { return slots_.size() - free_.size(); }
    std::size_t capacity() const { return slots_.size(); }
    std::size_t maxFrames() const { return maxFrames_; }

  private:
    struct Slot {
        JitterBuffer* owner = nullptr;
        std::uint32_t index = 0;
        bool inUse = false;
    };
    struct SpeexDeleter {
        void operator()(JitterBuffer_* jb) const;
    };

    static void releaseFromSpeex(void* data);
    void release(std::uint32_t index);
    void reclaimAll();
    std::int16_t* samplesOf(std::uint32_t index) { return &pcm_[index * config_.frameSamples]; }
    void conceal(media::AudioFrame& out);
    void silence(media::AudioFrame& out);
    void dropOldest(std::size_t frames, std::uint64_t& counter);
    void trimBacklog();

    JitterBufferConfig config_;
    std::size_t maxFrames_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;  // indexes of free slots (capacity reserved)
    std::vector<std::int16_t> pcm_;    // slots_.size() frames
    std::vector<std::int16_t> last_;   // last good frame, for concealment
    JitterBufferStats stats_;
    bool speexResetState_ = true;  // Speex accepts any timestamp until it has synchronised
    int consecutiveMisses_ = 0;    // Speex resets itself after 20 misses in a row
    int missingRun_ = 0;
    bool started_ = false;                             // audio seen since the last reset
    std::size_t windowTicks_ = 0;  // gets in the current trim window
    std::size_t windowMin_ = 0;    // fewest frames left waiting after a get in the window
    std::unique_ptr<JitterBuffer_, SpeexDeleter> jb_;  // last: destroyed first
};

}  // namespace parley::ms::rtp

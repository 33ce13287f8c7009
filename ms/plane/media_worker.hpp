#pragma once
// MediaWorker: one media thread. It runs its own common::EventLoop (epoll) with a 20 ms
// tick on a timerfd of its own (absolute, periodic: the kernel keeps the cadence, no drift),
// owns the RTP sessions of the legs placed on it and the mix plans of the groups of joined
// entities placed on it (placement.hpp): one MixEngine per group, keyed by the group's key.
//
// Threads and ownership:
// - start() launches the thread; stop() stops and joins it (then drops the legs left).
// - The control thread talks to the worker only through the command methods below, which
//   post to the worker's loop (any thread). The worker talks back only through the
//   WorkerEvents functions it was given, which must post to the control thread.
// - A leg (WorkerLeg: its RtpSession and two frames) is owned by exactly one thread at a
//   time: the control thread creates it and hands it over with adopt(); release() hands it
//   back to the control thread (through WorkerEvents::returned), which can then give it to
//   another worker: that is how legs move between workers (unwatch on the old loop, watch
//   on the new one).
//
// The tick runs only while the worker has legs: an empty worker disarms its timer and
// sleeps in epoll, so idle conferences cost nothing.
//
// Receiving: the legs' RTP sockets are not watched by the loop. They sit in the epoll set of
// the worker's RecvRing (level-triggered, never waited on with a timeout). When the timer
// fires, RecvRing::reap() asks the set which sockets hold datagrams (epoll_wait with timeout
// 0, one call for all legs) and reads them all at once through io_uring (one RECVMSG each,
// kSubmissionEntries per submission, then the sockets still ready: the default where the
// kernel has io_uring, --media-io-uring); each leg's datagrams wait in their buffers until
// its batch runs (RecvRing::deliver()). Without io_uring the same RecvRing only marks the
// ready sockets and deliver() reads each with RtpSession::onRtpReadable() (recvmmsg).
// Either way at most maxPacketsPerRead datagrams per leg and tick, the rest left in the
// socket for the next tick, so a flooded leg cannot starve the others and is ready again
// next tick. A leg that receives nothing (silent, on hold, sendonly callers) costs no
// system call here: one wake-up per 20 ms however many legs, and the tick starts on time
// instead of behind a queue of packet events. Packets carry their kernel receive time (RTCP
// statistics); the jitter buffer sees them put before the tick's pull, as if they had
// arrived just before it. RTCP sockets stay in the loop's epoll (rare).
//
// Plans: applyPlans() replaces the plans of the groups it names and removes the groups it
// lists as gone, leaving the others untouched, so a join or a leave costs the size of its
// group, not the worker's. A group's engine is kept across its plan changes (mixer state is
// kept by id, mix_engine.hpp). A leg is bound to the plan slot of its id when either the leg
// or the plan arrives, whichever is later; a leg that no plan names hears silence.
//
// The tick (every 20 ms) runs in batches: each group with its legs, then the legs that no
// group holds. For one batch: read its marked legs, RtpSession::tick(now) and pullFrame(in)
// for each leg, the group's MixEngine::runTick(inputs, outputs), the dialogs' listen and
// playout, and prepareFrame(out, or silence for a leg that no plan routes): the packet is
// built but not sent. A batch's legs are touched from reading to encoding while their
// jitter buffers and frames are still in the cache (measured: 4-12 % less CPU per
// participant at 600-1,000 than phase by phase over all legs, docs/benchmarks.md). Then, at
// a steady offset from the deadline (the longest time all batches took in the last 1-2 s
// plus 0.3 ms, at most 12 ms: the worker sleeps until then when it is early), every leg's
// packet is sent: the send phase is only system calls, so every stream leaves at the same
// point of each period whatever this tick's reading and mixing cost. The sweep hands each
// leg's packet to the worker's SendRing: one io_uring submission per kSendRingEntries legs
// (the default where the kernel has io_uring, --media-io-uring), else a sendto() per leg.
// `now` is the tick's deadline, not the wake-up time. When the thread wakes late and
// several deadlines passed, up to kMaxCatchUpTicks ticks run back to back (the outgoing
// streams keep their rate; only the first reads); older ones are skipped and counted. No
// allocation, lock or blocking call happens on the tick: the batches and the pointer arrays
// it walks are rebuilt when a command changes the legs or the plan.
//
// IVR dialogs (RFC 6231): a leg may carry one DialogRunner. On a connection's leg the runner
// hears what the connection sends (record, in-band DTMF), gets its RFC 4733 digits, and adds
// its prompt to what the connection hears. A dialog on a conference runs on an internal leg
// with no RTP (id "ivr#<dialogid>", joined to the conference in the JoinGraph like a
// participant): what the runner plays is that participant's input to the mix, and what it
// hears is the conference mix (minus its own prompt), which is what it records. The runner
// moves with its leg. The runner reports to the control thread itself (its DialogEvents
// post there); when it has ended the worker destroys it. A leg dropped (BYE) ends its runner
// first with "target gone".
//
// Digits: an RFC 4733 digit received on a leg is sent on (as RFC 4733, sendDigit()) to every
// leg that hears that leg through a direct connection-to-connection route whose flow is not
// clamped (RFC 6505 <clamp>); digits do not cross conference mixes (they are not audio).
//
// Events: digits received (RFC 4733), a leg whose RTP stopped (no packet for
// noMediaTimeout while it should receive; once, re-armed when packets come back),
// active-talkers reports that the engine says are due, and the counters of a leg when it
// is dropped.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "ms/ivr/dialog_runner.hpp"
#include "ms/media/audio_frame.hpp"
#include "ms/mixer/mix_engine.hpp"
#include "ms/plane/keep_awake.hpp"
#include "ms/rtp/rtp_session.hpp"
#include "ms/rtp/recv_ring.hpp"
#include "ms/rtp/send_ring.hpp"

namespace parley::ms::plane {

inline constexpr common::Duration kTickPeriod = std::chrono::milliseconds(media::kFrameMs);
inline constexpr std::uint64_t kMaxCatchUpTicks = 5;
inline constexpr std::uint64_t kLoadLogTicks = 500;  // debug log of the worker's load: 10 s
// Send phase anchoring (see the tick below).
inline constexpr std::uint64_t kSendAnchorWindowTicks = 50;  // 1 s
inline constexpr common::Duration kSendOffsetMargin = std::chrono::microseconds(300);
inline constexpr common::Duration kMaxSendOffset = std::chrono::milliseconds(12);
inline constexpr common::Duration kSendOffsetDecay = std::chrono::microseconds(20);  // per tick
// Sends per io_uring submission; a worker with more legs submits in several steps. One
// submission runs its sends in the kernel back to back, and a kernel built without full
// preemption switches to nothing else on that CPU meanwhile: 1,024 sends in one submission
// held the CPU for ~5 ms (a SCHED_FIFO probe above the worker saw a stall every tick,
// docs/benchmarks.md). 64 keeps each submission near 0.3 ms and still saves 98 % of the
// system calls.
inline constexpr unsigned kSendRingEntries = 64;

struct MixGroup;

struct WorkerLeg {
    std::uint64_t key = 0;  // unique per leg for the process's life
    std::string id;         // connectionid, or "ivr#<dialogid>" for an internal leg
    std::unique_ptr<rtp::RtpSession> rtp;  // null for an internal (conference dialog) leg
    std::unique_ptr<ivr::DialogRunner> dialog;
    bool digitsOut = false;  // the connection negotiated telephone-event (RFC 4733 <dtmf>)
    media::AudioFrame in;
    media::AudioFrame out;
    MixGroup* group = nullptr;                 // the plan it is bound to, if any
    std::size_t planIndex = mixer::kNoIndex;  // in that group's plan
    // no-media watch
    std::uint64_t packetsAtCheck = 0;
    common::TimePoint lastPacket{};
    bool noMediaReported = false;
    std::uint32_t recvSlot = rtp::RecvRing::kNoSlot;  // its RTP socket in the RecvRing
};

using LegPtr = std::unique_ptr<WorkerLeg>;

// The plan of one group of joined entities (MixPlan::buildGroup), named by its group key.
struct GroupPlan {
    std::string key;
    mixer::MixPlan plan;
};

// Worker thread only: one group's engine and the frames of its plan's connections.
struct MixGroup {
    std::string key;
    mixer::MixEngine engine;
    std::vector<const media::AudioFrame*> inputs;  // by plan connection index
    std::vector<media::AudioFrame*> outputs;
    std::vector<WorkerLeg*> legs;
    bool talkers = false;  // a conference of it subscribed to active talkers
};

struct WorkerEvents {
    // Each is called on the worker thread and must post to the control thread.
    std::function<void(std::string id, rtp::DigitEvent digit)> digit;
    std::function<void(std::string id, bool stopped)> media;  // stopped / flowing again
    std::function<void(std::vector<mixer::ActiveTalkersReport>)> talkers;
    std::function<void(std::string id, rtp::RtpCounters counters)> dropped;
    std::function<void(std::shared_ptr<LegPtr> leg)> returned;
};

// Counts of legs summed: their RTP counters and their jitter buffers' drops (a worker's
// dropped legs, the plane's legs that ended between workers).
struct LegTotals {
    rtp::RtpCounters rtp;
    std::uint64_t jitterOverflow = 0;
    std::uint64_t jitterTrimmed = 0;
    void add(const rtp::RtpSession& session);
};

struct WorkerStats {
    std::uint64_t ticks = 0;
    std::uint64_t lateWakeups = 0;   // woke after a later deadline had passed
    std::uint64_t skippedTicks = 0;  // deadlines dropped beyond the catch-up limit
    std::uint64_t maxTickMicros = 0;
    std::uint64_t legs = 0;
    std::uint64_t conferences = 0;
    // Sums over the legs living on the worker and the legs it dropped (so they only grow),
    // refreshed every second and when a leg is dropped. A leg moving to another worker takes
    // its counts along (they show there from that worker's next refresh).
    std::uint64_t rtpIn = 0;
    std::uint64_t rtpOut = 0;
    std::uint64_t malformed = 0;  // RTP
    std::uint64_t strangers = 0;  // RTP and RTCP from a source other than the latched one
    std::uint64_t rtcpMalformed = 0;
    std::uint64_t jitterOverflow = 0;  // frames dropped by full jitter buffers (floods)
    std::uint64_t jitterTrimmed = 0;   // frames dropped as a standing backlog (excess delay)
    std::uint64_t readLimitHits = 0;   // RTP reads stopped at the per-leg bound (floods)
    // Audio buffered by the jitter buffers of the legs receiving audio: mean and max.
    std::uint64_t jitterDelayMeanMicros = 0;
    std::uint64_t jitterDelayMaxMicros = 0;
    bool ticking = false;              // the 20 ms timer is armed (the worker has legs)
    bool sendRing = false;             // its sends go through io_uring (SendRing)
    bool recvRing = false;             // its receives go through io_uring (RecvRing)
    int keptAwakeCpu = -1;             // --media-keep-awake: the CPU kept busy now, or -1
};

class MediaWorker {
  public:
    // realtimePriority > 0: the thread asks for SCHED_FIFO at that priority when it starts
    // (a warning and normal scheduling when the system refuses, e.g. without CAP_SYS_NICE),
    // so a busy control thread or other work never delays a tick. keepAwake: while the
    // worker ticks, a KeepAwake thread keeps its CPU from going idle (keep_awake.hpp).
    // ioUring: the legs' packets are sent (SendRing) and read (RecvRing) through io_uring when
    // the kernel allows it; otherwise, or when false, sendto() per leg and recvmmsg() per
    // ready socket.
    MediaWorker(std::size_t index, WorkerEvents events,
                common::Duration noMediaTimeout = std::chrono::seconds(30),
                int realtimePriority = 0, bool keepAwake = false, bool ioUring = true);
    ~MediaWorker();
    MediaWorker(const MediaWorker&) = delete;
    MediaWorker& operator=(const MediaWorker&) = delete;

    common::Status start();
    void stop();
    std::size_t index() const { return index_; }

    // Commands (any thread; run on the worker in posting order).
    void adopt(LegPtr leg);
    void update(std::uint64_t key, rtp::MediaParams media);
    void drop(std::uint64_t key);
    void release(std::uint64_t key);  // hand the leg back (events.returned)
    // Removes the groups named in `gone`, then installs (or replaces) each plan of `plans`.
    void applyPlans(std::vector<std::string> gone, std::vector<GroupPlan> plans);
    // IVR: start a dialog on a leg (the runner's start() runs there); end it.
    void attachDialog(std::uint64_t key, std::unique_ptr<ivr::DialogRunner> runner);
    void terminateDialog(std::uint64_t key, bool immediate);
    void dialogTargetGone(std::uint64_t key);

    // Any thread: counters kept with relaxed atomics.
    WorkerStats stats() const;

  private:
    void onTimer();
    void armTimer(bool on);
    void runTick(common::TimePoint now, bool read);
    void legsChanged();
    void bindLeg(WorkerLeg& leg);
    void unbindLeg(WorkerLeg& leg);
    void removeLeg(WorkerLeg& leg);  // from the id index, the tick order and its group
    void unbindGroup(MixGroup& group);
    void groupsChanged();
    void rebuildBatches();
    void watchLeg(WorkerLeg& leg);
    void unwatchLeg(WorkerLeg& leg);
    void holdUntilSendTime(common::TimePoint deadline);
    void checkMedia(common::TimePoint now);
    void publishCounters();
    void forwardDigit(const WorkerLeg& from, const rtp::DigitEvent& digit);
    void startRunner(WorkerLeg& leg, common::TimePoint now);

    const std::size_t index_;
    WorkerEvents events_;
    const common::Duration noMediaTimeout_;
    const int realtimePriority_;
    std::unique_ptr<KeepAwake> keepAwake_;  // set when asked for; its thread runs with ours
    const bool ioUring_;
    std::unique_ptr<rtp::SendRing> sendRing_;  // worker thread (with or without io_uring)
    std::unique_ptr<rtp::RecvRing> recvRing_;  // worker thread (with or without io_uring)
    common::EventLoop loop_;
    common::Fd timerFd_;
    std::thread thread_;
    bool running_ = false;
    bool timerArmed_ = false;

    // Worker thread state.
    std::map<std::uint64_t, LegPtr> legs_;
    std::map<std::string, WorkerLeg*, std::less<>> legsById_;
    std::vector<WorkerLeg*> order_;  // every leg, in adoption order
    std::map<std::string, std::unique_ptr<MixGroup>, std::less<>> groups_;
    // Every connection id that a plan here names: its group and slot.
    std::map<std::string, std::pair<MixGroup*, std::size_t>, std::less<>> slots_;
    std::vector<MixGroup*> groupOrder_;
    // The tick's batches: each group with the legs bound to its plan slots, then the legs
    // no group holds (group null); batchLegs_[begin, end) are a batch's legs.
    struct TickBatch {
        MixGroup* group = nullptr;
        std::size_t begin = 0;
        std::size_t end = 0;
    };
    std::vector<TickBatch> batches_;
    std::vector<WorkerLeg*> batchLegs_;
    bool talkersSubscribed_ = false;
    media::AudioFrame silence_;
    common::TimePoint nextDeadline_{};
    std::uint64_t tickCount_ = 0;
    // Maxima over the current load-log period (debug log): timer expiry to wake-up, the
    // read phase (RecvRing::reap()), one tick.
    std::uint64_t windowWakeMax_ = 0;
    // Send phase anchoring: when reading and mixing were done, after the deadline.
    common::Duration anchorWindowMax_{};
    common::Duration anchorPreviousMax_{};
    std::uint64_t anchorWindowTicks_ = 0;
    common::Duration sendOffset_{};  // the send phase's start after the deadline
    common::Duration sendTime_{};  // how long the send phase takes (smoothed)
    std::uint64_t windowScanMax_ = 0;
    std::uint64_t windowTickMax_ = 0;
    // Also per load-log period: the send offset's highest value, the longest send sweep, and
    // the ticks that were ready only after their send time (their streams left late).
    common::Duration windowOffsetMax_{};
    std::uint64_t windowSendMax_ = 0;
    std::uint64_t windowReadyLate_ = 0;
    LegTotals retired_;  // the legs dropped here (released legs take theirs along)

    std::atomic<std::uint64_t> ticks_{0};
    std::atomic<std::uint64_t> lateWakeups_{0};
    std::atomic<std::uint64_t> skippedTicks_{0};
    std::atomic<std::uint64_t> maxTickMicros_{0};
    std::atomic<std::uint64_t> legCount_{0};
    std::atomic<std::uint64_t> conferenceCount_{0};
    std::atomic<std::uint64_t> rtpIn_{0};
    std::atomic<std::uint64_t> rtpOut_{0};
    std::atomic<std::uint64_t> malformed_{0};
    std::atomic<std::uint64_t> strangers_{0};
    std::atomic<std::uint64_t> rtcpMalformed_{0};
    std::atomic<std::uint64_t> jitterOverflow_{0};
    std::atomic<std::uint64_t> jitterTrimmed_{0};
    std::atomic<std::uint64_t> readLimitHits_{0};
    std::atomic<std::uint64_t> jitterDelayMean_{0};
    std::atomic<std::uint64_t> jitterDelayMax_{0};
    std::atomic<bool> armed_{false};
    std::atomic<bool> sendRingLive_{false};
    std::atomic<bool> recvRingLive_{false};
};

}  // namespace parley::ms::plane

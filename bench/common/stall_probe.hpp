#pragma once
// StallProbe: a control for the timing measurements. A thread pinned to parley-ms's CPU at
// SCHED_FIFO above parley-ms's media threads asks to wake every `period` (absolute
// CLOCK_MONOTONIC deadlines) and does nothing else. parley-ms cannot delay it (the probe
// preempts it the moment its timer fires), so a wake-up later than `threshold` means the CPU
// itself was taken away: the hypervisor descheduling the virtual CPU (steal), interrupts, or
// kernel work that does not yield. That kernel work can be parley-ms's own: near saturation
// the network receive work of its sends on loopback moves to ksoftirqd, which the kernel's
// fair server then runs ahead of every SCHED_FIFO thread; the probe cannot tell that from
// the hypervisor, so figures "outside stalls" are only a fair reading where parley-ms is not
// saturated (steal and the stalls on an idle CPU tell the host's share).
// Each such wake-up is recorded as a stall [due, woke] in
// CLOCK_REALTIME ns, the clock of the generator's kernel receive stamps, so the RTP engine
// can tell which inter-packet intervals a stall fell into.
//
// Cost to parley-ms: one wake-up per period on its CPU (a few us each: ~0.3 % of the CPU at
// 1 ms), which the report's CPU figures include as "other work".
//
// Contract: start() on any thread; the recording thread is the probe's own. overlaps() and
// summary() may be called from one other thread while the probe runs: entries below the
// published count are complete (release/acquire). At most `capacity` stalls are kept; later
// ones are counted in Summary::dropped (overlaps() then answers only for the kept ones, and
// the report says so). stop() (or the destructor) joins the thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace parley::bench {

class StallProbe {
  public:
    struct Stall {
        std::int64_t dueNs = 0;   // when the probe should have woken (CLOCK_REALTIME)
        std::int64_t wokeNs = 0;  // when it did
    };
    struct Summary {
        std::uint64_t stalls = 0;       // wake-ups later than the threshold
        std::uint64_t over2ms = 0;      // of which later than 2 ms
        std::int64_t maxNs = 0;         // the longest
        std::int64_t totalNs = 0;       // their sum
        std::uint64_t dropped = 0;      // stalls not kept (capacity full) since start
    };

    // cpu >= 0; priority 1..99 (SCHED_FIFO). The error says why the thread could not be
    // started or given its CPU and priority.
    static common::Result<std::unique_ptr<StallProbe>> start(int cpu, int priority,
                                                            std::int64_t periodNs,
                                                            std::int64_t thresholdNs,
                                                            std::size_t capacity = 1 << 16);
    ~StallProbe();
    StallProbe(const StallProbe&) = delete;
    StallProbe& operator=(const StallProbe&) = delete;

    void stop();
    // True when a recorded stall overlaps [fromNs, toNs] (CLOCK_REALTIME).
    bool overlaps(std::int64_t fromNs, std::int64_t toNs) const;
    // The stalls whose wake-up fell inside [fromNs, toNs].
    Summary summary(std::int64_t fromNs, std::int64_t toNs) const;

  private:
    StallProbe(std::int64_t periodNs, std::int64_t thresholdNs, std::size_t capacity);
    void run(int cpu, int priority);

    std::int64_t periodNs_;
    std::int64_t thresholdNs_;
    std::vector<Stall> stalls_;
    std::atomic<std::size_t> count_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<bool> stop_{false};
    std::atomic<int> ready_{0};  // 0 starting, 1 running, -errno failed
    std::thread thread_;
};

}  // namespace parley::bench

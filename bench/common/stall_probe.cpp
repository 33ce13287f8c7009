#include "bench/common/stall_probe.hpp"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace parley::bench {

namespace {

std::int64_t nowNs(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

StallProbe::StallProbe(std::int64_t periodNs, std::int64_t thresholdNs, std::size_t capacity)
    : periodNs_(periodNs), thresholdNs_(thresholdNs), stalls_(capacity) {}

common::Result<std::unique_ptr<StallProbe>> StallProbe::start(int cpu, int priority,
                                                             std::int64_t periodNs,
                                                             std::int64_t thresholdNs,
                                                             std::size_t capacity) {
    if (cpu < 0 || priority < 1 || priority > 99 || periodNs < 100'000 || thresholdNs <= 0 ||
        capacity == 0)
        return common::makeError(EINVAL, "stall probe: bad cpu, priority, period or threshold");
    std::unique_ptr<StallProbe> self(new StallProbe(periodNs, thresholdNs, capacity));
    StallProbe* p = self.get();
    p->thread_ = std::thread([p, cpu, priority] { p->run(cpu, priority); });
    while (p->ready_.load(std::memory_order_acquire) == 0) std::this_thread::yield();
    const int state = p->ready_.load(std::memory_order_acquire);
    if (state < 0) {
        p->thread_.join();
        return common::makeError(-state, std::string("stall probe: cannot run on CPU ") +
                                             std::to_string(cpu) + " at SCHED_FIFO " +
                                             std::to_string(priority) + ": " +
                                             std::strerror(-state));
    }
    return self;
}

StallProbe::~StallProbe() { stop(); }

void StallProbe::stop() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
}

void StallProbe::run(int cpu, int priority) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (const int e = ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set); e != 0) {
        ready_.store(-e, std::memory_order_release);
        return;
    }
    sched_param sp{};
    sp.sched_priority = priority;
    if (const int e = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &sp); e != 0) {
        ready_.store(-e, std::memory_order_release);
        return;
    }
    ready_.store(1, std::memory_order_release);

    std::int64_t due = nowNs(CLOCK_MONOTONIC) + periodNs_;
    while (!stop_.load(std::memory_order_relaxed)) {
        const timespec ts{static_cast<time_t>(due / 1'000'000'000),
                          static_cast<long>(due % 1'000'000'000)};
        while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
        const std::int64_t woke = nowNs(CLOCK_MONOTONIC);
        const std::int64_t wokeReal = nowNs(CLOCK_REALTIME);
        const std::int64_t late = woke - due;
        if (late > thresholdNs_) {
            const std::size_t n = count_.load(std::memory_order_relaxed);
            if (n < stalls_.size()) {
                stalls_[n] = Stall{wokeReal - late, wokeReal};
                count_.store(n + 1, std::memory_order_release);
            } else {
                dropped_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        // After a stall the next deadline is a period after the wake-up: the probe measures
        // the CPU's absences, not a backlog of its own missed periods.
        due = late > periodNs_ ? woke + periodNs_ : due + periodNs_;
    }
}

bool StallProbe::overlaps(std::int64_t fromNs, std::int64_t toNs) const {
    const std::size_t n = count_.load(std::memory_order_acquire);
    // Stalls follow each other in time (each ends before the next is due), so their ends are
    // sorted: the first one ending at or after fromNs is the only candidate.
    const auto end = stalls_.begin() + static_cast<std::ptrdiff_t>(n);
    const auto it = std::lower_bound(stalls_.begin(), end, fromNs,
                                     [](const Stall& s, std::int64_t t) { return s.wokeNs < t; });
    return it != end && it->dueNs <= toNs;
}

StallProbe::Summary StallProbe::summary(std::int64_t fromNs, std::int64_t toNs) const {
    Summary s;
    s.dropped = dropped_.load(std::memory_order_relaxed);
    const std::size_t n = count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i) {
        const Stall& st = stalls_[i];
        if (st.wokeNs < fromNs || st.wokeNs > toNs) continue;
        const std::int64_t len = st.wokeNs - st.dueNs;
        ++s.stalls;
        if (len > 2'000'000) ++s.over2ms;
        s.maxNs = std::max(s.maxNs, len);
        s.totalNs += len;
    }
    return s;
}

}  // namespace parley::bench

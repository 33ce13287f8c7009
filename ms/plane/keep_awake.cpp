#include "ms/plane/keep_awake.hpp"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/log.hpp"

namespace parley::ms::plane {

namespace {

Poco::Logger& log() {
    return common::logger("ms.media");
}

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

}  // namespace

KeepAwake::KeepAwake(std::string threadName) : threadName_(std::move(threadName)) {}

KeepAwake::~KeepAwake() {
    stop();
}

common::Status KeepAwake::start() {
    if (thread_.joinable()) return {};
    wanted_.store(kIdle, std::memory_order_release);
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        return common::Error(e.code().value(), std::string("keep-awake thread: ") + e.what());
    }
    return {};
}

void KeepAwake::stop() {
    if (!thread_.joinable()) return;
    wanted_.store(kStop, std::memory_order_release);
    wanted_.notify_all();
    thread_.join();
    spinningOn_.store(kIdle, std::memory_order_release);
}

void KeepAwake::follow(int cpu) {
    const int want = cpu < 0 ? kIdle : cpu;
    int cur = wanted_.load(std::memory_order_relaxed);
    // Never overwrite a stop request.
    while (cur != want && cur != kStop) {
        if (wanted_.compare_exchange_weak(cur, want, std::memory_order_release,
                                          std::memory_order_relaxed)) {
            if (cur == kIdle) wanted_.notify_all();
            return;
        }
    }
}

void KeepAwake::run() {
    pthread_setname_np(pthread_self(), threadName_.substr(0, 15).c_str());
    sched_param sp{};
    if (const int err = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp); err != 0) {
        // Spinning at normal priority would take CPU from real work: do nothing instead.
        PARLEY_LOG_WARN(log(), threadName_ << ": SCHED_IDLE refused (" << std::strerror(err)
                                           << "), the media CPU is not kept awake");
        return;
    }
    int at = kIdle;  // the CPU this thread is bound to
    resetWindow();
    for (;;) {
        const int want = wanted_.load(std::memory_order_acquire);
        if (want == kStop) return;
        if (want == kIdle) {
            spinningOn_.store(kIdle, std::memory_order_release);
            wanted_.wait(kIdle, std::memory_order_acquire);
            resetWindow();
            continue;
        }
        if (want != at) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(want, &set);
            if (const int err = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
                err != 0) {
                PARLEY_LOG_WARN(log(), threadName_ << ": cannot run on CPU " << want << " ("
                                                   << std::strerror(err)
                                                   << "), the media CPU is not kept awake");
                spinningOn_.store(kIdle, std::memory_order_release);
                return;
            }
            at = want;
            PARLEY_LOG_DEBUG(log(), threadName_ << ": keeping CPU " << at << " awake");
        }
        spinningOn_.store(at, std::memory_order_release);
        for (int i = 0; i < 4096 && wanted_.load(std::memory_order_relaxed) == at; ++i) cpuRelax();
        if (starved()) {
            // The CPU has (almost) no idle time left to fill. Staying runnable would only
            // make the kernel's fair-class server preempt the media thread for up to 50 ms
            // to give this thread its share; step aside for a while instead.
            spinningOn_.store(kIdle, std::memory_order_release);
            std::this_thread::sleep_for(kStarvedPause);
            resetWindow();
        }
    }
}

void KeepAwake::resetWindow() {
    windowStart_ = std::chrono::steady_clock::now();
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    windowCpu_ = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

bool KeepAwake::starved() {
    const auto now = std::chrono::steady_clock::now();
    if (now - windowStart_ < kStarvedWindow) return false;
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    const std::chrono::nanoseconds cpu =
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    const auto ran = cpu - windowCpu_;
    const auto wall = now - windowStart_;
    windowStart_ = now;
    windowCpu_ = cpu;
    return ran * kStarvedShare < wall;
}

}  // namespace parley::ms::plane

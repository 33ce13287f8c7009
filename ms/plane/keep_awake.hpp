#pragma once
// KeepAwake: keeps a busy media worker's CPU from going idle between its ticks
// (`--media-keep-awake on`). A media worker sleeps most of each 20 ms period; on a virtual
// machine an idle virtual CPU halts, and the hypervisor may give its physical CPU to
// something else and take milliseconds to run it again when the worker's timer fires (seen
// on the benchmark VM: a do-nothing SCHED_FIFO thread woken every 1 ms on an otherwise idle
// virtual CPU was 2-19 ms late 3-190 times in 5 s; with the CPU kept busy by an idle-class
// spinner, 0-21 times; docs/benchmarks.md). Every such late wake-up delays every stream of
// the worker.
//
// While its worker ticks (it has legs), a KeepAwake thread spins on the CPU the worker last
// ran on, at SCHED_IDLE: it runs only when nothing else on that CPU wants to, and any other
// thread that wakes there (the worker first) preempts it at once. When the worker stops
// ticking the thread blocks (a futex wait) and costs nothing, so idle conferences still
// cost nothing. When the CPU has no idle time left (the thread got under 5 % of 100 ms) it
// steps aside for 200 ms: a starved fair-class thread would make the kernel's fair server
// (Linux 6.12 and later) preempt the media thread for up to 50 ms to run it. What it costs:
// the CPU's idle time and its power; the CPU looks 100 % busy.
//
// Threads: start()/stop() from the owner (the worker's owner); follow() from the worker
// thread; spinningOn() from any thread.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "common/result.hpp"

namespace parley::ms::plane {

class KeepAwake {
  public:
    explicit KeepAwake(std::string threadName);
    ~KeepAwake();
    KeepAwake(const KeepAwake&) = delete;
    KeepAwake& operator=(const KeepAwake&) = delete;

    common::Status start();
    void stop();
    // The worker ticks on `cpu` (spin there; a change of CPU moves the spinner), or it
    // stopped ticking (cpu < 0: block). Cheap when nothing changed (one relaxed load).
    void follow(int cpu);
    // The CPU the thread spins on now, or -1 while it blocks.
    int spinningOn() const { return spinningOn_.load(std::memory_order_acquire); }

  private:
    static constexpr int kIdle = -1;
    static constexpr int kStop = -2;
    // Over each window of kStarvedWindow, a thread that ran less than 1/kStarvedShare of it
    // is starved: it pauses for kStarvedPause (not runnable) before spinning again.
    static constexpr std::chrono::milliseconds kStarvedWindow{100};
    static constexpr int kStarvedShare = 20;  // 5 %
    static constexpr std::chrono::milliseconds kStarvedPause{200};
    void run();
    void resetWindow();
    bool starved();

    const std::string threadName_;
    std::atomic<int> wanted_{kIdle};  // CPU to spin on, kIdle, or kStop
    std::atomic<int> spinningOn_{kIdle};
    std::thread thread_;
    // The spinner's own thread: the starvation window.
    std::chrono::steady_clock::time_point windowStart_{};
    std::chrono::nanoseconds windowCpu_{};
};

}  // namespace parley::ms::plane

#pragma once
// EventLoop: one thread's epoll loop with cross-thread post(), timers and fd watches.
//
// Thread rules: post() and stop() may be called from any thread. Everything else
// (timers, watches, run) belongs to the thread that runs the loop. Callbacks run on that
// thread, one at a time, and may add or remove timers and watches (including their own).
//
// The loop can run by itself (run()) or be embedded in another loop: fd() is an epoll fd
// that becomes readable whenever work is due, and dispatch() does that work without
// blocking. parley-as and parley-ms embed it in sofia-sip's su_root this way, so SIP and
// the control channels share one thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace parley::common {

class EventLoop {
public:
    using Task = std::function<void()>;
    using TimerId = std::uint64_t;
    using FdCallback = std::function<void(std::uint32_t events)>;

    static constexpr std::uint32_t kReadable = 1;
    static constexpr std::uint32_t kWritable = 2;
    static constexpr std::uint32_t kHangup = 4;  // peer closed or error; always reported

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Any thread: run `task` on the loop thread soon, in posting order.
    void post(Task task);

    // Loop thread: one-shot timer; returns an id for cancelTimer(). 0 is never an id.
    TimerId addTimer(Duration after, Task task);
    TimerId addTimerAt(TimePoint when, Task task);
    // Cancelling an unknown or already fired timer is harmless.
    void cancelTimer(TimerId id);

    // Loop thread: watch an fd (not owned) for kReadable/kWritable.
    Status watch(int fd, std::uint32_t events, FdCallback cb);
    Status modify(int fd, std::uint32_t events);
    void unwatch(int fd);

    // Runs until stop(). Returns at once if stop() was called before.
    void run();
    // Any thread: makes run() return after the current callback.
    void stop();
    // Waits at most `maxWait` for work, does what is due, returns. For tests and embedding.
    void runOnce(Duration maxWait);
    // Embedding: an fd that polls readable when dispatch() has work; dispatch() never blocks.
    int fd() const { return epfd_; }
    void dispatch() { runOnce(Duration::zero()); }

    bool inLoopThread() const;
    std::size_t watchCount() const { return watches_.size(); }
    std::size_t timerCount() const { return timers_.size(); }

private:
    void armTimerFd();
    void runTimers();
    void runPosted();

    int epfd_ = -1;
    int wakeFd_ = -1;   // eventfd for post()
    int timerFd_ = -1;  // timerfd armed to the earliest timer
    std::atomic<bool> stopped_{false};
    std::atomic<std::thread::id> owner_{};

    std::mutex postMutex_;
    std::vector<Task> posted_;

    TimerId nextTimer_ = 1;
    std::map<std::pair<TimePoint, TimerId>, Task> timers_;
    std::unordered_map<TimerId, TimePoint> timerIndex_;
    TimePoint armedFor_{};

    struct Watch {
        std::shared_ptr<FdCallback> cb;  // shared so a callback may unwatch itself safely
        std::uint32_t events;
        std::uint64_t generation;
    };
    std::unordered_map<int, Watch> watches_;
    std::uint64_t generation_ = 0;
};

}  // namespace parley::common

#include "common/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

namespace parley::common {
namespace {

constexpr std::uint64_t kWakeTag = ~std::uint64_t{0};
constexpr std::uint64_t kTimerTag = ~std::uint64_t{0} - 1;

std::uint32_t toEpoll(std::uint32_t events) {
    std::uint32_t e = 0;
    if (events & EventLoop::kReadable) e |= EPOLLIN | EPOLLRDHUP;
    if (events & EventLoop::kWritable) e |= EPOLLOUT;
    return e;
}

std::uint32_t fromEpoll(std::uint32_t e) {
    std::uint32_t events = 0;
    if (e & (EPOLLIN | EPOLLPRI)) events |= EventLoop::kReadable;
    if (e & EPOLLOUT) events |= EventLoop::kWritable;
    if (e & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) events |= EventLoop::kHangup;
    return events;
}

// epoll data: fd in the low 32 bits, the watch's generation in the high 32, so that an
// event for an fd that was unwatched and re-watched within one batch is not misdelivered.
std::uint64_t packTag(int fd, std::uint64_t gen) {
    return (gen << 32) | static_cast<std::uint32_t>(fd);
}

}  // namespace

EventLoop::EventLoop() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    timerFd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd_ < 0 || wakeFd_ < 0 || timerFd_ < 0)
        throw std::runtime_error(std::string("event loop: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakeFd_, &ev);
    ev.data.u64 = kTimerTag;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, timerFd_, &ev);
}

EventLoop::~EventLoop() {
    ::close(timerFd_);
    ::close(wakeFd_);
    ::close(epfd_);
}

bool EventLoop::inLoopThread() const {
    std::thread::id owner = owner_.load();
    return owner == std::thread::id{} || owner == std::this_thread::get_id();
}

void EventLoop::post(Task task) {
    {
        std::lock_guard<std::mutex> lock(postMutex_);
        posted_.push_back(std::move(task));
    }
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

EventLoop::TimerId EventLoop::addTimer(Duration after, Task task) {
    return addTimerAt(Clock::now() + after, std::move(task));
}

EventLoop::TimerId EventLoop::addTimerAt(TimePoint when, Task task) {
    TimerId id = nextTimer_++;
    timers_.emplace(std::make_pair(when, id), std::move(task));
    timerIndex_.emplace(id, when);
    armTimerFd();
    return id;
}

void EventLoop::cancelTimer(TimerId id) {
    auto it = timerIndex_.find(id);
    if (it == timerIndex_.end()) return;
    timers_.erase({it->second, id});
    timerIndex_.erase(it);
    // The timerfd may stay armed for the cancelled deadline; firing early is harmless.
}

void EventLoop::armTimerFd() {
    if (timers_.empty()) return;
    TimePoint first = timers_.begin()->first.first;
    if (armedFor_ != TimePoint{} && armedFor_ <= first && armedFor_ > Clock::now()) return;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(first.time_since_epoch()).count();
    if (ns <= 0) ns = 1;
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    timerfd_settime(timerFd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    armedFor_ = first;
}

Status EventLoop::watch(int fd, std::uint32_t events, FdCallback cb) {
    epoll_event ev{};
    ev.events = toEpoll(events);
    std::uint64_t gen = ++generation_ & 0xffffffffu;
    ev.data.u64 = packTag(fd, gen);
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
        return Error(errno, std::string("epoll add: ") + std::strerror(errno));
    watches_[fd] = Watch{std::make_shared<FdCallback>(std::move(cb)), events, gen};
    return {};
}

Status EventLoop::modify(int fd, std::uint32_t events) {
    auto it = watches_.find(fd);
    if (it == watches_.end()) return Error(EBADF, "fd not watched");
    if (it->second.events == events) return {};
    epoll_event ev{};
    ev.events = toEpoll(events);
    ev.data.u64 = packTag(fd, it->second.generation);
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0)
        return Error(errno, std::string("epoll mod: ") + std::strerror(errno));
    it->second.events = events;
    return {};
}

void EventLoop::unwatch(int fd) {
    if (watches_.erase(fd)) epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::run() {
    owner_.store(std::this_thread::get_id());
    while (!stopped_.load()) runOnce(std::chrono::seconds(1));
}

void EventLoop::stop() {
    stopped_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

void EventLoop::runPosted() {
    std::uint64_t count;
    [[maybe_unused]] ssize_t n = ::read(wakeFd_, &count, sizeof count);
    std::vector<Task> batch;
    {
        std::lock_guard<std::mutex> lock(postMutex_);
        batch.swap(posted_);
    }
    for (auto& t : batch) t();
}

void EventLoop::runTimers() {
    std::uint64_t expirations;
    [[maybe_unused]] ssize_t n = ::read(timerFd_, &expirations, sizeof expirations);
    armedFor_ = TimePoint{};
    TimePoint now = Clock::now();
    // Only timers due now run; timers they add for "now" run on the next turn.
    std::vector<std::pair<TimerId, TimePoint>> due;
    for (auto it = timers_.begin(); it != timers_.end() && it->first.first <= now; ++it)
        due.emplace_back(it->first.second, it->first.first);
    for (auto& [id, when] : due) {
        auto it = timers_.find({when, id});
        if (it == timers_.end()) continue;  // cancelled by an earlier timer in this batch
        Task task = std::move(it->second);
        timers_.erase(it);
        timerIndex_.erase(id);
        task();
    }
    armTimerFd();
}

void EventLoop::runOnce(Duration maxWait) {
    if (owner_.load() == std::thread::id{}) owner_.store(std::this_thread::get_id());
    int timeoutMs = static_cast<int>(std::chrono::duration_cast<milliseconds>(maxWait).count());
    if (!timers_.empty()) {
        auto untilFirst = timers_.begin()->first.first - Clock::now();
        if (untilFirst <= Duration::zero()) {
            timeoutMs = 0;
        }
    }
    epoll_event events[64];
    int n = epoll_wait(epfd_, events, 64, timeoutMs);
    if (n < 0) return;  // EINTR
    bool timersDue = false;
    for (int i = 0; i < n; ++i) {
        std::uint64_t tag = events[i].data.u64;
        if (tag == kWakeTag) {
            runPosted();
        } else if (tag == kTimerTag) {
            timersDue = true;
        } else {
            int fd = static_cast<int>(tag & 0xffffffffu);
            std::uint64_t gen = tag >> 32;
            auto it = watches_.find(fd);
            if (it == watches_.end() || it->second.generation != gen) continue;
            std::shared_ptr<FdCallback> cb = it->second.cb;  // the callback may unwatch itself
            (*cb)(fromEpoll(events[i].events));
        }
    }
    if (timersDue || (!timers_.empty() && timers_.begin()->first.first <= Clock::now())) runTimers();
}

}  // namespace parley::common

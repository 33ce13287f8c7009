#include <catch2/catch.hpp>

#include <unistd.h>

#include <thread>
#include <vector>

#include "common/event_loop.hpp"
#include "common/net.hpp"

using namespace parley::common;
using namespace std::chrono_literals;

TEST_CASE("event loop: posts from other threads run on the loop thread in order") {
    EventLoop loop;
    std::vector<int> seen;
    std::thread::id loopThread;
    std::thread producer([&] {
        for (int i = 0; i < 1000; ++i) loop.post([&, i] { seen.push_back(i); });
        loop.post([&] { loop.stop(); });
    });
    loop.post([&] { loopThread = std::this_thread::get_id(); });
    loop.run();
    producer.join();
    REQUIRE(seen.size() == 1000);
    for (int i = 0; i < 1000; ++i) CHECK(seen[i] == i);
    CHECK(loopThread == std::this_thread::get_id());
}

TEST_CASE("event loop: timers fire in deadline order and can be cancelled") {
    EventLoop loop;
    std::vector<int> order;
    auto start = Clock::now();
    loop.addTimer(30ms, [&] { order.push_back(3); loop.stop(); });
    loop.addTimer(10ms, [&] { order.push_back(1); });
    auto cancelled = loop.addTimer(15ms, [&] { order.push_back(99); });
    loop.addTimer(20ms, [&] { order.push_back(2); });
    loop.cancelTimer(cancelled);
    loop.cancelTimer(12345);  // unknown: harmless
    loop.run();
    CHECK(order == std::vector<int>{1, 2, 3});
    CHECK(Clock::now() - start >= 30ms);
    CHECK(loop.timerCount() == 0);
}

TEST_CASE("event loop: a timer callback may add and cancel timers") {
    EventLoop loop;
    int fired = 0;
    EventLoop::TimerId victim = 0;
    loop.addTimer(5ms, [&] {
        ++fired;
        loop.cancelTimer(victim);
        loop.addTimer(5ms, [&] { ++fired; loop.stop(); });
    });
    victim = loop.addTimer(8ms, [&] { fired += 100; });
    loop.run();
    CHECK(fired == 2);
}

TEST_CASE("event loop: fd watch reports readability and may unwatch itself") {
    EventLoop loop;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    Fd r(fds[0]), w(fds[1]);
    int reads = 0;
    REQUIRE(loop.watch(r.get(), EventLoop::kReadable, [&](std::uint32_t ev) {
        CHECK((ev & EventLoop::kReadable));
        char buf[16];
        [[maybe_unused]] auto n = ::read(r.get(), buf, sizeof buf);
        ++reads;
        loop.unwatch(r.get());
        loop.stop();
    }).ok());
    REQUIRE(::write(w.get(), "x", 1) == 1);
    loop.addTimer(2s, [&] { loop.stop(); });  // bound the test
    loop.run();
    CHECK(reads == 1);
    CHECK(loop.watchCount() == 0);
}

TEST_CASE("event loop: embedded use through fd() and dispatch()") {
    EventLoop loop;
    bool ran = false;
    loop.post([&] { ran = true; });
    // The epoll fd is readable because work is pending.
    fd_set set;
    FD_ZERO(&set);
    FD_SET(loop.fd(), &set);
    timeval tv{1, 0};
    REQUIRE(::select(loop.fd() + 1, &set, nullptr, nullptr, &tv) == 1);
    loop.dispatch();
    CHECK(ran);
}

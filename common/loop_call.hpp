#pragma once
// callOnLoop: run a function on an EventLoop's thread from another thread and wait for its
// result, at most `timeout`. Used by HTTP handlers to read loop-owned state without locks.
// On timeout the function may still run later; it must therefore capture by value (or
// shared_ptr) anything that may die when the caller gives up.

#include <chrono>
#include <future>
#include <memory>
#include <optional>

#include "common/event_loop.hpp"

namespace parley::common {

template <typename F>
auto callOnLoop(EventLoop& loop, F fn, Duration timeout) -> std::optional<decltype(fn())> {
    using T = decltype(fn());
    auto promise = std::make_shared<std::promise<T>>();
    std::future<T> future = promise->get_future();
    loop.post([promise, fn = std::move(fn)]() mutable { promise->set_value(fn()); });
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
}

}  // namespace parley::common

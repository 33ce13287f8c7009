#pragma once
// callOnLoopAsync: like common::callOnLoop, for loop operations that answer later through a
// callback (a media server round trip). `start(reply)` runs on the loop thread; `reply(T)`
// may be called there at once or later, more than once is ignored. The caller waits at most
// `timeout`; nullopt when no answer came by then (the operation may still complete later,
// so `start` must capture by value whatever may die when the caller gives up).

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>

#include "common/event_loop.hpp"

namespace parley::as {

template <typename T, typename Start>
std::optional<T> callOnLoopAsync(common::EventLoop& loop, Start start, common::Duration timeout) {
    auto promise = std::make_shared<std::promise<T>>();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    std::future<T> future = promise->get_future();
    loop.post([promise, answered, start = std::move(start)]() mutable {
        std::function<void(T)> reply = [promise, answered](T value) {
            if (!answered->exchange(true)) promise->set_value(std::move(value));
        };
        start(std::move(reply));
    });
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
}

}  // namespace parley::as

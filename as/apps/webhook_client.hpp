#pragma once
// WebhookClient: POSTs JSON to customers' web applications from its own worker threads and
// hands each answer back to the event loop. The loop never blocks on HTTP.
//
// Contracts:
// - post() may be called from the loop thread (or any thread). `done` runs exactly once, on
//   the loop thread, through EventLoop::post(): with the response body of a 2xx answer, or
//   Error{code, reason}: 400 bad URL, 413 body over maxBodyBytes, 502 an HTTP status that is
//   not 2xx ("HTTP 500 ..."), 504 timeout, 503 the queue is full or the client is stopping,
//   599 connection or TLS trouble.
// - Each request is bounded by `timeout`: every socket operation uses it, and a loop timer
//   answers 504 when the whole exchange takes longer (a receiver dripping bytes forever);
//   the late answer is then dropped.
// - The destructor (loop thread) drops every `done` not yet run, stops the workers and
//   joins them (a worker inside a request waits at most one socket timeout).
// - http:// and https:// (certificates verified against the system CAs unless
//   WebhookOptions::verifyPeer is false).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/event_loop.hpp"
#include "common/result.hpp"

namespace parley::as::apps {

struct WebhookOptions {
    std::size_t threads = 4;
    std::size_t maxQueued = 1000;
    std::size_t maxBodyBytes = 1u << 20;
    bool verifyPeer = true;
    std::string caFile;  // PEM CA certificates trusted for https webhooks, besides the system's
    std::string userAgent = "Parley/0.1";
};

class WebhookClient {
public:
    using Done = std::function<void(common::Result<std::string>)>;

    WebhookClient(common::EventLoop& loop, WebhookOptions options = {});
    ~WebhookClient();
    WebhookClient(const WebhookClient&) = delete;
    WebhookClient& operator=(const WebhookClient&) = delete;

    void post(const std::string& url, std::string jsonBody, std::chrono::milliseconds timeout, Done done);

    // The blocking exchange the workers run; exposed for tests.
    static common::Result<std::string> exchange(const std::string& url, const std::string& body,
                                                std::chrono::milliseconds timeout,
                                                const WebhookOptions& options);

private:
    struct Job {
        std::uint64_t id = 0;
        std::string url, body;
        std::chrono::milliseconds timeout{0};
    };
    struct Shared;
    void work();
    void finish(std::uint64_t id, common::Result<std::string> result);

    common::EventLoop& loop_;
    WebhookOptions options_;
    std::shared_ptr<Shared> shared_;
    std::vector<std::thread> workers_;
    std::uint64_t nextId_ = 1;
    struct Pending {
        Done done;
        common::EventLoop::TimerId timer = 0;
    };
    std::map<std::uint64_t, Pending> pending_;  // loop thread only
};

}  // namespace parley::as::apps

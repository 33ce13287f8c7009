#pragma once
// WebhookSender: delivers bus events to their eventsUrl as signed HTTP POSTs, on its own
// threads, at least once (within maxAttempts), in order per receiver.
//
// The request: POST <eventsUrl>, Content-Type: application/json, body toJson(event), and
//   X-Parley-Event: <type>
//   X-Parley-Delivery: <uuid>        the same on every attempt of one event: dedupe on it
//   X-Parley-Timestamp: <unix seconds at this attempt>
//   X-Parley-Signature: sha256=<lower-case hex HMAC-SHA256(secret, "<timestamp>.<body>")>
// A receiver verifies: take the raw body bytes and the timestamp header, compute
// HMAC-SHA256 with the shared secret over timestamp + "." + body, compare with the hex after
// "sha256=" in constant time, and reject timestamps far from its clock (e.g. 5 minutes) to
// stop replays. A 2xx answer acknowledges; anything else (or no answer) is retried.
//
// Retries: after the n-th failed attempt the event waits backoffDelay(n) (1 s, 2 s, 4 s...
// capped at 60 s by default), at most maxAttempts attempts, then it is given up (counted and
// logged) and the receiver's next event goes. A receiver is one eventsUrl: its events go one
// at a time in enqueue order; different receivers proceed in parallel on a small pool of
// threads, so a dead receiver (in backoff) or a hanging one (holding one thread for at most
// the timeout) does not hold up the others while threads remain.
//
// Queue: at most maxQueue events wait (in-flight and backing-off events not counted); beyond
// that, the oldest waiting event of all receivers is dropped, counted, and logged at a falling
// rate (the 1st, 10th, 100th... drop).
//
// Thread rules: enqueue() and stats() from any thread; enqueue() never blocks on I/O. attach()
// subscribes to a bus and must be called on the bus's thread; the sender must outlive the
// subscription (detach() or destroy the bus first). stop() is bounded: it aborts requests in
// flight and joins the threads; events still queued are discarded (counted as dropped).
//
// https: Poco HTTPSClientSession with certificate and host name verification (VERIFY_STRICT,
// the system's CA store).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "as/events/event_bus.hpp"

namespace parley::as {

struct WebhookOptions {
    std::string secret;
    std::size_t maxQueue = 10000;
    int maxAttempts = 8;
    std::chrono::milliseconds timeout{5000};  // connect, send and receive, each
    int threads = 4;
    std::chrono::milliseconds backoffBase{1000};
    std::chrono::milliseconds backoffCap{60000};
    std::string caFile;  // PEM CA certificates trusted for https receivers, besides the system's
};

struct WebhookStats {
    std::uint64_t enqueued = 0;
    std::uint64_t delivered = 0;
    std::uint64_t failedAttempts = 0;  // non-2xx answers and transport failures
    std::uint64_t givenUp = 0;         // events abandoned after maxAttempts
    std::uint64_t dropped = 0;         // queue overflow (oldest first) and stop()
    std::size_t queued = 0;            // waiting now
};

// Delay after the `failedAttempts`-th failure (1-based): base * 2^(n-1), at most cap.
std::chrono::milliseconds backoffDelay(int failedAttempts, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap);
// Lower-case hex HMAC-SHA256 of `message` with `key`.
std::string hmacSha256Hex(const std::string& key, const std::string& message);
// The X-Parley-Signature value: "sha256=" + hmacSha256Hex(secret, timestamp + "." + body).
std::string webhookSignature(const std::string& secret, const std::string& timestamp,
                             const std::string& body);

class WebhookSender {
  public:
    explicit WebhookSender(WebhookOptions options);
    ~WebhookSender();  // stop()
    WebhookSender(const WebhookSender&) = delete;
    WebhookSender& operator=(const WebhookSender&) = delete;

    // Any thread, never blocks on I/O. Events without an eventsUrl are ignored.
    void enqueue(const AsEvent& e);
    WebhookStats stats() const;
    void stop();

    // Bus thread: subscribe to every event of `bus` / undo it.
    void attach(EventBus& bus);
    void detach();

  private:
    struct Delivery {
        std::uint64_t order = 0;  // enqueue order, over all receivers
        std::string type;
        std::string body;
        std::string deliveryId;
        int attempts = 0;
    };
    struct Receiver {
        std::deque<Delivery> waiting;
        bool busy = false;                  // a thread holds its current event
        std::unique_ptr<Delivery> current;  // backing off between attempts
        std::chrono::steady_clock::time_point readyAt{};
    };
    struct Worker;

    void run(Worker& self);
    // Under lock: a receiver whose event may go now, or "" and the next time one may.
    std::string pickReady(std::chrono::steady_clock::time_point now,
                          std::chrono::steady_clock::time_point& next);
    bool attempt(Worker& self, const std::string& url, const Delivery& d);
    void dropOldest();

    WebhookOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::string, Receiver> receivers_;
    std::size_t queued_ = 0;
    std::uint64_t nextOrder_ = 0;
    bool stopping_ = false;
    WebhookStats stats_;
    std::vector<std::unique_ptr<Worker>> workers_;
    EventBus* bus_ = nullptr;
    std::uint64_t subscription_ = 0;
};

}  // namespace parley::as

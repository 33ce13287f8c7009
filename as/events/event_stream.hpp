#pragma once
// EventStream: GET /v1/events as a WebSocket for dashboards. Every bus event goes to every
// connected client as one text frame holding toJson(event), in seq order; `?room=r1` keeps
// only that room's events. No replay: a client sees the events published after it joined.
//
// Limits: at most maxClients streams (beyond: 429 before the upgrade); authorize(request)
// false gives 401 (empty hook: everyone). Each client has a bounded queue of frames: a client
// that does not read falls behind, its queue overflows and it is cut off with close code 1008
// (policy violation) and a log line; the bus thread only ever queues, it never waits for a
// client. Every pingInterval the server pings; a client silent for three intervals is closed
// (1001). Client pings are answered with pongs; a client's close is answered and ends it.
//
// Threads: each client has its own writer thread (blocking sends with sendTimeout), so a slow
// client delays nobody else. publish() (what attach() subscribes) is called on the bus thread;
// addRoutes() before the HTTP server starts; stats() from any thread. The route holds only a
// weak reference: after the stream is gone it answers 503. stop() (and the destructor) closes
// every client with 1001 and joins the threads, bounded by sendTimeout; call detach() on the
// bus thread first when attached.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "as/events/event_bus.hpp"
#include "common/http_server.hpp"

namespace parley::as {

struct EventStreamOptions {
    std::size_t maxClients = 100;
    std::size_t maxQueuedFrames = 1000;  // per client, beyond: cut off with 1008
    std::chrono::milliseconds pingInterval{20000};
    std::chrono::milliseconds sendTimeout{5000};
    std::size_t maxIncomingFrame = 4096;  // a client sending more is disconnected (1009)
    std::function<bool(const common::HttpRequest&)> authorize;  // empty: everyone
};

struct EventStreamStats {
    std::size_t clients = 0;  // connected now
    std::uint64_t accepted = 0;
    std::uint64_t rejectedBusy = 0;  // 429
    std::uint64_t rejectedAuth = 0;  // 401
    std::uint64_t cutOff = 0;        // queue overflow (1008)
    std::uint64_t framesQueued = 0;
};

class EventStream {
  public:
    static constexpr const char* kPath = "/v1/events";

    explicit EventStream(EventStreamOptions options);
    ~EventStream();
    EventStream(const EventStream&) = delete;
    EventStream& operator=(const EventStream&) = delete;

    void addRoutes(common::HttpRouter& router);
    // Bus thread.
    void attach(EventBus& bus);
    void detach();
    void publish(const AsEvent& e);

    EventStreamStats stats() const;
    void stop();

    struct Core;

  private:
    std::shared_ptr<Core> core_;
    EventBus* bus_ = nullptr;
    std::uint64_t subscription_ = 0;
};

}  // namespace parley::as

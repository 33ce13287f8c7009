#include "as/events/event_stream.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include "common/log.hpp"

namespace parley::as {

namespace {

using Clock = std::chrono::steady_clock;
using Frame = std::shared_ptr<const std::string>;

constexpr int kFrameText = Poco::Net::WebSocket::FRAME_TEXT;
constexpr int kFramePing = static_cast<int>(Poco::Net::WebSocket::FRAME_FLAG_FIN) |
                           static_cast<int>(Poco::Net::WebSocket::FRAME_OP_PING);
constexpr int kFramePong = static_cast<int>(Poco::Net::WebSocket::FRAME_FLAG_FIN) |
                           static_cast<int>(Poco::Net::WebSocket::FRAME_OP_PONG);

class WakeFd {  // an eventfd: the bus thread wakes a client's writer
  public:
    WakeFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
    ~WakeFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    WakeFd(const WakeFd&) = delete;
    WakeFd& operator=(const WakeFd&) = delete;
    bool valid() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    void signal() const {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
    }
    void drain() const {
        std::uint64_t v = 0;
        [[maybe_unused]] auto n = ::read(fd_, &v, sizeof v);
    }

  private:
    int fd_;
};

}  // namespace

struct EventStream::Core {
    struct Client {
        explicit Client(Poco::Net::WebSocket s) : ws(std::move(s)) {}
        Poco::Net::WebSocket ws;
        std::string room;  // "" all rooms
        std::string remote;
        WakeFd wake;
        std::deque<Frame> queue;  // under Core::mutex
        bool overflow = false;    // under Core::mutex
        bool done = false;        // under Core::mutex: the writer has finished
        std::thread thread;
    };

    explicit Core(EventStreamOptions o) : options(std::move(o)) {}

    common::HttpResponse open(const common::HttpRequest& req, common::WebSocketUpgrade& upgrade);
    void publish(const AsEvent& e);
    void write(Client& c);
    void reap();
    void stop();

    EventStreamOptions options;
    mutable std::mutex mutex;
    std::list<std::unique_ptr<Client>> clients;
    std::size_t active = 0;    // clients not done
    std::size_t reserved = 0;  // upgrades under way
    bool stopping = false;
    EventStreamStats stats;
};

common::HttpResponse EventStream::Core::open(const common::HttpRequest& req,
                                             common::WebSocketUpgrade& upgrade) {
    using common::HttpResponse;
    if (options.authorize && !options.authorize(req)) {
        std::lock_guard<std::mutex> lock(mutex);
        ++stats.rejectedAuth;
        return HttpResponse::error(401, "unauthorized", "a valid bearer token is required");
    }
    reap();
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping)
            return HttpResponse::error(503, "unavailable", "the event stream is shutting down");
        if (active + reserved >= options.maxClients) {
            ++stats.rejectedBusy;
            return HttpResponse::error(
                429, "too_many_clients",
                "at most " + std::to_string(options.maxClients) + " event streams");
        }
        ++reserved;
    }
    auto ws = upgrade.accept();
    std::lock_guard<std::mutex> lock(mutex);
    --reserved;
    if (!ws) return HttpResponse::error(400, "bad_request", ws.error().message);
    auto client = std::make_unique<Client>(std::move(ws.value()));
    auto room = req.query.find("room");
    if (room != req.query.end()) client->room = room->second;
    client->remote = req.remote;
    if (!client->wake.valid() || stopping) {
        try {
            client->ws.shutdown(Poco::Net::WebSocket::WS_ENDPOINT_GOING_AWAY, "shutting down");
            client->ws.close();
        } catch (const Poco::Exception&) {
        }
        return HttpResponse::error(503, "unavailable", "the event stream is shutting down");
    }
    Client& c = *client;
    clients.push_back(std::move(client));
    ++active;
    ++stats.accepted;
    PARLEY_LOG_INFO(common::logger("events"), "event stream opened by "
                                                  << c.remote
                                                  << (c.room.empty() ? "" : " for room " + c.room));
    c.thread = std::thread([this, &c] { write(c); });  // stop() joins before the core goes
    return HttpResponse::json(101, "");
}

void EventStream::Core::publish(const AsEvent& e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (active == 0 || stopping) return;
    Frame frame;
    for (auto& c : clients) {
        if (c->done || c->overflow) continue;
        if (!c->room.empty() && c->room != e.room) continue;
        if (c->queue.size() >= options.maxQueuedFrames) {
            c->overflow = true;
            c->queue.clear();
            ++stats.cutOff;
            PARLEY_LOG_WARN(common::logger("events"), "event stream client "
                                                          << c->remote << " does not keep up ("
                                                          << options.maxQueuedFrames
                                                          << " events waiting): closing it (1008)");
            c->wake.signal();
            continue;
        }
        if (!frame) frame = std::make_shared<const std::string>(toJson(e));
        const bool wasEmpty = c->queue.empty();
        c->queue.push_back(frame);
        ++stats.framesQueued;
        if (wasEmpty) c->wake.signal();
    }
}

void EventStream::Core::write(Client& c) {
    using Poco::Net::WebSocket;
    const auto ms = [](std::chrono::milliseconds d) {
        return Poco::Timespan(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    };
    int closeCode = 0;
    std::string closeReason;
    try {
        c.ws.setSendTimeout(ms(options.sendTimeout));
        c.ws.setReceiveTimeout(ms(options.sendTimeout));
        c.ws.setNoDelay(true);
        const auto interval = std::max(options.pingInterval, std::chrono::milliseconds(10));
        Clock::time_point nextPing = Clock::now() + interval;
        Clock::time_point lastHeard = Clock::now();
        std::vector<char> in(std::max<std::size_t>(options.maxIncomingFrame, 125));
        std::deque<Frame> batch;
        for (;;) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (stopping) {
                    closeCode = WebSocket::WS_ENDPOINT_GOING_AWAY;
                    closeReason = "server shutting down";
                    break;
                }
                if (c.overflow) {
                    closeCode = WebSocket::WS_POLICY_VIOLATION;
                    closeReason = "too slow: events were not read";
                    break;
                }
                batch.swap(c.queue);
            }
            if (!batch.empty()) {
                for (const auto& f : batch)
                    c.ws.sendFrame(f->data(), static_cast<int>(f->size()), kFrameText);
                batch.clear();
                continue;  // look again before waiting
            }
            const auto now = Clock::now();
            if (now - lastHeard > 3 * interval) {
                closeCode = WebSocket::WS_ENDPOINT_GOING_AWAY;
                closeReason = "no answer to pings";
                PARLEY_LOG_INFO(common::logger("events"),
                                "event stream client " << c.remote << " stopped answering");
                break;
            }
            if (now >= nextPing) {
                c.ws.sendFrame("", 0, kFramePing);
                nextPing = now + interval;
            }
            const auto wait =
                std::chrono::duration_cast<std::chrono::milliseconds>(nextPing - Clock::now())
                    .count();
            pollfd fds[2] = {{c.wake.fd(), POLLIN, 0}, {c.ws.impl()->sockfd(), POLLIN, 0}};
            const int n = ::poll(fds, 2, static_cast<int>(std::max<long long>(wait, 0) + 1));
            if (n < 0 && errno != EINTR) break;
            if (n <= 0) continue;
            if (fds[0].revents & POLLIN) c.wake.drain();
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                int flags = 0;
                const int got = c.ws.receiveFrame(in.data(), static_cast<int>(in.size()), flags);
                if (got == 0 && flags == 0) break;  // the peer closed the connection
                lastHeard = Clock::now();
                const int op = flags & WebSocket::FRAME_OP_BITMASK;
                if (op == WebSocket::FRAME_OP_CLOSE) {
                    closeCode = WebSocket::WS_NORMAL_CLOSE;
                    break;
                }
                if (op == WebSocket::FRAME_OP_PING) c.ws.sendFrame(in.data(), got, kFramePong);
                // pongs and data frames only prove the client is alive
            }
        }
    } catch (const Poco::Net::WebSocketException& e) {
        closeCode = e.code() == WebSocket::WS_ERR_PAYLOAD_TOO_BIG ? WebSocket::WS_PAYLOAD_TOO_BIG
                                                                  : WebSocket::WS_PROTOCOL_ERROR;
        closeReason = "bad frame";
        PARLEY_LOG_INFO(common::logger("events"),
                        "event stream client " << c.remote << ": " << e.displayText());
    } catch (const Poco::Exception& e) {
        closeCode = 0;  // the connection is broken or too slow to take a close frame
        PARLEY_LOG_INFO(common::logger("events"),
                        "event stream client " << c.remote << ": " << e.displayText());
    }
    try {
        if (closeCode != 0) c.ws.shutdown(static_cast<Poco::UInt16>(closeCode), closeReason);
    } catch (const Poco::Exception&) {
    }
    try {
        c.ws.shutdown();  // TCP: nothing more either way
    } catch (const Poco::Exception&) {
    }
    try {
        c.ws.close();
    } catch (const Poco::Exception&) {
    }
    PARLEY_LOG_INFO(common::logger("events"),
                    "event stream of "
                        << c.remote << " closed"
                        << (closeCode ? " (" + std::to_string(closeCode) + ")" : ""));
    std::lock_guard<std::mutex> lock(mutex);
    c.done = true;
    c.queue.clear();
    --active;
}

void EventStream::Core::reap() {
    std::vector<std::unique_ptr<Client>> finished;
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (auto it = clients.begin(); it != clients.end();) {
            if ((*it)->done) {
                finished.push_back(std::move(*it));
                it = clients.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& c : finished)
        if (c->thread.joinable()) c->thread.join();
}

void EventStream::Core::stop() {
    std::list<std::unique_ptr<Client>> all;
    {
        std::lock_guard<std::mutex> lock(mutex);
        stopping = true;
        for (auto& c : clients) c->wake.signal();
        all.swap(clients);
    }
    for (auto& c : all)
        if (c->thread.joinable()) c->thread.join();
}

EventStream::EventStream(EventStreamOptions options)
    : core_(std::make_shared<Core>(std::move(options))) {}

EventStream::~EventStream() {
    detach();
    stop();
}

void EventStream::addRoutes(common::HttpRouter& router) {
    std::weak_ptr<Core> weak = core_;
    router.addWebSocket(kPath, [weak](const common::HttpRequest& req,
                                      common::WebSocketUpgrade& upgrade) {
        if (auto core = weak.lock()) return core->open(req, upgrade);
        return common::HttpResponse::error(503, "unavailable", "the event stream is not running");
    });
}

void EventStream::attach(EventBus& bus) {
    detach();
    bus_ = &bus;
    subscription_ = bus.subscribe([core = core_](const AsEvent& e) { core->publish(e); });
}

void EventStream::detach() {
    if (bus_) bus_->unsubscribe(subscription_);
    bus_ = nullptr;
    subscription_ = 0;
}

void EventStream::publish(const AsEvent& e) {
    core_->publish(e);
}

EventStreamStats EventStream::stats() const {
    std::lock_guard<std::mutex> lock(core_->mutex);
    EventStreamStats s = core_->stats;
    s.clients = core_->active;
    return s;
}

void EventStream::stop() {
    core_->stop();
}

}  // namespace parley::as

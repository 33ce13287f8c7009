#include "as/events/webhook_sender.hpp"
#include "as/events/tls_client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <istream>
#include <ostream>

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include "common/log.hpp"

namespace parley::as {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds backoffDelay(int failedAttempts, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap) {
    if (failedAttempts < 1 || base.count() <= 0) return std::chrono::milliseconds(0);
    std::chrono::milliseconds d = base;
    for (int i = 1; i < failedAttempts && d < cap; ++i) d *= 2;
    return std::min(d, cap);
}

namespace {

// Poco 1.11's SHA2Engine lacks the BLOCK_SIZE and DIGEST_SIZE that HMACEngine needs (later
// Poco versions have them); this names them for SHA-256.
class Sha256Engine : public Poco::SHA2Engine {
  public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

}  // namespace

std::string hmacSha256Hex(const std::string& key, const std::string& message) {
    Poco::HMACEngine<Sha256Engine> hmac(key);
    hmac.update(message);
    return Poco::DigestEngine::digestToHex(hmac.digest());
}

std::string webhookSignature(const std::string& secret, const std::string& timestamp,
                             const std::string& body) {
    return "sha256=" + hmacSha256Hex(secret, timestamp + "." + body);
}

namespace {

bool fallingRate(std::uint64_t n) {  // true for 1, 10, 100, 1000...
    while (n >= 10 && n % 10 == 0) n /= 10;
    return n == 1;
}

}  // namespace

struct WebhookSender::Worker {
    std::thread thread;
    int socketFd = -1;  // of the request in flight, under mutex_: stop() shuts it down
};

WebhookSender::WebhookSender(WebhookOptions options) : options_(std::move(options)) {
    options_.maxQueue = std::max<std::size_t>(options_.maxQueue, 1);
    options_.maxAttempts = std::max(options_.maxAttempts, 1);
    options_.threads = std::clamp(options_.threads, 1, 64);
    for (int i = 0; i < options_.threads; ++i) {
        workers_.push_back(std::make_unique<Worker>());
        Worker& w = *workers_.back();
        w.thread = std::thread([this, &w] { run(w); });
    }
}

WebhookSender::~WebhookSender() {
    detach();
    stop();
}

void WebhookSender::attach(EventBus& bus) {
    detach();
    bus_ = &bus;
    subscription_ = bus.subscribe([this](const AsEvent& e) { enqueue(e); });
}

void WebhookSender::detach() {
    if (bus_) bus_->unsubscribe(subscription_);
    bus_ = nullptr;
    subscription_ = 0;
}

void WebhookSender::enqueue(const AsEvent& e) {
    if (e.eventsUrl.empty()) return;
    Delivery d;
    d.type = e.type;
    d.body = toJson(e);
    d.deliveryId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
        ++stats_.dropped;
        return;
    }
    if (queued_ >= options_.maxQueue) dropOldest();
    d.order = ++nextOrder_;
    receivers_[e.eventsUrl].waiting.push_back(std::move(d));
    ++queued_;
    ++stats_.enqueued;
    wake_.notify_one();
}

void WebhookSender::dropOldest() {
    Receiver* oldest = nullptr;
    const std::string* url = nullptr;
    for (auto& [u, r] : receivers_) {
        if (r.waiting.empty()) continue;
        if (!oldest || r.waiting.front().order < oldest->waiting.front().order) {
            oldest = &r;
            url = &u;
        }
    }
    if (!oldest) return;
    const std::string type = oldest->waiting.front().type;
    oldest->waiting.pop_front();
    --queued_;
    const std::uint64_t n = ++stats_.dropped;
    if (fallingRate(n))
        PARLEY_LOG_WARN(common::logger("webhook"),
                        "queue full (" << options_.maxQueue << "): dropped the oldest event ("
                                       << type << " for " << *url << "), " << n
                                       << " dropped so far");
    if (!oldest->busy && !oldest->current && oldest->waiting.empty()) receivers_.erase(*url);
}

WebhookStats WebhookSender::stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    WebhookStats s = stats_;
    s.queued = queued_;
    return s;
}

void WebhookSender::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_) {
            stopping_ = true;
            for (auto& [url, r] : receivers_)
                stats_.dropped += r.waiting.size() + (r.current ? 1 : 0);
            for (auto& [url, r] : receivers_) {
                r.waiting.clear();
                r.current.reset();
            }
            queued_ = 0;
            for (auto& w : workers_)
                if (w->socketFd >= 0)
                    ::shutdown(w->socketFd, SHUT_RDWR);  // unblocks a request in flight
        }
    }
    wake_.notify_all();
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

std::string WebhookSender::pickReady(Clock::time_point now, Clock::time_point& next) {
    // The receiver whose next event is the oldest goes first: fair between receivers.
    const std::string* best = nullptr;
    std::uint64_t bestOrder = 0;
    for (auto& [url, r] : receivers_) {
        if (r.busy) continue;
        std::uint64_t order = 0;
        if (r.current) {
            if (r.readyAt > now) {
                next = std::min(next, r.readyAt);
                continue;
            }
            order = r.current->order;
        } else if (!r.waiting.empty()) {
            order = r.waiting.front().order;
        } else {
            continue;
        }
        if (!best || order < bestOrder) {
            best = &url;
            bestOrder = order;
        }
    }
    return best ? *best : std::string();
}

void WebhookSender::run(Worker& self) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        Clock::time_point next = Clock::time_point::max();
        const std::string url = pickReady(Clock::now(), next);
        if (url.empty()) {
            if (next == Clock::time_point::max())
                wake_.wait(lock);
            else
                wake_.wait_until(lock, next);
            continue;
        }
        Receiver& r = receivers_[url];
        r.busy = true;
        std::unique_ptr<Delivery> d;
        if (r.current) {
            d = std::move(r.current);
        } else {
            d = std::make_unique<Delivery>(std::move(r.waiting.front()));
            r.waiting.pop_front();
            --queued_;
        }
        lock.unlock();
        const bool ok = attempt(self, url, *d);
        lock.lock();
        ++d->attempts;
        auto it = receivers_.find(url);  // still there: busy receivers are never erased
        Receiver& after = it->second;
        after.busy = false;
        if (ok) {
            ++stats_.delivered;
        } else {
            ++stats_.failedAttempts;
            if (stopping_) {
                ++stats_.dropped;
            } else if (d->attempts >= options_.maxAttempts) {
                ++stats_.givenUp;
                PARLEY_LOG_WARN(common::logger("webhook"),
                                "gave up " << d->type << " (delivery " << d->deliveryId << ") to "
                                           << url << " after " << d->attempts << " attempts");
            } else {
                after.readyAt = Clock::now() + backoffDelay(d->attempts, options_.backoffBase,
                                                            options_.backoffCap);
                after.current = std::move(d);
            }
        }
        if (!after.current && after.waiting.empty()) receivers_.erase(it);
        wake_.notify_one();  // the receiver may have more for another thread
    }
}

bool WebhookSender::attempt(Worker& self, const std::string& url, const Delivery& d) {
    struct InFlight {  // publishes the socket for stop() while the request runs
        WebhookSender& sender;
        Worker& worker;
        ~InFlight() {
            std::lock_guard<std::mutex> lock(sender.mutex_);
            worker.socketFd = -1;
        }
    };
    try {
        Poco::URI uri(url);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https")
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                      tlsClientContext(options_.caFile));
        else if (uri.getScheme() == "http")
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        else {
            PARLEY_LOG_WARN(common::logger("webhook"), "not an http(s) URL: " << url);
            return false;
        }
        const Poco::Timespan t(
            std::chrono::duration_cast<std::chrono::microseconds>(options_.timeout).count());
        session->setTimeout(t, t, t);
        session->setKeepAlive(false);

        const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        std::string target = uri.getPathAndQuery();
        if (target.empty()) target = "/";
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(d.body.size()));
        req.set("User-Agent", "Parley-Webhook/0.1");
        req.set("X-Parley-Event", d.type);
        req.set("X-Parley-Delivery", d.deliveryId);
        req.set("X-Parley-Timestamp", ts);
        req.set("X-Parley-Signature", webhookSignature(options_.secret, ts, d.body));

        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) return false;
        }
        InFlight inFlight{*this, self};
        std::ostream& os = session->sendRequest(req);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            self.socketFd = session->socket().impl()->sockfd();
            if (stopping_) return false;
        }
        os.write(d.body.data(), static_cast<std::streamsize>(d.body.size()));
        os.flush();
        Poco::Net::HTTPResponse resp;
        std::istream& is = session->receiveResponse(resp);
        char sink[4096];
        std::size_t total = 0;
        while (total < 65536 && is.read(sink, sizeof sink))
            total += sizeof sink;  // bounded: the answer is ignored
        const int status = static_cast<int>(resp.getStatus());
        if (status >= 200 && status < 300) return true;
        PARLEY_LOG_INFO(common::logger("webhook"), d.type << " to " << url << ": HTTP " << status
                                                          << " (attempt " << d.attempts + 1 << ")");
        return false;
    } catch (const Poco::Exception& e) {
        PARLEY_LOG_INFO(common::logger("webhook"), d.type << " to " << url
                                                          << " failed: " << e.displayText()
                                                          << " (attempt " << d.attempts + 1 << ")");
    } catch (const std::exception& e) {
        PARLEY_LOG_INFO(common::logger("webhook"), d.type << " to " << url
                                                          << " failed: " << e.what() << " (attempt "
                                                          << d.attempts + 1 << ")");
    }
    return false;
}

}  // namespace parley::as

#include "as/apps/webhook_client.hpp"
#include "as/events/tls_client.hpp"

#include <istream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include "as/apps/instructions.hpp"
#include "common/log.hpp"

namespace parley::as::apps {

namespace {
Poco::Logger& log() { return common::logger("as.apps"); }
}  // namespace

struct WebhookClient::Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> queue;
    bool stopping = false;
    WebhookClient* owner = nullptr;  // read and cleared on the loop thread only
};

WebhookClient::WebhookClient(common::EventLoop& loop, WebhookOptions options)
    : loop_(loop), options_(std::move(options)), shared_(std::make_shared<Shared>()) {
    shared_->owner = this;
    if (options_.threads == 0) options_.threads = 1;
    for (std::size_t i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { work(); });
}

WebhookClient::~WebhookClient() {
    shared_->owner = nullptr;
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        shared_->stopping = true;
        shared_->queue.clear();
    }
    shared_->wake.notify_all();
    for (auto& t : workers_) t.join();
    for (auto& [id, p] : pending_)
        if (p.timer) loop_.cancelTimer(p.timer);
}

void WebhookClient::post(const std::string& url, std::string jsonBody, std::chrono::milliseconds timeout, Done done) {
    const std::uint64_t id = nextId_++;
    auto fail = [&](common::Error e) {
        pending_[id].done = std::move(done);
        auto shared = shared_;
        loop_.post([shared, id, e] {
            if (shared->owner) shared->owner->finish(id, e);
        });
    };
    if (!isHttpUrl(url)) return fail(common::Error(400, "not an http(s) URL: " + url.substr(0, 200)));
    if (jsonBody.size() > options_.maxBodyBytes) return fail(common::Error(413, "request body too large"));
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        if (shared_->stopping) return fail(common::Error(503, "webhook client stopping"));
        if (shared_->queue.size() >= options_.maxQueued) return fail(common::Error(503, "webhook queue full"));
        shared_->queue.push_back(Job{id, url, std::move(jsonBody), timeout});
    }
    shared_->wake.notify_one();
    Pending& p = pending_[id];
    p.done = std::move(done);
    // The whole exchange is bounded, whatever the receiver does byte by byte. Queue time counts.
    p.timer = loop_.addTimer(timeout + std::chrono::milliseconds(50), [this, id] {
        auto it = pending_.find(id);
        if (it == pending_.end()) return;
        it->second.timer = 0;
        finish(id, common::Error(504, "no answer within the webhook timeout"));
    });
}

void WebhookClient::finish(std::uint64_t id, common::Result<std::string> result) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // timed out earlier: the late answer is dropped
    Done done = std::move(it->second.done);
    if (it->second.timer) loop_.cancelTimer(it->second.timer);
    pending_.erase(it);
    if (done) done(std::move(result));
}

void WebhookClient::work() {
    auto shared = shared_;
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(shared->mutex);
            shared->wake.wait(lock, [&] { return shared->stopping || !shared->queue.empty(); });
            if (shared->stopping) return;
            job = std::move(shared->queue.front());
            shared->queue.pop_front();
        }
        auto result = exchange(job.url, job.body, job.timeout, options_);
        loop_.post([shared, id = job.id, result = std::move(result)]() mutable {
            if (shared->owner) shared->owner->finish(id, std::move(result));
        });
    }
}

common::Result<std::string> WebhookClient::exchange(const std::string& url, const std::string& body,
                                                    std::chrono::milliseconds timeout,
                                                    const WebhookOptions& options) {
    try {
        Poco::URI uri(url);
        if (uri.getScheme() != "http" && uri.getScheme() != "https")
            return common::Error(400, "not an http(s) URL");
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
            session = std::make_unique<Poco::Net::HTTPSClientSession>(
                uri.getHost(), uri.getPort(), tlsClientContext(options.caFile, options.verifyPeer));
        } else {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        }
        const Poco::Timespan span(static_cast<long>(timeout.count() / 1000),
                                  static_cast<long>((timeout.count() % 1000) * 1000));
        session->setTimeout(span, span, span);
        session->setKeepAlive(false);
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST,
                                       uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        request.set("User-Agent", options.userAgent);
        session->sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        if (response.hasContentLength() &&
            response.getContentLength64() > static_cast<Poco::Int64>(options.maxBodyBytes))
            return common::Error(413, "answer body over " + std::to_string(options.maxBodyBytes) + " bytes");
        std::string answer;
        char buf[8192];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            answer.append(buf, static_cast<std::size_t>(in.gcount()));
            if (answer.size() > options.maxBodyBytes)
                return common::Error(413, "answer body over " + std::to_string(options.maxBodyBytes) + " bytes");
        }
        const int status = static_cast<int>(response.getStatus());
        if (status < 200 || status > 299)
            return common::Error(502, "HTTP " + std::to_string(status) + " " + response.getReason());
        return answer;
    } catch (const Poco::TimeoutException& e) {
        return common::Error(504, "timeout: " + e.displayText());
    } catch (const Poco::Exception& e) {
        PARLEY_LOG_DEBUG(log(), "webhook " << url << ": " << e.displayText());
        return common::Error(599, e.displayText());
    } catch (const std::exception& e) {
        return common::Error(599, e.what());
    }
}

}  // namespace parley::as::apps

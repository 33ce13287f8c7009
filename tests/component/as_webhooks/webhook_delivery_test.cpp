// WebhookSender over real sockets on 127.0.0.1: a receiver written here checks the
// signature, fails the first deliveries and then accepts; dead and hanging receivers next to
// a healthy one; drop-oldest when the receiver is stuck; an https receiver with a
// self-signed certificate made by openssl, trusted through caFile or not at all.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <istream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <Poco/DigestEngine.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/HMACEngine.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>

#include "as/events/webhook_sender.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

using namespace std::chrono_literals;
using parley::as::AsEvent;
using parley::as::WebhookOptions;
using parley::as::WebhookSender;
using parley::test::TestHttpServer;

namespace {

// What a receiver saw, with a way to wait for it.
struct Inbox {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::uint64_t> accepted;  // seq of the events answered 2xx, in arrival order
    std::vector<std::string> deliveryIds;
    int requests = 0;
    int badSignatures = 0;

    template <typename Pred>
    bool waitFor(Pred pred, std::chrono::milliseconds limit) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, limit, [&] { return pred(*this); });
    }
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

std::uint64_t seqOf(const std::string& body) {
    std::optional<std::string> seq = parley::test::reCapture(body, R"("seq":([0-9]+))");
    return seq ? std::stoull(*seq) : 0;
}

class Sha256 : public Poco::SHA2Engine {  // what HMACEngine needs, missing in Poco 1.11
  public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

// The receiver's check, written from the documentation (not with the sender's functions).
bool signatureValid(const std::string& secret, const std::string& ts, const std::string& body,
                    const std::string& header) {
    Poco::HMACEngine<Sha256> h(secret);
    h.update(ts + "." + body);
    return header == "sha256=" + Poco::DigestEngine::digestToHex(h.digest());
}

// Routes `path` to a receiver that answers 500 to the first `failFirst` requests.
void receiver(TestHttpServer& server, const std::string& path, Inbox& inbox,
              const std::string& secret, int failFirst) {
    server.route(path, [&inbox, secret, failFirst](Poco::Net::HTTPServerRequest& req,
                                                   Poco::Net::HTTPServerResponse& resp) {
        std::string body;
        Poco::StreamCopier::copyToString(req.stream(), body);
        const bool ok = req.getMethod() == "POST" && req.getContentType() == "application/json" &&
                        signatureValid(secret, req.get("X-Parley-Timestamp", ""), body,
                                       req.get("X-Parley-Signature", "")) &&
                        req.get("X-Parley-Event", "") == "participant.joined";
        bool accept = false;
        {
            std::lock_guard<std::mutex> lock(inbox.mutex);
            ++inbox.requests;
            if (!ok) ++inbox.badSignatures;
            inbox.deliveryIds.push_back(req.get("X-Parley-Delivery", ""));
            accept = ok && inbox.requests > failFirst;
            if (accept) inbox.accepted.push_back(seqOf(body));
        }
        inbox.changed.notify_all();
        resp.setStatus(accept ? Poco::Net::HTTPResponse::HTTP_NO_CONTENT
                              : Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
        resp.setContentLength(0);
        resp.send();
    });
}

AsEvent joined(std::uint64_t seq, const std::string& url) {
    AsEvent e;
    e.seq = seq;
    e.type = "participant.joined";
    e.room = "r1";
    e.participant = "p" + std::to_string(seq);
    e.eventsUrl = url;
    e.at = std::chrono::system_clock::now();
    return e;
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint64_t> v;
    for (auto i = from; i <= to; ++i) v.push_back(i);
    return v;
}

// An https receiver (Poco SecureServerSocket + HTTPServer) for the TLS test.
struct Received {
    std::atomic<int> requests{0};
    std::atomic<int> signedOk{0};
};

class Handler : public Poco::Net::HTTPRequestHandler {
  public:
    explicit Handler(Received& r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        std::string body;
        Poco::StreamCopier::copyToString(req.stream(), body);
        ++r_.requests;
        if (req.has("X-Parley-Signature") && body.find("participant.joined") != std::string::npos)
            ++r_.signedOk;
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
        resp.setContentLength(0);
        resp.send();
    }

  private:
    Received& r_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit Factory(Received& r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new Handler(r_);
    }

  private:
    Received& r_;
};

// An HTTPS server on 127.0.0.1, port 0, with `key`/`cert`.
class TlsReceiver {
  public:
    TlsReceiver(const std::string& key, const std::string& cert, Received& received) {
        Poco::Net::initializeSSL();
        Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key, cert, "",
                                                             Poco::Net::Context::VERIFY_NONE, 9, false);
        Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, ctx);
        port_ = socket.address().port();
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(2);
        server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(received), socket, params);
        server_->start();
    }
    ~TlsReceiver() { server_->stopAll(true); }
    std::string url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(port_) + path; }

  private:
    std::uint16_t port_ = 0;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace

TEST_CASE("as events2: signed webhooks are retried and delivered exactly in order",
          "[as_webhooks]") {
    TestHttpServer server;
    Inbox inbox;
    receiver(server, "/hook", inbox, "s3cret", 2);
    WebhookSender sender(WebhookOptions{"s3cret", 100, 5, 2000ms, 2, 50ms, 200ms, {}});
    for (std::uint64_t i = 1; i <= 20; ++i) sender.enqueue(joined(i, server.url("/hook")));
    REQUIRE(inbox.waitFor([](Inbox& b) { return b.accepted.size() == 20; }, 10s));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    CHECK(inbox.accepted == range(1, 20));
    CHECK(inbox.requests == 22);
    CHECK(inbox.badSignatures == 0);
    // The retries of event 1 carry its delivery id; every event has its own.
    CHECK(inbox.deliveryIds[0] == inbox.deliveryIds[1]);
    CHECK(inbox.deliveryIds[1] == inbox.deliveryIds[2]);
    CHECK(inbox.deliveryIds[2] != inbox.deliveryIds[3]);
    CHECK(inbox.deliveryIds[0].size() == 36);
    REQUIRE(eventually([&] { return sender.stats().delivered == 20; }));
    const auto s = sender.stats();
    CHECK(s.failedAttempts == 2);
    CHECK(s.givenUp == 0);
}

TEST_CASE("as events2: a receiver with the wrong secret rejects every delivery", "[as_webhooks]") {
    TestHttpServer server;
    Inbox inbox;
    receiver(server, "/hook", inbox, "other", 0);
    WebhookSender sender(WebhookOptions{"s3cret", 100, 2, 2000ms, 1, 10ms, 10ms, {}});
    sender.enqueue(joined(1, server.url("/hook")));
    REQUIRE(inbox.waitFor([](Inbox& b) { return b.requests == 2; }, 5s));
    CHECK(inbox.badSignatures == 2);
    CHECK(inbox.accepted.empty());
}

TEST_CASE("as events2: dead and hanging receivers do not delay a healthy one", "[as_webhooks]") {
    TestHttpServer server;
    Inbox inbox;
    receiver(server, "/hook", inbox, "k", 0);
    // Dead: a port that was just free. Hanging: listens, never accepts nor answers.
    std::string deadUrl;
    {
        Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
        deadUrl = "http://127.0.0.1:" + std::to_string(s.address().port()) + "/dead";
    }
    Poco::Net::ServerSocket hanging(Poco::Net::SocketAddress("127.0.0.1", 0));
    const std::string hangingUrl =
        "http://127.0.0.1:" + std::to_string(hanging.address().port()) + "/hang";

    WebhookSender sender(WebhookOptions{"k", 1000, 3, 3000ms, 2, 100ms, 100ms, {}});
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 1; i <= 30; ++i) {
        sender.enqueue(joined(i, hangingUrl));
        sender.enqueue(joined(i, deadUrl));
        sender.enqueue(joined(i, server.url("/hook")));
    }
    REQUIRE(inbox.waitFor([](Inbox& b) { return b.accepted.size() == 30; }, 10s));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took < 1500ms);  // well under one hanging timeout (3 s)
    {
        std::lock_guard<std::mutex> lock(inbox.mutex);
        CHECK(inbox.accepted == range(1, 30));
    }
    CHECK(sender.stats().failedAttempts >= 1);
    // stop() does not wait for the hanging request to time out.
    const auto stopStart = std::chrono::steady_clock::now();
    sender.stop();
    CHECK(std::chrono::steady_clock::now() - stopStart < 1000ms);
}

TEST_CASE("as events2: a stuck receiver's queue keeps the newest events", "[as_webhooks]") {
    TestHttpServer server;
    std::mutex mutex;
    std::condition_variable cv;
    bool released = false;
    int arrived = 0;
    std::vector<std::uint64_t> seqs;
    server.route("/slow",
                 [&](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
                     std::string body;
                     Poco::StreamCopier::copyToString(req.stream(), body);
                     {
                         std::unique_lock<std::mutex> lock(mutex);
                         seqs.push_back(seqOf(body));
                         ++arrived;
                         cv.notify_all();
                         cv.wait_for(lock, 5s, [&] { return released; });
                     }
                     resp.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
                     resp.setContentLength(0);
                     resp.send();
                 });
    WebhookSender sender(WebhookOptions{"k", 3, 3, 3000ms, 1, 10ms, 10ms, {}});
    sender.enqueue(joined(1, server.url("/slow")));
    {
        std::unique_lock<std::mutex> lock(mutex);
        REQUIRE(cv.wait_for(lock, 5s, [&] { return arrived == 1; }));
    }
    for (std::uint64_t i = 2; i <= 7; ++i) sender.enqueue(joined(i, server.url("/slow")));
    CHECK(sender.stats().dropped == 3);
    {
        std::lock_guard<std::mutex> lock(mutex);
        released = true;
    }
    cv.notify_all();
    {
        std::unique_lock<std::mutex> lock(mutex);
        REQUIRE(cv.wait_for(lock, 5s, [&] { return arrived == 4; }));
        CHECK(seqs == std::vector<std::uint64_t>{1, 5, 6, 7});
    }
}

TEST_CASE("as events2: an https receiver trusted through caFile gets signed events, an untrusted one none",
          "[as_webhooks][tls]") {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) PARLEY_SKIP("openssl is not installed");
    parley::test::TempDir dir;
    const std::string key = (dir.path() / "key.pem").string();
    const std::string cert = (dir.path() / "cert.pem").string();
    // A certificate for 127.0.0.1 (an IP subjectAltName) and localhost.
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                            "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " + key +
                            " -out " + cert + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);

    Received received;
    TlsReceiver receiver(key, cert, received);

    SECTION("trusted through caFile: delivered, signed") {
        WebhookOptions o{"s3cret", 100, 3, 3000ms, 1, 50ms, 200ms, {}};
        o.caFile = cert;
        WebhookSender sender(o);
        for (std::uint64_t i = 1; i <= 3; ++i) sender.enqueue(joined(i, receiver.url("/hook")));
        REQUIRE(eventually([&] { return sender.stats().delivered == 3; }, 15s));
        CHECK(received.signedOk == 3);
        CHECK(sender.stats().failedAttempts == 0);
    }
    SECTION("not trusted (system CAs only): refused before any request, never delivered") {
        WebhookSender sender(WebhookOptions{"s3cret", 100, 2, 3000ms, 1, 50ms, 100ms, {}});
        sender.enqueue(joined(1, receiver.url("/hook")));
        REQUIRE(eventually([&] { return sender.stats().givenUp == 1; }, 15s));
        CHECK(sender.stats().delivered == 0);
        CHECK(sender.stats().failedAttempts == 2);
        CHECK(received.requests == 0);  // the TLS handshake failed: no HTTP request was read
    }
}

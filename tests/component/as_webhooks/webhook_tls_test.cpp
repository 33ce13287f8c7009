// WebhookSender to an https receiver written here (Poco SecureServerSocket + HTTPServer) with
// a self-signed certificate made by the openssl program for the test: trusted through
// WebhookOptions::caFile it is delivered to, signed; without it the certificate is refused
// and nothing is delivered. Skips when openssl is not installed.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>

#include "as/events/webhook_sender.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"

using namespace std::chrono_literals;
using parley::as::AsEvent;
using parley::as::WebhookOptions;
using parley::as::WebhookSender;

namespace {

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

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

}  // namespace

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

// EventStream over common/http_server on 127.0.0.1 with Poco WebSocket clients.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <Poco/Buffer.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/StreamCopier.h>

#include "as/events/event_stream.hpp"
#include "tests/support/text_match.hpp"

using namespace std::chrono_literals;
using parley::as::AsEvent;
using parley::as::EventBus;
using parley::as::EventStream;
using parley::as::EventStreamOptions;
using Poco::Net::WebSocket;

namespace {

constexpr int kPing =
    static_cast<int>(WebSocket::FRAME_FLAG_FIN) | static_cast<int>(WebSocket::FRAME_OP_PING);
constexpr int kPong =
    static_cast<int>(WebSocket::FRAME_FLAG_FIN) | static_cast<int>(WebSocket::FRAME_OP_PONG);

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

struct StreamServer {
    explicit StreamServer(EventStreamOptions o) : stream(std::move(o)) {
        auto router = std::make_shared<parley::common::HttpRouter>();
        stream.addRoutes(*router);
        router->add("GET", "/v1/ping", [](const parley::common::HttpRequest&) {
            return parley::common::HttpResponse::json(200, "{}");
        });
        auto started = parley::common::HttpServer::start(
            parley::common::SocketAddress::fromHostPort("127.0.0.1", 0).value(),
            parley::common::HttpLimits{}, router);
        REQUIRE(started.ok());
        http = std::move(started.value());
        stream.attach(bus);
    }
    ~StreamServer() {
        stream.detach();
        stream.stop();
        http->stop();
    }
    EventStream stream;
    EventBus bus;
    std::unique_ptr<parley::common::HttpServer> http;
};

struct Client {
    Client(std::uint16_t port, const std::string& target, const std::string& token = "")
        : session("127.0.0.1", port),
          request(Poco::Net::HTTPRequest::HTTP_GET, target, "HTTP/1.1") {
        if (!token.empty()) request.set("Authorization", "Bearer " + token);
        try {
            ws = std::make_unique<WebSocket>(session, request, response);
            ws->setReceiveTimeout(Poco::Timespan(5, 0));
        } catch (const Poco::Net::WebSocketException&) {
        }
    }
    // The next frame; flags 0 and "" on a closed connection.
    std::string next(int& flags) {
        Poco::Buffer<char> buf(0);
        const int n = ws->receiveFrame(buf, flags);
        return std::string(buf.begin(), static_cast<std::size_t>(std::max(n, 0)));
    }
    // The next text frame, answering pings.
    std::string nextText() {
        for (;;) {
            int flags = 0;
            std::string f = next(flags);
            const int op = flags & WebSocket::FRAME_OP_BITMASK;
            if (op == WebSocket::FRAME_OP_PING) {
                ws->sendFrame(f.data(), static_cast<int>(f.size()), kPong);
                continue;
            }
            if (op != WebSocket::FRAME_OP_TEXT) return "<op " + std::to_string(op) + ">";
            return f;
        }
    }
    Poco::Net::HTTPClientSession session;
    Poco::Net::HTTPRequest request;
    Poco::Net::HTTPResponse response;
    std::unique_ptr<WebSocket> ws;
};

AsEvent roomEvent(const std::string& room, std::string data = "{}") {
    AsEvent e;
    e.type = "participant.talking.started";
    e.room = room;
    e.participant = "p1";
    e.dataJson = std::move(data);
    return e;
}

std::uint64_t seqOf(const std::string& json) {
    std::optional<std::string> seq = parley::test::reCapture(json, R"(^\{"seq":([0-9]+),)");
    return seq ? std::stoull(*seq) : 0;
}

}  // namespace

TEST_CASE("as events2: the stream delivers 1,000 events in order, filtered by room",
          "[as_webhooks]") {
    StreamServer s(EventStreamOptions{});
    Client all(s.http->port(), "/v1/events");
    Client r1(s.http->port(), "/v1/events?room=r1");
    REQUIRE(all.ws);
    REQUIRE(r1.ws);
    REQUIRE(eventually([&] { return s.stream.stats().clients == 2; }));
    std::vector<std::uint64_t> r1Seqs;
    for (int i = 0; i < 1000; ++i) {
        const auto seq = s.bus.publish(roomEvent(i % 3 == 0 ? "r1" : "r2"));
        if (i % 3 == 0) r1Seqs.push_back(seq);
    }
    for (std::uint64_t i = 1; i <= 1000; ++i) {
        const std::string f = all.nextText();
        REQUIRE(seqOf(f) == i);
    }
    for (auto expected : r1Seqs) {
        const std::string f = r1.nextText();
        REQUIRE(seqOf(f) == expected);
        REQUIRE(f.find("\"room\":\"r1\"") != std::string::npos);
    }
}

TEST_CASE("as events2: a client that does not read is cut off with 1008", "[as_webhooks]") {
    EventStreamOptions o;
    o.maxQueuedFrames = 50;
    o.sendTimeout = 3000ms;
    StreamServer s(o);
    Client lazy(s.http->port(), "/v1/events");
    Client busy(s.http->port(), "/v1/events");
    REQUIRE(lazy.ws);
    REQUIRE(busy.ws);
    REQUIRE(eventually([&] { return s.stream.stats().clients == 2; }));
    const std::string big = "{\"pad\":\"" + std::string(32000, 'x') + "\"}";
    // The bus thread never waits for the lazy client; the reading one gets everything.
    std::atomic<std::uint64_t> inOrder{0};
    std::atomic<std::uint64_t> target{0};
    std::thread reader([&] {
        try {
            for (std::uint64_t i = 1;; ++i) {
                const auto t = target.load();
                if (t != 0 && inOrder >= t) return;
                if (seqOf(busy.nextText()) != i) return;
                inOrder = i;
            }
        } catch (const Poco::Exception&) {
        }
    });
    struct Join {  // the reader ends by itself: its reads time out
        std::thread& t;
        ~Join() {
            if (t.joinable()) t.join();
        }
    } join{reader};
    const auto start = std::chrono::steady_clock::now();
    auto slowest = std::chrono::steady_clock::duration::zero();
    for (int i = 0; i < 3000 && s.stream.stats().cutOff == 0; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        s.bus.publish(roomEvent("r1", big));
        slowest = std::max(slowest, std::chrono::steady_clock::now() - t0);
        std::this_thread::sleep_for(1ms);  // a pace the reading client keeps up with
    }
    CHECK(slowest < 100ms);  // publishing never waits for a client
    CHECK(std::chrono::steady_clock::now() - start < 20s);
    REQUIRE(s.stream.stats().cutOff >= 1);
    CHECK(s.stream.stats().cutOff == 1);
    // Reading now, the lazy client finds what was on the way and then the close frame.
    int closeCode = 0;
    for (int i = 0; i < 5000; ++i) {
        int flags = 0;
        std::string f = lazy.next(flags);
        if ((flags & WebSocket::FRAME_OP_BITMASK) == WebSocket::FRAME_OP_CLOSE) {
            REQUIRE(f.size() >= 2);
            closeCode = (static_cast<unsigned char>(f[0]) << 8) | static_cast<unsigned char>(f[1]);
            break;
        }
        if (flags == 0 && f.empty()) break;
    }
    CHECK(closeCode == 1008);
    CHECK(eventually([&] { return s.stream.stats().clients == 1; }));
    // The reading client got everything published until then, in order.
    target = s.bus.lastSeq();
    s.bus.publish(roomEvent("r1"));
    reader.join();
    CHECK(inOrder >= target);
}

TEST_CASE("as events2: past max clients the upgrade is refused with 429", "[as_webhooks]") {
    EventStreamOptions o;
    o.maxClients = 2;
    StreamServer s(o);
    Client a(s.http->port(), "/v1/events");
    Client b(s.http->port(), "/v1/events");
    REQUIRE(a.ws);
    REQUIRE(b.ws);
    Client c(s.http->port(), "/v1/events");
    CHECK_FALSE(c.ws);
    CHECK(c.response.getStatus() == 429);
    CHECK(s.stream.stats().rejectedBusy == 1);
    // A client leaving makes room again.
    a.ws->shutdown();
    a.ws->close();
    REQUIRE(eventually([&] { return s.stream.stats().clients == 1; }));
    Client d(s.http->port(), "/v1/events");
    CHECK(d.ws);
}

TEST_CASE("as events2: the authorize hook gates the stream with 401", "[as_webhooks]") {
    EventStreamOptions o;
    o.authorize = [](const parley::common::HttpRequest& r) {
        auto it = r.headers.find("authorization");
        return it != r.headers.end() && it->second == "Bearer good";
    };
    StreamServer s(o);
    Client bad(s.http->port(), "/v1/events", "bad");
    CHECK_FALSE(bad.ws);
    CHECK(bad.response.getStatus() == 401);
    Client good(s.http->port(), "/v1/events", "good");
    REQUIRE(good.ws);
    REQUIRE(eventually([&] { return s.stream.stats().clients == 1; }));
    s.bus.publish(roomEvent("r1"));
    CHECK(seqOf(good.nextText()) == 1);
}

TEST_CASE("as events2: plain HTTP on the stream path gets 400 and other routes still work",
          "[as_webhooks]") {
    StreamServer s(EventStreamOptions{});
    Poco::Net::HTTPClientSession session("127.0.0.1", s.http->port());
    Poco::Net::HTTPRequest get(Poco::Net::HTTPRequest::HTTP_GET, "/v1/events", "HTTP/1.1");
    session.sendRequest(get);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
    CHECK(resp.getStatus() == 400);
    CHECK(body.find("\"error\"") != std::string::npos);
    Poco::Net::HTTPRequest post(Poco::Net::HTTPRequest::HTTP_POST, "/v1/events", "HTTP/1.1");
    post.setContentLength(0);
    session.sendRequest(post);
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
    CHECK(resp.getStatus() == 405);
    Poco::Net::HTTPRequest ping(Poco::Net::HTTPRequest::HTTP_GET, "/v1/ping", "HTTP/1.1");
    session.sendRequest(ping);
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
    CHECK(resp.getStatus() == 200);
}

TEST_CASE("as events2: the server pings, answers pings and closes with 1001 on stop",
          "[as_webhooks]") {
    EventStreamOptions o;
    o.pingInterval = 100ms;
    StreamServer s(o);
    Client c(s.http->port(), "/v1/events");
    REQUIRE(c.ws);
    int flags = 0;
    c.next(flags);
    CHECK((flags & WebSocket::FRAME_OP_BITMASK) == WebSocket::FRAME_OP_PING);
    c.ws->sendFrame("hi", 2, kPing);
    std::string pong;
    for (int i = 0; i < 10; ++i) {
        pong = c.next(flags);
        if ((flags & WebSocket::FRAME_OP_BITMASK) == WebSocket::FRAME_OP_PONG) break;
    }
    CHECK((flags & WebSocket::FRAME_OP_BITMASK) == WebSocket::FRAME_OP_PONG);
    CHECK(pong == "hi");
    std::thread stopper([&] { s.stream.stop(); });
    int code = 0;
    for (int i = 0; i < 100; ++i) {
        std::string f = c.next(flags);
        if ((flags & WebSocket::FRAME_OP_BITMASK) == WebSocket::FRAME_OP_CLOSE && f.size() >= 2) {
            code = (static_cast<unsigned char>(f[0]) << 8) | static_cast<unsigned char>(f[1]);
            break;
        }
        if (flags == 0) break;
    }
    stopper.join();
    CHECK(code == 1001);
}

// TcpStream, and a ControlSession over a real socket pair talking to a Server channel.

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <optional>

#include "as/msclient/control_session.hpp"
#include "as/msclient/tcp_stream.hpp"
#include "as_test_support.hpp"

namespace {

using namespace parley;
using namespace parley::as;
using namespace parley::as::test;
using common::Clock;

struct Recorder : TcpStreamHandler {
    bool connected = false;
    std::string data;
    std::optional<std::string> down;
    void onStreamConnected() override { connected = true; }
    void onStreamData(std::string_view b) override { data.append(b); }
    void onStreamDown(const std::string& why) override { down = why; }
};

std::pair<common::Fd, common::Fd> socketPair() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    return {common::Fd(sv[0]), common::Fd(sv[1])};
}

}  // namespace

TEST_CASE("as tcp stream: bytes both ways over a socket pair, then peer close", "[as][tcp]") {
    common::EventLoop loop;
    auto [a, b] = socketPair();
    Recorder ra, rb;
    auto sa = TcpStream::adopt(loop, std::move(a), ra);
    auto sb = TcpStream::adopt(loop, std::move(b), rb);
    REQUIRE(sa.ok());
    REQUIRE(sb.ok());
    (*sa)->write("hello ");
    (*sa)->write("world");
    (*sb)->write("back");
    REQUIRE(runUntil(loop, [&] { return rb.data == "hello world" && ra.data == "back"; }));
    (*sb)->close();
    REQUIRE(runUntil(loop, [&] { return ra.down.has_value(); }));
    CHECK(ra.down->find("closed by the peer") != std::string::npos);
    CHECK_FALSE((*sa)->open());
    CHECK_FALSE(rb.down.has_value());  // close() reports nothing
    CHECK(loop.watchCount() == 0);
}

TEST_CASE("as tcp stream: a large write is flushed as the peer reads", "[as][tcp]") {
    common::EventLoop loop;
    auto [a, b] = socketPair();
    Recorder ra, rb;
    auto sa = TcpStream::adopt(loop, std::move(a), ra);
    auto sb = TcpStream::adopt(loop, std::move(b), rb);
    std::string big(3u << 20, 'x');
    (*sa)->write(big);
    CHECK((*sa)->backlog() > 0);  // more than a socket buffer
    REQUIRE(runUntil(loop, [&] { return rb.data.size() == big.size(); }, 10s));
    CHECK((*sa)->backlog() == 0);
    CHECK_FALSE(ra.down.has_value());
}

TEST_CASE("as tcp stream: a peer that never reads is given up on, reported later", "[as][tcp]") {
    common::EventLoop loop;
    auto [a, b] = socketPair();
    Recorder ra;
    auto sa = TcpStream::adopt(loop, std::move(a), ra);
    std::string chunk(1u << 20, 'y');
    for (int i = 0; i < 10; ++i) (*sa)->write(chunk);
    CHECK_FALSE(ra.down.has_value());  // never from inside write()
    REQUIRE(runUntil(loop, [&] { return ra.down.has_value(); }));
    CHECK(ra.down->find("not reading") != std::string::npos);
    (void)b;
}

TEST_CASE("as tcp stream: connect succeeds, and a refused connect is reported", "[as][tcp]") {
    common::EventLoop loop;
    FakeMs ms(loop);
    Recorder r;
    auto to = common::SocketAddress::parse("127.0.0.1:" + std::to_string(ms.port()));
    auto s = TcpStream::connect(loop, *to, 2s, r);
    REQUIRE(s.ok());
    (*s)->write("queued before connect");  // kept until connected
    REQUIRE(runUntil(loop, [&] { return r.connected; }));
    REQUIRE(runUntil(loop, [&] { return ms.accepted() == 1; }));

    // A port nobody listens on: refused (at once or through the loop).
    ms.closeListener();
    Recorder r2;
    auto s2 = TcpStream::connect(loop, *to, 2s, r2);
    if (s2.ok()) {
        REQUIRE(runUntil(loop, [&] { return r2.down.has_value(); }));
        CHECK_FALSE(r2.connected);
    } else {
        CHECK(s2.error().code != 0);
    }
}

TEST_CASE("as tcp stream: session over a socket pair against a Server channel", "[as][tcp][session]") {
    common::EventLoop loop;
    auto [a, b] = socketPair();

    // Server end: a cfw::Channel in the Server role over its own TcpStream.
    struct Server : TcpStreamHandler, cfw::ChannelHandler {
        std::unique_ptr<TcpStream> stream;
        cfw::Channel channel{[] {
                                 cfw::ChannelConfig c;
                                 c.role = cfw::Role::Server;
                                 c.packages = {"msc-mixer/1.0"};
                                 return c;
                             }(),
                             *this};
        void onStreamConnected() override {}
        void onStreamData(std::string_view bytes) override { channel.onBytes(bytes, Clock::now()); }
        void onStreamDown(const std::string&) override { channel.close("down"); }
        void sendBytes(std::string_view bytes) override { stream->write(bytes); }
        void onClosed(const cfw::CloseInfo&) override {}
        void onControl(const cfw::IncomingControl& r) override {
            (void)channel.respond(r.transId, 200, Clock::now(), "text/plain", "ok:" + r.body);
        }
    } server;
    auto serverStream = TcpStream::adopt(loop, std::move(b), server);
    REQUIRE(serverStream.ok());
    server.stream = std::move(serverStream.value());
    server.channel.start(Clock::now());

    struct Client : TcpStreamHandler, ControlSessionObserver {
        ControlSession* session = nullptr;
        bool up = false;
        std::optional<std::string> down;
        void onStreamConnected() override {}
        void onStreamData(std::string_view bytes) override { session->onBytes(bytes); }
        void onStreamDown(const std::string& why) override {
            down = why;
            session->close(why);
        }
        void onSessionUp(const std::vector<std::string>&) override { up = true; }
        void onSessionClosed(const cfw::CloseInfo&) override {}
        void onSessionEvent(const cfw::IncomingControl&) override {}
    } client;
    auto stream = TcpStream::adopt(loop, std::move(a), client);
    REQUIRE(stream.ok());
    cfw::ChannelConfig c;
    c.dialogId = "pair-1";
    c.packages = {"msc-ivr/1.0", "msc-mixer/1.0"};
    ControlSession session(loop, std::move(c), **stream, client);
    client.session = &session;
    session.start();
    REQUIRE(runUntil(loop, [&] { return client.up; }));
    CHECK(session.channel().negotiatedPackages() == std::vector<std::string>{"msc-mixer/1.0"});

    int answered = 0;
    for (int i = 0; i < 100; ++i) {
        auto r = session.sendControl({"msc-mixer/1.0", "text/plain", "n" + std::to_string(i)},
                                     [&, i](const cfw::ControlResult& res) {
                                         CHECK(res.ok());
                                         CHECK(res.body == "ok:n" + std::to_string(i));
                                         ++answered;
                                     });
        REQUIRE(r.ok());
    }
    REQUIRE(runUntil(loop, [&] { return answered == 100; }));

    // The MS side goes away: the pending request fails, the client hears it.
    std::optional<cfw::ControlResult> pending;
    server.channel.close("bye");
    REQUIRE(session.sendControl({"msc-mixer/1.0", "text/plain", "x"},
                                [&](const cfw::ControlResult& r) { pending = r; })
                .ok());
    server.stream->close();
    REQUIRE(runUntil(loop, [&] { return client.down.has_value(); }));
    REQUIRE(pending.has_value());
    CHECK(pending->outcome == cfw::ControlOutcome::ChannelClosed);
}

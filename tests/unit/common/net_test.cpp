#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include "common/net.hpp"

using namespace parley::common;

TEST_CASE("net: host:port parsing") {
    auto a = SocketAddress::parse("127.0.0.1:5070");
    REQUIRE(a.ok());
    CHECK(a->host() == "127.0.0.1");
    CHECK(a->port() == 5070);
    CHECK(a->toString() == "127.0.0.1:5070");

    auto v6 = SocketAddress::parse("[::1]:7563");
    REQUIRE(v6.ok());
    CHECK(v6->host() == "::1");
    CHECK(v6->toString() == "[::1]:7563");

    auto d = SocketAddress::parse("127.0.0.1", 7563);
    REQUIRE(d.ok());
    CHECK(d->port() == 7563);

    CHECK_FALSE(SocketAddress::parse("127.0.0.1").ok());
    CHECK_FALSE(SocketAddress::parse("127.0.0.1:70000").ok());
    CHECK_FALSE(SocketAddress::parse("127.0.0.1:x").ok());
    CHECK_FALSE(SocketAddress::parse(":5060").ok());
    CHECK_FALSE(SocketAddress::parse("::1:5060").ok());
    CHECK_FALSE(SocketAddress::parse("[::1").ok());
    CHECK(SocketAddress::parse("0.0.0.0:1")->isAnyAddress());
}

TEST_CASE("net: TCP listen on port 0, connect, accept, exchange bytes") {
    auto listener = tcpListen(*SocketAddress::parse("127.0.0.1:0"));
    REQUIRE(listener.ok());
    auto bound = localAddress(listener->get());
    REQUIRE(bound.ok());
    REQUIRE(bound->port() != 0);

    auto client = tcpConnect(*bound);
    REQUIRE(client.ok());
    Result<Fd> accepted = Error(0, "not yet");
    for (int i = 0; i < 200 && !accepted.ok(); ++i) {
        accepted = tcpAccept(listener->get(), nullptr);
        if (!accepted.ok()) ::usleep(5000);
    }
    REQUIRE(accepted.ok());
    CHECK(socketError(client->get()) == 0);
    REQUIRE(::send(client->get(), "ping", 4, MSG_NOSIGNAL) == 4);
    char buf[8] = {0};
    ssize_t n = -1;
    for (int i = 0; i < 200 && n <= 0; ++i) {
        n = ::recv(accepted->get(), buf, sizeof buf, 0);
        if (n <= 0) ::usleep(5000);
    }
    CHECK(std::string(buf, n > 0 ? n : 0) == "ping");
    auto peer = peerAddress(accepted->get());
    REQUIRE(peer.ok());
    CHECK(peer->host() == "127.0.0.1");
}

TEST_CASE("net: binding a busy port fails with a message naming it") {
    auto a = udpBind(*SocketAddress::parse("127.0.0.1:0"));
    REQUIRE(a.ok());
    auto addr = *localAddress(a->get());
    auto b = udpBind(addr);
    REQUIRE_FALSE(b.ok());
    CHECK(b.error().message.find(addr.toString()) != std::string::npos);
}

TEST_CASE("net: Fd closes on destruction and move") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    int raw = fds[0];
    {
        Fd a(fds[0]);
        Fd b(std::move(a));
        CHECK_FALSE(a.valid());
        CHECK(b.get() == raw);
    }
    CHECK(::close(raw) == -1);  // already closed
    ::close(fds[1]);
}

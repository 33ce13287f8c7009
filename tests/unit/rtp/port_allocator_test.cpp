// PortAllocator on 127.0.0.1 with real sockets: even RTP port + RTCP on P+1, busy ports
// skipped, the range bounded, ports returned by PortPair's destructor.
#include <catch2/catch.hpp>

#include <cerrno>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "common/net.hpp"
#include "ms/rtp/port_allocator.hpp"

using namespace parley::ms::rtp;
using parley::common::Fd;
using parley::common::SocketAddress;

namespace {

SocketAddress loopback(std::uint16_t port = 0) {
    return SocketAddress::fromHostPort("127.0.0.1", port).value();
}

// A range of `count` ports starting at an even port that are all free right now.
std::uint16_t freeRange(int count) {
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> pick(20000, 60000 - count);
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto lo = static_cast<std::uint16_t>(pick(rng) & ~1);
        std::vector<Fd> held;
        bool ok = true;
        for (int i = 0; i < count && ok; ++i) {
            auto fd = parley::common::udpBind(loopback(static_cast<std::uint16_t>(lo + i)));
            if (fd)
                held.push_back(std::move(*fd));
            else
                ok = false;
        }
        if (ok) return lo;
    }
    FAIL("no free port range");
    return 0;
}

}  // namespace

TEST_CASE("port allocator: pairs are even RTP + odd RTCP, bound on the address",
          "[port_allocator]") {
    const auto lo = freeRange(8);
    PortAllocator alloc(loopback(), lo, static_cast<std::uint16_t>(lo + 7));
    CHECK(alloc.pairCount() == 4);
    auto pair = alloc.allocate();
    REQUIRE(pair.ok());
    CHECK(pair->valid());
    CHECK(pair->rtpPort() % 2 == 0);
    CHECK(pair->rtcpPort() == pair->rtpPort() + 1);
    CHECK(pair->rtpPort() >= lo);
    CHECK(parley::common::localAddress(pair->rtpFd())->port() == pair->rtpPort());
    CHECK(parley::common::localAddress(pair->rtcpFd())->port() == pair->rtcpPort());
    CHECK(parley::common::localAddress(pair->rtpFd())->host() == "127.0.0.1");
    CHECK(pair->localRtp().port() == pair->rtpPort());
    CHECK(alloc.inUse() == 1);
}

TEST_CASE("port allocator: bounded by the range, ports come back on release", "[port_allocator]") {
    const auto lo = freeRange(6);
    PortAllocator alloc(loopback(), lo, static_cast<std::uint16_t>(lo + 5));
    std::vector<PortPair> pairs;
    std::set<std::uint16_t> ports;
    for (int i = 0; i < 3; ++i) {
        auto p = alloc.allocate();
        REQUIRE(p.ok());
        ports.insert(p->rtpPort());
        CHECK(p->rtcpPort() <= lo + 5);
        pairs.push_back(std::move(*p));
    }
    CHECK(ports.size() == 3);
    auto none = alloc.allocate();
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == EADDRINUSE);
    CHECK(alloc.inUse() == 3);

    const auto freed = pairs[1].rtpPort();
    pairs.erase(pairs.begin() + 1);  // destructor gives the port back
    CHECK(alloc.inUse() == 2);
    auto again = alloc.allocate();
    REQUIRE(again.ok());
    CHECK(again->rtpPort() == freed);
    // the socket is really open again on that port
    CHECK(parley::common::localAddress(again->rtpFd())->port() == freed);
}

TEST_CASE("port allocator: ports busy elsewhere are skipped", "[port_allocator]") {
    const auto lo = freeRange(6);
    // someone else holds the RTCP port of the first pair and the RTP port of the second
    auto busy1 = parley::common::udpBind(loopback(static_cast<std::uint16_t>(lo + 1)));
    auto busy2 = parley::common::udpBind(loopback(static_cast<std::uint16_t>(lo + 2)));
    REQUIRE(busy1.ok());
    REQUIRE(busy2.ok());
    PortAllocator alloc(loopback(), lo, static_cast<std::uint16_t>(lo + 5));
    auto p = alloc.allocate();
    REQUIRE(p.ok());
    CHECK(p->rtpPort() == lo + 4);
    auto q = alloc.allocate();
    REQUIRE_FALSE(q.ok());
    CHECK(q.error().code == EADDRINUSE);
    CHECK(alloc.inUse() == 1);
}

TEST_CASE("port allocator: round robin, moves and explicit release", "[port_allocator]") {
    const auto lo = freeRange(8);
    PortAllocator alloc(loopback(), lo, static_cast<std::uint16_t>(lo + 7));
    std::uint16_t first = 0;
    {
        auto p = alloc.allocate();
        REQUIRE(p.ok());
        first = p->rtpPort();
        PortPair moved = std::move(*p);
        PortPair assigned;
        assigned = std::move(moved);
        CHECK(alloc.inUse() == 1);
        CHECK_FALSE(moved.valid());
        assigned.release();
        CHECK(alloc.inUse() == 0);
        CHECK_FALSE(assigned.valid());
    }
    CHECK(alloc.inUse() == 0);
    auto next = alloc.allocate();
    REQUIRE(next.ok());
    CHECK(next->rtpPort() != first);  // not reused at once
}

TEST_CASE("port allocator: odd low bound, empty range, foreign address", "[port_allocator]") {
    PortAllocator odd(loopback(), 30001, 30004);
    CHECK(odd.pairCount() == 1);  // 30002-30003 only
    PortAllocator empty(loopback(), 30000, 30000);
    CHECK(empty.pairCount() == 0);
    CHECK_FALSE(empty.allocate().ok());
    const auto lo = freeRange(4);
    PortAllocator foreign(SocketAddress::fromHostPort("192.0.2.1", 0).value(), lo,
                          static_cast<std::uint16_t>(lo + 3));
    auto r = foreign.allocate();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code != EADDRINUSE);
}

TEST_CASE("port allocator: range text", "[port_allocator]") {
    auto r = PortAllocator::parseRange("10000-20000");
    REQUIRE(r.ok());
    CHECK(r->first == 10000);
    CHECK(r->second == 20000);
    for (const char* bad :
         {"", "10000", "-5", "5-", "a-b", "20000-10000", "0-100", "1-70000", "100-100"})
        CHECK_FALSE(PortAllocator::parseRange(bad).ok());
}

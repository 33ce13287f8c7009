// The 20 ms path allocates nothing: a media plane with two workers runs a conference of two
// legs fed with real RTP on loopback, and every allocation made on a media thread
// ("parley-media<N>") while nothing is commanded is counted (tests/support/alloc_counter,
// linked into this executable only).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include <catch2/catch.hpp>

#include "ms/plane/media_plane.hpp"
#include "tests/support/alloc_counter.hpp"

namespace {

// Counts only what the media workers ("parley-media<N>") allocate.
bool onMediaThread() {
    thread_local int known = -1;
    if (known < 0) {
        char name[32] = {};
        pthread_getname_np(pthread_self(), name, sizeof name);
        known = std::strncmp(name, "parley-media", 12) == 0 ? 1 : 0;
    }
    return known == 1;
}

}  // namespace

namespace parley::ms::plane {

namespace {

struct Peer {
    common::Fd fd{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    std::uint16_t port = 0;
    Peer() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    void send(std::uint16_t to, std::uint16_t seq, std::uint32_t ssrc) {
        std::uint8_t p[12 + 160];
        std::memset(p, 0x55, sizeof p);
        p[0] = 0x80;
        p[1] = 0;
        p[2] = static_cast<std::uint8_t>(seq >> 8);
        p[3] = static_cast<std::uint8_t>(seq);
        const std::uint32_t ts = seq * 160u;
        for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<std::uint8_t>(ts >> (24 - 8 * i));
        for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(to);
        (void)::sendto(fd.get(), p, sizeof p, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    std::size_t drain() {
        std::uint8_t buf[2048];
        std::size_t n = 0;
        while (::recv(fd.get(), buf, sizeof buf, 0) > 0) ++n;
        return n;
    }
};

}  // namespace

TEST_CASE("ms: media workers: the 20 ms tick and RTP reception allocate nothing",
          "[ms][plane][alloc]") {
    common::EventLoop control;
    MediaPlaneConfig config;
    config.workers = 2;
    config.rtpAddress = *common::SocketAddress::fromHostPort("127.0.0.1", 0);
    config.rtpLow = 43000;
    config.rtpHigh = 43999;
    config.rtp.randomizeRtcp = false;
    config.rtp.rtcpInterval = std::chrono::seconds(60);  // no RTCP inside the window
    MediaPlane plane(control, config);
    REQUIRE(plane.start());

    Peer a, b;
    std::uint16_t portA = 0, portB = 0;
    for (auto [peer, id, port] : {std::tuple{&a, "a:1", &portA}, std::tuple{&b, "b:1", &portB}}) {
        auto ports = plane.allocatePorts();
        REQUIRE(ports);
        *port = ports->rtpPort();
        rtp::MediaParams params;
        params.remoteRtp = *common::SocketAddress::fromHostPort("127.0.0.1", peer->port);
        REQUIRE(plane.addLeg(id, std::move(*ports), params, LegOptions{}));
    }
    auto conf = plane.graph().createConference({});
    REQUIRE(conf);
    REQUIRE(plane.graph().join("a:1", *conf, {}));
    REQUIRE(plane.graph().join("b:1", *conf, {}));
    plane.commit();

    auto feed = [&](int packets, std::uint16_t& seq) {
        for (int i = 0; i < packets; ++i) {
            a.send(portA, seq, 0x1111);
            b.send(portB, seq, 0x2222);
            ++seq;
            control.runOnce(std::chrono::milliseconds(20));  // moves pass through here
        }
    };
    std::uint16_t seq = 1;
    feed(25, seq);  // latching, jitter buffers warm, the move of a leg done
    REQUIRE(plane.stats().legMoves == 1);
    (void)a.drain();
    (void)b.drain();

    test::startCountingAllocations(onMediaThread);
    feed(50, seq);
    const std::size_t mediaAllocations = test::stopCountingAllocations();
    const std::size_t heardA = a.drain();
    const std::size_t heardB = b.drain();
    INFO("allocations on media threads: " << mediaAllocations << ", packets out " << heardA
                                          << "/" << heardB);
    CHECK(heardA >= 30);
    CHECK(heardB >= 30);
    CHECK(mediaAllocations == 0);

    // The counter does see media threads: installing a new plan (a command) allocates.
    test::startCountingAllocations(onMediaThread);
    REQUIRE(plane.graph().modifyJoin("a:1", *conf,
                                     {mixer::StreamRequest{"audio",
                                                           std::nullopt,
                                                           mixer::Direction::sendrecv,
                                                           mixer::VolumeRequest::gain(-6),
                                                           {},
                                                           {}}}));
    plane.commit();
    feed(5, seq);
    CHECK(test::stopCountingAllocations() > 0);
    plane.stop();
}

}  // namespace parley::ms::plane

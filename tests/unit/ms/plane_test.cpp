// The media plane's control-side logic: where a group of joined entities lives, the plan of
// one group, and a worker's 20 ms cadence.

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "ms/plane/media_worker.hpp"
#include "ms/plane/placement.hpp"
#include "ms/rtp/port_allocator.hpp"

namespace parley::ms::plane {
namespace {

using mixer::JoinGraph;
using mixer::MixPlan;

// A leg (key 1, "a:1" unless told) with an RTP session on a port pair of `ports`, sending to
// the discard port.
LegPtr rtpLeg(rtp::PortAllocator& ports, std::uint64_t key = 1, const std::string& id = "a:1") {
    auto pair = ports.allocate();
    REQUIRE(pair);
    auto leg = std::make_unique<WorkerLeg>();
    leg->key = key;
    leg->id = id;
    rtp::MediaParams params;
    params.remoteRtp = *common::SocketAddress::parse("127.0.0.1:9");
    leg->rtp = std::make_unique<rtp::RtpSession>(std::move(*pair), params,
                                                 rtp::RtpSessionConfig{},
                                                 std::chrono::steady_clock::now());
    return leg;
}

JoinGraph graphWith(std::initializer_list<const char*> connections) {
    JoinGraph g;
    for (const char* c : connections) REQUIRE(g.addConnection(c));
    return g;
}

}  // namespace

TEST_CASE("ms: placement: a group goes to the worker holding most of its legs", "[ms][plane]") {
    constexpr std::size_t kNone = 3;  // not placed
    // Legs on 0, 1, 1 and a conference on 2: worker 1 holds the most connections.
    std::vector<GroupMember> g{{0, true}, {1, true}, {1, true}, {2, false}};
    CHECK(groupWorker(g, 3, 0) == 1);
    // Connections count before entities: two conferences on 2 do not outweigh a leg.
    g = {{0, true}, {2, false}, {2, false}};
    CHECK(groupWorker(g, 3, 1) == 0);
    // Equal connections: more entities win; then the lower index.
    g = {{0, true}, {1, true}, {1, false}};
    CHECK(groupWorker(g, 3, 0) == 1);
    g = {{2, true}, {1, true}};
    CHECK(groupWorker(g, 3, 0) == 1);
    // Nothing placed yet: the fallback.
    g = {{kNone, false}};
    CHECK(groupWorker(g, 3, 2) == 2);
    CHECK(groupWorker({}, 3, 1) == 1);

    const std::vector<std::size_t> load{4, 2, 2};
    CHECK(leastLoaded(load) == 1);
    CHECK(leastLoaded(std::vector<std::size_t>{0}) == 0);
}

TEST_CASE("ms: group plans: each group's plan is its part of the whole plan", "[ms][plane]") {
    JoinGraph g = graphWith({"a:1", "b:1", "c:1", "d:1", "e:1"});
    auto main = g.createConference({std::string("main"), 0, 0, {}, 0, {}});
    auto side = g.createConference({std::string("side"), 0, 0, {}, 0, {}});
    REQUIRE(main);
    REQUIRE(side);
    REQUIRE(g.join("a:1", "main", {}));
    REQUIRE(g.join("b:1", "side", {}));
    mixer::StreamRequest recv;
    recv.direction = mixer::Direction::recvonly;
    REQUIRE(g.join("side", "main", {recv}));
    REQUIRE(g.join("d:1", "c:1", {}));

    // The graph's neighbours follow the joins.
    CHECK(g.neighbours("main") == JoinGraph::IdSet{"a:1", "side"});
    CHECK(g.neighbours("e:1").empty());

    // One group: the whole graph's plan when the graph is that group.
    JoinGraph one = graphWith({"x:1", "y:1"});
    REQUIRE(one.createConference({std::string("room"), 0, 0, {}, 0, {}}));
    REQUIRE(one.join("x:1", "room", {}));
    REQUIRE(one.join("room", "y:1", {}));
    CHECK(MixPlan::buildGroup(one, {"y:1", "room", "x:1"}) == MixPlan::build(one));

    // Two groups: each plan names only its own entities, with indexes inside it.
    const MixPlan conf = MixPlan::buildGroup(g, {"side", "main", "b:1", "a:1"});
    CHECK(conf.connections == std::vector<std::string>{"a:1", "b:1"});
    REQUIRE(conf.conferences.size() == 2);
    CHECK(conf.conferences[0].id == "main");
    CHECK(conf.feeds.size() == 1);  // main -> side only (recvonly from side's point of view)
    for (const auto& c : conf.conferences) {
        for (const auto& p : c.participants) {
            if (p.kind == mixer::EntityKind::connection) CHECK(p.connection < conf.connections.size());
        }
    }
    const MixPlan full = MixPlan::build(g);
    CHECK(conf.feeds.size() == full.feeds.size());
    const MixPlan pair = MixPlan::buildGroup(g, {"c:1", "d:1"});
    CHECK(pair.connections == std::vector<std::string>{"c:1", "d:1"});
    CHECK(pair.conferences.empty());
    REQUIRE(pair.routes.size() == 2);
    REQUIRE(pair.routes[0].size() == 1);
    CHECK(pair.routes[0][0].connection == 1);  // c hears d
    REQUIRE(pair.routes[1].size() == 1);
    CHECK(pair.routes[1][0].connection == 0);  // d hears c

    // Touched ids: what each change named, once, then forgotten.
    (void)g.takeTouched();
    REQUIRE(g.unjoin("c:1", "d:1", {}));
    CHECK(g.takeTouched() == std::vector<std::string>{"c:1", "d:1"});
    CHECK(g.takeTouched().empty());
    (void)g.removeConnection("a:1");
    CHECK(g.takeTouched() == std::vector<std::string>{"a:1", "main"});
    CHECK(g.neighbours("main") == JoinGraph::IdSet{"side"});
}

TEST_CASE("ms: media worker: idle it sleeps, with a leg the tick keeps a 20 ms cadence",
          "[ms][plane]") {
    MediaWorker worker(0, WorkerEvents{});
    REQUIRE(worker.start());
    // No legs: the timer is disarmed and nothing runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(worker.stats().ticks == 0);
    CHECK_FALSE(worker.stats().ticking);

    rtp::PortAllocator ports(*common::SocketAddress::parse("127.0.0.1:0"), 41000, 41999);
    worker.adopt(rtpLeg(ports));
    const auto started = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const auto ticks = worker.stats().ticks;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
    CHECK(worker.stats().ticking);
    // Every deadline that passed ran (late ones in catch-up): ticks follow the clock.
    const double expected = static_cast<double>(elapsed) / 20.0;
    INFO("ticks " << ticks << " in " << elapsed << " ms");
    CHECK(static_cast<double>(ticks) >= expected - 3);
    CHECK(static_cast<double>(ticks) <= expected + 1);

    // The last leg leaves: the worker sleeps again.
    worker.drop(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK_FALSE(worker.stats().ticking);
    const auto after = worker.stats().ticks;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(worker.stats().ticks == after);
    worker.stop();
}

}  // namespace parley::ms::plane

namespace parley::ms::plane {
namespace {

// The /proc/self/task entry of this process's thread named `name`; empty when there is none.
std::filesystem::path threadDir(const std::string& name) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string n;
        std::getline(comm, n);
        if (n == name) return task.path();
    }
    return {};
}

// Field `index` (1-based, as proc(5) numbers them) of that thread's stat; -1 when the thread
// is not there.
long long threadStatField(const std::string& name, int index) {
    const auto dir = threadDir(name);
    if (dir.empty()) return -1;
    std::ifstream statFile(dir / "stat");
    std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    for (int i = 3; i <= index && rest >> field; ++i) {
        if (i == index) return std::stoll(field);
    }
    return -1;
}

// The scheduling policy (field 41) of this process's thread named `name`; -1 when none.
int threadPolicy(const std::string& name) {
    return static_cast<int>(threadStatField(name, 41));
}

// Nanoseconds that thread has run (first field of its schedstat); -1 when none.
long long threadRunNs(const std::string& name) {
    const auto dir = threadDir(name);
    if (dir.empty()) return -1;
    std::ifstream in(dir / "schedstat");
    long long ns = -1;
    in >> ns;
    return ns;
}

// Whether this process holds CAP_SYS_NICE (bit 23 of CapEff in /proc/self/status).
bool canSetRealtime() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("CapEff:", 0) != 0) continue;
        const unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
        return (caps >> 23) & 1ULL;
    }
    return false;
}

}  // namespace

TEST_CASE("ms: media worker: a realtime priority makes its thread SCHED_FIFO when allowed",
          "[ms][plane]") {
    MediaWorker worker(7, WorkerEvents{}, std::chrono::seconds(30), 5);
    REQUIRE(worker.start());
    int policy = -1;
    for (int i = 0; i < 100 && policy < 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        policy = threadPolicy("parley-media7");
    }
    REQUIRE(policy >= 0);
    if (canSetRealtime())
        CHECK(policy == SCHED_FIFO);
    else
        CHECK(policy == SCHED_OTHER);  // refused: normal scheduling, with a warning
    worker.stop();

    MediaWorker normal(8, WorkerEvents{});
    REQUIRE(normal.start());
    policy = -1;
    for (int i = 0; i < 100 && policy < 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        policy = threadPolicy("parley-media8");
    }
    CHECK(policy == SCHED_OTHER);
}

TEST_CASE("ms: media worker: keep-awake spins an idle-class thread on the worker's CPU while it "
          "ticks, and blocks when it does not",
          "[ms][plane]") {
    MediaWorker worker(3, WorkerEvents{}, std::chrono::seconds(30), 0, true);
    REQUIRE(worker.start());
    int policy = -1;
    for (int i = 0; i < 100 && policy < 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        policy = threadPolicy("parley-awake3");
    }
    CHECK(policy == SCHED_IDLE);
    // No legs: it blocks and costs nothing.
    CHECK(worker.stats().keptAwakeCpu == -1);
    const long long idle0 = threadRunNs("parley-awake3");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long long idle1 = threadRunNs("parley-awake3");
    REQUIRE(idle0 >= 0);
    CHECK(idle1 - idle0 < 20'000'000);

    rtp::PortAllocator ports(*common::SocketAddress::parse("127.0.0.1:0"), 42000, 42999);
    worker.adopt(rtpLeg(ports));
    // A leg: the worker ticks and the spinner runs bound to the CPU the worker ticked on.
    int cpu = -1;
    for (int i = 0; i < 100 && cpu < 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        cpu = worker.stats().keptAwakeCpu;
    }
    REQUIRE(cpu >= 0);
    CHECK(worker.stats().ticking);
    const auto dir = threadDir("parley-awake3");
    REQUIRE_FALSE(dir.empty());
    // (The scheduler may move the worker, and the spinner follows; on a CPU busy with other
    // work the spinner also steps aside for 200 ms at a time: read until both agree.)
    cpu_set_t set;
    bool agree = false;
    for (int i = 0; i < 100 && !agree; ++i) {
        CPU_ZERO(&set);
        REQUIRE(::sched_getaffinity(static_cast<pid_t>(std::stol(dir.filename().string())),
                                    sizeof set, &set) == 0);
        cpu = worker.stats().keptAwakeCpu;
        agree = cpu >= 0 && CPU_COUNT(&set) == 1 && CPU_ISSET(cpu, &set);
        if (!agree) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(agree);

    // The last leg leaves: the spinner blocks again.
    worker.drop(1);
    for (int i = 0; i < 100 && worker.stats().keptAwakeCpu >= 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(worker.stats().keptAwakeCpu == -1);
    CHECK_FALSE(worker.stats().ticking);
    const long long after0 = threadRunNs("parley-awake3");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(threadRunNs("parley-awake3") - after0 < 20'000'000);
    worker.stop();
    CHECK(threadDir("parley-awake3").empty());
}

TEST_CASE("ms: media worker: its packet totals keep the legs it dropped (they only grow)",
          "[ms][plane]") {
    MediaWorker worker(4, WorkerEvents{});
    REQUIRE(worker.start());
    rtp::PortAllocator ports(*common::SocketAddress::parse("127.0.0.1:0"), 43000, 43999);
    LegPtr first = rtpLeg(ports);
    const std::uint16_t port = first->rtp->localRtpPort();
    worker.adopt(std::move(first));

    // Five PCMU packets into the leg.
    common::Fd sender(::socket(AF_INET, SOCK_DGRAM, 0));
    REQUIRE(sender);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (std::uint16_t seq = 1; seq <= 5; ++seq) {
        std::array<std::uint8_t, 172> packet{};
        packet[0] = 0x80;
        packet[2] = static_cast<std::uint8_t>(seq >> 8);
        packet[3] = static_cast<std::uint8_t>(seq);
        const std::uint32_t ts = seq * 160u;
        packet[5] = static_cast<std::uint8_t>(ts >> 16);
        packet[6] = static_cast<std::uint8_t>(ts >> 8);
        packet[7] = static_cast<std::uint8_t>(ts);
        packet[11] = 7;  // SSRC
        REQUIRE(::sendto(sender.get(), packet.data(), packet.size(), 0,
                         reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
                static_cast<ssize_t>(packet.size()));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // The totals are refreshed every second.
    for (int i = 0; i < 300 && worker.stats().rtpIn < 5; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(worker.stats().rtpIn == 5);
    const std::uint64_t out = worker.stats().rtpOut;
    CHECK(out > 0);

    // The leg ends; another one comes and the totals are refreshed again: the ended leg's
    // packets are still in them.
    worker.drop(1);
    worker.adopt(rtpLeg(ports, 2, "b:2"));
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    const WorkerStats after = worker.stats();
    CHECK(after.legs == 1);
    CHECK(after.rtpIn == 5);
    CHECK(after.rtpOut > out);
    worker.stop();
}

}  // namespace parley::ms::plane

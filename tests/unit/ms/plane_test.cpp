// The media plane's control-side logic: co-location of joined entities, the per-worker
// split of the mix plan, and a worker's 20 ms cadence.

#include <thread>

#include <catch2/catch.hpp>

#include "ms/plane/media_worker.hpp"
#include "ms/plane/placement.hpp"
#include "ms/plane/plan_split.hpp"
#include "ms/rtp/port_allocator.hpp"

namespace parley::ms::plane {
namespace {

using mixer::JoinGraph;
using mixer::MixPlan;

JoinGraph graphWith(std::initializer_list<const char*> connections) {
    JoinGraph g;
    for (const char* c : connections) REQUIRE(g.addConnection(c));
    return g;
}

}  // namespace

TEST_CASE("ms: placement: joined entities end on the worker holding most of their legs",
          "[ms][plane]") {
    JoinGraph g = graphWith({"a:1", "b:1", "c:1", "d:1"});
    auto conf = g.createConference({});
    REQUIRE(conf);
    WorkerOf legs{{"a:1", 0}, {"b:1", 1}, {"c:1", 1}, {"d:1", 2}};
    WorkerOf confs{{*conf, 2}};

    // Nothing joined: nothing moves.
    CHECK(colocate(g, legs, confs).empty());

    REQUIRE(g.join("b:1", *conf, {}));
    // {b, conf}: b's worker has the leg, the conference follows for free.
    CHECK(colocate(g, legs, confs).empty());
    CHECK(confs.at(*conf) == 1);

    REQUIRE(g.join("a:1", *conf, {}));
    auto moves = colocate(g, legs, confs);
    REQUIRE(moves.size() == 1);
    CHECK(moves[0] == Move{"a:1", 0, 1});

    REQUIRE(g.join("d:1", "c:1", {}));
    REQUIRE(g.join("d:1", *conf, {}));
    moves = colocate(g, legs, confs);
    REQUIRE(moves.size() == 1);
    CHECK(moves[0] == Move{"d:1", 2, 1});
    for (const auto& [id, w] : legs) CHECK(w == 1);

    CHECK(leastLoaded(legs, 3) == 0);
}

TEST_CASE("ms: placement: ties go to the lower worker, the smaller side moves", "[ms][plane]") {
    JoinGraph g = graphWith({"a:1", "b:1", "c:1"});
    WorkerOf legs{{"a:1", 1}, {"b:1", 0}, {"c:1", 0}};
    WorkerOf confs;
    REQUIRE(g.join("b:1", "c:1", {}));
    REQUIRE(g.join("a:1", "b:1", {}));
    auto moves = colocate(g, legs, confs);
    REQUIRE(moves.size() == 1);
    CHECK(moves[0] == Move{"a:1", 1, 0});
}

TEST_CASE("ms: plan split: each worker gets its entities, re-indexed, nothing crossing",
          "[ms][plane]") {
    JoinGraph g = graphWith({"a:1", "b:1", "c:1", "d:1"});
    auto main = g.createConference({std::string("main"), 0, 0, {}, 0, {}});
    auto side = g.createConference({std::string("side"), 0, 0, {}, 0, {}});
    REQUIRE(main);
    REQUIRE(side);
    REQUIRE(g.join("a:1", "main", {}));
    REQUIRE(g.join("b:1", "side", {}));
    mixer::StreamRequest recv;
    recv.direction = mixer::Direction::recvonly;
    REQUIRE(g.join("side", "main", {recv}));
    REQUIRE(g.join("c:1", "d:1", {}));
    const MixPlan full = MixPlan::build(g);

    // a, b, main, side on worker 1; c, d on worker 0.
    std::vector<std::size_t> connW(full.connections.size());
    for (std::size_t i = 0; i < full.connections.size(); ++i)
        connW[i] = full.connections[i] == "a:1" || full.connections[i] == "b:1" ? 1 : 0;
    std::vector<std::size_t> confW(full.conferences.size(), 1);
    auto split = splitPlan(full, connW, confW, 2);
    CHECK(split.cut == 0);
    REQUIRE(split.plans.size() == 2);
    const MixPlan& w0 = split.plans[0];
    const MixPlan& w1 = split.plans[1];
    CHECK(w0.connections == std::vector<std::string>{"c:1", "d:1"});
    CHECK(w0.conferences.empty());
    REQUIRE(w0.routes.size() == 2);
    REQUIRE(w0.routes[0].size() == 1);
    CHECK(w0.routes[0][0].connection == 1);  // c hears d
    CHECK(w1.connections == std::vector<std::string>{"a:1", "b:1"});
    CHECK(w1.conferences.size() == 2);
    CHECK(w1.feeds.size() == full.feeds.size());
    CHECK(w1.revision == full.revision);
    for (const auto& conf : w1.conferences) {
        for (const auto& p : conf.participants) {
            if (p.kind == mixer::EntityKind::connection)
                CHECK(p.connection < w1.connections.size());
        }
    }

    // A placement that breaks co-location loses the crossing references, never mis-points.
    connW.assign(full.connections.size(), 0);
    auto broken = splitPlan(full, connW, confW, 2);
    CHECK(broken.cut > 0);
    for (const auto& conf : broken.plans[1].conferences)
        for (const auto& p : conf.participants) CHECK(p.connection == mixer::kNoIndex);
}

TEST_CASE("ms: media worker: idle it sleeps, with a leg the tick keeps a 20 ms cadence",
          "[ms][plane]") {
    MediaWorker worker(0, WorkerEvents{});
    REQUIRE(worker.start());
    // No legs: the timer is disarmed and nothing runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(worker.stats().ticks == 0);
    CHECK_FALSE(worker.stats().ticking);

    auto address = common::SocketAddress::parse("127.0.0.1:0");
    REQUIRE(address);
    rtp::PortAllocator ports(*address, 41000, 41999);
    auto pair = ports.allocate();
    REQUIRE(pair);
    auto leg = std::make_unique<WorkerLeg>();
    leg->key = 1;
    leg->id = "a:1";
    rtp::MediaParams params;
    params.remoteRtp = *common::SocketAddress::parse("127.0.0.1:9");
    leg->rtp = std::make_unique<rtp::RtpSession>(std::move(*pair), params,
                                                 rtp::RtpSessionConfig{},
                                                 std::chrono::steady_clock::now());
    worker.adopt(std::move(leg));
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

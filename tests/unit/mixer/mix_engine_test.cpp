// MixPlan + MixEngine: who hears whom for conferences, direct joins, echo, auto-mix, the
// RFC 7058 coaching and sidebar scenarios, cascaded conferences, allocation-free O(N) ticks.
#include <catch2/catch.hpp>

#include "tests/support/alloc_counter.hpp"
#include "engine_bench.hpp"

using namespace parley::ms::mixer;
using parley::ms::media::AudioFrame;
using parley::test::constantFrame;
using parley::test::correlation;
using parley::test::EngineBench;
using parley::test::expectedSum;
using parley::test::sameSamples;
using parley::test::scaledSum;
using parley::test::sineFrame;

namespace {

StreamRequest stream(Direction d, std::string media = "audio") {
    StreamRequest s;
    s.media = std::move(media);
    s.direction = d;
    return s;
}

StreamRequest gained(Direction d, double db) {
    StreamRequest s = stream(d);
    s.volume = VolumeRequest::gain(db);
    return s;
}

}  // namespace

TEST_CASE("mixeng: three-party conference, each hears the other two and never itself",
          "[mixer][engine]") {
    EngineBench b;
    for (const char* id : {"a:1", "b:1", "c:1"}) b.connect(id);
    b.conference("room");
    for (const char* id : {"a:1", "b:1", "c:1"}) REQUIRE(b.graph.join(id, "room", {}).ok());
    b.replan();
    b.in["a:1"] = sineFrame(350, 5000);
    b.in["b:1"] = sineFrame(800, 6000, 11);
    b.in["c:1"] = sineFrame(1450, 7000, 5);
    b.tick();
    CHECK(sameSamples(b.out["a:1"], expectedSum({{&b.in["b:1"], 0}, {&b.in["c:1"], 0}})));
    CHECK(sameSamples(b.out["b:1"], expectedSum({{&b.in["a:1"], 0}, {&b.in["c:1"], 0}})));
    CHECK(sameSamples(b.out["c:1"], expectedSum({{&b.in["a:1"], 0}, {&b.in["b:1"], 0}})));
    for (const char* id : {"a:1", "b:1", "c:1"}) {
        CHECK(std::abs(correlation(b.out[id], b.in[id])) < 0.1);
        CHECK_FALSE(b.out[id].silent);
    }
    // Someone who stops sending (no frame) drops out of the others' mixes.
    b.in.erase("c:1");
    b.tick();
    CHECK(sameSamples(b.out["a:1"], b.in["b:1"]));
}

TEST_CASE("mixeng: conference join gain applies per direction", "[mixer][engine]") {
    EngineBench b;
    b.connect("a:1");
    b.connect("b:1");
    b.conference("room");
    REQUIRE(b.graph.join("a:1", "room", {gained(Direction::sendrecv, -3)}).ok());
    REQUIRE(
        b.graph
            .join("b:1", "room", {gained(Direction::sendonly, 6), gained(Direction::recvonly, -6)})
            .ok());
    b.replan();
    b.in["a:1"] = sineFrame(500, 4000);
    b.in["b:1"] = sineFrame(900, 4000);
    b.tick();
    // b hears a's contribution (-3 dB in) through b's receive flow (-6 dB out).
    const AudioFrame aIn = expectedSum({{&b.in["a:1"], -3}});
    CHECK(sameSamples(b.out["b:1"], scaledSum({&aIn}, -6)));
    const AudioFrame bIn = expectedSum({{&b.in["b:1"], 6}});
    CHECK(sameSamples(b.out["a:1"], scaledSum({&bIn}, -3)));
}

TEST_CASE("mixeng: muting a participant's flow through modifyjoin", "[mixer][engine]") {
    EngineBench b;
    for (const char* id : {"a:1", "b:1", "c:1"}) b.connect(id);
    b.conference("room");
    for (const char* id : {"a:1", "b:1", "c:1"}) REQUIRE(b.graph.join(id, "room", {}).ok());
    StreamRequest mute = stream(Direction::sendonly);
    mute.volume = VolumeRequest::muted(true);
    REQUIRE(b.graph.modifyJoin("a:1", "room", {mute, stream(Direction::recvonly)}).ok());
    b.replan();
    b.in["a:1"] = constantFrame(1000);
    b.in["b:1"] = constantFrame(20);
    b.in["c:1"] = constantFrame(3);
    b.tick();
    CHECK(b.out["b:1"].samples[0] == 3);
    CHECK(b.out["a:1"].samples[0] == 23);
    REQUIRE(b.graph
                .modifyJoin("a:1", "room",
                            {gained(Direction::sendonly, 0), stream(Direction::recvonly)})
                .ok());
    b.replan();
    b.tick();
    CHECK(b.out["b:1"].samples[0] == 1003);
}

TEST_CASE("mixeng: direct connection joins in every direction", "[mixer][engine]") {
    EngineBench b;
    b.connect("a:1");
    b.connect("b:1");
    b.in["a:1"] = sineFrame(440, 3000);
    b.in["b:1"] = sineFrame(660, 3000);
    auto run = [&](Direction d) {
        b.graph.unjoin("a:1", "b:1", {}).ok();
        REQUIRE(b.graph.join("a:1", "b:1", {stream(d)}).ok());
        b.replan();
        b.tick();
    };
    run(Direction::sendrecv);
    CHECK(sameSamples(b.out["a:1"], b.in["b:1"]));
    CHECK(sameSamples(b.out["b:1"], b.in["a:1"]));
    run(Direction::sendonly);  // a -> b
    CHECK(sameSamples(b.out["b:1"], b.in["a:1"]));
    CHECK(b.out["a:1"].silent);
    run(Direction::recvonly);  // b -> a
    CHECK(sameSamples(b.out["a:1"], b.in["b:1"]));
    CHECK(b.out["b:1"].silent);
    run(Direction::inactive);
    CHECK(b.out["a:1"].silent);
    CHECK(b.out["b:1"].silent);
}

TEST_CASE("mixeng: a connection joined to itself hears itself (echo)", "[mixer][engine]") {
    EngineBench b;
    b.connect("e:1");
    REQUIRE(b.graph.join("e:1", "e:1", {}).ok());
    b.replan();
    b.in["e:1"] = sineFrame(1000, 9000);
    b.tick();
    CHECK(sameSamples(b.out["e:1"], b.in["e:1"]));
    // One flow is enough, and both flows do not double it.
    REQUIRE(b.graph.modifyJoin("e:1", "e:1", {stream(Direction::recvonly)}).ok());
    b.replan();
    b.tick();
    CHECK(sameSamples(b.out["e:1"], b.in["e:1"]));
}

TEST_CASE("mixeng: several sources to one connection are summed (auto-mix)", "[mixer][engine]") {
    EngineBench b;
    for (const char* id : {"a:1", "b:1", "p:1"}) b.connect(id);
    b.conference("room");
    REQUIRE(b.graph.join("a:1", "room", {}).ok());
    REQUIRE(b.graph.join("b:1", "room", {}).ok());
    REQUIRE(b.graph.join("a:1", "p:1", {stream(Direction::recvonly)}).ok());  // whisper to a
    b.replan();
    b.in["a:1"] = sineFrame(300, 2000);
    b.in["b:1"] = sineFrame(700, 2000);
    b.in["p:1"] = sineFrame(1300, 2000);
    b.tick();
    CHECK(sameSamples(b.out["a:1"], expectedSum({{&b.in["b:1"], 0}, {&b.in["p:1"], 0}})));
    CHECK(sameSamples(b.out["b:1"], b.in["a:1"]));
    CHECK(b.out["p:1"].silent);
}

TEST_CASE("mixeng: RFC 7058 6.3.3 coaching: who hears whom", "[mixer][engine][rfc7058]") {
    // Identifiers and requests as in RFC 7058 section 6.3.3 (A1-E1).
    const std::string customer = "10514b7f:6a900179";
    const std::string agent = "756471213:c52ebf1b";
    const std::string coach = "z9hG4bK19461552:1353807a";
    EngineBench b;
    b.connect(customer, {{"audio", ""}, {"video", ""}});
    b.connect(agent, {{"audio", ""}, {"video", ""}});
    b.connect(coach, {{"audio", ""}, {"video", ""}});
    ConferenceRequest hidden;
    hidden.reservedTalkers = 3;
    hidden.reservedListeners = 2;
    auto conf = b.graph.createConference(hidden);
    REQUIRE(conf.ok());
    REQUIRE(b.graph
                .join(customer, *conf,
                      {stream(Direction::sendonly), stream(Direction::sendonly, "video")})
                .ok());
    REQUIRE(b.graph.join(agent, *conf, {}).ok());
    REQUIRE(b.graph.join(coach, *conf, {gained(Direction::sendrecv, -3)}).ok());
    REQUIRE(b.graph
                .join(customer, agent,
                      {stream(Direction::recvonly), stream(Direction::recvonly, "video")})
                .ok());
    b.replan();

    b.in[customer] = sineFrame(300, 4000);
    b.in[agent] = sineFrame(750, 4000, 3);
    b.in[coach] = sineFrame(1700, 4000, 9);
    b.tick();
    // The customer hears only the agent.
    CHECK(sameSamples(b.out[customer], b.in[agent]));
    CHECK(std::abs(correlation(b.out[customer], b.in[coach])) < 0.05);
    // The agent hears the customer and the coach (whispering at -3 dB).
    CHECK(sameSamples(b.out[agent], expectedSum({{&b.in[customer], 0}, {&b.in[coach], -3}})));
    // The coach hears customer and agent (its receive flow is at -3 dB as well).
    CHECK(sameSamples(b.out[coach], scaledSum({&b.in[customer], &b.in[agent]}, -3)));
    // A fourth talker would exceed reserved-talkers.
    b.connect("x:1");
    CHECK(b.graph.join("x:1", *conf, {stream(Direction::sendonly)}).error().code ==
          status::kConferenceFull);
}

TEST_CASE("mixeng: RFC 7058 6.3.4 sidebar hears the main room at a lower volume",
          "[mixer][engine][rfc7058]") {
    const std::string main = "2f5ad43";
    const std::string A = "1:a", B = "2133178233:18294826", C = "3:c", D = "1264755310:2beeae5b";
    EngineBench b;
    b.conference(main);
    for (const auto& id : {A, B, C, D}) {
        b.connect(id);
        REQUIRE(b.graph.join(id, main, {}).ok());
    }
    b.in[A] = sineFrame(310, 3000);
    b.in[B] = sineFrame(620, 3000, 1);
    b.in[C] = sineFrame(1150, 3000, 2);
    b.in[D] = sineFrame(1900, 3000, 3);
    b.replan();
    b.tick();
    CHECK(sameSamples(b.out[A], expectedSum({{&b.in[B], 0}, {&b.in[C], 0}, {&b.in[D], 0}})));

    // A1-F1 of RFC 7058 section 6.3.4.
    ConferenceRequest sidebarReq;
    sidebarReq.reservedTalkers = 3;
    sidebarReq.reservedListeners = 2;
    sidebarReq.mixType = MixType::controller;
    auto sidebar = b.graph.createConference(sidebarReq);
    REQUIRE(sidebar.ok());
    REQUIRE(b.graph.join(main, *sidebar, {gained(Direction::sendonly, -5)}).ok());
    REQUIRE(b.graph.modifyJoin(B, main, {stream(Direction::inactive)}).ok());
    REQUIRE(b.graph.join(B, *sidebar, {stream(Direction::sendrecv)}).ok());
    REQUIRE(b.graph.modifyJoin(D, main, {stream(Direction::inactive)}).ok());
    REQUIRE(b.graph.join(D, *sidebar, {stream(Direction::sendrecv)}).ok());
    b.replan();
    b.tick();
    // A and C only hear each other.
    CHECK(sameSamples(b.out[A], b.in[C]));
    CHECK(sameSamples(b.out[C], b.in[A]));
    // B and D hear each other plus the main mix (A + C) at -5 dB.
    const AudioFrame mainMix = expectedSum({{&b.in[A], 0}, {&b.in[C], 0}});
    CHECK(sameSamples(b.out[B], expectedSum({{&b.in[D], 0}, {&mainMix, -5}})));
    CHECK(sameSamples(b.out[D], expectedSum({{&b.in[B], 0}, {&mainMix, -5}})));
    CHECK(std::abs(correlation(b.out[B], b.in[B])) < 0.05);
    // The sidebar is not heard in the main room (sendonly from main to sidebar).
    CHECK(std::abs(correlation(b.out[A], b.in[B])) < 0.05);
}

TEST_CASE("mixeng: cascaded conferences exchange their mixes without echo", "[mixer][engine]") {
    EngineBench b;
    for (const char* c : {"X", "Y", "Z"}) b.conference(c);
    for (const char* id : {"a:1", "b:1", "c:1", "d:1"}) b.connect(id);
    REQUIRE(b.graph.join("a:1", "X", {}).ok());
    REQUIRE(b.graph.join("d:1", "X", {}).ok());
    REQUIRE(b.graph.join("b:1", "Y", {}).ok());
    REQUIRE(b.graph.join("c:1", "Z", {}).ok());
    REQUIRE(b.graph.join("Y", "X", {}).ok());
    REQUIRE(b.graph.join("Z", "Y", {}).ok());
    b.replan();
    REQUIRE(b.engine.plan().feeds.size() == 4);
    b.in["a:1"] = sineFrame(300, 2000);
    b.in["b:1"] = sineFrame(700, 2000, 1);
    b.in["c:1"] = sineFrame(1100, 2000, 2);
    b.in["d:1"] = sineFrame(1700, 2000, 3);
    b.tick();
    const auto& in = b.in;
    CHECK(sameSamples(b.out["a:1"],
                      expectedSum({{&in.at("b:1"), 0}, {&in.at("c:1"), 0}, {&in.at("d:1"), 0}})));
    CHECK(sameSamples(b.out["d:1"],
                      expectedSum({{&in.at("a:1"), 0}, {&in.at("b:1"), 0}, {&in.at("c:1"), 0}})));
    CHECK(sameSamples(b.out["b:1"],
                      expectedSum({{&in.at("a:1"), 0}, {&in.at("c:1"), 0}, {&in.at("d:1"), 0}})));
    CHECK(sameSamples(b.out["c:1"],
                      expectedSum({{&in.at("a:1"), 0}, {&in.at("b:1"), 0}, {&in.at("d:1"), 0}})));
}

TEST_CASE("mixeng: feeds are ordered after the feeds they contain", "[mixer][plan]") {
    JoinGraph g;
    for (const char* c : {"A", "B", "C", "D"}) {
        ConferenceRequest r;
        r.conferenceId = c;
        REQUIRE(g.createConference(r).ok());
    }
    REQUIRE(g.join("A", "B", {}).ok());
    REQUIRE(g.join("C", "B", {}).ok());
    REQUIRE(g.join("D", "C", {}).ok());
    const MixPlan plan = MixPlan::build(g);
    REQUIRE(plan.feeds.size() == 6);
    for (std::size_t i = 0; i < plan.feeds.size(); ++i) {
        const auto& f = plan.feeds[i];
        for (std::size_t j = i + 1; j < plan.feeds.size(); ++j) {
            const auto& later = plan.feeds[j];
            // No feed may need one computed after it.
            CHECK_FALSE((later.to == f.from && later.from != f.to));
        }
    }
}

TEST_CASE("mixeng: plans keep mixer state across graph changes", "[mixer][plan]") {
    EngineBench b;
    b.conference("room", ConferenceRequest{std::nullopt, 0, 0, MixType::nbest, 1, {}});
    b.connect("a:1");
    b.connect("b:1");
    REQUIRE(b.graph.join("a:1", "room", {}).ok());
    REQUIRE(b.graph.join("b:1", "room", {}).ok());
    b.replan();
    b.in["a:1"] = constantFrame(4000);
    b.in["b:1"] = constantFrame(3000);
    for (int i = 0; i < 10; ++i) b.tick();
    b.connect("c:1");
    REQUIRE(b.graph.join("c:1", "room", {}).ok());
    b.replan();
    const NarrowbandMixer* m = b.engine.conferenceMixer("room");
    REQUIRE(m != nullptr);
    CHECK(m->isMixed(0));  // a:1 was the selected talker and still is, before any new tick
    CHECK(m->smoothedEnergy(0) > 3000.0f);
    CHECK(b.engine.plan().revision == b.graph.revision());
}

namespace {

struct LargeRoom {
    EngineBench b;
    std::vector<AudioFrame> frames;
    std::vector<const AudioFrame*> inputs;
    std::vector<AudioFrame> outFrames;
    std::vector<AudioFrame*> outputs;

    LargeRoom(std::size_t n, std::uint32_t nbest) {
        b.conference("room", ConferenceRequest{std::nullopt, 0, 0, MixType::nbest, nbest,
                                               std::chrono::seconds{1}});
        b.conference("side", ConferenceRequest{std::nullopt, 0, 0, MixType::controller, 0, {}});
        for (std::size_t i = 0; i < n; ++i) {
            char id[32];
            std::snprintf(id, sizeof id, "%04zu:p", i);
            b.connect(id);
            if (i == 1) {
                REQUIRE(b.graph.join(id, "side", {}).ok());
            } else if (i == 2) {
                StreamRequest agc;
                agc.volume = VolumeRequest::automatic();
                REQUIRE(b.graph.join(id, "room", {agc}).ok());
            } else {
                REQUIRE(b.graph.join(id, "room", {}).ok());
            }
        }
        REQUIRE(b.graph.join("room", "side", {gained(Direction::sendrecv, -5)}).ok());
        REQUIRE(b.graph.join("0000:p", "0003:p", {stream(Direction::sendonly)}).ok());
        REQUIRE(b.graph.join("0004:p", "0004:p", {}).ok());
        b.replan();
        for (std::size_t i = 0; i < n; ++i) {
            frames.push_back(sineFrame(200.0 + 13.0 * static_cast<double>(i),
                                       100.0 + 20.0 * static_cast<double>(i % 50), i));
        }
        for (auto& f : frames) inputs.push_back(&f);
        outFrames.resize(n);
        for (auto& f : outFrames) outputs.push_back(&f);
    }
    void tick() { b.engine.runTick(inputs, outputs); }
};

}  // namespace

TEST_CASE("mixeng: a 100-participant tick allocates nothing", "[mixer][engine][alloc]") {
    for (std::uint32_t nbest : {0u, 3u}) {
        LargeRoom room(100, nbest);
        const auto t0 = parley::common::TimePoint{};
        parley::test::startCountingAllocations();
        for (int t = 0; t < 50; ++t) {
            if (t == 25) room.inputs[7] = nullptr;  // a participant drops out mid-way
            room.tick();
            (void)room.b.engine.pollActiveTalkers(t0 +
                                                  std::chrono::milliseconds(20 * t));  // not due
        }
        const std::size_t allocations = parley::test::stopCountingAllocations();
        CHECK(allocations == 0);
        // The counter does see allocations (the check above can fail).
        parley::test::startCountingAllocations();
        std::vector<int> probe(3);
        CHECK(parley::test::stopCountingAllocations() == 1);
        // And the tick did mix: participant 5 hears others.
        CHECK_FALSE(room.outFrames[5].silent);
    }
}

TEST_CASE("mixeng: tick cost grows linearly with participants", "[mixer][engine][cost]") {
    auto opsPerTick = [](std::size_t n) {
        LargeRoom room(n, 0);
        room.tick();
        const auto before = room.b.engine.frameOps();
        room.tick();
        return room.b.engine.frameOps() - before;
    };
    const auto o50 = opsPerTick(50);
    const auto o100 = opsPerTick(100);
    const auto o200 = opsPerTick(200);
    // Exactly linear: the same cost for each added participant (an O(N^2) mix would give
    // a growing difference).
    CHECK(o200 - o100 == 2 * (o100 - o50));
    CHECK(o100 < 6 * 100);
}

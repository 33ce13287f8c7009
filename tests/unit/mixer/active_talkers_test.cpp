// Voice activity with hangover, the active-talkers notifier and its reports through the engine.
#include <catch2/catch.hpp>

#include "engine_bench.hpp"
#include "ms/mixer/voice_activity.hpp"

using namespace parley::ms::mixer;
using parley::common::TimePoint;
using parley::test::constantFrame;
using parley::test::EngineBench;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("mixeng: voice activity holds for the hangover after the last speech frame",
          "[mixer][talkers]") {
    VoiceActivity vad(VadSettings{300, 3});
    CHECK_FALSE(vad.update(100, false));
    CHECK(vad.update(300, false));
    CHECK(vad.update(0, false));
    CHECK(vad.update(0, false));
    CHECK(vad.update(0, false));
    CHECK_FALSE(vad.update(0, false));
    CHECK(vad.update(5, true));  // an upstream VAD flag counts too
    CHECK(vad.idle());
}

TEST_CASE("mixeng: notifier paces reports by the subscription interval", "[mixer][talkers]") {
    ActiveTalkerNotifier n;
    const TimePoint t0{};
    CHECK_FALSE(n.due(t0));  // off
    n.setInterval(seconds{3});
    CHECK_FALSE(n.due(t0));  // starts the first interval
    CHECK_FALSE(n.due(t0 + milliseconds(2999)));
    REQUIRE(n.due(t0 + seconds{3}));
    CHECK(n.commit(t0 + seconds{3}, true));  // somebody talked: report
    REQUIRE(n.due(t0 + seconds{6}));
    CHECK(n.commit(t0 + seconds{6}, true));  // still talking: report again
    REQUIRE(n.due(t0 + seconds{9}));
    CHECK(n.commit(t0 + seconds{9}, false));  // went quiet: one empty report
    REQUIRE(n.due(t0 + seconds{12}));
    CHECK_FALSE(n.commit(t0 + seconds{12}, false));  // still quiet: nothing
    n.setInterval(seconds{0});
    CHECK_FALSE(n.due(t0 + seconds{100}));
}

TEST_CASE("mixeng: engine reports active talkers of a conference at the interval",
          "[mixer][talkers][engine]") {
    EngineBench b;
    ConferenceRequest req;
    req.activeTalkersInterval = seconds{2};
    b.conference("room", req);
    b.conference("side");
    for (const char* id : {"a:1", "b:1", "c:1"}) b.connect(id);
    REQUIRE(b.graph.join("a:1", "room", {}).ok());
    REQUIRE(b.graph.join("b:1", "room", {}).ok());
    REQUIRE(b.graph.join("c:1", "side", {}).ok());
    REQUIRE(b.graph.join("side", "room", {}).ok());
    b.replan();

    const TimePoint t0{};
    TimePoint now = t0;
    auto runFor = [&](milliseconds span) {
        std::vector<ActiveTalkersReport> all;
        for (auto end = now + span; now < end; now += milliseconds(20)) {
            b.tick();
            for (auto& r : b.engine.pollActiveTalkers(now)) all.push_back(std::move(r));
        }
        return all;
    };
    b.in["a:1"] = constantFrame(2000);  // talking
    b.in["b:1"] = constantFrame(10);    // background noise
    b.in["c:1"] = constantFrame(0);
    auto reports = runFor(milliseconds(2000));
    CHECK(reports.empty());  // the interval started at the first poll and has not ended
    reports = runFor(milliseconds(100));
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].conferenceId == "room");
    CHECK(reports[0].talkers == std::vector<ActiveTalker>{{EntityKind::connection, "a:1"}});

    // c talks in the side conference: room hears it as the conference participant "side".
    b.in["a:1"] = constantFrame(0);
    b.in["c:1"] = constantFrame(3000);
    reports = runFor(milliseconds(2000));
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].talkers == std::vector<ActiveTalker>{{EntityKind::connection, "a:1"},
                                                          {EntityKind::conference, "side"}});
    // Everybody quiet: one empty report, then silence.
    b.in["c:1"] = constantFrame(0);
    reports = runFor(milliseconds(2000));
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].talkers == std::vector<ActiveTalker>{{EntityKind::conference, "side"}});
    reports = runFor(milliseconds(2000));
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].talkers.empty());
    reports = runFor(milliseconds(4000));
    CHECK(reports.empty());

    // modifyconference turns the subscription off.
    REQUIRE(b.graph.modifyConference("room", ConferenceChange{{}, {}, seconds{0}}).ok());
    b.replan();
    b.in["a:1"] = constantFrame(5000);
    CHECK(runFor(milliseconds(6000)).empty());
}

// JoinGraph: conference lifecycle, join/modifyjoin/unjoin semantics, every RFC 6505 error
// status, atomicity of failed requests, loop refusal, teardown notifications, audit views.
#include <catch2/catch.hpp>

#include "ms/mixer/join_graph.hpp"

using namespace parley::ms::mixer;

namespace {

StreamRequest stream(Direction d, std::string media = "audio") {
    StreamRequest s;
    s.media = std::move(media);
    s.direction = d;
    return s;
}

StreamRequest withVolume(StreamRequest s, VolumeRequest v) {
    s.volume = v;
    return s;
}

const JoinedStream& audioOf(const JoinGraph& g, std::string_view a, std::string_view b) {
    const auto* j = g.findJoin(a, b);
    REQUIRE(j != nullptr);
    for (const auto& s : j->streams) {
        if (s.key.media == "audio") return s;
    }
    FAIL("no audio stream");
    return j->streams.front();
}

// A graph with connections a:1, b:1, c:1 (audio) and v:1 (audio + video), conference "room".
JoinGraph sampleGraph() {
    JoinGraph g;
    REQUIRE(g.addConnection("a:1").ok());
    REQUIRE(g.addConnection("b:1").ok());
    REQUIRE(g.addConnection("c:1").ok());
    REQUIRE(g.addConnection("v:1", {{"audio", ""}, {"video", ""}}).ok());
    ConferenceRequest req;
    req.conferenceId = "room";
    REQUIRE(g.createConference(req).ok());
    return g;
}

// Runs a request that must fail with `code` and checks that it changed nothing.
template <typename F>
void expectFailure(JoinGraph& g, int code, F request) {
    const JoinGraph before = g;
    const int got = request(g);
    CHECK(got == code);
    CHECK(g == before);
}

}  // namespace

TEST_CASE("mixeng: create conferences with given and generated ids", "[mixer][graph]") {
    JoinGraph g("c");
    ConferenceRequest req;
    auto first = g.createConference(req);
    auto second = g.createConference(req);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(*first != *second);
    CHECK(first->rfind("c", 0) == 0);
    req.conferenceId = "conference1";
    req.reservedTalkers = 3;
    req.mixType = MixType::controller;
    req.activeTalkersInterval = std::chrono::seconds{4};
    REQUIRE(g.createConference(req).ok());
    auto view = g.conferenceView("conference1");
    REQUIRE(view.ok());
    CHECK(view->config.reservedTalkers == 3);
    CHECK(view->config.mixType == MixType::controller);
    CHECK(view->config.activeTalkersInterval == std::chrono::seconds{4});
    CHECK(g.conferenceViews().size() == 3);
    // A generated id never collides with a taken one.
    JoinGraph h("x");
    ConferenceRequest taken;
    taken.conferenceId = "x00000001";
    REQUIRE(h.createConference(taken).ok());
    auto gen = h.createConference(ConferenceRequest{});
    REQUIRE(gen.ok());
    CHECK(*gen == "x00000002");
}

TEST_CASE("mixeng: conference errors 405 406 420 leave the state unchanged",
          "[mixer][graph][errors]") {
    JoinGraph g = sampleGraph();
    expectFailure(g, status::kConferenceExists, [](JoinGraph& x) {
        ConferenceRequest r;
        r.conferenceId = "room";
        return x.createConference(r).error().code;
    });
    expectFailure(g, status::kConferenceExists, [](JoinGraph& x) {
        ConferenceRequest r;
        r.conferenceId = "a:1";
        return x.createConference(r).error().code;
    });
    expectFailure(g, status::kReservationFailed, [](JoinGraph& x) {
        ConferenceRequest r;
        r.reservedListeners = kMaxConferenceParticipants + 1;
        return x.createConference(r).error().code;
    });
    expectFailure(g, status::kConferenceNotFound, [](JoinGraph& x) {
        return x.modifyConference("nope", ConferenceChange{MixType::controller, {}, {}})
            .error()
            .code;
    });
    expectFailure(g, status::kConferenceNotFound,
                  [](JoinGraph& x) { return x.destroyConference("nope").error().code; });
    expectFailure(g, status::kConferenceNotFound,
                  [](JoinGraph& x) { return x.conferenceView("nope").error().code; });
}

TEST_CASE("mixeng: modifyconference changes only what it names", "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    REQUIRE(g.modifyConference("room", ConferenceChange{std::nullopt, 3u, std::nullopt}).ok());
    auto v = g.conferenceView("room");
    CHECK(v->config.n == 3);
    CHECK(v->config.mixType == MixType::nbest);
    REQUIRE(g.modifyConference("room",
                               ConferenceChange{MixType::controller, {}, std::chrono::seconds{2}})
                .ok());
    v = g.conferenceView("room");
    CHECK(v->config.n == 3);
    CHECK(v->config.mixType == MixType::controller);
    CHECK(v->config.activeTalkersInterval == std::chrono::seconds{2});
}

TEST_CASE("mixeng: join errors 406 412 408 409", "[mixer][graph][errors]") {
    JoinGraph g = sampleGraph();
    expectFailure(g, status::kConferenceNotFound,
                  [](JoinGraph& x) { return x.join("a:1", "nosuchconf", {}).error().code; });
    expectFailure(g, status::kConnectionNotFound,
                  [](JoinGraph& x) { return x.join("zz:99", "room", {}).error().code; });
    REQUIRE(g.join("a:1", "room", {}).ok());
    expectFailure(g, status::kAlreadyJoined,
                  [](JoinGraph& x) { return x.join("a:1", "room", {}).error().code; });
    expectFailure(g, status::kAlreadyJoined,
                  [](JoinGraph& x) { return x.join("room", "a:1", {}).error().code; });
    expectFailure(g, status::kNotJoined, [](JoinGraph& x) {
        return x.modifyJoin("b:1", "room", {stream(Direction::sendrecv)}).error().code;
    });
    expectFailure(g, status::kNotJoined,
                  [](JoinGraph& x) { return x.unjoin("b:1", "room", {}).error().code; });
    expectFailure(g, status::kConnectionNotFound,
                  [](JoinGraph& x) { return x.unjoin("q:1", "room", {}).error().code; });
    expectFailure(g, status::kConferenceNotFound, [](JoinGraph& x) {
        return x.modifyJoin("a:1", "gone", {stream(Direction::sendrecv)}).error().code;
    });
}

TEST_CASE("mixeng: stream conflicts are 407 and unsupported media 422", "[mixer][graph][errors]") {
    JoinGraph g = sampleGraph();
    REQUIRE(g.addConnection("two:1", {{"audio", "L1"}, {"audio", "L2"}}).ok());
    auto code = [](const parley::common::Status& s) { return s.ok() ? 200 : s.error().code; };
    expectFailure(g, status::kIncompatibleStream, [&](JoinGraph& x) {
        return code(
            x.join("a:1", "room", {stream(Direction::sendrecv), stream(Direction::sendonly)}));
    });
    expectFailure(g, status::kIncompatibleStream, [&](JoinGraph& x) {
        return code(
            x.join("a:1", "room", {stream(Direction::sendonly), stream(Direction::sendonly)}));
    });
    expectFailure(g, status::kIncompatibleStream, [&](JoinGraph& x) {
        return code(
            x.join("a:1", "room", {stream(Direction::inactive), stream(Direction::recvonly)}));
    });
    expectFailure(g, status::kIncompatibleStream, [&](JoinGraph& x) {  // a:1 has no video
        return code(x.join("a:1", "room", {stream(Direction::sendrecv, "video")}));
    });
    expectFailure(g, status::kIncompatibleStream, [&](JoinGraph& x) {
        StreamRequest s = stream(Direction::sendrecv);
        s.label = "nolabel";
        return code(x.join("a:1", "room", {s}));
    });
    expectFailure(g, status::kIncompatibleStream,  // two audio streams: which one?
                  [&](JoinGraph& x) { return code(x.join("two:1", "room", {})); });
    expectFailure(g, status::kIncompatibleStream, [&](JoinGraph& x) {
        return code(x.join("two:1", "room", {stream(Direction::sendrecv)}));
    });
    expectFailure(g, status::kStreamUnsupported, [&](JoinGraph& x) {
        return code(x.join("a:1", "room", {stream(Direction::sendrecv, "text")}));
    });
    // A label picks one of the streams; a sendonly and a recvonly stream of one medium combine.
    StreamRequest l2 = stream(Direction::sendrecv);
    l2.label = "L2";
    REQUIRE(g.join("two:1", "room", {l2}).ok());
    REQUIRE(g.join("b:1", "room", {stream(Direction::sendonly), stream(Direction::recvonly)}).ok());
    CHECK(audioOf(g, "b:1", "room").forward.active);
    CHECK(audioOf(g, "b:1", "room").backward.active);
    CHECK(g.findJoin("two:1", "room")->streams.front().key.label == "L2");
    // unjoin of a stream that is not joined.
    REQUIRE(g.join("v:1", "room", {stream(Direction::sendrecv, "video")}).ok());
    expectFailure(g, status::kIncompatibleStream, [&](JoinGraph& x) {
        auto r = x.unjoin("v:1", "room", {stream(Direction::sendrecv)});
        return r.ok() ? 200 : r.error().code;
    });
}

TEST_CASE("mixeng: reserved talkers and listeners limit the conference (410)",
          "[mixer][graph][errors]") {
    JoinGraph g = sampleGraph();
    ConferenceRequest req;
    req.conferenceId = "small";
    req.reservedTalkers = 2;
    req.reservedListeners = 1;
    REQUIRE(g.createConference(req).ok());
    REQUIRE(g.join("a:1", "small", {}).ok());                             // talker + listener
    REQUIRE(g.join("b:1", "small", {stream(Direction::sendonly)}).ok());  // talker
    auto code = [](const parley::common::Status& s) { return s.ok() ? 200 : s.error().code; };
    expectFailure(g, status::kConferenceFull, [&](JoinGraph& x) {
        return code(x.join("c:1", "small", {stream(Direction::sendonly)}));
    });
    expectFailure(g, status::kConferenceFull, [&](JoinGraph& x) {
        return code(x.join("c:1", "small", {stream(Direction::recvonly)}));
    });
    expectFailure(g, status::kConferenceFull,  // modifyjoin that would add a listener
                  [&](JoinGraph& x) {
                      return code(x.modifyJoin("b:1", "small", {stream(Direction::sendrecv)}));
                  });
    // Participants with no audio flow count as neither.
    REQUIRE(g.join("c:1", "small", {stream(Direction::inactive)}).ok());
    // Making a:1 send-only frees the listener slot.
    REQUIRE(g.modifyJoin("a:1", "small", {stream(Direction::sendonly)}).ok());
    REQUIRE(g.modifyJoin("c:1", "small", {stream(Direction::recvonly)}).ok());
}

TEST_CASE("mixeng: IVR dialogs on a conference take no reserved slot (RFC 7058 6.2.2)",
          "[mixer][graph][errors]") {
    // Two callers, two reserved talkers and listeners, and a recording of the mix started
    // first: the callers still fit; a third caller does not.
    JoinGraph g = sampleGraph();
    REQUIRE(g.addConnection("ivr#rec").ok());
    REQUIRE(g.addConnection("ivr#ann").ok());
    ConferenceRequest req;
    req.conferenceId = "call";
    req.reservedTalkers = 2;
    req.reservedListeners = 2;
    REQUIRE(g.createConference(req).ok());
    REQUIRE(g.join("ivr#rec", "call", {stream(Direction::recvonly)}).ok());
    REQUIRE(g.join("a:1", "call", {}).ok());
    REQUIRE(g.join("b:1", "call", {}).ok());
    REQUIRE(g.join("ivr#ann", "call", {stream(Direction::sendonly)}).ok());
    auto code = [](const parley::common::Status& s) { return s.ok() ? 200 : s.error().code; };
    expectFailure(g, status::kConferenceFull, [&](JoinGraph& x) {
        return code(x.join("c:1", "call", {stream(Direction::recvonly)}));
    });
}

TEST_CASE("mixeng: conference loops are refused with 411, trees are fine",
          "[mixer][graph][errors]") {
    JoinGraph g;
    for (const char* id : {"A", "B", "C", "D"}) {
        ConferenceRequest r;
        r.conferenceId = id;
        REQUIRE(g.createConference(r).ok());
    }
    auto code = [](const parley::common::Status& s) { return s.ok() ? 200 : s.error().code; };
    expectFailure(g, status::kJoinOperationFailed, [&](JoinGraph& x) { return code(x.join("A", "A", {})); });
    REQUIRE(g.join("A", "B", {}).ok());
    REQUIRE(g.join("B", "C", {stream(Direction::sendonly)}).ok());
    expectFailure(g, status::kJoinOperationFailed, [&](JoinGraph& x) { return code(x.join("C", "A", {})); });
    // Directions do not matter: an inactive link still counts.
    REQUIRE(g.join("C", "D", {stream(Direction::inactive)}).ok());
    expectFailure(g, status::kJoinOperationFailed, [&](JoinGraph& x) {
        return code(x.join("D", "A", {stream(Direction::sendonly)}));
    });
    // Breaking the chain makes the join legal.
    REQUIRE(g.unjoin("B", "C", {}).ok());
    REQUIRE(g.join("D", "A", {stream(Direction::sendonly)}).ok());
}

TEST_CASE("mixeng: modifyjoin keeps per-direction settings as RFC 6505 4.2.2.3 describes",
          "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    REQUIRE(g.join("a:1", "room",
                   {withVolume(stream(Direction::sendonly), VolumeRequest::gain(-3)),
                    withVolume(stream(Direction::recvonly), VolumeRequest::gain(3))})
                .ok());
    CHECK(audioOf(g, "a:1", "room").forward.gainDb == -3);
    CHECK(audioOf(g, "a:1", "room").backward.gainDb == 3);
    // Only sendonly named: the stream becomes sendonly.
    REQUIRE(g.modifyJoin("a:1", "room",
                         {withVolume(stream(Direction::sendonly), VolumeRequest::gain(0))})
                .ok());
    CHECK(audioOf(g, "a:1", "room").forward.active);
    CHECK(audioOf(g, "a:1", "room").forward.gainDb == 0);
    CHECK_FALSE(audioOf(g, "a:1", "room").backward.active);
    // recvonly named again without volume: back with its original +3 dB.
    REQUIRE(g.modifyJoin("a:1", "room", {stream(Direction::sendonly), stream(Direction::recvonly)})
                .ok());
    CHECK(audioOf(g, "a:1", "room").backward.active);
    CHECK(audioOf(g, "a:1", "room").backward.gainDb == 3);
    CHECK(audioOf(g, "a:1", "room").forward.gainDb == 0);
}

TEST_CASE("mixeng: mute, unmute by gain, automatic, clamp and priority", "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    StreamRequest s = withVolume(stream(Direction::sendrecv), VolumeRequest::gain(-4));
    s.clampTones = std::vector<std::string>{"1", "#"};
    s.priority = 7;
    REQUIRE(g.join("a:1", "room", {s}).ok());
    REQUIRE(g.modifyJoin("a:1", "room",
                         {withVolume(stream(Direction::sendrecv), VolumeRequest::muted(true))})
                .ok());
    const auto& muted = audioOf(g, "a:1", "room");
    CHECK(muted.forward.muted);
    CHECK(muted.forward.gainDb == -4);  // mute keeps the gain
    CHECK(muted.forward.clamp);
    CHECK(muted.forward.clampTones == std::vector<std::string>{"1", "#"});
    CHECK(muted.forward.priority == 7);
    REQUIRE(g.modifyJoin("a:1", "room",
                         {withVolume(stream(Direction::sendonly), VolumeRequest::gain(2)),
                          stream(Direction::recvonly)})
                .ok());
    CHECK_FALSE(audioOf(g, "a:1", "room").forward.muted);  // setgain unmutes
    CHECK(audioOf(g, "a:1", "room").backward.muted);       // the other direction kept its state
    REQUIRE(g.modifyJoin("a:1", "room",
                         {withVolume(stream(Direction::sendrecv), VolumeRequest::automatic(-25.0))})
                .ok());
    CHECK(audioOf(g, "a:1", "room").backward.automatic);
    CHECK_FALSE(audioOf(g, "a:1", "room").backward.muted);
    CHECK(audioOf(g, "a:1", "room").backward.agcTargetDbfs == -25.0);
}

TEST_CASE("mixeng: a request with the ids reversed reads its directions reversed",
          "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    REQUIRE(g.join("a:1", "b:1", {stream(Direction::sendonly)}).ok());  // a -> b
    const auto* j = g.findJoin("b:1", "a:1");
    REQUIRE(j != nullptr);
    CHECK(j->id1 == "a:1");
    CHECK(audioOf(g, "a:1", "b:1").forward.active);
    CHECK_FALSE(audioOf(g, "a:1", "b:1").backward.active);
    // From b's side "recvonly" is the same a -> b flow; "sendonly" is b -> a.
    REQUIRE(g.modifyJoin("b:1", "a:1", {stream(Direction::sendonly)}).ok());
    CHECK_FALSE(audioOf(g, "a:1", "b:1").forward.active);
    CHECK(audioOf(g, "a:1", "b:1").backward.active);
}

TEST_CASE("mixeng: unjoin of one direction, of one stream, of everything", "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    REQUIRE(g.join("v:1", "room", {}).ok());
    REQUIRE(g.findJoin("v:1", "room")->streams.size() == 2);  // audio and video by default
    auto r = g.unjoin("v:1", "room", {stream(Direction::sendonly, "video")});
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    const auto* j = g.findJoin("v:1", "room");
    REQUIRE(j->streams.size() == 2);
    CHECK_FALSE(j->streams[1].forward.active);
    CHECK(j->streams[1].backward.active);
    r = g.unjoin("room", "v:1", {stream(Direction::sendrecv, "audio")});
    REQUIRE(r.ok());
    REQUIRE(g.findJoin("v:1", "room")->streams.size() == 1);
    r = g.unjoin("v:1", "room", {stream(Direction::recvonly, "video")});
    REQUIRE(r.ok());
    REQUIRE(r->has_value());  // the last flow went: the join is gone
    CHECK(**r == UnjoinNotice{"v:1", "room", kUnjoinRequested});
    CHECK(g.findJoin("v:1", "room") == nullptr);
}

TEST_CASE("mixeng: removing a connection unjoins it everywhere", "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    REQUIRE(g.join("a:1", "room", {}).ok());
    REQUIRE(g.join("a:1", "b:1", {}).ok());
    REQUIRE(g.join("c:1", "room", {}).ok());
    const auto notices = g.removeConnection("a:1");
    CHECK(notices == std::vector<UnjoinNotice>{{"a:1", "b:1", kUnjoinTerminated},
                                               {"a:1", "room", kUnjoinTerminated}});
    CHECK_FALSE(g.hasConnection("a:1"));
    CHECK(g.joins().size() == 1);
    CHECK(g.removeConnection("a:1").empty());
}

TEST_CASE("mixeng: destroyconference unjoins every participant, then exits", "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    ConferenceRequest side;
    side.conferenceId = "side";
    REQUIRE(g.createConference(side).ok());
    REQUIRE(g.join("a:1", "room", {}).ok());
    REQUIRE(g.join("room", "side", {stream(Direction::sendonly)}).ok());
    REQUIRE(g.join("b:1", "room", {}).ok());
    REQUIRE(g.join("c:1", "side", {}).ok());
    auto t = g.destroyConference("room");
    REQUIRE(t.ok());
    CHECK(t->unjoins == std::vector<UnjoinNotice>{{"a:1", "room", kUnjoinTerminated},
                                                  {"b:1", "room", kUnjoinTerminated},
                                                  {"room", "side", kUnjoinTerminated}});
    CHECK(t->exit == ConferenceExitNotice{"room", kExitDestroyed});
    CHECK_FALSE(g.hasConference("room"));
    CHECK(g.joins().size() == 1);
    // The id can be reused.
    ConferenceRequest again;
    again.conferenceId = "room";
    CHECK(g.createConference(again).ok());
}

TEST_CASE("mixeng: audit views list participants and joins", "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    REQUIRE(g.join("b:1", "room", {}).ok());
    REQUIRE(g.join("room", "a:1", {}).ok());
    REQUIRE(g.join("c:1", "c:1", {}).ok());  // echo
    const auto views = g.conferenceViews();
    REQUIRE(views.size() == 1);
    CHECK(views[0].participants == std::vector<std::string>{"a:1", "b:1"});
    const auto joins = g.joinViews();
    REQUIRE(joins.size() == 3);
    CHECK((joins[0].id1 == "room" && joins[0].id2 == "a:1"));
    CHECK((joins[1].id1 == "b:1" && joins[1].id2 == "room"));
    CHECK((joins[2].id1 == "c:1" && joins[2].id2 == "c:1"));
}

TEST_CASE("mixeng: connection ids are unique and revision moves on change only", "[mixer][graph]") {
    JoinGraph g = sampleGraph();
    CHECK(g.addConnection("a:1").error().code == status::kExecutionError);
    CHECK(g.addConnection("room").error().code == status::kExecutionError);
    const auto rev = g.revision();
    CHECK_FALSE(g.join("a:1", "nope", {}).ok());
    CHECK(g.revision() == rev);
    REQUIRE(g.join("a:1", "room", {}).ok());
    CHECK(g.revision() == rev + 1);
}

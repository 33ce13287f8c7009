// MediaControl against the fake MS end of tests/unit/as (a real proto::cfw Channel in the
// Server role on loopback TCP) for what a well-behaved parley-ms never does: events before
// the answer, 202 + REPORT answers, CFW refusals, unreadable bodies, stray events, and
// callbacks that destroy the MediaControl. Also the exact <stream> elements each
// JoinOptions becomes.

#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "as/callctl/media_control.hpp"
#include "as/msclient/media_server_client.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_status.hpp"
#include "tests/unit/as/as_test_support.hpp"

namespace parley::as {
namespace {

namespace mixer = proto::mixer;
namespace ivr = proto::ivr;
using namespace std::chrono_literals;
using common::Clock;
using common::Result;
using common::Status;
using test::FakeMs;
using test::FakeSignalling;
using test::runFor;
using test::runUntil;

using Answerer = std::function<void(cfw::Channel&, const cfw::IncomingControl&)>;

std::string mixerBody(const mixer::Message& m) {
    return mixer::serialize(m);
}
std::string ivrBody(ivr::Message m) {
    return ivr::serialize(m);
}

void respond(cfw::Channel& ch, const cfw::IncomingControl& r, const std::string& contentType,
             const std::string& body) {
    REQUIRE(ch.respond(r.transId, 200, Clock::now(), contentType, body));
}

void sendEvent(cfw::Channel& ch, std::string_view package, std::string_view contentType,
               std::string body) {
    auto sent = ch.sendEvent(
        cfw::OutgoingControl{std::string(package), std::string(contentType), std::move(body)},
        Clock::now(), [](const cfw::ControlResult&) {});
    REQUIRE(sent);
}

void sendMixerEvent(cfw::Channel& ch, mixer::Event e) {
    sendEvent(ch, mixer::kPackageName, mixer::kContentType, mixerBody(mixer::Message(e)));
}

void sendIvrEvent(cfw::Channel& ch, ivr::Event e) {
    sendEvent(ch, ivr::kPackageName, ivr::kMimeType, ivrBody(std::move(e)));
}

// What a well-behaved MS answers: 200 with a package <response status="200">.
void answerOk(cfw::Channel& ch, const cfw::IncomingControl& r) {
    if (r.package == mixer::kPackageName) {
        auto m = mixer::parse(r.body);
        REQUIRE(m);
        std::optional<std::string> conf;
        if (std::holds_alternative<mixer::CreateConference>(*m)) conf = "conf1";
        respond(ch, r, std::string(mixer::kContentType),
                mixerBody(mixer::makeResponse(200, "", conf)));
    } else {
        auto m = ivr::parse(r.body);
        REQUIRE(m);
        respond(ch, r, std::string(ivr::kMimeType),
                ivrBody(ivr::makeResponse(200, ivr::dialogIdOf(*m))));
    }
}

struct FakeBench {
    common::EventLoop loop;
    FakeMs ms{loop};
    FakeSignalling sip;
    std::unique_ptr<MediaServerClient> client;
    std::unique_ptr<MediaControl> control;
    std::vector<cfw::IncomingControl> requests;
    Answerer answer = answerOk;

    FakeBench() {
        sip.loop = &loop;
        sip.autoAnswerPort = ms.port();
        ms.onControl = [this](cfw::Channel& ch, const cfw::IncomingControl& r) {
            requests.push_back(r);
            if (answer) answer(ch, r);
        };
        MediaServerClientOptions o;
        o.uri = "sip:ms@127.0.0.1:5070";
        o.backoffInitial = 50ms;
        o.backoffMax = 200ms;
        client = std::make_unique<MediaServerClient>(loop, sip, o);
        control = std::make_unique<MediaControl>(loop, *client);
        client->start();
        REQUIRE(runUntil(loop, [&] { return client->isUp(); }));
    }
    ~FakeBench() {
        control.reset();
        client.reset();
    }
    bool run(const std::function<bool()>& done) { return runUntil(loop, done, 3s); }

    // The streams of the last join/modifyjoin sent.
    std::vector<mixer::Stream> lastStreams() {
        REQUIRE_FALSE(requests.empty());
        auto m = mixer::parse(requests.back().body);
        REQUIRE(m);
        if (auto* j = std::get_if<mixer::Join>(&*m)) return j->streams;
        if (auto* j = std::get_if<mixer::ModifyJoin>(&*m)) return j->streams;
        FAIL("not a join or modifyjoin");
        return {};
    }
};

DialogSpec promptSpec() {
    DialogSpec spec;
    PromptItem item;
    item.value = "file:///prompts/hello.wav";
    spec.prompt.push_back(item);
    return spec;
}

std::string describe(const std::vector<mixer::Stream>& streams) {
    std::string out;
    for (const auto& s : streams) {
        out += std::string(mixer::toString(s.direction));
        if (s.volume) out += "(" + mixer::formatGainDb(s.volume->gainDb) + ")";
        out += " ";
    }
    return out;
}

}  // namespace

TEST_CASE("as callctl: JoinOptions become the audio <stream> directions and setgain",
          "[as][callctl]") {
    FakeBench b;
    struct Case {
        JoinOptions options;
        std::string join;
        std::string modify;
    };
    const std::vector<Case> cases = {
        {{false, false, 0.0}, "sendrecv ", "sendonly(0) recvonly "},
        {{true, false, 0.0}, "recvonly ", "recvonly "},
        {{false, true, 0.0}, "sendonly ", "sendonly(0) "},
        {{true, true, 0.0}, "inactive ", "inactive "},
        {{false, false, 4.5}, "sendonly(+4.5) recvonly ", "sendonly(+4.5) recvonly "},
        {{false, true, -3.0}, "sendonly(-3) ", "sendonly(-3) "},
        {{true, false, -3.0}, "recvonly ", "recvonly "},
    };
    for (const auto& c : cases) {
        std::optional<Status> joined, modified;
        b.control->join("a:b", "conf1", c.options, [&](Status s) { joined = s; });
        REQUIRE(b.run([&] { return joined.has_value(); }));
        CHECK(joined->ok());
        auto streams = b.lastStreams();
        CHECK(describe(streams) == c.join);
        for (const auto& s : streams) CHECK(s.media == "audio");
        auto m = mixer::parse(b.requests.back().body);
        REQUIRE(std::holds_alternative<mixer::Join>(*m));
        CHECK(std::get<mixer::Join>(*m).id1 == "a:b");
        CHECK(std::get<mixer::Join>(*m).id2 == "conf1");

        b.control->modifyJoin("a:b", "conf1", c.options, [&](Status s) { modified = s; });
        REQUIRE(b.run([&] { return modified.has_value(); }));
        CHECK(modified->ok());
        CHECK(describe(b.lastStreams()) == c.modify);
    }
}

TEST_CASE("as callctl: createconference carries reservations and the talkers subscription",
          "[as][callctl]") {
    FakeBench b;
    ConferenceOptions o;
    o.reservedTalkers = 5;
    o.reservedListeners = 20;
    o.activeTalkersInterval = 1500ms;
    std::optional<Result<std::string>> created;
    b.control->createConference(o, {}, [&](Result<std::string> r) { created = std::move(r); });
    REQUIRE(b.run([&] { return created.has_value(); }));
    REQUIRE(created->ok());
    CHECK(created->value() == "conf1");
    auto m = mixer::parse(b.requests.back().body);
    REQUIRE(m);
    const auto& cc = std::get<mixer::CreateConference>(*m);
    CHECK_FALSE(cc.conferenceId);
    CHECK(cc.reservedTalkers == 5);
    CHECK(cc.reservedListeners == 20);
    REQUIRE(cc.settings.subscribe);
    REQUIRE(cc.settings.subscribe->activeTalkers);
    CHECK(cc.settings.subscribe->activeTalkers->interval == std::chrono::seconds(2));

    // Defaults: no reservations, no subscription.
    created.reset();
    b.control->createConference({}, {}, [&](Result<std::string> r) { created = std::move(r); });
    REQUIRE(b.run([&] { return created.has_value(); }));
    auto plain = mixer::parse(b.requests.back().body);
    REQUIRE(plain);
    CHECK(std::get<mixer::CreateConference>(*plain).settings.empty());
    CHECK(std::get<mixer::CreateConference>(*plain).reservedTalkers == 0);

    // An answer without a conferenceid is an error, not an empty id.
    b.answer = [](cfw::Channel& ch, const cfw::IncomingControl& r) {
        respond(ch, r, std::string(mixer::kContentType), mixerBody(mixer::makeResponse(200)));
    };
    created.reset();
    b.control->createConference({}, {}, [&](Result<std::string> r) { created = std::move(r); });
    REQUIRE(b.run([&] { return created.has_value(); }));
    REQUIRE_FALSE(created->ok());
    CHECK(created->error().code == 500);
}

TEST_CASE("as callctl: the dialog's IVR document: prompt items, collect, record, target",
          "[as][callctl]") {
    FakeBench b;
    DialogSpec spec;
    spec.bargeIn = false;
    spec.repeatCount = 0;
    PromptItem media;
    media.value = "file:///p/enter-pin.wav";
    PromptItem date;
    date.kind = PromptItem::Kind::Variable;
    date.value = "20261121";
    date.type = "date";
    date.format = "mdy";
    PromptItem digits;
    digits.kind = PromptItem::Kind::Dtmf;
    digits.value = "12#";
    spec.prompt = {media, date, digits};
    spec.collect = CollectSpec{};
    spec.collect->maxDigits = 6;
    spec.collect->termChar = "*";
    spec.collect->timeout = 7000ms;
    spec.collect->interDigitTimeout = 3000ms;
    spec.collect->clearDigitBuffer = false;
    std::optional<Result<std::string>> started;
    b.control->startDialog(
        "conf9", true, spec, [&](Result<std::string> r) { started = std::move(r); },
        [](const DialogResult&) {});
    REQUIRE(b.run([&] { return started.has_value(); }));
    REQUIRE(started->ok());
    auto m = ivr::parse(b.requests.back().body);
    REQUIRE(m);
    const auto& ds = std::get<ivr::DialogStart>(*m);
    CHECK(ds.dialogId == started->value());
    CHECK(ds.conferenceId == std::optional<std::string>("conf9"));
    CHECK_FALSE(ds.connectionId);
    REQUIRE(ds.dialog);
    CHECK(ds.dialog->repeatCount == 0);
    REQUIRE(ds.dialog->prompt);
    CHECK_FALSE(ds.dialog->prompt->bargein);
    REQUIRE(ds.dialog->prompt->items.size() == 3);
    CHECK(std::get<ivr::Media>(ds.dialog->prompt->items[0]).loc == "file:///p/enter-pin.wav");
    const auto& var = std::get<ivr::Variable>(ds.dialog->prompt->items[1]);
    CHECK(var.type == "date");
    CHECK(var.value == "20261121");
    CHECK(var.format == std::optional<std::string>("mdy"));
    CHECK(std::get<ivr::Dtmf>(ds.dialog->prompt->items[2]).digits == "12#");
    REQUIRE(ds.dialog->collect);
    CHECK(ds.dialog->collect->maxDigits == 6);
    CHECK(ds.dialog->collect->termChar == '*');
    CHECK(ds.dialog->collect->timeout == 7000ms);
    CHECK(ds.dialog->collect->interDigitTimeout == 3000ms);
    CHECK_FALSE(ds.dialog->collect->clearDigitBuffer);
    CHECK_FALSE(ds.dialog->record);

    // A record-only dialog on a connection.
    DialogSpec rec;
    rec.record = RecordSpec{};
    rec.record->maxTime = 30000ms;
    rec.record->finalSilence = 1500ms;
    started.reset();
    b.control->startDialog(
        "x:y", false, rec, [&](Result<std::string> r) { started = std::move(r); },
        [](const DialogResult&) {});
    REQUIRE(b.run([&] { return started.has_value(); }));
    auto r = ivr::parse(b.requests.back().body);
    REQUIRE(r);
    const auto& rs = std::get<ivr::DialogStart>(*r);
    CHECK(rs.connectionId == std::optional<std::string>("x:y"));
    REQUIRE(rs.dialog);
    CHECK_FALSE(rs.dialog->prompt);
    REQUIRE(rs.dialog->record);
    CHECK(rs.dialog->record->maxTime == 30000ms);
    CHECK(rs.dialog->record->finalSilence == 1500ms);
    CHECK(rs.dialog->record->beep);
    CHECK(rs.dialog->record->vadFinal);

    // terminate, immediate or not.
    std::optional<Status> term;
    b.control->terminateDialog("d1", true, [&](Status s) { term = s; });
    REQUIRE(b.run([&] { return term.has_value(); }));
    auto t = ivr::parse(b.requests.back().body);
    REQUIRE(t);
    CHECK(std::get<ivr::DialogTerminate>(*t).dialogId == "d1");
    CHECK(std::get<ivr::DialogTerminate>(*t).immediate);
}

TEST_CASE("as callctl: a dialogexit before the start's answer is delivered after started",
          "[as][callctl]") {
    FakeBench b;
    b.answer = [](cfw::Channel& ch, const cfw::IncomingControl& r) {
        auto m = ivr::parse(r.body);
        REQUIRE(m);
        const std::string id = ivr::dialogIdOf(*m);
        ivr::ExitReport report;
        report.collect = ivr::makeCollectInfo(ivr::CollectTermMode::Match, "42");
        report.record = ivr::makeRecordInfo(
            ivr::RecordTermMode::MaxTime, 1234ms,
            {ivr::MediaInfo{"http://ms/rec/1.wav", "audio/wav", std::nullopt, {}}});
        sendIvrEvent(ch, ivr::makeDialogExit(id, 1, report, "done"));
        respond(ch, r, std::string(ivr::kMimeType), ivrBody(ivr::makeResponse(200, id)));
    };
    std::vector<std::string> order;
    std::optional<DialogResult> result;
    b.control->startDialog(
        "a:b", false, promptSpec(),
        [&](Result<std::string> r) { order.push_back(r ? "started" : "failed"); },
        [&](const DialogResult& r) {
            order.push_back("exited");
            result = r;
        });
    REQUIRE(b.run([&] { return result.has_value(); }));
    runFor(b.loop, 50ms);
    CHECK(order == std::vector<std::string>{"started", "exited"});
    CHECK(result->status == 1);
    CHECK(result->reason == "done");
    CHECK(result->collectTermMode == "match");
    CHECK(result->digits == "42");
    CHECK(result->recordingUri == "http://ms/rec/1.wav");
    CHECK(result->recordDuration == 1234ms);
    CHECK(b.control->dialogCount() == 0);
}

TEST_CASE("as callctl: answers by 202 + REPORT, CFW refusals and unreadable bodies",
          "[as][callctl]") {
    FakeBench b;
    SECTION("202 then REPORT terminate carrying the response") {
        b.answer = [](cfw::Channel& ch, const cfw::IncomingControl& r) {
            REQUIRE(ch.accept(r.transId, 10, Clock::now()));
            REQUIRE(ch.report(r.transId, cfw::ReportStatus::Terminate, Clock::now(),
                              mixer::kContentType,
                              mixerBody(mixer::makeResponse(mixer::status::kConferenceFull))));
        };
        std::optional<Status> joined;
        b.control->join("a:b", "conf1", {}, [&](Status s) { joined = s; });
        REQUIRE(b.run([&] { return joined.has_value(); }));
        REQUIRE_FALSE(joined->ok());
        CHECK(joined->error().code == 410);
        CHECK_FALSE(joined->error().message.empty());
    }
    SECTION("a framework refusal") {
        b.answer = [](cfw::Channel& ch, const cfw::IncomingControl& r) {
            REQUIRE(ch.respond(r.transId, 403, Clock::now()));
        };
        std::optional<Result<std::string>> started;
        std::optional<DialogResult> exited;
        b.control->startDialog(
            "a:b", false, promptSpec(), [&](Result<std::string> r) { started = std::move(r); },
            [&](const DialogResult& r) { exited = r; });
        REQUIRE(b.run([&] { return exited.has_value(); }));
        REQUIRE_FALSE(started->ok());
        CHECK(started->error().code == 403);
        CHECK(exited->status == -1);
    }
    SECTION("a body that is not the package's") {
        b.answer = [](cfw::Channel& ch, const cfw::IncomingControl& r) {
            respond(ch, r, "application/msc-mixer+xml", "<not-xml");
        };
        std::optional<Status> done;
        b.control->unjoin("a:b", "conf1", [&](Status s) { done = s; });
        REQUIRE(b.run([&] { return done.has_value(); }));
        REQUIRE_FALSE(done->ok());
        CHECK(done->error().code == 500);
    }
    SECTION("an empty 200") {
        b.answer = [](cfw::Channel& ch, const cfw::IncomingControl& r) {
            REQUIRE(ch.respond(r.transId, 200, Clock::now()));
        };
        std::optional<Status> done;
        b.control->terminateDialog("d", false, [&](Status s) { done = s; });
        REQUIRE(b.run([&] { return done.has_value(); }));
        REQUIRE_FALSE(done->ok());
        CHECK(done->error().code == 500);
    }
    CHECK(b.control->pendingCount() == 0);
    CHECK(b.client->isUp());
}

TEST_CASE("as callctl: mixer events reach the watcher of their conference, strays are ignored",
          "[as][callctl]") {
    FakeBench b;
    std::vector<std::vector<std::string>> talkers;
    std::vector<std::pair<std::string, int>> unjoins;
    std::vector<std::pair<int, std::string>> exits;
    ConferenceWatcher w;
    w.activeTalkers = [&](const std::vector<std::string>& ids) { talkers.push_back(ids); };
    w.unjoined = [&](const std::string& c, int s) { unjoins.emplace_back(c, s); };
    w.exited = [&](int s, const std::string& r) { exits.emplace_back(s, r); };
    std::optional<Result<std::string>> created;
    b.control->createConference({}, w, [&](Result<std::string> r) { created = std::move(r); });
    REQUIRE(b.run([&] { return created.has_value(); }));
    REQUIRE(created->ok());

    cfw::Channel* ch = b.ms.channel();
    REQUIRE(ch);
    mixer::ActiveTalkersNotify at;
    at.conferenceId = "conf1";
    at.talkers = {{mixer::ActiveTalker::Kind::connection, "a:1"},
                  {mixer::ActiveTalker::Kind::conference, "sub"},
                  {mixer::ActiveTalker::Kind::connection, "b:2"}};
    sendMixerEvent(*ch, at);
    mixer::ActiveTalkersNotify other = at;
    other.conferenceId = "elsewhere";
    sendMixerEvent(*ch, other);
    sendMixerEvent(*ch, mixer::UnjoinNotify{2, std::nullopt, std::nullopt, "a:1", "conf1"});
    sendMixerEvent(*ch, mixer::UnjoinNotify{7, std::nullopt, std::nullopt, "conf1", "b:2"});
    sendMixerEvent(*ch, mixer::UnjoinNotify{0, std::nullopt, std::nullopt, "c:3", "elsewhere"});
    // Not events, or not readable: ignored.
    sendEvent(*ch, mixer::kPackageName, mixer::kContentType, "<garbage");
    sendEvent(*ch, mixer::kPackageName, mixer::kContentType, mixerBody(mixer::makeResponse(200)));
    sendIvrEvent(
        *ch, ivr::makeDtmfNotify("d9", ivr::MatchMode::All, "1", std::chrono::system_clock::now()));
    sendIvrEvent(*ch, ivr::makeDialogExit("unknown-dialog", 1));
    REQUIRE(b.run([&] { return unjoins.size() == 2; }));
    runFor(b.loop, 100ms);
    REQUIRE(talkers.size() == 1);
    CHECK(talkers.front() == std::vector<std::string>{"a:1", "b:2"});
    CHECK(unjoins[0] == std::make_pair(std::string("a:1"), 2));
    CHECK(unjoins[1] == std::make_pair(std::string("b:2"), 1));  // unknown status: error (1)

    mixer::ConferenceExit ce;
    ce.conferenceId = "conf1";
    ce.status = mixer::kExitMaxDuration;
    ce.reason = "too long";
    sendMixerEvent(*ch, ce);
    sendMixerEvent(*ch, ce);  // a repeat finds no watcher
    REQUIRE(b.run([&] { return !exits.empty(); }));
    runFor(b.loop, 100ms);
    REQUIRE(exits.size() == 1);
    CHECK(exits.front() == std::make_pair(2, std::string("too long")));
    CHECK(b.control->conferenceCount() == 0);
    CHECK(b.client->isUp());
}

TEST_CASE("as callctl: a callback that destroys MediaControl while the channel is lost",
          "[as][callctl]") {
    FakeBench b;
    std::optional<Result<std::string>> created;
    int exits = 0;
    ConferenceWatcher w;
    w.exited = [&](int, const std::string&) { ++exits; };
    b.control->createConference({}, w, [&](Result<std::string> r) { created = std::move(r); });
    REQUIRE(b.run([&] { return created.has_value(); }));

    b.answer = nullptr;  // nothing is answered any more
    int calls = 0;
    for (int i = 0; i < 3; ++i) {
        b.control->unjoin("a:b", "conf1", [&](Status s) {
            ++calls;
            CHECK(s.error().code == 503);
            b.control.reset();
        });
    }
    REQUIRE(b.run([&] { return b.requests.size() == 4; }));
    CHECK(b.control->pendingCount() == 3);
    b.ms.dropAll();
    REQUIRE(b.run([&] { return !b.client->isUp(); }));
    runFor(b.loop, 100ms);
    CHECK(calls == 1);
    CHECK(exits == 0);
    CHECK_FALSE(b.control);
}

TEST_CASE("as callctl: a new channel after a loss serves new requests", "[as][callctl]") {
    FakeBench b;
    int exited = 0;
    std::optional<Result<std::string>> started;
    b.control->startDialog(
        "a:b", false, promptSpec(), [&](Result<std::string> r) { started = std::move(r); },
        [&](const DialogResult& r) {
            ++exited;
            CHECK(r.status == -1);
        });
    REQUIRE(b.run([&] { return started.has_value(); }));
    REQUIRE(started->ok());
    b.ms.dropAll();
    REQUIRE(b.run([&] { return exited == 1; }));
    REQUIRE(b.run([&] { return b.client->isUp(); }));
    std::optional<Status> joined;
    b.control->join("a:b", "conf1", {}, [&](Status s) { joined = s; });
    REQUIRE(b.run([&] { return joined.has_value(); }));
    CHECK(joined->ok());
    CHECK(exited == 1);
}

}  // namespace parley::as

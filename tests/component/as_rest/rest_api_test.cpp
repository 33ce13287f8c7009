// The REST API of parley-as through a real HTTP client against real parley-as and parley-ms
// processes: every route, every error status, and a sipp caller muted and kicked over HTTP.

#include <catch2/catch.hpp>

#include <thread>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tests/component/as_rest/rest_fixture.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::rest {
namespace {

using focus::room;
using focus::roomsJson;

// Polls the participants of `room` until one is joined; its id, "" at the deadline.
std::string waitJoined(RestSystem& fx, const std::string& roomName, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = call(fx.httpPort(), "GET", "/v1/conferences/" + roomName + "/participants");
        if (r.status == 200) {
            auto list = json(r)->getArray("participants");
            for (std::size_t i = 0; i < list->size(); ++i) {
                auto p = list->getObject(static_cast<unsigned>(i));
                if (p->getValue<std::string>("state") == "joined") return p->getValue<std::string>("id");
            }
        }
        std::this_thread::sleep_for(200ms);  // polling another process's state
    }
    return "";
}

}  // namespace

TEST_CASE("REST auth: no token, wrong token and a good one", "[rest]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(roomsJson({room("r1")}));
    for (const char* path : {"/v1/conferences", "/v1/conferences/r1", "/v1/media-servers",
                             "/v1/conferences/r1/participants", "/v1/recordings/x"}) {
        INFO(path);
        auto none = call(fx.httpPort(), "GET", path, "", "");
        CHECK(none.status == 401);
        CHECK(errorCode(none) == "unauthorized");
        CHECK(none.header("www-authenticate").rfind("Bearer", 0) == 0);
        auto wrong = call(fx.httpPort(), "GET", path, "", std::string(kToken) + "x");
        CHECK(wrong.status == 401);
        auto shorter = call(fx.httpPort(), "GET", path, "", "test");
        CHECK(shorter.status == 401);
    }
    auto basic = call(fx.httpPort(), "GET", "/v1/conferences", "", "",
                      {{"Authorization", std::string("Basic ") + kToken}});
    CHECK(basic.status == 401);
    CHECK(call(fx.httpPort(), "GET", "/v1/conferences").status == 200);
    // Unauthenticated writes change nothing.
    CHECK(call(fx.httpPort(), "DELETE", "/v1/conferences/r1", "", "").status == 401);
    CHECK(call(fx.httpPort(), "GET", "/v1/conferences/r1").status == 200);
}

TEST_CASE("REST conferences: create, get, list, update, end and their errors", "[rest]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(roomsJson({room("r1")}));
    const auto port = fx.httpPort();

    auto created = call(port, "POST", "/v1/conferences",
                        R"({"name":"standup","pin":"1234","maxParticipants":10,"muteOnJoin":true,)"
                        R"("eventsUrl":"http://127.0.0.1:9/events","recordFromStart":false})");
    INFO(created.body << "\n" << fx.logs());
    REQUIRE(created.status == 201);
    CHECK(created.header("location") == "/v1/conferences/standup");
    auto c = json(created);
    CHECK(c->getValue<std::string>("name") == "standup");
    CHECK(c->getValue<bool>("hasPin"));
    CHECK(c->getValue<bool>("muteOnJoin"));
    CHECK_FALSE(c->getValue<bool>("active"));
    CHECK(c->getValue<int>("maxParticipants") == 10);
    CHECK(c->getValue<std::string>("uri").find("sip:standup@127.0.0.1:") == 0);

    auto generated = call(port, "POST", "/v1/conferences", "");
    REQUIRE(generated.status == 201);
    CHECK(!parley::test::reMatch(json(generated)->getValue<std::string>("name"), "conf-[0-9a-f]{10}").empty());

    SECTION("409 on an existing name") {
        auto again = call(port, "POST", "/v1/conferences", R"({"name":"standup"})");
        CHECK(again.status == 409);
        CHECK(errorCode(again) == "conflict");
    }
    SECTION("400 names the bad field") {
        struct Bad {
            const char* body;
            const char* field;
        };
        for (const Bad& b : {Bad{R"({"pin":"12ab"})", "pin"}, Bad{R"({"pin":1234})", "pin"},
                             Bad{R"({"maxParticipants":-1})", "maxParticipants"},
                             Bad{R"({"maxParticipants":1.5})", "maxParticipants"},
                             Bad{R"({"locked":"yes"})", "locked"}, Bad{R"({"name":"a b"})", "name"},
                             Bad{R"({"eventsUrl":"ftp://x"})", "eventsUrl"},
                             Bad{R"({"allow":["ok",3]})", "allow[1]"}, Bad{R"({"colour":"red"})", "colour"},
                             Bad{R"([1,2])", "body"}, Bad{R"({"name":)", "body"}}) {
            INFO(b.body);
            auto r = call(port, "POST", "/v1/conferences", b.body);
            CHECK(r.status == 400);
            CHECK(errorCode(r) == "bad_request");
            CHECK(errorMessage(r).rfind(std::string(b.field) + ":", 0) == 0);
        }
    }
    SECTION("get and 404") {
        auto got = call(port, "GET", "/v1/conferences/standup");
        REQUIRE(got.status == 200);
        CHECK(json(got)->getValue<int>("participants") == 0);
        CHECK(call(port, "GET", "/v1/conferences/nosuch").status == 404);
        CHECK(errorCode(call(port, "GET", "/v1/conferences/nosuch")) == "not_found");
        CHECK(call(port, "GET", "/v1/conferences/bad%20name").status == 404);
    }
    SECTION("list: filters and paging") {
        for (const char* n : {"team-a", "team-b", "team-c"})
            REQUIRE(call(port, "POST", "/v1/conferences", std::string(R"({"name":")") + n + R"(","locked":true})")
                        .status == 201);
        auto all = json(call(port, "GET", "/v1/conferences"));
        CHECK(all->getValue<int>("total") == 6);  // r1, standup, generated, 3 teams
        auto page = json(call(port, "GET", "/v1/conferences?namePrefix=team-&offset=1&limit=1"));
        CHECK(page->getValue<int>("total") == 3);
        REQUIRE(page->getArray("conferences")->size() == 1);
        CHECK(page->getArray("conferences")->getObject(0)->getValue<std::string>("name") == "team-b");
        auto locked = json(call(port, "GET", "/v1/conferences?locked=true"));
        CHECK(locked->getValue<int>("total") == 3);
        auto active = json(call(port, "GET", "/v1/conferences?active=true"));
        CHECK(active->getValue<int>("total") == 0);
        auto inactive = json(call(port, "GET", "/v1/conferences?active=false&limit=2"));
        CHECK(inactive->getValue<int>("total") == 6);
        CHECK(inactive->getArray("conferences")->size() == 2);
        CHECK(call(port, "GET", "/v1/conferences?limit=0").status == 400);
        CHECK(errorMessage(call(port, "GET", "/v1/conferences?limit=5000")).rfind("limit:", 0) == 0);
        CHECK(errorMessage(call(port, "GET", "/v1/conferences?locked=maybe")).rfind("locked:", 0) == 0);
        CHECK(errorMessage(call(port, "GET", "/v1/conferences?offset=-1")).rfind("offset:", 0) == 0);
    }
    SECTION("update") {
        auto patched = call(port, "PATCH", "/v1/conferences/standup", R"({"locked":true,"pin":""})");
        REQUIRE(patched.status == 200);
        CHECK(json(patched)->getValue<bool>("locked"));
        CHECK_FALSE(json(patched)->getValue<bool>("hasPin"));
        CHECK(json(patched)->getValue<bool>("muteOnJoin"));  // untouched
        CHECK(call(port, "PATCH", "/v1/conferences/standup", R"({"name":"other"})").status == 400);
        CHECK(errorMessage(call(port, "PATCH", "/v1/conferences/standup", R"({"moderatorPin":"x"})"))
                  .rfind("moderatorPin:", 0) == 0);
        CHECK(call(port, "PATCH", "/v1/conferences/nosuch", R"({"locked":true})").status == 404);
        CHECK(call(port, "PATCH", "/v1/conferences/standup", "").status == 400);
    }
    SECTION("end: keep=true keeps the room, plain DELETE removes it") {
        CHECK(call(port, "DELETE", "/v1/conferences/standup?keep=true").status == 204);
        CHECK(call(port, "GET", "/v1/conferences/standup").status == 200);
        CHECK(call(port, "DELETE", "/v1/conferences/standup?keep=perhaps").status == 400);
        CHECK(call(port, "DELETE", "/v1/conferences/standup").status == 204);
        CHECK(call(port, "GET", "/v1/conferences/standup").status == 404);
        CHECK(call(port, "DELETE", "/v1/conferences/standup").status == 404);
    }
    SECTION("405 and 404 from the router") {
        CHECK(call(port, "PUT", "/v1/conferences/standup", "{}").status == 405);
        CHECK(call(port, "DELETE", "/v1/conferences").status == 405);
        CHECK(call(port, "GET", "/v1/nothing-here").status == 404);
    }
    SECTION("413 for a body over the limit") {
        std::string big = R"({"displayName":")" + std::string(1100 * 1024, 'x') + R"("})";
        auto r = call(port, "POST", "/v1/conferences", big);
        CHECK((r.status == 413 || r.status == 0));  // the server may close before reading it all
        CHECK(call(port, "GET", "/v1/conferences").status == 200);
    }
    CHECK(fx.asAlive());
}

TEST_CASE("REST participants and media: a sipp caller listed, muted, announced to, recorded and kicked",
          "[rest]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    RestSystem fx(roomsJson({room("r1"), room("r2")}));
    const auto port = fx.httpPort();

    // Routes on a room without anyone in it.
    CHECK(call(port, "GET", "/v1/conferences/nosuch/participants").status == 404);
    CHECK(call(port, "GET", "/v1/conferences/r1/participants/p999").status == 404);
    CHECK(call(port, "PATCH", "/v1/conferences/r1/participants/p999", R"({"muted":true})").status == 404);
    CHECK(call(port, "DELETE", "/v1/conferences/r1/participants/p999").status == 404);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/participants", R"({"callerId":"x"})")).rfind("uri:", 0) ==
          0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/participants", R"({"uri":"http://x"})")).rfind("uri:", 0) ==
          0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/participants", R"({"uri":"sip:a@b","timeout":0})"))
              .rfind("timeout:", 0) == 0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/participants", R"({"uri":"sip:a@b","role":"boss"})"))
              .rfind("role:", 0) == 0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/announcements", R"({"loop":2})")).rfind("body:", 0) == 0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/announcements", R"({"play":"gopher://x"})"))
              .rfind("play:", 0) == 0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/announcements",
                            R"({"say":{"type":"date","value":"2024"}})"))
              .rfind("say.value:", 0) == 0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/announcements",
                            R"({"say":{"type":"money","value":"1"}})"))
              .rfind("say.type:", 0) == 0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/sidebars", R"({"participants":[]})"))
              .rfind("participants:", 0) == 0);
    CHECK(errorMessage(call(port, "POST", "/v1/conferences/r1/participants/p1/move", R"({"to":"r1"})"))
              .rfind("to:", 0) == 0);
    CHECK(call(port, "GET", "/v1/recordings/nosuch").status == 404);
    CHECK(call(port, "GET", "/v1/recordings/nosuch/media").status == 404);
    CHECK(call(port, "GET", "/v1/conferences/nosuch/recordings").status == 404);

    focus::UacOptions o;
    o.room = "r1";
    o.expectByeFromAs = true;  // after the ACK sipp waits for the focus's BYE (the kick)
    o.timeoutSeconds = 90;
    auto caller = focus::startUacAt(fx.dir(), "caller", o, fx.sipPort());
    INFO(caller.describe() << "\n" << fx.logs());
    REQUIRE(caller.waitAnswered(20s));
    const std::string id = waitJoined(fx, "r1", 20s);
    REQUIRE_FALSE(id.empty());

    auto conf = json(call(port, "GET", "/v1/conferences/r1"));
    CHECK(conf->getValue<bool>("active"));
    CHECK(conf->getValue<int>("participants") == 1);
    CHECK(json(call(port, "GET", "/v1/conferences?active=true"))->getValue<int>("total") == 1);

    auto one = call(port, "GET", "/v1/conferences/r1/participants/" + id);
    REQUIRE(one.status == 200);
    CHECK(json(one)->getValue<std::string>("direction") == "inbound");
    CHECK_FALSE(json(one)->getValue<bool>("muted"));
    CHECK_FALSE(json(one)->getValue<std::string>("callId").empty());

    auto muted = call(port, "PATCH", "/v1/conferences/r1/participants/" + id, R"({"muted":true,"volumeDb":-6})");
    REQUIRE(muted.status == 200);
    CHECK(json(muted)->getValue<bool>("muted"));
    CHECK(json(call(port, "GET", "/v1/conferences/r1/participants/" + id))->getValue<bool>("muted"));
    CHECK(errorMessage(call(port, "PATCH", "/v1/conferences/r1/participants/" + id, R"({"volumeDb":99})"))
              .rfind("volumeDb:", 0) == 0);
    CHECK(errorMessage(call(port, "PATCH", "/v1/conferences/r1/participants/" + id, R"({})")).rfind("body:", 0) == 0);

    const std::string prompt = "file://" + (fx.dir() / "media" / "prompts" / "en-US" / "joined.wav").string();
    CHECK(call(port, "POST", "/v1/conferences/r1/announcements", R"({"play":")" + prompt + R"(","loop":1})").status ==
          202);
    auto said = call(port, "POST", "/v1/conferences/r1/participants/" + id + "/announcements",
                     R"({"say":{"type":"digits","value":"42"}})");
    INFO(said.body);
    CHECK(said.status == 202);

    auto rec = call(port, "POST", "/v1/conferences/r1/recordings");
    INFO(rec.body);
    CHECK(rec.status == 201);
    if (rec.status == 201) {  // the routes after this one do not depend on the recording
        const std::string recId = json(rec)->getValue<std::string>("id");
        CHECK(rec.header("location") == "/v1/recordings/" + recId);
        auto recs = json(call(port, "GET", "/v1/conferences/r1/recordings"));
        CHECK(recs->getValue<int>("total") >= 1);
        std::this_thread::sleep_for(1s);  // a second of audio in the recording
        CHECK(call(port, "DELETE", "/v1/conferences/r1/recordings/" + recId).status == 204);
        // The recording becomes ready when the MS reports it; then its media is a redirect.
        HttpReply media;
        for (int i = 0; i < 50; ++i) {
            media = call(port, "GET", "/v1/recordings/" + recId + "/media");
            if (media.status == 307) break;
            std::this_thread::sleep_for(200ms);  // polling the MS's report
        }
        CHECK(media.status == 307);
        CHECK(media.header("location").find(":" + std::to_string(fx.msHttpPort()) + "/recordings/") !=
              std::string::npos);
        CHECK(json(call(port, "GET", "/v1/recordings/" + recId))->getValue<std::string>("state") == "ready");
    }

    auto side = call(port, "POST", "/v1/conferences/r1/sidebars", R"({"participants":[")" + id + R"("]})");
    REQUIRE(side.status == 201);
    const std::string sidebar = json(side)->getValue<std::string>("conference");
    CHECK(call(port, "POST", "/v1/conferences/" + sidebar + "/return").status == 204);
    // Back in the main room (the rejoin may finish after the 204).
    {
        auto back = waitJoined(fx, "r1", 10s);
        INFO(fx.logs(5000));
        CHECK(back == id);
    }

    auto moved = call(port, "POST", "/v1/conferences/r1/participants/" + id + "/move", R"({"to":"r2"})");
    INFO("move: " << moved.body << " participants of r1: " << call(port, "GET", "/v1/conferences/r1/participants").body);
    REQUIRE(moved.status == 200);
    const std::string newId = waitJoined(fx, "r2", 10s);
    REQUIRE_FALSE(newId.empty());

    CHECK(call(port, "DELETE", "/v1/conferences/r2/participants/" + newId).status == 204);
    CHECK(caller.waitReceived("BYE ", "BYE", 10s));
    auto exit = caller.wait(15s);
    CHECK((exit && *exit == 0));
    CHECK(fx.asAlive());
}

TEST_CASE("REST rate limit: 429 with Retry-After, then served again", "[rest]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(roomsJson({room("r1")}), {"--api-token", kToken, "--api-rate", "5"});
    int limited = 0;
    HttpReply last;
    for (int i = 0; i < 30; ++i) {
        auto r = call(fx.httpPort(), "GET", "/v1/conferences");
        if (r.status == 429) {
            ++limited;
            last = r;
        }
    }
    REQUIRE(limited > 0);
    CHECK(errorCode(last) == "rate_limited");
    CHECK(std::stoi(last.header("retry-after")) >= 1);
    std::this_thread::sleep_for(1500ms);  // the bucket refills
    CHECK(call(fx.httpPort(), "GET", "/v1/conferences").status == 200);
}

TEST_CASE("REST without tokens: open on a loopback listener", "[rest]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(roomsJson({room("r1")}), {});
    CHECK(call(fx.httpPort(), "GET", "/v1/conferences", "", "").status == 200);
    CHECK(fx.logs().find("no --api-token") != std::string::npos);
}

}  // namespace parley::test::rest

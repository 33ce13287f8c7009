// /v1/routes and /v1/cdrs through a real HTTP client against real parley-as and parley-ms
// processes: every route and error status, a route PUT over REST taking the next sipp call
// (and no longer after its DELETE), and the CDRs of sipp calls into a room. parley-as must
// then stop cleanly (built with sanitizers, a report or a leak makes its exit status non-zero).

#include <catch2/catch.hpp>

#include <ctime>
#include <thread>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tests/component/as_rest/rest_fixture.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::rest {
namespace {

using focus::room;

// A rooms document with rooms r1 and r2 and one route from the file.
std::string document() {
    return R"({"rooms":[)" + room("r1") + "," + room("r2") +
           R"(],"routes":[{"id":"file-route","match":"support","kind":"room","target":"r1","priority":50}]})";
}

// "YYYY-MM-DDTHH:MM:SSZ" for the system clock now plus `offset` seconds.
std::string utcNow(long offset) {
    std::time_t t = std::time(nullptr) + offset;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<std::string> ids(const Poco::JSON::Array::Ptr& items) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i)
        out.push_back(items->getObject(static_cast<unsigned>(i))->get("id").convert<std::string>());
    return out;
}

// Polls the participants of `roomName` until one is joined.
bool waitJoined(RestSystem& fx, const std::string& roomName, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = call(fx.httpPort(), "GET", "/v1/conferences/" + roomName + "/participants");
        if (r.status == 200 && r.body.find("\"state\":\"joined\"") != std::string::npos)
            return true;
        std::this_thread::sleep_for(200ms);  // polling another process's state
    }
    return false;
}

// Polls GET `path` until its "total" reaches `total`; the last answer.
HttpReply waitTotal(RestSystem& fx, const std::string& path, int total,
                    std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    HttpReply r;
    while (std::chrono::steady_clock::now() < deadline) {
        r = call(fx.httpPort(), "GET", path);
        if (r.status == 200 && json(r)->getValue<int>("total") >= total) return r;
        std::this_thread::sleep_for(200ms);  // polling another process's state
    }
    return r;
}

// One sipp call into `user` at the AS that ends with its own BYE after `holdMs`.
focus::SippPeer callUser(RestSystem& fx, const std::string& name, const std::string& user,
                         int holdMs, int expectStatus = 200) {
    focus::UacOptions o;
    o.room = user;
    o.fromUser = name;
    o.expectStatus = expectStatus;
    o.afterAck = focus::pauseMs(holdMs);
    o.timeoutSeconds = 60;
    return focus::startUacAt(fx.dir(), name, o, fx.sipPort());
}

}  // namespace

TEST_CASE("REST routes: list, get, put, delete and their errors", "[rest][admin]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(document());
    const auto port = fx.httpPort();

    SECTION("401 without a token, on every route") {
        for (const auto& [method, path] :
             std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/routes"},
                                                              {"GET", "/v1/routes/file-route"},
                                                              {"PUT", "/v1/routes/x"},
                                                              {"DELETE", "/v1/routes/file-route"},
                                                              {"GET", "/v1/cdrs"}}) {
            INFO(method << " " << path);
            auto r =
                call(port, method, path,
                     method == "PUT" ? R"({"match":"x","kind":"app","target":"echo"})" : "", "");
            CHECK(r.status == 401);
            CHECK(errorCode(r) == "unauthorized");
            CHECK(r.header("www-authenticate").rfind("Bearer", 0) == 0);
        }
        // Nothing changed.
        CHECK(call(port, "GET", "/v1/routes/file-route").status == 200);
        CHECK(call(port, "GET", "/v1/routes/x").status == 404);
    }

    SECTION("the rooms file's route, then create, replace, order, get and delete") {
        auto first = call(port, "GET", "/v1/routes");
        REQUIRE(first.status == 200);
        CHECK(json(first)->getValue<int>("total") == 1);
        auto fileRoute = json(first)->getArray("items")->getObject(0);
        CHECK(fileRoute->getValue<std::string>("id") == "file-route");
        CHECK(fileRoute->getValue<std::string>("match") == "support");
        CHECK(fileRoute->getValue<std::string>("kind") == "room");
        CHECK(fileRoute->getValue<std::string>("target") == "r1");
        CHECK(fileRoute->getValue<int>("priority") == 50);
        CHECK(fileRoute->getValue<std::string>("eventsUrl").empty());
        CHECK(fileRoute->getValue<std::string>("fallbackPrompt").empty());

        auto created = call(
            port, "PUT", "/v1/routes/hook",
            R"({"match":"sip:hook-*@*","kind":"webhook","target":"http://127.0.0.1:9/call",)"
            R"("eventsUrl":"http://127.0.0.1:9/events","fallbackPrompt":"file:///tmp/sorry.wav"})");
        INFO(created.body);
        REQUIRE(created.status == 201);
        CHECK(created.header("location") == "/v1/routes/hook");
        auto c = json(created);
        CHECK(c->getValue<std::string>("id") == "hook");
        CHECK(c->getValue<std::string>("kind") == "webhook");
        CHECK(c->getValue<int>("priority") == 100);
        CHECK(c->getValue<std::string>("eventsUrl") == "http://127.0.0.1:9/events");
        CHECK(c->getValue<std::string>("fallbackPrompt") == "file:///tmp/sorry.wav");

        // Replaced: 200, no Location, every member from the new body (absent ones reset).
        auto replaced = call(port, "PUT", "/v1/routes/hook",
                             R"({"id":"hook","match":"hook","kind":"app","target":"clock",)"
                             R"("priority":10})");
        REQUIRE(replaced.status == 200);
        CHECK(replaced.header("location").empty());
        auto got = call(port, "GET", "/v1/routes/hook");
        REQUIRE(got.status == 200);
        CHECK(got.body == replaced.body);
        CHECK(json(got)->getValue<std::string>("kind") == "app");
        CHECK(json(got)->getValue<std::string>("target") == "clock");
        CHECK(json(got)->getValue<int>("priority") == 10);
        CHECK(json(got)->getValue<std::string>("eventsUrl").empty());

        // What GET answers can be PUT back unchanged.
        auto back = call(port, "PUT", "/v1/routes/hook", got.body);
        CHECK(back.status == 200);
        CHECK(back.body == got.body);

        // Ordered by priority, then id.
        REQUIRE(call(port, "PUT", "/v1/routes/b-route",
                     R"({"match":"b","kind":"room","target":"r2","priority":50})")
                    .status == 201);
        auto list = json(call(port, "GET", "/v1/routes"));
        CHECK(list->getValue<int>("total") == 3);
        CHECK(ids(list->getArray("items")) ==
              std::vector<std::string>{"hook", "b-route", "file-route"});

        CHECK(call(port, "DELETE", "/v1/routes/hook").status == 204);
        auto gone = call(port, "GET", "/v1/routes/hook");
        CHECK(gone.status == 404);
        CHECK(errorCode(gone) == "not_found");
        CHECK(call(port, "DELETE", "/v1/routes/hook").status == 404);
        CHECK(ids(json(call(port, "GET", "/v1/routes"))->getArray("items")) ==
              std::vector<std::string>{"b-route", "file-route"});
    }

    SECTION("400 names the bad member; 404 for ids that name no route") {
        struct Bad {
            std::string path;
            std::string body;
            const char* field;
        };
        const std::string ok = R"("match":"x","kind":"app","target":"echo")";
        for (const Bad& b :
             {Bad{"/v1/routes/r", R"({"kind":"app","target":"echo"})", "match"},
              Bad{"/v1/routes/r", R"({"match":"x","target":"echo"})", "kind"},
              Bad{"/v1/routes/r", R"({"match":"x","kind":"app"})", "target"},
              Bad{"/v1/routes/r", R"({"match":"x","kind":"robot","target":"echo"})", "kind"},
              Bad{"/v1/routes/r", R"({"match":"a b","kind":"app","target":"echo"})", "match"},
              Bad{"/v1/routes/r", R"({"match":"x","kind":"room","target":"no room"})", "target"},
              Bad{"/v1/routes/r", R"({"match":"x","kind":"webhook","target":"ftp://x"})", "target"},
              Bad{"/v1/routes/r", "{" + ok + R"(,"priority":1000001})", "priority"},
              Bad{"/v1/routes/r", "{" + ok + R"(,"priority":"1"})", "priority"},
              Bad{"/v1/routes/r", "{" + ok + R"(,"eventsUrl":"mailto:x"})", "eventsUrl"},
              Bad{"/v1/routes/r", "{" + ok + R"(,"fallbackPrompt":"sorry"})", "fallbackPrompt"},
              Bad{"/v1/routes/r", "{" + ok + R"(,"id":"other"})", "id"},
              Bad{"/v1/routes/r", "{" + ok + R"(,"colour":"red"})", "colour"},
              Bad{"/v1/routes/Bad_Id", "{" + ok + "}", "id"}, Bad{"/v1/routes/r", "[1,2]", "body"},
              Bad{"/v1/routes/r", R"({"match":)", "body"}, Bad{"/v1/routes/r", "", "body"}}) {
            INFO(b.path << " " << b.body);
            auto r = call(port, "PUT", b.path, b.body);
            CHECK(r.status == 400);
            CHECK(errorCode(r) == "bad_request");
            CHECK(errorMessage(r).rfind(std::string(b.field) + ":", 0) == 0);
        }
        CHECK(call(port, "GET", "/v1/routes/r").status == 404);  // nothing was stored
        CHECK(json(call(port, "GET", "/v1/routes"))->getValue<int>("total") == 1);
        for (const char* path : {"/v1/routes/nosuch", "/v1/routes/Bad_Id", "/v1/routes/a%20b"}) {
            INFO(path);
            CHECK(call(port, "GET", path).status == 404);
            CHECK(call(port, "DELETE", path).status == 404);
        }
    }

    SECTION("405 for the methods these paths do not have") {
        CHECK(call(port, "POST", "/v1/routes", "{}").status == 405);
        CHECK(call(port, "PUT", "/v1/routes", "{}").status == 405);
        CHECK(call(port, "DELETE", "/v1/routes").status == 405);
        CHECK(call(port, "POST", "/v1/routes/file-route", "{}").status == 405);
        CHECK(call(port, "PATCH", "/v1/routes/file-route", "{}").status == 405);
        CHECK(call(port, "POST", "/v1/cdrs", "{}").status == 405);
        CHECK(call(port, "DELETE", "/v1/cdrs").status == 405);
        CHECK(errorCode(call(port, "DELETE", "/v1/cdrs")) == "method_not_allowed");
    }

    SECTION("CDRs: an empty list and the 400s of the query") {
        auto empty = call(port, "GET", "/v1/cdrs");
        REQUIRE(empty.status == 200);
        CHECK(json(empty)->getValue<int>("total") == 0);
        CHECK(json(empty)->getValue<int>("limit") == 50);
        CHECK(json(empty)->getArray("items")->size() == 0);
        CHECK(call(port, "GET", "/v1/cdrs?limit=500&offset=0&room=r1").status == 200);
        CHECK(call(port, "GET",
                   "/v1/cdrs?since=2026-05-01T10:00:00.5%2B02:00&until=2026-05-01T10:00:00Z")
                  .status == 200);
        struct Bad {
            const char* query;
            const char* field;
        };
        for (const Bad& b :
             {Bad{"since=yesterday", "since"}, Bad{"since=1714557600", "since"},
              Bad{"until=2026-13-01T00:00:00Z", "until"}, Bad{"until=2026-05-01", "until"},
              Bad{"since=2026-05-02T00:00:00Z&until=2026-05-01T00:00:00Z", "until"},
              Bad{"limit=0", "limit"}, Bad{"limit=501", "limit"}, Bad{"limit=ten", "limit"},
              Bad{"offset=-1", "offset"}, Bad{"room=a%20b", "room"}, Bad{"room=", "room"}}) {
            INFO(b.query);
            auto r = call(port, "GET", std::string("/v1/cdrs?") + b.query);
            CHECK(r.status == 400);
            CHECK(errorCode(r) == "bad_request");
            CHECK(errorMessage(r).rfind(std::string(b.field) + ":", 0) == 0);
        }
    }
    CHECK(fx.asAlive());
    // A clean exit: no sanitizer report, nothing leaked.
    CHECK(fx.stopAs() == 0);
}

TEST_CASE("REST routes: a route PUT over REST takes the next call, and not after its DELETE",
          "[rest][admin][sipp]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    RestSystem fx(document());
    const auto port = fx.httpPort();

    // Before: no route and no room of that name.
    {
        auto before = callUser(fx, "before", "echo-rest", 0, 404);
        auto exit = before.wait(30s);
        INFO(before.describe() << "\n" << fx.logs());
        CHECK((exit && *exit == 0));
    }

    auto put = call(port, "PUT", "/v1/routes/echo-rest",
                    R"({"match":"echo-rest","kind":"app","target":"echo"})");
    INFO(put.body);
    REQUIRE(put.status == 201);
    {
        auto routed = callUser(fx, "routed", "echo-rest", 1000);
        bool answered = routed.waitAnswered(20s);
        auto exit = routed.wait(30s);
        INFO(routed.describe() << "\n" << fx.logs());
        CHECK(answered);
        CHECK((exit && *exit == 0));
    }

    REQUIRE(call(port, "DELETE", "/v1/routes/echo-rest").status == 204);
    {
        auto after = callUser(fx, "after", "echo-rest", 0, 404);
        auto exit = after.wait(30s);
        INFO(after.describe() << "\n" << fx.logs());
        CHECK((exit && *exit == 0));
        CHECK_FALSE(after.received("SIP/2.0 200", "1 INVITE"));
    }
    CHECK(fx.asAlive());
    // A clean exit: no sanitizer report, nothing leaked.
    CHECK(fx.stopAs() == 0);
}

TEST_CASE("REST cdrs: sipp calls into a room leave their records, newest first",
          "[rest][admin][sipp]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    RestSystem fx(document());
    const auto port = fx.httpPort();
    const std::string before = utcNow(-2);

    for (const char* name : {"first", "second"}) {
        auto caller = callUser(fx, name, "r1", 3000);
        INFO(caller.describe() << "\n" << fx.logs());
        REQUIRE(caller.waitAnswered(20s));
        CHECK(waitJoined(fx, "r1", 10s));
        auto exit = caller.wait(30s);
        CHECK((exit && *exit == 0));
        // The record is written when the call has ended.
        waitTotal(fx, "/v1/cdrs?room=r1", name == std::string("first") ? 1 : 2, 10s);
    }

    auto all = call(port, "GET", "/v1/cdrs?room=r1");
    INFO(all.body << "\n" << fx.logs());
    REQUIRE(all.status == 200);
    REQUIRE(json(all)->getValue<int>("total") == 2);
    auto items = json(all)->getArray("items");
    REQUIRE(items->size() == 2);
    for (unsigned i = 0; i < 2; ++i) {
        auto c = items->getObject(i);
        INFO(i);
        CHECK(c->getValue<Poco::Int64>("id") > 0);
        CHECK(c->getValue<std::string>("room") == "r1");
        CHECK(c->getValue<std::string>("direction") == "inbound");
        CHECK_FALSE(c->getValue<std::string>("callId").empty());
        CHECK_FALSE(c->getValue<std::string>("participant").empty());
        CHECK(c->getValue<std::string>("from").find("sip:") == 0);
        CHECK(c->getValue<std::string>("to").find("sip:r1@") == 0);
        CHECK_FALSE(c->getValue<std::string>("endReason").empty());
        REQUIRE_FALSE(c->isNull("joinedAt"));
        const auto started = c->getValue<std::string>("startedAt");
        const auto joined = c->getValue<std::string>("joinedAt");
        const auto ended = c->getValue<std::string>("endedAt");
        // RFC 3339 UTC of one width: compared as text, they compare as times.
        CHECK(started.size() == 24);
        CHECK(started.back() == 'Z');
        CHECK(started >= before);
        CHECK(started <= joined);
        CHECK(joined < ended);
    }
    // Newest first.
    CHECK(items->getObject(0)->getValue<std::string>("startedAt") >=
          items->getObject(1)->getValue<std::string>("endedAt"));
    CHECK(items->getObject(0)->getValue<std::string>("from").find("second") != std::string::npos);

    // Paging.
    auto page = json(call(port, "GET", "/v1/cdrs?room=r1&offset=1&limit=1"));
    CHECK(page->getValue<int>("total") == 2);
    REQUIRE(page->getArray("items")->size() == 1);
    CHECK(page->getArray("items")->getObject(0)->getValue<Poco::Int64>("id") ==
          items->getObject(1)->getValue<Poco::Int64>("id"));

    // Filters: the time window [since, until) and the room.
    const std::string later = utcNow(3600);
    CHECK(json(call(port, "GET", "/v1/cdrs?since=" + before + "&until=" + later))
              ->getValue<int>("total") == 2);
    CHECK(json(call(port, "GET", "/v1/cdrs?since=" + later))->getValue<int>("total") == 0);
    CHECK(json(call(port, "GET", "/v1/cdrs?until=" + before))->getValue<int>("total") == 0);
    const std::string secondStart = items->getObject(0)->getValue<std::string>("startedAt");
    auto since = json(call(port, "GET", "/v1/cdrs?since=" + secondStart));
    CHECK(since->getValue<int>("total") == 1);
    auto until = json(call(port, "GET", "/v1/cdrs?until=" + secondStart));
    CHECK(until->getValue<int>("total") == 1);
    CHECK(json(call(port, "GET", "/v1/cdrs?room=r2"))->getValue<int>("total") == 0);
    CHECK(json(call(port, "GET", "/v1/cdrs"))->getValue<int>("total") == 2);
    CHECK(fx.asAlive());
    // A clean exit: no sanitizer report, nothing leaked.
    CHECK(fx.stopAs() == 0);
}

}  // namespace parley::test::rest

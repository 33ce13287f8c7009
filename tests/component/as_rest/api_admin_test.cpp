// The JSON edge of /v1/routes and /v1/cdrs (as/rest/api_admin.hpp): RFC 3339 times, route
// bodies into checked routes, routes and CDRs into JSON.

#include <catch2/catch.hpp>

#include <sstream>

#include <Poco/JSON/Parser.h>

#include "as/rest/api_admin.hpp"

namespace parley::as::api {
namespace {

using namespace std::chrono;

system_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s, long micros = 0) {
    return time_point_cast<system_clock::duration>(sys_days(year{y} / month{mo} / day{d}) +
                                                   hours(h) + minutes(mi) + seconds(s) +
                                                   microseconds(micros));
}

JsonObject object(const std::string& text) {
    auto parsed = parseObject(text);
    REQUIRE(parsed);
    return *parsed;
}

std::string errorOf(const std::string& body, const std::string& pathId = "r1") {
    auto route = routeFromJson(object(body), pathId);
    if (route) return "";
    CHECK(route.error().code == 400);
    return route.error().message;
}

}  // namespace

TEST_CASE("admin api: RFC 3339 times", "[rest][admin]") {
    CHECK(parseRfc3339("2026-05-01T10:00:00Z") == at(2026, 5, 1, 10, 0, 0));
    CHECK(parseRfc3339("2026-05-01t10:00:00z") == at(2026, 5, 1, 10, 0, 0));
    CHECK(parseRfc3339("2026-05-01T12:30:00+02:30") == at(2026, 5, 1, 10, 0, 0));
    CHECK(parseRfc3339("2026-05-01T07:00:00-03:00") == at(2026, 5, 1, 10, 0, 0));
    CHECK(parseRfc3339("2026-05-01T10:00:00.5Z") == at(2026, 5, 1, 10, 0, 0, 500000));
    CHECK(parseRfc3339("2026-05-01T10:00:00.123456789Z") == at(2026, 5, 1, 10, 0, 0, 123456));
    CHECK(parseRfc3339("2024-02-29T00:00:00Z") == at(2024, 2, 29, 0, 0, 0));
    CHECK(parseRfc3339("1970-01-01T00:00:00Z") == system_clock::time_point{});
    CHECK(parseRfc3339("2016-12-31T23:59:60Z") == at(2017, 1, 1, 0, 0, 0));  // a leap second
    for (const char* bad : {"",
                            "yesterday",
                            "1714557600",
                            "2026-05-01",
                            "2026-05-01T10:00:00",
                            "2026-05-01 10:00:00Z",
                            "2026-05-01T10:00Z",
                            "2026-5-01T10:00:00Z",
                            "2026-05-01T10:00:00.Z",
                            "2026-05-01T10:00:00.1234567890Z",
                            "2026-13-01T10:00:00Z",
                            "2026-00-01T10:00:00Z",
                            "2025-02-29T10:00:00Z",
                            "2026-04-31T10:00:00Z",
                            "2026-05-01T24:00:00Z",
                            "2026-05-01T10:60:00Z",
                            "2026-05-01T10:00:61Z",
                            "2026-05-01T10:00:00+24:00",
                            "2026-05-01T10:00:00+02",
                            "2026-05-01T10:00:00+0200",
                            "2026-05-01T10:00:00 02:00",
                            "2026-05-01T10:00:00Zjunk",
                            "1899-12-31T23:59:59Z",
                            "2200-01-01T00:00:00Z",
                            "9999-12-31T23:59:59Z",
                            "2026-05-01T10:00:00\xff",
                            "-026-05-01T10:00:00Z"}) {
        INFO(bad);
        CHECK_FALSE(parseRfc3339(bad));
    }
}

TEST_CASE("admin api: a route body becomes a checked route", "[rest][admin]") {
    auto full = routeFromJson(
        object(R"({"id":"support","match":"support","kind":"webhook",)"
               R"("target":"https://app.example.com/call","eventsUrl":"http://e.example/ev",)"
               R"("priority":7,"fallbackPrompt":"file:///sorry.wav"})"),
        "support");
    REQUIRE(full);
    CHECK(full->id == "support");
    CHECK(full->match == "support");
    CHECK(full->kind == RouteConfig::Kind::Webhook);
    CHECK(full->target == "https://app.example.com/call");
    CHECK(full->eventsUrl == "http://e.example/ev");
    CHECK(full->priority == 7);
    CHECK(full->fallbackPrompt == "file:///sorry.wav");

    auto minimal =
        routeFromJson(object(R"({"match":"echo-*","kind":"app","target":"echo"})"), "echo");
    REQUIRE(minimal);
    CHECK(minimal->id == "echo");
    CHECK(minimal->priority == 100);
    CHECK(minimal->eventsUrl.empty());
    CHECK(minimal->fallbackPrompt.empty());

    // What routeJson writes reads back as the same route.
    std::ostringstream written;
    routeJson(*full).stringify(written);
    auto again = routeFromJson(object(written.str()), "support");
    REQUIRE(again);
    CHECK(*again == *full);

    struct Bad {
        const char* body;
        const char* field;
    };
    for (const Bad& b :
         {Bad{R"({"kind":"app","target":"echo"})", "match"},
          Bad{R"({"match":"x","target":"echo"})", "kind"},
          Bad{R"({"match":"x","kind":"app"})", "target"},
          Bad{R"({"match":"x","kind":"robot","target":"echo"})", "kind"},
          Bad{R"({"match":"x","kind":1,"target":"echo"})", "kind"},
          Bad{R"({"match":"a b","kind":"app","target":"echo"})", "match"},
          Bad{R"({"match":"x","kind":"app","target":"Echo!"})", "target"},
          Bad{R"({"match":"x","kind":"app","target":"weather"})", "target"},
          Bad{R"({"match":"x","kind":"room","target":"a b"})", "target"},
          Bad{R"({"match":"x","kind":"webhook","target":"ftp://x"})", "target"},
          Bad{R"({"match":"x","kind":"app","target":"echo","priority":1000001})", "priority"},
          Bad{R"({"match":"x","kind":"app","target":"echo","priority":-1})", "priority"},
          Bad{R"({"match":"x","kind":"app","target":"echo","priority":"5"})", "priority"},
          Bad{R"({"match":"x","kind":"app","target":"echo","eventsUrl":"nope"})", "eventsUrl"},
          Bad{R"({"match":"x","kind":"app","target":"echo","fallbackPrompt":"nope"})",
              "fallbackPrompt"},
          Bad{R"({"match":"x","kind":"app","target":"echo","id":"other"})", "id"},
          Bad{R"({"match":"x","kind":"app","target":"echo","colour":"red"})", "colour"}}) {
        INFO(b.body);
        CHECK(errorOf(b.body).rfind(std::string(b.field) + ":", 0) == 0);
    }
    // The id of the path obeys the id rule.
    CHECK(errorOf(R"({"match":"x","kind":"app","target":"echo"})", "Bad_Id").rfind("id:", 0) == 0);
    CHECK(errorOf(R"({"match":"x","kind":"app","target":"echo"})", std::string(65, 'a'))
              .rfind("id:", 0) == 0);
}

TEST_CASE("admin api: a CDR as JSON", "[rest][admin]") {
    CdrRecord c;
    c.id = 42;
    c.callId = "abc@host";
    c.room = "r1";
    c.participant = "p3";
    c.from = "sip:alice@example.com";
    c.to = "sip:r1@127.0.0.1:5060";
    c.direction = "inbound";
    c.endReason = "BYE";
    c.startedAt = at(2026, 5, 1, 10, 0, 0, 250000);
    c.joinedAt = at(2026, 5, 1, 10, 0, 2);
    c.endedAt = at(2026, 5, 1, 10, 5, 0);
    std::ostringstream out;
    cdrJson(c).stringify(out);
    Poco::JSON::Parser parser;
    auto o = parser.parse(out.str()).extract<Poco::JSON::Object::Ptr>();
    CHECK(o->getValue<Poco::Int64>("id") == 42);
    CHECK(o->getValue<std::string>("callId") == "abc@host");
    CHECK(o->getValue<std::string>("room") == "r1");
    CHECK(o->getValue<std::string>("participant") == "p3");
    CHECK(o->getValue<std::string>("from") == "sip:alice@example.com");
    CHECK(o->getValue<std::string>("to") == "sip:r1@127.0.0.1:5060");
    CHECK(o->getValue<std::string>("direction") == "inbound");
    CHECK(o->getValue<std::string>("endReason") == "BYE");
    CHECK(o->getValue<std::string>("startedAt") == "2026-05-01T10:00:00.250Z");
    CHECK(o->getValue<std::string>("joinedAt") == "2026-05-01T10:00:02.000Z");
    CHECK(o->getValue<std::string>("endedAt") == "2026-05-01T10:05:00.000Z");
    CHECK(o->size() == 11);
    // What it writes parses back.
    CHECK(parseRfc3339(o->getValue<std::string>("startedAt")) == c.startedAt);

    c.joinedAt = {};
    std::ostringstream never;
    cdrJson(c).stringify(never);
    Poco::JSON::Parser second;
    CHECK(second.parse(never.str()).extract<Poco::JSON::Object::Ptr>()->isNull("joinedAt"));
}

}  // namespace parley::as::api

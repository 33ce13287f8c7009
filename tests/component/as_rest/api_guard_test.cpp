// Unit tests of the REST API's door (tokens, rate limit) and its JSON edge.

#include <catch2/catch.hpp>

#include "as/rest/api_guard.hpp"
#include "as/rest/api_json.hpp"

namespace parley::as {

namespace {

common::HttpRequest withAuth(const std::string& value, const std::string& remote = "127.0.0.1:4000") {
    common::HttpRequest r;
    r.method = "GET";
    r.path = "/v1/conferences";
    r.remote = remote;
    if (!value.empty()) r.headers["authorization"] = value;
    return r;
}

}  // namespace

TEST_CASE("ApiGuard: bearer tokens", "[rest][unit]") {
    ApiGuard guard({"alpha-token", "beta-token"}, true, 0);
    CHECK_FALSE(guard.admit(withAuth("Bearer alpha-token")));
    CHECK_FALSE(guard.admit(withAuth("bearer beta-token")));
    CHECK_FALSE(guard.admit(withAuth("Bearer  alpha-token ")));
    for (const char* bad : {"", "Bearer", "Bearer ", "Bearer alpha", "Bearer alpha-tokenx", "Basic alpha-token",
                            "alpha-token", "Bearer ALPHA-TOKEN"}) {
        INFO(bad);
        auto refused = guard.admit(withAuth(bad));
        REQUIRE(refused);
        CHECK(refused->status == 401);
        CHECK(refused->body.find("\"unauthorized\"") != std::string::npos);
        bool challenge = false;
        for (const auto& [k, v] : refused->headers) challenge = challenge || (k == "WWW-Authenticate" && v.rfind("Bearer", 0) == 0);
        CHECK(challenge);
    }
}

TEST_CASE("ApiGuard: no tokens is open on loopback only", "[rest][unit]") {
    CHECK_FALSE(ApiGuard({}, true, 0).admit(withAuth("")));
    auto closed = ApiGuard({}, false, 0).admit(withAuth("Bearer anything"));
    REQUIRE(closed);
    CHECK(closed->status == 401);
}

TEST_CASE("ApiGuard: token bucket per client address", "[rest][unit]") {
    ApiGuard guard({}, true, 2.0);  // 2/s, burst 2
    auto t0 = ApiGuard::Clock::now();
    CHECK_FALSE(guard.rateCheck("10.0.0.1", t0));
    CHECK_FALSE(guard.rateCheck("10.0.0.1", t0));
    auto limited = guard.rateCheck("10.0.0.1", t0);
    REQUIRE(limited);
    CHECK(limited->status == 429);
    CHECK(limited->headers.at(0).first == "Retry-After");
    CHECK(limited->headers.at(0).second == "1");
    CHECK_FALSE(guard.rateCheck("10.0.0.2", t0));  // another client has its own bucket
    CHECK_FALSE(guard.rateCheck("10.0.0.1", t0 + std::chrono::milliseconds(500)));
    CHECK(guard.rateCheck("10.0.0.1", t0 + std::chrono::milliseconds(600)));
    // Many clients: the table stays bounded.
    for (int i = 0; i < 25000; ++i) (void)guard.rateCheck("c" + std::to_string(i), t0);
    CHECK(clientHost("127.0.0.1:5060") == "127.0.0.1");
    CHECK(clientHost("[::1]:80") == "::1");
    CHECK(clientHost("::1") == "::1");
}

TEST_CASE("constantTimeEquals", "[rest][unit]") {
    CHECK(constantTimeEquals("abc", "abc"));
    CHECK_FALSE(constantTimeEquals("abc", "abd"));
    CHECK_FALSE(constantTimeEquals("abc", "abcd"));
    CHECK_FALSE(constantTimeEquals("", "a"));
    CHECK(constantTimeEquals("", ""));
}

TEST_CASE("api JSON: room fields name the bad field", "[rest][unit]") {
    auto body = api::parseObject(R"({"name":"r1","pin":"12","maxParticipants":5,"allow":["sip:*@x"]})");
    REQUIRE(body);
    RoomConfig room;
    REQUIRE(api::applyRoomFields(*body, room, true));
    CHECK(room.name == "r1");
    CHECK(room.pin == "12");
    CHECK(room.maxParticipants == 5);
    CHECK(room.allow.size() == 1);
    struct Bad {
        const char* body;
        const char* prefix;
    };
    for (const Bad& b : {Bad{R"({"pin":true})", "pin:"}, Bad{R"({"maxParticipants":"5"})", "maxParticipants:"},
                         Bad{R"({"x":1})", "x:"}, Bad{R"({"deny":[1]})", "deny[0]:"}, Bad{R"({"locked":null,"muteOnJoin":1})", "muteOnJoin:"}}) {
        INFO(b.body);
        auto o = api::parseObject(b.body);
        REQUIRE(o);
        RoomConfig r;
        r.name = "r1";
        auto ok = api::applyRoomFields(*o, r, true);
        REQUIRE_FALSE(ok);
        CHECK(ok.error().code == 400);
        CHECK(ok.error().message.rfind(b.prefix, 0) == 0);
    }
    RoomConfig r;
    r.name = "r1";
    auto rename = api::parseObject(R"({"name":"r2"})");
    CHECK_FALSE(api::applyRoomFields(*rename, r, false));
    CHECK_FALSE(api::parseObject("[]"));
    CHECK_FALSE(api::parseObject(std::string(5000, '[')));
    CHECK_FALSE(api::parseObject(""));
    CHECK(api::parseObject("", true));
}

TEST_CASE("api JSON: errors map to HTTP statuses", "[rest][unit]") {
    CHECK(api::errorResponse(common::Error(404, "x")).status == 404);
    CHECK(api::errorResponse(common::Error(486, "busy")).status == 409);
    CHECK(api::errorResponse(common::Error(480, "x")).status == 409);
    CHECK(api::errorResponse(common::Error(603, "x")).status == 503);
    CHECK(api::errorResponse(common::Error(0, "x")).status == 500);
    CHECK(api::errorResponse(common::Error(400, "pin: bad")).body.find("\"bad_request\"") != std::string::npos);
}

}  // namespace parley::as

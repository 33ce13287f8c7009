// What parley-as keeps across a restart: a room made over REST, the rooms and routes of the
// rooms file, and the CDR of a call routed by number into a room, all read back from the
// SQLite file after parley-as has stopped (what the next parley-as opens at start).

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "as/store/room_store.hpp"
#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

namespace {

int post(std::uint16_t port, const std::string& path, const std::string& body) {
    try {
        Poco::Net::HTTPClientSession s("127.0.0.1", port);
        s.setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.setContentLength(static_cast<std::streamsize>(body.size()));
        s.sendRequest(req) << body;
        Poco::Net::HTTPResponse resp;
        std::string ignored;
        Poco::StreamCopier::copyToString(s.receiveResponse(resp), ignored);
        return resp.getStatus();
    } catch (const std::exception&) {
        return 0;
    }
}

}  // namespace

TEST_CASE("as apps: rooms, routes and CDRs are in the store after parley-as stops", "[e2e][store][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    const std::string json = "{\"rooms\":[" + room("r1") +
                             "],\"routes\":[{\"id\":\"to-r1\",\"match\":\"sales\",\"kind\":\"room\","
                             "\"target\":\"r1\",\"priority\":5}]}";
    FocusSystem fx(json);
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as without the focus flags");

    CHECK(post(fx.asHttpPort(), "/v1/conferences", R"({"name":"made-by-rest","pin":"4321"})") == 201);

    // A call to the number "sales" is routed into r1, joins, and hangs up.
    UacOptions o;
    o.room = "sales";
    o.fromUser = "customer";
    o.afterAck = pauseMs(2000);
    SippPeer caller = startUac(fx, "customer", o);
    auto rc = caller.wait(40s);
    {
        INFO(caller.describe() << "\n" << fx.logs(3000));
        REQUIRE(rc == std::optional<int>(0));
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (fx.asLog().find("leaves room r1") == std::string::npos && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    {
        INFO(fx.logs(3000));
        CHECK(fx.asLog().find("joined room r1") != std::string::npos);
        REQUIRE(fx.stopAs() == 0);
    }

    auto store = as::RoomStore::open("sqlite:" + (fx.dir() / "as.db").string());
    REQUIRE(store);
    auto r1 = (*store)->find("r1");
    REQUIRE(r1);
    CHECK(r1->has_value());
    auto made = (*store)->find("made-by-rest");
    REQUIRE(made);
    REQUIRE(made->has_value());
    CHECK((*made)->pin == "4321");
    auto route = (*store)->findRoute("to-r1");
    REQUIRE(route);
    REQUIRE(route->has_value());
    CHECK((*route)->target == "r1");

    as::CdrQuery q;
    q.room = "r1";
    auto cdrs = (*store)->listCdrs(q);
    REQUIRE(cdrs);
    REQUIRE(cdrs->second == 1);
    const as::CdrRecord& cdr = cdrs->first.front();
    CHECK(cdr.direction == "inbound");
    CHECK(cdr.from.find("customer") != std::string::npos);
    CHECK_FALSE(cdr.callId.empty());
    CHECK(cdr.joinedAt.time_since_epoch().count() != 0);
    CHECK(cdr.startedAt <= cdr.joinedAt);
    CHECK(cdr.joinedAt <= cdr.endedAt);
    CHECK(cdr.endedAt - cdr.joinedAt >= std::chrono::seconds(1));  // the call lasted 2 s
}

}  // namespace parley::test::focus

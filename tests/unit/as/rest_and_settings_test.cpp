// GET /v1/media-servers (JSON, loop hand-off, 503 when the loop is stuck) and the
// parley-as command line.

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <Poco/JSON/Parser.h>

#include "as/as_settings.hpp"
#include "as/rest/media_servers_api.hpp"
#include "as_test_support.hpp"

namespace {

using namespace parley;
using namespace parley::as;
using namespace parley::as::test;

Poco::JSON::Array::Ptr parseArray(const std::string& text) {
    Poco::JSON::Parser p;
    return p.parse(text).extract<Poco::JSON::Array::Ptr>();
}

common::Result<AsSettings> settingsFor(std::vector<const char*> args) {
    args.insert(args.begin(), "parley-as");
    auto c = common::Config::parse("parley-as", "test", asOptionSpecs(), static_cast<int>(args.size()),
                                   args.data());
    if (!c) return c.error();
    return asSettingsFrom(*c);
}

}  // namespace

TEST_CASE("as rest: formatUtc writes ISO-8601 UTC with milliseconds", "[as][rest]") {
    using namespace std::chrono;
    system_clock::time_point t{milliseconds(1700000000123)};
    CHECK(formatUtc(t) == "2023-11-14T22:13:20.123Z");
    CHECK(formatUtc(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("as rest: media server statuses as JSON", "[as][rest]") {
    MediaServerStatus up;
    up.uri = "sip:ms@127.0.0.1:5070";
    up.state = LinkState::Up;
    up.packages = {"msc-ivr/1.0", "msc-mixer/1.0"};
    up.keepAliveSeconds = 100;
    up.lastKeepAlive = std::chrono::system_clock::time_point{std::chrono::seconds(1700000000)};
    up.reconnects = 3;
    up.dialogId = "abc";
    MediaServerStatus down;
    down.uri = "sip:ms2@h\"q";
    down.state = LinkState::Down;
    down.lastError = "INVITE answered 486 Busy Here";
    down.failedAttempts = 7;

    auto arr = parseArray(mediaServersJson({up, down}));
    REQUIRE(arr->size() == 2);
    auto a = arr->getObject(0);
    CHECK(a->getValue<std::string>("uri") == "sip:ms@127.0.0.1:5070");
    CHECK(a->getValue<std::string>("state") == "up");
    CHECK(a->getArray("packages")->size() == 2);
    CHECK(a->getValue<int>("keepAliveSeconds") == 100);
    CHECK(a->getValue<std::string>("lastKeepAlive") == "2023-11-14T22:13:20.000Z");
    CHECK(a->getValue<int>("reconnects") == 3);
    CHECK(a->isNull("lastError"));
    auto b = arr->getObject(1);
    CHECK(b->getValue<std::string>("uri") == "sip:ms2@h\"q");
    CHECK(b->getValue<std::string>("state") == "down");
    CHECK(b->isNull("lastKeepAlive"));
    CHECK(b->getValue<std::string>("lastError") == "INVITE answered 486 Busy Here");
    CHECK(b->getValue<int>("failedAttempts") == 7);
    CHECK(mediaServersJson({}) == "[]");
}

TEST_CASE("as rest: the route reads the registry on the loop thread", "[as][rest]") {
    common::EventLoop loop;
    FakeSignalling sip;
    MediaServerRegistry reg;
    MediaServerClientOptions o;
    o.uri = "sip:ms@127.0.0.1:5999";
    reg.add(std::make_unique<MediaServerClient>(loop, sip, o));
    common::HttpRouter router;
    addMediaServerRoutes(router, loop, reg, std::chrono::milliseconds(300));

    std::atomic<bool> stop{false};
    std::thread t([&] {
        while (!stop) loop.runOnce(std::chrono::milliseconds(10));
    });
    common::HttpRequest req;
    req.method = "GET";
    req.path = "/v1/media-servers";
    auto resp = router.dispatch(req);
    stop = true;
    t.join();
    CHECK(resp.status == 200);
    auto arr = parseArray(resp.body);
    REQUIRE(arr->size() == 1);
    CHECK(arr->getObject(0)->getValue<std::string>("state") == "down");

    common::HttpRequest other;
    other.method = "GET";
    other.path = "/v1/nothing";
    auto nf = router.dispatch(other);
    CHECK(nf.status == 404);
    CHECK(nf.body.find("\"error\"") != std::string::npos);
}

TEST_CASE("as rest: a loop that does not answer gives 503 JSON", "[as][rest]") {
    common::EventLoop loop;  // never run
    MediaServerRegistry reg;
    common::HttpRouter router;
    addMediaServerRoutes(router, loop, reg, std::chrono::milliseconds(50));
    common::HttpRequest req;
    req.method = "GET";
    req.path = "/v1/media-servers";
    auto resp = router.dispatch(req);
    CHECK(resp.status == 503);
    CHECK(resp.body.find("loop_busy") != std::string::npos);
    loop.dispatch();  // the late task runs harmlessly
}

TEST_CASE("as settings: defaults and a full command line", "[as][settings]") {
    auto d = settingsFor({});
    REQUIRE(d.ok());
    CHECK(d->sipListen == "127.0.0.1:5060");
    CHECK(d->httpListen.toString() == "127.0.0.1:8080");
    CHECK(d->mediaServers.empty());
    CHECK(d->cfwKeepAlive == 100);

    auto s = settingsFor({"--sip-listen", "127.0.0.1:0", "--ms", "sip:ms@127.0.0.1:5070", "--ms",
                          "sip:ms2@127.0.0.1:5072", "--http-listen=127.0.0.1:0", "--db",
                          "postgresql://parley@db/parley", "--cfw-keepalive", "2", "--log-level", "debug"});
    REQUIRE(s.ok());
    CHECK(s->mediaServers.size() == 2);
    CHECK(s->httpListen.port() == 0);
    CHECK(s->cfwKeepAlive == 2);
    CHECK(s->db == "postgresql://parley@db/parley");
    CHECK(s->logLevel == common::LogLevel::Debug);
}

TEST_CASE("as settings: bad values are refused with a message", "[as][settings]") {
    struct Bad {
        std::vector<const char*> args;
        const char* says;
    };
    std::vector<Bad> cases = {
        {{"--cfw-keepalive", "0"}, "cfw-keepalive"},
        {{"--cfw-keepalive", "601"}, "cfw-keepalive"},
        {{"--cfw-keepalive", "ten"}, "whole number"},
        {{"--ms", "http://ms"}, "sip:"},
        {{"--ms", "sip:"}, "no host"},
        {{"--ms", "sip:a@h", "--ms", "sip:a@h"}, "twice"},
        {{"--db", "mysql://x"}, "--db"},
        {{"--db", "sqlite:"}, "path"},
        {{"--sip-listen", "127.0.0.1:99999"}, "sip-listen"},
        {{"--http-listen", "nonsense:port"}, "http-listen"},
        {{"--log-level", "loud"}, "log-level"},
        {{"--no-such-flag"}, "unknown option"},
        {{"--ms"}, "value"},
    };
    for (const auto& c : cases) {
        auto r = settingsFor(c.args);
        INFO(c.args[0]);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find(c.says) != std::string::npos);
    }
    CHECK(checkDatabaseUri("sqlite:/tmp/a.db").ok());
    CHECK(checkDatabaseUri("postgres://h/db").ok());
    CHECK(checkSipUri("sips:ms@example.com;transport=tcp").ok());
}

// Hostile HTTP against parley-as's REST API: oversized bodies, slowloris, malformed JSON,
// header floods, path tricks. Each gets a 4xx (or the connection is dropped) and the server
// keeps answering normal requests.

#include <catch2/catch.hpp>

#include <thread>

#include "tests/component/as_rest/rest_fixture.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::rest {

namespace {

std::string request(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& extraHeaders = "") {
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kToken +
                    "\r\nConnection: close\r\n" + extraHeaders;
    if (!body.empty() || method == "POST")
        r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    return r + "\r\n" + body;
}

void stillServes(RestSystem& fx) {
    auto r = call(fx.httpPort(), "GET", "/v1/conferences/r1");
    INFO(r.body << "\n" << fx.logs());
    CHECK(r.status == 200);
    CHECK(fx.asAlive());
}

}  // namespace

TEST_CASE("REST hostile: malformed JSON and wrong shapes are 400", "[rest][hostile]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(focus::roomsJson({focus::room("r1")}));
    for (const std::string& body :
         {std::string("{"), std::string("{\"name\":\"x\",}"), std::string("nul"), std::string("\"text\""),
          std::string("{\"name\":\"\xff\xfe\"}"), std::string(100000, '['), std::string("{\"a\":") + std::string(40, '[') ,
          std::string("{\"locked\":tru}"), std::string("\x00\x01\x02", 3), std::string(10, '{')}) {
        INFO(body.substr(0, 40));
        auto r = call(fx.httpPort(), "POST", "/v1/conferences", body);
        CHECK(r.status == 400);
    }
    stillServes(fx);
}

TEST_CASE("REST hostile: oversized bodies, header floods, path tricks, long paths", "[rest][hostile]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(focus::roomsJson({focus::room("r1")}));
    const auto port = fx.httpPort();

    SECTION("a declared body over 1 MiB is refused before it is read") {
        std::string head = "POST /v1/conferences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kToken) +
                           "\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{";
        auto out = rawExchange(port, head, 5s);
        CHECK(rawStatus(out) == 413);
    }
    SECTION("a chunked body over 1 MiB") {
        std::string chunk(64 * 1024, 'a');
        std::string req = "POST /v1/conferences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kToken) +
                          "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        for (int i = 0; i < 20; ++i) req += size + chunk + "\r\n";
        req += "0\r\n\r\n";
        auto out = rawExchange(port, req, 10s);
        int status = rawStatus(out);
        CHECK((status == 413 || status == 0));
    }
    SECTION("header flood: too many and too long headers") {
        std::string many;
        for (int i = 0; i < 500; ++i) many += "X-Flood-" + std::to_string(i) + ": y\r\n";
        int s1 = rawStatus(rawExchange(port, request("GET", "/v1/conferences", "", many), 5s));
        CHECK((s1 == 400 || s1 == 431 || s1 == 0));
        std::string longHeader = "X-Long: " + std::string(100000, 'z') + "\r\n";
        int s2 = rawStatus(rawExchange(port, request("GET", "/v1/conferences", "", longHeader), 5s));
        CHECK((s2 == 400 || s2 == 431 || s2 == 0));
    }
    SECTION("path tricks") {
        for (const std::string& path :
             {std::string("/v1/../v1/conferences"), std::string("/v1/conferences/../media-servers"),
              std::string("/v1/conferences/%2e%2e/r1"), std::string("/v1/conferences/%2E%2E"),
              std::string("/v1/conferences/r1%00"), std::string("/v1/conferences/%ff%fe"),
              std::string("/v1/conferences/r1/participants/..%2f..%2fetc"), std::string("/v1//conferences///x/y/z"),
              std::string("/v1/conferences/") + std::string(6000, 'a'), std::string("/") + std::string(70000, 'b'),
              std::string("/v1/conferences/%"), std::string("*")}) {
            INFO(path.substr(0, 60));
            int status = rawStatus(rawExchange(port, request("GET", path), 5s));
            CHECK(((status >= 400 && status < 500) || status == 0));
        }
    }
    SECTION("an unknown method and a garbage request line") {
        int s1 = rawStatus(rawExchange(port, request("BREW", "/v1/conferences"), 5s));
        CHECK(((s1 >= 400 && s1 < 500) || s1 == 0));
        int s2 = rawStatus(rawExchange(port, std::string("\x16\x03\x01\x00\xa5garbage\r\n\r\n"), 5s));
        CHECK(((s2 >= 400 && s2 < 500) || s2 == 0));
    }
    stillServes(fx);
}

TEST_CASE("REST hostile: slowloris clients are dropped and others still served", "[rest][hostile]") {
    std::string why;
    if (!RestSystem::supported(why)) PARLEY_SKIP(why);
    RestSystem fx(focus::roomsJson({focus::room("r1")}));
    const std::string req = request("GET", "/v1/conferences") + std::string(200, ' ');
    std::vector<std::thread> slow;
    for (int i = 0; i < 4; ++i)
        slow.emplace_back([&] { (void)rawExchange(fx.httpPort(), req, 14s, 1, 1000ms); });
    std::this_thread::sleep_for(2s);  // the slow clients hold their connections
    for (int i = 0; i < 5; ++i) stillServes(fx);
    for (auto& t : slow) t.join();
    stillServes(fx);
}

}  // namespace parley::test::rest

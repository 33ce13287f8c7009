#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <thread>

#include <Poco/StreamCopier.h>

#include "as/apps/webhook_client.hpp"
#include "tests/support/http_test_server.hpp"

using namespace parley;
using as::apps::WebhookClient;

namespace {

// Runs the loop until the answer is in, 10 s at most.
common::Result<std::string> await(common::EventLoop& loop, WebhookClient& client, const std::string& url,
                                  std::chrono::milliseconds timeout, std::string body = "{}") {
    std::optional<common::Result<std::string>> out;
    client.post(url, std::move(body), timeout, [&](common::Result<std::string> r) { out = std::move(r); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!out && std::chrono::steady_clock::now() < deadline) loop.runOnce(std::chrono::milliseconds(20));
    REQUIRE(out);
    return std::move(*out);
}

}  // namespace

TEST_CASE("apps webhook client: posts JSON and hands the answer to the loop", "[as_apps]") {
    test::TestHttpServer server;
    std::string seen;
    std::mutex m;
    server.route("/hook", [&](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) {
        std::string body;
        Poco::StreamCopier::copyToString(req.stream(), body);
        {
            std::lock_guard<std::mutex> lock(m);
            seen = req.getMethod() + " " + req.getContentType() + " " + body;
        }
        res.setContentType("application/json");
        res.send() << R"([{"answer":{}}])";
    });
    common::EventLoop loop;
    WebhookClient client(loop);
    auto r = await(loop, client, server.url("/hook"), std::chrono::seconds(2), R"({"event":"call.incoming"})");
    REQUIRE(r);
    CHECK(*r == R"([{"answer":{}}])");
    std::lock_guard<std::mutex> lock(m);
    CHECK(seen == R"(POST application/json {"event":"call.incoming"})");
}

TEST_CASE("apps webhook client: errors", "[as_apps]") {
    test::TestHttpServer server;
    server.route("/500", [](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res) {
        res.setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
        res.send() << "boom";
    });
    std::atomic<bool> release{false};
    server.route("/hang", [&](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res) {
        for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        res.send() << "[]";
    });
    server.route("/big", [](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res) {
        res.setChunkedTransferEncoding(true);
        auto& out = res.send();
        std::string chunk(64 * 1024, ' ');
        for (int i = 0; i < 20 && out; ++i) out << chunk;
    });
    common::EventLoop loop;
    as::apps::WebhookOptions options;
    options.maxBodyBytes = 256 * 1024;
    WebhookClient client(loop, options);

    auto e500 = await(loop, client, server.url("/500"), std::chrono::seconds(2));
    REQUIRE_FALSE(e500);
    CHECK(e500.error().code == 502);
    CHECK(e500.error().message.find("HTTP 500") != std::string::npos);

    auto e404 = await(loop, client, server.url("/nothing"), std::chrono::seconds(2));
    REQUIRE_FALSE(e404);
    CHECK(e404.error().code == 502);

    auto start = std::chrono::steady_clock::now();
    auto hang = await(loop, client, server.url("/hang"), std::chrono::milliseconds(300));
    release = true;
    REQUIRE_FALSE(hang);
    CHECK(hang.error().code == 504);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));

    auto big = await(loop, client, server.url("/big"), std::chrono::seconds(3));
    REQUIRE_FALSE(big);
    CHECK(big.error().code == 413);

    auto bad = await(loop, client, "ftp://x/y", std::chrono::seconds(1));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == 400);

    auto refused = await(loop, client, "http://127.0.0.1:1/x", std::chrono::seconds(1));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 599);
}

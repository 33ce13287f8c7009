// Room events from a real call: a sipp caller joins and leaves a room whose eventsUrl points
// at a receiver written here; the webhooks arrive signed (checked with python3's hmac, not
// with Parley's code), in order, and the same events reach a /v1/events WebSocket client.

#include <catch2/catch.hpp>

#include <chrono>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/StreamCopier.h>

#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::focus {

namespace {

struct Delivery {
    std::string body, timestamp, signature, type;
};

std::string jsonType(const std::string& body) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("type");
    } catch (const std::exception&) {
        return "";
    }
}

// HMAC-SHA256 hex computed by python3 (an implementation Parley did not write).
std::string pythonHmac(const std::string& secret, const std::string& message, const std::filesystem::path& dir) {
    const auto file = dir / "hmac-message.bin";
    { std::ofstream(file, std::ios::binary) << message; }
    std::string cmd = "python3 -c \"import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2],'rb').read(), "
                      "hashlib.sha256).hexdigest())\" '" + secret + "' '" + file.string() + "'";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[256];
        while (fgets(buf, sizeof buf, p)) out += buf;
        pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

}  // namespace

TEST_CASE("as apps: room events reach a signed webhook and the /v1/events stream, in order",
          "[e2e][events][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    if (!haveProgram("python3")) PARLEY_SKIP("python3 is not installed");
    const std::string secret = "room-events-secret";

    std::mutex mu;
    std::vector<Delivery> deliveries;
    TestHttpServer receiver;
    receiver.route("/events", [&](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
        Delivery d;
        Poco::StreamCopier::copyToString(req.stream(), d.body);
        d.timestamp = req.get("X-Parley-Timestamp", "");
        d.signature = req.get("X-Parley-Signature", "");
        d.type = req.get("X-Parley-Event", "");
        {
            std::lock_guard<std::mutex> lock(mu);
            deliveries.push_back(std::move(d));
        }
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
        resp.send();
    });

    FocusOptions options;
    options.asExtraArgs = {"--webhook-secret", secret};
    FocusSystem fx(roomsJson({room("r1", "\"eventsUrl\":\"" + receiver.url("/events") + "\"")}), options);
    if (!fx.focusFlags()) PARLEY_SKIP("parley-as without the focus flags");

    // A dashboard on the stream before the call (no tokens: open on the loopback listener).
    Poco::Net::HTTPClientSession session("127.0.0.1", fx.asHttpPort());
    Poco::Net::HTTPRequest upgrade(Poco::Net::HTTPRequest::HTTP_GET, "/v1/events?room=r1",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse upgraded;
    Poco::Net::WebSocket ws(session, upgrade, upgraded);
    ws.setReceiveTimeout(Poco::Timespan(0, 200000));

    UacOptions o;
    o.room = "r1";
    o.fromUser = "watched";
    o.afterAck = pauseMs(3000);
    SippPeer caller = startUac(fx, "watched", o);
    auto rc = caller.wait(40s);
    {
        INFO(caller.describe() << "\n" << fx.logs(3000));
        REQUIRE(rc == std::optional<int>(0));
    }

    // Webhooks: joined then left, each signed over "<timestamp>.<body>".
    auto haveLeft = [&] {
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& d : deliveries)
            if (jsonType(d.body) == "participant.left") return true;
        return false;
    };
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!haveLeft() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(100ms);
    std::vector<Delivery> got;
    {
        std::lock_guard<std::mutex> lock(mu);
        got = deliveries;
    }
    INFO(fx.logs(3000));
    REQUIRE(haveLeft());
    std::vector<std::string> types;
    for (const auto& d : got) {
        types.push_back(jsonType(d.body));
        CHECK(d.type == types.back());
        REQUIRE_FALSE(d.timestamp.empty());
        CHECK(d.signature == "sha256=" + pythonHmac(secret, d.timestamp + "." + d.body, fx.dir()));
        CHECK(d.body.find("\"room\":\"r1\"") != std::string::npos);
    }
    auto at = [&](const std::string& t) {
        return std::find(types.begin(), types.end(), t) - types.begin();
    };
    const auto n = static_cast<std::ptrdiff_t>(types.size());
    CHECK(at("conference.started") < n);
    CHECK(at("participant.joined") < n);
    CHECK(at("conference.started") < at("participant.joined"));
    CHECK(at("participant.joined") < at("participant.left"));

    // The stream: the same events, in seq order.
    std::vector<std::string> streamed;
    std::vector<long> seqs;
    const auto streamDeadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < streamDeadline &&
           std::find(streamed.begin(), streamed.end(), "participant.left") == streamed.end()) {
        char buf[8192];
        int flags = 0;
        int len = 0;
        try {
            len = ws.receiveFrame(buf, sizeof buf, flags);
        } catch (const Poco::TimeoutException&) {
            continue;
        } catch (const Poco::Net::NetException&) {
            break;
        }
        if (len <= 0) break;
        if ((flags & Poco::Net::WebSocket::FRAME_OP_BITMASK) != Poco::Net::WebSocket::FRAME_OP_TEXT) continue;
        std::string text(buf, static_cast<std::size_t>(len));
        streamed.push_back(jsonType(text));
        try {
            Poco::JSON::Parser parser;
            seqs.push_back(parser.parse(text).extract<Poco::JSON::Object::Ptr>()->getValue<long>("seq"));
        } catch (const std::exception&) {
            seqs.push_back(-1);
        }
    }
    ws.close();
    INFO("streamed: " << streamed.size());
    CHECK(std::find(streamed.begin(), streamed.end(), "participant.joined") != streamed.end());
    CHECK(std::find(streamed.begin(), streamed.end(), "participant.left") != streamed.end());
    CHECK(std::is_sorted(seqs.begin(), seqs.end()));
    CHECK(std::find(seqs.begin(), seqs.end(), -1) == seqs.end());
}

}  // namespace parley::test::focus

// parley-as and parley-ms as processes on loopback: the control channel comes up, K-ALIVE
// flows, the AS notices a dead MS and reconnects to a new one on the same ports, SIGTERM
// exits 0, bad flags exit non-zero. State is read the way an operator would: GET
// /v1/media-servers over real HTTP.

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "tests/support/process.hpp"

namespace {

using namespace std::chrono_literals;
using parley::test::binPath;
using parley::test::Process;
using parley::test::TempDir;
using Clock = std::chrono::steady_clock;
using Obj = Poco::JSON::Object::Ptr;

// The address logged after `needle` ("SIP listening on 127.0.0.1:5070 (udp, tcp)").
std::string addressAfter(Process& p, const std::string& needle) {
    REQUIRE(p.waitForOutput(needle, 10s));
    std::string out = p.output();
    auto at = out.find(needle);
    std::istringstream rest(out.substr(at + needle.size()));
    std::string addr;
    rest >> addr;
    return addr;
}

std::string portOf(const std::string& hostPort) { return hostPort.substr(hostPort.rfind(':') + 1); }

struct HttpAnswer {
    int status = 0;
    std::string body;
};

std::optional<HttpAnswer> httpGet(const std::string& hostPort, const std::string& path) {
    try {
        Poco::Net::HTTPClientSession s(hostPort.substr(0, hostPort.rfind(':')),
                                       static_cast<Poco::UInt16>(std::stoi(portOf(hostPort))));
        s.setTimeout(Poco::Timespan(3, 0));
        Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
        s.sendRequest(req);
        Poco::Net::HTTPResponse resp;
        std::istream& in = s.receiveResponse(resp);
        HttpAnswer a;
        a.status = resp.getStatus();
        Poco::StreamCopier::copyToString(in, a.body);
        return a;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The one media server the AS reports.
Poco::JSON::Object::Ptr mediaServer(const std::string& http) {
    auto a = httpGet(http, "/v1/media-servers");
    if (!a || a->status != 200) return nullptr;
    Poco::JSON::Parser parser;
    auto arr = parser.parse(a->body).extract<Poco::JSON::Array::Ptr>();
    if (!arr || arr->size() != 1) return nullptr;
    return arr->getObject(0);
}

std::string stateOf(const Poco::JSON::Object::Ptr& o) {
    return o ? o->getValue<std::string>("state") : std::string("?");
}

// Polls until `pred(server)` holds; returns the last object seen.
Poco::JSON::Object::Ptr pollServer(const std::string& http,
                                   const std::function<bool(const Poco::JSON::Object::Ptr&)>& pred,
                                   std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    Poco::JSON::Object::Ptr last;
    do {
        last = mediaServer(http);
        if (last && pred(last)) return last;
        std::this_thread::sleep_for(25ms);
    } while (Clock::now() < deadline);
    return last;
}

Process startMs(const TempDir& dir, const std::string& name, const std::string& sip = "127.0.0.1:0",
                const std::string& cfw = "127.0.0.1:0") {
    return Process::start({binPath("parley-ms").string(), "--sip-listen", sip, "--cfw-listen", cfw,
                           "--http-listen", "127.0.0.1:0", "--media-root", dir.path().string(),
                           "--record-dir", dir.path().string()},
                          name, dir.path());
}

Process startAs(const TempDir& dir, const std::string& msSip, const std::string& keepAlive = "100") {
    return Process::start({binPath("parley-as").string(), "--sip-listen", "127.0.0.1:0", "--http-listen",
                           "127.0.0.1:0", "--ms", "sip:ms@" + msSip, "--cfw-keepalive", keepAlive,
                           "--db", "sqlite:" + (dir.path() / "as.db").string()},
                          "as", dir.path());
}

}  // namespace

TEST_CASE("as process: channel up within 2 s, K-ALIVE flows, SIGTERM exits 0", "[as][component]") {
    TempDir dir("parley-as-comp");
    Process ms = startMs(dir, "ms");
    std::string msSip = addressAfter(ms, "SIP listening on ");
    REQUIRE(ms.waitForOutput("CFW listening on ", 10s));

    Process as = startAs(dir, msSip, "2");
    std::string http = addressAfter(as, "HTTP listening on ");
    auto started = Clock::now();
    auto up = pollServer(http, [](const Obj& o) { return stateOf(o) == "up"; }, 5s);
    REQUIRE(stateOf(up) == "up");
    CHECK(Clock::now() - started < 2s);
    CHECK(up->getValue<std::string>("uri") == "sip:ms@" + msSip);
    CHECK(up->getValue<int>("keepAliveSeconds") == 2);
    CHECK(up->getArray("packages")->size() == 2);
    CHECK(up->getValue<int>("reconnects") == 0);

    // Keep-Alive 2 s: a K-ALIVE every 1.6 s, answered, and the timestamp moves on.
    auto first = pollServer(http, [](const Obj& o) { return !o->isNull("lastKeepAlive"); }, 4s);
    REQUIRE(first);
    REQUIRE_FALSE(first->isNull("lastKeepAlive"));
    std::string t1 = first->getValue<std::string>("lastKeepAlive");
    CHECK(t1.back() == 'Z');
    auto later = pollServer(
        http, [&](const Obj& o) { return !o->isNull("lastKeepAlive") && o->getValue<std::string>("lastKeepAlive") > t1; },
        4s);
    REQUIRE(later);
    std::string t2 = later->getValue<std::string>("lastKeepAlive");
    CHECK(t2 > t1);
    CHECK(stateOf(later) == "up");

    auto nf = httpGet(http, "/v1/no-such-thing");
    REQUIRE(nf);
    CHECK(nf->status == 404);
    CHECK(nf->body.find("\"error\"") != std::string::npos);

    auto t0 = Clock::now();
    CHECK(as.stop(SIGTERM, 10s) == 0);
    CHECK(Clock::now() - t0 < 5s);
    CHECK(as.output().find("control channel closed") != std::string::npos);
    // The MS saw the control dialog end with our BYE (parley-ms logs "BYE from the AS")
    // and keeps running.
    CHECK(ms.waitForOutput("BYE from the AS", 3s));
    CHECK(ms.running());
    CHECK(ms.stop(SIGTERM, 10s) == 0);
}

TEST_CASE("as process: MS killed goes down and a new MS on the same ports brings it up", "[as][component]") {
    TempDir dir("parley-as-comp");
    Process ms1 = startMs(dir, "ms1");
    std::string msSip = addressAfter(ms1, "SIP listening on ");
    std::string msCfw = addressAfter(ms1, "CFW listening on ");

    Process as = startAs(dir, msSip);
    std::string http = addressAfter(as, "HTTP listening on ");
    REQUIRE(stateOf(pollServer(http, [](const Obj& o) { return stateOf(o) == "up"; }, 5s)) == "up");

    ms1.stop(SIGKILL);
    auto down = pollServer(http, [](const Obj& o) { return stateOf(o) != "up"; }, 5s);
    REQUIRE(down);
    CHECK(stateOf(down) != "up");
    CHECK_FALSE(down->isNull("lastError"));

    Process ms2 = startMs(dir, "ms2", msSip, msCfw);
    REQUIRE(ms2.waitForOutput("CFW listening on ", 10s));
    // Backoff is 1, 2, 4 s...: the next attempt finds the new MS.
    auto again = pollServer(http, [](const Obj& o) { return stateOf(o) == "up"; }, 15s);
    REQUIRE(stateOf(again) == "up");
    CHECK(again->getValue<int>("reconnects") == 1);
    CHECK(again->isNull("lastError"));

    CHECK(as.stop(SIGTERM, 10s) == 0);
    CHECK(ms2.stop(SIGTERM, 10s) == 0);
}

TEST_CASE("as process: the AS keeps retrying while no MS answers, quietly", "[as][component]") {
    TempDir dir("parley-as-comp");
    // A SIP port with nobody behind it.
    std::string nowhere = "127.0.0.1:" + std::to_string(parley::test::freePort(true));
    Process as = startAs(dir, nowhere);
    std::string http = addressAfter(as, "HTTP listening on ");
    auto st = pollServer(http, [](const Obj& o) { return o->getValue<int>("failedAttempts") >= 3; }, 10s);
    REQUIRE(st);
    CHECK(st->getValue<int>("failedAttempts") >= 3);
    CHECK(stateOf(st) != "up");
    CHECK(as.waitForOutput("still down after 3 attempts", 5s));
    // One "not established" line, not one per attempt.
    std::string out = as.output();
    std::size_t n = 0;
    for (auto p = out.find("not established"); p != std::string::npos; p = out.find("not established", p + 1)) ++n;
    CHECK(n == 1);
    CHECK(as.stop(SIGTERM, 10s) == 0);
}

TEST_CASE("as process: bad flags exit non-zero with the usage", "[as][component]") {
    TempDir dir("parley-as-comp");
    const std::vector<std::vector<std::string>> bad = {
        {"--no-such-flag"},
        {"--cfw-keepalive", "0"},
        {"--ms", "http://not-sip"},
        {"--db", "mysql://x"},
        {"--http-listen", "127.0.0.1:notaport"},
        {"--webhook-ca", "/nonexistent/ca.pem"},
    };
    int i = 0;
    for (const auto& args : bad) {
        std::vector<std::string> argv{binPath("parley-as").string()};
        argv.insert(argv.end(), args.begin(), args.end());
        Process p = Process::start(argv, "bad" + std::to_string(i++), dir.path());
        auto rc = p.wait(10s);
        REQUIRE(rc.has_value());
        CHECK(*rc != 0);
        CHECK(p.output().find("usage: parley-as") != std::string::npos);
    }
    Process help = Process::start({binPath("parley-as").string(), "--help"}, "help", dir.path());
    auto rc = help.wait(10s);
    REQUIRE(rc.has_value());
    CHECK(*rc == 0);
    CHECK(help.output().find("--cfw-keepalive") != std::string::npos);
}

TEST_CASE("as process: an HTTP port in use is a clear start-up error", "[as][component]") {
    TempDir dir("parley-as-comp");
    Process first = Process::start({binPath("parley-as").string(), "--sip-listen", "127.0.0.1:0",
                                    "--http-listen", "127.0.0.1:0"},
                                   "first", dir.path());
    std::string http = addressAfter(first, "HTTP listening on ");
    Process second = Process::start({binPath("parley-as").string(), "--sip-listen", "127.0.0.1:0",
                                     "--http-listen", http},
                                    "second", dir.path());
    auto rc = second.wait(10s);
    REQUIRE(rc.has_value());
    CHECK(*rc == 1);
    CHECK(second.output().find("cannot start HTTP") != std::string::npos);
    CHECK(first.stop(SIGTERM, 10s) == 0);
}

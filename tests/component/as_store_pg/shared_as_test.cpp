// Several parley-as on one database, and what the database keeps across a restart.
//
// 1. Two parley-as processes (each with its own parley-ms, SIP and HTTP ports) open the same
//    PostgreSQL database (a private server, see pg_server.hpp): a room made over REST on one
//    is listed, read and dialled on the other; a lock set over REST on one refuses the next
//    caller on the other, also while the room is live there (a caller in it); a route PUT on
//    one routes a call made to the other; the CDRs of calls on both are listed by either.
// 2. A recording made over REST (a sipp caller in the room, started, stopped, ready) is still
//    in GET /v1/recordings/{id} and the room's recordings list after parley-as stopped with
//    SIGTERM (exit 0) and started again on the same database (PostgreSQL, and a SQLite file).
//
// Real processes and sipp on loopback, port 0 everywhere; every wait is bounded and every
// process is stopped by PID. Skips when PostgreSQL's server binaries or sipp are missing, or
// when this parley-as has no REST API (--api-token).

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "tests/component/as_rest/rest_fixture.hpp"
#include "tests/component/as_store_pg/pg_server.hpp"
#include "tests/component/ms/ms_harness.hpp"
#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::shared_as {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using rest::call;
using rest::HttpReply;
using rest::tryJson;

std::string tail(const std::string& s, std::size_t n = 4000) {
    return s.size() > n ? "..." + s.substr(s.size() - n) : s;
}


// The "total" of a list answer, -1 when there is none.
long total(const HttpReply& r) {
    auto o = tryJson(r);
    return o && o->has("total") ? o->getValue<long>("total") : -1;
}

// A parley-ms and the directory it records into.
struct MediaServer {
    std::unique_ptr<ms::MsInstance> ms;
    std::filesystem::path recordings;
};

// One parley-as on loopback, its REST API behind rest::kToken.
class AsNode {
  public:
    // Starts parley-as on database `db` controlling the MS on `msSipPort`, and waits (bounded)
    // for its HTTP port and for its control channel to be up. Throws std::runtime_error with
    // the log when it does not come up.
    AsNode(const std::filesystem::path& dir, const std::string& name, const std::string& db,
           std::uint16_t msSipPort, const std::string& promptsUri) {
        std::vector<std::string> argv = {binPath("parley-as").string(),
                                         "--sip-listen",
                                         "127.0.0.1:0",
                                         "--http-listen",
                                         "127.0.0.1:0",
                                         "--ms",
                                         "sip:ms@127.0.0.1:" + std::to_string(msSipPort),
                                         "--db",
                                         db,
                                         "--prompts",
                                         promptsUri,
                                         "--api-token",
                                         rest::kToken};
        process_ = std::make_unique<Process>(Process::start(argv, name, dir));
        if (!process_->waitForOutput("HTTP listening on", 30s))
            throw std::runtime_error(name + " did not start:\n" + tail(process_->output()));
        const std::string out = process_->output();
        sipPort_ = portAfter(out, "SIP listening on");
        httpPort_ = portAfter(out, "HTTP listening on");
        if (!sipPort_ || !httpPort_)
            throw std::runtime_error("no listening lines in " + name + "'s log:\n" + tail(out));
        const auto deadline = Clock::now() + 20s;
        std::string last;
        while (Clock::now() < deadline) {
            auto r = call(httpPort_, "GET", "/v1/media-servers");
            last = r.body;
            if (r.status == 200 && r.body.find("\"state\":\"up\"") != std::string::npos) return;
            std::this_thread::sleep_for(100ms);  // polling another process's state
        }
        throw std::runtime_error(name + "'s media server never came up: " + last + "\n" +
                                 tail(out));
    }

    std::uint16_t sipPort() const { return sipPort_; }
    std::uint16_t httpPort() const { return httpPort_; }
    std::string log() const { return tail(process_->output()); }
    bool alive() { return process_->running(); }
    // SIGTERM; the exit status (0: clean, and no sanitizer report at exit).
    int stop() { return process_->stop(SIGTERM, 20s); }

  private:
    std::unique_ptr<Process> process_;  // stopped by PID when destroyed
    std::uint16_t sipPort_ = 0;
    std::uint16_t httpPort_ = 0;
};

// A block of 200 RTP ports for parley-ms number `index` (0 or 1), below the ephemeral range;
// the two blocks of one test never overlap.
std::string rtpBlock(unsigned first, unsigned index) {
    const unsigned lo = 20000 + ((first + index) % 40) * 200;
    return std::to_string(lo) + "-" + std::to_string(lo + 199);
}

// Prompt tones, media servers and parley-as processes in one temp dir.
class System {
  public:
    System() : dir_("parley-shared-as") {
        focus::writePromptTones(dir() / "media");
        std::random_device rd;
        firstBlock_ = rd() % 40;
    }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::string promptsUri() const {
        return "file://" + (dir() / "media" / "prompts" / "en-US").string() + "/";
    }

    // Starts parley-ms number `index` (its own RTP ports and recordings directory).
    MediaServer& startMs(unsigned index) {
        auto& slot = servers_[index];
        slot.recordings = dir() / ("recordings-" + std::to_string(index));
        std::filesystem::create_directories(slot.recordings);
        slot.ms = std::make_unique<ms::MsInstance>(
            ms::startMs({"--media-root", (dir() / "media").string(), "--record-dir",
                         slot.recordings.string(), "--rtp-ports", rtpBlock(firstBlock_, index)}));
        return slot;
    }
    std::unique_ptr<AsNode> startAs(const std::string& name, const std::string& db,
                                    unsigned msIndex) {
        return std::make_unique<AsNode>(dir(), name, db, servers_[msIndex].ms->sipPort,
                                        promptsUri());
    }
    std::uint16_t msHttpPort(unsigned index) const { return servers_[index].ms->httpPort; }

    ~System() {
        for (auto& s : servers_)
            if (s.ms) (void)s.ms->process.stop(SIGTERM, 10s);
    }

  private:
    TempDir dir_;
    unsigned firstBlock_ = 0;
    MediaServer servers_[2];
};

// One sipp call to `user` at `port` that hangs up itself `holdMs` after its ACK, or expects
// `expectStatus` instead of 200 (and ACKs it), or (holdMs < 0) waits for the AS's BYE.
focus::SippPeer dial(System& sys, const std::string& name, const std::string& user,
                     std::uint16_t port, int holdMs, int expectStatus = 200) {
    focus::UacOptions o;
    o.room = user;
    o.fromUser = name;
    o.expectStatus = expectStatus;
    if (holdMs >= 0) o.afterAck = focus::pauseMs(holdMs);
    o.expectByeFromAs = holdMs < 0;
    o.timeoutSeconds = 45;
    return focus::startUacAt(sys.dir(), name, o, port);
}

// Polls the participants of `room` on `node` until one is joined; its id, "" at the deadline.
std::string waitJoined(AsNode& node, const std::string& room, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto o = tryJson(call(node.httpPort(), "GET", "/v1/conferences/" + room + "/participants"));
        if (o && o->has("participants")) {
            auto list = o->getArray("participants");
            for (unsigned i = 0; i < list->size(); ++i) {
                auto p = list->getObject(i);
                if (p->getValue<std::string>("state") == "joined")
                    return p->getValue<std::string>("id");
            }
        }
        std::this_thread::sleep_for(200ms);  // polling another process's state
    }
    return "";
}

// Polls GET `path` on `node` until its "total" reaches `want`; the last answer.
HttpReply waitTotal(AsNode& node, const std::string& path, long want,
                    std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    HttpReply r;
    while (Clock::now() < deadline) {
        r = call(node.httpPort(), "GET", path);
        if (r.status == 200 && total(r) >= want) return r;
        std::this_thread::sleep_for(200ms);  // polling another process's state
    }
    return r;
}

// One server per test process (ctest runs each test case in its own process).
PgServer& pgServer() {
    static PgServer instance;
    return instance;
}

}  // namespace

TEST_CASE("shared AS: two parley-as on one PostgreSQL share rooms, locks, routes and CDRs",
          "[component][store][postgres][sipp]") {
    std::string why;
    if (!rest::RestSystem::supported(why)) PARLEY_SKIP(why);
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    PgServer& pg = pgServer();
    if (!pg.skipReason().empty()) PARLEY_SKIP(pg.skipReason());
    {
        auto created = pg.createDatabase("shared_as");
        INFO(created);
        REQUIRE(created.empty());
    }
    const std::string db = pg.uri("shared_as");

    System sys;
    sys.startMs(0);
    sys.startMs(1);
    auto as1 = sys.startAs("parley-as-1", db, 0);
    auto as2 = sys.startAs("parley-as-2", db, 1);
    auto logs = [&] { return "--- AS1:\n" + as1->log() + "\n--- AS2:\n" + as2->log(); };
    INFO("AS1 sip " << as1->sipPort() << " http " << as1->httpPort() << "; AS2 sip "
                    << as2->sipPort() << " http " << as2->httpPort());

    // A room made on AS1 is listed and readable on AS2.
    {
        auto made = call(as1->httpPort(), "POST", "/v1/conferences",
                         R"({"name":"shared","displayName":"Both ASes"})");
        INFO(made.body << "\n" << logs());
        REQUIRE(made.status == 201);
        auto listed = call(as2->httpPort(), "GET", "/v1/conferences");
        INFO(listed.body);
        REQUIRE(listed.status == 200);
        CHECK(listed.body.find("\"name\":\"shared\"") != std::string::npos);
        auto read = call(as2->httpPort(), "GET", "/v1/conferences/shared");
        INFO(read.body);
        REQUIRE(read.status == 200);
        auto o = tryJson(read);
        REQUIRE(o);
        CHECK(o->getValue<std::string>("displayName") == "Both ASes");
        CHECK_FALSE(o->getValue<bool>("locked"));
    }

    // A caller dialling the room at AS2 is let in.
    auto onAs2 = dial(sys, "on-as2", "shared", as2->sipPort(), 1500);
    {
        INFO(onAs2.describe() << "\n" << logs());
        REQUIRE(onAs2.waitAnswered(20s));
    }

    // A caller stays in the room at AS1 (the room is live there) while AS2 locks it: the
    // next caller at AS1 is refused with 403, and so is one at AS2.
    auto stays = dial(sys, "stays-on-as1", "shared", as1->sipPort(), 7000);
    {
        INFO(stays.describe() << "\n" << logs());
        REQUIRE(stays.waitAnswered(20s));
        REQUIRE_FALSE(waitJoined(*as1, "shared", 15s).empty());
    }
    {
        auto locked =
            call(as2->httpPort(), "PATCH", "/v1/conferences/shared", R"({"locked":true})");
        INFO(locked.body);
        REQUIRE(locked.status == 200);
        auto seen = tryJson(call(as1->httpPort(), "GET", "/v1/conferences/shared"));
        REQUIRE(seen);
        CHECK(seen->getValue<bool>("locked"));
        CHECK(seen->getValue<bool>("active"));  // AS1 has the caller who stays
    }
    {
        auto refused = dial(sys, "refused-on-as1", "shared", as1->sipPort(), 0, 403);
        auto exit = refused.wait(20s);
        INFO(refused.describe() << "\n" << logs());
        CHECK(exit == std::optional<int>(0));
        CHECK(refused.received("SIP/2.0 403", "1 INVITE"));
        CHECK_FALSE(refused.received("SIP/2.0 200", "1 INVITE"));
        // The room was live at AS1 all along: the refusal came from the stored lock, not
        // from a fresh load of an idle room.
        CHECK(stays.process->running());
    }
    {
        auto refused = dial(sys, "refused-on-as2", "shared", as2->sipPort(), 0, 403);
        auto exit = refused.wait(20s);
        INFO(refused.describe() << "\n" << logs());
        CHECK(exit == std::optional<int>(0));
        CHECK(refused.received("SIP/2.0 403", "1 INVITE"));
    }

    // A route PUT on AS1 takes a call made to AS2.
    {
        auto put = call(as1->httpPort(), "PUT", "/v1/routes/shared-echo",
                        R"({"match":"shared-echo","kind":"app","target":"echo"})");
        INFO(put.body << "\n" << logs());
        REQUIRE(put.status == 201);
        auto read = call(as2->httpPort(), "GET", "/v1/routes/shared-echo");
        INFO(read.body);
        CHECK(read.status == 200);
        CHECK(read.body.find("\"target\":\"echo\"") != std::string::npos);
        auto echo = dial(sys, "echo-on-as2", "shared-echo", as2->sipPort(), 1000);
        bool answered = echo.waitAnswered(20s);
        auto exit = echo.wait(20s);
        INFO(echo.describe() << "\n" << logs());
        CHECK(answered);
        CHECK(exit == std::optional<int>(0));
    }

    // The CDRs of the calls on both instances, listed by either.
    {
        auto a = onAs2.wait(20s);
        auto b = stays.wait(20s);
        INFO(onAs2.describe() << "\n" << stays.describe() << "\n" << logs());
        CHECK(a == std::optional<int>(0));
        CHECK(b == std::optional<int>(0));
    }
    for (AsNode* node : {as1.get(), as2.get()}) {
        auto cdrs = waitTotal(*node, "/v1/cdrs?room=shared", 2, 15s);
        INFO("CDRs through the AS on HTTP port " << node->httpPort() << ": " << cdrs.body << "\n"
                                                 << logs());
        REQUIRE(cdrs.status == 200);
        CHECK(total(cdrs) == 2);  // the refused callers never entered: no record
        REQUIRE(tryJson(cdrs));
        auto items = tryJson(cdrs)->getArray("items");
        bool fromAs1 = false, fromAs2 = false;
        for (unsigned i = 0; i < items->size(); ++i) {
            auto cdr = items->getObject(i);
            const std::string from = cdr->getValue<std::string>("from");
            const std::string to = cdr->getValue<std::string>("to");
            CHECK_FALSE(cdr->isNull("joinedAt"));
            if (from.find("sip:stays-on-as1@") != std::string::npos &&
                to.find(":" + std::to_string(as1->sipPort())) != std::string::npos)
                fromAs1 = true;
            if (from.find("sip:on-as2@") != std::string::npos &&
                to.find(":" + std::to_string(as2->sipPort())) != std::string::npos)
                fromAs2 = true;
        }
        CHECK(fromAs1);
        CHECK(fromAs2);
    }

    CHECK(as1->stop() == 0);
    CHECK(as2->stop() == 0);
}

namespace {

// A recording made over REST on `db`, then parley-as stopped and started again on it.
void recordingSurvivesRestart(const std::string& db, System& sys) {
    sys.startMs(0);
    auto as = sys.startAs("parley-as-first", db, 0);
    REQUIRE(call(as->httpPort(), "POST", "/v1/conferences", R"({"name":"taped"})").status == 201);

    // Waits for the AS's BYE (at SIGTERM) after the recording.
    auto caller = dial(sys, "recorded", "taped", as->sipPort(), -1);
    {
        INFO(caller.describe() << "\n" << as->log());
        REQUIRE(caller.waitAnswered(20s));
        REQUIRE_FALSE(waitJoined(*as, "taped", 15s).empty());
    }
    auto started = call(as->httpPort(), "POST", "/v1/conferences/taped/recordings");
    INFO(started.body << "\n" << as->log());
    REQUIRE(started.status == 201);
    auto startedJson = tryJson(started);
    REQUIRE(startedJson);
    const std::string id = startedJson->getValue<std::string>("id");
    std::this_thread::sleep_for(1s);  // a second of the room's mix in the recording
    REQUIRE(call(as->httpPort(), "DELETE", "/v1/conferences/taped/recordings/" + id).status == 204);
    HttpReply before;
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
        before = call(as->httpPort(), "GET", "/v1/recordings/" + id);
        auto o = tryJson(before);
        if (o && o->has("state") && o->getValue<std::string>("state") != "recording") break;
        std::this_thread::sleep_for(200ms);  // polling the MS's report through the AS
    }
    INFO("before the restart: " << before.body);
    REQUIRE(before.status == 200);
    REQUIRE(tryJson(before));
    REQUIRE(tryJson(before)->getValue<std::string>("state") == "ready");

    // SIGTERM: the caller gets the AS's BYE, the AS exits 0.
    CHECK(as->stop() == 0);
    {
        auto exit = caller.wait(15s);
        INFO(caller.describe());
        CHECK(exit == std::optional<int>(0));
    }

    auto again = sys.startAs("parley-as-again", db, 0);
    INFO(again->log());
    auto after = call(again->httpPort(), "GET", "/v1/recordings/" + id);
    INFO("after the restart: " << after.body);
    REQUIRE(after.status == 200);
    CHECK(after.body == before.body);  // the same record, field for field
    auto listed = call(again->httpPort(), "GET", "/v1/conferences/taped/recordings");
    INFO(listed.body);
    REQUIRE(listed.status == 200);
    CHECK(total(listed) == 1);
    REQUIRE(tryJson(listed));
    auto items = tryJson(listed)->getArray("recordings");
    REQUIRE(items->size() == 1);
    CHECK(items->getObject(0)->getValue<std::string>("id") == id);
    CHECK(items->getObject(0)->getValue<std::string>("state") == "ready");
    // Its media is still served by the MS that made it.
    auto media = call(again->httpPort(), "GET", "/v1/recordings/" + id + "/media");
    CHECK(media.status == 307);
    CHECK(media.header("location").find(":" + std::to_string(sys.msHttpPort(0)) + "/recordings/") !=
          std::string::npos);
    CHECK(again->stop() == 0);
}

}  // namespace

TEST_CASE("shared AS: a recording's index survives a parley-as restart on PostgreSQL",
          "[component][store][postgres][sipp]") {
    std::string why;
    if (!rest::RestSystem::supported(why)) PARLEY_SKIP(why);
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    PgServer& pg = pgServer();
    if (!pg.skipReason().empty()) PARLEY_SKIP(pg.skipReason());
    {
        auto created = pg.createDatabase("recordings_restart");
        INFO(created);
        REQUIRE(created.empty());
    }
    System sys;
    recordingSurvivesRestart(pg.uri("recordings_restart"), sys);
}

TEST_CASE("shared AS: a recording's index survives a parley-as restart on a SQLite file",
          "[component][store][sipp]") {
    std::string why;
    if (!rest::RestSystem::supported(why)) PARLEY_SKIP(why);
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    System sys;
    recordingSurvivesRestart("sqlite:" + (sys.dir() / "as.db").string(), sys);
}

}  // namespace parley::test::shared_as

// parley-ms with sipp (a SIP peer the project did not write) as the AS's SIP side of the
// control dialog; the CFW side is driven from a raw TCP client.

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/component/ms/ms_harness.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::ms {

namespace {

std::string scenario(const std::string& name) {
    return (std::filesystem::path(PARLEY_MS_SIPP_SCENARIOS) / name).string();
}

std::string fileText(const std::filesystem::path& p) {
    return std::filesystem::exists(p) ? readFile(p) : std::string();
}

}  // namespace

TEST_CASE("ms e2e: sipp sets up a control dialog, keep-alive expiry makes parley-ms BYE it",
          "[ms][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    MsInstance ms = startMs();
    TempDir dir("parley-ms-sipp");
    const std::string cfwId = freshCfwId();
    const auto logs = dir.path() / "actions.log";
    const auto errors = dir.path() / "errors.log";
    const auto messages = dir.path() / "messages.log";

    Process sipp = Process::start({"sipp",
                                   "-sf",
                                   scenario("uac_control_dialog.xml"),
                                   "-m",
                                   "1",
                                   "-i",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(freePort(true)),
                                   "-t",
                                   "u1",
                                   "-timeout",
                                   "40s",
                                   "-timeout_error",
                                   "-nostdin",
                                   "-skip_rlimit",
                                   "-key",
                                   "cfwid",
                                   cfwId,
                                   "-trace_err",
                                   "-error_file",
                                   errors.string(),
                                   "-trace_logs",
                                   "-log_file",
                                   logs.string(),
                                   "-trace_msg",
                                   "-message_file",
                                   messages.string(),
                                   "127.0.0.1:" + std::to_string(ms.sipPort)},
                                  "sipp", dir.path());

    // parley-ms answered the INVITE: the control dialog exists.
    REQUIRE(ms.process.waitForOutput("control dialog " + cfwId + " (call", 15s));
    // sipp saw our port in the 200's SDP (its <log> action wrote it).
    std::string port;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    const std::string re = "cfwport=([0-9]+) mscfwid=([A-Za-z0-9]+)";
    std::vector<std::string> m;
    while (std::chrono::steady_clock::now() < deadline) {
        m = parley::test::reSearch(fileText(logs), re);
        if (!m.empty()) break;
        std::this_thread::sleep_for(50ms);  // polling a file another process writes
    }
    REQUIRE(!m.empty());
    CHECK(std::stoi(m[1]) == ms.cfwPort);
    CHECK(m[2] != cfwId);

    // The CFW channel with the scenario's cfw-id, Keep-Alive 2 s, then silence.
    auto c = CfwClient::connect(ms.cfwPort);
    REQUIRE(c);
    auto sync = c->sync(cfwId, 2);
    REQUIRE(sync);
    CHECK(sync->status == 200);
    CHECK(sync->keepAlive.value_or(0) == 2);
    REQUIRE(c->send("CFW ka000001 K-ALIVE\r\n\r\n"));
    auto ka = c->next();
    REQUIRE(ka);
    CHECK(ka->status == 200);

    CHECK(c->waitClosed(10s));
    auto code = sipp.wait(20s);
    INFO("sipp output:\n"
         << sipp.output() << "\nerrors:\n"
         << fileText(errors) << "\nmessages:\n"
         << fileText(messages) << "\nparley-ms:\n"
         << ms.process.output());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(fileText(messages).find("BYE sip:") != std::string::npos);
    CHECK(ms.process.waitForOutput("control dialog " + cfwId + " over", 5s));
    CHECK(ms.process.stop(SIGTERM, 10s) == 0);
}

}  // namespace parley::test::ms

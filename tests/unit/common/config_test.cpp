#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/config.hpp"

using namespace parley::common;

namespace {
std::vector<OptionSpec> specs() {
    return {{"sip-listen", "HOST:PORT", "127.0.0.1:5070", "SIP address", false},
            {"ms", "SIP-URI", "", "media server", true},
            {"log-level", "LEVEL", "info", "log level", false},
            {"verbose", "", "", "a switch", false}};
}
Result<Config> run(std::vector<const char*> args) {
    args.insert(args.begin(), "prog");
    return Config::parse("prog", "test", specs(), static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("config: defaults, flags in both spellings, repeatable options") {
    auto c = run({});
    REQUIRE(c.ok());
    CHECK(c->get("sip-listen") == "127.0.0.1:5070");
    CHECK(c->getAll("ms").empty());
    CHECK_FALSE(c->isSet("sip-listen"));

    auto d = run({"--sip-listen", "127.0.0.1:6000", "--ms=sip:a@x", "--ms", "sip:b@y", "--verbose"});
    REQUIRE(d.ok());
    CHECK(d->get("sip-listen") == "127.0.0.1:6000");
    CHECK(d->getAll("ms") == std::vector<std::string>{"sip:a@x", "sip:b@y"});
    CHECK(d->getSwitch("verbose"));
    CHECK(d->usage().find("--sip-listen HOST:PORT") != std::string::npos);
}

TEST_CASE("config: errors for unknown flags, missing values, stray arguments") {
    CHECK_FALSE(run({"--nope", "1"}).ok());
    CHECK_FALSE(run({"--sip-listen"}).ok());
    CHECK_FALSE(run({"stray"}).ok());
    auto r = run({"--log-level", "x"});
    REQUIRE(r.ok());
    CHECK_FALSE(r->getInt("log-level", 0, 5).ok());
}

TEST_CASE("config: file values, flag beats file, unknown key is an error") {
    auto dir = std::filesystem::temp_directory_path();
    auto good = dir / ("parley-config-test-" + std::to_string(::getpid()) + ".conf");
    {
        std::ofstream f(good);
        f << "# comment\nsip-listen = 127.0.0.1:7000\nms = sip:a@x, sip:b@y\nlog-level = debug\n";
    }
    std::string gp = good.string();
    auto c = run({"--config", gp.c_str(), "--log-level", "warning"});
    REQUIRE(c.ok());
    CHECK(c->get("sip-listen") == "127.0.0.1:7000");
    CHECK(c->getAll("ms").size() == 2);
    CHECK(c->get("log-level") == "warning");

    auto bad = dir / ("parley-config-bad-" + std::to_string(::getpid()) + ".conf");
    {
        std::ofstream f(bad);
        f << "sip-listne = 1\n";
    }
    std::string bp = bad.string();
    auto e = run({"--config", bp.c_str()});
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().message.find("sip-listne") != std::string::npos);
    CHECK_FALSE(run({"--config", "/nonexistent/file.conf"}).ok());
    std::filesystem::remove(good);
    std::filesystem::remove(bad);
}

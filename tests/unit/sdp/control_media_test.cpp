// The RFC 6230 control m-line: extraction rules and the offer/answer builders.

#include <catch2/catch.hpp>

#include <string>

#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"
#include "tests/unit/sdp/fixtures.hpp"

namespace sdp = parley::proto::sdp;
using sdp::test::crlf;

namespace {

const std::string kHead = "v=0\no=as 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\n";

sdp::Session parseOk(const std::string& lfBody) {
    auto r = sdp::parse(crlf(lfBody));
    INFO(lfBody);
    if (!r) FAIL("parse failed: " << r.error().message);
    return r.value();
}

void requireRefused(const std::string& lfBody, const std::string& reasonPart) {
    auto s = parseOk(lfBody);
    auto c = sdp::findControlMedia(s);
    INFO(lfBody);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code == sdp::kNotAcceptable);
    CHECK_THAT(c.error().message, Catch::Contains(reasonPart));
}

sdp::ControlAnswerParams msSide() {
    sdp::ControlAnswerParams p;
    p.origin.username = "ms";
    p.origin.sessionId = 9;
    p.origin.version = 9;
    p.origin.address = "192.0.2.20";
    p.address = sdp::Connection{sdp::AddrType::IP4, "192.0.2.20", 0, 1};
    p.port = 7563;
    p.cfwId = "ms-side-id";
    return p;
}

}  // namespace

TEST_CASE("sdp: findControlMedia reads the control offer", "[sdp][cfw]") {
    auto s = sdp::parse(sdp::test::kControlOffer);
    REQUIRE(s.ok());
    auto c = sdp::findControlMedia(s.value());
    REQUIRE(c.ok());
    CHECK(c->index == 0);
    CHECK(c->transport == sdp::ControlTransport::Tcp);
    CHECK(c->port == 49152);
    CHECK(c->address.address == "192.0.2.10");
    CHECK(c->setup == sdp::Setup::Active);
    CHECK(c->connection == sdp::ConnectionMode::New);
    CHECK(c->cfwId == "a1b2c3d4e5");
}

TEST_CASE("sdp: findControlMedia defaults, TLS, media-level address, other m-lines", "[sdp][cfw]") {
    auto s = parseOk(kHead +
                     "m=audio 4000 RTP/AVP 0\n"
                     "m=application 7564 TCP/TLS cfw\nc=IN IP4 192.0.2.99\na=cfw-id:x1\n");
    auto c = sdp::findControlMedia(s);
    REQUIRE(c.ok());
    CHECK(c->index == 1);
    CHECK(c->transport == sdp::ControlTransport::Tls);
    CHECK(c->address.address == "192.0.2.99");
    CHECK(c->setup == sdp::Setup::Active);             // RFC 4145 default
    CHECK(c->connection == sdp::ConnectionMode::New);  // RFC 4145 default
}

TEST_CASE("sdp: findControlMedia refuses what is not exactly one usable control m-line",
          "[sdp][cfw]") {
    requireRefused(kHead + "m=audio 4000 RTP/AVP 0\n", "no control m-line");
    requireRefused(kHead + "m=application 9 TCP/BFCP *\n", "no control m-line");
    requireRefused(kHead +
                       "m=application 5000 TCP cfw\na=setup:active\na=cfw-id:a\n"
                       "m=application 5001 TCP cfw\na=setup:active\na=cfw-id:b\n",
                   "more than one");
    requireRefused(kHead + "m=application 5000 UDP cfw\na=cfw-id:a\n", "transport");
    requireRefused(kHead + "m=application 5000 TCP/MSRP cfw\na=cfw-id:a\n", "transport");
    requireRefused(kHead + "m=application 5000 TCP cfw\na=setup:active\n", "cfw-id");
    requireRefused(kHead + "m=application 0 TCP cfw\na=cfw-id:a\n", "port 0");
    requireRefused(kHead + "m=application 5000 TCP cfw\na=setup:both\na=cfw-id:a\n", "a=setup");
    requireRefused(kHead + "m=application 5000 TCP cfw\na=connection:old\na=cfw-id:a\n",
                   "a=connection");
}

TEST_CASE("sdp: makeControlOffer prints the COMEDIA lines", "[sdp][cfw]") {
    sdp::ControlOfferParams p;
    p.origin.username = "as";
    p.origin.sessionId = 42;
    p.origin.version = 1;
    p.origin.address = "192.0.2.10";
    p.address = sdp::Connection{sdp::AddrType::IP4, "192.0.2.10", 0, 1};
    p.port = 40000;
    p.cfwId = "abc123";
    const std::string out = sdp::print(sdp::makeControlOffer(p));
    CHECK(out ==
          "v=0\r\n"
          "o=as 42 1 IN IP4 192.0.2.10\r\n"
          "s=-\r\n"
          "c=IN IP4 192.0.2.10\r\n"
          "t=0 0\r\n"
          "m=application 40000 TCP cfw\r\n"
          "a=connection:new\r\n"
          "a=setup:active\r\n"
          "a=cfw-id:abc123\r\n");

    p.transport = sdp::ControlTransport::Tls;
    p.connection = sdp::ConnectionMode::Existing;
    auto back = sdp::parse(sdp::print(sdp::makeControlOffer(p)));
    REQUIRE(back.ok());
    auto c = sdp::findControlMedia(back.value());
    REQUIRE(c.ok());
    CHECK(c->transport == sdp::ControlTransport::Tls);
    CHECK(c->connection == sdp::ConnectionMode::Existing);
    CHECK(c->port == 40000);
    CHECK(c->cfwId == "abc123");
}

TEST_CASE("sdp: makeControlAnswer answers setup, echoes connection, uses its own cfw-id",
          "[sdp][cfw]") {
    struct Row {
        const char* offered;
        sdp::Setup answered;
    };
    const Row rows[] = {{"active", sdp::Setup::Passive},
                        {"passive", sdp::Setup::Active},
                        {"actpass", sdp::Setup::Passive},
                        {"holdconn", sdp::Setup::HoldConn}};
    for (const auto& row : rows) {
        INFO(row.offered);
        auto offer = parseOk(kHead + "m=application 5000 TCP cfw\na=connection:existing\na=setup:" +
                             row.offered + "\na=cfw-id:as-id\n");
        auto answer = sdp::makeControlAnswer(offer, msSide());
        REQUIRE(answer.ok());
        auto back = sdp::parse(sdp::print(answer.value()));
        REQUIRE(back.ok());
        CHECK(back.value() == answer.value());
        auto c = sdp::findControlMedia(back.value());
        REQUIRE(c.ok());
        CHECK(c->setup == row.answered);
        CHECK(c->connection == sdp::ConnectionMode::Existing);
        CHECK(c->cfwId == "ms-side-id");
        CHECK(c->port == 7563);
        CHECK(c->address.address == "192.0.2.20");
    }
}

TEST_CASE("sdp: makeControlAnswer keeps m-line order and rejects the others", "[sdp][cfw]") {
    auto offer = parseOk(kHead +
                         "m=audio 4000 RTP/AVP 0\n"
                         "m=application 5000 TCP cfw\na=cfw-id:as-id\n"
                         "m=video 4002 RTP/AVP 31\n");
    auto p = msSide();
    p.whenActPass = sdp::Setup::Active;
    auto answer = sdp::makeControlAnswer(offer, p);
    REQUIRE(answer.ok());
    REQUIRE(answer->media.size() == 3);
    CHECK(answer->media[0].type == "audio");
    CHECK(answer->media[0].port == 0);
    CHECK(answer->media[0].formats == std::vector<std::string>{"0"});
    CHECK(answer->media[1].port == 7563);
    CHECK(answer->media[1].setup == sdp::Setup::Passive);  // offer had no a=setup: active
    CHECK(answer->media[2].type == "video");
    CHECK(answer->media[2].port == 0);
}

TEST_CASE("sdp: makeControlAnswer refuses bad offers and disallowed transports", "[sdp][cfw]") {
    auto noControl = parseOk(kHead + "m=audio 4000 RTP/AVP 0\n");
    auto r = sdp::makeControlAnswer(noControl, msSide());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == sdp::kNotAcceptable);

    auto tls = parseOk(kHead + "m=application 5000 TCP/TLS cfw\na=cfw-id:x\n");
    auto p = msSide();
    p.allowTls = false;
    auto refused = sdp::makeControlAnswer(tls, p);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == sdp::kNotAcceptable);

    auto tcp = parseOk(kHead + "m=application 5000 TCP cfw\na=cfw-id:x\n");
    p = msSide();
    p.allowTcp = false;
    CHECK_FALSE(sdp::makeControlAnswer(tcp, p).ok());
    CHECK(sdp::makeControlAnswer(tls, p).ok());
}

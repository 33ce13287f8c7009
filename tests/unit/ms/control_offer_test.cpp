#include <catch2/catch.hpp>

#include "ms/sip/control_offer.hpp"
#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"

namespace parley::ms {

namespace sdp = proto::sdp;

namespace {

// The AS's offer as RFC 7058 section 5.1 shows it.
std::string offer(const std::string& setup = "active", const std::string& connection = "new",
                  const std::string& proto = "TCP", const std::string& cfwId = "5feb6486792a") {
    return "v=0\r\no=lminiero 2890844526 2890842807 IN IP4 203.0.113.1\r\ns=MediaCtrl\r\n"
           "c=IN IP4 203.0.113.1\r\nt=0 0\r\nm=application 48035 " +
           proto +
           " cfw\r\n"
           "a=connection:" +
           connection + "\r\na=setup:" + setup + "\r\na=cfw-id:" + cfwId + "\r\n";
}

ControlAnswerSettings settings() {
    ControlAnswerSettings s;
    s.address = "198.51.100.7";
    s.port = 7563;
    s.sessionId = 42;
    return s;
}

}  // namespace

TEST_CASE("ms: answerControlOffer: the COMEDIA answer of RFC 6230 section 4", "[ms][sdp]") {
    auto r = answerControlOffer("application/sdp", offer(), settings(), "ms0cfwid");
    REQUIRE(r);
    CHECK(r->asCfwId == "5feb6486792a");
    auto answer = sdp::parse(r->sdp);
    REQUIRE(answer);
    auto control = sdp::findControlMedia(*answer);
    REQUIRE(control);
    CHECK(control->port == 7563);
    CHECK(control->address.address == "198.51.100.7");
    CHECK(control->setup == sdp::Setup::Passive);
    CHECK(control->connection == sdp::ConnectionMode::New);
    CHECK(control->cfwId == "ms0cfwid");
    CHECK(control->transport == sdp::ControlTransport::Tcp);

    auto actpass = answerControlOffer("application/sdp", offer("actpass"), settings(), "x1");
    REQUIRE(actpass);
    CHECK(actpass->sdp.find("a=setup:passive") != std::string::npos);

    auto v6 = settings();
    v6.address = "2001:db8::7";
    auto r6 = answerControlOffer("application/sdp; charset=utf-8", offer(), v6, "x2");
    REQUIRE(r6);
    CHECK(r6->sdp.find("c=IN IP6 2001:db8::7") != std::string::npos);
}

TEST_CASE("ms: answerControlOffer: refusals and their reasons", "[ms][sdp]") {
    auto code = [](std::string_view type, const std::string& body) {
        auto r = answerControlOffer(type, body, settings(), "mine");
        return r ? 200 : r.error().code;
    };
    CHECK(code("application/sdp", offer("passive")) == 488);
    CHECK(code("application/sdp", offer("holdconn")) == 488);
    CHECK(code("application/sdp", offer("active", "existing")) == 488);
    CHECK(code("application/sdp", offer("active", "new", "TCP/TLS")) == 488);
    CHECK(code("application/sdp", offer().substr(0, offer().find("a=cfw-id"))) == 488);
    CHECK(code("application/sdp", "not sdp at all") == 488);
    CHECK(code("text/plain", offer()) == 415);

    std::string twoLines = offer() + "m=application 48036 TCP cfw\r\na=cfw-id:other\r\n";
    CHECK(code("application/sdp", twoLines) == 488);

    auto media = answerControlOffer("application/sdp",
                                    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
                                    "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
                                    settings(), "mine");
    REQUIRE_FALSE(media);
    CHECK(media.error().code == 488);
    CHECK(media.error().message == "not a control-channel offer");
    auto offerless = answerControlOffer("", "", settings(), "mine");
    REQUIRE_FALSE(offerless);
    CHECK(offerless.error().message == "not a control-channel offer");

    auto passive = answerControlOffer("application/sdp", offer("passive"), settings(), "mine");
    REQUIRE_FALSE(passive);
    CHECK(passive.error().message.find("setup:passive") != std::string::npos);
}

TEST_CASE("ms: warningValue quotes the reason safely", "[ms][sdp]") {
    CHECK(warningValue("parley-ms", "plain") == "399 parley-ms \"plain\"");
    CHECK(warningValue("h", "a \"b\" \\ c\r\nd") == "399 h \"a \\\"b\\\" \\\\ c  d\"");
}

}  // namespace parley::ms

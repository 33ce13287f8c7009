#include <catch2/catch.hpp>

#include "proto/sip/dialog.hpp"
#include "proto/sip/sip_types.hpp"

using namespace parley::proto::sip;

TEST_CASE("sip: renderHeaders renders name-value lines", "[sip]") {
    auto r = renderHeaders({{"X-Parley", "a b"}, {"P-Asserted-Identity", "<sip:a@b>"}});
    REQUIRE(r.ok());
    CHECK(*r == "X-Parley: a b\r\nP-Asserted-Identity: <sip:a@b>\r\n");
    auto empty = renderHeaders({});
    REQUIRE(empty.ok());
    CHECK(empty->empty());
}

TEST_CASE("sip: renderHeaders refuses header injection", "[sip]") {
    CHECK(renderHeaders({{"X-A", "v\r\nBYE sip:x SIP/2.0"}}).error().code == 400);
    CHECK(renderHeaders({{"X-A", "v\nw"}}).error().code == 400);
    CHECK(renderHeaders({{"X A", "v"}}).error().code == 400);
    CHECK(renderHeaders({{"X:A", "v"}}).error().code == 400);
    CHECK(renderHeaders({{"", "v"}}).error().code == 400);
    CHECK(renderHeaders({{"X-A", std::string("a\0b", 3)}}).error().code == 400);
}

TEST_CASE("sip: SipMessage::header looks up other headers without case", "[sip]") {
    SipMessage m;
    m.otherHeaders = {{"X-Parley-Test", "one"}, {"x-parley-test", "two"}, {"P-Other", "p"}};
    CHECK(m.header("x-PARLEY-test") == "one");
    CHECK(m.header("P-Other") == "p");
    CHECK(m.header("Missing").empty());
}

TEST_CASE("sip: dialog state names", "[sip]") {
    CHECK(std::string(dialogStateName(DialogState::Calling)) == "calling");
    CHECK(std::string(dialogStateName(DialogState::Early)) == "early");
    CHECK(std::string(dialogStateName(DialogState::Completing)) == "completing");
    CHECK(std::string(dialogStateName(DialogState::Completed)) == "completed");
    CHECK(std::string(dialogStateName(DialogState::Ready)) == "ready");
    CHECK(std::string(dialogStateName(DialogState::Terminating)) == "terminating");
    CHECK(std::string(dialogStateName(DialogState::Terminated)) == "terminated");
}

TEST_CASE("sip: uriUser gives the user part without its parameters", "[sip]") {
    using parley::proto::sip::uriUser;
    CHECK(uriUser("sip:r1@127.0.0.1:5060;transport=udp") == "r1");
    CHECK(uriUser("sips:conf;x=1@example.com") == "conf");
    CHECK(uriUser("sip:example.com") == "");
    CHECK(uriUser("no-scheme") == "");
    CHECK(uriUser("sip:@host") == "");
}

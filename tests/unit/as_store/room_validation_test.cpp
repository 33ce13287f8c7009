// validateRoom (every field rule, messages naming the field), uriMatches and roomAdmits.

#include <catch2/catch.hpp>

#include <string>

#include "as/store/room_store.hpp"

namespace {

using parley::as::roomAdmits;
using parley::as::RoomConfig;
using parley::as::uriMatches;
using parley::as::validateRoom;

RoomConfig validRoom() {
    RoomConfig r;
    r.name = "r1";
    r.displayName = "Room 1";
    r.pin = "1234";
    r.moderatorPin = "9999";
    r.maxParticipants = 10;
    r.allow = {"sip:*@127.0.0.1"};
    r.deny = {"sip:mallory@*"};
    return r;
}

// The error message of validating `r`, "" when valid.
std::string problem(const RoomConfig& r) {
    auto ok = validateRoom(r);
    if (ok) return "";
    CHECK(ok.error().code == 400);
    return ok.error().message;
}

}  // namespace

TEST_CASE("as store: a complete valid room passes, and so does a bare name", "[as][store]") {
    CHECK(problem(validRoom()).empty());
    RoomConfig bare;
    bare.name = "a";
    CHECK(problem(bare).empty());
}

TEST_CASE("as store: name rules", "[as][store]") {
    RoomConfig r = validRoom();
    r.name = "";
    CHECK(problem(r) == "name: missing");
    r.name = std::string(64, 'x');
    CHECK(problem(r).empty());
    r.name = std::string(65, 'x');
    CHECK_THAT(problem(r), Catch::StartsWith("name: at most 64"));
    r.name = "Az09._~-";
    CHECK(problem(r).empty());
    for (std::string bad : {"a b", "a@b", "a/b", "a:b", "caf\xc3\xa9", "a;b", "a%20"}) {
        r.name = bad;
        CHECK_THAT(problem(r), Catch::StartsWith("name: "));
    }
    r.name = "ro om";
    CHECK(problem(r) == "name: \\x20 at position 3 is not one of A-Z a-z 0-9 . _ ~ -");
}

TEST_CASE("as store: displayName rules", "[as][store]") {
    RoomConfig r = validRoom();
    r.displayName = "";
    CHECK(problem(r).empty());
    r.displayName = "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5";
    CHECK(problem(r).empty());
    r.displayName = std::string(256, 'd');
    CHECK(problem(r).empty());
    r.displayName = std::string(257, 'd');
    CHECK_THAT(problem(r), Catch::StartsWith("displayName: at most 256 bytes"));
    r.displayName = "tab\there";
    CHECK_THAT(problem(r), Catch::StartsWith("displayName: control character"));
    r.displayName = "bad \xc3(";
    CHECK_THAT(problem(r), Catch::StartsWith("displayName: not valid UTF-8"));
    r.displayName = "overlong \xc0\xaf";
    CHECK_THAT(problem(r), Catch::StartsWith("displayName: not valid UTF-8"));
    r.displayName = "surrogate \xed\xa0\x80";
    CHECK_THAT(problem(r), Catch::StartsWith("displayName: not valid UTF-8"));
    r.displayName = "cut \xe2\x82";
    CHECK_THAT(problem(r), Catch::StartsWith("displayName: not valid UTF-8"));
}

TEST_CASE("as store: pin and moderatorPin rules", "[as][store]") {
    RoomConfig r = validRoom();
    r.pin = "";
    r.moderatorPin = "";
    CHECK(problem(r).empty());
    r.pin = "0";
    CHECK(problem(r).empty());
    r.pin = std::string(16, '7');
    CHECK(problem(r).empty());
    r.pin = std::string(17, '7');
    CHECK(problem(r) == "pin: at most 16 digits, got 17");
    r.pin = "12a4";
    CHECK(problem(r) == "pin: only digits 0-9, got 'a' at position 3");
    for (std::string bad : {"*123", "12#", " 12", "１２"}) {
        r.pin = bad;
        CHECK_THAT(problem(r), Catch::StartsWith("pin: "));
    }
    r.pin = "1234";
    r.moderatorPin = "12345678901234567";
    CHECK(problem(r) == "moderatorPin: at most 16 digits, got 17");
    r.moderatorPin = "99x";
    CHECK_THAT(problem(r), Catch::StartsWith("moderatorPin: only digits"));
    r.moderatorPin = "1234";
    CHECK(problem(r) == "moderatorPin: must differ from pin");
    r.pin = "";
    r.moderatorPin = "4321";
    CHECK(problem(r).empty());  // a moderator PIN alone is allowed
}

TEST_CASE("as store: maxParticipants and the flags take any value", "[as][store]") {
    RoomConfig r = validRoom();
    r.maxParticipants = 0;
    CHECK(problem(r).empty());
    r.maxParticipants = 0xffffffffu;
    r.locked = r.waitForModerator = r.endWhenModeratorLeaves = r.muteOnJoin = true;
    r.announceJoinLeave = r.recordNames = r.adHoc = true;
    CHECK(problem(r).empty());
}

TEST_CASE("as store: allow and deny pattern rules", "[as][store]") {
    RoomConfig r = validRoom();
    r.allow = {"sip:*@example.com", "*", "tel:+1555*"};
    CHECK(problem(r).empty());
    r.allow = {"sip:a@b", ""};
    CHECK(problem(r) == "allow[1]: empty pattern");
    r.allow = {"sip:a b@c"};
    CHECK(problem(r) == "allow[0]: \\x20 at position 6 cannot be part of a URI pattern");
    r.allow = {"<sip:a@b>"};
    CHECK_THAT(problem(r), Catch::StartsWith("allow[0]: '<'"));
    r.allow = {std::string(parley::as::kMaxPatternLength, 'a')};
    CHECK(problem(r).empty());
    r.allow = {std::string(parley::as::kMaxPatternLength + 1, 'a')};
    CHECK_THAT(problem(r), Catch::StartsWith("allow[0]: at most 256 characters"));
    r.allow = std::vector<std::string>(parley::as::kMaxPatterns + 1, "*");
    CHECK_THAT(problem(r), Catch::StartsWith("allow: at most 256 patterns"));
    r.allow = {};
    r.deny = {"sip:x@y", "sip:\x01@y"};
    CHECK_THAT(problem(r), Catch::StartsWith("deny[1]: \\x01 at position 5"));
}

TEST_CASE("as store: uriMatches wildcards", "[as][store]") {
    CHECK(uriMatches("sip:alice@example.com", "sip:alice@example.com"));
    CHECK_FALSE(uriMatches("sip:alice@example.com", "sip:alice@example.org"));
    CHECK_FALSE(uriMatches("sip:alice@example.com", "sip:alice@example.com.evil"));
    CHECK(uriMatches("*", "sip:anyone@anywhere"));
    CHECK(uriMatches("*", ""));
    CHECK(uriMatches("", ""));
    CHECK_FALSE(uriMatches("", "sip:a@b"));
    CHECK(uriMatches("sip:*@127.0.0.1", "sip:bob@127.0.0.1"));
    CHECK(uriMatches("sip:*@127.0.0.1", "sip:@127.0.0.1"));  // '*' matches the empty run too
    CHECK_FALSE(uriMatches("sip:*@127.0.0.1", "sip:bob@127.0.0.10"));
    CHECK(uriMatches("sip:*@127.0.0.1*", "sip:bob@127.0.0.1:5062;transport=tcp"));
    CHECK(uriMatches("sip:*@*.example.com", "sip:carol@pbx.example.com"));
    CHECK_FALSE(uriMatches("sip:*@*.example.com", "sip:carol@example.com"));
    CHECK(uriMatches("sip:a*b*c@h", "sip:axxbyybzc@h"));
    CHECK_FALSE(uriMatches("sip:a*b*c@h", "sip:axxcyyb@h"));
    CHECK(uriMatches("**", "x"));
    CHECK_FALSE(uriMatches("sip:*@h", "sips:a@h"));
    CHECK(uriMatches("tel:+1555*", "tel:+15551234"));
}

TEST_CASE("as store: uriMatches ignores case in scheme and host only", "[as][store]") {
    CHECK(uriMatches("sip:alice@example.com", "SIP:alice@EXAMPLE.Com"));
    CHECK(uriMatches("SIP:alice@Example.COM", "sip:alice@example.com"));
    CHECK_FALSE(uriMatches("sip:alice@example.com", "sip:Alice@example.com"));
    CHECK_FALSE(uriMatches("sip:ALICE@example.com", "sip:alice@example.com"));
    // A '*' that spans user and host: the user's letters still compare exactly.
    CHECK(uriMatches("sip:Alice*", "sip:Alice@Host"));
    CHECK_FALSE(uriMatches("sip:alice*", "sip:Alice@Host"));
    CHECK(uriMatches("sip:*@HOST*", "sip:x@host:5060;Transport=TCP"));
    // Parameters after the host are not part of it.
    CHECK_FALSE(uriMatches("sip:x@h;transport=tcp", "sip:x@h;TRANSPORT=tcp"));
    // Host without a user part, IPv6 references.
    CHECK(uriMatches("sip:EXAMPLE.com", "sip:example.com"));
    CHECK(uriMatches("sip:*@[2001:DB8::1]*", "sip:u@[2001:db8::1]:5060"));
    // An '@' inside a user part that is escaped does not move the host.
    CHECK(uriMatches("sip:a%40b@H", "sip:a%40b@h"));
}

TEST_CASE("as store: uriMatches survives hostile input", "[as][store]") {
    std::string longUri = "sip:" + std::string(20000, 'a') + "@h";
    CHECK(uriMatches("sip:*a*a*a*a*a*a*a*a*@h", longUri));
    CHECK_FALSE(uriMatches("sip:*a*a*a*a*a*a*a*a*@x", longUri));
    for (std::string odd : {std::string(":"), std::string("@"), std::string("@@@"),
                            std::string("sip:"), std::string("[", 1), std::string("sip:u@["),
                            std::string("\0\xff", 2), std::string("1ab:x@y")}) {
        CHECK_FALSE(uriMatches("sip:nobody@nowhere", odd));
        CHECK(uriMatches("*", odd));
    }
}

TEST_CASE("as store: roomAdmits checks deny before allow", "[as][store]") {
    RoomConfig r;
    r.name = "r";
    CHECK(roomAdmits(r, "sip:anyone@anywhere"));
    r.allow = {"sip:*@example.com"};
    CHECK(roomAdmits(r, "sip:bob@example.com"));
    CHECK_FALSE(roomAdmits(r, "sip:bob@example.org"));
    r.deny = {"sip:mallory@*"};
    CHECK_FALSE(roomAdmits(r, "sip:mallory@example.com"));
    CHECK(roomAdmits(r, "sip:bob@example.com"));
    r.allow.clear();
    CHECK_FALSE(roomAdmits(r, "sip:mallory@example.org"));
    CHECK(roomAdmits(r, "sip:bob@example.org"));
}

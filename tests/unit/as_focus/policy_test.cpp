// The focus's admission rules: order, answers, PIN decisions.

#include <catch2/catch.hpp>

#include "as/focus/policy.hpp"

using parley::as::admit;
using parley::as::AdmissionRequest;
using parley::as::isModeratorPin;
using parley::as::isParticipantPin;
using parley::as::RoomConfig;

namespace {

RoomConfig room() {
    RoomConfig r;
    r.name = "r1";
    return r;
}

}  // namespace

TEST_CASE("as focus policy: an open room admits anyone without a PIN", "[as][focus]") {
    auto a = admit(room(), {"sip:alice@example.com", 5, false});
    CHECK(a.admitted());
    CHECK_FALSE(a.needPin);
}

TEST_CASE("as focus policy: deny comes before allow, then lock, then full", "[as][focus]") {
    RoomConfig r = room();
    r.deny = {"sip:mallory@*"};
    r.allow = {"sip:*@example.com"};
    r.locked = true;
    r.maxParticipants = 2;

    auto denied = admit(r, {"sip:mallory@example.com", 0, false});
    CHECK(denied.status == 403);
    CHECK(denied.rule == "deny");

    auto outsider = admit(r, {"sip:bob@elsewhere.org", 0, false});
    CHECK(outsider.status == 403);
    CHECK(outsider.rule == "allow");

    auto locked = admit(r, {"sip:alice@example.com", 0, false});
    CHECK(locked.status == 403);
    CHECK(locked.rule == "locked");
    CHECK(locked.reason == "Conference locked");

    r.locked = false;
    auto full = admit(r, {"sip:alice@example.com", 2, false});
    CHECK(full.status == 486);
    CHECK(full.rule == "full");
    CHECK(admit(r, {"sip:alice@example.com", 1, false}).admitted());
}

TEST_CASE("as focus policy: invited participants skip the lock and the PIN but not the limit", "[as][focus]") {
    RoomConfig r = room();
    r.locked = true;
    r.pin = "1234";
    r.maxParticipants = 1;
    auto in = admit(r, {"sip:carol@example.com", 0, true});
    CHECK(in.admitted());
    CHECK_FALSE(in.needPin);
    CHECK(admit(r, {"sip:carol@example.com", 1, true}).status == 486);
}

TEST_CASE("as focus policy: PIN and moderator PIN decisions", "[as][focus]") {
    RoomConfig r = room();
    r.pin = "1234";
    r.moderatorPin = "9999";
    CHECK(admit(r, {"sip:a@h", 0, false}).needPin);
    CHECK(isParticipantPin(r, "1234"));
    CHECK_FALSE(isParticipantPin(r, "4321"));
    CHECK_FALSE(isParticipantPin(r, ""));
    CHECK(isModeratorPin(r, "9999"));
    CHECK_FALSE(isModeratorPin(r, "1234"));

    RoomConfig onlyModerator = room();
    onlyModerator.moderatorPin = "77";
    CHECK(admit(onlyModerator, {"sip:a@h", 0, false}).needPin);
    CHECK(isParticipantPin(onlyModerator, ""));  // anything but the moderator PIN: participant
    CHECK(isModeratorPin(onlyModerator, "77"));

    RoomConfig none = room();
    CHECK_FALSE(isModeratorPin(none, ""));
}

TEST_CASE("as focus policy: patterns name people, not ports or parameters", "[as][focus]") {
    CHECK(parley::as::callerIdentity("sip:alice@example.com:5062;transport=tcp") == "sip:alice@example.com");
    CHECK(parley::as::callerIdentity("sip:[::1]:5060") == "sip:[::1]");
    CHECK(parley::as::callerIdentity("sip:example.com") == "sip:example.com");
    RoomConfig r = room();
    r.allow = {"sip:*@example.com"};
    r.deny = {"sip:mallory@example.com"};
    CHECK(admit(r, {"sip:alice@example.com:5062;transport=tcp", 0, false}).admitted());
    CHECK(admit(r, {"sip:mallory@example.com:5099", 0, false}).rule == "deny");
    CHECK(admit(r, {"sip:alice@example.org:5062", 0, false}).rule == "allow");
}

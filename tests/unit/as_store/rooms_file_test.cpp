// The JSON rooms file: the documented example, defaults, and every refusal naming its place.

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "as/store/rooms_file.hpp"
#include "tests/support/process.hpp"

namespace {

using parley::as::parseRooms;
using parley::as::RoomConfig;

// The message parseRooms gives for `json`; fails the test when it parses.
std::string refusal(const std::string& json) {
    auto rooms = parseRooms(json);
    INFO(json);
    REQUIRE_FALSE(rooms);
    CHECK(rooms.error().code == 400);
    return rooms.error().message;
}

const char* kExample =
    R"({"rooms":[{"name":"r1","displayName":"Room 1","pin":"1234","moderatorPin":"9999",
  "maxParticipants":10,"locked":false,"waitForModerator":false,"endWhenModeratorLeaves":false,
  "muteOnJoin":false,"announceJoinLeave":false,"recordNames":false,
  "allow":["sip:*@127.0.0.1"],"deny":[]}]})";

}  // namespace

TEST_CASE("as store: the documented rooms file parses", "[as][store]") {
    auto rooms = parseRooms(kExample);
    INFO((rooms ? std::string() : rooms.error().message));
    REQUIRE(rooms);
    REQUIRE(rooms->size() == 1);
    RoomConfig expected;
    expected.name = "r1";
    expected.displayName = "Room 1";
    expected.pin = "1234";
    expected.moderatorPin = "9999";
    expected.maxParticipants = 10;
    expected.allow = {"sip:*@127.0.0.1"};
    CHECK(rooms->front() == expected);
}

TEST_CASE("as store: rooms file keys are optional but name, and true flags are read",
          "[as][store]") {
    auto rooms = parseRooms(R"({"rooms": [
        {"name": "plain"},
        {"name": "flags", "locked": true, "waitForModerator": true, "endWhenModeratorLeaves": true,
         "muteOnJoin": true, "announceJoinLeave": true, "recordNames": true,
         "maxParticipants": 4294967295, "deny": ["sip:x@*", "sip:y@*"],
         "displayName": "Caf\u00e9"}]})");
    INFO((rooms ? std::string() : rooms.error().message));
    REQUIRE(rooms);
    REQUIRE(rooms->size() == 2);
    RoomConfig plain;
    plain.name = "plain";
    CHECK((*rooms)[0] == plain);
    const RoomConfig& f = (*rooms)[1];
    CHECK(f.locked);
    CHECK(f.waitForModerator);
    CHECK(f.endWhenModeratorLeaves);
    CHECK(f.muteOnJoin);
    CHECK(f.announceJoinLeave);
    CHECK(f.recordNames);
    CHECK_FALSE(f.adHoc);
    CHECK(f.maxParticipants == 4294967295u);
    CHECK(f.deny == std::vector<std::string>{"sip:x@*", "sip:y@*"});
    CHECK(f.displayName == "Caf\xc3\xa9");

    auto none = parseRooms(R"({"rooms": []})");
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("as store: rooms file with bad JSON is refused", "[as][store]") {
    CHECK_THAT(refusal(""), Catch::StartsWith("invalid JSON"));
    CHECK_THAT(refusal(R"({"rooms": [{"name": "r1",}]})"), Catch::StartsWith("invalid JSON"));
    CHECK_THAT(refusal(R"({"rooms": [{"name": "r1"})"), Catch::StartsWith("invalid JSON"));
    CHECK_THAT(refusal("{\"rooms\": [] // comment\n}"), Catch::StartsWith("invalid JSON"));
    CHECK_THAT(refusal(std::string(200, '[') + std::string(200, ']')),
               Catch::StartsWith("invalid JSON"));
    static const char kNul[] = "{\"rooms\": [{\"name\": \"a\0b\"}]}";
    CHECK_THAT(refusal(std::string(kNul, sizeof kNul - 1)),
               Catch::StartsWith("invalid JSON") || Catch::StartsWith("rooms[0].name"));
}

TEST_CASE("as store: rooms file unknown keys are refused by name", "[as][store]") {
    CHECK_THAT(refusal(R"({"rooms": [], "extra": 1})"), Catch::StartsWith("unknown key 'extra'"));
    CHECK_THAT(refusal(R"({"rooms": [{"name": "r1"}, {"name": "r2", "pni": "1234"}]})"),
               Catch::StartsWith("rooms[1]: unknown key 'pni' (known: name displayName"));
    CHECK_THAT(refusal(R"({"rooms": [{"name": "r1", "adHoc": true, "colour": "red"}]})"),
               Catch::StartsWith("rooms[0]: unknown keys 'adHoc', 'colour'"));
}

TEST_CASE("as store: rooms file values of the wrong type are refused by field", "[as][store]") {
    CHECK(refusal(R"([])") == "the document: must be an object {\"rooms\": [...]}, not an array");
    CHECK(refusal(R"({})") == "rooms: missing");
    CHECK(refusal(R"({"rooms": {}})") == "rooms: must be an array, not an object");
    CHECK(refusal(R"({"rooms": ["r1"]})") == "rooms[0]: must be an object, not a string");
    CHECK(refusal(R"({"rooms": [{"displayName": "x"}]})") == "rooms[0].name: missing");
    CHECK(refusal(R"({"rooms": [{"name": 7}]})") ==
          "rooms[0].name: must be a string, not a number");
    CHECK(refusal(R"({"rooms": [{"name": "r", "pin": 1234}]})") ==
          "rooms[0].pin: must be a string, not a number");
    CHECK(refusal(R"({"rooms": [{"name": "r", "displayName": null}]})") ==
          "rooms[0].displayName: must be a string, not null");
    CHECK(refusal(R"({"rooms": [{"name": "r", "locked": "yes"}]})") ==
          "rooms[0].locked: must be true or false, not a string");
    CHECK(refusal(R"({"rooms": [{"name": "r", "muteOnJoin": 1}]})") ==
          "rooms[0].muteOnJoin: must be true or false, not a number");
    CHECK(refusal(R"({"rooms": [{"name": "r", "maxParticipants": "10"}]})") ==
          "rooms[0].maxParticipants: must be a whole number 0..4294967295, not a string");
    CHECK(refusal(R"({"rooms": [{"name": "r", "maxParticipants": 2.5}]})") ==
          "rooms[0].maxParticipants: must be a whole number 0..4294967295, not a number");
    CHECK(refusal(R"({"rooms": [{"name": "r", "maxParticipants": -1}]})") ==
          "rooms[0].maxParticipants: must be 0..4294967295, got -1");
    CHECK(refusal(R"({"rooms": [{"name": "r", "maxParticipants": 4294967296}]})") ==
          "rooms[0].maxParticipants: must be 0..4294967295, got 4294967296");
    CHECK(refusal(R"({"rooms": [{"name": "r", "allow": "sip:*"}]})") ==
          "rooms[0].allow: must be an array of strings, not a string");
    CHECK(refusal(R"({"rooms": [{"name": "r", "deny": ["sip:a@b", false]}]})") ==
          "rooms[0].deny[1]: must be a string, not a boolean");
}

TEST_CASE("as store: rooms file duplicates are refused", "[as][store]") {
    CHECK(refusal(R"({"rooms": [{"name": "r1"}, {"name": "r2"}, {"name": "r1"}]})") ==
          "rooms[2].name: 'r1' already used by rooms[0]");
    CHECK(refusal(R"({"rooms": [{"name": "r1"}, {"name": "r2", "pin": "1", "pin": "2"}]})") ==
          "rooms[1]: key 'pin' given twice");
    CHECK(refusal(R"({"rooms": [], "rooms": []})") == "key 'rooms' given twice");
    CHECK(refusal(R"({"rooms": [{"name": "r1", "allow": [{"a": 1, "a": 2}]}]})") ==
          "rooms[0].allow[0]: key 'a' given twice");
}

TEST_CASE("as store: rooms file invalid rooms are refused by field", "[as][store]") {
    CHECK(refusal(R"({"rooms": [{"name": "r1"}, {"name": "r2", "pin": "12ab"}]})") ==
          "rooms[1].pin: only digits 0-9, got 'a' at position 3");
    CHECK(refusal(R"({"rooms": [{"name": "r1", "pin": "12345678901234567"}]})") ==
          "rooms[0].pin: at most 16 digits, got 17");
    CHECK(refusal(R"({"rooms": [{"name": "r1", "pin": "1", "moderatorPin": "1"}]})") ==
          "rooms[0].moderatorPin: must differ from pin");
    CHECK_THAT(refusal(R"({"rooms": [{"name": "bad name"}]})"),
               Catch::StartsWith("rooms[0].name: "));
    CHECK(refusal(R"({"rooms": [{"name": "r1", "allow": ["sip:*", ""]}]})") ==
          "rooms[0].allow[1]: empty pattern");
}

TEST_CASE("as store: loadRoomsFile reads a file and names it in errors", "[as][store]") {
    parley::test::TempDir dir("as-rooms");
    const auto good = dir.path() / "rooms.json";
    { std::ofstream(good) << kExample; }
    auto rooms = parley::as::loadRoomsFile(good);
    REQUIRE(rooms);
    CHECK(rooms->size() == 1);

    const auto bad = dir.path() / "bad.json";
    { std::ofstream(bad) << R"({"rooms": [{"name": "r1", "pin": "x"}]})"; }
    auto refused = parley::as::loadRoomsFile(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 400);
    CHECK(refused.error().message ==
          "rooms file " + bad.string() + ": rooms[0].pin: only digits 0-9, got 'x' at position 1");

    auto missing = parley::as::loadRoomsFile(dir.path() / "absent.json");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == 500);
    CHECK_THAT(missing.error().message, Catch::Contains("absent.json"));

    auto directory = parley::as::loadRoomsFile(dir.path());
    REQUIRE_FALSE(directory);
    CHECK(directory.error().code == 500);
}

TEST_CASE("as store: rooms document size is bounded", "[as][store]") {
    std::string huge =
        R"({"rooms": [], "pad": ")" + std::string(parley::as::kMaxRoomsDocument, 'x') + "\"}";
    CHECK_THAT(refusal(huge), Catch::StartsWith("rooms document of"));
}

#pragma once
// The JSON rooms file of parley-as (--rooms FILE), imported into the RoomStore at start:
//
//   {"rooms": [{"name": "r1", "displayName": "Room 1", "pin": "1234", "moderatorPin": "9999",
//               "maxParticipants": 10, "locked": false, "waitForModerator": false,
//               "endWhenModeratorLeaves": false, "muteOnJoin": false,
//               "announceJoinLeave": false, "recordNames": false,
//               "allow": ["sip:*@127.0.0.1"], "deny": [], "recordFromStart": false,
//               "eventsUrl": "https://app.example.com/events"}],
//    "routes": [{"id": "support", "match": "support", "kind": "webhook",
//                "target": "https://app.example.com/call", "eventsUrl": "", "priority": 100,
//                "fallbackPrompt": "file:///var/lib/parley/prompts/sorry.wav"}]}
//
// "rooms" is required, "routes" optional. Every room key but "name" is optional
// (RoomConfig's defaults); routes need "id", "match", "kind" ("room" | "app" | "webhook")
// and "target" (RouteConfig, validateRoute). The whole document or nothing:
// bad JSON, a key given twice in one object, an unknown key, a value of the wrong type, two
// rooms with one name (routes with one id) or a room or route that fails validation make
// it fail with Error{400, ...}
// whose message names the place: "rooms[2].pin: at most 16 digits, got 17". The same parser
// may take documents from the network (REST); it never throws and refuses documents larger
// than kMaxRoomsDocument bytes or nested deeper than a rooms file needs.

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

#include "as/store/room_store.hpp"
#include "common/result.hpp"

namespace parley::as {

inline constexpr std::size_t kMaxRoomsDocument = 16 * 1024 * 1024;

struct RoomsDocument {
    std::vector<RoomConfig> rooms;
    std::vector<RouteConfig> routes;
};

// Errors: 400 for the content (message prefixed with the path), 500 when the file cannot
// be read.
common::Result<RoomsDocument> loadRoomsDocument(const std::filesystem::path& path);
common::Result<RoomsDocument> parseRoomsDocument(std::string_view json);
// The same, rooms only (the routes are still checked).
common::Result<std::vector<RoomConfig>> loadRoomsFile(const std::filesystem::path& path);
common::Result<std::vector<RoomConfig>> parseRooms(std::string_view json);

}  // namespace parley::as

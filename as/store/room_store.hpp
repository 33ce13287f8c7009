#pragma once
// The room store of parley-as: conference rooms (RoomConfig), their validation, and their
// persistence in a database.
//
// Contract:
// - validateRoom() checks every rule written next to the RoomConfig fields. Its errors are
//   Error{400, "<field>: <what is wrong>"} where <field> is the rooms-file / REST key
//   ("pin", "allow[2]", ...), so a caller can prefix its own context ("rooms[3].").
// - uriMatches() decides allow/deny patterns against a caller's URI; it takes network
//   input and never throws.
// - RoomStore keeps rooms in SQLite ("sqlite:PATH", "sqlite::memory:") through Poco::Data.
//   open() creates the file and the schema when missing and migrates older schemas forward
//   (table schema_version, one row); a database written by a newer parley-as is refused.
//   WAL journal, busy timeout 2 s. Every failure is a Result (Error{500, ...} for database
//   trouble, Error{400, ...} for an invalid room); nothing throws out.
// - Threads: a RoomStore is used from the parley-as event loop thread only (it is not
//   locked). Queries are single-row or small lists, fast enough to run on the loop.
// - Ad hoc rooms (adHoc, made by the conference factory) live in the focus only: put()
//   refuses them with 400.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace parley::as {

struct RoomConfig {
    std::string name;                   // the user part of the room URI: [A-Za-z0-9._~-]{1,64}
    std::string displayName;            // at most 256 bytes, no control characters
    std::string pin;                    // "" none; else 1..16 DTMF digits 0-9
    std::string moderatorPin;           // "" none; same rule, differs from pin
    std::uint32_t maxParticipants = 0;  // 0: unlimited (the focus has its own global cap)
    bool locked = false;
    bool waitForModerator = false;
    bool endWhenModeratorLeaves = false;
    bool muteOnJoin = false;
    bool announceJoinLeave = false;
    bool recordNames = false;        // roll call: ask each caller for their name, announce it
    std::vector<std::string> allow;  // URI patterns, '*' wildcard; empty: everyone allowed
    std::vector<std::string> deny;   // checked first
    bool adHoc = false;              // made by the conference factory (RFC 4579), not persisted

    bool operator==(const RoomConfig&) const = default;
};

// Limits on the allow/deny lists: patterns of 1..kMaxPatternLength printable ASCII
// characters without spaces, at most kMaxPatterns in each list.
inline constexpr std::size_t kMaxPatternLength = 256;
inline constexpr std::size_t kMaxPatterns = 256;

// Checks every rule above; Error{400, "pin: ..."}-style messages naming the field.
common::Status validateRoom(const RoomConfig& room);

// '*' matches any run of characters (also empty); other characters match themselves,
// case-insensitively where they fall in the URI's scheme or host, exactly elsewhere.
bool uriMatches(std::string_view pattern, std::string_view uri);

// True when `uri` may enter `room`: not matched by any deny pattern, and matched by an
// allow pattern unless the allow list is empty.
bool roomAdmits(const RoomConfig& room, std::string_view uri);

class RoomStore {
  public:
    // "sqlite:PATH" (":memory:" allowed). Creates the file and the schema when missing;
    // the parent directory must exist. Errors: Error{500, ...} naming the database.
    static common::Result<std::unique_ptr<RoomStore>> open(const std::string& uri);
    ~RoomStore();
    RoomStore(const RoomStore&) = delete;
    RoomStore& operator=(const RoomStore&) = delete;

    // The schema version this binary writes (and the newest it can read).
    static int schemaVersion();

    common::Result<std::optional<RoomConfig>> find(std::string_view name) const;
    common::Result<std::vector<RoomConfig>> list() const;  // ordered by name
    common::Status put(const RoomConfig& room);            // insert or replace; validates (400)
    common::Result<bool> remove(std::string_view name);    // false when absent

    struct Db;  // the connection; defined and used in room_store.cpp only

  private:
    explicit RoomStore(std::unique_ptr<Db> db);
    std::unique_ptr<Db> db_;
};

}  // namespace parley::as

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
// - RoomStore keeps rooms, call routes, call detail records (CDRs) and the recordings index
//   in SQLite ("sqlite:PATH", "sqlite::memory:") or PostgreSQL ("postgresql://user:pass@
//   host:port/db?sslmode=..." or "postgres://..."; host may be a percent-encoded socket
//   directory, or given as ?host=/dir) through Poco::Data; both run the same SQL.
//   open() creates the schema when missing and migrates older schemas forward (table
//   schema_version, one row) inside one transaction; on PostgreSQL that transaction first
//   takes pg_advisory_xact_lock(kMigrationLockKey) so that several parley-as sharing one
//   database migrate it once. A database written by a newer parley-as is refused.
//   SQLite: WAL journal, busy timeout 2 s. Every failure is a Result (Error{500, ...} for
//   database trouble, Error{400, ...} for an invalid record or query); nothing throws out.
//   Error messages never show a PostgreSQL password.
// - Threads: a RoomStore is used from the parley-as event loop thread only (it is not
//   locked). Queries are single-row or small lists, fast enough to run on the loop.
// - Ad hoc rooms (adHoc, made by the conference factory) live in the focus only: put()
//   refuses them with 400.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
    bool recordFromStart = false;    // the focus starts a whole-room recording with the room
    std::string eventsUrl;           // "" none; else an http:// or https:// URL (webhooks)

    bool operator==(const RoomConfig&) const = default;
};

// Limits on the allow/deny lists: patterns of 1..kMaxPatternLength printable ASCII
// characters without spaces, at most kMaxPatterns in each list.
inline constexpr std::size_t kMaxPatternLength = 256;
inline constexpr std::size_t kMaxPatterns = 256;

// Checks every rule above; Error{400, "pin: ..."}-style messages naming the field.
common::Status validateRoom(const RoomConfig& room);

// A webhook or events URL: http:// or https:// (any case), a host, an optional port
// 1..65535, at most kMaxUrlLength bytes of printable ASCII without spaces.
inline constexpr std::size_t kMaxUrlLength = 2048;
bool isHttpUrl(std::string_view url);

// Which incoming calls a route takes and what runs them (webhook-scripted calls).
struct RouteConfig {
    enum class Kind { Room, App, Webhook };

    std::string id;     // [a-z0-9-]{1,64}
    std::string match;  // '*' wildcard; with a ':' a pattern on the request URI (uriMatches),
                        // else on the called user part (exact, '*' any run). 1..256 printable
                        // ASCII characters without spaces.
    Kind kind = Kind::Room;
    std::string target;     // Room: a room name (RoomConfig::name rule); App: a built-in app name
                            // [a-z0-9-]{1,64} (the router knows which exist: "echo", "clock");
                            // Webhook: an http(s) URL (isHttpUrl)
    std::string eventsUrl;  // "" none; else isHttpUrl
    int priority = 100;     // 0..1000000, lower is tried first
    std::string fallbackPrompt;  // "" the default; else a URI (scheme ':' ...), at most 1024
                                 // printable ASCII bytes without spaces, played before hangup
                                 // when the webhook fails

    bool operator==(const RouteConfig&) const = default;
};

// "room", "app", "webhook" and back; kindFromName gives nullopt for anything else.
std::string_view kindName(RouteConfig::Kind kind);
std::optional<RouteConfig::Kind> kindFromName(std::string_view name);

// Error{400, "<field>: ..."} naming the rooms-file / REST key ("target", "priority"...).
common::Status validateRoute(const RouteConfig& route);
// The built-in applications a route of kind app may name (as/apps/call_scripts.hpp): "echo"
// and "clock".
bool isBuiltinApp(std::string_view name);

// True when `route` takes a call to `requestUser` / `requestUri` (see RouteConfig::match).
bool routeMatches(const RouteConfig& route, std::string_view requestUser,
                  std::string_view requestUri);

// RoomStore::query: rooms whose name starts with namePrefix, optionally only (un)locked
// ones, ordered by name; limit 1..kMaxPageSize (400 otherwise).
inline constexpr std::size_t kMaxPageSize = 1000;
struct RoomQuery {
    std::string namePrefix;
    std::optional<bool> locked;
    std::size_t offset = 0, limit = 100;
};

// One call's record, written when the call ends. Text fields at most 1024 bytes each.
struct CdrRecord {
    std::int64_t id = 0;  // set by addCdr
    std::string callId, room, participant, from, to;
    std::string direction;  // "inbound" | "outbound"
    std::string endReason;
    std::chrono::system_clock::time_point startedAt;
    std::chrono::system_clock::time_point joinedAt;  // the epoch: never joined
    std::chrono::system_clock::time_point endedAt;

    bool operator==(const CdrRecord&) const = default;
};

// listCdrs: room "" = every room; startedAt in [since, until) where given; newest first
// (startedAt, then id, descending); limit 1..kMaxPageSize.
struct CdrQuery {
    std::string room;
    std::optional<std::chrono::system_clock::time_point> since, until;
    std::size_t offset = 0, limit = 100;
};

// One recording the media server made or is making. Stored times have microsecond
// precision (finer parts are dropped).
struct RecordingRecord {
    std::string id;           // [A-Za-z0-9._~-]{1,128}
    std::string room;         // RoomConfig::name rule
    std::string participant;  // "" whole room; else at most 128 bytes
    std::string mediaUri;     // the media server's location, at most 2048 bytes
    std::string state;        // "recording" | "ready" | "failed"
    std::chrono::system_clock::time_point startedAt, endedAt;  // endedAt epoch: not ended
    std::chrono::milliseconds duration{0};                     // >= 0

    bool operator==(const RecordingRecord&) const = default;
};

common::Status validateCdr(const CdrRecord& cdr);
common::Status validateRecording(const RecordingRecord& recording);

// The advisory lock key migrations take on PostgreSQL ("parley" in ASCII).
inline constexpr std::int64_t kMigrationLockKey = 0x7061726c6579;

// '*' matches any run of characters (also empty); other characters match themselves,
// case-insensitively where they fall in the URI's scheme or host, exactly elsewhere.
bool uriMatches(std::string_view pattern, std::string_view uri);

// True when `uri` may enter `room`: not matched by any deny pattern, and matched by an
// allow pattern unless the allow list is empty.
bool roomAdmits(const RoomConfig& room, std::string_view uri);

class RoomStore {
  public:
    // "sqlite:PATH" (":memory:" allowed; the parent directory must exist) or
    // "postgresql://..." / "postgres://..." (see the contract above). Creates the schema
    // when missing. Errors: Error{500, ...} naming the database (password hidden).
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
    // Rooms matching `q` (a page) and how many match in all.
    common::Result<std::pair<std::vector<RoomConfig>, std::size_t>> query(const RoomQuery& q) const;

    // Routes: insert or replace by id (validates, 400); listRoutes ordered by priority, id.
    common::Status putRoute(const RouteConfig& route);
    common::Result<std::optional<RouteConfig>> findRoute(std::string_view id) const;
    common::Result<std::vector<RouteConfig>> listRoutes() const;
    common::Result<bool> removeRoute(std::string_view id);  // false when absent
    // The route that takes a call: among those matching, the lowest priority, then the
    // longest literal part of `match` (characters other than '*'), then the smallest id.
    common::Result<std::optional<RouteConfig>> matchRoute(std::string_view requestUser,
                                                          std::string_view requestUri) const;

    // CDRs: addCdr validates (400), ignores cdr.id and returns the new id (> 0).
    common::Result<std::int64_t> addCdr(const CdrRecord& cdr);
    common::Result<std::pair<std::vector<CdrRecord>, std::size_t>> listCdrs(
        const CdrQuery& q) const;

    // Recordings: insert or replace by id (validates, 400); listRecordings: room "" = all,
    // newest first (startedAt, then id, descending), limit 1..kMaxPageSize.
    common::Status putRecording(const RecordingRecord& recording);
    common::Result<std::optional<RecordingRecord>> findRecording(std::string_view id) const;
    common::Result<std::pair<std::vector<RecordingRecord>, std::size_t>> listRecordings(
        std::string_view room, std::size_t offset, std::size_t limit) const;

    struct Db;  // the connection; defined and used in room_store.cpp only

  private:
    explicit RoomStore(std::unique_ptr<Db> db);
    std::unique_ptr<Db> db_;
};

}  // namespace parley::as

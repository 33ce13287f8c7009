// Storage v2 on SQLite: room query, routes, CDRs, recordings, the v1 -> v2 migration, the
// PostgreSQL URI conversion and routes in the rooms file. The same store checks run on a
// real PostgreSQL in tests/component/as_store_pg.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "as/store/postgres_uri.hpp"
#include "as/store/room_store.hpp"
#include "as/store/rooms_file.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/as_store/store_checks.hpp"

namespace {

using parley::as::RoomStore;
using parley::as::RouteConfig;
using namespace parley::test::store;
using namespace Poco::Data::Keywords;

// A fresh SQLite file store in its own temp directory.
struct FileStore {
    parley::test::TempDir dir{"as-store-v2"};
    std::string uri = "sqlite:" + (dir.path() / "as.db").string();
    std::unique_ptr<RoomStore> store = openStore(uri);
};

// The schema parley-as wrote at version 1, as it shipped.
const char* kV1Schema =
    "CREATE TABLE rooms ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " display_name TEXT NOT NULL DEFAULT '',"
    " pin TEXT NOT NULL DEFAULT '',"
    " moderator_pin TEXT NOT NULL DEFAULT '',"
    " max_participants INTEGER NOT NULL DEFAULT 0,"
    " locked INTEGER NOT NULL DEFAULT 0,"
    " wait_for_moderator INTEGER NOT NULL DEFAULT 0,"
    " end_when_moderator_leaves INTEGER NOT NULL DEFAULT 0,"
    " mute_on_join INTEGER NOT NULL DEFAULT 0,"
    " announce_join_leave INTEGER NOT NULL DEFAULT 0,"
    " record_names INTEGER NOT NULL DEFAULT 0,"
    " allow_patterns TEXT NOT NULL DEFAULT '[]',"
    " deny_patterns TEXT NOT NULL DEFAULT '[]')";

void writeV1File(const std::filesystem::path& file) {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session s(Poco::Data::SQLite::Connector::KEY, file.string());
    s << "CREATE TABLE schema_version (version INTEGER NOT NULL)", now;
    s << "INSERT INTO schema_version (version) VALUES (1)", now;
    s << kV1Schema, now;
    s << "INSERT INTO rooms (name, display_name, pin, max_participants, locked, allow_patterns)"
         " VALUES ('old-room', 'Old', '4321', 4294967295, 1, '[\"sip:*@10.0.0.1\"]')",
        now;
    s << "INSERT INTO rooms (name) VALUES ('plain')", now;
}

int storedVersion(const std::filesystem::path& file) {
    Poco::Data::Session s(Poco::Data::SQLite::Connector::KEY, file.string());
    int version = 0;
    s << "SELECT version FROM schema_version", into(version), now;
    return version;
}

}  // namespace

TEST_CASE("as store: v2 room fields round-trip and eventsUrl is validated", "[as][store]") {
    FileStore f;
    checkRoomFieldsV2(*f.store);
}

TEST_CASE("as store: room query filters by name prefix and lock, pages, counts", "[as][store]") {
    FileStore f;
    checkRoomQuery(*f.store);
}

TEST_CASE("as store: routes put, find, list, replace, remove and refuse bad fields",
          "[as][store]") {
    FileStore f;
    checkRoutes(*f.store);
}

TEST_CASE("as store: matchRoute takes the lowest priority, then the longest literal",
          "[as][store]") {
    FileStore f;
    checkRouteMatching(*f.store);
}

TEST_CASE("as store: CDRs get increasing ids and list newest first with filters", "[as][store]") {
    FileStore f;
    checkCdrs(*f.store);
}

TEST_CASE("as store: recordings index upserts, finds and lists by room", "[as][store]") {
    FileStore f;
    checkRecordings(*f.store);
}

TEST_CASE("as store: SQL and placeholder characters in values are only data", "[as][store]") {
    FileStore f;
    checkValuesAreData(*f.store);
}

TEST_CASE("as store: reopening keeps rooms, routes, CDRs and recordings", "[as][store]") {
    parley::test::TempDir dir("as-store-v2");
    const std::string uri = "sqlite:" + (dir.path() / "as.db").string();
    checkReopenKeepsEverything([&] { return openStore(uri); });
}

TEST_CASE("as store: the in-memory database has the whole v2 schema", "[as][store]") {
    auto store = openStore("sqlite::memory:");
    checkRouteMatching(*store);
    checkCdrs(*store);
}

TEST_CASE("as store: a version 1 file migrates to version 2 keeping its rooms", "[as][store]") {
    parley::test::TempDir dir("as-store-v2");
    const auto file = dir.path() / "v1.db";
    writeV1File(file);
    REQUIRE(storedVersion(file) == 1);

    {
        auto store = openStore("sqlite:" + file.string());
        auto rooms = store->list();
        REQUIRE_OK(rooms);
        REQUIRE(rooms->size() == 2);
        const auto& old = (*rooms)[0];
        CHECK(old.name == "old-room");
        CHECK(old.displayName == "Old");
        CHECK(old.pin == "4321");
        CHECK(old.maxParticipants == 4294967295u);
        CHECK(old.locked);
        CHECK(old.allow == std::vector<std::string>{"sip:*@10.0.0.1"});
        CHECK_FALSE(old.recordFromStart);
        CHECK(old.eventsUrl.empty());
        CHECK((*rooms)[1].name == "plain");
        // The new tables work at once.
        checkRoutes(*store);
        checkCdrs(*store);
        checkRecordings(*store);
    }
    CHECK(storedVersion(file) == 2);

    Poco::Data::Session s(Poco::Data::SQLite::Connector::KEY, file.string());
    int indexes = 0;
    s << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'cdrs_room_started'"
         " AND sql LIKE '%(room, started_at)%'",
        into(indexes), now;
    CHECK(indexes == 1);

    // Reopening at version 2 migrates nothing more and keeps everything.
    auto again = openStore("sqlite:" + file.string());
    auto old = again->find("old-room");
    REQUIRE_OK(old);
    CHECK(old->has_value());
    CHECK(storedVersion(file) == 2);
}

TEST_CASE("as store: a migration that fails leaves the version 1 file as it was", "[as][store]") {
    parley::test::TempDir dir("as-store-v2");
    const auto file = dir.path() / "v1.db";
    writeV1File(file);
    {
        // Something else made a table named like a v2 one: CREATE TABLE routes fails.
        Poco::Data::Session s(Poco::Data::SQLite::Connector::KEY, file.string());
        s << "CREATE TABLE routes (x INTEGER)", now;
    }
    auto refused = RoomStore::open("sqlite:" + file.string());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 500);
    CHECK_THAT(refused.error().message, Catch::Contains(file.string()));
    CHECK(storedVersion(file) == 1);
    Poco::Data::Session s(Poco::Data::SQLite::Connector::KEY, file.string());
    int columns = 0;
    s << "SELECT COUNT(*) FROM pragma_table_info('rooms') WHERE name = 'events_url'", into(columns),
        now;
    CHECK(columns == 0);  // the ALTER TABLE before the failure was rolled back too
}

TEST_CASE("as store: PostgreSQL URIs become libpq key=value strings", "[as][store]") {
    using parley::as::postgresConnectionString;
    auto conv = [](const std::string& uri) {
        auto s = postgresConnectionString(uri);
        INFO(uri << " -> " << (s ? *s : s.error().message));
        REQUIRE(s);
        return *s;
    };
    CHECK(conv("postgresql://parley:s3cret@db.example.com:5433/conf") ==
          "user=parley password=s3cret host=db.example.com port=5433 dbname=conf");
    CHECK(conv("postgres://db/conf") == "host=db dbname=conf");
    CHECK(conv("POSTGRESQL://u@%2Fvar%2Frun%2Fpostgresql/conf") ==
          "user=u host=/var/run/postgresql dbname=conf");
    CHECK(conv("postgresql://u@/conf?host=/tmp/pg&port=6000&sslmode=disable") ==
          "user=u dbname=conf host=/tmp/pg port=6000 sslmode=disable");
    CHECK(conv("postgresql://[::1]:5432/x") == "host=::1 port=5432 dbname=x");
    CHECK(conv("postgresql://u:p%40ss%27w%5C@h/d") ==
          "user=u password=p@ss\\'w\\\\ host=h dbname=d");
    CHECK(conv("postgresql://h/d?port=5433") == "host=h dbname=d port=5433");

    for (std::string bad :
         {"sqlite:x", "postgresql://", "postgresql://h:0/d", "postgresql://h:65536/d",
          "postgresql://h:5x/d", "postgresql://[::1/d", "postgresql://u:pass%20word@h/d",
          "postgresql://h/d?sslmode", "postgresql://h/d?Bad-Key=1", "postgresql://h/d%zz",
          "postgresql://h/d%4"}) {
        auto s = postgresConnectionString(bad);
        INFO(bad);
        REQUIRE_FALSE(s);
        CHECK(s.error().code == 400);
    }
}

TEST_CASE("as store: passwords are hidden in PostgreSQL URIs shown in messages", "[as][store]") {
    using parley::as::hidePassword;
    CHECK(hidePassword("postgresql://u:s3cret@h:1/d") == "postgresql://u:***@h:1/d");
    CHECK(hidePassword("postgresql://u@h/d?password=s3cret&sslmode=require") ==
          "postgresql://u@h/d?password=***&sslmode=require");
    CHECK(hidePassword("postgresql://h/d") == "postgresql://h/d");
    auto refused = RoomStore::open("postgresql://parley:s3cret@127.0.0.1:1/conf");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 500);
    CHECK_THAT(refused.error().message, !Catch::Contains("s3cret") && Catch::Contains("***"));
}

TEST_CASE("as store: http URL rules for eventsUrl and webhook targets", "[as][store]") {
    using parley::as::isHttpUrl;
    for (std::string good :
         {"http://h", "https://hooks.example.com/x?y=1", "HTTPS://H:443/",
          "http://127.0.0.1:8080/events", "http://[::1]:9/e", "https://user:pw@h.example.com/p"})
        CHECK(isHttpUrl(good));
    for (std::string bad :
         {"", "http://", "https:///path", "ftp://h/", "http://h:0", "http://h:99999", "http://h:/",
          "http://h h/", "http://[zz]/", "http://h/\x01", "mailto:x@y"})
        CHECK_FALSE(isHttpUrl(bad));
    CHECK_FALSE(isHttpUrl("http://h/" + std::string(parley::as::kMaxUrlLength, 'a')));
}

TEST_CASE("as store: rooms file routes and the v2 room keys", "[as][store]") {
    auto doc = parley::as::parseRoomsDocument(
        R"({"rooms": [{"name": "r1", "recordFromStart": true, "eventsUrl": "https://e.example.com/x"}],
            "routes": [{"id": "support", "match": "support", "kind": "webhook",
                        "target": "https://app.example.com/call", "eventsUrl": "http://127.0.0.1:9/e",
                        "priority": 7, "fallbackPrompt": "file:///p/sorry.wav"},
                       {"id": "echo", "match": "+1555*", "kind": "app", "target": "echo"}]})");
    INFO((doc ? std::string() : doc.error().message));
    REQUIRE(doc);
    REQUIRE(doc->rooms.size() == 1);
    CHECK(doc->rooms[0].recordFromStart);
    CHECK(doc->rooms[0].eventsUrl == "https://e.example.com/x");
    REQUIRE(doc->routes.size() == 2);
    CHECK(doc->routes[0].kind == RouteConfig::Kind::Webhook);
    CHECK(doc->routes[0].priority == 7);
    CHECK(doc->routes[0].fallbackPrompt == "file:///p/sorry.wav");
    CHECK(doc->routes[1].kind == RouteConfig::Kind::App);
    CHECK(doc->routes[1].priority == 100);
    CHECK(doc->routes[1].eventsUrl.empty());

    auto refusal = [](const std::string& json) {
        auto d = parley::as::parseRoomsDocument(json);
        INFO(json);
        REQUIRE_FALSE(d);
        CHECK(d.error().code == 400);
        return d.error().message;
    };
    CHECK(refusal(R"({"rooms": [], "routes": {}})") == "routes: must be an array, not an object");
    CHECK(refusal(R"({"rooms": [], "routes": [{"id": "a", "match": "a", "kind": "app"}]})") ==
          "routes[0].target: missing");
    CHECK_THAT(refusal(R"({"rooms": [], "routes": [{"id": "a", "match": "a", "kind": "sip",
                       "target": "x"}]})"),
               Catch::StartsWith("routes[0].kind: must be"));
    CHECK_THAT(refusal(R"({"rooms": [], "routes": [{"id": "a", "match": "a", "kind": "app",
                       "target": "echo", "colour": 1}]})"),
               Catch::StartsWith("routes[0]: unknown key 'colour'"));
    CHECK(refusal(R"({"rooms": [], "routes": [{"id": "a", "match": "a", "kind": "app",
                  "target": "echo", "priority": -3}]})") ==
          "routes[0].priority: must be 0..1000000, got -3");
    CHECK(refusal(R"({"rooms": [], "routes": [{"id": "a", "match": "a", "kind": "app",
                  "target": "echo", "priority": 1.5}]})") ==
          "routes[0].priority: must be a whole number 0..1000000, not a number");
    CHECK(refusal(R"({"rooms": [], "routes": [{"id": "a", "match": "a", "kind": "app",
                  "target": "weather"}]})") ==
          "routes[0].target: no built-in application 'weather' (there are \"echo\" and \"clock\")");
    CHECK_THAT(refusal(R"({"rooms": [], "routes": [{"id": "a", "match": "a", "kind": "webhook",
                       "target": "echo"}]})"),
               Catch::StartsWith("routes[0].target: must be an http"));
    CHECK(refusal(R"({"rooms": [], "routes": [
              {"id": "a", "match": "a", "kind": "app", "target": "echo"},
              {"id": "a", "match": "b", "kind": "app", "target": "clock"}]})") ==
          "routes[1].id: 'a' already used by routes[0]");
    CHECK_THAT(refusal(R"({"rooms": [{"name": "r", "eventsUrl": "nope"}]})"),
               Catch::StartsWith("rooms[0].eventsUrl: must be"));
    // parseRooms still reads the rooms of a document with routes, and checks the routes.
    auto rooms = parley::as::parseRooms(
        R"({"rooms": [{"name": "r"}], "routes": [{"id": "a", "match": "a", "kind": "app", "target": "echo"}]})");
    REQUIRE(rooms);
    CHECK(rooms->size() == 1);
    CHECK_FALSE(parley::as::parseRooms(R"({"rooms": [], "routes": [{"id": "A"}]})"));
}

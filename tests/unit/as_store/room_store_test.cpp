// RoomStore over SQLite files in a temp directory: round trips, reopening, schema versions,
// damaged and foreign databases.

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "as/store/room_store.hpp"
#include "tests/support/process.hpp"

// REQUIRE that a Status/Result is ok, showing its error message when not.
#define REQUIRE_OK(expr)                                   \
    do {                                                   \
        const auto& ok_ = (expr);                          \
        INFO((ok_ ? std::string() : ok_.error().message)); \
        REQUIRE(ok_);                                      \
    } while (0)

namespace {

using parley::as::RoomConfig;
using parley::as::RoomStore;
using namespace Poco::Data::Keywords;

RoomConfig room(const std::string& name) {
    RoomConfig r;
    r.name = name;
    return r;
}

RoomConfig fullRoom() {
    RoomConfig r;
    r.name = "board-room";
    r.displayName = "Board r\xc3\xb6om \"quoted\" 'single'";
    r.pin = "0042";
    r.moderatorPin = "987654321";
    r.maxParticipants = 0xffffffffu;
    r.locked = true;
    r.waitForModerator = true;
    r.endWhenModeratorLeaves = true;
    r.muteOnJoin = true;
    r.announceJoinLeave = true;
    r.recordNames = true;
    r.allow = {"sip:*@127.0.0.1", "sips:o'k%20\\*@x", "tel:+1*"};
    r.deny = {"sip:mallory@*"};
    r.recordFromStart = true;
    r.eventsUrl = "https://hooks.example.com:8443/parley/events?room=board";
    return r;
}

std::unique_ptr<RoomStore> openStore(const std::string& uri) {
    auto store = RoomStore::open(uri);
    INFO((store ? std::string() : store.error().message));
    REQUIRE(store);
    return std::move(*store);
}

// Runs one statement on the database file with Poco directly, as another tool would.
void execute(const std::filesystem::path& file, const std::string& sql) {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session s(Poco::Data::SQLite::Connector::KEY, file.string());
    s << sql, now;
}

}  // namespace

TEST_CASE("as store: put, find, list and remove round-trip on a file", "[as][store]") {
    parley::test::TempDir dir("as-store");
    auto store = openStore("sqlite:" + (dir.path() / "as.db").string());

    auto none = store->find("board-room");
    REQUIRE_OK(none);
    CHECK_FALSE(none->has_value());
    auto empty = store->list();
    REQUIRE_OK(empty);
    CHECK(empty->empty());

    REQUIRE_OK(store->put(fullRoom()));
    REQUIRE_OK(store->put(room("alpha")));
    REQUIRE_OK(store->put(room("zulu")));

    auto found = store->find("board-room");
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK(**found == fullRoom());

    auto all = store->list();
    REQUIRE_OK(all);
    REQUIRE(all->size() == 3);
    CHECK((*all)[0].name == "alpha");
    CHECK((*all)[1].name == "board-room");
    CHECK((*all)[2].name == "zulu");
    CHECK((*all)[0] == room("alpha"));

    // Names compare exactly (SIP user parts are case-sensitive).
    auto upper = store->find("ALPHA");
    REQUIRE_OK(upper);
    CHECK_FALSE(upper->has_value());

    auto removed = store->remove("alpha");
    REQUIRE_OK(removed);
    CHECK(*removed);
    auto again = store->remove("alpha");
    REQUIRE_OK(again);
    CHECK_FALSE(*again);
    auto gone = store->find("alpha");
    REQUIRE_OK(gone);
    CHECK_FALSE(gone->has_value());
    auto rest = store->list();
    REQUIRE_OK(rest);
    CHECK(rest->size() == 2);
}

TEST_CASE("as store: put replaces a room of the same name", "[as][store]") {
    auto store = openStore("sqlite::memory:");
    REQUIRE_OK(store->put(fullRoom()));
    RoomConfig changed = room("board-room");
    changed.displayName = "Plain";
    changed.allow = {"sip:*@10.0.0.1"};
    REQUIRE_OK(store->put(changed));
    auto found = store->find("board-room");
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK(**found == changed);
    auto all = store->list();
    REQUIRE_OK(all);
    CHECK(all->size() == 1);
}

TEST_CASE("as store: put refuses invalid and ad hoc rooms with 400", "[as][store]") {
    auto store = openStore("sqlite::memory:");
    RoomConfig bad = room("r1");
    bad.pin = "12x";
    auto refused = store->put(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 400);
    CHECK_THAT(refused.error().message, Catch::StartsWith("pin: "));

    RoomConfig adHoc = room("adhoc-1");
    adHoc.adHoc = true;
    auto notStored = store->put(adHoc);
    REQUIRE_FALSE(notStored);
    CHECK(notStored.error().code == 400);
    CHECK_THAT(notStored.error().message, Catch::Contains("ad hoc"));

    auto all = store->list();
    REQUIRE_OK(all);
    CHECK(all->empty());
}

TEST_CASE("as store: names with SQL in them are only data", "[as][store]") {
    auto store = openStore("sqlite::memory:");
    REQUIRE_OK(store->put(room("a")));
    auto odd = store->find("a' OR '1'='1");
    REQUIRE_OK(odd);
    CHECK_FALSE(odd->has_value());
    auto removed = store->remove("x'; DELETE FROM rooms; --");
    REQUIRE_OK(removed);
    CHECK_FALSE(*removed);
    auto all = store->list();
    REQUIRE_OK(all);
    CHECK(all->size() == 1);
}

TEST_CASE("as store: reopening a file keeps its rooms", "[as][store]") {
    parley::test::TempDir dir("as-store");
    const std::string uri = "sqlite:" + (dir.path() / "as.db").string();
    {
        auto store = openStore(uri);
        REQUIRE_OK(store->put(fullRoom()));
        REQUIRE_OK(store->put(room("second")));
    }
    auto store = openStore(uri);
    auto all = store->list();
    REQUIRE_OK(all);
    REQUIRE(all->size() == 2);
    CHECK((*all)[0] == fullRoom());
    CHECK((*all)[1] == room("second"));
}

TEST_CASE("as store: the file is created with schema version 2 in WAL mode", "[as][store]") {
    parley::test::TempDir dir("as-store");
    const auto file = dir.path() / "new.db";
    REQUIRE_FALSE(std::filesystem::exists(file));
    auto store = openStore("sqlite:" + file.string());
    CHECK(std::filesystem::exists(file));
    CHECK(RoomStore::schemaVersion() == 2);

    Poco::Data::Session s(Poco::Data::SQLite::Connector::KEY, file.string());
    int version = 0;
    s << "SELECT version FROM schema_version", into(version), now;
    CHECK(version == 2);
    std::string journal;
    s << "PRAGMA journal_mode", into(journal), now;
    CHECK(journal == "wal");
}

TEST_CASE("as store: a database of a newer schema version is refused", "[as][store]") {
    parley::test::TempDir dir("as-store");
    const auto file = dir.path() / "as.db";
    const std::string uri = "sqlite:" + file.string();
    {
        auto store = openStore(uri);
        REQUIRE_OK(store->put(room("kept")));
    }
    execute(file, "UPDATE schema_version SET version = 3");

    auto refused = RoomStore::open(uri);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 500);
    CHECK_THAT(refused.error().message, Catch::Contains("schema version 3") &&
                                            Catch::Contains("newer parley-as") &&
                                            Catch::Contains(file.string()));

    // Refusing wrote nothing: with the version put back the rooms are still there.
    execute(file, "UPDATE schema_version SET version = 2");
    auto store = openStore(uri);
    auto kept = store->find("kept");
    REQUIRE_OK(kept);
    CHECK(kept->has_value());
}

TEST_CASE("as store: a garbage file is a clear error, not a crash", "[as][store]") {
    parley::test::TempDir dir("as-store");
    const auto file = dir.path() / "garbage.db";
    {
        std::ofstream out(file, std::ios::binary);
        for (int i = 0; i < 8192; ++i) out.put(static_cast<char>((i * 131 + 7) & 0xff));
    }
    auto opened = RoomStore::open("sqlite:" + file.string());
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == 500);
    CHECK_THAT(opened.error().message,
               Catch::Contains(file.string()) &&
                   Catch::Contains("not a database", Catch::CaseSensitive::No));
}

TEST_CASE("as store: another program's database is not written into", "[as][store]") {
    parley::test::TempDir dir("as-store");
    const auto file = dir.path() / "other.db";
    execute(file, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
    auto opened = RoomStore::open("sqlite:" + file.string());
    REQUIRE_FALSE(opened);
    CHECK(opened.error().code == 500);
    CHECK_THAT(opened.error().message, Catch::Contains("not a parley-as database"));
}

TEST_CASE("as store: a damaged row is reported, not returned", "[as][store]") {
    parley::test::TempDir dir("as-store");
    const auto file = dir.path() / "as.db";
    const std::string uri = "sqlite:" + file.string();
    {
        auto store = openStore(uri);
        REQUIRE_OK(store->put(room("r1")));
    }
    execute(file, "UPDATE rooms SET allow_patterns = '{\"not\": \"a list\"}' WHERE name = 'r1'");
    auto store = openStore(uri);
    auto found = store->find("r1");
    REQUIRE_FALSE(found);
    CHECK(found.error().code == 500);
    CHECK_THAT(found.error().message, Catch::Contains("room 'r1' allow_patterns"));

    execute(file, "UPDATE rooms SET allow_patterns = '[]', pin = 'abc' WHERE name = 'r1'");
    auto listed = store->list();
    REQUIRE_FALSE(listed);
    CHECK_THAT(listed.error().message, Catch::Contains("room 'r1' stored invalid: pin:"));
}

TEST_CASE("as store: bad database URIs and paths", "[as][store]") {
    for (std::string uri : {"", "sqlite:", "postgresql://127.0.0.1:99999/parley",
                            "postgresql://127.0.0.1:1/parley", "/var/lib/x.db", "mysql:x"}) {
        auto opened = RoomStore::open(uri);
        REQUIRE_FALSE(opened);
        CHECK(opened.error().code == 500);
    }
    parley::test::TempDir dir("as-store");
    auto missingDir = RoomStore::open("sqlite:" + (dir.path() / "no" / "such" / "dir.db").string());
    REQUIRE_FALSE(missingDir);
    CHECK(missingDir.error().code == 500);
    CHECK_THAT(missingDir.error().message, Catch::Contains("dir.db"));
    auto directory = RoomStore::open("sqlite:" + dir.path().string());
    REQUIRE_FALSE(directory);
    CHECK(directory.error().code == 500);
}

// The RoomStore on a real PostgreSQL (a private server per test process): the same store
// checks as on SQLite, reopening, several parley-as sharing one database (the advisory
// lock around migrations), schema refusals and hidden passwords.

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>

#include "as/store/postgres_uri.hpp"
#include "as/store/room_store.hpp"
#include "tests/component/as_store_pg/pg_server.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/unit/as_store/store_checks.hpp"

namespace {

using parley::as::RoomStore;
using parley::test::PgServer;
using namespace parley::test::store;
using namespace Poco::Data::Keywords;

Poco::Data::Session directSession(const std::string& uri) {
    Poco::Data::PostgreSQL::Connector::registerConnector();
    auto connection = parley::as::postgresConnectionString(uri);
    REQUIRE(connection);
    return Poco::Data::Session(Poco::Data::PostgreSQL::Connector::KEY, *connection);
}

// Runs one statement on the database with Poco directly, as another tool would.
void execute(const std::string& uri, const std::string& sql) {
    auto s = directSession(uri);
    s << sql, now;
}

// The same for a statement giving one number.
Poco::Int64 number(const std::string& uri, const std::string& sql) {
    auto s = directSession(uri);
    Poco::Int64 n = -1;
    s << sql, into(n), now;
    return n;
}

// One server per test process (ctest runs each test case in its own process; the sections
// of a test case share it), stopped when the process exits.
PgServer& server() {
    static PgServer instance;
    return instance;
}

#define PG_SERVER(pg)        \
    PgServer& pg = server(); \
    if (!pg.skipReason().empty()) PARLEY_SKIP(pg.skipReason())

#define PG_DATABASE(pg, name)                                 \
    do {                                                      \
        const std::string created_ = pg.createDatabase(name); \
        INFO(created_);                                       \
        REQUIRE(created_.empty());                            \
    } while (0)

}  // namespace

TEST_CASE("as store: PostgreSQL runs the same store checks as SQLite", "[as][store][pg]") {
    PG_SERVER(pg);
    const std::vector<std::pair<const char*, void (*)(RoomStore&)>> checks = {
        {"fields", checkRoomFieldsV2}, {"query", checkRoomQuery},
        {"routes", checkRoutes},       {"matching", checkRouteMatching},
        {"cdrs", checkCdrs},           {"recordings", checkRecordings},
        {"data", checkValuesAreData}};
    for (const auto& [name, check] : checks) {
        SECTION(name) {
            PG_DATABASE(pg, name);
            auto store = openStore(pg.uri(name));
            check(*store);
        }
    }
}

TEST_CASE("as store: PostgreSQL reopening keeps everything; ?host= URIs work too",
          "[as][store][pg]") {
    PG_SERVER(pg);
    PG_DATABASE(pg, "reopen");
    checkReopenKeepsEverything([&] { return openStore(pg.uri("reopen")); });
    auto other = openStore(pg.uriWithParameters("reopen"));
    auto kept = other->find("kept");
    REQUIRE_OK(kept);
    CHECK(kept->has_value());

    CHECK(number(pg.uri("reopen"), "SELECT version FROM schema_version") ==
          RoomStore::schemaVersion());
    CHECK(number(pg.uri("reopen"),
                 "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'cdrs_room_started'"
                 " AND indexdef LIKE '%(room, started_at)%'") == 1);
}

TEST_CASE("as store: parley-as instances opening one PostgreSQL at once migrate it once",
          "[as][store][pg]") {
    PG_SERVER(pg);
    PG_DATABASE(pg, "shared");
    const std::string uri = pg.uri("shared");
    constexpr int kInstances = 6;
    std::vector<std::unique_ptr<RoomStore>> stores(kInstances);
    std::vector<std::string> errors(kInstances);
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < kInstances; ++i)
            threads.emplace_back([&, i] {
                auto store = RoomStore::open(uri);
                if (store)
                    stores[i] = std::move(*store);
                else
                    errors[i] = store.error().message;
            });
        for (auto& t : threads) t.join();
    }
    for (int i = 0; i < kInstances; ++i) {
        INFO("instance " << i << ": " << errors[i]);
        CHECK(stores[i]);
    }
    CHECK(number(uri, "SELECT COUNT(*) FROM schema_version") == 1);

    // What one writes the others read.
    parley::as::RoomConfig room;
    room.name = "shared-room";
    REQUIRE(stores[0]);
    REQUIRE(stores[kInstances - 1]);
    REQUIRE_OK(stores[0]->put(room));
    auto seen = stores[kInstances - 1]->find("shared-room");
    REQUIRE_OK(seen);
    CHECK(seen->has_value());
    auto a = stores[1]->addCdr(parley::as::CdrRecord{
        0, "c1", "shared-room", "p1", "f", "t", "inbound", "bye", {}, {}, {}});
    auto b = stores[2]->addCdr(parley::as::CdrRecord{
        0, "c2", "shared-room", "p2", "f", "t", "outbound", "bye", {}, {}, {}});
    REQUIRE_OK(a);
    REQUIRE_OK(b);
    CHECK(*a != *b);
}

TEST_CASE("as store: PostgreSQL refuses newer schemas and foreign databases", "[as][store][pg]") {
    PG_SERVER(pg);
    PG_DATABASE(pg, "newer");
    { openStore(pg.uri("newer")); }
    execute(pg.uri("newer"), "UPDATE schema_version SET version = 3");
    auto refused = RoomStore::open(pg.uri("newer"));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 500);
    CHECK_THAT(refused.error().message, Catch::Contains("schema version 3"));

    PG_DATABASE(pg, "foreign");
    execute(pg.uri("foreign"), "CREATE TABLE invoices (id INTEGER PRIMARY KEY) ");
    auto foreign = RoomStore::open(pg.uri("foreign"));
    REQUIRE_FALSE(foreign);
    CHECK_THAT(foreign.error().message, Catch::Contains("not a parley-as database"));

    auto missing = RoomStore::open(pg.uri("no_such_database"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == 500);
    auto password = RoomStore::open("postgresql://parley:s3cret@127.0.0.1:1/x");
    REQUIRE_FALSE(password);
    CHECK_THAT(password.error().message, !Catch::Contains("s3cret"));
}

// RoomStore::open: the connection (SQLite or PostgreSQL), the schema migrations, and the
// pieces of SQL plumbing every table shares.

#include "as/store/store_db.hpp"

#include <filesystem>
#include <mutex>

#include <libpq-fe.h>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>

#include "as/store/postgres_uri.hpp"
#include "common/log.hpp"

namespace parley::as {

using common::Error;
using common::Result;
using common::Status;
using namespace Poco::Data::Keywords;

namespace {

Poco::Logger& log() {
    return common::logger("as.store");
}

void registerConnectorsOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::PostgreSQL::Connector::registerConnector();
    });
}

// Poco retries a failed open until the login timeout: keep it short (seconds).
constexpr std::size_t kOpenTimeoutSeconds = 5;

struct Migration {
    int version;
    std::vector<std::string> statements;  // "{id}": the auto-numbered primary key column
};

// Forward migrations, oldest first. A new schema version appends one entry; open() applies
// every entry newer than the database's version inside one transaction.
const std::vector<Migration>& migrations() {
    static const std::vector<Migration> kMigrations = {
        {1,
         {"CREATE TABLE rooms ("
          " name TEXT PRIMARY KEY NOT NULL,"
          " display_name TEXT NOT NULL DEFAULT '',"
          " pin TEXT NOT NULL DEFAULT '',"
          " moderator_pin TEXT NOT NULL DEFAULT '',"
          " max_participants BIGINT NOT NULL DEFAULT 0,"
          " locked INTEGER NOT NULL DEFAULT 0,"
          " wait_for_moderator INTEGER NOT NULL DEFAULT 0,"
          " end_when_moderator_leaves INTEGER NOT NULL DEFAULT 0,"
          " mute_on_join INTEGER NOT NULL DEFAULT 0,"
          " announce_join_leave INTEGER NOT NULL DEFAULT 0,"
          " record_names INTEGER NOT NULL DEFAULT 0,"
          " allow_patterns TEXT NOT NULL DEFAULT '[]',"  // JSON array of strings
          " deny_patterns TEXT NOT NULL DEFAULT '[]')"}},
        {2,
         {"ALTER TABLE rooms ADD COLUMN record_from_start INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE rooms ADD COLUMN events_url TEXT NOT NULL DEFAULT ''",
          "CREATE TABLE routes ("
          " id TEXT PRIMARY KEY NOT NULL,"
          " match_pattern TEXT NOT NULL,"
          " kind TEXT NOT NULL,"  // room | app | webhook
          " target TEXT NOT NULL,"
          " events_url TEXT NOT NULL DEFAULT '',"
          " priority INTEGER NOT NULL DEFAULT 100,"
          " fallback_prompt TEXT NOT NULL DEFAULT '')",
          "CREATE TABLE cdrs ("
          " id {id},"
          " call_id TEXT NOT NULL,"
          " room TEXT NOT NULL,"
          " participant TEXT NOT NULL,"
          " from_uri TEXT NOT NULL,"
          " to_uri TEXT NOT NULL,"
          " direction TEXT NOT NULL,"
          " end_reason TEXT NOT NULL,"
          " started_at BIGINT NOT NULL,"  // microseconds since the epoch
          " joined_at BIGINT NOT NULL,"   // 0: never joined
          " ended_at BIGINT NOT NULL)",
          "CREATE INDEX cdrs_room_started ON cdrs (room, started_at)",
          "CREATE INDEX cdrs_started ON cdrs (started_at)",
          "CREATE TABLE recordings ("
          " id TEXT PRIMARY KEY NOT NULL,"
          " room TEXT NOT NULL,"
          " participant TEXT NOT NULL,"
          " media_uri TEXT NOT NULL,"
          " state TEXT NOT NULL,"
          " started_at BIGINT NOT NULL,"
          " ended_at BIGINT NOT NULL,"
          " duration_ms BIGINT NOT NULL)",
          "CREATE INDEX recordings_room_started ON recordings (room, started_at)"}},
    };
    return kMigrations;
}

std::string forDialect(const std::string& statement, SqlDialect dialect) {
    const std::string token = "{id}";
    std::string out = statement;
    if (auto pos = out.find(token); pos != std::string::npos)
        out.replace(pos, token.size(),
                    dialect == SqlDialect::Sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                                  : "BIGSERIAL PRIMARY KEY");
    return out;
}

Poco::Int64 countOf(RoomStore::Db& db, const std::string& sql) {
    Poco::Int64 n = 0;
    db.session << sql, into(n), now;
    return n;
}

// Brings the schema to the newest version. Throws Poco exceptions on database errors.
Status migrate(RoomStore::Db& db, int& from) {
    auto& s = db.session;
    Transaction tx(db);
    const bool pg = db.dialect == SqlDialect::Postgres;
    if (pg) {
        // Several parley-as may share the database: one migrates, the others wait here and
        // then find the newest version. Released with the transaction.
        Poco::Int64 key = kMigrationLockKey;
        int one = 0;
        s << db.sql("SELECT 1 FROM (SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))) AS l"),
            Poco::Data::Keywords::bind(key), into(one), now;
    }
    const std::string tablesSql =
        pg ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
             "current_schema()"
           : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
             "'sqlite_%'";
    const std::string versionTableSql =
        pg ? tablesSql + " AND table_name = 'schema_version'"
           : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
             "'schema_version'";
    int version = 0;
    if (countOf(db, versionTableSql) > 0) {
        Poco::Int64 rows = 0;
        Poco::Int64 stored = 0;
        s << "SELECT COUNT(*), COALESCE(MAX(version), 0) FROM schema_version", into(rows),
            into(stored), now;
        if (rows != 1)
            return db.failure("table schema_version holds " + std::to_string(rows) +
                              " rows instead of one; the database is damaged");
        if (stored < 0 || stored > 1000000)
            return db.failure("schema_version " + std::to_string(stored) + " is not a version");
        version = static_cast<int>(stored);
    } else {
        if (countOf(db, tablesSql) > 0)
            return db.failure(
                "the database has tables but no schema_version: not a parley-as "
                "database, refusing to write into it");
        s << "CREATE TABLE schema_version (version INTEGER NOT NULL)", now;
        s << "INSERT INTO schema_version (version) VALUES (0)", now;
    }
    const int newest = RoomStore::schemaVersion();
    if (version > newest)
        return db.failure("schema version " + std::to_string(version) +
                          " was written by a newer parley-as; "
                          "this one knows versions up to " +
                          std::to_string(newest) + ": upgrade parley-as or use another database");
    from = version;
    for (const auto& m : migrations()) {
        if (m.version <= version) continue;
        for (const auto& sql : m.statements) s << forDialect(sql, db.dialect), now;
        Poco::Int64 v = m.version;
        s << db.sql("UPDATE schema_version SET version = ?"), Poco::Data::Keywords::bind(v), now;
    }
    tx.commit();
    return {};
}

Result<std::unique_ptr<RoomStore::Db>> connectSqlite(const std::string& uri) {
    const std::string path = uri.substr(std::string("sqlite:").size());
    if (path.empty())
        return Error(500, "room store: sqlite: needs a path, e.g. sqlite:/var/lib/parley/as.db");
    if (path != ":memory:") {
        // SQLite would only say "unable to open database file" after Poco's retries.
        const std::filesystem::path file(path);
        std::error_code ec;
        if (std::filesystem::is_directory(file, ec))
            return Error(500, "room store " + uri + ": " + path + " is a directory");
        const auto dir = file.parent_path();
        if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
            return Error(500,
                         "room store " + uri + ": directory " + dir.string() + " does not exist");
    }
    auto db = std::make_unique<RoomStore::Db>(uri, SqlDialect::Sqlite,
                                              Poco::Data::SQLite::Connector::KEY, path, 2);
    std::string journal;
    db->session << "PRAGMA journal_mode = WAL", into(journal), now;
    int busyMs = 0;
    db->session << "PRAGMA busy_timeout = 2000", into(busyMs), now;
    db->session << "PRAGMA foreign_keys = ON", now;
    PARLEY_LOG_DEBUG(log(), "room store " << uri << ": journal " << journal);
    return db;
}

struct PgConnFinish {
    void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnFinish>;

Result<std::unique_ptr<RoomStore::Db>> connectPostgres(const std::string& uri) {
    const std::string shown = hidePassword(uri);
    auto connection = postgresConnectionString(uri);
    if (!connection) return Error(500, "room store " + shown + ": " + connection.error().message);
    // Poco 1.11 keeps the PGconn of a connection that failed (a leak per failed open) and
    // words its error vaguely: try the connection with libpq first, report a failure here.
    std::string probeInfo = *connection;
    if (probeInfo.find("connect_timeout=") == std::string::npos)
        probeInfo += " connect_timeout=" + std::to_string(kOpenTimeoutSeconds);
    PgConnPtr probe(PQconnectdb(probeInfo.c_str()));
    if (!probe) return Error(500, "room store " + shown + ": libpq is out of memory");
    if (PQstatus(probe.get()) != CONNECTION_OK) {
        std::string message = PQerrorMessage(probe.get());
        while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
            message.pop_back();
        for (char& c : message)
            if (c == '\n') c = ' ';
        return Error(500, "room store " + shown + ": cannot connect: " + message);
    }
    probe.reset();
    return std::make_unique<RoomStore::Db>(shown, SqlDialect::Postgres,
                                           Poco::Data::PostgreSQL::Connector::KEY, *connection,
                                           kOpenTimeoutSeconds);
}

}  // namespace

std::string RoomStore::Db::sql(std::string_view text) const {
    std::string out;
    out.reserve(text.size() + 16);
    if (dialect == SqlDialect::Sqlite) return std::string(text);
    bool quoted = false;
    int n = 0;
    for (char c : text) {
        if (c == '\'') quoted = !quoted;
        if (c == '?' && !quoted) {
            out += '$' + std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

void bindAll(Poco::Data::Statement& st, const SqlValues& values) {
    for (const auto& value : values)
        std::visit([&](const auto& v) { st, Poco::Data::Keywords::bind(v); }, value);
}

Poco::Int64 toMicros(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point fromMicros(Poco::Int64 us) {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::microseconds(us)));
}

Status checkPage(std::size_t limit) {
    if (limit < 1 || limit > kMaxPageSize)
        return Error(400, "limit: must be 1.." + std::to_string(kMaxPageSize) + ", got " +
                              std::to_string(limit));
    return {};
}

Transaction::Transaction(RoomStore::Db& db) : db_(db) {
    db_.session << (db_.dialect == SqlDialect::Sqlite ? "BEGIN IMMEDIATE" : "BEGIN"), now;
}

Transaction::~Transaction() {
    if (done_) return;
    try {
        db_.session << "ROLLBACK", now;
    } catch (const Poco::Exception& e) {
        PARLEY_LOG_WARN(log(), "rollback failed: " << e.displayText());
    }
}

void Transaction::commit() {
    db_.session << "COMMIT", now;
    done_ = true;
}

RoomStore::RoomStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
RoomStore::~RoomStore() = default;

int RoomStore::schemaVersion() {
    return migrations().back().version;
}

Result<std::unique_ptr<RoomStore>> RoomStore::open(const std::string& uri) {
    const bool sqlite = uri.rfind("sqlite:", 0) == 0;
    if (!sqlite && !isPostgresUri(uri))
        return Error(500, "room store: '" + hidePassword(uri) +
                              "' is neither sqlite:PATH nor postgresql://...");
    registerConnectorsOnce();
    const std::string shown = sqlite ? uri : hidePassword(uri);
    try {
        auto db = sqlite ? connectSqlite(uri) : connectPostgres(uri);
        if (!db) return db.error();
        int from = 0;
        if (auto ok = migrate(**db, from); !ok) return ok.error();
        if (from != schemaVersion()) {
            PARLEY_LOG_INFO(log(), "room store " << shown << ": schema version " << from << " -> "
                                                 << schemaVersion());
        }
        PARLEY_LOG_INFO(log(), "room store " << shown << " open");
        return std::unique_ptr<RoomStore>(new RoomStore(std::move(*db)));
    } catch (const Poco::Exception& e) {
        return Error(500, "room store " + shown + ": " + e.displayText());
    } catch (const std::exception& e) {
        return Error(500, "room store " + shown + ": " + e.what());
    }
}

}  // namespace parley::as

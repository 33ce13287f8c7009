#pragma once
// Internal to as/store: the database connection behind RoomStore and what every table's
// code shares. The dialect differences (placeholders, the id column, schema lookups,
// transactions, the advisory lock) live here and in store_db.cpp only; the rest of the
// store writes one SQL text for both databases: '?' placeholders, INSERT ... ON CONFLICT
// ... DO UPDATE, INTEGER/BIGINT/TEXT columns, no NULLs, times as BIGINT microseconds since
// the Unix epoch.

#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <variant>
#include <optional>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include "as/store/room_store.hpp"
#include "common/result.hpp"

namespace parley::as {

enum class SqlDialect { Sqlite, Postgres };

struct RoomStore::Db {
    std::string uri;  // for messages, password hidden
    SqlDialect dialect;
    Poco::Data::Session session;

    Db(std::string shownUri, SqlDialect d, const std::string& connector,
       const std::string& connection, std::size_t timeoutSeconds)
        : uri(std::move(shownUri)), dialect(d), session(connector, connection, timeoutSeconds) {}

    common::Error failure(const std::string& what) const {
        return common::Error(500, "room store " + uri + ": " + what);
    }

    // The statement text for this database: on PostgreSQL each '?' outside quotes
    // becomes $1, $2, ...
    std::string sql(std::string_view text) const;
};

// Values bound to a statement's placeholders, in order.
using SqlValue = std::variant<std::string, Poco::Int64>;
using SqlValues = std::vector<SqlValue>;

// Binds copies of `values` to `st` (Poco keeps references otherwise).
void bindAll(Poco::Data::Statement& st, const SqlValues& values);

// Runs `f` (which returns a Result or Status), turning Poco and standard exceptions into
// db.failure().
template <typename F>
auto guarded(const RoomStore::Db& db, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const Poco::Exception& e) {
        return db.failure(e.displayText());
    } catch (const std::exception& e) {
        return db.failure(e.what());
    }
}

// The one row a lookup by key found, or nullopt; errors pass through.
template <typename T>
common::Result<std::optional<T>> firstRow(common::Result<std::vector<T>> rows) {
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<T>();
    return std::optional<T>(std::move(rows->front()));
}

// Times as stored: microseconds since the Unix epoch.
Poco::Int64 toMicros(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point fromMicros(Poco::Int64 us);

// A page request's limit must be 1..kMaxPageSize.
common::Status checkPage(std::size_t limit);

// Rolls back unless commit() ran. BEGIN IMMEDIATE on SQLite (the write lock at once).
class Transaction {
  public:
    explicit Transaction(RoomStore::Db& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    RoomStore::Db& db_;
    bool done_ = false;
};

}  // namespace parley::as

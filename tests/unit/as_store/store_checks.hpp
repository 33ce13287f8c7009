#pragma once
// Store checks that run unchanged on SQLite (tests/unit/as_store) and on a real PostgreSQL
// (tests/component/as_store_pg). Each takes a store on an empty database and fails the
// running Catch2 test case through its assertions.

#include <functional>
#include <memory>
#include <string>

#include "as/store/room_store.hpp"

// REQUIRE that a Status/Result is ok, showing its error message when not.
#define REQUIRE_OK(expr)                                   \
    do {                                                   \
        const auto& ok_ = (expr);                          \
        INFO((ok_ ? std::string() : ok_.error().message)); \
        REQUIRE(ok_);                                      \
    } while (0)

namespace parley::test::store {

using StoreOpener = std::function<std::unique_ptr<as::RoomStore>()>;

// Opens `uri`, failing the test with the store's message when it cannot.
std::unique_ptr<as::RoomStore> openStore(const std::string& uri);

void checkRoomFieldsV2(as::RoomStore& store);
void checkRoomQuery(as::RoomStore& store);
void checkRoutes(as::RoomStore& store);
void checkRouteMatching(as::RoomStore& store);
void checkCdrs(as::RoomStore& store);
void checkRecordings(as::RoomStore& store);
// Values full of SQL and placeholder characters are only data.
void checkValuesAreData(as::RoomStore& store);
// Writes one of everything, closes, reopens through `open`, reads it all back.
void checkReopenKeepsEverything(const StoreOpener& open);

}  // namespace parley::test::store

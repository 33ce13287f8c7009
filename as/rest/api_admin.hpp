#pragma once
// The administration part of the /v1 REST API of parley-as (docs/api.md, docs/openapi.yaml):
// the call routes table (/v1/routes) and the call detail records (/v1/cdrs). The routes are
// registered by addAdminRoutes() (api_routes.hpp); this header holds the JSON edge of those
// routes as pure functions (any thread, nothing throws out) so that they can be tested alone.
//
// Contracts:
// - A route body is the object of a rooms file's "routes" entry (as/store/rooms_file.hpp):
//   "match", "kind" ("room" | "app" | "webhook") and "target" required, "eventsUrl",
//   "priority" (0..1000000, default 100) and "fallbackPrompt" optional, "id" optional and
//   then equal to the id of the path. Unknown members, wrong types and every validateRoute()
//   rule are Error{400, "<member>: ..."}.
// - routeJson() writes every member of a route, "" for an absent eventsUrl/fallbackPrompt,
//   so that what GET answers can be PUT back unchanged.
// - cdrJson() writes every CdrRecord field in camelCase; times are RFC 3339 UTC strings with
//   milliseconds ("2026-05-01T10:00:00.000Z"); joinedAt is null for a call never joined.
// - parseRfc3339() reads "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" ('T' and 'Z' in
//   either case, at most 9 fraction digits, microseconds kept), years 1900..2199 (the range
//   the system clock holds with room to spare); nullopt for anything else.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/JSON/Object.h>

#include "as/rest/api_json.hpp"
#include "as/store/room_store.hpp"
#include "common/result.hpp"

namespace parley::as::api {

// GET /v1/cdrs paging: limit 1..kMaxCdrLimit, kDefaultCdrLimit when absent.
inline constexpr std::uint64_t kDefaultCdrLimit = 50;
inline constexpr std::uint64_t kMaxCdrLimit = 500;

std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// The PUT /v1/routes/{id} body as a route whose id is `pathId`, validated.
common::Result<RouteConfig> routeFromJson(const JsonObject& body, const std::string& pathId);

Poco::JSON::Object routeJson(const RouteConfig& route);
Poco::JSON::Object cdrJson(const CdrRecord& cdr);

}  // namespace parley::as::api

// /v1/routes (the call routes table) and /v1/cdrs (call detail records); see api_admin.hpp.

#include "as/rest/api_admin.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <Poco/JSON/Array.h>

#include "as/rest/api_routes.hpp"
#include "as/rest/media_servers_api.hpp"
#include "common/loop_call.hpp"

namespace parley::as::api {

namespace {

using Clock = std::chrono::system_clock;

common::Error fieldError(const std::string& field, const std::string& what) {
    return common::Error(400, field + ": " + what);
}

// `n` decimal digits at `pos`.
bool readDigits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int value = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        value = value * 10 + (s[i] - '0');
    }
    out = value;
    return true;
}

// A route id as validateRoute accepts it: [a-z0-9-]{1,64}. Anything else names no route.
bool plausibleRouteId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

common::HttpResponse noRoute(const std::string& id) {
    return errorResponse(common::Error(404, "no route with id " + id.substr(0, 64)));
}

common::HttpResponse routeResponse(int status, const RouteConfig& route) {
    auto resp = common::HttpResponse::json(status, stringify(routeJson(route)));
    if (status == 201) resp.headers.emplace_back("Location", "/v1/routes/" + route.id);
    return resp;
}

// ------------------------------------------------------------------------------ routes

common::HttpResponse listRoutes(ApiContext& ctx) {
    auto answer = common::callOnLoop(
        ctx.loop, [&ctx] { return ctx.store.listRoutes(); }, ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    Poco::JSON::Array items;
    for (const auto& route : **answer) items.add(routeJson(route));
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("total", static_cast<Poco::UInt64>((*answer)->size()));
    out.set("items", items);
    return common::HttpResponse::json(200, stringify(out));
}

common::HttpResponse getRoute(ApiContext& ctx, const common::HttpRequest& req) {
    const std::string id = req.params.at("id");
    if (!plausibleRouteId(id)) return noRoute(id);
    auto answer = common::callOnLoop(
        ctx.loop, [&ctx, id] { return ctx.store.findRoute(id); }, ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    if (!**answer) return noRoute(id);
    return routeResponse(200, ***answer);
}

common::HttpResponse putRoute(ApiContext& ctx, const common::HttpRequest& req) {
    const std::string id = req.params.at("id");
    auto body = parseObject(req.body);
    if (!body) return errorResponse(body.error());
    auto route = routeFromJson(*body, id);
    if (!route) return errorResponse(route.error());
    // The answer: whether the route is new.
    auto answer = common::callOnLoop(
        ctx.loop,
        [&ctx, r = *route]() -> common::Result<bool> {
            auto existing = ctx.store.findRoute(r.id);
            if (!existing) return existing.error();
            if (auto ok = ctx.store.putRoute(r); !ok) return ok.error();
            return !existing->has_value();
        },
        ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return routeResponse(**answer ? 201 : 200, *route);
}

common::HttpResponse deleteRoute(ApiContext& ctx, const common::HttpRequest& req) {
    const std::string id = req.params.at("id");
    if (!plausibleRouteId(id)) return noRoute(id);
    auto answer = common::callOnLoop(
        ctx.loop, [&ctx, id] { return ctx.store.removeRoute(id); }, ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    if (!**answer) return noRoute(id);
    return common::HttpResponse::json(204, "");
}

// -------------------------------------------------------------------------------- CDRs

common::Status queryTime(const common::HttpRequest& req, const char* name,
                         std::optional<Clock::time_point>& out) {
    auto it = req.query.find(name);
    if (it == req.query.end()) return {};
    auto t = parseRfc3339(it->second);
    if (!t)
        return fieldError(
            name,
            "must be an RFC 3339 date-time such as 2026-05-01T10:00:00Z (years 1900..2199; "
            "write a '+' offset as %2B)");
    out = t;
    return {};
}

common::HttpResponse listCdrs(ApiContext& ctx, const common::HttpRequest& req) {
    CdrQuery query;
    std::uint64_t offset = 0, limit = kDefaultCdrLimit;
    if (auto it = req.query.find("room"); it != req.query.end()) {
        if (!plausibleRoomName(it->second))
            return errorResponse(
                fieldError("room", "must be a conference name ([A-Za-z0-9._~-]{1,64})"));
        query.room = it->second;
    }
    if (auto ok = queryTime(req, "since", query.since); !ok) return errorResponse(ok.error());
    if (auto ok = queryTime(req, "until", query.until); !ok) return errorResponse(ok.error());
    if (query.since && query.until && *query.until < *query.since)
        return errorResponse(fieldError("until", "earlier than since"));
    if (auto ok = queryUint(req, "offset", offset, 0, 1000000000); !ok)
        return errorResponse(ok.error());
    if (auto ok = queryUint(req, "limit", limit, 1, kMaxCdrLimit); !ok)
        return errorResponse(ok.error());
    query.offset = static_cast<std::size_t>(offset);
    query.limit = static_cast<std::size_t>(limit);
    auto answer = common::callOnLoop(
        ctx.loop, [&ctx, query] { return ctx.store.listCdrs(query); }, ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    Poco::JSON::Array items;
    for (const auto& cdr : (*answer)->first) items.add(cdrJson(cdr));
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("total", static_cast<Poco::UInt64>((*answer)->second));
    out.set("offset", static_cast<Poco::UInt64>(offset));
    out.set("limit", static_cast<Poco::UInt64>(limit));
    out.set("items", items);
    return common::HttpResponse::json(200, stringify(out));
}

}  // namespace

std::optional<Clock::time_point> parseRfc3339(std::string_view s) {
    // "YYYY-MM-DDTHH:MM:SS" is 19 characters; the zone at least one more.
    if (s.size() < 20 || s.size() > 64) return std::nullopt;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!readDigits(s, 0, 4, y) || s[4] != '-' || !readDigits(s, 5, 2, mo) || s[7] != '-' ||
        !readDigits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !readDigits(s, 11, 2, h) ||
        s[13] != ':' || !readDigits(s, 14, 2, mi) || s[16] != ':' || !readDigits(s, 17, 2, sec))
        return std::nullopt;
    std::size_t pos = 19;
    std::int64_t micros = 0;
    if (s[pos] == '.') {
        const std::size_t first = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - first < 6) micros = micros * 10 + (s[pos] - '0');
            ++pos;
        }
        const std::size_t n = pos - first;
        if (n == 0 || n > 9) return std::nullopt;
        for (std::size_t i = n; i < 6; ++i) micros *= 10;
    }
    if (pos >= s.size()) return std::nullopt;
    int offsetMinutes = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int oh = 0, om = 0;
        if (!readDigits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !readDigits(s, pos + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offsetMinutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    if (y < 1900 || y > 2199 || h > 23 || mi > 59 || sec > 60)
        return std::nullopt;  // 60: a leap second
    const std::chrono::year_month_day date{std::chrono::year{y},
                                           std::chrono::month{static_cast<unsigned>(mo)},
                                           std::chrono::day{static_cast<unsigned>(d)}};
    if (!date.ok()) return std::nullopt;
    const auto utc = std::chrono::sys_days(date) + std::chrono::hours(h) +
                     std::chrono::minutes(mi) + std::chrono::seconds(sec) +
                     std::chrono::microseconds(micros) - std::chrono::minutes(offsetMinutes);
    return std::chrono::time_point_cast<Clock::duration>(utc);
}

common::Result<RouteConfig> routeFromJson(const JsonObject& body, const std::string& pathId) {
    if (auto ok = onlyKnown(
            body, {"id", "match", "kind", "target", "eventsUrl", "priority", "fallbackPrompt"});
        !ok)
        return ok.error();
    RouteConfig route;
    route.id = pathId;
    std::optional<std::string> id, match, kind, target, eventsUrl, fallbackPrompt;
    std::optional<std::uint64_t> priority;
    // Generous byte limits here; validateRoute() has the real ones with their messages.
    if (auto ok = readString(body, "id", id, 256); !ok) return ok.error();
    if (auto ok = readString(body, "match", match, 4096); !ok) return ok.error();
    if (auto ok = readString(body, "kind", kind, 64); !ok) return ok.error();
    if (auto ok = readString(body, "target", target, 4096); !ok) return ok.error();
    if (auto ok = readString(body, "eventsUrl", eventsUrl, 4096); !ok) return ok.error();
    if (auto ok = readString(body, "fallbackPrompt", fallbackPrompt, 4096); !ok) return ok.error();
    if (auto ok = readUint(body, "priority", priority, 0, 1000000); !ok) return ok.error();
    if (id && *id != pathId)
        return fieldError("id", "differs from the id in the path (" + pathId.substr(0, 64) + ")");
    if (!match) return fieldError("match", "missing");
    if (!kind) return fieldError("kind", "missing");
    if (!target) return fieldError("target", "missing");
    auto parsedKind = kindFromName(*kind);
    if (!parsedKind) return fieldError("kind", "must be \"room\", \"app\" or \"webhook\"");
    route.match = *match;
    route.kind = *parsedKind;
    route.target = *target;
    if (eventsUrl) route.eventsUrl = *eventsUrl;
    if (fallbackPrompt) route.fallbackPrompt = *fallbackPrompt;
    if (priority) route.priority = static_cast<int>(*priority);
    if (auto ok = validateRoute(route); !ok) return ok.error();
    return route;
}

Poco::JSON::Object routeJson(const RouteConfig& route) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", route.id);
    o.set("match", route.match);
    o.set("kind", std::string(kindName(route.kind)));
    o.set("target", route.target);
    o.set("eventsUrl", route.eventsUrl);
    o.set("priority", route.priority);
    o.set("fallbackPrompt", route.fallbackPrompt);
    return o;
}

Poco::JSON::Object cdrJson(const CdrRecord& cdr) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", static_cast<Poco::Int64>(cdr.id));
    o.set("callId", cdr.callId);
    o.set("room", cdr.room);
    o.set("participant", cdr.participant);
    o.set("from", cdr.from);
    o.set("to", cdr.to);
    o.set("direction", cdr.direction);
    o.set("endReason", cdr.endReason);
    o.set("startedAt", formatUtc(cdr.startedAt));
    o.set("joinedAt", timeOrNull(cdr.joinedAt));
    o.set("endedAt", formatUtc(cdr.endedAt));
    return o;
}

void addAdminRoutes(GuardedRoutes& routes, ApiContext& ctx) {
    routes.add("GET", "/v1/routes", [&ctx](const common::HttpRequest&) { return listRoutes(ctx); });
    routes.add("GET", "/v1/routes/{id}",
               [&ctx](const common::HttpRequest& r) { return getRoute(ctx, r); });
    routes.add("PUT", "/v1/routes/{id}",
               [&ctx](const common::HttpRequest& r) { return putRoute(ctx, r); });
    routes.add("DELETE", "/v1/routes/{id}",
               [&ctx](const common::HttpRequest& r) { return deleteRoute(ctx, r); });
    routes.add("GET", "/v1/cdrs",
               [&ctx](const common::HttpRequest& r) { return listCdrs(ctx, r); });
}

}  // namespace parley::as::api

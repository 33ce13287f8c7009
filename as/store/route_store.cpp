// Call routes (webhook-scripted calls): validation, matching, and the routes table.

#include <algorithm>
#include <cctype>
#include <string>

#include <Poco/Data/Statement.h>

#include "as/store/room_store.hpp"
#include "as/store/postgres_uri.hpp"
#include "as/store/store_db.hpp"

namespace parley::as {

using common::Error;
using common::Result;
using common::Status;
using namespace Poco::Data::Keywords;

namespace {

bool isPrintableNoSpace(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
    });
}

bool isLowerName(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// '*' matches any run (also empty); everything else matches itself exactly.
bool globMatches(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, starP = std::string_view::npos, starT = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            starP = p++;
            starT = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (starP != std::string_view::npos) {
            p = starP + 1;
            t = ++starT;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::size_t literalLength(std::string_view pattern) {
    return static_cast<std::size_t>(
        std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '*'; }));
}

constexpr const char* kRouteColumns =
    "id, match_pattern, kind, target, events_url, priority, fallback_prompt";

Result<std::vector<RouteConfig>> readRoutes(RoomStore::Db& db, const std::string& where,
                                            const SqlValues& values) {
    std::vector<std::string> ids, matches, kinds, targets, events, prompts;
    std::vector<Poco::Int64> priorities;
    Poco::Data::Statement st(db.session);
    st << db.sql(std::string("SELECT ") + kRouteColumns + " FROM routes" + where +
                 " ORDER BY priority, id"),
        into(ids), into(matches), into(kinds), into(targets), into(events), into(priorities),
        into(prompts);
    bindAll(st, values);
    st.execute();
    std::vector<RouteConfig> routes;
    routes.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        RouteConfig r;
        r.id = ids[i];
        r.match = matches[i];
        auto kind = kindFromName(kinds[i]);
        if (!kind) return db.failure("route '" + r.id + "' has an unknown kind");
        r.kind = *kind;
        r.target = targets[i];
        r.eventsUrl = events[i];
        if (priorities[i] < 0 || priorities[i] > 1000000)
            return db.failure("route '" + r.id + "' has priority out of range");
        r.priority = static_cast<int>(priorities[i]);
        r.fallbackPrompt = prompts[i];
        if (auto ok = validateRoute(r); !ok)
            return db.failure("route '" + r.id + "' stored invalid: " + ok.error().message);
        routes.push_back(std::move(r));
    }
    return routes;
}

}  // namespace

bool isBuiltinApp(std::string_view name) {
    return name == "echo" || name == "clock";
}

bool isHttpUrl(std::string_view url) {
    if (url.size() > kMaxUrlLength || !isPrintableNoSpace(url)) return false;
    std::string_view rest;
    if (startsWithCaseless(url, "http://"))
        rest = url.substr(7);
    else if (startsWithCaseless(url, "https://"))
        rest = url.substr(8);
    else
        return false;
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos)
        authority = authority.substr(at + 1);
    std::string_view host = authority;
    std::string_view port;
    bool hasPort = false;
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos || close < 2) return false;
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return false;
            port = after.substr(1);
            hasPort = true;
        }
        if (!std::all_of(host.begin(), host.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
            }))
            return false;
    } else {
        if (std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            hasPort = true;
        }
        if (host.empty()) return false;
        if (!std::all_of(host.begin(), host.end(), [](char c) {
                auto u = static_cast<unsigned char>(c);
                return std::isalnum(u) || c == '.' || c == '-' || c == '_' || c == '%';
            }))
            return false;
    }
    if (hasPort) {
        if (port.empty() || port.size() > 5) return false;
        unsigned value = 0;
        for (char c : port) {
            if (c < '0' || c > '9') return false;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) return false;
    }
    return true;
}

std::string_view kindName(RouteConfig::Kind kind) {
    switch (kind) {
        case RouteConfig::Kind::Room:
            return "room";
        case RouteConfig::Kind::App:
            return "app";
        case RouteConfig::Kind::Webhook:
            return "webhook";
    }
    return "room";
}

std::optional<RouteConfig::Kind> kindFromName(std::string_view name) {
    for (auto kind : {RouteConfig::Kind::Room, RouteConfig::Kind::App, RouteConfig::Kind::Webhook})
        if (kindName(kind) == name) return kind;
    return std::nullopt;
}

Status validateRoute(const RouteConfig& route) {
    if (!isLowerName(route.id)) return Error(400, "id: must be 1..64 of a-z 0-9 -");
    if (route.match.empty()) return Error(400, "match: missing");
    if (route.match.size() > kMaxPatternLength)
        return Error(400, "match: at most " + std::to_string(kMaxPatternLength) + " characters");
    if (!isPrintableNoSpace(route.match) || route.match.find_first_of("<>\"") != std::string::npos)
        return Error(400, "match: only printable ASCII without spaces, '<', '>' or '\"'");
    switch (route.kind) {
        case RouteConfig::Kind::Room: {
            RoomConfig room;
            room.name = route.target;
            if (auto ok = validateRoom(room); !ok) {
                std::string message = ok.error().message;
                if (message.rfind("name: ", 0) == 0) message = message.substr(6);
                return Error(400, "target: " + message);
            }
            break;
        }
        case RouteConfig::Kind::App:
            if (!isBuiltinApp(route.target))
                return Error(400, "target: no built-in application '" +
                                      route.target.substr(0, 64) +
                                      "' (there are \"echo\" and \"clock\")");
            break;
        case RouteConfig::Kind::Webhook:
            if (!isHttpUrl(route.target))
                return Error(400, "target: must be an http:// or https:// URL with a host");
            break;
    }
    if (!route.eventsUrl.empty() && !isHttpUrl(route.eventsUrl))
        return Error(400, "eventsUrl: must be an http:// or https:// URL with a host");
    if (route.priority < 0 || route.priority > 1000000)
        return Error(400, "priority: must be 0..1000000, got " + std::to_string(route.priority));
    if (!route.fallbackPrompt.empty()) {
        const auto& p = route.fallbackPrompt;
        std::size_t colon = p.find(':');
        if (p.size() > 1024 || !isPrintableNoSpace(p) || colon == std::string::npos || colon == 0 ||
            colon + 1 == p.size())
            return Error(400,
                         "fallbackPrompt: must be a URI (scheme:...), at most 1024 printable "
                         "characters without spaces");
    }
    return {};
}

bool routeMatches(const RouteConfig& route, std::string_view requestUser,
                  std::string_view requestUri) {
    if (route.match.find(':') != std::string::npos) return uriMatches(route.match, requestUri);
    return globMatches(route.match, requestUser);
}

Status RoomStore::putRoute(const RouteConfig& route) {
    if (auto ok = validateRoute(route); !ok) return ok;
    return guarded(*db_, [&]() -> Status {
        Poco::Data::Statement st(db_->session);
        st << db_->sql(std::string("INSERT INTO routes (") + kRouteColumns +
                       ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                       " match_pattern = excluded.match_pattern, kind = excluded.kind,"
                       " target = excluded.target, events_url = excluded.events_url,"
                       " priority = excluded.priority,"
                       " fallback_prompt = excluded.fallback_prompt");
        bindAll(st,
                {route.id, route.match, std::string(kindName(route.kind)), route.target,
                 route.eventsUrl, static_cast<Poco::Int64>(route.priority), route.fallbackPrompt});
        st.execute();
        return {};
    });
}

Result<std::optional<RouteConfig>> RoomStore::findRoute(std::string_view id) const {
    return guarded(*db_, [&]() -> Result<std::optional<RouteConfig>> {
        return firstRow(readRoutes(*db_, " WHERE id = ?", {std::string(id)}));
    });
}

Result<std::vector<RouteConfig>> RoomStore::listRoutes() const {
    return guarded(*db_, [&] { return readRoutes(*db_, "", {}); });
}

Result<bool> RoomStore::removeRoute(std::string_view id) {
    return guarded(*db_, [&]() -> Result<bool> {
        Poco::Data::Statement st(db_->session);
        st << db_->sql("DELETE FROM routes WHERE id = ?");
        bindAll(st, {std::string(id)});
        return st.execute() > 0;
    });
}

Result<std::optional<RouteConfig>> RoomStore::matchRoute(std::string_view requestUser,
                                                         std::string_view requestUri) const {
    auto routes = listRoutes();
    if (!routes) return routes.error();
    const RouteConfig* best = nullptr;
    for (const auto& r : *routes) {  // ordered by priority, then id
        if (!routeMatches(r, requestUser, requestUri)) continue;
        if (best &&
            (r.priority > best->priority || literalLength(r.match) <= literalLength(best->match)))
            continue;
        best = &r;
    }
    if (!best) return std::optional<RouteConfig>();
    return std::optional<RouteConfig>(*best);
}

}  // namespace parley::as

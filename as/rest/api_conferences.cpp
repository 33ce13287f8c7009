// /v1/conferences (create, list, get, update, end) and /v1/media-servers; addApiRoutes().

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include "as/focus/focus.hpp"
#include "as/msclient/media_server_registry.hpp"
#include "as/rest/api_json.hpp"
#include "as/rest/api_routes.hpp"
#include "as/rest/media_servers_api.hpp"
#include "as/store/room_store.hpp"
#include "common/log.hpp"
#include "common/loop_call.hpp"

namespace parley::as {

namespace api {

namespace {

constexpr std::uint64_t kMaxLimit = kMaxPageSize;

std::string generatedName() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string name = "conf-";
    for (int i = 0; i < 10; ++i) name += kHex[rng() % 16];
    return name;
}

std::string roomUri(const ApiContext& ctx, const std::string& name) {
    return ctx.sipUriHost.empty() ? std::string() : "sip:" + name + "@" + ctx.sipUriHost;
}

// A room as one answer: its configuration and, when active, its run-time state.
struct RoomView {
    RoomConfig config;
    std::optional<RoomStatus> live;
};

common::HttpResponse roomResponse(int status, const ApiContext& ctx, const RoomView& v) {
    auto resp = common::HttpResponse::json(
        status, stringify(roomJson(v.config, v.live ? &*v.live : nullptr, roomUri(ctx, v.config.name))));
    if (status == 201) resp.headers.emplace_back("Location", "/v1/conferences/" + v.config.name);
    return resp;
}

// Loop thread: the stored room, else an active ad hoc one.
common::Result<RoomView> findRoom(ApiContext& ctx, const std::string& name) {
    auto stored = ctx.store.find(name);
    if (!stored) return stored.error();
    RoomView v;
    v.live = ctx.focus.roomStatus(name);
    if (*stored) v.config = **stored;
    else if (v.live) {
        v.config.name = name;
        v.config.adHoc = true;
    } else {
        return common::Error(404, "no conference named " + name);
    }
    return v;
}

common::HttpResponse create(ApiContext& ctx, const common::HttpRequest& req) {
    auto body = parseObject(req.body, true);
    if (!body) return errorResponse(body.error());
    RoomConfig room;
    room.name = generatedName();
    if (auto ok = applyRoomFields(*body, room, true); !ok) return errorResponse(ok.error());
    auto answer = common::callOnLoop(
        ctx.loop,
        [&ctx, room]() -> common::Result<RoomView> {
            auto existing = ctx.store.find(room.name);
            if (!existing) return existing.error();
            if (*existing || ctx.focus.roomStatus(room.name))
                return common::Error(409, "a conference named " + room.name + " exists");
            if (auto ok = ctx.store.put(room); !ok) return ok.error();
            return RoomView{room, std::nullopt};
        },
        ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return roomResponse(201, ctx, **answer);
}

common::HttpResponse list(ApiContext& ctx, const common::HttpRequest& req) {
    RoomQuery query;
    std::optional<bool> active;
    std::uint64_t offset = 0, limit = 100;
    if (auto it = req.query.find("namePrefix"); it != req.query.end()) {
        if (it->second.size() > 64) return errorResponse(common::Error(400, "namePrefix: longer than 64 bytes"));
        query.namePrefix = it->second;
    }
    if (auto ok = queryBool(req, "locked", query.locked); !ok) return errorResponse(ok.error());
    if (auto ok = queryBool(req, "active", active); !ok) return errorResponse(ok.error());
    if (auto ok = queryUint(req, "offset", offset, 0, 1000000000); !ok) return errorResponse(ok.error());
    if (auto ok = queryUint(req, "limit", limit, 1, kMaxLimit); !ok) return errorResponse(ok.error());
    using Page = std::pair<std::vector<RoomView>, std::size_t>;
    auto answer = common::callOnLoop(
        ctx.loop,
        [&ctx, query, active, offset, limit]() mutable -> common::Result<Page> {
            std::map<std::string, RoomStatus> live;
            for (auto& r : ctx.focus.rooms()) live.emplace(r.name, r);
            Page page;
            if (!active) {
                query.offset = offset;
                query.limit = limit;
                auto rows = ctx.store.query(query);
                if (!rows) return rows.error();
                for (auto& room : rows->first) {
                    auto it = live.find(room.name);
                    page.first.push_back(RoomView{room, it == live.end() ? std::nullopt : std::optional(it->second)});
                }
                page.second = rows->second;
                return page;
            }
            // Activity is run-time state, not stored: filter all matches, then page.
            std::size_t index = 0;
            query.limit = kMaxPageSize;
            for (query.offset = 0;; query.offset += kMaxPageSize) {
                auto rows = ctx.store.query(query);
                if (!rows) return rows.error();
                for (auto& room : rows->first) {
                    auto it = live.find(room.name);
                    if ((it != live.end()) != *active) continue;
                    if (index >= offset && page.first.size() < limit)
                        page.first.push_back(
                            RoomView{room, it == live.end() ? std::nullopt : std::optional(it->second)});
                    ++index;
                }
                if (rows->first.size() < kMaxPageSize || query.offset + kMaxPageSize >= rows->second) break;
            }
            page.second = index;
            return page;
        },
        ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    Poco::JSON::Array items;
    for (const auto& v : (*answer)->first)
        items.add(roomJson(v.config, v.live ? &*v.live : nullptr, roomUri(ctx, v.config.name)));
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("total", static_cast<Poco::UInt64>((*answer)->second));
    out.set("offset", static_cast<Poco::UInt64>(offset));
    out.set("limit", static_cast<Poco::UInt64>(limit));
    out.set("conferences", items);
    return common::HttpResponse::json(200, stringify(out));
}

common::HttpResponse get(ApiContext& ctx, const common::HttpRequest& req) {
    std::string name = req.params.at("name");
    if (!plausibleRoomName(name)) return errorResponse(common::Error(404, "no conference named " + name));
    auto answer = common::callOnLoop(ctx.loop, [&ctx, name] { return findRoom(ctx, name); }, ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return roomResponse(200, ctx, **answer);
}

common::HttpResponse update(ApiContext& ctx, const common::HttpRequest& req) {
    std::string name = req.params.at("name");
    if (!plausibleRoomName(name)) return errorResponse(common::Error(404, "no conference named " + name));
    auto body = parseObject(req.body);
    if (!body) return errorResponse(body.error());
    JsonObject patch = *body;
    auto answer = common::callOnLoop(
        ctx.loop,
        [&ctx, name, patch]() -> common::Result<RoomView> {
            auto view = findRoom(ctx, name);
            if (!view) return view.error();
            if (view->config.adHoc)
                return common::Error(409, name + " is an ad hoc conference: it has no stored configuration");
            RoomConfig changed = view->config;
            if (auto ok = applyRoomFields(patch, changed, false); !ok) return ok.error();
            if (auto ok = ctx.store.put(changed); !ok) return ok.error();
            // A room that is not active has nothing to re-read: its 404 is expected.
            if (view->live) (void)ctx.focus.roomChanged(name);
            view->config = changed;
            view->live = ctx.focus.roomStatus(name);
            return view;
        },
        ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return roomResponse(200, ctx, **answer);
}

common::HttpResponse end(ApiContext& ctx, const common::HttpRequest& req) {
    std::string name = req.params.at("name");
    if (!plausibleRoomName(name)) return errorResponse(common::Error(404, "no conference named " + name));
    std::optional<bool> keep;
    if (auto ok = queryBool(req, "keep", keep); !ok) return errorResponse(ok.error());
    bool removeStored = !keep.value_or(false);
    auto answer = common::callOnLoop(
        ctx.loop,
        [&ctx, name, removeStored]() -> common::Status {
            auto view = findRoom(ctx, name);
            if (!view) return view.error();
            if (view->live) {
                if (auto ok = ctx.focus.endRoom(name, "ended through the REST API"); !ok && ok.error().code != 404)
                    return ok;
            }
            if (removeStored && !view->config.adHoc) {
                auto removed = ctx.store.remove(name);
                if (!removed) return removed.error();
            }
            return {};
        },
        ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return common::HttpResponse::json(204, "");
}

}  // namespace

bool plausibleRoomName(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-';
    });
}

bool plausibleId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

void addConferenceRoutes(GuardedRoutes& routes, ApiContext& ctx) {
    routes.add("POST", "/v1/conferences", [&ctx](const common::HttpRequest& r) { return create(ctx, r); });
    routes.add("GET", "/v1/conferences", [&ctx](const common::HttpRequest& r) { return list(ctx, r); });
    routes.add("GET", "/v1/conferences/{name}", [&ctx](const common::HttpRequest& r) { return get(ctx, r); });
    routes.add("PATCH", "/v1/conferences/{name}", [&ctx](const common::HttpRequest& r) { return update(ctx, r); });
    routes.add("DELETE", "/v1/conferences/{name}", [&ctx](const common::HttpRequest& r) { return end(ctx, r); });
    addMediaServerRoutes(routes.router(), ctx.loop, ctx.registry, ctx.loopTimeout, routes.door());
}

}  // namespace api

ApiDoor addApiRoutes(common::HttpRouter& router, ApiContext& ctx) {
    Poco::Logger& log = common::logger("rest");
    if (!ctx.tokens.empty()) {
        PARLEY_LOG_NOTICE(log, "REST API /v1: bearer tokens required (" << ctx.tokens.size() << " configured)");
    } else if (ctx.loopbackListener) {
        PARLEY_LOG_WARN(log, "REST API /v1: no --api-token configured; open to clients on this host only "
                             "(loopback listener)");
    } else {
        PARLEY_LOG_WARN(log, "REST API /v1: no --api-token configured and the HTTP listener is not loopback: "
                             "every /v1 call is refused with 401");
    }
    auto guard = std::make_shared<ApiGuard>(ctx.tokens, ctx.loopbackListener, ctx.ratePerClient);
    ApiDoor door = [guard](common::HttpHandler handler) -> common::HttpHandler {
        return [guard, handler = std::move(handler)](const common::HttpRequest& r) {
            if (auto refused = guard->admit(r)) return std::move(*refused);
            return handler(r);
        };
    };
    api::GuardedRoutes routes(router, door);
    api::addConferenceRoutes(routes, ctx);
    api::addParticipantRoutes(routes, ctx);
    api::addMediaRoutes(routes, ctx);
    api::addAdminRoutes(routes, ctx);
    return door;
}

}  // namespace parley::as

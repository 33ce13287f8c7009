// /v1/conferences/{name}/participants... and the media routes: announcements, recordings,
// moves, sidebars.

#include <optional>

#include "as/focus/focus.hpp"
#include "as/rest/api_json.hpp"
#include "as/rest/api_loop.hpp"
#include "as/rest/api_routes.hpp"
#include "as/store/room_store.hpp"
#include "common/loop_call.hpp"

namespace parley::as::api {

namespace {

using Req = common::HttpRequest;
using Resp = common::HttpResponse;

// Path parameters checked before the loop is asked: malformed ones cannot exist.
std::optional<Resp> badPath(const Req& req) {
    if (auto it = req.params.find("name"); it != req.params.end() && !plausibleRoomName(it->second))
        return errorResponse(common::Error(404, "no conference named " + it->second));
    if (auto it = req.params.find("id"); it != req.params.end() && !plausibleId(it->second))
        return errorResponse(common::Error(404, "no such id " + it->second));
    return std::nullopt;
}

Resp noContent() { return Resp::json(204, ""); }

template <typename T>
Resp fail(const std::optional<common::Result<T>>& answer) {
    if (!answer) return loopBusy();
    return errorResponse(answer->error());
}

bool sipUri(const std::string& uri) {
    return uri.rfind("sip:", 0) == 0 || uri.rfind("sips:", 0) == 0 || uri.rfind("tel:", 0) == 0;
}

common::Status checkRole(const std::optional<std::string>& role) {
    if (role && *role != "participant" && *role != "moderator")
        return common::Error(400, "role: must be \"participant\" or \"moderator\"");
    return {};
}

// ------------------------------------------------------------------------ participants

Resp listParticipants(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name");
    auto answer = common::callOnLoop(ctx.loop, [&ctx, name] { return ctx.focus.participants(name); },
                                     ctx.loopTimeout);
    if (!answer || !*answer) return fail(answer);
    Poco::JSON::Array items;
    for (const auto& p : **answer) items.add(participantJson(p));
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("total", static_cast<Poco::UInt64>((*answer)->size()));
    out.set("participants", items);
    return Resp::json(200, stringify(out));
}

Resp getParticipant(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name"), id = req.params.at("id");
    auto answer = common::callOnLoop(ctx.loop, [&ctx, name, id] { return ctx.focus.participant(name, id); },
                                     ctx.loopTimeout);
    if (!answer || !*answer) return fail(answer);
    return Resp::json(200, stringify(participantJson(**answer)));
}

Resp dialOut(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name");
    auto body = parseObject(req.body);
    if (!body) return errorResponse(body.error());
    if (auto ok = onlyKnown(*body, {"uri", "callerId", "timeout", "role"}); !ok) return errorResponse(ok.error());
    std::optional<std::string> uri, callerId, role;
    std::optional<std::uint64_t> timeout;
    common::Status ok;
    if (ok = readString(*body, "uri", uri, 512); !ok) return errorResponse(ok.error());
    if (ok = readString(*body, "callerId", callerId, 256); !ok) return errorResponse(ok.error());
    if (ok = readString(*body, "role", role, 32); !ok) return errorResponse(ok.error());
    if (ok = readUint(*body, "timeout", timeout, 1, 120); !ok) return errorResponse(ok.error());
    if (!uri) return errorResponse(common::Error(400, "uri: required"));
    if (!sipUri(*uri)) return errorResponse(common::Error(400, "uri: must be a sip:, sips: or tel: URI"));
    if (ok = checkRole(role); !ok) return errorResponse(ok.error());
    DialOutRequest r;
    r.uri = *uri;
    r.callerId = callerId.value_or("");
    r.role = role.value_or("participant");
    if (timeout) r.timeout = std::chrono::seconds(*timeout);
    auto answer = common::callOnLoop(ctx.loop, [&ctx, name, r] { return ctx.focus.dialOut(name, r); },
                                     ctx.loopTimeout);
    if (!answer || !*answer) return fail(answer);
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("id", **answer);
    out.set("conference", name);
    out.set("state", "connecting");
    auto resp = Resp::json(202, stringify(out));
    resp.headers.emplace_back("Location", "/v1/conferences/" + name + "/participants/" + **answer);
    return resp;
}

Resp changeParticipant(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name"), id = req.params.at("id");
    auto body = parseObject(req.body);
    if (!body) return errorResponse(body.error());
    if (auto ok = onlyKnown(*body, {"muted", "deaf", "volumeDb", "role", "hold", "coach"}); !ok)
        return errorResponse(ok.error());
    ParticipantChange c;
    common::Status ok;
    if (ok = readBool(*body, "muted", c.muted); !ok) return errorResponse(ok.error());
    if (ok = readBool(*body, "deaf", c.deaf); !ok) return errorResponse(ok.error());
    if (ok = readBool(*body, "hold", c.hold); !ok) return errorResponse(ok.error());
    if (ok = readNumber(*body, "volumeDb", c.volumeDb, -96.0, 24.0); !ok) return errorResponse(ok.error());
    if (ok = readString(*body, "role", c.role, 32); !ok) return errorResponse(ok.error());
    if (ok = checkRole(c.role); !ok) return errorResponse(ok.error());
    if (ok = readStrings(*body, "coach", c.coach, 64, 64); !ok) return errorResponse(ok.error());
    if (body->get()->size() == 0)
        return errorResponse(common::Error(400, "body: nothing to change (muted, deaf, volumeDb, role, hold, coach)"));
    auto answer = callOnLoopAsync<common::Result<ParticipantInfo>>(
        ctx.loop,
        [&ctx, name, id, c](std::function<void(common::Result<ParticipantInfo>)> reply) {
            ctx.focus.change(name, id, c, [&ctx, name, id, reply](common::Status done) {
                if (!done) reply(done.error());
                else reply(ctx.focus.participant(name, id));
            });
        },
        ctx.operationTimeout);
    if (!answer || !*answer) return fail(answer);
    return Resp::json(200, stringify(participantJson(**answer)));
}

Resp kick(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name"), id = req.params.at("id");
    auto answer = common::callOnLoop(ctx.loop, [&ctx, name, id] { return ctx.focus.kick(name, id); },
                                     ctx.loopTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return noContent();
}

// ------------------------------------------------------------------------------ media

common::Result<Announcement> announcementFrom(const JsonObject& body) {
    if (auto ok = onlyKnown(body, {"play", "say", "loop"}); !ok) return ok.error();
    std::optional<std::string> play;
    std::optional<std::uint64_t> loop;
    if (auto ok = readString(body, "play", play, 2048); !ok) return ok.error();
    if (auto ok = readUint(body, "loop", loop, 1, 100); !ok) return ok.error();
    bool say = body->has("say") && !body->isNull("say");
    if (play.has_value() == say) return common::Error(400, "body: exactly one of \"play\" and \"say\" is required");
    Announcement a;
    a.repeatCount = static_cast<std::uint32_t>(loop.value_or(1));
    if (play) {
        if (play->rfind("http://", 0) != 0 && play->rfind("https://", 0) != 0 && play->rfind("file://", 0) != 0)
            return common::Error(400, "play: must be an http://, https:// or file:// URL");
        a.prompt.push_back(PromptItem{PromptItem::Kind::Media, *play, {}, {}});
        return a;
    }
    auto v = body->get("say");
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) return common::Error(400, "say: must be an object");
    auto s = v.extract<Poco::JSON::Object::Ptr>();
    if (auto ok = onlyKnown(s, {"type", "value", "format"}); !ok) return common::Error(400, "say." + ok.error().message);
    std::optional<std::string> type, value, format;
    if (auto ok = readString(s, "type", type, 16); !ok) return common::Error(400, "say." + ok.error().message);
    if (auto ok = readString(s, "value", value, 64); !ok) return common::Error(400, "say." + ok.error().message);
    if (auto ok = readString(s, "format", format, 16); !ok) return common::Error(400, "say." + ok.error().message);
    if (!type || (*type != "digits" && *type != "date" && *type != "time"))
        return common::Error(400, "say.type: must be \"digits\", \"date\" or \"time\"");
    if (!value || value->empty()) return common::Error(400, "say.value: required");
    bool digitsOnly = value->find_first_not_of("0123456789") == std::string::npos;
    if (*type == "digits" && (!digitsOnly || value->size() > 32))
        return common::Error(400, "say.value: digits must be 1 to 32 characters 0-9");
    if (*type == "date" && (!digitsOnly || value->size() != 8))
        return common::Error(400, "say.value: a date is YYYYMMDD");
    if (*type == "time" && (!digitsOnly || value->size() != 4))
        return common::Error(400, "say.value: a time is HHMM");
    if (format && format->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos)
        return common::Error(400, "say.format: letters and digits only");
    a.prompt.push_back(PromptItem{PromptItem::Kind::Variable, *value, *type, format.value_or("")});
    return a;
}

Resp announce(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name");
    std::string id = req.params.count("id") ? req.params.at("id") : std::string();
    auto body = parseObject(req.body);
    if (!body) return errorResponse(body.error());
    auto a = announcementFrom(*body);
    if (!a) return errorResponse(a.error());
    Announcement announcement = *a;
    auto answer = callOnLoopAsync<common::Status>(
        ctx.loop,
        [&ctx, name, id, announcement](std::function<void(common::Status)> reply) {
            ctx.focus.announce(name, id, announcement, reply);
        },
        ctx.operationTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("conference", name);
    out.set("participant", id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(id));
    out.set("status", "playing");
    return Resp::json(202, stringify(out));
}

Resp startRecording(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name");
    auto body = parseObject(req.body, true);
    if (!body) return errorResponse(body.error());
    if (auto ok = onlyKnown(*body, {}); !ok) return errorResponse(ok.error());
    auto answer = callOnLoopAsync<common::Result<std::string>>(
        ctx.loop,
        [&ctx, name](std::function<void(common::Result<std::string>)> reply) {
            ctx.focus.startRecording(name, reply);
        },
        ctx.operationTimeout);
    if (!answer || !*answer) return fail(answer);
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("id", **answer);
    out.set("conference", name);
    out.set("state", "recording");
    auto resp = Resp::json(201, stringify(out));
    resp.headers.emplace_back("Location", "/v1/recordings/" + **answer);
    return resp;
}

Resp listRecordings(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name");
    std::uint64_t offset = 0, limit = 100;
    if (auto ok = queryUint(req, "offset", offset, 0, 1000000000); !ok) return errorResponse(ok.error());
    if (auto ok = queryUint(req, "limit", limit, 1, 1000); !ok) return errorResponse(ok.error());
    using Page = std::pair<std::vector<RecordingRecord>, std::size_t>;
    auto answer = common::callOnLoop(
        ctx.loop,
        [&ctx, name, offset, limit]() -> common::Result<Page> {
            auto stored = ctx.store.find(name);
            if (!stored) return stored.error();
            const bool live = ctx.focus.roomStatus(name).has_value();
            if (!*stored && !live) return common::Error(404, "no conference named " + name);
            auto rows = ctx.store.listRecordings(name, offset, limit);
            if (!rows) return rows.error();
            return Page(std::move(rows->first), rows->second);
        },
        ctx.loopTimeout);
    if (!answer || !*answer) return fail(answer);
    Poco::JSON::Array items;
    for (const auto& r : (*answer)->first) items.add(recordingJson(r));
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("total", static_cast<Poco::UInt64>((*answer)->second));
    out.set("offset", static_cast<Poco::UInt64>(offset));
    out.set("limit", static_cast<Poco::UInt64>(limit));
    out.set("recordings", items);
    return Resp::json(200, stringify(out));
}

Resp stopRecording(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name"), id = req.params.at("id");
    auto answer = callOnLoopAsync<common::Status>(
        ctx.loop,
        [&ctx, name, id](std::function<void(common::Status)> reply) { ctx.focus.stopRecording(name, id, reply); },
        ctx.operationTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return noContent();
}

common::Result<RecordingRecord> findRecording(ApiContext& ctx, const std::string& id) {
    auto answer = common::callOnLoop(
        ctx.loop,
        [&ctx, id]() -> common::Result<RecordingRecord> {
            auto found = ctx.store.findRecording(id);
            if (!found) return found.error();
            if (!*found) return common::Error(404, "no recording " + id);
            return **found;
        },
        ctx.loopTimeout);
    if (!answer) return common::Error(503, "the signalling loop did not answer in time");
    return *answer;
}

Resp getRecording(ApiContext& ctx, const Req& req) {
    auto r = findRecording(ctx, req.params.at("id"));
    if (!r) return errorResponse(r.error());
    return Resp::json(200, stringify(recordingJson(*r)));
}

// The MS serves the file itself (GET /recordings/{name}): answer 307 to it, with the
// configured base replacing the scheme and authority the MS advertised.
Resp recordingMedia(ApiContext& ctx, const Req& req) {
    auto r = findRecording(ctx, req.params.at("id"));
    if (!r) return errorResponse(r.error());
    if (r->state != "ready" || r->mediaUri.empty())
        return errorResponse(common::Error(409, "recording " + r->id + " is " + r->state + ", not ready"));
    std::string location = r->mediaUri;
    if (!ctx.msHttpBase.empty()) {
        auto scheme = location.find("://");
        auto path = scheme == std::string::npos ? std::string::npos : location.find('/', scheme + 3);
        if (path != std::string::npos) {
            std::string base = ctx.msHttpBase;
            while (!base.empty() && base.back() == '/') base.pop_back();
            location = base + location.substr(path);
        }
    }
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("location", location);
    auto resp = Resp::json(307, stringify(out));
    resp.headers.emplace_back("Location", location);
    return resp;
}

Resp move(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name"), id = req.params.at("id");
    auto body = parseObject(req.body);
    if (!body) return errorResponse(body.error());
    if (auto ok = onlyKnown(*body, {"to"}); !ok) return errorResponse(ok.error());
    std::optional<std::string> to;
    if (auto ok = readString(*body, "to", to, 64); !ok) return errorResponse(ok.error());
    if (!to) return errorResponse(common::Error(400, "to: required"));
    if (!plausibleRoomName(*to)) return errorResponse(common::Error(400, "to: not a conference name"));
    if (*to == name) return errorResponse(common::Error(400, "to: the participant is already in " + name));
    std::string target = *to;
    auto answer = callOnLoopAsync<common::Status>(
        ctx.loop,
        [&ctx, name, id, target](std::function<void(common::Status)> reply) {
            ctx.focus.move(name, id, target, reply);
        },
        ctx.operationTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("id", id);
    out.set("conference", target);
    return Resp::json(200, stringify(out));
}

Resp sidebar(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name");
    auto body = parseObject(req.body);
    if (!body) return errorResponse(body.error());
    if (auto ok = onlyKnown(*body, {"participants"}); !ok) return errorResponse(ok.error());
    std::optional<std::vector<std::string>> ids;
    if (auto ok = readStrings(*body, "participants", ids, 64, 64); !ok) return errorResponse(ok.error());
    if (!ids || ids->empty()) return errorResponse(common::Error(400, "participants: at least one id is required"));
    std::vector<std::string> members = *ids;
    auto answer = callOnLoopAsync<common::Result<std::string>>(
        ctx.loop,
        [&ctx, name, members](std::function<void(common::Result<std::string>)> reply) {
            ctx.focus.sidebar(name, members, reply);
        },
        ctx.operationTimeout);
    if (!answer || !*answer) return fail(answer);
    Poco::JSON::Object out(Poco::JSON_PRESERVE_KEY_ORDER);
    out.set("conference", **answer);
    out.set("parent", name);
    Poco::JSON::Array list;
    for (const auto& m : members) list.add(m);
    out.set("participants", list);
    auto resp = Resp::json(201, stringify(out));
    resp.headers.emplace_back("Location", "/v1/conferences/" + **answer);
    return resp;
}

Resp returnFromSidebar(ApiContext& ctx, const Req& req) {
    std::string name = req.params.at("name");
    auto answer = callOnLoopAsync<common::Status>(
        ctx.loop,
        [&ctx, name](std::function<void(common::Status)> reply) { ctx.focus.returnFromSidebar(name, reply); },
        ctx.operationTimeout);
    if (!answer) return loopBusy();
    if (!*answer) return errorResponse(answer->error());
    return noContent();
}

using Handler = Resp (*)(ApiContext&, const Req&);

void add(GuardedRoutes& routes, ApiContext& ctx, const char* method, const char* pattern, Handler h) {
    routes.add(method, pattern, [&ctx, h](const Req& r) {
        if (auto bad = badPath(r)) return std::move(*bad);
        return h(ctx, r);
    });
}

}  // namespace

void addParticipantRoutes(GuardedRoutes& routes, ApiContext& ctx) {
    add(routes, ctx, "GET", "/v1/conferences/{name}/participants", listParticipants);
    add(routes, ctx, "POST", "/v1/conferences/{name}/participants", dialOut);
    add(routes, ctx, "GET", "/v1/conferences/{name}/participants/{id}", getParticipant);
    add(routes, ctx, "PATCH", "/v1/conferences/{name}/participants/{id}", changeParticipant);
    add(routes, ctx, "DELETE", "/v1/conferences/{name}/participants/{id}", kick);
}

void addMediaRoutes(GuardedRoutes& routes, ApiContext& ctx) {
    add(routes, ctx, "POST", "/v1/conferences/{name}/announcements", announce);
    add(routes, ctx, "POST", "/v1/conferences/{name}/participants/{id}/announcements", announce);
    add(routes, ctx, "POST", "/v1/conferences/{name}/recordings", startRecording);
    add(routes, ctx, "GET", "/v1/conferences/{name}/recordings", listRecordings);
    add(routes, ctx, "DELETE", "/v1/conferences/{name}/recordings/{id}", stopRecording);
    add(routes, ctx, "GET", "/v1/recordings/{id}", getRecording);
    add(routes, ctx, "GET", "/v1/recordings/{id}/media", recordingMedia);
    add(routes, ctx, "POST", "/v1/conferences/{name}/participants/{id}/move", move);
    add(routes, ctx, "POST", "/v1/conferences/{name}/sidebars", sidebar);
    add(routes, ctx, "POST", "/v1/conferences/{name}/return", returnFromSidebar);
}

}  // namespace parley::as::api

#include "as/rest/calls_api.hpp"

#include <optional>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "as/rest/media_servers_api.hpp"
#include "common/loop_call.hpp"

namespace parley::as {

namespace {

Poco::JSON::Object callObject(const apps::CallInfo& c) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", c.id);
    o.set("callId", c.callId);
    o.set("from", c.from);
    o.set("to", c.to);
    o.set("route", c.route);
    o.set("state", c.state);
    o.set("startedAt", formatUtc(c.startedAt));
    o.set("answeredAt", c.answeredAt.time_since_epoch().count() == 0 ? Poco::Dynamic::Var()
                                                                      : Poco::Dynamic::Var(formatUtc(c.answeredAt)));
    return o;
}

common::HttpResponse busy() {
    return common::HttpResponse::error(503, "loop_busy", "the signalling loop did not answer in time");
}

common::HttpResponse fromError(const common::Error& e) {
    const int status = e.code >= 400 && e.code <= 599 ? e.code : 500;
    const char* code = status == 404 ? "not_found" : status == 400 ? "bad_request" : status == 409 ? "conflict" : "error";
    return common::HttpResponse::error(status, code, e.message);
}

}  // namespace

std::string callJson(const apps::CallInfo& call) {
    std::ostringstream out;
    callObject(call).stringify(out);
    return out.str();
}

std::string callsJson(const std::vector<apps::CallInfo>& calls) {
    Poco::JSON::Array list;
    for (const auto& c : calls) list.add(callObject(c));
    std::ostringstream out;
    list.stringify(out);
    return out.str();
}

void addCallRoutes(common::HttpRouter& router, common::EventLoop& loop, apps::CallScripts& scripts,
                   const common::HttpGuard& guard,
                   common::Duration loopTimeout) {
    // Every route behind the API's token and rate checks.
    auto add = [&router, &guard](const std::string& method, const std::string& pattern, common::HttpHandler h) {
        router.add(method, pattern, guard ? guard(std::move(h)) : std::move(h));
    };
    add("GET", "/v1/calls", [&loop, &scripts, loopTimeout](const common::HttpRequest&) {
        auto body = common::callOnLoop(loop, [&scripts] { return callsJson(scripts.calls()); }, loopTimeout);
        if (!body) return busy();
        return common::HttpResponse::json(200, std::move(*body));
    });
    add("GET", "/v1/calls/{id}", [&loop, &scripts, loopTimeout](const common::HttpRequest& request) {
        const std::string id = request.params.at("id");
        auto result = common::callOnLoop(
            loop,
            [&scripts, id]() -> common::Result<std::string> {
                auto c = scripts.call(id);
                if (!c) return c.error();
                return callJson(*c);
            },
            loopTimeout);
        if (!result) return busy();
        if (!*result) return fromError(result->error());
        return common::HttpResponse::json(200, std::move(**result));
    });
    add("DELETE", "/v1/calls/{id}", [&loop, &scripts, loopTimeout](const common::HttpRequest& request) {
        const std::string id = request.params.at("id");
        auto result = common::callOnLoop(loop, [&scripts, id] { return scripts.hangup(id); }, loopTimeout);
        if (!result) return busy();
        if (!*result) return fromError(result->error());
        common::HttpResponse r;
        r.status = 204;
        return r;
    });
    add("POST", "/v1/calls/{id}/redirect", [&loop, &scripts, loopTimeout](const common::HttpRequest& request) {
        const std::string id = request.params.at("id");
        std::string url;
        try {
            Poco::JSON::Parser parser;
            Poco::Dynamic::Var root = parser.parse(request.body);
            if (root.type() != typeid(Poco::JSON::Object::Ptr))
                return common::HttpResponse::error(400, "bad_request", "expected a JSON object {\"url\": ...}");
            auto obj = root.extract<Poco::JSON::Object::Ptr>();
            if (!obj->has("url") || !obj->get("url").isString())
                return common::HttpResponse::error(400, "bad_request", "url: a string is required");
            url = obj->getValue<std::string>("url");
        } catch (const Poco::Exception& e) {
            return common::HttpResponse::error(400, "bad_request", "not JSON: " + e.displayText().substr(0, 200));
        }
        auto result = common::callOnLoop(loop, [&scripts, id, url] { return scripts.redirect(id, url); }, loopTimeout);
        if (!result) return busy();
        if (!*result) return fromError(result->error());
        return common::HttpResponse::json(202, "{\"id\":" + common::jsonQuote(id) + ",\"redirected\":true}");
    });
}

}  // namespace parley::as

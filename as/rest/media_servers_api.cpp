#include "as/rest/media_servers_api.hpp"

#include <ctime>
#include <sstream>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/loop_call.hpp"

namespace parley::as {

std::string formatUtc(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    auto secs = static_cast<std::time_t>(ms / 1000);
    long millis = static_cast<long>(ms % 1000);
    if (millis < 0) {
        millis += 1000;
        secs -= 1;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03ldZ", millis);
    return buf;
}

std::string mediaServersJson(const std::vector<MediaServerStatus>& servers) {
    Poco::JSON::Array list;
    for (const auto& s : servers) {
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("uri", s.uri);
        o.set("state", std::string(linkStateName(s.state)));
        Poco::JSON::Array packages;
        for (const auto& p : s.packages) packages.add(p);
        o.set("packages", packages);
        o.set("keepAliveSeconds", static_cast<unsigned>(s.keepAliveSeconds));
        o.set("lastKeepAlive",
              s.lastKeepAlive ? Poco::Dynamic::Var(formatUtc(*s.lastKeepAlive)) : Poco::Dynamic::Var());
        o.set("reconnects", static_cast<Poco::UInt64>(s.reconnects));
        o.set("failedAttempts", static_cast<Poco::UInt64>(s.failedAttempts));
        o.set("lastError", s.lastError.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(s.lastError));
        o.set("cfwId", s.dialogId);
        o.set("pendingRequests", static_cast<Poco::UInt64>(s.pendingRequests));
        list.add(o);
    }
    std::ostringstream out;
    list.stringify(out);
    return out.str();
}

void addMediaServerRoutes(common::HttpRouter& router, common::EventLoop& loop,
                          MediaServerRegistry& registry, common::Duration loopTimeout,
                          const common::HttpGuard& guard) {
    common::HttpHandler handler = [&loop, &registry, loopTimeout](const common::HttpRequest&) {
        // The JSON is built on the loop thread too: nothing loop-owned crosses threads.
        auto body = common::callOnLoop(
            loop, [&registry] { return mediaServersJson(registry.statuses()); }, loopTimeout);
        if (!body) {
            return common::HttpResponse::error(503, "loop_busy",
                                               "the signalling loop did not answer in time");
        }
        return common::HttpResponse::json(200, std::move(*body));
    };
    router.add("GET", "/v1/media-servers", guard ? guard(std::move(handler)) : std::move(handler));
}

}  // namespace parley::as

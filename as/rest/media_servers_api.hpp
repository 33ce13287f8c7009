#pragma once
// GET /v1/media-servers: the control channel of every configured media server, as JSON.
//
//   [{"uri": "sip:ms@127.0.0.1:5070", "state": "up", "packages": ["msc-ivr/1.0", ...],
//     "keepAliveSeconds": 100, "lastKeepAlive": "2024-05-01T10:00:00.123Z" | null,
//     "reconnects": 0, "failedAttempts": 0, "lastError": null | "...",
//     "cfwId": "...", "pendingRequests": 0}, ...]
//
// Contracts: the handler runs on an HTTP worker thread and reads the registry on the loop
// thread through callOnLoop(), waiting at most `loopTimeout`; when the loop does not
// answer in time the reply is 503 {"error": {"code": "loop_busy", ...}}. The registry and
// the loop must outlive the HTTP server the routes are added to (stop the server first).

#include <chrono>
#include <string>
#include <vector>

#include "as/msclient/media_server_registry.hpp"
#include "common/event_loop.hpp"
#include "common/http_server.hpp"

namespace parley::as {

// "YYYY-MM-DDTHH:MM:SS.mmmZ"
std::string formatUtc(std::chrono::system_clock::time_point t);

std::string mediaServersJson(const std::vector<MediaServerStatus>& servers);

// GET /v1/media-servers; `guard` (the REST API's token and rate checks) wraps the handler.
void addMediaServerRoutes(common::HttpRouter& router, common::EventLoop& loop,
                          MediaServerRegistry& registry,
                          common::Duration loopTimeout = std::chrono::seconds(2),
                          const common::HttpGuard& guard = {});

}  // namespace parley::as

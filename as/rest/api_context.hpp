#pragma once
// The conference REST API of parley-as under /v1 (docs/api.md, docs/openapi.yaml):
// conferences (rooms of the store plus their run-time state in the focus), participants,
// announcements, recordings, moves and sidebars, the route table (/v1/routes), call detail
// records (/v1/cdrs), and GET /v1/media-servers.
//
// Contracts:
// - addApiRoutes() registers every /v1 route of this API on `router`. The context and all
//   it refers to must outlive the HTTP server the router is given to (stop it first).
// - Every handler runs on an HTTP worker thread. Loop-owned state (Focus, RoomStore,
//   MediaServerRegistry) is touched only on the loop thread, through a posted task whose
//   answer is awaited at most loopTimeout (reads) or operationTimeout (operations that wait
//   for a media server); past that the reply is 503 {"error":{"code":"loop_busy"}}.
// - Auth: every route wants `Authorization: Bearer <token>` matching one of `tokens`
//   (compared in constant time); otherwise 401 with `WWW-Authenticate: Bearer`. With no
//   tokens configured the API is open when `loopbackListener` is true and closed (every call
//   401) when it is false; addApiRoutes() logs which.
// - Rate limit: at most `ratePerClient` requests per second per client IP address (token
//   bucket, burst of max(1, rate) requests); beyond it 429 with Retry-After. 0: no limit.
// - Errors are HttpResponse::error JSON: 400 (bad JSON or field, the message names the
//   field), 401, 404, 409, 413 (the server's body limit), 429, 503.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/event_loop.hpp"
#include "common/http_server.hpp"

namespace parley::as {

class Focus;
class RoomStore;
class MediaServerRegistry;

struct ApiContext {
    common::EventLoop& loop;
    Focus& focus;
    RoomStore& store;
    MediaServerRegistry& registry;
    std::vector<std::string> tokens;  // --api-token, repeatable
    double ratePerClient = 0;         // --api-rate, requests/s per client address; 0: none
    // Recording downloads answer 307 to the media server's own URL; when this is set
    // ("http://ms.example:8090") the scheme and authority of that URL are replaced by it.
    std::string msHttpBase;
    std::string sipUriHost;        // "host:port" of the AS's SIP listener, for room URIs
    bool loopbackListener = true;  // --http-listen is a loopback address
    std::chrono::milliseconds loopTimeout{2000};
    std::chrono::milliseconds operationTimeout{8000};
};

// Puts a handler behind the same door (auth, rate limit) as the routes added here: for the
// /v1 routes other files register (as/rest/calls_api): router.add(m, p, guard(handler)).
using ApiDoor = common::HttpGuard;

ApiDoor addApiRoutes(common::HttpRouter& router, ApiContext& context);

}  // namespace parley::as

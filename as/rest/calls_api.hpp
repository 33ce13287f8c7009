#pragma once
// /v1/calls: the webhook-scripted calls that are not in a conference (as/apps).
//
//   GET    /v1/calls                 200 [{"id","callId","from","to","route","state",
//                                          "startedAt","answeredAt"|null}, ...]
//   GET    /v1/calls/{id}            200 {...} | 404
//   DELETE /v1/calls/{id}            204 (hung up: BYE, or 480 while ringing) | 404
//   POST   /v1/calls/{id}/redirect   {"url": "https://..."} 202: whatever the call does stops
//                                    and the instructions fetched from url run | 400 | 404
//
// Contracts: handlers run on HTTP worker threads and reach CallScripts on the loop thread
// through callOnLoop(), waiting at most `loopTimeout` (503 "loop_busy" beyond). Errors are
// {"error": {"code", "message"}}: 400 bad_request, 404 not_found. CallScripts and the loop
// outlive the HTTP server (stop the server first).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "as/apps/call_scripts.hpp"
#include "common/event_loop.hpp"
#include "common/http_server.hpp"

namespace parley::as {

std::string callJson(const apps::CallInfo& call);
std::string callsJson(const std::vector<apps::CallInfo>& calls);

// `guard` wraps every handler (the REST API's ApiDoor: bearer tokens, rate limit); empty: none.
void addCallRoutes(common::HttpRouter& router, common::EventLoop& loop, apps::CallScripts& scripts,
                   const common::HttpGuard& guard,
                   common::Duration loopTimeout = std::chrono::seconds(2));

}  // namespace parley::as

#pragma once
// Internal to as/rest: how the api_*.cpp files register their routes behind the ApiGuard.
// See api_context.hpp for the contracts of the API.

#include <memory>
#include <string>

#include "as/rest/api_context.hpp"
#include "as/rest/api_guard.hpp"
#include "common/http_server.hpp"

namespace parley::as::api {

// Adds a route whose handler runs only when the API's door (its ApiGuard) admits the request.
class GuardedRoutes {
public:
    GuardedRoutes(common::HttpRouter& router, ApiDoor door) : router_(router), door_(std::move(door)) {}
    void add(const std::string& method, const std::string& pattern, common::HttpHandler handler) {
        router_.add(method, pattern, door_(std::move(handler)));
    }
    common::HttpRouter& router() { return router_; }
    const ApiDoor& door() const { return door_; }

private:
    common::HttpRouter& router_;
    ApiDoor door_;
};

// A room name as the store accepts it: [A-Za-z0-9._~-]{1,64}.
bool plausibleRoomName(const std::string& name);
// A participant or recording id: [A-Za-z0-9._-]{1,64}.
bool plausibleId(const std::string& id);

void addConferenceRoutes(GuardedRoutes& routes, ApiContext& ctx);
void addParticipantRoutes(GuardedRoutes& routes, ApiContext& ctx);
void addMediaRoutes(GuardedRoutes& routes, ApiContext& ctx);
// /v1/routes (the call routes table of the store) and /v1/cdrs (api_admin.cpp).
void addAdminRoutes(GuardedRoutes& routes, ApiContext& ctx);

}  // namespace parley::as::api

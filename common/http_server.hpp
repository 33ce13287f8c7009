#pragma once
// A small HTTP/1.1 server over Poco::Net::HTTPServer with a route table.
//
// Handlers run on Poco's HTTP worker threads, never on an event loop: a handler that needs
// loop-owned state asks the loop with callOnLoop() (common/loop_call.hpp) and waits, bounded.
// The server bounds what a client can make it do: body size (413), header count and size
// (Poco's limits, 400), worker threads and queue (connections beyond are refused), and
// idle/slow clients (socket timeouts). Unknown paths get 404 and a wrong method 405, both
// as JSON {"error": {"code", "message"}}.
//
// WebSocket routes (addWebSocket): the handler sees the request first and either answers it
// like any route (401, 429...) or calls WebSocketUpgrade::accept(), which completes the
// handshake (101) and hands it the socket. The socket then belongs to the handler's owner:
// the HTTP worker thread returns at once, so long-lived streams do not use up the pool, and
// HttpServer::stop() does not close them (their owner does).

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Net/WebSocket.h>

#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::common {

struct HttpRequest {
    std::string method;
    std::string path;                           // decoded path without query
    std::map<std::string, std::string> query;   // decoded query parameters
    std::map<std::string, std::string> params;  // route parameters: "/v1/x/{id}" -> params["id"]
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;
    std::string remote;                         // client address
};

struct HttpResponse {
    int status = 200;
    std::string contentType = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static HttpResponse json(int status, std::string body);
    // {"error": {"code": <code>, "message": <message>}} with HTTP status `status`.
    static HttpResponse error(int status, const std::string& code, const std::string& message);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Wraps a handler in a check that may answer instead of it (authentication, rate limits).
// An empty guard lets everything through.
using HttpGuard = std::function<HttpHandler(HttpHandler)>;

// Given to a WebSocket route's handler. accept() at most once; on error (not a valid
// WebSocket handshake) nothing has been sent and the handler's response goes out instead.
class WebSocketUpgrade {
public:
    virtual ~WebSocketUpgrade() = default;
    virtual Result<Poco::Net::WebSocket> accept() = 0;
    virtual bool accepted() const = 0;
};
// The returned response is sent only when the handler did not accept the upgrade.
using WebSocketHandler = std::function<HttpResponse(const HttpRequest&, WebSocketUpgrade&)>;

struct HttpLimits {
    std::size_t maxBodyBytes = 1u << 20;
    int maxThreads = 8;
    int maxQueued = 64;
    int timeoutSeconds = 10;   // per socket operation: slow clients are dropped
    int maxFieldCount = 64;
    int maxFieldSize = 8192;
};

class HttpRouter {
public:
    // pattern: "/v1/media-servers" or "/v1/conferences/{id}"; segments in braces match one
    // path segment and land in HttpRequest::params.
    void add(const std::string& method, const std::string& pattern, HttpHandler handler);
    HttpResponse dispatch(HttpRequest& request) const;

    // GET `pattern` as a WebSocket endpoint. A WebSocket route takes precedence over an
    // ordinary route with the same pattern; other methods on it get 405.
    void addWebSocket(const std::string& pattern, WebSocketHandler handler);
    // The WebSocket route matching request.path (params filled in), or nullptr.
    const WebSocketHandler* findWebSocket(HttpRequest& request) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;
        HttpHandler handler;
    };
    struct WebSocketRoute {
        std::vector<std::string> segments;
        WebSocketHandler handler;
    };
    std::vector<Route> routes_;
    std::vector<WebSocketRoute> webSocketRoutes_;
};

class HttpServer {
public:
    static Result<std::unique_ptr<HttpServer>> start(const SocketAddress& listen, HttpLimits limits,
                                                     std::shared_ptr<const HttpRouter> router);
    ~HttpServer();
    std::uint16_t port() const { return port_; }
    void stop();

private:
    struct Impl;
    explicit HttpServer(std::unique_ptr<Impl> impl, std::uint16_t port);
    std::unique_ptr<Impl> impl_;
    std::uint16_t port_;
};

// JSON string escaping for hand-built bodies.
std::string jsonQuote(const std::string& s);

}  // namespace parley::common

#pragma once
// A small HTTP/1.1 server over Poco::Net::HTTPServer with a route table.
//
// Handlers run on Poco's HTTP worker threads, never on an event loop: a handler that needs
// loop-owned state asks the loop with callOnLoop() (common/loop_call.hpp) and waits, bounded.
// The server bounds what a client can make it do: body size (413), header count and size
// (Poco's limits, 400), worker threads and queue (connections beyond are refused), and
// idle/slow clients (socket timeouts). Unknown paths get 404 and a wrong method 405, both
// as JSON {"error": {"code", "message"}}.

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;
        HttpHandler handler;
    };
    std::vector<Route> routes_;
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

#include "common/http_server.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <istream>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include "common/log.hpp"

namespace parley::common {

std::string jsonQuote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

HttpResponse HttpResponse::json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

HttpResponse HttpResponse::error(int status, const std::string& code, const std::string& message) {
    return json(status, "{\"error\": {\"code\": " + jsonQuote(code) + ", \"message\": " +
                            jsonQuote(message) + "}}");
}

namespace {

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> out;
    std::string seg;
    std::istringstream in(path);
    while (std::getline(in, seg, '/'))
        if (!seg.empty()) out.push_back(seg);
    return out;
}

// Matches `segs` against a pattern's segments, filling `params` from "{name}" segments.
bool matchSegments(const std::vector<std::string>& pattern, const std::vector<std::string>& segs,
                   std::map<std::string, std::string>& params) {
    if (pattern.size() != segs.size()) return false;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const std::string& p = pattern[i];
        if (p.size() > 2 && p.front() == '{' && p.back() == '}') params[p.substr(1, p.size() - 2)] = segs[i];
        else if (p != segs[i]) return false;
    }
    return true;
}

}  // namespace

void HttpRouter::addWebSocket(const std::string& pattern, WebSocketHandler handler) {
    webSocketRoutes_.push_back(WebSocketRoute{splitPath(pattern), std::move(handler)});
}

const WebSocketHandler* HttpRouter::findWebSocket(HttpRequest& request) const {
    if (webSocketRoutes_.empty()) return nullptr;
    auto segs = splitPath(request.path);
    for (const auto& r : webSocketRoutes_) {
        std::map<std::string, std::string> params;
        if (!matchSegments(r.segments, segs, params)) continue;
        request.params = std::move(params);
        return &r.handler;
    }
    return nullptr;
}

void HttpRouter::add(const std::string& method, const std::string& pattern, HttpHandler handler) {
    routes_.push_back(Route{method, splitPath(pattern), std::move(handler)});
}

HttpResponse HttpRouter::dispatch(HttpRequest& request) const {
    auto segs = splitPath(request.path);
    bool pathMatched = false;
    for (const auto& r : routes_) {
        if (r.segments.size() != segs.size()) continue;
        std::map<std::string, std::string> params;
        bool ok = true;
        for (std::size_t i = 0; i < segs.size() && ok; ++i) {
            const std::string& p = r.segments[i];
            if (p.size() > 2 && p.front() == '{' && p.back() == '}') params[p.substr(1, p.size() - 2)] = segs[i];
            else ok = p == segs[i];
        }
        if (!ok) continue;
        pathMatched = true;
        if (r.method != request.method) continue;
        request.params = std::move(params);
        return r.handler(request);
    }
    if (pathMatched) return HttpResponse::error(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
    return HttpResponse::error(404, "not_found", "no resource at " + request.path);
}

struct HttpServer::Impl {
    std::unique_ptr<Poco::Net::HTTPServer> server;
};

namespace {

class PocoWebSocketUpgrade : public WebSocketUpgrade {
public:
    PocoWebSocketUpgrade(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out, bool& accepted)
        : in_(in), out_(out), accepted_(accepted) {}
    Result<Poco::Net::WebSocket> accept() override {
        if (accepted_) return Error(409, "the WebSocket upgrade was already accepted");
        try {
            Poco::Net::WebSocket ws(in_, out_);
            accepted_ = true;
            return ws;
        } catch (const Poco::Exception& e) {
            return Error(400, "WebSocket handshake: " + e.displayText());
        }
    }
    bool accepted() const override { return accepted_; }

private:
    Poco::Net::HTTPServerRequest& in_;
    Poco::Net::HTTPServerResponse& out_;
    bool& accepted_;  // the request handler's flag: once set, it sends nothing more
};

class RouteHandler : public Poco::Net::HTTPRequestHandler {
public:
    RouteHandler(std::shared_ptr<const HttpRouter> router, std::size_t maxBody)
        : router_(std::move(router)), maxBody_(maxBody) {}

    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
        HttpResponse resp;
        try {
            resp = handle(in, out);
            if (upgraded_) return;  // the socket belongs to the WebSocket route's owner now
        } catch (const std::exception& e) {
            if (upgraded_) return;
            PARLEY_LOG_WARN(logger("http"), "request " << in.getMethod() << " " << in.getURI()
                                                       << " failed: " << e.what());
            resp = HttpResponse::error(500, "internal", "the request could not be processed");
        }
        out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
        out.setContentType(resp.contentType);
        for (const auto& [k, v] : resp.headers) out.set(k, v);
        out.setContentLength(static_cast<std::streamsize>(resp.body.size()));
        out.send() << resp.body;
    }

private:
    HttpResponse handle(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) {
        HttpRequest req;
        req.method = in.getMethod();
        req.remote = in.clientAddress().toString();
        Poco::URI uri;
        try {
            uri = Poco::URI(in.getURI());
        } catch (const Poco::Exception&) {
            return HttpResponse::error(400, "bad_request", "malformed request URI");
        }
        req.path = uri.getPath();
        if (req.path.find("/../") != std::string::npos || req.path.find('\0') != std::string::npos ||
            (req.path.size() >= 3 && req.path.compare(req.path.size() - 3, 3, "/..") == 0))
            return HttpResponse::error(400, "bad_request", "path may not contain '..'");
        for (const auto& [k, v] : uri.getQueryParameters()) req.query[k] = v;
        for (const auto& [k, v] : in) {
            std::string name = k;
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            req.headers[name] = v;
        }
        if (const WebSocketHandler* ws = router_->findWebSocket(req)) {
            if (req.method != "GET")
                return HttpResponse::error(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
            PocoWebSocketUpgrade upgrade(in, out, upgraded_);
            return (*ws)(req, upgrade);
        }
        if (in.hasContentLength() && in.getContentLength64() > static_cast<Poco::Int64>(maxBody_))
            return HttpResponse::error(413, "too_large", "body larger than " + std::to_string(maxBody_) + " bytes");
        std::istream& body = in.stream();
        char buf[8192];
        while (body.read(buf, sizeof buf) || body.gcount() > 0) {
            req.body.append(buf, static_cast<std::size_t>(body.gcount()));
            if (req.body.size() > maxBody_)
                return HttpResponse::error(413, "too_large", "body larger than " + std::to_string(maxBody_) + " bytes");
        }
        return router_->dispatch(req);
    }

    std::shared_ptr<const HttpRouter> router_;
    std::size_t maxBody_;
    bool upgraded_ = false;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Factory(std::shared_ptr<const HttpRouter> router, std::size_t maxBody)
        : router_(std::move(router)), maxBody_(maxBody) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new RouteHandler(router_, maxBody_);
    }

private:
    std::shared_ptr<const HttpRouter> router_;
    std::size_t maxBody_;
};

}  // namespace

HttpServer::HttpServer(std::unique_ptr<Impl> impl, std::uint16_t port) : impl_(std::move(impl)), port_(port) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() {
    if (impl_ && impl_->server) {
        impl_->server->stopAll(true);
        impl_->server.reset();
    }
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const SocketAddress& listen, HttpLimits limits,
                                                      std::shared_ptr<const HttpRouter> router) {
    try {
        Poco::Net::SocketAddress addr(listen.host(), listen.port());
        // Not ServerSocket(addr, backlog): it sets SO_REUSEPORT too, which lets a second
        // process bind the same port silently. SO_REUSEADDR alone allows quick restarts.
        Poco::Net::ServerSocket socket;
        socket.bind(addr, true, false);
        socket.listen(64);
        auto* params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(limits.maxThreads);
        params->setMaxQueued(limits.maxQueued);
        params->setTimeout(Poco::Timespan(limits.timeoutSeconds, 0));
        params->setKeepAlive(true);
        params->setMaxKeepAliveRequests(100);
        params->setKeepAliveTimeout(Poco::Timespan(limits.timeoutSeconds, 0));
        params->setServerName("Parley/0.1");
        auto impl = std::make_unique<Impl>();
        impl->server = std::make_unique<Poco::Net::HTTPServer>(
            new Factory(std::move(router), limits.maxBodyBytes), socket, params);
        impl->server->start();
        std::uint16_t port = socket.address().port();
        return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl), port));
    } catch (const Poco::Exception& e) {
        return Error(2, "HTTP listen on " + listen.toString() + ": " + e.displayText());
    }
}

}  // namespace parley::common

#include "tests/support/http_test_server.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/URI.h>

namespace parley::test {

struct TestHttpServer::Table {
    std::mutex mutex;
    std::map<std::string, Handler> routes;
    std::map<std::string, int> hits;
};

namespace {

class RouteHandler : public Poco::Net::HTTPRequestHandler {
  public:
    explicit RouteHandler(std::shared_ptr<TestHttpServer::Table> t) : t_(std::move(t)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
        const std::string path = Poco::URI(req.getURI()).getPath();
        TestHttpServer::Handler h;
        {
            std::lock_guard<std::mutex> lock(t_->mutex);
            ++t_->hits[path];
            if (auto it = t_->routes.find(path); it != t_->routes.end()) h = it->second;
        }
        if (!h) {
            resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
            resp.setContentLength(0);
            resp.send();
            return;
        }
        h(req, resp);
    }

  private:
    std::shared_ptr<TestHttpServer::Table> t_;
};

class RouteFactory : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit RouteFactory(std::shared_ptr<TestHttpServer::Table> t) : t_(std::move(t)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new RouteHandler(t_);
    }

  private:
    std::shared_ptr<TestHttpServer::Table> t_;
};

}  // namespace

TestHttpServer::TestHttpServer()
    : TestHttpServer(Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)), "http") {}

TestHttpServer::TestHttpServer(Poco::Net::ServerSocket socket, std::string scheme)
    : table_(std::make_shared<Table>()), scheme_(std::move(scheme)) {
    port_ = socket.address().port();
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new RouteFactory(table_), socket, params);
    server_->start();
}

TestHttpServer::~TestHttpServer() {
    server_->stopAll(true);
}

void TestHttpServer::route(const std::string& path, Handler h) {
    std::lock_guard<std::mutex> lock(table_->mutex);
    table_->routes[path] = std::move(h);
}

void TestHttpServer::serve(const std::string& path, std::string body, std::string contentType,
                           std::vector<std::pair<std::string, std::string>> headers) {
    route(path, [body = std::move(body), contentType = std::move(contentType),
                 headers = std::move(headers)](Poco::Net::HTTPServerRequest&,
                                               Poco::Net::HTTPServerResponse& resp) {
        resp.setContentType(contentType);
        for (const auto& [k, v] : headers) resp.set(k, v);
        resp.sendBuffer(body.data(), body.size());
    });
}

std::string TestHttpServer::url(const std::string& path) const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) + path;
}

int TestHttpServer::hits(const std::string& path) const {
    std::lock_guard<std::mutex> lock(table_->mutex);
    auto it = table_->hits.find(path);
    return it == table_->hits.end() ? 0 : it->second;
}

}  // namespace parley::test

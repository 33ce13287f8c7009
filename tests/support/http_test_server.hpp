#pragma once
// TestHttpServer: a Poco HTTP(S) server on 127.0.0.1, port 0, for tests that need a real web
// server (prompts to fetch, recordings uploaded with PUT, webhooks). Routes are exact paths;
// unknown paths get 404; hits are counted per path. Handlers run on Poco's threads.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

namespace parley::test {

class TestHttpServer {
  public:
    using Handler =
        std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

    TestHttpServer();
    // Serves on an already bound socket (a Poco::Net::SecureServerSocket for HTTPS).
    TestHttpServer(Poco::Net::ServerSocket socket, std::string scheme);
    ~TestHttpServer();
    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;

    void route(const std::string& path, Handler h);
    // Serves `body` with the extra headers at `path`.
    void serve(const std::string& path, std::string body, std::string contentType,
               std::vector<std::pair<std::string, std::string>> headers = {});
    std::string url(const std::string& path) const;
    int hits(const std::string& path) const;

    struct Table;

  private:
    std::shared_ptr<Table> table_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::uint16_t port_ = 0;
    std::string scheme_ = "http";
};

}  // namespace parley::test

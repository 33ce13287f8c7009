#pragma once
// Component fixture for the REST API of parley-as: a real parley-ms and a real parley-as
// (with --api-token kToken and the rooms given) on loopback, and a plain HTTP client
// (Poco HTTPClientSession) plus a raw-socket client for hostile requests.
//
//   if (!RestSystem::supported(why)) PARLEY_SKIP(why);
//   RestSystem fx(focus::roomsJson({focus::room("r1")}));
//   auto r = call(fx.httpPort(), "GET", "/v1/conferences");       // bearer kToken
//   REQUIRE(r.status == 200);
//
// Every process is stopped by PID by the destructor; every wait is bounded.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Object.h>

#include "tests/component/ms/ms_harness.hpp"
#include "tests/e2e/as_focus/focus_fixture.hpp"
#include "tests/support/process.hpp"

namespace parley::test::rest {

using namespace std::chrono_literals;

inline constexpr const char* kToken = "test-token-0123456789abcdef";

struct HttpReply {
    int status = 0;  // 0: no answer (connection refused, closed or timed out)
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// One request on a fresh connection. `token` "" sends no Authorization header.
HttpReply call(std::uint16_t port, const std::string& method, const std::string& path,
               const std::string& body = "", const std::string& token = kToken,
               const std::vector<std::pair<std::string, std::string>>& headers = {});

// The body as a JSON object: json() throws (with the body) when it is not one, so a test
// fails with the reason; tryJson() gives nullptr instead.
Poco::JSON::Object::Ptr json(const HttpReply& r);
Poco::JSON::Object::Ptr tryJson(const HttpReply& r);
// error.code / error.message of an API error body, "" when the body has none.
std::string errorCode(const HttpReply& r);
std::string errorMessage(const HttpReply& r);

// Sends `bytes` on a fresh TCP connection (in pieces of `chunk` bytes with `pause` between
// them when chunk > 0) and returns whatever came back until the peer closed or `timeout`.
std::string rawExchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout,
                        std::size_t chunk = 0, std::chrono::milliseconds pause = 0ms);
// The status of a raw HTTP response ("HTTP/1.1 404 ..." -> 404), 0 when none.
int rawStatus(const std::string& response);

class RestSystem {
  public:
    // False (with why) when this parley-as has no --api-token flag yet.
    static bool supported(std::string& why);

    explicit RestSystem(const std::string& roomsJsonText, std::vector<std::string> asExtraArgs = {"--api-token",
                                                                                                    kToken});
    ~RestSystem();
    RestSystem(const RestSystem&) = delete;
    RestSystem& operator=(const RestSystem&) = delete;

    const std::filesystem::path& dir() const { return dir_.path(); }
    std::uint16_t httpPort() const { return asHttpPort_; }
    std::uint16_t sipPort() const { return asSipPort_; }
    std::uint16_t msHttpPort() const { return ms_->httpPort; }
    bool asAlive() { return as_->running(); }
    std::string logs(std::size_t tailBytes = 6000) const;
    int stopAs() { return as_->stop(15, 15s); }

  private:
    TempDir dir_;
    std::unique_ptr<ms::MsInstance> ms_;
    std::unique_ptr<Process> as_;
    std::uint16_t asSipPort_ = 0;
    std::uint16_t asHttpPort_ = 0;
};

// The repository root (for docs/openapi.yaml, docs/api.md, as/rest sources).
std::filesystem::path sourceDir();

}  // namespace parley::test::rest

#pragma once
// ApiGuard: the door of the REST API: bearer-token authentication and a per-client rate
// limit, checked before any handler runs.
//
// Contracts:
// - admit() is thread-safe (HTTP worker threads call it concurrently) and never throws.
//   It returns nullopt when the request may go on, else the response to send: 401 with
//   WWW-Authenticate: Bearer, or 429 with Retry-After (whole seconds, at least 1).
// - Tokens are compared in constant time with respect to the presented token's content.
// - No tokens: open when `openWithoutTokens`, else every request is 401.
// - Rate: a token bucket per client IP (the port of HttpRequest::remote is ignored) holding
//   at most max(1, rate) requests, refilled at `rate` per second. 0 disables the limit.
//   At most kMaxClients buckets are kept; full buckets are dropped first when over.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/http_server.hpp"

namespace parley::as {

bool constantTimeEquals(const std::string& a, const std::string& b);
// "127.0.0.1:5060" -> "127.0.0.1", "[::1]:80" -> "::1".
std::string clientHost(const std::string& remote);

class ApiGuard {
public:
    static constexpr std::size_t kMaxClients = 10000;
    using Clock = std::chrono::steady_clock;

    ApiGuard(std::vector<std::string> tokens, bool openWithoutTokens, double ratePerClient);

    std::optional<common::HttpResponse> admit(const common::HttpRequest& request);
    // For tests: the rate check alone at a given time.
    std::optional<common::HttpResponse> rateCheck(const std::string& client, Clock::time_point now);
    bool authorized(const common::HttpRequest& request) const;

private:
    struct Bucket {
        double tokens = 0;
        Clock::time_point last{};
    };
    void prune(Clock::time_point now);

    std::vector<std::string> tokens_;
    bool open_;
    double rate_;
    double burst_;
    std::mutex mutex_;
    std::map<std::string, Bucket> buckets_;
};

}  // namespace parley::as

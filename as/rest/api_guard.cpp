#include "as/rest/api_guard.hpp"

#include <algorithm>
#include <cmath>

namespace parley::as {

bool constantTimeEquals(const std::string& a, const std::string& b) {
    // Runs over the longer of the two whatever their content; the lengths themselves are
    // not secret enough to hide (tokens are long random strings).
    std::size_t n = std::max(a.size(), b.size());
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

std::string clientHost(const std::string& remote) {
    if (!remote.empty() && remote.front() == '[') {
        auto close = remote.find(']');
        return close == std::string::npos ? remote : remote.substr(1, close - 1);
    }
    auto colon = remote.rfind(':');
    if (colon == std::string::npos || remote.find(':') != colon) return remote;  // bare IPv6
    return remote.substr(0, colon);
}

ApiGuard::ApiGuard(std::vector<std::string> tokens, bool openWithoutTokens, double ratePerClient)
    : tokens_(std::move(tokens)),
      open_(openWithoutTokens),
      rate_(ratePerClient > 0 ? ratePerClient : 0),
      burst_(std::max(1.0, rate_)) {}

bool ApiGuard::authorized(const common::HttpRequest& request) const {
    if (tokens_.empty()) return open_;
    auto it = request.headers.find("authorization");
    if (it == request.headers.end()) return false;
    const std::string& value = it->second;
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size()) return false;
    for (std::size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return false;
    std::string presented = value.substr(kScheme.size());
    while (!presented.empty() && presented.front() == ' ') presented.erase(presented.begin());
    while (!presented.empty() && presented.back() == ' ') presented.pop_back();
    bool match = false;
    for (const auto& t : tokens_) match = constantTimeEquals(presented, t) || match;  // no early exit
    return match;
}

void ApiGuard::prune(Clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        double elapsed = std::chrono::duration<double>(now - it->second.last).count();
        if (it->second.tokens + elapsed * rate_ >= burst_) it = buckets_.erase(it);
        else ++it;
    }
    // Still over (a flood from many addresses): forget the oldest half.
    if (buckets_.size() >= kMaxClients) {
        std::vector<std::pair<Clock::time_point, std::string>> ages;
        ages.reserve(buckets_.size());
        for (const auto& [k, b] : buckets_) ages.emplace_back(b.last, k);
        std::sort(ages.begin(), ages.end());
        for (std::size_t i = 0; i < ages.size() / 2; ++i) buckets_.erase(ages[i].second);
    }
}

std::optional<common::HttpResponse> ApiGuard::rateCheck(const std::string& client, Clock::time_point now) {
    if (rate_ <= 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(client);
    if (it == buckets_.end()) {
        if (buckets_.size() >= kMaxClients) prune(now);
        it = buckets_.emplace(client, Bucket{burst_, now}).first;
    }
    Bucket& b = it->second;
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    if (elapsed > 0) b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    auto wait = static_cast<long>(std::ceil((1.0 - b.tokens) / rate_));
    auto resp = common::HttpResponse::error(429, "rate_limited",
                                            "more than " + std::to_string(rate_) +
                                                " requests per second from " + client);
    resp.headers.emplace_back("Retry-After", std::to_string(std::max(1L, wait)));
    return resp;
}

std::optional<common::HttpResponse> ApiGuard::admit(const common::HttpRequest& request) {
    // The rate first: a client guessing tokens is slowed down like any other.
    if (auto limited = rateCheck(clientHost(request.remote), Clock::now())) return limited;
    if (!authorized(request)) {
        auto resp = common::HttpResponse::error(
            401, "unauthorized",
            tokens_.empty() ? "the API is closed: no --api-token is configured and the listener is not loopback"
                            : "a valid 'Authorization: Bearer <token>' header is required");
        resp.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"parley\"");
        return resp;
    }
    return std::nullopt;
}

}  // namespace parley::as

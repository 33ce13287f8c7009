#include "as/msclient/media_server_registry.hpp"

#include <limits>

namespace parley::as {

MediaServerClient& MediaServerRegistry::add(std::unique_ptr<MediaServerClient> client) {
    clients_.push_back(std::move(client));
    return *clients_.back();
}

void MediaServerRegistry::startAll() {
    for (auto& c : clients_) c->start();
}

void MediaServerRegistry::stopAll() {
    for (auto& c : clients_) c->stop();
}

MediaServerClient* MediaServerRegistry::pickUp() {
    MediaServerClient* best = nullptr;
    std::size_t bestLoad = std::numeric_limits<std::size_t>::max();
    const std::size_t n = clients_.size();
    for (std::size_t i = 0; i < n; ++i) {
        MediaServerClient& c = *clients_[(nextPick_ + i) % n];
        if (!c.isUp()) continue;
        std::size_t load = c.status().pendingRequests;
        if (load < bestLoad) {
            best = &c;
            bestLoad = load;
        }
    }
    if (best) {
        for (std::size_t i = 0; i < n; ++i) {
            if (clients_[i].get() == best) nextPick_ = (i + 1) % n;
        }
    }
    return best;
}

MediaServerClient* MediaServerRegistry::find(std::string_view uri) {
    for (auto& c : clients_) {
        if (c->uri() == uri) return c.get();
    }
    return nullptr;
}

std::vector<MediaServerStatus> MediaServerRegistry::statuses() const {
    std::vector<MediaServerStatus> out;
    out.reserve(clients_.size());
    for (const auto& c : clients_) out.push_back(c->status());
    return out;
}

std::size_t MediaServerRegistry::upCount() const {
    std::size_t n = 0;
    for (const auto& c : clients_) n += c->isUp() ? 1 : 0;
    return n;
}

}  // namespace parley::as

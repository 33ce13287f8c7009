#pragma once
// MediaServerRegistry: every MediaServerClient of this AS, and the choice of one that is up
// for new work (later: by load each MS publishes; now: fewest pending requests, ties
// broken round-robin).
//
// Contracts: loop thread only. The registry owns its clients; pointers it returns stay
// valid until the registry is destroyed.

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "as/msclient/media_server_client.hpp"

namespace parley::as {

class MediaServerRegistry {
public:
    MediaServerClient& add(std::unique_ptr<MediaServerClient> client);

    void startAll();
    // Hangs up every control dialog and closes every channel (SIGTERM).
    void stopAll();

    // An up client for new work, or nullptr when none is up.
    MediaServerClient* pickUp();
    MediaServerClient* find(std::string_view uri);

    std::vector<MediaServerStatus> statuses() const;
    std::size_t size() const { return clients_.size(); }
    std::size_t upCount() const;

private:
    std::vector<std::unique_ptr<MediaServerClient>> clients_;
    std::size_t nextPick_ = 0;
};

}  // namespace parley::as

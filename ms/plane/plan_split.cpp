#include "ms/plane/plan_split.hpp"

#include <cassert>

namespace parley::ms::plane {

using mixer::kNoIndex;
using mixer::MixPlan;

SplitResult splitPlan(const MixPlan& full, std::span<const std::size_t> connectionWorker,
                      std::span<const std::size_t> conferenceWorker, std::size_t workerCount) {
    assert(connectionWorker.size() == full.connections.size());
    assert(conferenceWorker.size() == full.conferences.size());
    SplitResult out;
    out.plans.resize(workerCount);
    for (auto& p : out.plans) p.revision = full.revision;

    // New index of every entity inside its worker's plan.
    std::vector<std::size_t> connIndex(full.connections.size(), kNoIndex);
    for (std::size_t i = 0; i < full.connections.size(); ++i) {
        const std::size_t w = connectionWorker[i];
        if (w >= workerCount) continue;
        connIndex[i] = out.plans[w].connections.size();
        out.plans[w].connections.push_back(full.connections[i]);
        out.plans[w].routes.emplace_back();
    }
    std::vector<std::size_t> confIndex(full.conferences.size(), kNoIndex);
    for (std::size_t c = 0; c < full.conferences.size(); ++c) {
        const std::size_t w = conferenceWorker[c];
        if (w >= workerCount) continue;
        confIndex[c] = out.plans[w].conferences.size();
        out.plans[w].conferences.push_back(full.conferences[c]);
    }
    auto connOn = [&](std::size_t i, std::size_t w) {
        return i < connIndex.size() && connIndex[i] != kNoIndex && connectionWorker[i] == w;
    };
    auto confOn = [&](std::size_t c, std::size_t w) {
        return c < confIndex.size() && confIndex[c] != kNoIndex && conferenceWorker[c] == w;
    };

    // Feeds: kept when both conferences are on one worker, in the full plan's order (a
    // subsequence of a valid computation order is still valid).
    std::vector<std::size_t> feedIndex(full.feeds.size(), kNoIndex);
    for (std::size_t f = 0; f < full.feeds.size(); ++f) {
        const MixPlan::Feed& feed = full.feeds[f];
        if (!confOn(feed.from, conferenceWorker[feed.from]) ||
            !confOn(feed.to, conferenceWorker[feed.from])) {
            ++out.cut;
            continue;
        }
        MixPlan& p = out.plans[conferenceWorker[feed.from]];
        feedIndex[f] = p.feeds.size();
        p.feeds.push_back(MixPlan::Feed{confIndex[feed.from], confIndex[feed.to], feed.slotInFrom});
    }

    // Participants: slots stay as they are (feeds name them by slot); a reference that
    // crossed workers becomes a listener-only participant with nothing to pull.
    for (std::size_t c = 0; c < full.conferences.size(); ++c) {
        if (confIndex[c] == kNoIndex) continue;
        const std::size_t w = conferenceWorker[c];
        for (auto& part : out.plans[w].conferences[confIndex[c]].participants) {
            if (part.connection != kNoIndex) {
                if (connOn(part.connection, w)) {
                    part.connection = connIndex[part.connection];
                } else {
                    part.connection = kNoIndex;
                    part.sends = false;
                    ++out.cut;
                }
            }
            if (part.feedIn != kNoIndex) {
                if (part.feedIn < feedIndex.size() && feedIndex[part.feedIn] != kNoIndex) {
                    part.feedIn = feedIndex[part.feedIn];
                } else {
                    part.feedIn = kNoIndex;
                    part.sends = false;
                }
            }
        }
    }

    // Routes of every kept connection.
    for (std::size_t i = 0; i < full.connections.size(); ++i) {
        if (connIndex[i] == kNoIndex) continue;
        const std::size_t w = connectionWorker[i];
        auto& routes = out.plans[w].routes[connIndex[i]];
        for (const MixPlan::Route& r : full.routes[i]) {
            MixPlan::Route copy = r;
            if (r.kind == MixPlan::Route::Kind::conference) {
                if (!confOn(r.conference, w)) {
                    ++out.cut;
                    continue;
                }
                copy.conference = confIndex[r.conference];
            } else {
                if (!connOn(r.connection, w)) {
                    ++out.cut;
                    continue;
                }
                copy.connection = connIndex[r.connection];
            }
            routes.push_back(copy);
        }
    }
    return out;
}

}  // namespace parley::ms::plane

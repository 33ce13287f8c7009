#include "ms/plane/placement.hpp"

#include <utility>

namespace parley::ms::plane {

std::size_t groupWorker(std::span<const GroupMember> members, std::size_t workerCount,
                        std::size_t fallback) {
    // Per worker: (connections, entities); compared as a pair.
    std::vector<std::pair<std::size_t, std::size_t>> score(workerCount);
    bool placed = false;
    for (const GroupMember& m : members) {
        if (m.worker >= workerCount) continue;
        placed = true;
        if (m.connection) ++score[m.worker].first;
        ++score[m.worker].second;
    }
    if (!placed) return fallback;
    std::size_t best = 0;
    for (std::size_t w = 1; w < workerCount; ++w) {
        if (score[w] > score[best]) best = w;  // strictly better: ties keep the lower index
    }
    return best;
}

std::size_t leastLoaded(std::span<const std::size_t> load) {
    std::size_t best = 0;
    for (std::size_t w = 1; w < load.size(); ++w) {
        if (load[w] < load[best]) best = w;
    }
    return best;
}

}  // namespace parley::ms::plane

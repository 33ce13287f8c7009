#pragma once
// Which media worker each connection and conference lives on.
//
// The co-location rule: entities that are joined, directly or through a chain of joins
// (a conference and its participants, two connections joined to each other, conferences
// joined to conferences), form a group that lives on one worker, so that a worker mixes
// with frames it owns and no frame crosses threads on the 20 ms path.
//
// groupWorker() says where a group goes after the JoinGraph changed it: to the worker that
// already holds most of its connections (then most of its entities, then the lowest index),
// so the smaller side moves. Only connections cost a move (their RTP sessions change
// thread); conferences are plain plan entries and follow for free. A group split by an
// unjoin may stay where it is: the rule only asks that joined things be together.
//
// leastLoaded() picks the worker for a new entity: the one with the fewest connections.
//
// Pure functions, control thread.

#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace parley::ms::plane {

using WorkerOf = std::map<std::string, std::size_t, std::less<>>;

struct GroupMember {
    std::size_t worker = 0;  // where it lives now; >= workerCount: not placed yet
    bool connection = false;
};

// The worker for a group (`fallback` when none of its members is placed).
std::size_t groupWorker(std::span<const GroupMember> members, std::size_t workerCount,
                        std::size_t fallback);

// The worker with the fewest connections (`load[w]`), ties to the lowest index.
std::size_t leastLoaded(std::span<const std::size_t> load);

}  // namespace parley::ms::plane

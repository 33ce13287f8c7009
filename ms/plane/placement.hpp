#pragma once
// Which media worker each connection and conference lives on.
//
// The co-location rule: entities that are joined, directly or through a chain of joins
// (a conference and its participants, two connections joined to each other, conferences
// joined to conferences), live on one worker, so that a worker mixes with frames it owns
// and no frame crosses threads on the 20 ms path.
//
// colocate() restores the rule after the JoinGraph changed: for every group of joined
// entities spread over several workers, the group moves to the worker that already holds
// most of its connections (then most of its entities, then the lowest index), so the
// smaller side moves. Only connections cost a move (their RTP sessions change thread);
// conferences are plain plan entries and follow for free. A group split by an unjoin may
// stay where it is: the rule only asks that joined things be together.
//
// leastLoaded() picks the worker for a new entity: the one with the fewest connections.
//
// Pure functions, control thread.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ms/mixer/join_graph.hpp"

namespace parley::ms::plane {

using WorkerOf = std::map<std::string, std::size_t, std::less<>>;

struct Move {
    std::string id;
    std::size_t from = 0;
    std::size_t to = 0;
    bool operator==(const Move&) const = default;
};

// `connections` and `conferences` hold every entity of the graph (ids are unique across
// both). Returns the connections that must move, with the maps already updated.
std::vector<Move> colocate(const mixer::JoinGraph& graph, WorkerOf& connections,
                           WorkerOf& conferences);

std::size_t leastLoaded(const WorkerOf& connections, std::size_t workerCount);

}  // namespace parley::ms::plane

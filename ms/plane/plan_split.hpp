#pragma once
// Splitting one MixPlan into one plan per media worker.
//
// The control thread builds a single MixPlan from the whole JoinGraph (MixPlan::build) and
// gives every media worker the part that concerns the entities living on it. Entities that
// are joined (directly or through a chain of joins) live on one worker (the co-location
// rule, see placement.hpp), so every route, participant and feed of a kept entity refers
// only to entities kept on the same worker: the split re-indexes, it never cuts a path.
//
// Contract:
// - connectionWorker[i] / conferenceWorker[c] give the worker of the full plan's connection
//   i / conference c (sizes must match the plan). Values >= workerCount drop the entity.
// - The result has workerCount plans. Each keeps its entities in the full plan's order
//   (connections stay sorted, as MixPlan::connectionIndex() requires), feeds in the full
//   plan's computation order, and the full plan's revision.
// - Should a route, participant or feed refer to an entity of another worker (a placement
//   that broke the rule), that reference is dropped (counted in SplitResult::cut) rather
//   than pointing at the wrong frame.
//
// Pure function, any thread.

#include <cstddef>
#include <span>
#include <vector>

#include "ms/mixer/mix_plan.hpp"

namespace parley::ms::plane {

struct SplitResult {
    std::vector<mixer::MixPlan> plans;  // one per worker
    std::size_t cut = 0;                // references dropped because they crossed workers
};

SplitResult splitPlan(const mixer::MixPlan& full, std::span<const std::size_t> connectionWorker,
                      std::span<const std::size_t> conferenceWorker, std::size_t workerCount);

}  // namespace parley::ms::plane

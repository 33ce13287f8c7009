#include "ms/plane/placement.hpp"

#include <numeric>
#include <tuple>

namespace parley::ms::plane {

namespace {

struct Entity {
    std::size_t* worker;
    bool connection;
    const std::string* id;
};

std::size_t findRoot(std::vector<std::size_t>& parent, std::size_t i) {
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

}  // namespace

std::vector<Move> colocate(const mixer::JoinGraph& graph, WorkerOf& connections,
                           WorkerOf& conferences) {
    std::vector<Entity> entities;
    std::map<std::string_view, std::size_t> index;
    for (auto& [id, w] : connections) {
        index.emplace(id, entities.size());
        entities.push_back({&w, true, &id});
    }
    for (auto& [id, w] : conferences) {
        index.emplace(id, entities.size());
        entities.push_back({&w, false, &id});
    }
    std::vector<std::size_t> parent(entities.size());
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    for (const auto& [key, j] : graph.joins()) {
        auto a = index.find(j.id1);
        auto b = index.find(j.id2);
        if (a == index.end() || b == index.end()) continue;
        std::size_t ra = findRoot(parent, a->second);
        std::size_t rb = findRoot(parent, b->second);
        if (ra != rb) parent[ra] = rb;
    }

    // Per group: per worker, (connections, entities).
    std::map<std::size_t, std::map<std::size_t, std::pair<std::size_t, std::size_t>>> tally;
    for (std::size_t i = 0; i < entities.size(); ++i) {
        auto& t = tally[findRoot(parent, i)][*entities[i].worker];
        if (entities[i].connection) ++t.first;
        ++t.second;
    }
    std::map<std::size_t, std::size_t> target;  // group root -> worker
    for (const auto& [root, perWorker] : tally) {
        if (perWorker.size() < 2) continue;
        std::size_t best = perWorker.begin()->first;
        std::pair<std::size_t, std::size_t> bestScore = perWorker.begin()->second;
        for (const auto& [w, score] : perWorker) {
            if (score > bestScore) {  // strictly better; ties keep the lower index
                best = w;
                bestScore = score;
            }
        }
        target.emplace(root, best);
    }

    std::vector<Move> moves;
    if (target.empty()) return moves;
    for (std::size_t i = 0; i < entities.size(); ++i) {
        auto t = target.find(findRoot(parent, i));
        if (t == target.end() || *entities[i].worker == t->second) continue;
        if (entities[i].connection)
            moves.push_back(Move{*entities[i].id, *entities[i].worker, t->second});
        *entities[i].worker = t->second;
    }
    return moves;
}

std::size_t leastLoaded(const WorkerOf& connections, std::size_t workerCount) {
    std::vector<std::size_t> load(workerCount, 0);
    for (const auto& [id, w] : connections) {
        if (w < workerCount) ++load[w];
    }
    std::size_t best = 0;
    for (std::size_t w = 1; w < workerCount; ++w) {
        if (load[w] < load[best]) best = w;
    }
    return best;
}

}  // namespace parley::ms::plane

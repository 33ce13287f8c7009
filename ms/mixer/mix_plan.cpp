#include "ms/mixer/mix_plan.hpp"

#include <algorithm>
#include <cassert>
#include <map>

namespace parley::ms::mixer {

namespace {

// The audio flow from `from` across join j: the first audio stream with that flow active.
const FlowConfig* audioFlow(const JoinGraph::Join& j, std::string_view from) {
    for (const auto& s : j.streams) {
        if (s.key.media != "audio") continue;
        const FlowConfig& f = j.flowFrom(from, s);
        if (f.active) return &f;
    }
    return nullptr;
}

InputSettings inputOf(const FlowConfig& f) {
    return InputSettings{f.gainDb, f.muted, f.automatic, f.agcTargetDbfs};
}

OutputSettings outputOf(const FlowConfig& f) {
    return OutputSettings{f.gainDb, f.automatic, f.agcTargetDbfs, f.clamp};
}

// Feeds sorted so that each comes after the feeds it contains (Kahn's algorithm on the
// dependency "X -> Y needs every Z -> X with Z != Y").
std::vector<MixPlan::Feed> orderFeeds(const std::vector<MixPlan::Feed>& feeds) {
    const std::size_t n = feeds.size();
    std::vector<std::size_t> pending(n, 0);
    std::vector<std::vector<std::size_t>> dependents(n);
    for (std::size_t f = 0; f < n; ++f) {
        for (std::size_t g = 0; g < n; ++g) {
            if (feeds[g].to == feeds[f].from && feeds[g].from != feeds[f].to) {
                ++pending[f];
                dependents[g].push_back(f);
            }
        }
    }
    std::vector<std::size_t> ready;
    for (std::size_t f = 0; f < n; ++f) {
        if (pending[f] == 0) ready.push_back(f);
    }
    std::vector<MixPlan::Feed> out;
    out.reserve(n);
    for (std::size_t i = 0; i < ready.size(); ++i) {
        const std::size_t f = ready[i];
        out.push_back(feeds[f]);
        for (std::size_t d : dependents[f]) {
            if (--pending[d] == 0) ready.push_back(d);
        }
    }
    // JoinGraph keeps conference joins a forest, so every feed gets ordered.
    assert(out.size() == n);
    return out;
}

// The plan of `connections` and `conferences` (sorted ids) from `joins` (in key order),
// every join between two of the entities given.
MixPlan assemble(const JoinGraph& graph, const std::vector<std::string_view>& connections,
                 const std::vector<const JoinGraph::Conference*>& conferences,
                 const std::vector<const JoinGraph::Join*>& joins) {
    using Conference = MixPlan::Conference;
    using Participant = MixPlan::Participant;
    using Feed = MixPlan::Feed;
    using Route = MixPlan::Route;
    MixPlan plan;
    plan.revision = graph.revision();
    std::map<std::string_view, std::size_t> connIndex;
    for (std::string_view id : connections) {
        connIndex.emplace(id, plan.connections.size());
        plan.connections.emplace_back(id);
    }
    plan.routes.resize(plan.connections.size());
    std::map<std::string_view, std::size_t> confIndex;
    for (const JoinGraph::Conference* c : conferences) {
        confIndex.emplace(c->id, plan.conferences.size());
        Conference conf;
        conf.id = c->id;
        conf.policy = MixPolicy{c->config.mixType, c->config.n};
        conf.activeTalkersInterval = c->config.activeTalkersInterval;
        plan.conferences.push_back(std::move(conf));
    }

    // Participants first (slots), then feeds and routes that refer to them.
    std::map<std::pair<std::size_t, std::string_view>, std::size_t> slotOf;  // (conf, id) -> slot
    for (const JoinGraph::Join* jp : joins) {
        const JoinGraph::Join& j = *jp;
        for (int side = 0; side < 2; ++side) {
            const std::string& confId = side == 0 ? j.id1 : j.id2;
            const EntityKind kind = side == 0 ? j.kind1 : j.kind2;
            if (kind != EntityKind::conference) continue;
            const std::size_t c = confIndex.at(confId);
            const std::string& other = j.other(confId);
            Participant p;
            p.id = other;
            p.kind = j.otherKind(confId);
            if (const FlowConfig* in = audioFlow(j, other)) {
                p.sends = true;
                p.input = inputOf(*in);
                p.clamp = in->clamp;
            }
            if (p.kind == EntityKind::connection) p.connection = connIndex.at(other);
            slotOf.emplace(std::make_pair(c, std::string_view(other)),
                           plan.conferences[c].participants.size());
            plan.conferences[c].participants.push_back(std::move(p));
        }
    }

    std::vector<Feed> feeds;
    for (const JoinGraph::Join* jp : joins) {
        const JoinGraph::Join& j = *jp;
        if (j.kind1 == EntityKind::conference && j.kind2 == EntityKind::conference) {
            const std::size_t a = confIndex.at(j.id1);
            const std::size_t b = confIndex.at(j.id2);
            if (audioFlow(j, j.id1) != nullptr) {
                feeds.push_back(Feed{a, b, slotOf.at({a, std::string_view(j.id2)})});
            }
            if (audioFlow(j, j.id2) != nullptr) {
                feeds.push_back(Feed{b, a, slotOf.at({b, std::string_view(j.id1)})});
            }
            continue;
        }
        if (j.kind1 == EntityKind::connection && j.kind2 == EntityKind::connection) {
            const std::size_t a = connIndex.at(j.id1);
            const std::size_t b = connIndex.at(j.id2);
            const FlowConfig* ab = audioFlow(j, j.id1);
            const FlowConfig* ba = audioFlow(j, j.id2);
            if (a == b) {
                // Echo: forward and backward are the same path; one of them counts.
                if (ab == nullptr) {
                    for (const auto& s : j.streams) {
                        if (s.key.media == "audio" && s.backward.active) {
                            ab = &s.backward;
                            break;
                        }
                    }
                }
                ba = nullptr;
            }
            if (ab != nullptr && !ab->muted) {
                plan.routes[b].push_back(
                    Route{Route::Kind::connection, kNoIndex, kNoIndex, a, outputOf(*ab)});
            }
            if (ba != nullptr && !ba->muted) {
                plan.routes[a].push_back(
                    Route{Route::Kind::connection, kNoIndex, kNoIndex, b, outputOf(*ba)});
            }
            continue;
        }
        // connection <-> conference
        const bool confFirst = j.kind1 == EntityKind::conference;
        const std::string& confId = confFirst ? j.id1 : j.id2;
        const std::string& connId = confFirst ? j.id2 : j.id1;
        const std::size_t c = confIndex.at(confId);
        const std::size_t slot = slotOf.at({c, std::string_view(connId)});
        if (const FlowConfig* out = audioFlow(j, confId); out != nullptr && !out->muted) {
            plan.routes[connIndex.at(connId)].push_back(
                Route{Route::Kind::conference, c, slot, kNoIndex, outputOf(*out)});
        }
    }
    plan.feeds = orderFeeds(feeds);
    for (std::size_t f = 0; f < plan.feeds.size(); ++f) {
        const Feed& feed = plan.feeds[f];
        // The feed from -> to enters `to` as participant `from`.
        const std::size_t slot =
            slotOf.at({feed.to, std::string_view(plan.conferences[feed.from].id)});
        plan.conferences[feed.to].participants[slot].feedIn = f;
    }
    return plan;
}

}  // namespace

MixPlan MixPlan::build(const JoinGraph& graph) {
    std::vector<std::string_view> connections;
    connections.reserve(graph.connections().size());
    for (const auto& [id, c] : graph.connections()) connections.push_back(id);
    std::vector<const JoinGraph::Conference*> conferences;
    conferences.reserve(graph.conferences().size());
    for (const auto& [id, c] : graph.conferences()) conferences.push_back(&c);
    std::vector<const JoinGraph::Join*> joins;
    joins.reserve(graph.joins().size());
    for (const auto& [key, j] : graph.joins()) joins.push_back(&j);
    return assemble(graph, connections, conferences, joins);
}

MixPlan MixPlan::buildGroup(const JoinGraph& graph, const std::vector<std::string>& ids) {
    std::vector<std::string_view> connections;
    std::vector<const JoinGraph::Conference*> conferences;
    std::vector<std::pair<JoinGraph::JoinKey, const JoinGraph::Join*>> keyed;
    for (const std::string& id : ids) {
        if (graph.hasConnection(id)) {
            connections.push_back(id);
        } else if (auto it = graph.conferences().find(id); it != graph.conferences().end()) {
            conferences.push_back(&it->second);
        } else {
            continue;
        }
        for (const std::string& other : graph.neighbours(id)) {
            if (other < id) continue;  // each join once, from its smaller id
            if (const JoinGraph::Join* j = graph.findJoin(id, other))
                keyed.emplace_back(JoinGraph::JoinKey{id, other}, j);
        }
    }
    std::sort(connections.begin(), connections.end());
    std::sort(conferences.begin(), conferences.end(),
              [](const auto* a, const auto* b) { return a->id < b->id; });
    std::sort(keyed.begin(), keyed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const JoinGraph::Join*> joins;
    joins.reserve(keyed.size());
    for (const auto& [key, j] : keyed) joins.push_back(j);
    return assemble(graph, connections, conferences, joins);
}

}  // namespace parley::ms::mixer

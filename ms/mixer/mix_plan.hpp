#pragma once
// MixPlan: who hears whom, computed from a JoinGraph when the graph changes (not every tick).
//
// For each connection, the plan lists its routes: the sources it hears, each with the gain of
// the flow that brings it. Several routes to one connection are summed (RFC 6505 "auto-mix")
// and clipped once.
// - connection <-> conference: the connection is a participant of the conference. If its
//   audio flows into the conference it contributes (the flow's gain, mute and automatic
//   gain are the participant's input settings); if audio flows out to it, it has a route
//   "conference mix minus itself" with the outgoing flow's settings.
// - connection <-> connection: each active flow A -> B is a route to B of A's input; a
//   connection joined with itself hears its own input (echo; one flow counts, forward
//   first, since both directions name the same path).
// - conference X <-> conference Y: Y is a participant of X and X of Y. An active flow X -> Y
//   is a feed: X's mix minus Y's own contribution, which enters Y as participant X with the
//   flow's settings (e.g. a sidebar hearing the main room at -5 dB).
// Feeds are listed in an order where every feed comes after the feeds it is made of (feed
// X -> Y contains the feeds Z -> X, Z != Y); JoinGraph refuses loops of conferences, which
// makes that order exist.
//
// Only audio streams are planned. A join with several audio streams (labels) is taken as one
// audio path: the first stream (by label) with an active flow in a direction gives that
// direction's settings. Video and the clamp flags are carried for the layers that handle
// them: the mixer does not detect in-band tones; the RTP layer drops RFC 4733 events on
// flows whose clamp is set.
//
// A plan is a value: build it on the control thread, hand it to the media worker's
// MixEngine::applyPlan().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ms/mixer/audio_mixer.hpp"
#include "ms/mixer/join_graph.hpp"

namespace parley::ms::mixer {

inline constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

// How a route's audio reaches the listener.
struct OutputSettings {
    double gainDb = 0.0;
    bool automatic = false;
    double agcTargetDbfs = kDefaultAgcTargetDbfs;
    bool clamp = false;
    bool operator==(const OutputSettings&) const = default;
};

struct MixPlan {
    struct Participant {
        std::string id;
        EntityKind kind = EntityKind::connection;
        bool sends = false;                 // its audio flows into the conference
        InputSettings input;                // settings of that flow
        bool clamp = false;                 // that flow's clamp
        std::size_t connection = kNoIndex;  // kind connection: index in MixPlan::connections
        std::size_t feedIn = kNoIndex;      // kind conference and sends: index in MixPlan::feeds
        bool operator==(const Participant&) const = default;
    };
    struct Conference {
        std::string id;
        MixPolicy policy;
        std::chrono::seconds activeTalkersInterval{0};
        std::vector<Participant> participants;  // slot = index
        bool operator==(const Conference&) const = default;
    };
    struct Feed {
        std::size_t from = 0;        // conference index
        std::size_t to = 0;          // conference index
        std::size_t slotInFrom = 0;  // `to`'s participant slot in `from`
        bool operator==(const Feed&) const = default;
    };
    struct Route {
        enum class Kind { conference, connection };
        Kind kind = Kind::conference;
        std::size_t conference = kNoIndex;  // Kind::conference: that mix minus `slot`
        std::size_t slot = kNoIndex;
        std::size_t connection = kNoIndex;  // Kind::connection: that connection's input
        OutputSettings output;
        bool operator==(const Route&) const = default;
    };

    std::vector<std::string> connections;  // the order of runTick's inputs and outputs
    std::vector<Conference> conferences;
    std::vector<Feed> feeds;                 // in computation order
    std::vector<std::vector<Route>> routes;  // per connection; muted flows have no route
    std::uint64_t revision = 0;              // the graph's revision it was built from

    static MixPlan build(const JoinGraph& graph);
    // The plan of one group of joined entities: `ids` names every entity of a connected part
    // of the graph (connections and conferences, any order, each once); only the joins among
    // them are read, through JoinGraph::neighbours(), so the cost follows the group, not the
    // graph. Equal to the part of build(graph) that concerns the group.
    static MixPlan buildGroup(const JoinGraph& graph, const std::vector<std::string>& ids);

    bool operator==(const MixPlan&) const = default;
};

}  // namespace parley::ms::mixer

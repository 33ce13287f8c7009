#pragma once
// JoinGraph: conferences, connections and the joins between them (RFC 6505 section 4.2.2).
//
// Entities are connections (named by connectionid, registered by the SIP side with their media
// streams) and conferences (created here). A join links two entities: connection-conference,
// connection-connection (a connection joined to itself is an echo), or conference-conference.
// Each join holds streams keyed by (media, label); each stream has two flows, forward
// (id1 -> id2) and backward (id2 -> id1), id1/id2 as in the request that created the join.
// A request naming the two ids the other way round is read with its directions reversed.
//
// Contracts:
// - Every operation is atomic: it validates everything first and changes nothing when it
//   fails; errors carry an RFC 6505 status (mixer_types.hpp) and a reason.
// - Unknown id: a conference id gets 406; if the id is neither a conference nor a
//   connection, it is taken as a connectionid (412) when it contains ':' (RFC 6230
//   connectionid syntax), else as a conferenceid (406).
// - Stream rules: <stream> media must be "audio" or "video" (else 422). A stream with a label
//   must name a stream of that media of one of the connections joined; an unlabelled stream
//   stands for the one stream of that media of each connection (407 when a connection has
//   none, or several and no label says which). Conferences take audio and video. In one
//   request, two streams for the same (media, label) that claim the same direction, or an
//   "inactive" stream beside another, conflict (407). A lone sendonly/recvonly stream makes
//   the other direction of that stream inactive. No <stream> on join = every stream the two
//   entities have in common, sendrecv.
// - modifyjoin sets the directions of the streams it names (others are untouched); a flow's
//   volume, clamp and priority are kept unless the request gives new ones, also across a
//   period of inactivity. A stream not yet part of the join is added.
// - unjoin without streams removes the join; with streams, sendrecv/inactive removes the
//   stream, sendonly/recvonly stops that one flow; a stream left with no flow is removed, a
//   join left with no stream is removed. Naming a stream that is not joined is 407.
// - Capacity (410): reserved-talkers / reserved-listeners, when non-zero, are taken as the
//   conference's limits: at most that many participants with an active audio flow into
//   (talkers) / out of (listeners) the conference; internal participants (IVR dialogs) are
//   not counted against them. Every conference also has a hard limit of
//   kMaxConferenceParticipants participants, internal ones included; reservations above it
//   fail with 420.
// - Loops (411): the conference-conference joins must form a forest. A join between two
//   conferences already linked through a chain of conference-conference joins (whatever
//   the stream directions, since a modifyjoin could later activate them), and a conference
//   joined with itself, are refused. Connections never relay media inside the server, so
//   they cannot close a loop.
// - Teardown: removeConnection() and destroyConference() remove every join of the entity and
//   return one unjoin notice (status 2) per join, in id order; destroyConference() then gives
//   the conference exit notice. A successful unjoin that removes a whole join returns a notice
//   with status 0 for the handler to send if it wishes.
// - Internal participants (mixer::isInternalId: an IVR dialog's leg) are joined like any
//   connection but never reported: no unjoin notices for their joins, not listed among a
//   conference's participants in the views.
// - Generated conference ids are "<prefix><8 hex digits>", unique among conferences and
//   connections.
//
// - Change tracking: every successful change records the ids it touched (the entities it
//   created, changed or removed, both ends of a join it made, changed or removed, and every
//   neighbour of a removed entity); takeTouched() hands them over and forgets them, so the
//   media plane re-plans only the groups of joined entities that changed. neighbours() lists
//   the entities joined to one (kept with the joins: no walk over every join).
//
// Not thread-safe: owned by the control thread; mix plans are built from it (mix_plan.hpp).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "ms/mixer/mixer_types.hpp"

namespace parley::ms::mixer {

inline constexpr std::size_t kMaxConferenceParticipants = 500;

class JoinGraph {
  public:
    struct Conference {
        std::string id;
        ConferenceConfig config;
        bool operator==(const Conference&) const = default;
    };
    struct Connection {
        std::string id;
        std::vector<MediaStream> streams;
        bool operator==(const Connection&) const = default;
    };
    struct Join {
        std::string id1;
        std::string id2;
        EntityKind kind1 = EntityKind::connection;
        EntityKind kind2 = EntityKind::connection;
        std::vector<JoinedStream> streams;  // sorted by key
        bool operator==(const Join&) const = default;

        // The flow from `from` to the other entity of this stream (from must be id1 or id2).
        const FlowConfig& flowFrom(std::string_view from, const JoinedStream& s) const {
            return from == id1 ? s.forward : s.backward;
        }
        const std::string& other(std::string_view id) const { return id == id1 ? id2 : id1; }
        EntityKind otherKind(std::string_view id) const { return id == id1 ? kind2 : kind1; }
        bool involves(std::string_view id) const { return id1 == id || id2 == id; }
    };
    using JoinKey = std::pair<std::string, std::string>;  // (smaller id, larger id)

    struct ConferenceView {
        std::string id;
        ConferenceConfig config;
        std::vector<std::string> participants;  // ids joined to it, sorted
    };
    struct JoinView {
        std::string id1;
        std::string id2;
    };

    explicit JoinGraph(std::string generatedIdPrefix = "conf");

    // Connections (media dialogs), registered by the SIP side. An id already used by a
    // connection or a conference is refused (419).
    common::Status addConnection(std::string id,
                                 std::vector<MediaStream> streams = {MediaStream{}});
    std::vector<UnjoinNotice> removeConnection(std::string_view id);

    // Conferences.
    common::Result<std::string> createConference(const ConferenceRequest& request);
    common::Status modifyConference(std::string_view id, const ConferenceChange& change);
    common::Result<ConferenceTeardown> destroyConference(std::string_view id,
                                                         std::uint32_t exitStatus = kExitDestroyed);

    // Joins.
    common::Status join(std::string_view id1, std::string_view id2,
                        const std::vector<StreamRequest>& streams);
    common::Status modifyJoin(std::string_view id1, std::string_view id2,
                              const std::vector<StreamRequest>& streams);
    common::Result<std::optional<UnjoinNotice>> unjoin(std::string_view id1, std::string_view id2,
                                                       const std::vector<StreamRequest>& streams);

    // Audit views, sorted by id.
    std::vector<ConferenceView> conferenceViews() const;
    common::Result<ConferenceView> conferenceView(std::string_view id) const;  // 406
    std::vector<JoinView> joinViews() const;

    // Raw state, for the mix plan and for tests.
    const std::map<std::string, Conference, std::less<>>& conferences() const {
        return conferences_;
    }
    const std::map<std::string, Connection, std::less<>>& connections() const {
        return connections_;
    }
    const std::map<JoinKey, Join>& joins() const { return joins_; }
    const Join* findJoin(std::string_view a, std::string_view b) const;
    using IdSet = std::set<std::string, std::less<>>;
    // The entities joined to `id` (empty when none or unknown).
    const IdSet& neighbours(std::string_view id) const;
    // The ids touched since the last call, sorted, each once.
    std::vector<std::string> takeTouched();
    bool hasConference(std::string_view id) const { return conferences_.count(id) != 0; }
    bool hasConnection(std::string_view id) const { return connections_.count(id) != 0; }
    // Bumped by every successful change: a new mix plan is due when it moves.
    std::uint64_t revision() const { return revision_; }

    // The same entities and joins (and generated-id state); pending touched ids do not count.
    bool operator==(const JoinGraph&) const = default;

  private:
    // Touched ids are bookkeeping for the plan, not part of the graph's value.
    struct Touched {
        IdSet ids;
        bool operator==(const Touched&) const { return true; }
    };

    struct Entity {
        std::string id;
        EntityKind kind;
        const Connection* connection;  // null for a conference
    };

    common::Result<Entity> resolve(std::string_view id) const;
    // The join of two existing entities (409 when they are not joined) and the connections
    // among them.
    struct Existing {
        std::map<JoinKey, Join>::iterator it;
        std::vector<const Connection*> conns;
    };
    common::Result<Existing> existingJoin(std::string_view id1, std::string_view id2);
    std::vector<UnjoinNotice> dropJoinsOf(std::string_view id);
    bool conferencesLinked(std::string_view from, std::string_view to) const;
    common::Status checkCapacity(const std::string& conferenceId, const JoinKey& key,
                                 const Join* candidate) const;
    std::string generateId();
    void link(const std::string& a, const std::string& b);
    void unlink(const std::string& a, const std::string& b);
    void touch(std::string_view id) { touched_.ids.emplace(id); }

    std::string prefix_;
    std::uint64_t nextId_ = 1;
    std::uint64_t revision_ = 0;
    std::map<std::string, Conference, std::less<>> conferences_;
    std::map<std::string, Connection, std::less<>> connections_;
    std::map<JoinKey, Join> joins_;
    std::map<std::string, IdSet, std::less<>> adjacent_;  // both directions, per join
    Touched touched_;
};

}  // namespace parley::ms::mixer

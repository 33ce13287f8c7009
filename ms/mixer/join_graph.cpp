#include "ms/mixer/join_graph.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <set>

namespace parley::ms::mixer {

using common::Error;
using common::Result;
using common::Status;

namespace {

JoinGraph::JoinKey keyOf(std::string_view a, std::string_view b) {
    if (b < a) std::swap(a, b);
    return {std::string(a), std::string(b)};
}

bool supportedMedia(const std::string& media) {
    return media == "audio" || media == "video";
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

// The connections among the two sides of a request, in id order, each once.
template <typename Entity>
std::vector<const JoinGraph::Connection*> connectionsOf(const Entity& a, const Entity& b) {
    std::vector<const JoinGraph::Connection*> out;
    for (const Entity* e : {&a, &b}) {
        if (e->connection == nullptr) continue;
        if (!out.empty() && out.front()->id == e->connection->id) continue;
        out.push_back(e->connection);
    }
    std::sort(out.begin(), out.end(), [](auto* x, auto* y) { return x->id < y->id; });
    return out;
}

std::vector<const MediaStream*> streamsOf(const JoinGraph::Connection& c,
                                          const std::string& media) {
    std::vector<const MediaStream*> out;
    for (const auto& s : c.streams) {
        if (s.media == media) out.push_back(&s);
    }
    return out;
}

// The (media, label) a request stream stands for, the same whichever id comes first.
Result<MediaStream> canonicalKey(const StreamRequest& r,
                                 const std::vector<const JoinGraph::Connection*>& conns) {
    if (!supportedMedia(r.media)) {
        return Error(status::kStreamUnsupported, "media " + quoted(r.media) + " is not supported");
    }
    if (r.label) {
        bool found = false;
        for (const auto* c : conns) {
            for (const auto& s : c->streams)
                found = found || (s.media == r.media && s.label == *r.label);
        }
        if (!found) {
            return Error(status::kIncompatibleStream,
                         "no " + r.media + " stream labelled " + quoted(*r.label));
        }
        for (const auto* c : conns) {
            if (streamsOf(*c, r.media).empty()) {
                return Error(status::kIncompatibleStream,
                             "connection " + quoted(c->id) + " has no " + r.media + " stream");
            }
        }
        return MediaStream{r.media, *r.label};
    }
    std::string label;
    for (std::size_t i = 0; i < conns.size(); ++i) {
        const auto found = streamsOf(*conns[i], r.media);
        if (found.empty()) {
            return Error(status::kIncompatibleStream,
                         "connection " + quoted(conns[i]->id) + " has no " + r.media + " stream");
        }
        if (found.size() > 1) {
            return Error(status::kIncompatibleStream, "connection " + quoted(conns[i]->id) +
                                                          " has several " + r.media +
                                                          " streams: name one with a label");
        }
        if (i == 0) label = found.front()->label;
    }
    return MediaStream{r.media, label};
}

struct ResolvedStream {
    MediaStream key;
    const StreamRequest* forward = nullptr;   // governs id1 -> id2, null = inactive
    const StreamRequest* backward = nullptr;  // governs id2 -> id1
    bool inactive = false;                    // an explicit "inactive" stream
};

Status checkVolume(const StreamRequest& r) {
    if (!r.volume) return {};
    if (!std::isfinite(r.volume->gainDb) ||
        (r.volume->targetDbfs && !std::isfinite(*r.volume->targetDbfs))) {
        return Error(status::kStreamUnsupported, "volume value is not a finite number");
    }
    return {};
}

Result<std::vector<ResolvedStream>> resolveStreams(
    const std::vector<StreamRequest>& requests,
    const std::vector<const JoinGraph::Connection*>& conns) {
    std::vector<ResolvedStream> out;
    for (const auto& r : requests) {
        auto key = canonicalKey(r, conns);
        if (!key) return key.error();
        if (auto st = checkVolume(r); !st) return st.error();
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const ResolvedStream& x) { return x.key == *key; });
        if (it == out.end()) {
            out.push_back(ResolvedStream{*key});
            it = out.end() - 1;
        }
        const bool conflict = [&] {
            switch (r.direction) {
                case Direction::sendrecv:
                    return it->forward || it->backward || it->inactive;
                case Direction::sendonly:
                    return it->forward != nullptr || it->inactive;
                case Direction::recvonly:
                    return it->backward != nullptr || it->inactive;
                case Direction::inactive:
                    return it->forward || it->backward || it->inactive;
            }
            return true;
        }();
        if (conflict) {
            return Error(status::kIncompatibleStream,
                         "conflicting <stream> elements for " + key->media +
                             (key->label.empty() ? "" : " label " + quoted(key->label)));
        }
        switch (r.direction) {
            case Direction::sendrecv:
                it->forward = it->backward = &r;
                break;
            case Direction::sendonly:
                it->forward = &r;
                break;
            case Direction::recvonly:
                it->backward = &r;
                break;
            case Direction::inactive:
                it->inactive = true;
                break;
        }
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.key < b.key; });
    return out;
}

// The streams of a join without <stream>: every medium both sides have, sendrecv.
Result<std::vector<StreamRequest>> defaultStreams(
    const std::vector<const JoinGraph::Connection*>& conns) {
    std::vector<StreamRequest> out;
    for (const char* media : {"audio", "video"}) {
        bool everywhere = true;
        for (const auto* c : conns) {
            const auto found = streamsOf(*c, media);
            if (found.size() > 1) {
                return Error(status::kIncompatibleStream, "connection " + quoted(c->id) +
                                                              " has several " + media +
                                                              " streams: name them with <stream>");
            }
            everywhere = everywhere && !found.empty();
        }
        if (everywhere) {
            StreamRequest r;
            r.media = media;
            out.push_back(std::move(r));
        }
    }
    if (out.empty()) return Error(status::kIncompatibleStream, "no media in common to join");
    return out;
}

std::vector<StreamRequest> reversed(const std::vector<StreamRequest>& requests) {
    std::vector<StreamRequest> out = requests;
    for (auto& r : out) r.direction = reverse(r.direction);
    return out;
}

void applyFlow(FlowConfig& flow, const StreamRequest* r) {
    if (r == nullptr) {
        flow.active = false;  // settings kept for a later re-activation
        return;
    }
    flow.active = true;
    if (r->volume) {
        const VolumeRequest& v = *r->volume;
        switch (v.control) {
            case VolumeRequest::Control::setgain:
                flow.gainDb = v.gainDb;
                flow.muted = false;
                flow.automatic = false;
                break;
            case VolumeRequest::Control::setstate:
                flow.muted = v.mute;
                break;
            case VolumeRequest::Control::automatic:
                flow.automatic = true;
                flow.muted = false;
                flow.gainDb = 0.0;
                flow.agcTargetDbfs = v.targetDbfs.value_or(kDefaultAgcTargetDbfs);
                break;
        }
    }
    if (r->clampTones) {
        flow.clamp = true;
        flow.clampTones = *r->clampTones;
    }
    if (r->priority) flow.priority = *r->priority;
}

// A request's streams read in the join's own direction (the request may name the two ids
// the other way round). ResolvedStreams point into the result: keep it alive.
std::vector<StreamRequest> oriented(const JoinGraph::Join& join, std::string_view id1,
                                    const std::vector<StreamRequest>& streams) {
    return join.id1 != id1 ? reversed(streams) : streams;
}

}  // namespace

Direction reverse(Direction d) {
    switch (d) {
        case Direction::sendonly:
            return Direction::recvonly;
        case Direction::recvonly:
            return Direction::sendonly;
        default:
            return d;
    }
}

JoinGraph::JoinGraph(std::string generatedIdPrefix) : prefix_(std::move(generatedIdPrefix)) {}

// ------------------------------------------------------------------ entities

Result<JoinGraph::Entity> JoinGraph::resolve(std::string_view id) const {
    if (auto it = conferences_.find(id); it != conferences_.end()) {
        return Entity{it->first, EntityKind::conference, nullptr};
    }
    if (auto it = connections_.find(id); it != connections_.end()) {
        return Entity{it->first, EntityKind::connection, &it->second};
    }
    if (id.find(':') != std::string_view::npos) {
        return Error(status::kConnectionNotFound, "connection " + quoted(id) + " does not exist");
    }
    return Error(status::kConferenceNotFound, "conference " + quoted(id) + " does not exist");
}

Status JoinGraph::addConnection(std::string id, std::vector<MediaStream> streams) {
    if (id.empty()) return Error(status::kExecutionError, "empty connection id");
    if (hasConnection(id) || hasConference(id)) {
        return Error(status::kExecutionError, "id " + quoted(id) + " is already in use");
    }
    std::sort(streams.begin(), streams.end());
    streams.erase(std::unique(streams.begin(), streams.end()), streams.end());
    Connection c{id, std::move(streams)};
    touch(id);
    connections_.emplace(std::move(id), std::move(c));
    ++revision_;
    return {};
}

const JoinGraph::IdSet& JoinGraph::neighbours(std::string_view id) const {
    static const IdSet kNone;
    auto it = adjacent_.find(id);
    return it == adjacent_.end() ? kNone : it->second;
}

std::vector<std::string> JoinGraph::takeTouched() {
    std::vector<std::string> out(std::make_move_iterator(touched_.ids.begin()),
                                 std::make_move_iterator(touched_.ids.end()));
    touched_.ids.clear();
    return out;
}

void JoinGraph::link(const std::string& a, const std::string& b) {
    adjacent_[a].insert(b);
    adjacent_[b].insert(a);
    touch(a);
    touch(b);
}

void JoinGraph::unlink(const std::string& a, const std::string& b) {
    for (const auto& [from, to] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        auto it = adjacent_.find(*from);
        if (it == adjacent_.end()) continue;
        it->second.erase(*to);
        if (it->second.empty()) adjacent_.erase(it);
    }
    touch(a);
    touch(b);
}

std::vector<UnjoinNotice> JoinGraph::dropJoinsOf(std::string_view id) {
    std::vector<UnjoinNotice> notices;
    touch(id);
    // In id order of the other side: the order of the joins' keys among this entity's.
    const IdSet others = neighbours(id);
    std::vector<JoinKey> keys;
    keys.reserve(others.size());
    for (const auto& other : others) keys.push_back(keyOf(id, other));
    std::sort(keys.begin(), keys.end());
    for (const JoinKey& key : keys) {
        auto it = joins_.find(key);
        if (it == joins_.end()) continue;
        if (!isInternalId(it->second.id1) && !isInternalId(it->second.id2))
            notices.push_back(UnjoinNotice{it->second.id1, it->second.id2, kUnjoinTerminated});
        const Join gone = std::move(it->second);
        joins_.erase(it);
        unlink(gone.id1, gone.id2);
    }
    return notices;
}

std::vector<UnjoinNotice> JoinGraph::removeConnection(std::string_view id) {
    auto it = connections_.find(id);
    if (it == connections_.end()) return {};
    auto notices = dropJoinsOf(id);
    connections_.erase(it);
    ++revision_;
    return notices;
}

// ------------------------------------------------------------------ conferences

std::string JoinGraph::generateId() {
    for (;;) {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(nextId_++));
        std::string id = prefix_ + buf;
        if (!hasConference(id) && !hasConnection(id)) return id;
    }
}

Result<std::string> JoinGraph::createConference(const ConferenceRequest& request) {
    if (request.conferenceId) {
        const std::string& id = *request.conferenceId;
        if (id.empty()) return Error(status::kExecutionError, "empty conferenceid");
        if (hasConference(id)) {
            return Error(status::kConferenceExists, "conference " + quoted(id) + " already exists");
        }
        if (hasConnection(id)) {
            return Error(status::kConferenceExists, "id " + quoted(id) + " names a connection");
        }
    }
    if (request.reservedTalkers > kMaxConferenceParticipants ||
        request.reservedListeners > kMaxConferenceParticipants) {
        return Error(status::kReservationFailed, "at most " +
                                                     std::to_string(kMaxConferenceParticipants) +
                                                     " participants per conference");
    }
    const auto savedNext = nextId_;
    std::string id = request.conferenceId ? *request.conferenceId : generateId();
    if (request.conferenceId) nextId_ = savedNext;
    Conference c;
    c.id = id;
    c.config.reservedTalkers = request.reservedTalkers;
    c.config.reservedListeners = request.reservedListeners;
    c.config.mixType = request.mixType;
    c.config.n = request.n;
    c.config.activeTalkersInterval =
        std::max(request.activeTalkersInterval, std::chrono::seconds{0});
    touch(id);
    conferences_.emplace(id, std::move(c));
    ++revision_;
    return id;
}

Status JoinGraph::modifyConference(std::string_view id, const ConferenceChange& change) {
    auto it = conferences_.find(id);
    if (it == conferences_.end()) {
        return Error(status::kConferenceNotFound, "conference " + quoted(id) + " does not exist");
    }
    ConferenceConfig& cfg = it->second.config;
    if (change.mixType) cfg.mixType = *change.mixType;
    if (change.n) cfg.n = *change.n;
    if (change.activeTalkersInterval) {
        cfg.activeTalkersInterval =
            std::max(*change.activeTalkersInterval, std::chrono::seconds{0});
    }
    touch(id);
    ++revision_;
    return {};
}

Result<ConferenceTeardown> JoinGraph::destroyConference(std::string_view id,
                                                        std::uint32_t exitStatus) {
    auto it = conferences_.find(id);
    if (it == conferences_.end()) {
        return Error(status::kConferenceNotFound, "conference " + quoted(id) + " does not exist");
    }
    ConferenceTeardown teardown;
    teardown.unjoins = dropJoinsOf(id);
    teardown.exit = ConferenceExitNotice{it->first, exitStatus};
    touch(id);
    conferences_.erase(it);
    ++revision_;
    return teardown;
}

// ------------------------------------------------------------------ joins

const JoinGraph::Join* JoinGraph::findJoin(std::string_view a, std::string_view b) const {
    auto it = joins_.find(keyOf(a, b));
    return it == joins_.end() ? nullptr : &it->second;
}

bool JoinGraph::conferencesLinked(std::string_view from, std::string_view to) const {
    std::set<std::string, std::less<>> seen{std::string(from)};
    std::deque<std::string> queue{std::string(from)};
    while (!queue.empty()) {
        const std::string here = queue.front();
        queue.pop_front();
        if (here == to) return true;
        for (const std::string& next : neighbours(here)) {
            if (!hasConference(next)) continue;
            if (seen.insert(next).second) queue.push_back(next);
        }
    }
    return false;
}

Status JoinGraph::checkCapacity(const std::string& conferenceId, const JoinKey& key,
                                const Join* candidate) const {
    std::size_t participants = 0;
    std::size_t talkers = 0;
    std::size_t listeners = 0;
    auto tally = [&](const Join& j) {
        ++participants;
        const std::string& other = j.other(conferenceId);
        // The reservations are the AS's participants (RFC 7058 6.2.2 reserves two slots for
        // two callers and records the mix besides): IVR dialogs do not take a slot.
        if (isInternalId(other)) return;
        bool in = false;
        bool out = false;
        for (const auto& s : j.streams) {
            if (s.key.media != "audio") continue;
            in = in || j.flowFrom(other, s).active;
            out = out || j.flowFrom(conferenceId, s).active;
        }
        talkers += in ? 1 : 0;
        listeners += out ? 1 : 0;
    };
    for (const std::string& other : neighbours(conferenceId)) {
        auto it = joins_.find(keyOf(conferenceId, other));
        if (it != joins_.end() && it->first != key) tally(it->second);
    }
    if (candidate != nullptr) tally(*candidate);
    const ConferenceConfig& cfg = conferences_.find(conferenceId)->second.config;
    const std::string name = "conference " + quoted(conferenceId);
    if (participants > kMaxConferenceParticipants) {
        return Error(
            status::kConferenceFull,
            name + " is full (" + std::to_string(kMaxConferenceParticipants) + " participants)");
    }
    if (cfg.reservedTalkers != 0 && talkers > cfg.reservedTalkers) {
        return Error(status::kConferenceFull,
                     name + " is full (" + std::to_string(cfg.reservedTalkers) + " talkers)");
    }
    if (cfg.reservedListeners != 0 && listeners > cfg.reservedListeners) {
        return Error(status::kConferenceFull,
                     name + " is full (" + std::to_string(cfg.reservedListeners) + " listeners)");
    }
    return {};
}

Status JoinGraph::join(std::string_view id1, std::string_view id2,
                       const std::vector<StreamRequest>& streams) {
    auto e1 = resolve(id1);
    if (!e1) return e1.error();
    auto e2 = resolve(id2);
    if (!e2) return e2.error();
    if (findJoin(id1, id2) != nullptr) {
        return Error(status::kAlreadyJoined,
                     quoted(id1) + " and " + quoted(id2) + " are already joined");
    }
    if (e1->kind == EntityKind::conference && e2->kind == EntityKind::conference) {
        if (id1 == id2)
            return Error(status::kJoinOperationFailed, "a conference cannot be joined to itself");
        if (conferencesLinked(id1, id2)) {
            return Error(status::kJoinOperationFailed, "joining " + quoted(id1) + " and " + quoted(id2) +
                                                  " would form a loop of conferences");
        }
    }
    const auto conns = connectionsOf(*e1, *e2);
    std::vector<StreamRequest> requested = streams;
    if (requested.empty()) {
        auto defaults = defaultStreams(conns);
        if (!defaults) return defaults.error();
        requested = std::move(*defaults);
    }
    auto resolved = resolveStreams(requested, conns);
    if (!resolved) return resolved.error();

    Join j{std::string(id1), std::string(id2), e1->kind, e2->kind, {}};
    for (const auto& r : *resolved) {
        JoinedStream s{r.key, {}, {}};
        applyFlow(s.forward, r.forward);
        applyFlow(s.backward, r.backward);
        j.streams.push_back(std::move(s));
    }
    const JoinKey key = keyOf(id1, id2);
    for (const Entity* e : {&*e1, &*e2}) {
        if (e->kind != EntityKind::conference) continue;
        if (auto st = checkCapacity(e->id, key, &j); !st) return st;
    }
    link(j.id1, j.id2);
    joins_.emplace(key, std::move(j));
    ++revision_;
    return {};
}

Result<JoinGraph::Existing> JoinGraph::existingJoin(std::string_view id1,
                                                    std::string_view id2) {
    auto e1 = resolve(id1);
    if (!e1) return e1.error();
    auto e2 = resolve(id2);
    if (!e2) return e2.error();
    auto it = joins_.find(keyOf(id1, id2));
    if (it == joins_.end()) {
        return Error(status::kNotJoined, quoted(id1) + " and " + quoted(id2) + " are not joined");
    }
    return Existing{it, connectionsOf(*e1, *e2)};
}

Status JoinGraph::modifyJoin(std::string_view id1, std::string_view id2,
                             const std::vector<StreamRequest>& streams) {
    auto found = existingJoin(id1, id2);
    if (!found) return found.error();
    auto it = found->it;
    const std::vector<StreamRequest> requests = oriented(it->second, id1, streams);
    auto resolved = resolveStreams(requests, found->conns);
    if (!resolved) return resolved.error();

    Join next = it->second;
    for (const auto& r : *resolved) {
        auto s = std::find_if(next.streams.begin(), next.streams.end(),
                              [&](const JoinedStream& x) { return x.key == r.key; });
        if (s == next.streams.end()) {
            next.streams.push_back(JoinedStream{r.key, {}, {}});
            s = next.streams.end() - 1;
        }
        applyFlow(s->forward, r.forward);
        applyFlow(s->backward, r.backward);
    }
    std::sort(next.streams.begin(), next.streams.end(),
              [](auto& a, auto& b) { return a.key < b.key; });
    for (const auto& [id, kind] : {std::pair{next.id1, next.kind1}, std::pair{next.id2, next.kind2}}) {
        if (kind != EntityKind::conference) continue;
        if (auto st = checkCapacity(id, it->first, &next); !st) return st;
    }
    touch(next.id1);
    touch(next.id2);
    it->second = std::move(next);
    ++revision_;
    return {};
}

Result<std::optional<UnjoinNotice>> JoinGraph::unjoin(std::string_view id1, std::string_view id2,
                                                      const std::vector<StreamRequest>& streams) {
    auto found = existingJoin(id1, id2);
    if (!found) return found.error();
    auto it = found->it;
    const UnjoinNotice notice{it->second.id1, it->second.id2, kUnjoinRequested};
    if (streams.empty()) {
        joins_.erase(it);
        unlink(notice.id1, notice.id2);
        ++revision_;
        return std::optional<UnjoinNotice>(notice);
    }
    const std::vector<StreamRequest> requests = oriented(it->second, id1, streams);
    auto resolved = resolveStreams(requests, found->conns);
    if (!resolved) return resolved.error();

    Join next = it->second;
    for (const auto& r : *resolved) {
        auto s = std::find_if(next.streams.begin(), next.streams.end(),
                              [&](const JoinedStream& x) { return x.key == r.key; });
        if (s == next.streams.end()) {
            return Error(status::kIncompatibleStream, "no " + r.key.media +
                                                          " stream is joined between " +
                                                          quoted(id1) + " and " + quoted(id2));
        }
        const bool whole = r.inactive || (r.forward != nullptr && r.backward != nullptr);
        if (!whole) {
            if (r.forward != nullptr) s->forward.active = false;
            if (r.backward != nullptr) s->backward.active = false;
        }
        if (whole || (!s->forward.active && !s->backward.active)) next.streams.erase(s);
    }
    ++revision_;
    touch(next.id1);
    touch(next.id2);
    if (next.streams.empty()) {
        joins_.erase(it);
        unlink(notice.id1, notice.id2);
        return std::optional<UnjoinNotice>(notice);
    }
    it->second = std::move(next);
    return std::optional<UnjoinNotice>();
}

// ------------------------------------------------------------------ audit

std::vector<JoinGraph::ConferenceView> JoinGraph::conferenceViews() const {
    std::vector<ConferenceView> out;
    for (const auto& [id, c] : conferences_) out.push_back(*conferenceView(id));
    return out;
}

Result<JoinGraph::ConferenceView> JoinGraph::conferenceView(std::string_view id) const {
    auto it = conferences_.find(id);
    if (it == conferences_.end()) {
        return Error(status::kConferenceNotFound, "conference " + quoted(id) + " does not exist");
    }
    ConferenceView v{it->first, it->second.config, {}};
    for (const std::string& other : neighbours(id)) {  // sorted
        if (!isInternalId(other)) v.participants.push_back(other);
    }
    return v;
}

std::vector<JoinGraph::JoinView> JoinGraph::joinViews() const {
    std::vector<JoinView> out;
    for (const auto& [key, j] : joins_) {
        if (!isInternalId(j.id1) && !isInternalId(j.id2)) out.push_back(JoinView{j.id1, j.id2});
    }
    return out;
}

}  // namespace parley::ms::mixer

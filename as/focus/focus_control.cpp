// The focus's control surface for REST and scripted calls: participant views and changes,
// kicks, dial-out, announcements, recordings, moves, sidebars, adoption of scripted calls.

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "as/focus/focus.hpp"
#include "as/events/event_bus.hpp"
#include "common/http_server.hpp"
#include "as/focus/focus_state.hpp"
#include "as/focus/policy.hpp"
#include "common/log.hpp"

namespace parley::as {

namespace {

Poco::Logger& log() { return common::logger("as.focus"); }

const char* stateName(Focus::Participant::Phase phase) {
    using Phase = Focus::Participant::Phase;
    switch (phase) {
        case Phase::Setup:
        case Phase::Answering:
        case Phase::Joining: return "connecting";
        case Phase::Pin:
        case Phase::Name: return "pin";
        case Phase::Waiting: return "waiting";
        case Phase::Joined: return "joined";
        case Phase::Leaving: return "leaving";
    }
    return "connecting";
}

// Runs `steps` one after the other (each gets a continuation), then `done` with the first
// error or ok. Keeps itself alive through the continuations.
struct Chain : std::enable_shared_from_this<Chain> {
    using Step = std::function<void(std::function<void(common::Status)>)>;
    std::vector<Step> steps;
    std::size_t next = 0;
    Focus::Done done;

    void run() {
        if (next == steps.size()) {
            auto d = std::move(done);
            if (d) d(common::Status{});
            return;
        }
        Step step = steps[next++];
        auto self = shared_from_this();
        step([self](common::Status s) {
            if (!s) {
                auto d = std::move(self->done);
                if (d) d(s);
                return;
            }
            self->run();
        });
    }
};

}  // namespace

Focus::Participant* Focus::findIn(const std::string& room, const std::string& id, common::Error* error) {
    return const_cast<Participant*>(static_cast<const Focus*>(this)->findIn(room, id, error));
}

const Focus::Participant* Focus::findIn(const std::string& room, const std::string& id,
                                        common::Error* error) const {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        if (error) *error = common::Error(404, "no conference " + room + " is running");
        return nullptr;
    }
    for (auto pid : r->second->members) {
        auto it = participants_.find(pid);
        if (it != participants_.end() && it->second->key == id) return it->second.get();
    }
    if (error) *error = common::Error(404, "no participant " + id + " in " + room);
    return nullptr;
}

Focus::Participant* Focus::joinedIn(const std::string& room, const std::string& id, common::Error* error) {
    Participant* p = findIn(room, id, error);
    if (p && !p->joinedNow()) {
        *error = common::Error(409, id + " has not joined yet");
        return nullptr;
    }
    return p;
}

Focus::Room* Focus::mixingRoom(const std::string& name, common::Error* error) {
    Room* r = room(name);
    if (!r) {
        *error = common::Error(404, "no conference " + name + " is running");
        return nullptr;
    }
    if (r->conf != Room::Conf::Ready || !r->media) {
        *error = common::Error(409, "the conference has no media yet (nobody joined)");
        return nullptr;
    }
    return r;
}

ParticipantInfo Focus::infoOf(const Participant& p) const {
    ParticipantInfo i;
    i.id = p.key;
    i.room = p.roomName;
    if (!p.anonymous) {
        i.uri = p.uri;
        i.displayName = p.display;
    }
    i.role = p.moderator ? "moderator" : "participant";
    i.state = stateName(p.phase);
    i.direction = p.dialOut ? "outbound" : "inbound";
    if (p.user) i.callId = p.user->callId();
    i.connectionId = p.connId;
    i.muted = p.muted;
    i.deaf = p.deaf;
    i.talking = p.talking;
    i.held = p.held || p.restHold;
    i.volumeDb = p.volumeDb;
    for (auto id : p.coach) {
        auto it = participants_.find(id);
        if (it != participants_.end()) i.coach.push_back(it->second->key);
    }
    i.joinedAt = p.joinedAt;
    return i;
}

std::optional<RoomStatus> Focus::roomStatus(const std::string& name) const {
    auto it = rooms_.find(name);
    if (it == rooms_.end()) return std::nullopt;
    return statusOf(*it->second);
}

common::Result<std::vector<ParticipantInfo>> Focus::participants(const std::string& room) const {
    std::vector<ParticipantInfo> out;
    auto r = rooms_.find(room);
    if (r == rooms_.end()) {
        auto stored = store_.find(room);
        if (!stored) return stored.error();
        if (!*stored) return common::Error(404, "no conference " + room);
        return out;  // a stored room with nobody in it
    }
    for (auto pid : r->second->members) {
        auto it = participants_.find(pid);
        if (it != participants_.end() && it->second->phase != Participant::Phase::Leaving)
            out.push_back(infoOf(*it->second));
    }
    return out;
}

common::Result<ParticipantInfo> Focus::participant(const std::string& room, const std::string& id) const {
    common::Error error;
    const Participant* p = findIn(room, id, &error);
    if (!p) return error;
    return infoOf(*p);
}

void Focus::applyJoin(Participant& p, Done done) {
    Room* r = room(p.roomName);
    if (!p.joinedNow() || !r || r->conf != Room::Conf::Ready) {
        done(common::Status{});  // applied when the participant joins
        return;
    }
    p.media->modifyJoin(p.connId, r->confId, p.joinOptions(), std::move(done));
}

void Focus::change(const std::string& roomName, const std::string& id, ParticipantChange c, Done done) {
    common::Error error;
    Participant* p = findIn(roomName, id, &error);
    if (!p || p->phase == Participant::Phase::Leaving) {
        done(p ? common::Error(409, id + " is leaving") : error);
        return;
    }
    if (c.volumeDb && (!std::isfinite(*c.volumeDb) || *c.volumeDb < -96 || *c.volumeDb > 24)) {
        done(common::Error(400, "volumeDb must be between -96 and 24"));
        return;
    }
    if (c.role && *c.role != "participant" && *c.role != "moderator") {
        done(common::Error(400, "role must be participant or moderator"));
        return;
    }
    std::vector<std::uint64_t> newCoach = p->coach;
    if (c.coach) {
        newCoach.clear();
        for (const auto& key : *c.coach) {
            common::Error e;
            const Participant* q = findIn(roomName, key, &e);
            if (!q) {
                done(common::Error(400, "coach: " + e.message));
                return;
            }
            if (q->id == p->id) {
                done(common::Error(400, "coach: a participant cannot coach themselves"));
                return;
            }
            if (std::find(newCoach.begin(), newCoach.end(), q->id) == newCoach.end()) newCoach.push_back(q->id);
        }
        if (!newCoach.empty() && !p->joinedNow()) {
            done(common::Error(409, id + " has not joined yet"));
            return;
        }
    }
    Room* r = room(roomName);
    const bool wasMuted = p->muted;
    if (c.muted) {
        p->muted = *c.muted;
        p->mutedDecided = true;
    }
    if (c.deaf) p->deaf = *c.deaf;
    if (c.hold) p->restHold = *c.hold;
    if (c.volumeDb) p->volumeDb = *c.volumeDb;
    if (c.role) {
        bool moderator = *c.role == "moderator";
        if (moderator != p->moderator) {
            p->moderator = moderator;
            if (p->joinedNow() && r) {
                if (moderator) {
                    if (++r->moderators == 1) releaseWaiting(*r);
                } else if (r->moderators > 0) {
                    --r->moderators;
                }
            }
        }
    }

    auto chain = std::make_shared<Chain>();
    // Direct joins for coaching: the coached participant is heard only by the listed ones
    // (RFC 7058 6.3.3), through connection-to-connection joins that send one way.
    if (c.coach && r && p->joinedNow()) {
        std::vector<std::uint64_t> removed, added;
        for (auto q : p->coach)
            if (std::find(newCoach.begin(), newCoach.end(), q) == newCoach.end()) removed.push_back(q);
        for (auto q : newCoach)
            if (std::find(p->coach.begin(), p->coach.end(), q) == p->coach.end()) added.push_back(q);
        MediaControl* media = p->media;
        std::string from = p->connId;
        for (auto q : removed) {
            Participant* other = participant(q);
            if (!other) continue;
            std::string to = other->connId;
            chain->steps.push_back([media, from, to](std::function<void(common::Status)> next) {
                media->unjoin(from, to, [next](common::Status) { next(common::Status{}); });
            });
        }
        for (auto q : added) {
            Participant* other = participant(q);
            if (!other) continue;
            std::string to = other->connId;
            chain->steps.push_back([media, from, to](std::function<void(common::Status)> next) {
                JoinOptions oneWay;
                oneWay.deaf = true;  // sendonly from the coached participant to `to`
                media->join(from, to, oneWay, next);
            });
        }
    }
    p->coach = newCoach;
    std::uint64_t pid = p->id;
    chain->steps.push_back([this, pid](std::function<void(common::Status)> next) {
        Participant* q = participant(pid);
        if (!q) {
            next(common::Error(404, "participant left"));
            return;
        }
        applyJoin(*q, next);
    });
    chain->done = [this, pid, wasMuted, done = std::move(done)](common::Status s) {
        if (Participant* q = participant(pid); q && q->phase != Participant::Phase::Leaving) {
            if (Room* rr = room(q->roomName)) {
                publish(*rr, *q);
                if (s && q->muted != wasMuted)
                    emit(q->muted ? "participant.muted" : "participant.unmuted", *rr, q);
            }
        }
        done(s);
    };
    chain->run();
}

common::Status Focus::kick(const std::string& roomName, const std::string& id) {
    common::Error error;
    Participant* p = findIn(roomName, id, &error);
    if (!p) return error;
    if (p->phase == Participant::Phase::Leaving) return {};
    leave(*p, Why::Booted, true, "kicked through the API");
    return {};
}

common::Result<std::string> Focus::dialOut(const std::string& roomName, const DialOutRequest& r) {
    if (r.uri.rfind("sip:", 0) != 0 && r.uri.rfind("sips:", 0) != 0)
        return common::Error(400, "uri must be a sip: or sips: URI");
    if (r.uri.find_first_of(" \t\r\n<>\"") != std::string::npos) return common::Error(400, "uri has bad characters");
    if (!r.callerId.empty() && (r.callerId.rfind("sip", 0) != 0 ||
                                r.callerId.find_first_of(" \t\r\n<>\"") != std::string::npos))
        return common::Error(400, "callerId must be a sip: URI");
    if (r.role != "participant" && r.role != "moderator") return common::Error(400, "role must be participant or moderator");
    if (r.timeout.count() < 1 || r.timeout.count() > 30)
        return common::Error(400, "timeout must be 1..30 seconds (the media server waits 32 s for the answer)");
    if (participants_.size() >= options_.maxCalls) return common::Error(429, "at the call limit");
    Room* rr = loadRoom(roomName);
    if (!rr) return common::Error(404, "no conference " + roomName);
    Admission a = admit(rr->config, {r.uri, activeCount(*rr), true});
    if (!a.admitted()) {
        roomMaybeIdle(*rr);
        return common::Error(a.status == 486 ? 409 : 403, a.reason);
    }
    auto id = dialOut(*rr, r.uri, nullptr, "the API", &r);
    if (!id) return id.error();
    return "p" + std::to_string(*id);
}

void Focus::announce(const std::string& roomName, const std::string& participantId, const Announcement& a,
                     Done done) {
    Room* r = room(roomName);
    if (!r) {
        done(common::Error(404, "no conference " + roomName + " is running"));
        return;
    }
    if (a.prompt.empty()) {
        done(common::Error(400, "nothing to play"));
        return;
    }
    DialogSpec spec;
    spec.bargeIn = false;
    spec.prompt = a.prompt;
    spec.repeatCount = a.repeatCount;
    std::string target;
    bool onConference = participantId.empty();
    MediaControl* media = nullptr;
    common::Error error;
    if (onConference) {
        if (!mixingRoom(roomName, &error)) {
            done(error);
            return;
        }
        target = r->confId;
        media = r->media;
    } else {
        Participant* p = joinedIn(roomName, participantId, &error);
        if (!p) {
            done(error);
            return;
        }
        target = p->connId;
        media = p->media;
    }
    media->startDialog(
        target, onConference, spec,
        [done = std::move(done)](common::Result<std::string> id) {
            done(id ? common::Status{} : common::Status(id.error()));
        },
        [](const DialogResult&) {});
}

void Focus::startRecording(const std::string& roomName, std::function<void(common::Result<std::string>)> done) {
    common::Error error;
    Room* r = mixingRoom(roomName, &error);
    if (!r) {
        done(error);
        return;
    }
    // Unique across restarts and across parley-as instances sharing the store: start time
    // and 48 random bits; at most 64 characters (REST ids), so long room names are cut.
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    std::ostringstream id;
    id << roomName.substr(0, 34) << "-" << ms << "-" << std::hex << (rng_() & 0xffffffffffffULL);
    const std::string recId = id.str();
    DialogSpec spec;
    spec.bargeIn = false;
    RecordSpec record;
    record.beep = false;
    record.vadFinal = false;
    // parley-ms records at most one hour per dialog (its audit's maxrecordduration).
    record.maxTime = std::chrono::hours(1);
    record.finalSilence = std::chrono::hours(1);
    spec.record = record;
    r->recordings[recId] = Room::Recording{};
    std::string name = roomName;
    r->media->startDialog(
        r->confId, true, spec,
        [this, name, recId, done = std::move(done)](common::Result<std::string> dialogId) {
            Room* rr = room(name);
            if (!dialogId) {
                if (rr) rr->recordings.erase(recId);
                done(dialogId.error());
                return;
            }
            if (rr) rr->recordings[recId].dialogId = *dialogId;
            PARLEY_LOG_INFO(log(), "room " << name << ": recording " << recId << " started");
            RecordingRecord record;
            record.id = recId;
            record.room = name;
            record.state = "recording";
            record.startedAt = rr ? rr->recordings[recId].startedAt : std::chrono::system_clock::now();
            if (auto ok = store_.putRecording(record); !ok)
                PARLEY_LOG_WARN(log(), "recording " << recId << " not indexed: " << ok.error().message);
            done(recId);
        },
        [this, name, recId](const DialogResult& result) {
            Room* rr = room(name);
            if (!rr) return;
            auto it = rr->recordings.find(recId);
            if (it == rr->recordings.end()) return;
            RecordingRecord record;
            record.id = recId;
            record.room = name;
            record.startedAt = it->second.startedAt;
            record.endedAt = std::chrono::system_clock::now();
            record.duration = result.recordDuration;
            record.mediaUri = result.recordingUri.substr(0, 2048);
            record.state = result.recordingUri.empty() ? "failed" : "ready";
            if (auto ok = store_.putRecording(record); !ok)
                PARLEY_LOG_WARN(log(), "recording " << recId << " not indexed: " << ok.error().message);
            if (result.recordingUri.empty()) {
                it->second.state = "failed";
                PARLEY_LOG_WARN(log(), "room " << name << ": recording " << recId << " failed (status "
                                               << result.status << " " << result.reason << ")");
                return;
            }
            it->second.state = "ready";
            it->second.uri = result.recordingUri;
            PARLEY_LOG_INFO(log(), "room " << name << ": recording " << recId << " ready: " << result.recordingUri);
            emit("recording.ready", *rr, nullptr,
                 "{\"recording\":" + common::jsonQuote(recId) + ",\"uri\":" + common::jsonQuote(result.recordingUri) +
                     ",\"durationMs\":" + std::to_string(result.recordDuration.count()) + "}");
        });
}

void Focus::stopRecording(const std::string& roomName, const std::string& recordingId, Done done) {
    Room* r = room(roomName);
    if (!r) {
        done(common::Error(404, "no conference " + roomName + " is running"));
        return;
    }
    auto it = r->recordings.find(recordingId);
    if (it == r->recordings.end()) {
        done(common::Error(404, "no recording " + recordingId + " in " + roomName));
        return;
    }
    if (it->second.state != "recording" || it->second.dialogId.empty() || !r->media) {
        done(common::Error(409, "recording " + recordingId + " is " + it->second.state));
        return;
    }
    r->media->terminateDialog(it->second.dialogId, false, std::move(done));
}

void Focus::move(const std::string& roomName, const std::string& id, const std::string& toRoom, Done done) {
    common::Error error;
    Participant* p = joinedIn(roomName, id, &error);
    if (!p) {
        done(error);
        return;
    }
    if (toRoom == roomName) {
        done(common::Status{});
        return;
    }
    Room* to = loadRoom(toRoom);
    if (!to) {
        done(common::Error(404, "no conference " + toRoom));
        return;
    }
    Room* from = room(roomName);
    if (to->server && to->server != from->server) {
        done(common::Error(409, toRoom + " is on another media server"));
        roomMaybeIdle(*to);
        return;
    }
    Admission a = admit(to->config, {p->uri, activeCount(*to), true});
    if (!a.admitted()) {
        done(common::Error(409, toRoom + ": " + a.reason));
        roomMaybeIdle(*to);
        return;
    }
    if (!to->server) {
        to->server = from->server;
        to->media = from->media;
    }
    std::uint64_t pid = p->id;
    std::string fromConf = from->confId;
    // Leave the old mix, then join the new room like a new arrival (no PIN).
    p->phase = Participant::Phase::Joining;
    if (from->events) from->events->remove(p->key, proto::confinfo::DisconnectionMethod::Departed);
    emit("participant.left", *from, p, "{\"reason\":\"moved\",\"to\":" + common::jsonQuote(toRoom) + "}");
    if (p->moderator && from->moderators > 0) --from->moderators;
    from->members.erase(pid);
    to->members.insert(pid);
    p->roomName = toRoom;
    p->talking = false;
    PARLEY_LOG_INFO(log(), p->key << " moves from room " << roomName << " to " << toRoom);
    p->media->unjoin(p->connId, fromConf, [this, pid](common::Status) {
        if (Participant* q = participant(pid); q && q->phase == Participant::Phase::Joining) join(*q);
    });
    roomMaybeIdle(*from);
    done(common::Status{});
}

void Focus::sidebar(const std::string& roomName, const std::vector<std::string>& ids,
                    std::function<void(common::Result<std::string>)> done) {
    common::Error error;
    Room* main = mixingRoom(roomName, &error);
    if (!main) {
        done(error);
        return;
    }
    if (ids.empty()) {
        done(common::Error(400, "a sidebar needs participants"));
        return;
    }
    for (const auto& id : ids) {
        if (!joinedIn(roomName, id, &error)) {
            done(error);
            return;
        }
    }
    Room* side = createAdHocRoom();
    if (!side) {
        done(common::Error(500, "cannot create a sidebar room"));
        return;
    }
    side->config.displayName = "Sidebar of " + roomName;
    side->sidebarOf = roomName;
    side->server = main->server;
    side->media = main->media;
    std::string sideName = side->config.name;
    for (const auto& id : ids) move(roomName, id, sideName, [](common::Status) {});
    done(sideName);
}

void Focus::returnFromSidebar(const std::string& sidebarRoom, Done done) {
    Room* side = room(sidebarRoom);
    if (!side || side->sidebarOf.empty()) {
        done(common::Error(404, "no sidebar " + sidebarRoom));
        return;
    }
    std::string main = side->sidebarOf;
    std::vector<std::uint64_t> ids(side->members.begin(), side->members.end());
    for (auto pid : ids) returnWhenJoined(pid, sidebarRoom, main, 50);
    done(common::Status{});
}

// Moves one sidebar member back; one still joining the sidebar is moved once it has joined
// (polled every 100 ms, `attempts` times at most).
void Focus::returnWhenJoined(std::uint64_t pid, const std::string& sidebarRoom, const std::string& main,
                             int attempts) {
    Participant* p = participant(pid);
    if (!p || p->roomName != sidebarRoom || p->phase == Participant::Phase::Leaving) return;
    if (p->joinedNow()) {
        move(sidebarRoom, p->key, main, [key = p->key](common::Status s) {
            if (!s) PARLEY_LOG_WARN(log(), key << ": cannot return from the sidebar: " << s.error().message);
        });
        return;
    }
    if (attempts <= 0) {
        PARLEY_LOG_WARN(log(), p->key << ": did not join the sidebar in time to return from it");
        return;
    }
    loop_.addTimer(std::chrono::milliseconds(100), [this, pid, sidebarRoom, main, attempts] {
        returnWhenJoined(pid, sidebarRoom, main, attempts - 1);
    });
}

common::Status Focus::roomChanged(const std::string& name) {
    Room* r = room(name);
    if (!r) return {};  // not live: the next call reads the store
    if (r->config.adHoc) return common::Error(409, name + " is an ad-hoc room");
    auto found = store_.find(name);
    if (!found) return found.error();
    if (!*found) return common::Error(404, "no room " + name + " in the store");
    applyConfig(*r, std::move(**found));
    return {};
}

bool Focus::refreshConfig(Room& r) {
    if (r.config.adHoc) return true;
    auto found = store_.find(r.config.name);
    if (!found) {
        PARLEY_LOG_WARN(log(), "room " << r.config.name << ": keeping its configuration, the store failed: "
                                       << found.error().message);
        return true;
    }
    if (!*found) {
        PARLEY_LOG_INFO(log(), "room " << r.config.name << ": no longer in the store, no new entrants");
        return false;
    }
    if (**found != r.config) applyConfig(r, std::move(**found));
    return true;
}

void Focus::applyConfig(Room& r, RoomConfig config) {
    r.config = std::move(config);
    if (r.events) {
        r.events->setRoom(RoomView{r.uri, r.config.displayName,
                                   r.config.maxParticipants ? std::optional<std::uint32_t>(r.config.maxParticipants)
                                                            : std::nullopt,
                                   r.config.locked, r.conf != Room::Conf::None});
    }
    PARLEY_LOG_INFO(log(), "room " << r.config.name << ": configuration reloaded");
}

common::Status Focus::adopt(Adoption a) {
    if (!a.user || !a.ms || !a.server) return common::Error(400, "adoption needs both dialogs and the MS");
    if (a.user->terminated() || a.ms->terminated()) return common::Error(410, "the call is already over");
    Room* r = loadRoom(a.room);
    if (!r) return common::Error(404, "no conference " + a.room);
    Admission adm = admit(r->config, {a.uri, activeCount(*r), true});
    if (!adm.admitted()) {
        roomMaybeIdle(*r);
        return common::Error(adm.status, adm.reason);
    }
    if (r->server && r->server != a.server) {
        if (r->conf != Room::Conf::None) {
            roomMaybeIdle(*r);
            return common::Error(409, a.room + " is on another media server");
        }
    }
    if (!r->server || r->conf == Room::Conf::None) {
        r->server = a.server;
        r->media = mediaFor(a.server);
    }
    auto owned = std::make_unique<Participant>();
    Participant& p = *owned;
    p.id = nextId_++;
    p.key = "p" + std::to_string(p.id);
    p.roomName = r->config.name;
    p.user = a.user;
    p.ms = a.ms;
    p.connId = a.ms->connectionId();
    p.media = r->media;
    p.uri = a.uri;
    p.display = a.displayName;
    p.moderator = a.role == "moderator";
    p.muted = a.muted;
    p.mutedDecided = true;
    p.user->setHandler(this);
    p.ms->setHandler(this);
    legs_[p.user.get()] = {p.id, false};
    legs_[p.ms.get()] = {p.id, true};
    r->members.insert(p.id);
    Participant& ref = p;
    participants_.emplace(p.id, std::move(owned));
    PARLEY_LOG_INFO(log(), ref.key << " " << ref.uri << " handed to room " << r->config.name << " by a script");
    enter(ref);
    return {};
}

void Focus::emit(const std::string& type, const Room& r, const Participant* p, std::string dataJson) {
    if (!bus_) return;
    AsEvent e;
    e.type = type;
    e.room = r.config.name;
    if (p) {
        e.participant = p->key;
        if (p->user) e.callId = p->user->callId();
    }
    e.dataJson = std::move(dataJson);
    e.at = std::chrono::system_clock::now();
    e.eventsUrl = r.config.eventsUrl;
    bus_->publish(std::move(e));
}

}  // namespace parley::as

#include "as/focus/focus.hpp"
#include "as/focus/focus_state.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <sstream>

#include "as/apps/call_router.hpp"
#include "as/callctl/media_control.hpp"
#include "as/events/conference_events.hpp"
#include "as/focus/policy.hpp"
#include "as/msclient/media_server_registry.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"

namespace parley::as {

namespace sip = proto::sip;
namespace ci = proto::confinfo;

namespace {

Poco::Logger& log() { return common::logger("as.focus"); }

constexpr const char* kSdp = "application/sdp";


// A URI without parameters or headers, lower-case scheme and host: for comparing targets.
std::string bareUri(const std::string& uri) {
    std::string out = uri.substr(0, uri.find_first_of(";?>"));
    if (out.rfind('<', 0) == 0) out.erase(0, 1);
    auto at = out.find('@');
    std::size_t from = at == std::string::npos ? 0 : at;
    std::transform(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(),
                   out.begin() + static_cast<std::ptrdiff_t>(from),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool anonymousCaller(const sip::SipMessage& m) {
    std::string from = bareUri(m.fromUri);
    std::string privacy = m.header("Privacy");
    std::transform(privacy.begin(), privacy.end(), privacy.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return from.find("anonymous.invalid") != std::string::npos ||
           privacy.find("id") != std::string::npos || privacy.find("user") != std::string::npos;
}

// RFC 3264 hold: the participant's offer no longer asks to receive.
bool offerHolds(const std::string& sdp) {
    return sdp.find("a=sendonly") != std::string::npos || sdp.find("a=inactive") != std::string::npos ||
           sdp.find("c=IN IP4 0.0.0.0") != std::string::npos;
}

}  // namespace

// ------------------------------------------------------------------------------- state

// ------------------------------------------------------------------------------- basics

Focus::Focus(common::EventLoop& loop, RoomStore& store, MediaServerRegistry& registry,
             FocusOptions options)
    : loop_(loop), store_(store), registry_(registry), options_(std::move(options)) {
    if (!options_.promptBase.empty() && options_.promptBase.back() != '/') options_.promptBase += '/';
}

Focus::~Focus() = default;

void Focus::attach(sip::SipStack& stack) { stack_ = &stack; }

std::string Focus::roomUri(const std::string& name) const {
    return "sip:" + name + "@" + (stack_ ? stack_->hostPort() : std::string("localhost"));
}

std::string Focus::prompt(const std::string& name) const { return options_.promptBase + name + ".wav"; }

Focus::Participant* Focus::participant(std::uint64_t id) {
    auto it = participants_.find(id);
    return it == participants_.end() ? nullptr : it->second.get();
}

Focus::Participant* Focus::participantOf(const sip::Dialog* dialog, bool* msSide) {
    auto it = legs_.find(dialog);
    if (it == legs_.end()) return nullptr;
    if (msSide) *msSide = it->second.msSide;
    return participant(it->second.participant);
}

Focus::Room* Focus::room(const std::string& name) {
    auto it = rooms_.find(name);
    return it == rooms_.end() ? nullptr : it->second.get();
}

Focus::Room* Focus::loadRoom(const std::string& name) {
    if (Room* r = room(name)) return r->ending || !refreshConfig(*r) ? nullptr : r;
    if (name.empty() || name == options_.factoryUser) return nullptr;
    auto found = store_.find(name);
    if (!found) {
        PARLEY_LOG_ERROR(log(), "room store: " << found.error().message);
        return nullptr;
    }
    if (!*found) return nullptr;
    auto r = std::make_unique<Room>();
    r->config = std::move(**found);
    r->uri = roomUri(name);
    r->events = std::make_unique<ConferenceEvents>(
        loop_, RoomView{r->uri, r->config.displayName,
                        r->config.maxParticipants ? std::optional<std::uint32_t>(r->config.maxParticipants)
                                                  : std::nullopt,
                        r->config.locked, false});
    Room* raw = r.get();
    rooms_.emplace(name, std::move(r));
    return raw;
}

Focus::Room* Focus::createAdHocRoom() {
    for (int attempt = 0; attempt < 8; ++attempt) {
        std::ostringstream name;
        name << "adhoc-" << std::hex << (rng_() & 0xffffffffffULL);
        if (room(name.str())) continue;
        auto stored = store_.find(name.str());
        if (stored && *stored) continue;
        auto r = std::make_unique<Room>();
        r->config.name = name.str();
        r->config.displayName = "Ad-hoc conference";
        r->config.adHoc = true;
        r->uri = roomUri(r->config.name);
        r->events = std::make_unique<ConferenceEvents>(loop_, RoomView{r->uri, r->config.displayName,
                                                                       std::nullopt, false, false});
        Room* raw = r.get();
        rooms_.emplace(r->config.name, std::move(r));
        PARLEY_LOG_INFO(log(), "ad-hoc room " << raw->config.name << " created");
        return raw;
    }
    return nullptr;
}

MediaControl* Focus::mediaFor(MediaServerClient* server) {
    auto& slot = media_[server];
    if (!slot) slot = std::make_unique<MediaControl>(loop_, *server);
    return slot.get();
}

bool Focus::bindServer(Room& r) {
    if (r.server && r.server->isUp()) return true;
    if (r.server && r.conf != Room::Conf::None) return false;  // its MS is down: wait for cleanup
    r.server = registry_.pickUp();
    r.media = r.server ? mediaFor(r.server) : nullptr;
    return r.server != nullptr;
}

std::size_t Focus::activeCount(const Room& r) const {
    std::size_t n = 0;
    for (auto id : r.members) {
        auto it = participants_.find(id);
        if (it != participants_.end() && it->second->phase != Participant::Phase::Leaving) ++n;
    }
    return n;
}

RoomStatus Focus::statusOf(const Room& r) const {
    RoomStatus s;
    s.name = r.config.name;
    s.uri = r.uri;
    s.participants = activeCount(r);
    s.moderators = r.moderators;
    s.conferenceId = r.conf == Room::Conf::Ready ? r.confId : std::string();
    s.subscribers = r.events ? r.events->subscriberCount() : 0;
    return s;
}

std::vector<RoomStatus> Focus::rooms() const {
    std::vector<RoomStatus> out;
    for (const auto& [name, r] : rooms_) out.push_back(statusOf(*r));
    return out;
}

// ------------------------------------------------------------------------------- dial-in

void Focus::onIncomingInvite(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    if (!stack_) {
        (void)dialog->respond(503, "Starting up");
        return;
    }
    const std::string name = sip::uriUser(invite.requestUri);
    if (participants_.size() >= options_.maxCalls || setups_ >= options_.maxSetups) {
        PARLEY_LOG_WARN(log(), "INVITE " << invite.callId << " to " << invite.requestUri
                                         << ": 503, at the call limit (" << participants_.size()
                                         << " calls, " << setups_ << " being set up)");
        (void)dialog->respond(503, "Too many calls", {}, {}, {{"Retry-After", "5"}});
        return;
    }
    if (!invite.body.empty() && invite.contentType != kSdp) {
        (void)dialog->respond(415, {}, {}, {}, {{"Accept", kSdp}});
        return;
    }
    // Scripted calls (routes to webhooks and built-in apps) first.
    if (router_ && router_->route(dialog, invite)) return;
    const bool factory = name == options_.factoryUser;
    Room* r = factory ? createAdHocRoom() : loadRoom(name);
    if (!r && !factory) {
        // A route may name the room ("support" -> room "team").
        auto route = store_.matchRoute(name, invite.requestUri);
        if (!route) PARLEY_LOG_ERROR(log(), "route lookup: " << route.error().message);
        if (route && *route && (*route)->kind == RouteConfig::Kind::Room) r = loadRoom((*route)->target);
    }
    if (!r) {
        PARLEY_LOG_INFO(log(), "INVITE " << invite.callId << " from " << invite.fromUri << " to "
                                         << invite.requestUri << ": 404, no such conference");
        (void)dialog->respond(factory ? 500 : 404, factory ? "Cannot create a conference" : "No such conference");
        return;
    }
    Admission a = admit(r->config, {invite.fromUri, activeCount(*r), false});
    if (!a.admitted()) {
        PARLEY_LOG_INFO(log(), "INVITE " << invite.callId << " from " << invite.fromUri << " to room "
                                         << r->config.name << ": " << a.status << " (" << a.rule << ")");
        (void)dialog->respond(a.status, a.reason);
        roomMaybeIdle(*r);
        return;
    }
    if (!bindServer(*r)) {
        PARLEY_LOG_WARN(log(), "INVITE " << invite.callId << " to room " << r->config.name
                                         << ": 503, no media server is up");
        (void)dialog->respond(503, "No media server available", {}, {}, {{"Retry-After", "10"}});
        roomMaybeIdle(*r);
        return;
    }
    (void)dialog->setFocus(r->config.name);

    auto owned = std::make_unique<Participant>();
    Participant& p = *owned;
    p.id = nextId_++;
    p.key = "p" + std::to_string(p.id);
    p.roomName = r->config.name;
    p.user = dialog;
    p.uri = invite.fromUri;
    p.display = invite.fromDisplay;
    p.contact = invite.contactUri;
    p.anonymous = anonymousCaller(invite);
    p.needPin = a.needPin;
    p.userOffered = !invite.body.empty();
    p.media = r->media;
    p.countedSetup = true;
    ++setups_;

    sip::InviteRequest request;
    request.to = r->server->uri();
    request.body = invite.body;
    auto leg = stack_->invite(request, this);
    if (!leg) {
        PARLEY_LOG_ERROR(log(), "INVITE to the MS for " << invite.callId << ": " << leg.error().message);
        --setups_;
        (void)dialog->respond(500, "Media server unreachable");
        roomMaybeIdle(*r);
        return;
    }
    p.ms = *leg;
    legs_[p.user.get()] = {p.id, false};
    legs_[p.ms.get()] = {p.id, true};
    r->members.insert(p.id);
    participants_.emplace(p.id, std::move(owned));
    (void)dialog->respond(180);
    PARLEY_LOG_INFO(log(), p.key << " " << p.uri << " calling room " << r->config.name << " (call "
                                 << invite.callId << ")");
}

void Focus::msAnswered(Participant& p, const sip::SipMessage& response) {
    p.connId = p.ms->connectionId();
    if (p.dialOut) {
        // The MS's offer goes to the invitee (RFC 3725 flow I as RFC 7058 uses it).
        Room* r = room(p.roomName);
        if (!r || response.body.empty()) {
            leave(p, Why::Failed, true, "media server gave no offer");
            return;
        }
        sip::InviteRequest request;
        request.to = p.uri;
        request.from = p.callerId.empty() ? r->uri : p.callerId;
        request.body = response.body;
        request.isFocus = true;
        request.contactUser = r->config.name;
        auto leg = stack_->invite(request, this);
        if (!leg) {
            reportProgress(p, 400, "Bad target");
            leave(p, Why::Failed, true, "cannot invite " + p.uri + ": " + leg.error().message);
            return;
        }
        p.user = *leg;
        legs_[p.user.get()] = {p.id, false};
        std::uint64_t id = p.id;
        auto timeout = p.dialTimeout.count() > 0 ? p.dialTimeout : options_.dialOutTimeout;
        p.dialTimer = loop_.addTimer(timeout, [this, id] {
            Participant* q = participant(id);
            if (!q || q->phase != Participant::Phase::Setup) return;
            q->dialTimer = 0;
            reportProgress(*q, 408, "No answer");
            leave(*q, Why::Busy, true, "no answer within the dial-out timeout");
        });
        return;
    }
    if (response.body.empty()) {
        (void)p.user->respond(500, "Media server gave no SDP");
        leave(p, Why::Failed, false, "media server answered without SDP");
        return;
    }
    if (options_.earlyMedia && p.userOffered) {
        // Early media: the caller hears the MS (PIN prompt, music on hold) before the 200.
        if (auto s = p.user->respond(183, {}, response.body, kSdp); !s) {
            leave(p, Why::Failed, true, "cannot send early media: " + s.error().message);
            return;
        }
        p.early = true;
        p.answer = response.body;
        admitted(p);
        return;
    }
    // The caller gets its 200 now that the MS has the media path ready: with the MS's answer,
    // or with the MS's offer for an offerless INVITE (the answer then comes in the ACK).
    if (auto s = p.user->respond(200, {}, response.body, kSdp); !s) {
        leave(p, Why::Failed, true, "cannot answer the caller: " + s.error().message);
        return;
    }
    p.phase = Participant::Phase::Answering;
}

void Focus::userAnsweredDialOut(Participant& p, const sip::SipMessage& response) {
    if (p.dialTimer) {
        loop_.cancelTimer(p.dialTimer);
        p.dialTimer = 0;
    }
    if (response.body.empty()) {
        reportProgress(p, 488, "No SDP answer");
        leave(p, Why::Failed, true, "invitee answered without SDP");
        return;
    }
    if (auto s = p.ms->ack(response.body, kSdp); !s) {
        reportProgress(p, 500);
        leave(p, Why::Failed, true, "cannot ACK the MS: " + s.error().message);
        return;
    }
    p.contact = response.contactUri;
    reportProgress(p, 200);
    admitted(p);
}

void Focus::admitted(Participant& p) {
    if (p.countedSetup) {
        p.countedSetup = false;
        --setups_;
    }
    if (p.needPin) {
        askPin(p, false);
    } else {
        afterPin(p);
    }
}

// Early media ends with the 200 when the caller is let in (joined or put on hold).
bool Focus::answerEarly(Participant& p) {
    if (!p.early) return true;
    p.early = false;
    if (auto s = p.user->respond(200, {}, p.answer, kSdp); !s) {
        leave(p, Why::Failed, true, "cannot answer the caller: " + s.error().message);
        return false;
    }
    return true;
}

void Focus::askPin(Participant& p, bool retry) {
    p.phase = Participant::Phase::Pin;
    DialogSpec spec;
    if (retry) spec.prompt.push_back({PromptItem::Kind::Media, prompt("pin-wrong"), {}, {}});
    spec.prompt.push_back({PromptItem::Kind::Media, prompt("enter-pin"), {}, {}});
    CollectSpec collect;
    collect.maxDigits = 16;
    collect.termChar = "#";
    collect.timeout = options_.pinTimeout;
    collect.interDigitTimeout = options_.pinInterDigit;
    spec.collect = collect;
    std::uint64_t id = p.id;
    p.media->startDialog(
        p.connId, false, spec,
        [this, id](common::Result<std::string> dialogId) {
            Participant* q = participant(id);
            if (!q) return;
            if (!dialogId) {
                PARLEY_LOG_WARN(log(), q->key << ": PIN dialog refused: " << dialogId.error().message);
                return;  // exited() follows with -1
            }
            q->ivrDialog = *dialogId;
        },
        [this, id](const DialogResult& result) { pinResult(id, result); });
}

void Focus::pinResult(std::uint64_t id, const DialogResult& result) {
    Participant* p = participant(id);
    if (!p || p->phase != Participant::Phase::Pin) return;
    p->ivrDialog.clear();
    if (result.status != 1) {
        leave(*p, Why::Failed, true, "PIN dialog ended with status " + std::to_string(result.status) +
                                         (result.reason.empty() ? "" : " (" + result.reason + ")"));
        return;
    }
    Room* r = room(p->roomName);
    if (!r) {
        leave(*p, Why::Failed, true, "room gone");
        return;
    }
    const std::string& digits = result.digits;
    if (isModeratorPin(r->config, digits)) {
        p->moderator = true;
        PARLEY_LOG_INFO(log(), p->key << ": moderator PIN accepted");
        afterPin(*p);
        return;
    }
    if (isParticipantPin(r->config, digits)) {
        PARLEY_LOG_INFO(log(), p->key << ": PIN accepted");
        afterPin(*p);
        return;
    }
    ++p->pinFailures;
    PARLEY_LOG_INFO(log(), p->key << ": wrong PIN (" << p->pinFailures << " of " << options_.pinTries << ")");
    if (p->pinFailures < options_.pinTries) {
        askPin(*p, true);
        return;
    }
    // Three strikes: goodbye, then BYE.
    DialogSpec spec;
    spec.bargeIn = false;
    spec.prompt.push_back({PromptItem::Kind::Media, prompt("goodbye"), {}, {}});
    p->phase = Participant::Phase::Pin;
    p->pinFailures = options_.pinTries + 1;  // marks the goodbye
    p->media->startDialog(
        p->connId, false, spec, [](common::Result<std::string>) {},
        [this, id](const DialogResult&) {
            Participant* q = participant(id);
            if (!q || q->phase == Participant::Phase::Leaving) return;
            if (q->early) {
                // Never answered: the refusal is the final response.
                (void)q->user->respond(403, "Wrong PIN");
                leave(*q, Why::Booted, false, "wrong PIN " + std::to_string(options_.pinTries) + " times");
                return;
            }
            leave(*q, Why::Booted, true, "wrong PIN " + std::to_string(options_.pinTries) + " times");
        });
}

void Focus::afterPin(Participant& p) {
    Room* r = room(p.roomName);
    if (r && r->config.recordNames) {
        recordName(p);
    } else {
        enter(p);
    }
}

void Focus::recordName(Participant& p) {
    p.phase = Participant::Phase::Name;
    DialogSpec spec;
    spec.bargeIn = false;
    spec.prompt.push_back({PromptItem::Kind::Media, prompt("record-name"), {}, {}});
    RecordSpec record;
    record.maxTime = options_.nameMaxTime;
    record.finalSilence = std::chrono::milliseconds(1000);
    spec.record = record;
    std::uint64_t id = p.id;
    p.media->startDialog(
        p.connId, false, spec,
        [this, id](common::Result<std::string> dialogId) {
            if (Participant* q = participant(id); q && dialogId) q->ivrDialog = *dialogId;
        },
        [this, id](const DialogResult& result) {
            Participant* q = participant(id);
            if (!q || q->phase != Participant::Phase::Name) return;
            q->ivrDialog.clear();
            if (result.status == -1) {
                leave(*q, Why::Failed, true, "media server lost while recording the name");
                return;
            }
            q->nameRecording = result.recordingUri;  // "" when nothing was said: no name then
            enter(*q);
        });
}

void Focus::enter(Participant& p) {
    Room* r = room(p.roomName);
    if (!r) {
        leave(p, Why::Failed, true, "room gone");
        return;
    }
    if (r->config.waitForModerator && !p.moderator && r->moderators == 0) {
        startHold(p);
        return;
    }
    join(p);
}

void Focus::startHold(Participant& p) {
    if (!answerEarly(p)) return;
    p.phase = Participant::Phase::Waiting;
    if (Room* r = room(p.roomName)) publish(*r, p);
    DialogSpec spec;
    spec.bargeIn = false;
    spec.repeatCount = 0;  // until terminated
    spec.prompt.push_back({PromptItem::Kind::Media, prompt("moh"), {}, {}});
    std::uint64_t id = p.id;
    PARLEY_LOG_INFO(log(), p.key << ": waiting for a moderator (music on hold)");
    p.media->startDialog(
        p.connId, false, spec,
        [this, id](common::Result<std::string> dialogId) {
            Participant* q = participant(id);
            if (!q || !dialogId) return;
            q->ivrDialog = *dialogId;
            Room* r = room(q->roomName);
            // A moderator may have arrived while the MS was starting the music.
            if (q->phase != Participant::Phase::Waiting || (r && r->moderators > 0))
                q->media->terminateDialog(*dialogId, true, [](common::Status) {});
        },
        [this, id](const DialogResult& result) {
            Participant* q = participant(id);
            if (!q || q->phase != Participant::Phase::Waiting) return;
            q->ivrDialog.clear();
            if (result.status == -1) {
                leave(*q, Why::Failed, true, "media server lost during music on hold");
                return;
            }
            Room* r = room(q->roomName);
            if (r && r->moderators > 0) {
                join(*q);
            } else {
                // The music could not play (or ended): keep waiting in silence.
                PARLEY_LOG_WARN(log(), q->key << ": music on hold ended (status " << result.status
                                              << "); still waiting for a moderator");
            }
        });
}

void Focus::releaseWaiting(Room& r) {
    for (auto id : r.members) {
        Participant* q = participant(id);
        if (!q || q->phase != Participant::Phase::Waiting) continue;
        if (!q->ivrDialog.empty()) {
            q->media->terminateDialog(q->ivrDialog, true, [](common::Status) {});
        } else {
            // Music never started (or failed): join now; a late start is stopped by its callback.
            loop_.post([this, id] {
                Participant* w = participant(id);
                if (w && w->phase == Participant::Phase::Waiting && w->ivrDialog.empty()) join(*w);
            });
        }
    }
}

void Focus::join(Participant& p) {
    Room* r = room(p.roomName);
    if (!r) {
        leave(p, Why::Failed, true, "room gone");
        return;
    }
    p.phase = Participant::Phase::Joining;
    if (r->conf == Room::Conf::Ready) {
        joined(p);
        return;
    }
    ensureConference(*r, p.id);
}

void Focus::ensureConference(Room& r, std::uint64_t participantId) {
    r.awaitingConference.push_back(participantId);
    if (r.conf == Room::Conf::Creating) return;
    r.conf = Room::Conf::Creating;
    r.generation = nextGeneration_++;
    std::string name = r.config.name;
    std::uint64_t gen = r.generation;
    ConferenceOptions options;
    options.activeTalkersInterval = options_.activeTalkersInterval;
    ConferenceWatcher watcher;
    watcher.activeTalkers = [this, name, gen](const std::vector<std::string>& ids) { talkers(name, gen, ids); };
    watcher.exited = [this, name, gen](int status, const std::string& reason) {
        conferenceLost(name, gen, status, reason);
    };
    MediaControl* media = r.media;
    r.media->createConference(options, std::move(watcher),
                              [this, name, gen, media](common::Result<std::string> id) {
                                  conferenceReady(name, gen, media, std::move(id));
                              });
}

void Focus::conferenceReady(const std::string& name, std::uint64_t gen, MediaControl* media,
                            common::Result<std::string> id) {
    Room* r = room(name);
    if (!r || r->generation != gen) {
        // The room went idle (or away) while the MS was creating it: destroy what it made.
        if (id) media->destroyConference(*id, [](common::Status) {});
        return;
    }
    std::vector<std::uint64_t> waiting;
    waiting.swap(r->awaitingConference);
    if (!id) {
        PARLEY_LOG_ERROR(log(), "room " << name << ": createconference failed: " << id.error().message);
        r->conf = Room::Conf::None;
        for (auto pid : waiting)
            if (Participant* q = participant(pid)) leave(*q, Why::Failed, true, "no conference on the MS");
        return;
    }
    r->conf = Room::Conf::Ready;
    r->confId = *id;
    PARLEY_LOG_INFO(log(), "room " << name << ": conference " << r->confId << " on " << r->server->uri());
    emit("conference.started", *r, nullptr, "{\"uri\":" + common::jsonQuote(r->uri) + "}");
    if (r->config.recordFromStart) {
        startRecording(name, [name](common::Result<std::string> rec) {
            if (!rec) PARLEY_LOG_WARN(log(), "room " << name << ": recording from the start: " << rec.error().message);
        });
    }
    if (!r->sidebarOf.empty()) {
        // A sidebar hears its main room, quieter (RFC 7058 6.3.4): main -> sidebar only.
        if (Room* main = room(r->sidebarOf); main && main->conf == Room::Conf::Ready && main->media == r->media) {
            JoinOptions quieter;
            quieter.deaf = true;  // id1 (the main conference) sends only
            quieter.gainDb = -12.0;
            std::string sidebarName = name;
            r->media->join(main->confId, r->confId, quieter, [sidebarName](common::Status s) {
                if (!s) PARLEY_LOG_WARN(log(), "sidebar " << sidebarName << ": cannot hear the main room: " << s.error().message);
            });
        }
    }
    for (auto pid : waiting) {
        Participant* q = participant(pid);
        if (q && q->phase == Participant::Phase::Joining) joined(*q);
    }
    roomMaybeIdle(*r);
}

// Sends the join; "joined" once the MS said yes.
void Focus::joined(Participant& p) {
    Room* r = room(p.roomName);
    if (!r) return;
    if (!p.mutedDecided) {
        p.mutedDecided = true;
        p.muted = r->config.muteOnJoin && !p.moderator;
    }
    JoinOptions options = p.joinOptions();
    std::uint64_t id = p.id;
    p.media->join(p.connId, r->confId, options, [this, id, muted = p.muted](common::Status s) {
        Participant* q = participant(id);
        if (!q || q->phase != Participant::Phase::Joining) return;
        if (!s) {
            leave(*q, Why::Failed, true, "join refused: " + s.error().message);
            return;
        }
        if (!answerEarly(*q)) return;
        Room* rr = room(q->roomName);
        if (!rr) return;
        q->phase = Participant::Phase::Joined;
        q->muted = muted;
        q->joinedAt = std::chrono::system_clock::now();
        PARLEY_LOG_INFO(log(), q->key << " joined room " << rr->config.name << (q->moderator ? " as moderator" : "")
                                      << (muted ? " (muted)" : ""));
        publish(*rr, *q);
        emit("participant.joined", *rr, q,
             std::string("{\"role\":\"") + (q->moderator ? "moderator" : "participant") + "\",\"muted\":" +
                 (muted ? "true" : "false") + ",\"direction\":\"" + (q->dialOut ? "outbound" : "inbound") + "\"}");
        announce(*rr, *q, "joined");
        if (q->moderator && ++rr->moderators == 1) releaseWaiting(*rr);
    });
}

void Focus::announce(Room& r, const Participant& p, const char* what) {
    if (!r.config.announceJoinLeave || r.conf != Room::Conf::Ready || !r.media) return;
    DialogSpec spec;
    spec.bargeIn = false;
    if (!p.nameRecording.empty()) spec.prompt.push_back({PromptItem::Kind::Media, p.nameRecording, {}, {}});
    spec.prompt.push_back({PromptItem::Kind::Media, prompt(what), {}, {}});
    std::string name = r.config.name;
    r.media->startDialog(
        r.confId, true, spec,
        [name](common::Result<std::string> id) {
            if (!id) PARLEY_LOG_WARN(log(), "room " << name << ": announcement refused: " << id.error().message);
        },
        [](const DialogResult&) {});
}

void Focus::talkers(const std::string& name, std::uint64_t gen, const std::vector<std::string>& ids) {
    Room* r = room(name);
    if (!r || r->generation != gen) return;
    for (auto id : r->members) {
        Participant* q = participant(id);
        if (!q || q->phase != Participant::Phase::Joined) continue;
        bool talking = std::find(ids.begin(), ids.end(), q->connId) != ids.end();
        if (talking != q->talking) {
            q->talking = talking;
            publish(*r, *q);
            emit(talking ? "participant.talking.started" : "participant.talking.stopped", *r, q);
        }
    }
}

void Focus::conferenceLost(const std::string& name, std::uint64_t gen, int status, const std::string& reason) {
    Room* r = room(name);
    if (!r || r->generation != gen || r->conf == Room::Conf::None) return;
    PARLEY_LOG_WARN(log(), "room " << name << ": the MS ended conference " << r->confId << " (status " << status
                                   << (reason.empty() ? "" : ", " + reason) << "); ending its calls");
    r->conf = Room::Conf::None;
    r->confId.clear();
    std::vector<std::uint64_t> members(r->members.begin(), r->members.end());
    for (auto id : members)
        if (Participant* q = participant(id)) leave(*q, Why::Failed, true, "conference lost on the MS");
    if (Room* again = room(name)) {
        again->server = nullptr;
        again->media = nullptr;
        roomMaybeIdle(*again);
    }
}

void Focus::releaseConference(Room& r) {
    if (r.conf == Room::Conf::Ready) emit("conference.ended", r, nullptr);
    for (auto& [id, rec] : r.recordings)
        if (rec.state == "recording") rec.state = "failed";  // ended with the conference unless reported
    if (r.conf == Room::Conf::Ready && r.media) {
        std::string name = r.config.name, id = r.confId;
        r.media->destroyConference(id, [name, id](common::Status s) {
            if (!s) PARLEY_LOG_DEBUG(log(), "room " << name << ": destroyconference " << id << ": " << s.error().message);
        });
    }
    // A conference still being created is destroyed by conferenceReady() (generation moved on).
    r.conf = Room::Conf::None;
    r.confId.clear();
    r.generation = nextGeneration_++;
    r.awaitingConference.clear();
    r.server = nullptr;
    r.media = nullptr;
}

void Focus::publish(Room& r, const Participant& p) {
    if (!r.events) return;
    ParticipantView v;
    v.key = p.key;
    if (!p.anonymous) {
        v.entity = bareUri(p.uri);
        v.displayText = p.display;
        v.endpointEntity = p.contact.empty() ? bareUri(p.uri) : bareUri(p.contact);
        if (p.user) {
            v.callId = p.user->callId();
            v.fromTag = p.user->fromTag();
            v.toTag = p.user->toTag();
        }
    }
    v.status = p.phase == Participant::Phase::Waiting ? ci::EndpointStatus::OnHold
               : p.held                                ? ci::EndpointStatus::OnHold
               : p.muted                               ? ci::EndpointStatus::MutedViaFocus
                                                       : ci::EndpointStatus::Connected;
    v.joiningMethod = p.dialOut ? ci::JoiningMethod::DialedOut : ci::JoiningMethod::DialedIn;
    v.joinedAt = p.joinedAt.time_since_epoch().count() ? p.joinedAt : std::chrono::system_clock::now();
    v.roles.push_back(p.moderator ? "moderator" : "participant");
    v.muted = p.muted;
    v.talking = p.talking;
    r.events->upsert(v);
}

// ------------------------------------------------------------------------------- dial-out

common::Result<std::uint64_t> Focus::dialOut(Room& r, const std::string& target,
                                             const sip::SubscriptionRef& progress,
                                             const std::string& referredBy, const DialOutRequest* extra) {
    if (!bindServer(r)) {
        if (progress) (void)progress->notifyProgress(503, "No media server available");
        roomMaybeIdle(r);
        return common::Error(503, "no media server is up");
    }
    auto owned = std::make_unique<Participant>();
    Participant& p = *owned;
    p.id = nextId_++;
    p.key = "p" + std::to_string(p.id);
    p.roomName = r.config.name;
    p.dialOut = true;
    p.uri = target;
    p.media = r.media;
    p.referProgress = progress;
    p.progressDone = !progress;
    if (extra) {
        p.callerId = extra->callerId;
        p.moderator = extra->role == "moderator";
        p.dialTimeout = std::chrono::duration_cast<std::chrono::milliseconds>(extra->timeout);
    }
    p.countedSetup = true;
    ++setups_;

    sip::InviteRequest request;  // offerless: the MS's offer goes to the invitee
    request.to = r.server->uri();
    auto leg = stack_->invite(request, this);
    if (!leg) {
        --setups_;
        if (progress) (void)progress->notifyProgress(500, "Media server unreachable");
        roomMaybeIdle(r);
        return common::Error(503, "media server unreachable: " + leg.error().message);
    }
    p.ms = *leg;
    legs_[p.ms.get()] = {p.id, true};
    r.members.insert(p.id);
    PARLEY_LOG_INFO(log(), p.key << ": room " << r.config.name << " dials out to " << target
                                 << (referredBy.empty() ? "" : " (referred by " + referredBy + ")"));
    std::uint64_t id = p.id;
    participants_.emplace(p.id, std::move(owned));
    return id;
}

void Focus::reportProgress(Participant& p, int status, const std::string& reason) {
    if (p.progressDone || !p.referProgress) return;
    (void)p.referProgress->notifyProgress(status, reason);
    if (status >= 200) {
        p.progressDone = true;
        p.referProgress.reset();
    }
}

// ------------------------------------------------------------------------------- SIP events

void Focus::onInviteResponse(const sip::DialogRef& dialog, const sip::SipMessage& response) {
    bool msSide = false;
    Participant* p = participantOf(dialog.get(), &msSide);
    // Dialogs of no participant (control dialogs already hung up) and participants on their
    // way out need nothing: a 2xx that crosses our CANCEL is ended by proto/sip itself.
    if (!p || p->phase == Participant::Phase::Leaving) return;
    if (msSide) {
        if (p->phase == Participant::Phase::Setup && p->connId.empty()) {
            if (response.status < 200) return;
            if (response.status < 300) {
                msAnswered(*p, response);
                return;
            }
            PARLEY_LOG_WARN(log(), p->key << ": the MS refused the media dialog: " << response.status << " "
                                          << response.reason);
            if (p->dialOut) {
                reportProgress(*p, 503, "Media server refused");
                leave(*p, Why::Failed, false, "MS refused");
            } else {
                int status = response.status == 488 || response.status == 606 || response.status == 415 ? 488 : 503;
                (void)p->user->respond(status, status == 488 ? "No common media" : "Media server unavailable");
                leave(*p, Why::Failed, false, "MS refused the media dialog");
            }
            return;
        }
        if (response.status >= 200) p->relay.onMsFinal(*p->user, *p->ms, response);
        return;
    }
    // The invitee's side of a dial-out.
    if (p->phase != Participant::Phase::Setup) return;  // a re-INVITE answer: nothing relayed that way
    if (response.status < 200) {
        if (response.status == 180 || response.status == 183) reportProgress(*p, response.status);
        return;
    }
    if (response.status < 300) {
        userAnsweredDialOut(*p, response);
        return;
    }
    reportProgress(*p, response.status, response.reason);
    leave(*p, response.status == 486 || response.status == 600 ? Why::Busy : Why::Failed, true,
          "invitee answered " + std::to_string(response.status));
}

void Focus::onAck(const sip::DialogRef& dialog, const sip::SipMessage& ack) {
    bool msSide = false;
    Participant* p = participantOf(dialog.get(), &msSide);
    if (!p || msSide || p->phase == Participant::Phase::Leaving) return;
    switch (p->relay.onCallerAck(*p->ms, ack)) {
        case OfferRelay::AckResult::NoAnswer:
            leave(*p, Why::Failed, true, "no SDP answer in the ACK");
            return;
        case OfferRelay::AckResult::Relayed:
            p->held = offerHolds(ack.body);
            return;
        case OfferRelay::AckResult::NotOurs:
            break;
    }
    if (p->phase != Participant::Phase::Answering) return;
    if (!p->userOffered) {
        if (ack.body.empty()) {
            leave(*p, Why::Failed, true, "no SDP answer in the ACK");
            return;
        }
        if (auto s = p->ms->ack(ack.body, kSdp); !s) {
            leave(*p, Why::Failed, true, "cannot ACK the MS: " + s.error().message);
            return;
        }
    }
    admitted(*p);
}

void Focus::onReinvite(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    bool msSide = false;
    Participant* p = participantOf(dialog.get(), &msSide);
    if (!p || msSide) {
        (void)dialog->respond(488, "Not acceptable here");
        return;
    }
    using Phase = Participant::Phase;
    if (p->phase == Phase::Setup || p->phase == Phase::Answering || p->phase == Phase::Leaving) {
        (void)dialog->respond(500, "Not ready", {}, {}, {{"Retry-After", "1"}});
        return;
    }
    if (p->relay.busy()) {
        (void)dialog->respond(491);
        return;
    }
    if (!invite.body.empty() && invite.contentType != kSdp) {
        (void)dialog->respond(415, {}, {}, {}, {{"Accept", kSdp}});
        return;
    }
    if (auto s = p->relay.startReinvite(*p->ms, invite); !s) {
        (void)dialog->respond(500, "Media server leg not ready", {}, {}, {{"Retry-After", "1"}});
        return;
    }
    if (!invite.body.empty()) {
        bool held = offerHolds(invite.body);
        if (held != p->held) {
            p->held = held;
            PARLEY_LOG_INFO(log(), p->key << (held ? " holds" : " resumes"));
            if (Room* r = room(p->roomName); r && p->phase == Phase::Joined) publish(*r, *p);
        }
    }
}

void Focus::onUpdate(const sip::DialogRef& dialog, const sip::SipMessage& update) {
    bool msSide = false;
    Participant* p = participantOf(dialog.get(), &msSide);
    if (update.body.empty()) {
        (void)dialog->respondUpdate(200);  // a session refresh (RFC 4028): ours to answer
        return;
    }
    if (!p || msSide || p->phase == Participant::Phase::Leaving || p->phase == Participant::Phase::Setup ||
        p->phase == Participant::Phase::Answering) {
        (void)dialog->respondUpdate(!p || msSide ? 488 : 500, !p || msSide ? "Not acceptable here" : "Not ready");
        return;
    }
    if (p->relay.busy()) {
        (void)dialog->respondUpdate(491);
        return;
    }
    if (auto s = p->relay.startUpdate(*p->ms, update); !s) {
        (void)dialog->respondUpdate(500, "Media server leg not ready", {}, {}, {{"Retry-After", "1"}});
        return;
    }
    bool held = offerHolds(update.body);
    if (held != p->held) {
        p->held = held;
        if (Room* r = room(p->roomName); r && p->phase == Participant::Phase::Joined) publish(*r, *p);
    }
}

void Focus::onUpdateResponse(const sip::DialogRef&, const sip::SipMessage&) {}

void Focus::onBye(const sip::DialogRef& dialog, const sip::SipMessage&) {
    bool msSide = false;
    Participant* p = participantOf(dialog.get(), &msSide);
    if (!p || p->phase == Participant::Phase::Leaving) return;
    if (msSide) {
        leave(*p, Why::Failed, true, "the MS ended the media dialog");
    } else {
        leave(*p, Why::Departed, false, "BYE");
    }
}

void Focus::onCancel(const sip::DialogRef& dialog) {
    bool msSide = false;
    Participant* p = participantOf(dialog.get(), &msSide);
    if (!p || msSide || p->phase == Participant::Phase::Leaving) return;
    leave(*p, Why::Departed, false, "CANCEL");
}

void Focus::onTerminated(const sip::DialogRef& dialog, int status, const std::string& reason) {
    bool msSide = false;
    Participant* p = participantOf(dialog.get(), &msSide);
    if (!p) return;  // a control dialog's leftover, or a scripted call's
    if (p->phase != Participant::Phase::Leaving) {
        if (msSide) {
            if (p->phase == Participant::Phase::Setup && !p->dialOut && !p->userEnded)
                (void)p->user->respond(503, "Media server unavailable");
            reportProgress(*p, 503, "Media server unavailable");
            leave(*p, Why::Failed, true, "media dialog ended: " + std::to_string(status) + " " + reason);
        } else {
            leave(*p, status == 408 ? Why::Failed : Why::Departed, false,
                  "call ended: " + std::to_string(status) + " " + reason);
        }
    }
    legEnded(dialog.get());
}

void Focus::legEnded(const sip::Dialog* dialog) {
    auto it = legs_.find(dialog);
    if (it == legs_.end()) return;
    Leg leg = it->second;
    legs_.erase(it);
    Participant* p = participant(leg.participant);
    if (!p) return;
    (leg.msSide ? p->msEnded : p->userEnded) = true;
    bool userDone = p->userEnded || !p->user;
    bool msDone = p->msEnded || !p->ms;
    if (userDone && msDone) participants_.erase(leg.participant);
}

// ------------------------------------------------------------------------------- leaving

void Focus::leave(Participant& p, Why why, bool hangUpUser, const std::string& reason) {
    using Phase = Participant::Phase;
    if (p.phase == Phase::Leaving) return;
    const Phase was = p.phase;
    p.phase = Phase::Leaving;
    PARLEY_LOG_INFO(log(), p.key << " leaves room " << p.roomName << ": " << reason);
    if (p.countedSetup) {
        p.countedSetup = false;
        --setups_;
    }
    if (p.dialTimer) {
        loop_.cancelTimer(p.dialTimer);
        p.dialTimer = 0;
    }
    reportProgress(p, why == Why::Busy ? 486 : 487, why == Why::Busy ? "Busy Here" : "Request Terminated");

    if (p.user && hangUpUser) (void)p.user->hangup();
    // The MS leg: unjoin first when joined, then BYE (or CANCEL while the INVITE is open).
    Room* r = room(p.roomName);
    sip::DialogRef msLeg = p.ms;
    if (msLeg && was == Phase::Joined && r && r->conf == Room::Conf::Ready && p.media) {
        p.media->unjoin(p.connId, r->confId, [msLeg](common::Status) { (void)msLeg->hangup(); });
    } else if (msLeg) {
        (void)msLeg->hangup();
    }

    // The call detail record (a participant who never got past set-up counts too).
    CdrRecord cdr;
    cdr.callId = p.user ? p.user->callId() : std::string();
    cdr.room = p.roomName;
    cdr.participant = p.key;
    cdr.from = p.dialOut ? (r ? r->uri : std::string()) : p.uri;
    cdr.to = p.dialOut ? p.uri : (r ? r->uri : std::string());
    cdr.direction = p.dialOut ? "outbound" : "inbound";
    cdr.endReason = reason.substr(0, 1000);
    cdr.startedAt = p.createdAt;
    cdr.joinedAt = p.joinedAt;
    cdr.endedAt = std::chrono::system_clock::now();
    if (auto added = store_.addCdr(cdr); !added)
        PARLEY_LOG_WARN(log(), p.key << ": call record not stored: " << added.error().message);

    if (!r) return;
    r->members.erase(p.id);
    if (r->events && (was == Phase::Joined || was == Phase::Waiting)) {
        ci::DisconnectionMethod how = why == Why::Booted   ? ci::DisconnectionMethod::Booted
                                      : why == Why::Failed ? ci::DisconnectionMethod::Failed
                                      : why == Why::Busy   ? ci::DisconnectionMethod::Busy
                                                           : ci::DisconnectionMethod::Departed;
        r->events->remove(p.key, how);
    }
    if (was == Phase::Joined || was == Phase::Waiting)
        emit("participant.left", *r, &p, "{\"reason\":" + common::jsonQuote(reason) + "}");
    if (was == Phase::Joined) {
        announce(*r, p, "left");
        if (p.moderator && r->moderators > 0 && --r->moderators == 0 && r->config.endWhenModeratorLeaves &&
            !r->ending) {
            PARLEY_LOG_INFO(log(), "room " << r->config.name << ": the last moderator left; ending the conference");
            std::string name = r->config.name;
            loop_.post([this, name] { (void)endRoom(name, "the last moderator left"); });
        }
    }
    roomMaybeIdle(*r);
}

void Focus::roomMaybeIdle(Room& r) {
    if (!r.members.empty()) return;
    // A main room whose sidebar is live keeps its conference: the sidebar hears it and its
    // members come back to it.
    for (const auto& [n, other] : rooms_)
        if (other.get() != &r && other->sidebarOf == r.config.name && !r.ending) return;
    if (r.conf != Room::Conf::None || r.server) releaseConference(r);
    const bool adHoc = r.config.adHoc;
    if (!adHoc && r.events && r.events->subscriberCount() > 0) {
        r.ending = false;
        return;  // a stored room stays at run time while someone watches it
    }
    std::string name = r.config.name;
    if (r.events) r.events->close();  // ad-hoc: the room is gone (RFC 4353 5.4)
    // Subscriptions end through onSubscriptionTerminated, which no longer finds the room.
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
        it = it->second == name ? subscriptions_.erase(it) : std::next(it);
    }
    if (adHoc) PARLEY_LOG_INFO(log(), "ad-hoc room " << name << " ended");
    std::string mainRoom = r.sidebarOf;
    rooms_.erase(name);
    // A sidebar's end may leave its main room idle.
    if (!mainRoom.empty())
        if (Room* main = room(mainRoom)) roomMaybeIdle(*main);
}

common::Status Focus::endRoom(const std::string& name, const std::string& reason) {
    Room* r = room(name);
    if (!r) return common::Error(404, "no room " + name + " at run time");
    r->ending = true;
    PARLEY_LOG_NOTICE(log(), "room " << name << " ends: " << reason);
    std::vector<std::uint64_t> members(r->members.begin(), r->members.end());
    for (auto id : members)
        if (Participant* q = participant(id)) leave(*q, Why::Booted, true, "room ended: " + reason);
    if (Room* again = room(name)) {
        again->ending = false;
        roomMaybeIdle(*again);
    }
    return {};
}

void Focus::shutdown() {
    std::vector<std::string> names;
    for (const auto& [name, r] : rooms_) names.push_back(name);
    for (const auto& name : names) (void)endRoom(name, "parley-as is stopping");
    for (const auto& name : names) {
        if (Room* r = room(name)) {
            if (r->events) r->events->close();
            rooms_.erase(name);
        }
    }
    subscriptions_.clear();
}

// ------------------------------------------------------------------------------- events, REFER

sip::RequestAnswer Focus::onSubscribe(const sip::SubscriptionRef& subscription, const sip::SipMessage& subscribe) {
    const std::string name = sip::uriUser(subscription->resourceUri());
    Room* r = loadRoom(name);
    if (!r) {
        PARLEY_LOG_INFO(log(), "SUBSCRIBE " << subscribe.callId << " to " << subscription->resourceUri()
                                            << ": 404, no such conference");
        return {404, "No such conference"};
    }
    Admission a = admit(r->config, {subscribe.fromUri, 0, true});
    if (!a.admitted() && a.rule != "full") {
        roomMaybeIdle(*r);
        return {403, "Not allowed"};
    }
    if (!subscription->fetch()) subscriptions_[subscription.get()] = name;
    r->events->subscribe(subscription);
    if (subscription->fetch()) loop_.post([this, name] {
            if (Room* again = room(name)) roomMaybeIdle(*again);
        });
    return {200, {}};
}

void Focus::onSubscriptionRefreshed(const sip::SubscriptionRef& subscription, const sip::SipMessage&) {
    auto it = subscriptions_.find(subscription.get());
    if (it == subscriptions_.end()) return;
    if (Room* r = room(it->second)) r->events->refreshed(subscription);
}

void Focus::onSubscriptionTerminated(const sip::SubscriptionRef& subscription, const std::string&) {
    auto it = subscriptions_.find(subscription.get());
    if (it == subscriptions_.end()) return;
    std::string name = it->second;
    subscriptions_.erase(it);
    if (Room* r = room(name)) {
        r->events->forget(subscription);
        roomMaybeIdle(*r);
    }
}

sip::RequestAnswer Focus::onRefer(const sip::SubscriptionRef& progress, const sip::ReferRequest& refer,
                                  const sip::DialogRef& dialog) {
    Room* r = nullptr;
    Participant* referrer = dialog ? participantOf(dialog.get()) : nullptr;
    if (referrer) {
        r = room(referrer->roomName);
    } else {
        r = loadRoom(sip::uriUser(refer.message.requestUri));
    }
    if (!r || r->ending) return {404, "No such conference"};
    // A room with a moderator PIN takes REFERs only from its moderators; others from anyone
    // its allow/deny rules admit.
    if (!r->config.moderatorPin.empty() && !(referrer && referrer->moderator)) {
        roomMaybeIdle(*r);
        return {403, "Only a moderator may do that"};
    }
    Admission byWhom = admit(r->config, {refer.referredBy, 0, true});
    if (!byWhom.admitted() && byWhom.rule != "full") {
        roomMaybeIdle(*r);
        return {403, "Not allowed"};
    }
    const std::string name = r->config.name;
    if (refer.method == "BYE") {
        std::string target = bareUri(refer.target);
        for (auto id : r->members) {
            Participant* q = participant(id);
            if (!q || q->phase == Participant::Phase::Leaving || bareUri(q->uri) != target) continue;
            loop_.post([this, id, progress, by = refer.referredBy] {
                if (Participant* v = participant(id))
                    leave(*v, Why::Booted, true, "ejected by " + by);
                (void)progress->notifyProgress(200);
            });
            return {202, {}};
        }
        roomMaybeIdle(*r);
        return {404, "Not a participant"};
    }
    if (refer.method != "INVITE") {
        roomMaybeIdle(*r);
        return {501, "Refer method not supported"};
    }
    Admission a = admit(r->config, {refer.target, activeCount(*r), true});
    if (!a.admitted()) {
        roomMaybeIdle(*r);
        return {a.status, a.reason};
    }
    loop_.post([this, name, target = refer.target, progress, by = refer.referredBy] {
        Room* rr = loadRoom(name);
        if (!rr) {
            (void)progress->notifyProgress(404, "No such conference");
            return;
        }
        (void)dialOut(*rr, target, progress, by, nullptr);
    });
    return {202, {}};
}

}  // namespace parley::as

#include "ms/plane/media_plane.hpp"

#include <deque>
#include <set>
#include <sstream>

#include "common/log.hpp"
#include "proto/packages/ivr/status.hpp"

namespace parley::ms::plane {

using common::Error;

namespace {

Poco::Logger& log() {
    return common::logger("ms.media");
}

}  // namespace

MediaPlane::MediaPlane(common::EventLoop& control, MediaPlaneConfig config)
    : control_(control),
      config_(std::move(config)),
      ports_(config_.rtpAddress, config_.rtpLow, config_.rtpHigh),
      graph_("conf") {
    if (config_.workers == 0) config_.workers = 1;
    for (std::size_t w = 0; w < config_.workers; ++w) {
        workers_.push_back(std::make_unique<MediaWorker>(w, eventsFor(w), config_.noMediaTimeout,
                                                         config_.realtimePriority,
                                                         config_.keepAwake, config_.ioUring));
    }
    legLoad_.assign(workers_.size(), 0);
}

MediaPlane::~MediaPlane() {
    stop();
}

common::Status MediaPlane::start() {
    for (auto& w : workers_) {
        if (auto st = w->start(); !st) return st;
    }
    PARLEY_LOG_INFO(log(), workers_.size()
                               << " media workers, RTP on " << ports_.localAddress().host()
                               << " ports " << config_.rtpLow << "-" << config_.rtpHigh);
    return {};
}

void MediaPlane::stop() {
    *alive_ = false;
    for (auto& w : workers_) w->stop();
}

void MediaPlane::postToControl(std::function<void()> task) {
    std::weak_ptr<bool> alive = alive_;
    control_.post([alive, task = std::move(task)] {
        auto a = alive.lock();
        if (a && *a) task();
    });
}

WorkerEvents MediaPlane::eventsFor(std::size_t worker) {
    (void)worker;
    WorkerEvents ev;
    ev.digit = [this](std::string id, rtp::DigitEvent d) {
        postToControl([this, id = std::move(id), d] {
            ++counters_.digits;
            PARLEY_LOG_DEBUG(log(), "leg " << id << ": digit " << d.digit << " ("
                                           << d.duration.count() << " ms)");
            if (observer_) observer_->onDigit(id, d);
        });
    };
    ev.media = [this](std::string id, bool stopped) {
        postToControl([this, id = std::move(id), stopped] {
            if (stopped) {
                ++counters_.noMediaEvents;
                PARLEY_LOG_INFO(log(), "leg " << id << ": no RTP received for "
                                              << std::chrono::duration_cast<std::chrono::seconds>(
                                                     config_.noMediaTimeout)
                                                     .count()
                                              << " s");
            } else {
                PARLEY_LOG_INFO(log(), "leg " << id << ": RTP flows again");
            }
        });
    };
    ev.talkers = [this](std::vector<mixer::ActiveTalkersReport> reports) {
        postToControl([this, reports = std::move(reports)] {
            if (!observer_) return;
            for (const auto& r : reports) observer_->onActiveTalkers(r);
        });
    };
    // The worker keeps the counts of the legs it dropped in its own totals: only logged here.
    ev.dropped = [this](std::string id, rtp::RtpCounters c) {
        postToControl([id = std::move(id), c] { logDropped(id, c); });
    };
    ev.returned = [this](std::shared_ptr<LegPtr> leg) {
        postToControl([this, leg] { onReturned(leg); });
    };
    return ev;
}

// --- legs ---------------------------------------------------------------------------------

common::Result<rtp::PortPair> MediaPlane::allocatePorts() {
    return ports_.allocate();
}

common::Status MediaPlane::addLeg(const std::string& id, rtp::PortPair ports,
                                  const rtp::MediaParams& params, LegOptions options) {
    if (legs_.count(id))
        return Error(mixer::status::kExecutionError, "connection " + id + " exists");
    if (auto st = graph_.addConnection(id, options.streams); !st) return st;
    auto leg = std::make_unique<WorkerLeg>();
    leg->key = nextKey_++;
    leg->id = id;
    leg->rtp = std::make_unique<rtp::RtpSession>(std::move(ports), params, config_.rtp,
                                                 common::Clock::now());
    leg->digitsOut = params.telephoneEvent();
    Leg record;
    record.key = leg->key;
    record.worker = leastLoaded(legLoad_);
    record.owner = options.owner;
    record.hangUp = std::move(options.hangUp);
    record.peer = std::move(options.peer);
    PARLEY_LOG_INFO(
        log(),
        "leg " << id << " (" << record.peer << "): RTP port " << leg->rtp->localRtpPort() << " -> "
               << params.remoteRtp.toString() << ", worker " << record.worker
               << (record.owner ? ", channel #" + std::to_string(record.owner) : std::string()));
    placeLeg(id, record.worker);
    workers_[record.worker]->adopt(std::move(leg));
    legs_.emplace(id, std::move(record));
    ++counters_.legsCreated;
    commit();
    return {};
}

void MediaPlane::updateLeg(const std::string& id, const rtp::MediaParams& params) {
    auto it = legs_.find(id);
    if (it == legs_.end()) return;
    if (it->second.inTransit) {
        it->second.pending = params;
        return;
    }
    workers_[it->second.worker]->update(it->second.key, params);
}

void MediaPlane::removeLeg(const std::string& id) {
    auto it = legs_.find(id);
    if (it == legs_.end()) return;
    Leg record = std::move(it->second);
    legs_.erase(it);
    forgetLeg(id);
    if (record.pendingRunner) record.pendingRunner->targetGone(common::Clock::now());
    auto notices = graph_.removeConnection(id);
    // In transit: the leg is dropped when it comes back through the control thread.
    if (!record.inTransit) workers_[record.worker]->drop(record.key);
    commit();
    if (observer_) observer_->onConnectionGone(id, record.owner, notices);
}

std::optional<std::size_t> MediaPlane::legWorker(const std::string& id) const {
    auto it = legWorkers_.find(id);
    if (it == legWorkers_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::size_t> MediaPlane::conferenceWorker(const std::string& id) const {
    auto it = conferenceWorkers_.find(id);
    if (it == conferenceWorkers_.end()) return std::nullopt;
    return it->second;
}

void MediaPlane::onReturned(std::shared_ptr<LegPtr> box) {
    LegPtr leg = std::move(*box);
    if (!leg) return;
    auto it = legs_.find(leg->id);
    if (it == legs_.end() || it->second.key != leg->key) {
        // Removed while moving: stop it here.
        if (leg->dialog) leg->dialog->targetGone(common::Clock::now());
        if (!leg->rtp) return;
        leg->rtp->sendBye(common::Clock::now());
        // In no worker's totals any more (its old worker let it go): count it here.
        counters_.endedLegs.add(*leg->rtp);
        logDropped(leg->id, leg->rtp->counters());
        return;
    }
    Leg& record = it->second;
    record.inTransit = false;
    if (record.pending && leg->rtp) {
        leg->rtp->updateMedia(*record.pending);
        leg->digitsOut = record.pending->telephoneEvent();
    }
    record.pending.reset();
    if (record.pendingRunner) {
        if (leg->dialog && !leg->dialog->ended())
            record.pendingRunner->terminate(true, common::Clock::now());
        else
            leg->dialog = std::move(record.pendingRunner);
        record.pendingRunner.reset();
    }
    if (record.pendingTerminate && leg->dialog) {
        leg->dialog->terminate(*record.pendingTerminate, common::Clock::now());
        record.pendingTerminate.reset();
    }
    ++counters_.legMoves;
    PARLEY_LOG_DEBUG(log(), "leg " << leg->id << " moved to worker " << record.worker);
    workers_[record.worker]->adopt(std::move(leg));
}

void MediaPlane::logDropped(const std::string& id, const rtp::RtpCounters& c) {
    PARLEY_LOG_INFO(log(), "leg " << id << " ended: rtp in " << c.packetsIn << " out "
                                  << c.packetsOut << ", malformed " << c.malformed << ", strangers "
                                  << c.strangers << ", rtcp in " << c.rtcpIn << " out " << c.rtcpOut
                                  << ", digits " << c.dtmfIn);
}

// --- graph --------------------------------------------------------------------------------

void MediaPlane::placeLeg(const std::string& id, std::size_t worker) {
    auto [it, added] = legWorkers_.try_emplace(id, worker);
    if (!added) {
        if (it->second < legLoad_.size()) --legLoad_[it->second];
        it->second = worker;
    }
    ++legLoad_[worker];
}

void MediaPlane::forgetLeg(const std::string& id) {
    auto it = legWorkers_.find(id);
    if (it == legWorkers_.end()) return;
    if (it->second < legLoad_.size()) --legLoad_[it->second];
    legWorkers_.erase(it);
}

void MediaPlane::commit() {
    if (graph_.revision() == committedRevision_) return;
    committedRevision_ = graph_.revision();
    const std::vector<std::string> touched = graph_.takeTouched();
    const std::size_t nw = workers_.size();

    // Conferences: forget the destroyed ones, place the new ones.
    for (const std::string& id : touched) {
        const bool exists = graph_.hasConference(id);
        auto it = conferenceWorkers_.find(id);
        if (it != conferenceWorkers_.end() && !exists) {
            conferenceOwners_.erase(id);
            conferenceWorkers_.erase(it);
        } else if (it == conferenceWorkers_.end() && exists) {
            conferenceWorkers_.emplace(id, leastLoaded(legLoad_));
        }
    }

    checkDialogTargets();

    // The groups the change touched, as they were: they are found again from their members.
    std::map<std::string, std::size_t> oldGroups;  // key -> worker
    std::set<std::string> seeds;
    auto exists = [&](const std::string& id) {
        return graph_.hasConnection(id) || graph_.hasConference(id);
    };
    for (const std::string& id : touched) {
        if (exists(id)) seeds.insert(id);
        auto g = groupOf_.find(id);
        if (g == groupOf_.end() || oldGroups.count(g->second)) continue;
        auto group = groups_.find(g->second);
        if (group == groups_.end()) continue;
        oldGroups.emplace(group->first, group->second.worker);
        for (const std::string& m : group->second.members) {
            if (exists(m)) seeds.insert(m);
        }
    }
    for (const auto& [key, w] : oldGroups) {
        for (const std::string& m : groups_.at(key).members) groupOf_.erase(m);
        groups_.erase(key);
    }

    // The groups as they are now: placed, planned.
    std::vector<std::vector<GroupPlan>> plans(nw);
    std::set<std::string, std::less<>> visited;
    for (const std::string& seed : seeds) {
        if (visited.count(seed)) continue;
        std::vector<std::string> members{seed};
        visited.insert(seed);
        for (std::size_t i = 0; i < members.size(); ++i) {
            for (const std::string& next : graph_.neighbours(members[i])) {
                if (visited.insert(next).second) members.push_back(next);
            }
        }
        std::string key;
        bool hasConference = false;
        std::vector<GroupMember> where;
        where.reserve(members.size());
        for (const std::string& m : members) {
            const bool conference = graph_.hasConference(m);
            if (conference && (!hasConference || m < key)) key = m;
            if (!conference && !hasConference && (key.empty() || m < key)) key = m;
            hasConference = hasConference || conference;
            const WorkerOf& map = conference ? conferenceWorkers_ : legWorkers_;
            auto w = map.find(m);
            where.push_back({w == map.end() ? nw : w->second, !conference});
        }
        // A lone connection has nothing to mix: no group, silence.
        if (!hasConference && members.size() == 1 && graph_.neighbours(seed).empty()) continue;
        const std::size_t target = groupWorker(where, nw, leastLoaded(legLoad_));
        for (const std::string& m : members) {
            if (graph_.hasConference(m)) {
                conferenceWorkers_[m] = target;
                continue;
            }
            auto it = legs_.find(m);
            if (it == legs_.end() || it->second.worker == target) continue;
            Leg& record = it->second;
            PARLEY_LOG_DEBUG(log(), "leg " << m << ": worker " << record.worker << " -> " << target);
            if (!record.inTransit) {
                workers_[record.worker]->release(record.key);
                record.inTransit = true;
            }
            record.worker = target;  // where onReturned() will send it
            placeLeg(m, target);
        }
        mixer::MixPlan plan = mixer::MixPlan::buildGroup(graph_, members);
        if (log().debug()) {
            std::ostringstream os;
            for (const auto& c : plan.conferences) {
                os << " [" << c.id << ":";
                for (const auto& part : c.participants)
                    os << " " << part.id << (part.sends ? "+" : "-") << part.input.gainDb;
                os << "]";
            }
            for (const auto& f : plan.feeds) os << " feed " << f.from << "->" << f.to;
            for (std::size_t i = 0; i < plan.connections.size(); ++i)
                os << " " << plan.connections[i] << "<" << plan.routes[i].size();
            PARLEY_LOG_DEBUG(log(), "worker " << target << " group " << key << " r"
                                              << plan.revision << ":" << os.str());
        }
        for (const std::string& m : members) groupOf_[m] = key;
        groups_[key] = Group{target, std::move(members)};
        plans[target].push_back(GroupPlan{key, std::move(plan)});
    }

    // Groups gone from a worker: dissolved, renamed by a merge, or moved.
    std::vector<std::vector<std::string>> gone(nw);
    for (const auto& [key, w] : oldGroups) {
        auto now = groups_.find(key);
        if (now == groups_.end() || now->second.worker != w) gone[w].push_back(key);
    }
    for (std::size_t w = 0; w < nw; ++w) {
        if (gone[w].empty() && plans[w].empty()) continue;
        workers_[w]->applyPlans(std::move(gone[w]), std::move(plans[w]));
        ++counters_.plansPosted;
    }
}

// --- IVR dialogs --------------------------------------------------------------------------

ivr::DialogEvents MediaPlane::dialogEvents() {
    ivr::DialogEvents ev;
    ev.notice = [this](ivr::DialogNotice n) {
        postToControl([this, n = std::move(n)] {
            if (dialogObserver_) dialogObserver_->onDialogNotice(n);
        });
    };
    ev.ended = [this](ivr::DialogEnd end) {
        auto box = std::make_shared<ivr::DialogEnd>(std::move(end));
        postToControl([this, box] { onDialogEnded(std::move(*box)); });
    };
    return ev;
}

common::Status MediaPlane::startDialog(const std::string& dialogId, bool onConference,
                                       const std::string& target,
                                       std::unique_ptr<ivr::DialogRunner> runner,
                                       const std::vector<mixer::StreamRequest>& streams) {
    namespace st = proto::ivr::status;
    if (dialogs_.count(dialogId)) return Error(st::kDialogIdExists, "dialog " + dialogId + " runs already");
    if (!onConference) {
        auto it = legs_.find(target);
        if (it == legs_.end() || it->second.internal)
            return Error(st::kConnectionIdNotFound, "no connection " + target);
        Leg& record = it->second;
        if (!record.dialogId.empty())
            return Error(st::kUnsupportedMultipleDialogs,
                         "dialog " + record.dialogId + " already runs on connection " + target);
        record.dialogId = dialogId;
        dialogs_.emplace(dialogId, target);
        if (record.inTransit)
            record.pendingRunner = std::move(runner);  // attached when the leg arrives
        else
            workers_[record.worker]->attachDialog(record.key, std::move(runner));
        PARLEY_LOG_INFO(log(), "dialog " << dialogId << " started on connection " << target);
        return {};
    }
    if (!graph_.hasConference(target))
        return Error(st::kConferenceIdNotFound, "no conference " + target);
    const std::string legId = std::string(kDialogLegPrefix) + dialogId;
    if (legs_.count(legId)) return Error(st::kDialogIdExists, "dialog " + dialogId + " runs already");
    if (auto s = graph_.addConnection(legId); !s)
        return Error(st::kOtherExecutionError, s.error().message);
    if (auto s = graph_.join(legId, target, streams); !s) {
        (void)graph_.removeConnection(legId);
        const int code = s.error().code == mixer::status::kConferenceFull
                             ? st::kOtherExecutionError
                             : st::kIncompatibleStream;
        return Error(code, "cannot join the dialog to conference " + target + ": " +
                               s.error().message);
    }
    auto leg = std::make_unique<WorkerLeg>();
    leg->key = nextKey_++;
    leg->id = legId;
    leg->dialog = std::move(runner);
    Leg record;
    record.key = leg->key;
    record.internal = true;
    record.dialogId = dialogId;
    record.dialogConference = target;
    auto cw = conferenceWorkers_.find(target);
    record.worker = cw != conferenceWorkers_.end() ? cw->second : leastLoaded(legLoad_);
    placeLeg(legId, record.worker);
    workers_[record.worker]->adopt(std::move(leg));
    legs_.emplace(legId, std::move(record));
    dialogs_.emplace(dialogId, legId);
    PARLEY_LOG_INFO(log(), "dialog " << dialogId << " started on conference " << target);
    commit();
    return {};
}

void MediaPlane::terminateDialog(const std::string& dialogId, bool immediate) {
    auto d = dialogs_.find(dialogId);
    if (d == dialogs_.end()) return;
    auto it = legs_.find(d->second);
    if (it == legs_.end()) return;
    Leg& record = it->second;
    if (record.inTransit) {
        record.pendingTerminate = immediate || record.pendingTerminate.value_or(false);
        return;
    }
    workers_[record.worker]->terminateDialog(record.key, immediate);
}

std::optional<std::string> MediaPlane::dialogTarget(const std::string& dialogId) const {
    auto d = dialogs_.find(dialogId);
    if (d == dialogs_.end()) return std::nullopt;
    auto it = legs_.find(d->second);
    if (it == legs_.end()) return std::nullopt;
    return it->second.internal ? it->second.dialogConference : d->second;
}

void MediaPlane::checkDialogTargets() {
    for (const auto& [dialogId, legId] : dialogs_) {
        auto it = legs_.find(legId);
        if (it == legs_.end()) continue;
        Leg& record = it->second;
        if (!record.internal || record.goneSent || graph_.hasConference(record.dialogConference))
            continue;
        record.goneSent = true;
        if (record.inTransit)
            record.pendingTerminate = true;
        else
            workers_[record.worker]->dialogTargetGone(record.key);
    }
}

void MediaPlane::onDialogEnded(ivr::DialogEnd end) {
    auto d = dialogs_.find(end.dialogId);
    if (d != dialogs_.end()) {
        const std::string legId = d->second;
        dialogs_.erase(d);
        auto it = legs_.find(legId);
        if (it != legs_.end() && it->second.dialogId == end.dialogId) {
            if (it->second.internal) {
                Leg record = std::move(it->second);
                legs_.erase(it);
                forgetLeg(legId);
                (void)graph_.removeConnection(legId);
                if (!record.inTransit) workers_[record.worker]->drop(record.key);
                commit();
            } else {
                it->second.dialogId.clear();
            }
        }
    }
    PARLEY_LOG_INFO(log(), "dialog " << end.dialogId << " ended, status " << end.status
                                     << (end.reason ? " (" + *end.reason + ")" : std::string()));
    if (dialogObserver_) dialogObserver_->onDialogEnd(std::move(end));
}

// --- ownership ----------------------------------------------------------------------------

ChannelId MediaPlane::connectionOwner(const std::string& id) const {
    auto it = legs_.find(id);
    return it == legs_.end() ? 0 : it->second.owner;
}

void MediaPlane::setConnectionOwner(const std::string& id, ChannelId owner) {
    auto it = legs_.find(id);
    if (it != legs_.end()) it->second.owner = owner;
}

ChannelId MediaPlane::conferenceOwner(const std::string& id) const {
    auto it = conferenceOwners_.find(id);
    return it == conferenceOwners_.end() ? 0 : it->second;
}

void MediaPlane::setConferenceOwner(const std::string& id, ChannelId owner) {
    conferenceOwners_[id] = owner;
}

std::vector<std::string> MediaPlane::connectionsOf(ChannelId owner) const {
    std::vector<std::string> out;
    for (const auto& [id, leg] : legs_) {
        if (leg.owner == owner) out.push_back(id);
    }
    return out;
}

std::vector<std::string> MediaPlane::conferencesOf(ChannelId owner) const {
    std::vector<std::string> out;
    for (const auto& [id, o] : conferenceOwners_) {
        if (o == owner && graph_.hasConference(id)) out.push_back(id);
    }
    return out;
}

std::vector<mixer::UnjoinNotice> MediaPlane::unjoinAll(const std::string& id) {
    const auto* conn = [&]() -> const mixer::JoinGraph::Connection* {
        auto it = graph_.connections().find(id);
        return it == graph_.connections().end() ? nullptr : &it->second;
    }();
    if (!conn) return {};
    if (graph_.neighbours(id).empty()) return {};
    std::vector<mixer::MediaStream> streams = conn->streams;
    auto notices = graph_.removeConnection(id);
    (void)graph_.addConnection(id, std::move(streams));
    commit();
    return notices;
}

void MediaPlane::releaseChannel(ChannelId owner) {
    if (owner == 0) return;
    for (const std::string& id : conferencesOf(owner)) {
        (void)graph_.destroyConference(id);
        conferenceOwners_.erase(id);
        PARLEY_LOG_INFO(log(), "conference " << id << " destroyed: channel #" << owner << " gone");
    }
    for (const std::string& id : connectionsOf(owner)) {
        (void)unjoinAll(id);
        legs_.at(id).owner = 0;
        PARLEY_LOG_INFO(log(), "leg " << id << " released: channel #" << owner << " gone");
        hangUpLeg(id);
    }
    commit();
}

void MediaPlane::hangUpLeg(const std::string& id) {
    auto it = legs_.find(id);
    if (it == legs_.end() || !it->second.hangUp) return;
    auto fn = it->second.hangUp;  // may call back into removeLeg()
    fn();
}

void MediaPlane::hangUpAll() {
    std::vector<std::string> ids;
    for (const auto& [id, leg] : legs_) ids.push_back(id);
    for (const auto& id : ids) hangUpLeg(id);
}

PlaneStats MediaPlane::stats() const {
    PlaneStats s = counters_;
    s.legs = legs_.size();
    s.conferences = graph_.conferences().size();
    s.joins = graph_.joins().size();
    for (const auto& w : workers_) s.workers.push_back(w->stats());
    return s;
}

}  // namespace parley::ms::plane

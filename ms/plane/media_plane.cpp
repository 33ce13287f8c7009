#include "ms/plane/media_plane.hpp"

#include <sstream>

#include "common/log.hpp"
#include "ms/plane/plan_split.hpp"
#include "proto/packages/ivr/status.hpp"

namespace parley::ms::plane {

using common::Error;

namespace {

Poco::Logger& log() {
    return common::logger("ms.media");
}

void addCounters(rtp::RtpCounters& into, const rtp::RtpCounters& c) {
    into.packetsIn += c.packetsIn;
    into.bytesIn += c.bytesIn;
    into.packetsOut += c.packetsOut;
    into.bytesOut += c.bytesOut;
    into.payloadBytesOut += c.payloadBytesOut;
    into.audioIn += c.audioIn;
    into.malformed += c.malformed;
    into.strangers += c.strangers;
    into.unknownPayload += c.unknownPayload;
    into.notReceiving += c.notReceiving;
    into.ssrcChanges += c.ssrcChanges;
    into.sendErrors += c.sendErrors;
    into.recvErrors += c.recvErrors;
    into.rtcpIn += c.rtcpIn;
    into.rtcpOut += c.rtcpOut;
    into.rtcpMalformed += c.rtcpMalformed;
    into.rtcpStrangers += c.rtcpStrangers;
    into.byeIn += c.byeIn;
    into.dtmfIn += c.dtmfIn;
    into.dtmfOut += c.dtmfOut;
    into.badFrames += c.badFrames;
}

}  // namespace

MediaPlane::MediaPlane(common::EventLoop& control, MediaPlaneConfig config)
    : control_(control),
      config_(std::move(config)),
      ports_(config_.rtpAddress, config_.rtpLow, config_.rtpHigh),
      graph_("conf") {
    if (config_.workers == 0) config_.workers = 1;
    for (std::size_t w = 0; w < config_.workers; ++w) {
        workers_.push_back(std::make_unique<MediaWorker>(w, eventsFor(w), config_.noMediaTimeout));
    }
    posted_.resize(workers_.size());
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
    ev.dropped = [this](std::string id, rtp::RtpCounters c) {
        postToControl([this, id = std::move(id), c] { onDropped(id, c); });
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
    record.worker = leastLoaded(legWorkers_, workers_.size());
    record.owner = options.owner;
    record.hangUp = std::move(options.hangUp);
    record.peer = std::move(options.peer);
    PARLEY_LOG_INFO(
        log(),
        "leg " << id << " (" << record.peer << "): RTP port " << leg->rtp->localRtpPort() << " -> "
               << params.remoteRtp.toString() << ", worker " << record.worker
               << (record.owner ? ", channel #" + std::to_string(record.owner) : std::string()));
    legWorkers_[id] = record.worker;
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
    legWorkers_.erase(id);
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
        onDropped(leg->id, leg->rtp->counters());
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

void MediaPlane::onDropped(const std::string& id, const rtp::RtpCounters& c) {
    addCounters(counters_.endedLegs, c);
    PARLEY_LOG_INFO(log(), "leg " << id << " ended: rtp in " << c.packetsIn << " out "
                                  << c.packetsOut << ", malformed " << c.malformed << ", strangers "
                                  << c.strangers << ", rtcp in " << c.rtcpIn << " out " << c.rtcpOut
                                  << ", digits " << c.dtmfIn);
}

// --- graph --------------------------------------------------------------------------------

void MediaPlane::commit() {
    if (graph_.revision() == committedRevision_) return;
    committedRevision_ = graph_.revision();

    // Conferences: forget the destroyed ones, place the new ones.
    for (auto it = conferenceWorkers_.begin(); it != conferenceWorkers_.end();) {
        if (!graph_.hasConference(it->first)) {
            conferenceOwners_.erase(it->first);
            it = conferenceWorkers_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [id, conf] : graph_.conferences()) {
        if (!conferenceWorkers_.count(id))
            conferenceWorkers_.emplace(id, leastLoaded(legWorkers_, workers_.size()));
    }

    checkDialogTargets();

    // Co-location: move what must move.
    for (const Move& m : colocate(graph_, legWorkers_, conferenceWorkers_)) {
        auto it = legs_.find(m.id);
        if (it == legs_.end()) continue;
        Leg& record = it->second;
        PARLEY_LOG_DEBUG(log(), "leg " << m.id << ": worker " << m.from << " -> " << m.to);
        if (!record.inTransit) {
            workers_[record.worker]->release(record.key);
            record.inTransit = true;
        }
        record.worker = m.to;  // where onReturned() will send it
    }

    // Plans.
    const mixer::MixPlan full = mixer::MixPlan::build(graph_);
    std::vector<std::size_t> connW(full.connections.size(), workers_.size());
    for (std::size_t i = 0; i < full.connections.size(); ++i) {
        auto it = legWorkers_.find(full.connections[i]);
        if (it != legWorkers_.end()) connW[i] = it->second;
    }
    std::vector<std::size_t> confW(full.conferences.size(), workers_.size());
    for (std::size_t c = 0; c < full.conferences.size(); ++c) {
        auto it = conferenceWorkers_.find(full.conferences[c].id);
        if (it != conferenceWorkers_.end()) confW[c] = it->second;
    }
    SplitResult split = splitPlan(full, connW, confW, workers_.size());
    if (split.cut)
        PARLEY_LOG_WARN(log(), "mix plan: " << split.cut << " cross-worker references dropped");
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        mixer::MixPlan& p = split.plans[w];
        // Equal but for the revision: nothing to tell the worker.
        p.revision = posted_[w].revision;
        if (p == posted_[w]) continue;
        p.revision = full.revision;
        posted_[w] = p;
        if (log().debug()) {
            std::ostringstream os;
            for (const auto& c : p.conferences) {
                os << " [" << c.id << ":";
                for (const auto& part : c.participants)
                    os << " " << part.id << (part.sends ? "+" : "-") << part.input.gainDb;
                os << "]";
            }
            for (const auto& f : p.feeds) os << " feed " << f.from << "->" << f.to;
            for (std::size_t i = 0; i < p.connections.size(); ++i)
                os << " " << p.connections[i] << "<" << p.routes[i].size();
            PARLEY_LOG_DEBUG(log(), "worker " << w << " plan r" << p.revision << ":" << os.str());
        }
        workers_[w]->applyPlan(std::move(p));
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
    record.worker = cw != conferenceWorkers_.end() ? cw->second
                                                   : leastLoaded(legWorkers_, workers_.size());
    legWorkers_[legId] = record.worker;
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
    for (auto& [id, record] : legs_) {
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
                legWorkers_.erase(legId);
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
    bool joined = false;
    for (const auto& [key, j] : graph_.joins()) joined = joined || j.involves(id);
    if (!joined) return {};
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

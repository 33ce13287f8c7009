#pragma once
// MediaPlane: parley-ms's media side as the control thread sees it. It owns the JoinGraph
// (conferences, connections, joins), the RTP port allocator, the media workers, and the
// record of where every leg and conference lives and which control channel owns it.
//
//   MediaPlane plane(controlLoop, config);        // starts config.workers media threads
//   plane.addLeg(connId, ports, params, opts);     // SIP side: a media dialog was answered
//   plane.graph().join(a, b, streams); plane.commit();   // mixer package: change, then commit
//   plane.removeLeg(connId);                       // SIP side: the media dialog ended
//
// Contract (control thread only, except where a member says otherwise):
// - Every change of the graph is followed by commit(). It works on the groups of joined
//   entities that the change touched (JoinGraph::takeTouched()): it finds those groups again
//   in the graph, restores the co-location rule for each (placement.hpp: a group on one
//   worker, moving the smaller side's legs), builds each group's plan (MixPlan::buildGroup)
//   and posts it to the group's worker, and tells workers about groups that are gone from
//   them. A group is keyed by its smallest conference id, or by its smallest connection id
//   when it has no conference, so a conference keeps its key (and its worker's mixer state)
//   while participants come and go. A connection joined to nothing is in no group and hears
//   silence. So the cost of a change follows the size of the groups it touched, not the
//   number of legs on the server.
// - Legs move between workers by ownership transfer through the control thread: the old
//   worker unwatches and returns the leg, the plane hands it to the worker the leg belongs
//   to by then (or drops it when the leg was removed meanwhile). A media update for a leg
//   in transit is applied as it passes through.
// - Ownership (RFC 7058 section 8): a conference belongs to the channel that created it; a
//   connection belongs to the channel given at addLeg() (the SIP side's guess from the
//   signalling source) or, when none was given, to the first channel that claims it. The
//   plane only records owners; the mixer package enforces them.
// - Events reach the PlaneObserver on the control thread: active-talkers reports, digits,
//   a leg's media stopping/resuming, and the unjoin notices of a leg that ended.
// - The destructor stops the workers (joining their threads) and drops every leg.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "common/result.hpp"
#include "ms/control/control_dialog_table.hpp"
#include "ms/ivr/dialog_runner.hpp"
#include "ms/mixer/join_graph.hpp"
#include "ms/mixer/mix_plan.hpp"
#include "ms/plane/media_worker.hpp"
#include "ms/plane/placement.hpp"
#include "ms/rtp/port_allocator.hpp"
#include "ms/rtp/rtp_session.hpp"

namespace parley::ms::plane {

struct MediaPlaneConfig {
    std::size_t workers = 1;
    common::SocketAddress rtpAddress;  // where RTP sockets bind (port ignored)
    std::uint16_t rtpLow = 20000;
    std::uint16_t rtpHigh = 29999;
    rtp::RtpSessionConfig rtp;
    common::Duration noMediaTimeout = std::chrono::seconds(30);
    int realtimePriority = 0;  // > 0: media threads run SCHED_FIFO at this priority
    bool keepAwake = false;    // busy media threads' CPUs kept from idling (keep_awake.hpp)
    bool ioUring = true;       // each worker sends through a SendRing (sendto() without one)
};

class PlaneObserver {
  public:
    virtual ~PlaneObserver() = default;
    virtual void onActiveTalkers(const mixer::ActiveTalkersReport& report) = 0;
    // A leg ended (BYE...): its joins are gone; notices has one status-2 notice per join.
    virtual void onConnectionGone(const std::string& id, ChannelId owner,
                                  const std::vector<mixer::UnjoinNotice>& notices) = 0;
    virtual void onDigit(const std::string& id, const rtp::DigitEvent& digit) = 0;
};

// IVR dialogs end and notify through here (control thread).
class DialogObserver {
  public:
    virtual ~DialogObserver() = default;
    virtual void onDialogNotice(const ivr::DialogNotice& notice) = 0;
    virtual void onDialogEnd(ivr::DialogEnd end) = 0;
};

// A conference dialog's internal participant: "ivr#<dialogid>" (mixer::isInternalId).
inline constexpr std::string_view kDialogLegPrefix = "ivr#";
using mixer::isInternalId;

struct LegOptions {
    std::vector<mixer::MediaStream> streams{mixer::MediaStream{}};
    ChannelId owner = 0;           // 0: the first channel that claims it
    std::function<void()> hangUp;  // ends the media dialog (BYE)
    std::string peer;              // for logs
};

struct PlaneStats {
    std::uint64_t legs = 0;
    std::uint64_t conferences = 0;
    std::uint64_t joins = 0;
    std::uint64_t legsCreated = 0;
    std::uint64_t legMoves = 0;
    std::uint64_t plansPosted = 0;
    std::uint64_t digits = 0;
    std::uint64_t noMediaEvents = 0;
    // Legs that ended between two workers (removed while moving); the workers' totals hold
    // the legs they dropped themselves.
    LegTotals endedLegs;
    std::vector<WorkerStats> workers;
};

class MediaPlane {
  public:
    MediaPlane(common::EventLoop& control, MediaPlaneConfig config);
    ~MediaPlane();
    MediaPlane(const MediaPlane&) = delete;
    MediaPlane& operator=(const MediaPlane&) = delete;

    // Starts the workers; fails when a thread or timer cannot be made.
    common::Status start();
    void stop();

    void setObserver(PlaneObserver* observer) { observer_ = observer; }
    void setDialogObserver(DialogObserver* observer) { dialogObserver_ = observer; }
    std::size_t workerCount() const { return workers_.size(); }
    const common::SocketAddress& rtpAddress() const { return ports_.localAddress(); }

    // --- legs (SIP side) ---
    common::Result<rtp::PortPair> allocatePorts();
    // Registers the connection in the graph and starts its RTP on a worker. Error{419} when
    // the id is taken.
    common::Status addLeg(const std::string& id, rtp::PortPair ports,
                          const rtp::MediaParams& params, LegOptions options);
    void updateLeg(const std::string& id, const rtp::MediaParams& params);
    // Ends the leg: joins removed (observer told), RTP stopped, ports freed.
    void removeLeg(const std::string& id);
    bool hasLeg(const std::string& id) const { return legs_.count(id) != 0; }
    std::optional<std::size_t> legWorker(const std::string& id) const;
    std::optional<std::size_t> conferenceWorker(const std::string& id) const;

    // --- graph (mixer package) ---
    mixer::JoinGraph& graph() { return graph_; }
    const mixer::JoinGraph& graph() const { return graph_; }
    // After graph changes: placement, plans. Cheap when the revision did not move.
    void commit();

    // --- IVR dialogs (RFC 6231) ---
    // The events a DialogRunner must be built with: they reach the DialogObserver on the
    // control thread (after the plane has cleaned up behind an ended dialog).
    ivr::DialogEvents dialogEvents();
    // Starts a runner on a connection (Error 407 when it is not a leg here; 432 when a
    // dialog already runs on it) or on a conference (408 when unknown): an internal
    // participant joins the conference with `streams` (direction relative to the dialog:
    // sendrecv plays into and records the mix) and carries the runner. Error 405 when the
    // dialog id is running already.
    common::Status startDialog(const std::string& dialogId, bool onConference,
                               const std::string& target, std::unique_ptr<ivr::DialogRunner> runner,
                               const std::vector<mixer::StreamRequest>& streams = {});
    // Ends a running dialog (the end arrives through the DialogObserver).
    void terminateDialog(const std::string& dialogId, bool immediate);
    bool hasDialog(const std::string& dialogId) const { return dialogs_.count(dialogId) != 0; }
    // The connection or conference a running dialog is on.
    std::optional<std::string> dialogTarget(const std::string& dialogId) const;

    // --- ownership ---
    ChannelId connectionOwner(const std::string& id) const;
    void setConnectionOwner(const std::string& id, ChannelId owner);
    ChannelId conferenceOwner(const std::string& id) const;
    void setConferenceOwner(const std::string& id, ChannelId owner);
    std::vector<std::string> connectionsOf(ChannelId owner) const;
    std::vector<std::string> conferencesOf(ChannelId owner) const;
    // A channel went away: its conferences are destroyed (no events), its connections are
    // unjoined and their media dialogs hung up.
    void releaseChannel(ChannelId owner);
    // Removes every join of a connection, keeping the connection; the notices (status 2).
    std::vector<mixer::UnjoinNotice> unjoinAll(const std::string& id);
    // Ends one leg's media dialog (BYE) through the SIP side's function.
    void hangUpLeg(const std::string& id);
    // Every leg's dialog (shutdown).
    void hangUpAll();

    PlaneStats stats() const;

  private:
    struct Leg {
        std::uint64_t key = 0;
        std::size_t worker = 0;
        bool inTransit = false;
        std::optional<rtp::MediaParams> pending;  // update to apply while in transit
        ChannelId owner = 0;
        std::function<void()> hangUp;
        std::string peer;
        bool digitsOut = false;         // telephone-event negotiated
        std::string dialogId;           // the IVR dialog running on it, if any
        std::string dialogConference;   // internal leg: the conference it serves
        bool internal = false;
        bool goneSent = false;                   // internal leg: target-gone told
        std::optional<bool> pendingTerminate;    // immediate?, to apply after a move
        std::unique_ptr<ivr::DialogRunner> pendingRunner;  // to attach after a move
    };

    WorkerEvents eventsFor(std::size_t worker);
    void postToControl(std::function<void()> task);
    void onReturned(std::shared_ptr<LegPtr> leg);
    static void logDropped(const std::string& id, const rtp::RtpCounters& counters);
    void onDialogEnded(ivr::DialogEnd end);
    void checkDialogTargets();

    common::EventLoop& control_;
    MediaPlaneConfig config_;
    rtp::PortAllocator ports_;
    mixer::JoinGraph graph_;
    std::vector<std::unique_ptr<MediaWorker>> workers_;
    std::map<std::string, Leg, std::less<>> legs_;
    std::map<std::string, ChannelId, std::less<>> conferenceOwners_;
    WorkerOf legWorkers_;
    WorkerOf conferenceWorkers_;
    struct Group {
        std::size_t worker = 0;
        std::vector<std::string> members;  // connections and conferences
    };
    void placeLeg(const std::string& id, std::size_t worker);
    void forgetLeg(const std::string& id);
    std::map<std::string, Group, std::less<>> groups_;         // by group key
    std::map<std::string, std::string, std::less<>> groupOf_;  // entity -> group key
    std::vector<std::size_t> legLoad_;                         // connections per worker
    std::uint64_t committedRevision_ = ~std::uint64_t{0};
    std::uint64_t nextKey_ = 1;
    PlaneObserver* observer_ = nullptr;
    DialogObserver* dialogObserver_ = nullptr;
    std::map<std::string, std::string, std::less<>> dialogs_;  // dialogid -> leg id
    PlaneStats counters_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::ms::plane

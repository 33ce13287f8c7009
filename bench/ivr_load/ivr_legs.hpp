#pragma once
// IvrLegs: the AS half of the IVR benchmark. For every leg it sends a media INVITE on the
// SipStack (PCMU plus telephone-event/8000 as payload type 101, ptime 20, the IvrRtp socket
// as c=/m=), hands the answer's address to IvrRtp, then starts an msc-ivr dialog on the
// leg's connectionid over the MediaServerClient (the body comes from the caller; dialog ids
// are "b<leg>g<generation>", so events name their leg). Requests are pipelined with at most
// `window` in flight. Later, restart() starts a new dialog on one leg and terminateAll()
// sends <dialogterminate> (immediate or not) for every leg's current dialog.
//
// Events (dtmfnotify, dialogexit) are the caller's: it subscribes to the client itself and
// maps a dialog id back to its leg with legOf().
//
// The INVITEs and their answers are the shared MediaDialogs' (bench/common/media_dialogs.hpp).
//
// Contract: loop thread only; the loop, stack, client and IvrRtp outlive it. Each Done is
// called once: ok, or the first failure's reason (the remaining legs still run).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "as/msclient/media_server_client.hpp"
#include "bench/common/media_dialogs.hpp"
#include "bench/ivr_load/ivr_rtp.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::bench {

class IvrLegs final {
  public:
    using Done = std::function<void(bool ok, const std::string& why)>;
    // The <mscivr> body of a dialogstart for this leg.
    using DialogBody = std::function<std::string(std::size_t leg, const std::string& connectionId,
                                                 const std::string& dialogId)>;

    IvrLegs(proto::sip::SipStack& stack, as::MediaServerClient& client, IvrRtp& rtp,
            std::uint16_t msSipPort, std::size_t window);

    // Registers a leg whose media is IvrRtp leg `rtpLeg`; returns the leg index.
    std::size_t addLeg(std::size_t rtpLeg);
    void start(DialogBody body, Done done);
    // A new dialog on a set-up leg (the previous one has exited); done(ok, why) once.
    void restart(std::size_t leg, Done done);
    void terminateAll(bool immediate, Done done);

    std::optional<std::size_t> legOf(const std::string& dialogId) const;
    std::size_t legs() const { return legs_.size(); }
    std::size_t dialogsStarted() const { return started_; }
    std::size_t failures() const { return failures_; }

  private:
    struct LegState {
        std::size_t rtpLeg = 0;
        bool running = false;  // a dialog was started and not terminated by us
        int generation = 0;
    };
    enum class Stage { Idle, Setup, Terminate };

    void pump();
    void inviteNext();
    void startDialog(std::size_t leg, std::function<void(bool, const std::string&)> after);
    void terminateNext();
    void fail(const std::string& why);
    void finishOne();
    std::string dialogIdOf(std::size_t leg) const;
    void onAnswered(std::size_t leg, common::Result<common::SocketAddress> remote);

    as::MediaServerClient& client_;
    IvrRtp& rtp_;
    std::size_t window_;
    MediaDialogs dialogs_;
    DialogBody body_;
    Done done_;
    Stage stage_ = Stage::Idle;

    std::vector<LegState> legs_;
    std::size_t next_ = 0;
    std::size_t inFlight_ = 0;
    std::size_t started_ = 0;
    std::size_t failures_ = 0;
    std::string firstFailure_;
    bool immediate_ = false;
};

}  // namespace parley::bench

#pragma once
// MediaServerClient: the AS's control channel to one media server (RFC 6230, RFC 7058
// section 5), kept up for as long as the client runs.
//
// One attempt: INVITE with the COMEDIA offer (m=application 9 TCP cfw, a=setup:active,
// a=connection:new, a fresh cfw-id) -> 2xx whose control m-line must be a=setup:passive
// (otherwise BYE and fail) -> TCP connect to its address and port -> SYNC (Dialog-ID = our
// cfw-id, the packages we ask for, Keep-Alive) -> up; K-ALIVE then goes out at 80 % of the
// Keep-Alive (the cfw::Channel does it).
// Any failure (INVITE refused or unanswered, bad answer, TCP refused or closed, SYNC
// refused (481, 422...) or unanswered, K-ALIVE unanswered, BYE from the MS) tears the
// attempt down (pending requests fail, TCP closed, the dialog hung up) and a new attempt
// follows after a backoff of `backoffInitial` doubling up to `backoffMax`, back to the
// initial value once a channel came up.
//
// Contracts:
// - Loop thread only. The EventLoop and the ControlSignalling outlive the client.
// - sendControl(): while up, sends one CONTROL and calls `done` exactly once with the
//   final answer (200, or 202 then REPORT terminate), a rejection, a timeout or
//   ChannelClosed. When not up it returns Error{503} at once and `done` is never called;
//   other immediate errors are those of ControlSession::sendControl (420, 400).
// - Event handlers and state listeners may call any method, including sendControl() and
//   unsubscribe(), but must not destroy the client.
// - Logging: each change of the link (connecting, up, down) once at info/notice; repeated
//   failed attempts only as "still down after N attempts" at a falling rate.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "as/msclient/control_session.hpp"
#include "as/msclient/control_signalling.hpp"
#include "as/msclient/tcp_stream.hpp"
#include "common/event_loop.hpp"

namespace parley::as {

// As GET /v1/media-servers shows it.
enum class LinkState { Connecting, Up, Down };
std::string_view linkStateName(LinkState s);  // "connecting", "up", "down"

struct MediaServerClientOptions {
    std::string uri;  // SIP URI of the MS, e.g. sip:ms@127.0.0.1:5070
    std::vector<std::string> packages{"msc-ivr/1.0", "msc-mixer/1.0"};
    std::uint32_t keepAliveSeconds = 100;  // Keep-Alive asked for in SYNC (1..600)
    common::Duration inviteTimeout = std::chrono::seconds(10);
    common::Duration connectTimeout = std::chrono::seconds(5);
    common::Duration backoffInitial = std::chrono::seconds(1);
    common::Duration backoffMax = std::chrono::seconds(30);
    common::Duration transactionTimeout = std::chrono::seconds(cfw::kTransactionTimeoutSeconds);
};

struct MediaServerStatus {
    std::string uri;
    LinkState state = LinkState::Down;
    std::vector<std::string> packages;  // negotiated; empty unless up
    std::uint32_t keepAliveSeconds = 0; // negotiated when up, else the one asked for
    std::optional<std::chrono::system_clock::time_point> lastKeepAlive;  // last K-ALIVE 200
    std::uint64_t reconnects = 0;       // times the channel came up again after a loss
    std::uint64_t failedAttempts = 0;   // attempts failed since the channel was last up
    std::string lastError;              // why the last attempt or channel ended; "" if none
    std::string dialogId;               // our cfw-id of the current attempt
    std::size_t pendingRequests = 0;
};

class MediaServerClient final : private ControlDialogHandler,
                                private TcpStreamHandler,
                                private ControlSessionObserver {
public:
    using EventHandler = std::function<void(const cfw::IncomingControl&)>;
    using StateListener = std::function<void(LinkState)>;
    using SubscriptionId = std::uint64_t;

    MediaServerClient(common::EventLoop& loop, ControlSignalling& signalling,
                      MediaServerClientOptions options);
    ~MediaServerClient() override;
    MediaServerClient(const MediaServerClient&) = delete;
    MediaServerClient& operator=(const MediaServerClient&) = delete;

    // Starts the first attempt now.
    void start();
    // Hangs up (BYE), closes the channel (pending requests fail), stops retrying.
    void stop();

    common::Result<std::string> sendControl(cfw::OutgoingControl request,
                                            cfw::ControlCompletion done,
                                            cfw::ControlProgressFn progress = {});

    SubscriptionId subscribe(EventHandler handler);
    SubscriptionId watchState(StateListener listener);
    void unsubscribe(SubscriptionId id);  // either kind

    const std::string& uri() const { return options_.uri; }
    LinkState state() const;
    bool isUp() const { return phase_ == Phase::Up; }
    MediaServerStatus status() const;
    const MediaServerClientOptions& options() const { return options_; }

    // The backoff that follows `current` (doubling, capped at `max`).
    static common::Duration nextBackoff(common::Duration current, common::Duration max);

private:
    enum class Phase { Idle, Inviting, Connecting, Syncing, Up, Backoff, Stopped };

    // ControlDialogHandler
    void onAnswered(const std::string& sdpAnswer) override;
    void onRefused(int status, const std::string& reason) override;
    void onEnded(const std::string& reason) override;
    // TcpStreamHandler
    void onStreamConnected() override;
    void onStreamData(std::string_view bytes) override;
    void onStreamDown(const std::string& reason) override;
    // ControlSessionObserver
    void onSessionUp(const std::vector<std::string>& packages) override;
    void onSessionClosed(const cfw::CloseInfo& info) override;
    void onSessionEvent(const cfw::IncomingControl& event) override;

    void attempt();
    void fail(const std::string& reason);
    // Closes the session, the stream and the dialog; their objects are deleted from a
    // later loop callback when `deferDelete` (we may be inside one of their callbacks).
    void teardown(const std::string& reason, bool deferDelete);
    void setPhase(Phase p);
    void rememberKeepAlive();
    std::string newCfwId();
    void cancelTimer(common::EventLoop::TimerId& id);

    common::EventLoop& loop_;
    ControlSignalling& signalling_;
    MediaServerClientOptions options_;
    std::mt19937_64 rng_;

    Phase phase_ = Phase::Idle;
    std::unique_ptr<ControlDialog> dialog_;
    std::unique_ptr<TcpStream> stream_;
    std::unique_ptr<ControlSession> session_;
    std::string cfwId_;
    common::EventLoop::TimerId inviteTimer_ = 0;
    common::EventLoop::TimerId retryTimer_ = 0;
    common::Duration backoff_;

    bool everUp_ = false;
    std::uint64_t reconnects_ = 0;
    std::uint64_t failures_ = 0;
    std::string lastError_;
    std::optional<std::chrono::system_clock::time_point> lastKeepAlive_;

    SubscriptionId nextSubscription_ = 1;
    std::map<SubscriptionId, EventHandler> eventHandlers_;
    std::map<SubscriptionId, StateListener> stateListeners_;
};

}  // namespace parley::as

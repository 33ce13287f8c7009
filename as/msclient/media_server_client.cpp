#include "as/msclient/media_server_client.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "common/net.hpp"
#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"

namespace parley::as {

using common::Clock;
using common::Duration;
using common::Error;
namespace sdp = proto::sdp;

namespace {

Poco::Logger& log() { return common::logger("as.msclient"); }

// "still down after N attempts" at 3, 10, then every 20th attempt (10 minutes at 30 s).
bool worthReporting(std::uint64_t failures) {
    return failures == 3 || failures == 10 || (failures > 10 && failures % 20 == 0);
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

sdp::AddrType addrTypeOf(const std::string& host) {
    return host.find(':') != std::string::npos ? sdp::AddrType::IP6 : sdp::AddrType::IP4;
}

// Deletes the parts of a torn-down attempt from a later loop callback; members go in
// reverse order: the session (which writes to the stream) first.
struct Retired {
    std::unique_ptr<ControlDialog> dialog;
    std::unique_ptr<TcpStream> stream;
    std::unique_ptr<ControlSession> session;
};

}  // namespace

std::string_view linkStateName(LinkState s) {
    switch (s) {
        case LinkState::Connecting: return "connecting";
        case LinkState::Up: return "up";
        case LinkState::Down: return "down";
    }
    return "down";
}

Duration MediaServerClient::nextBackoff(Duration current, Duration max) {
    return std::min(current * 2, max);
}

MediaServerClient::MediaServerClient(common::EventLoop& loop, ControlSignalling& signalling,
                                     MediaServerClientOptions options)
    : loop_(loop),
      signalling_(signalling),
      options_(std::move(options)),
      rng_(std::random_device{}()),
      backoff_(options_.backoffInitial) {}

MediaServerClient::~MediaServerClient() {
    cancelTimer(inviteTimer_);
    cancelTimer(retryTimer_);
    phase_ = Phase::Stopped;
    teardown("client destroyed", false);
}

void MediaServerClient::start() {
    if (phase_ != Phase::Idle) return;
    PARLEY_LOG_INFO(log(), "media server " << options_.uri << ": connecting control channel");
    attempt();
}

void MediaServerClient::stop() {
    if (phase_ == Phase::Stopped) return;
    bool wasUp = phase_ == Phase::Up;
    cancelTimer(inviteTimer_);
    cancelTimer(retryTimer_);
    setPhase(Phase::Stopped);
    teardown("client stopped", true);
    lastError_ = "stopped";
    if (wasUp) PARLEY_LOG_INFO(log(), "media server " << options_.uri << ": control channel closed");
}

LinkState MediaServerClient::state() const {
    switch (phase_) {
        case Phase::Inviting:
        case Phase::Connecting:
        case Phase::Syncing: return LinkState::Connecting;
        case Phase::Up: return LinkState::Up;
        case Phase::Idle:
        case Phase::Backoff:
        case Phase::Stopped: return LinkState::Down;
    }
    return LinkState::Down;
}

MediaServerStatus MediaServerClient::status() const {
    MediaServerStatus s;
    s.uri = options_.uri;
    s.state = state();
    s.keepAliveSeconds = options_.keepAliveSeconds;
    s.lastKeepAlive = lastKeepAlive_;
    if (session_) {
        const cfw::Channel& ch = session_->channel();
        if (phase_ == Phase::Up) {
            s.packages = ch.negotiatedPackages();
            s.keepAliveSeconds = ch.keepAliveSeconds();
        }
        if (auto ka = ch.lastKeepAlive()) {
            auto age = Clock::now() - *ka;
            s.lastKeepAlive = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
                std::chrono::system_clock::now() -
                std::chrono::duration_cast<std::chrono::system_clock::duration>(age));
        }
        s.pendingRequests = ch.pendingRequests();
    }
    s.reconnects = reconnects_;
    s.failedAttempts = failures_;
    s.lastError = lastError_;
    s.dialogId = cfwId_;
    return s;
}

common::Result<std::string> MediaServerClient::sendControl(cfw::OutgoingControl request,
                                                           cfw::ControlCompletion done,
                                                           cfw::ControlProgressFn progress) {
    if (phase_ != Phase::Up || !session_) {
        return Error(503, "control channel to " + options_.uri + " is " +
                              std::string(linkStateName(state())));
    }
    return session_->sendControl(std::move(request), std::move(done), std::move(progress));
}

MediaServerClient::SubscriptionId MediaServerClient::subscribe(EventHandler handler) {
    SubscriptionId id = nextSubscription_++;
    eventHandlers_.emplace(id, std::move(handler));
    return id;
}

MediaServerClient::SubscriptionId MediaServerClient::watchState(StateListener listener) {
    SubscriptionId id = nextSubscription_++;
    stateListeners_.emplace(id, std::move(listener));
    return id;
}

void MediaServerClient::unsubscribe(SubscriptionId id) {
    eventHandlers_.erase(id);
    stateListeners_.erase(id);
}

// --- one attempt ---------------------------------------------------------------------

std::string MediaServerClient::newCfwId() {
    static constexpr char kAlphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
    std::string id;
    for (int i = 0; i < 20; ++i) id += kAlphabet[pick(rng_)];
    return id;
}

void MediaServerClient::attempt() {
    retryTimer_ = 0;
    if (phase_ == Phase::Stopped) return;
    cfwId_ = newCfwId();
    setPhase(Phase::Inviting);

    std::string host = signalling_.localHost();
    sdp::ControlOfferParams params;
    params.origin.username = "parley-as";
    params.origin.sessionId = rng_() >> 1;
    params.origin.version = 1;
    params.origin.addrType = addrTypeOf(host);
    params.origin.address = host;
    params.address.addrType = addrTypeOf(host);
    params.address.address = host;
    params.port = 9;  // an active COMEDIA endpoint does not listen (RFC 4145)
    params.setup = sdp::Setup::Active;
    params.connection = sdp::ConnectionMode::New;
    params.cfwId = cfwId_;
    std::string offer = sdp::print(sdp::makeControlOffer(params));

    auto dialog = signalling_.invite(options_.uri, offer, *this);
    if (!dialog) {
        fail("INVITE not sent: " + dialog.error().message);
        return;
    }
    dialog_ = std::move(*dialog);
    inviteTimer_ = loop_.addTimer(options_.inviteTimeout, [this] {
        inviteTimer_ = 0;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.inviteTimeout);
        fail("no final answer to INVITE within " + std::to_string(ms.count()) + " ms");
    });
}

void MediaServerClient::onAnswered(const std::string& sdpAnswer) {
    if (phase_ != Phase::Inviting) return;
    cancelTimer(inviteTimer_);
    auto session = sdp::parse(sdpAnswer);
    if (!session) {
        fail("unreadable SDP answer: " + session.error().message);
        return;
    }
    auto media = sdp::findControlMedia(*session);
    if (!media) {
        fail("SDP answer has no usable control m-line: " + media.error().message);
        return;
    }
    if (media->transport != sdp::ControlTransport::Tcp) {
        fail("SDP answer asks for TCP/TLS; only TCP is configured");
        return;
    }
    if (media->setup != sdp::Setup::Passive) {
        fail("SDP answer has a=setup:" + std::string(sdp::toString(media->setup)) +
             ", expected passive");
        return;
    }
    auto to = common::SocketAddress::fromHostPort(media->address.address, media->port);
    if (!to) {
        fail("SDP answer address " + media->address.address + ": " + to.error().message);
        return;
    }
    setPhase(Phase::Connecting);
    auto stream = TcpStream::connect(loop_, *to, options_.connectTimeout, *this);
    if (!stream) {
        fail("TCP connect to " + to->toString() + ": " + stream.error().message);
        return;
    }
    stream_ = std::move(*stream);
}

void MediaServerClient::onRefused(int status, const std::string& reason) {
    if (phase_ != Phase::Inviting) return;
    fail("INVITE answered " + std::to_string(status) + (reason.empty() ? "" : " " + reason));
}

void MediaServerClient::onEnded(const std::string& reason) { fail(reason); }

void MediaServerClient::onStreamConnected() {
    if (phase_ != Phase::Connecting || !stream_) return;
    setPhase(Phase::Syncing);
    cfw::ChannelConfig config;
    config.role = cfw::Role::Client;
    config.dialogId = cfwId_;
    config.packages = options_.packages;
    config.keepAliveSeconds = options_.keepAliveSeconds;
    config.transactionTimeout = options_.transactionTimeout;
    ControlSessionObserver& observer = *this;
    session_ = std::make_unique<ControlSession>(loop_, std::move(config), *stream_, observer);
    session_->start();
}

void MediaServerClient::onStreamData(std::string_view bytes) {
    if (session_) session_->onBytes(bytes);
}

void MediaServerClient::onStreamDown(const std::string& reason) { fail(reason); }

void MediaServerClient::onSessionUp(const std::vector<std::string>& packages) {
    if (phase_ != Phase::Syncing) return;
    if (everUp_) ++reconnects_;
    everUp_ = true;
    std::uint64_t failedBefore = failures_;
    failures_ = 0;
    backoff_ = options_.backoffInitial;
    lastError_.clear();
    std::string list;
    for (const auto& p : packages) list += (list.empty() ? "" : ",") + p;
    PARLEY_LOG_NOTICE(log(), "media server " << options_.uri << ": control channel up (packages "
                                             << list << ", keep-alive "
                                             << session_->channel().keepAliveSeconds() << " s"
                                             << (failedBefore ? ", after " : "")
                                             << (failedBefore ? std::to_string(failedBefore) +
                                                                    (failedBefore == 1 ? " failed attempt"
                                                                                       : " failed attempts")
                                                              : std::string())
                                             << ")");
    setPhase(Phase::Up);
}

void MediaServerClient::onSessionClosed(const cfw::CloseInfo& info) {
    fail("control channel closed (" + std::string(cfw::closeReasonName(info.reason)) +
         "): " + info.detail);
}

void MediaServerClient::onSessionEvent(const cfw::IncomingControl& event) {
    // Handlers may (un)subscribe while we iterate: walk a snapshot of the ids.
    std::vector<SubscriptionId> ids;
    for (const auto& [id, h] : eventHandlers_) ids.push_back(id);
    for (SubscriptionId id : ids) {
        auto it = eventHandlers_.find(id);
        if (it == eventHandlers_.end()) continue;
        EventHandler h = it->second;
        h(event);
    }
}

// --- failure and teardown ------------------------------------------------------------

void MediaServerClient::fail(const std::string& reason) {
    if (phase_ == Phase::Idle || phase_ == Phase::Backoff || phase_ == Phase::Stopped) return;
    bool wasUp = phase_ == Phase::Up;
    cancelTimer(inviteTimer_);
    lastError_ = reason;
    ++failures_;
    Duration delay = backoff_;
    backoff_ = nextBackoff(backoff_, options_.backoffMax);

    if (wasUp) {
        PARLEY_LOG_WARN(log(), "media server " << options_.uri << ": control channel down: "
                                               << reason << "; reconnecting in " << seconds(delay)
                                               << " s");
    } else if (failures_ == 1) {
        PARLEY_LOG_WARN(log(), "media server " << options_.uri << ": control channel not established: "
                                               << reason << "; retrying in " << seconds(delay)
                                               << " s");
    } else if (worthReporting(failures_)) {
        PARLEY_LOG_WARN(log(), "media server " << options_.uri << ": still down after " << failures_
                                               << " attempts (last error: " << reason
                                               << "); retrying every " << seconds(delay) << " s");
    } else {
        PARLEY_LOG_DEBUG(log(), "media server " << options_.uri << ": attempt " << failures_
                                                << " failed: " << reason);
    }

    // The new phase first: completions run by the teardown see the link down.
    setPhase(Phase::Backoff);
    teardown(reason, true);
    if (phase_ != Phase::Backoff) return;  // a callback stopped us
    retryTimer_ = loop_.addTimer(delay, [this] { attempt(); });
}

void MediaServerClient::teardown(const std::string& reason, bool deferDelete) {
    rememberKeepAlive();
    // Detach everything from `this` before anything can call back.
    auto retired = std::make_shared<Retired>();
    retired->dialog = std::move(dialog_);
    retired->stream = std::move(stream_);
    retired->session = std::move(session_);
    if (retired->dialog) retired->dialog->hangup();   // BYE (or CANCEL while inviting)
    if (retired->stream) retired->stream->close();
    if (retired->session) retired->session->close(reason);  // pending requests fail here
    if (deferDelete) loop_.post([retired] {});
}

void MediaServerClient::rememberKeepAlive() {
    if (!session_) return;
    if (auto ka = session_->channel().lastKeepAlive()) {
        auto age = Clock::now() - *ka;
        lastKeepAlive_ = std::chrono::system_clock::now() -
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(age);
    }
}

void MediaServerClient::setPhase(Phase p) {
    LinkState before = state();
    phase_ = p;
    LinkState after = state();
    if (before == after) return;
    std::vector<SubscriptionId> ids;
    for (const auto& [id, l] : stateListeners_) ids.push_back(id);
    for (SubscriptionId id : ids) {
        auto it = stateListeners_.find(id);
        if (it == stateListeners_.end()) continue;
        StateListener l = it->second;
        l(after);
    }
}

void MediaServerClient::cancelTimer(common::EventLoop::TimerId& id) {
    if (id) loop_.cancelTimer(id);
    id = 0;
}

}  // namespace parley::as

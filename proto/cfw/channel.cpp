#include "proto/cfw/channel.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace parley::proto::cfw {

using common::Error;

namespace {

Poco::Logger& log() { return common::logger("cfw"); }

Duration fourFifthsOf(std::uint32_t seconds) {
    return std::chrono::milliseconds(std::uint64_t{seconds} * 1000) * 4 / 5;
}

bool containsIgnoreCase(const std::vector<std::string>& list, std::string_view item) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& p) { return equalsIgnoreCase(p, item); });
}

void consider(std::optional<TimePoint>& best, const std::optional<TimePoint>& tp) {
    if (tp && (!best || *tp < *best)) best = tp;
}

}  // namespace

std::string_view roleName(Role r) { return r == Role::Client ? "client" : "server"; }

std::string_view channelStateName(ChannelState s) {
    switch (s) {
        case ChannelState::Idle: return "idle";
        case ChannelState::Syncing: return "syncing";
        case ChannelState::Up: return "up";
        case ChannelState::Closed: return "closed";
    }
    return "unknown";
}

std::string_view closeReasonName(CloseReason r) {
    switch (r) {
        case CloseReason::Local: return "local";
        case CloseReason::NotSynced: return "not-synced";
        case CloseReason::DialogUnknown: return "dialog-unknown";
        case CloseReason::NoCommonPackage: return "no-common-package";
        case CloseReason::SyncRejected: return "sync-rejected";
        case CloseReason::SyncTimeout: return "sync-timeout";
        case CloseReason::KeepAliveExpired: return "keep-alive-expired";
        case CloseReason::KeepAliveUnanswered: return "keep-alive-unanswered";
        case CloseReason::ProtocolError: return "protocol-error";
    }
    return "unknown";
}

Channel::Channel(ChannelConfig config, ChannelHandler& handler)
    : config_(std::move(config)),
      handler_(handler),
      parser_(config_.limits),
      server_(ServerTransactions::Config{config_.transactionTimeout, config_.autoAccept,
                                         config_.autoAcceptTimeout}) {
    if (!config_.transIds) config_.transIds = randomTransIds();
}

void Channel::start(TimePoint now) {
    if (state_ != ChannelState::Idle) return;
    state_ = ChannelState::Syncing;
    if (config_.role == Role::Server) {
        syncDeadline_ = now + config_.syncWait;
        return;
    }
    dialogId_ = config_.dialogId;
    Message sync = Message::request(newTransId(), Method::Sync);
    sync.dialogId = config_.dialogId;
    if (config_.keepAliveSeconds > 0) sync.keepAlive = config_.keepAliveSeconds;
    sync.packages = config_.packages;
    client_.start(sync.transId, RequestKind::Sync, now + 2 * config_.transactionTimeout);
    send(sync);
}

void Channel::onBytes(std::string_view bytes, TimePoint now) {
    if (state_ == ChannelState::Closed) return;
    parser_.feed(bytes);
    while (state_ != ChannelState::Closed) {
        auto ev = parser_.next();
        if (!ev) break;
        if (auto* m = std::get_if<Message>(&*ev)) {
            handleMessage(std::move(*m), now);
        } else {
            handleParseError(std::get<ParseError>(*ev), now);
        }
    }
}

void Channel::onTick(TimePoint now) {
    if (state_ == ChannelState::Closed) return;

    if (syncDeadline_ && state_ == ChannelState::Syncing && *syncDeadline_ <= now) {
        closeWith(CloseReason::SyncTimeout, "no valid SYNC received in time");
        return;
    }
    if (peerSilentUntil_ && *peerSilentUntil_ <= now) {
        closeWith(CloseReason::KeepAliveExpired,
                  "no traffic for " + std::to_string(keepAlive_) + " s (Keep-Alive)");
        return;
    }

    Notifications notify;
    std::vector<RequestKind> expired;
    stats_.timeouts += client_.expire(now, notify, expired);
    runAll(notify);
    if (state_ == ChannelState::Closed) return;
    for (RequestKind k : expired) {
        if (k == RequestKind::Sync) {
            closeWith(CloseReason::SyncTimeout, "no answer to SYNC within 2 x Transaction-Timeout");
            return;
        }
        if (k == RequestKind::KeepAlive) {
            closeWith(CloseReason::KeepAliveUnanswered, "K-ALIVE not answered in time");
            return;
        }
    }

    std::vector<Message> out;
    std::vector<ServerTransactions::Failure> failures;
    server_.tick(now, out, failures);
    for (const auto& m : out) send(m);
    for (const auto& f : failures) {
        PARLEY_LOG_NOTICE(log(), "cfw transaction " << f.transId << " failed: " << f.reason);
        handler_.onServerTransactionFailed(f.transId, f.reason);
        if (state_ == ChannelState::Closed) return;
    }

    if (nextKeepAliveAt_ && *nextKeepAliveAt_ <= now) sendKeepAlive(now);
}

std::optional<TimePoint> Channel::nextDeadline() const {
    if (state_ == ChannelState::Closed || state_ == ChannelState::Idle) return std::nullopt;
    std::optional<TimePoint> best;
    if (state_ == ChannelState::Syncing) consider(best, syncDeadline_);
    consider(best, peerSilentUntil_);
    consider(best, nextKeepAliveAt_);
    consider(best, client_.nextDeadline());
    consider(best, server_.nextDeadline());
    return best;
}

void Channel::close(const std::string& reason) {
    if (state_ == ChannelState::Closed) return;
    state_ = ChannelState::Closed;
    closeInfo_ = CloseInfo{CloseReason::Local, reason};
    syncDeadline_.reset();
    peerSilentUntil_.reset();
    nextKeepAliveAt_.reset();
    server_.clear();
    Notifications notify;
    client_.failAll(ControlOutcome::ChannelClosed, "channel closed: " + reason, notify);
    runAll(notify);
}

void Channel::closeWith(CloseReason reason, std::string detail) {
    if (state_ == ChannelState::Closed) return;
    PARLEY_LOG_NOTICE(log(), "cfw " << roleName(config_.role) << " channel closing ("
                                    << closeReasonName(reason) << "): " << detail);
    CloseInfo info{reason, std::move(detail)};
    close(info.detail);
    closeInfo_ = info;
    handler_.onClosed(info);
}

// --- sending ---------------------------------------------------------------------------

void Channel::send(const Message& m) {
    ++stats_.messagesOut;
    if (m.isResponse() && m.status >= 400) ++stats_.errorResponsesSent;
    std::string wire = serialize(m, config_.write);
    handler_.sendBytes(wire);
}

void Channel::reply(const std::string& transId, int status, const std::string& why) {
    if (status >= 400) {
        PARLEY_LOG_INFO(log(), "cfw " << transId << " answered " << status << ": " << why);
    }
    send(Message::response(transId, status));
}

void Channel::runAll(Notifications& notify) {
    for (auto& fn : notify) fn();
    notify.clear();
}

std::string Channel::newTransId() {
    for (int attempt = 0; attempt < 64; ++attempt) {
        std::string id = config_.transIds();
        if (isValidTransId(id) && !client_.contains(id) && !server_.contains(id)) return id;
    }
    // The injected generator keeps failing: fall back on the random one.
    auto fallback = randomTransIds();
    std::string id;
    do {
        id = fallback();
    } while (client_.contains(id) || server_.contains(id));
    return id;
}

void Channel::sendKeepAlive(TimePoint now) {
    nextKeepAliveAt_.reset();
    Message ka = Message::request(newTransId(), Method::KAlive);
    client_.start(ka.transId, RequestKind::KeepAlive, now + config_.transactionTimeout);
    ++stats_.keepAlivesSent;
    send(ka);
}

bool Channel::isNegotiated(std::string_view package) const {
    return containsIgnoreCase(negotiated_, package);
}

void Channel::becomeUp(TimePoint now) {
    state_ = ChannelState::Up;
    syncDeadline_.reset();
    if (keepAlive_ > 0) {
        if (config_.role == Role::Server) {
            peerSilentUntil_ = now + std::chrono::seconds(keepAlive_);
        } else {
            nextKeepAliveAt_ = now + fourFifthsOf(keepAlive_);
        }
    }
}

// --- receiving -------------------------------------------------------------------------

void Channel::handleParseError(const ParseError& e, TimePoint now) {
    ++stats_.parseErrors;
    PARLEY_LOG_INFO(log(), "cfw malformed input (" << parseErrorKindName(e.kind) << "): " << e.reason
                                                   << (e.transId.empty() ? "" : " trans-id ")
                                                   << e.transId);
    if (e.answerable()) {
        reply(e.transId, 400, e.reason);
        if (e.method == "REPORT") {
            // Our 400 kills the extended transaction the REPORT belonged to.
            Notifications notify;
            client_.fail(e.transId, ControlOutcome::ProtocolError, "malformed REPORT: " + e.reason,
                         notify);
            runAll(notify);
        }
        return;
    }
    if (!e.transId.empty() && e.status != 0) {
        Notifications notify;
        auto kind = client_.fail(e.transId, ControlOutcome::ProtocolError,
                                 "malformed response: " + e.reason, notify);
        runAll(notify);
        if (kind == RequestKind::Sync) {
            closeWith(CloseReason::SyncRejected, "malformed answer to SYNC: " + e.reason);
        } else if (kind == RequestKind::KeepAlive) {
            closeWith(CloseReason::KeepAliveUnanswered, "malformed answer to K-ALIVE: " + e.reason);
        }
    }
    (void)now;
}

void Channel::handleMessage(Message&& m, TimePoint now) {
    ++stats_.messagesIn;
    if (config_.role == Role::Server && state_ != ChannelState::Up) {
        if (m.isResponse()) {
            closeWith(CloseReason::ProtocolError, "a response arrived before SYNC");
        } else if (m.methodKind() == Method::Sync) {
            handleSync(m, now);
        } else {
            reply(m.transId, 403, "first message must be SYNC");
            closeWith(CloseReason::NotSynced, m.method + " received before SYNC");
        }
        return;
    }
    if (peerSilentUntil_) peerSilentUntil_ = now + std::chrono::seconds(keepAlive_);

    if (m.isResponse()) {
        handleResponse(m, now);
        return;
    }
    switch (m.methodKind()) {
        case Method::Sync:
            if (config_.role == Role::Server) {
                handleSync(m, now);
            } else {
                reply(m.transId, 421, "the client does not renegotiate packages");
            }
            break;
        case Method::KAlive:
            ++stats_.keepAlivesReceived;
            if (config_.role == Role::Server) lastKeepAlive_ = now;
            reply(m.transId, 200, {});
            break;
        case Method::Control:
            handleControl(std::move(m), now);
            break;
        case Method::Report: {
            auto r = client_.onReport(m, now);
            if (r.reply.status == 481) ++stats_.unknownTransactions;
            if (r.reply.status == 406) {
                PARLEY_LOG_INFO(log(), "cfw " << m.transId << " REPORT out of sequence");
            }
            send(r.reply);
            runAll(r.notify);
            break;
        }
        case Method::Other:
            reply(m.transId, 500, "unknown method " + m.method);
            break;
    }
}

void Channel::handleResponse(const Message& m, TimePoint now) {
    if (m.status >= 300) ++stats_.errorResponsesReceived;
    if (m.seq) {
        std::optional<ServerTransactions::Failure> failure;
        if (server_.onResponse(m, failure)) {
            if (failure) handler_.onServerTransactionFailed(failure->transId, failure->reason);
            return;
        }
    }
    auto r = client_.onResponse(m, now);
    if (!r.kind) {
        std::optional<ServerTransactions::Failure> failure;
        if (server_.onResponse(m, failure)) {
            if (failure) handler_.onServerTransactionFailed(failure->transId, failure->reason);
            return;
        }
        ++stats_.unknownTransactions;
        PARLEY_LOG_INFO(log(), "cfw response " << m.status << " for unknown transaction "
                                               << m.transId);
        return;
    }
    switch (*r.kind) {
        case RequestKind::Sync: handleSyncResponse(m, now); break;
        case RequestKind::KeepAlive: handleKeepAliveResponse(m, now); break;
        case RequestKind::Control: runAll(r.notify); break;
    }
}

void Channel::handleControl(Message&& m, TimePoint now) {
    if (state_ != ChannelState::Up) {
        reply(m.transId, 403, "channel not synchronised");
        return;
    }
    if (server_.contains(m.transId)) {
        reply(m.transId, 423, "transaction " + m.transId + " is still open");
        return;
    }
    const std::string& package = *m.controlPackage;
    if (!isNegotiated(package)) {
        reply(m.transId, 420, "package " + package + " not negotiated");
        return;
    }
    IncomingControl in{m.transId, package, m.contentType.value_or(""), std::move(m.body)};
    if (config_.role == Role::Server) {
        server_.open(in.transId, now);
        handler_.onControl(in);
    } else {
        reply(in.transId, 200, {});
        handler_.onEvent(in);
    }
}

void Channel::handleSync(const Message& m, TimePoint now) {
    const bool initial = state_ != ChannelState::Up;
    const std::string& dialog = *m.dialogId;
    if (initial) {
        if (!handler_.acceptDialogId(dialog)) {
            reply(m.transId, 481, "unknown Dialog-ID " + dialog);
            closeWith(CloseReason::DialogUnknown, "SYNC with unknown Dialog-ID " + dialog);
            return;
        }
        if (m.keepAlive && (*m.keepAlive == 0 || *m.keepAlive > 600)) {
            reply(m.transId, 400, "Keep-Alive must be 1..600 seconds");
            return;
        }
    } else {
        if (!config_.allowRenegotiation) {
            reply(m.transId, 421, "renegotiation disabled");
            return;
        }
        if (dialog != dialogId_) {
            reply(m.transId, 481, "a later SYNC may not change the Dialog-ID");
            return;
        }
    }

    std::vector<std::string> common;
    for (const auto& p : *m.packages) {
        if (containsIgnoreCase(config_.packages, p) && !containsIgnoreCase(common, p)) {
            common.push_back(p);
        }
    }
    if (common.empty()) {
        Message r = Message::response(m.transId, 422);
        r.supported = config_.packages;
        PARLEY_LOG_INFO(log(), "cfw " << m.transId << " answered 422: no package in common");
        send(r);
        return;
    }
    std::vector<std::string> others;
    for (const auto& p : config_.packages) {
        if (!containsIgnoreCase(common, p)) others.push_back(p);
    }

    Message r = Message::response(m.transId, 200);
    if (initial && m.keepAlive) r.keepAlive = m.keepAlive;
    r.packages = common;
    if (!others.empty()) r.supported = others;
    send(r);

    negotiated_ = std::move(common);
    peerSupported_.clear();
    if (initial) {
        dialogId_ = dialog;
        keepAlive_ = m.keepAlive.value_or(0);
        becomeUp(now);
    }
    handler_.onUp(negotiated_);
}

void Channel::handleSyncResponse(const Message& m, TimePoint now) {
    if (m.status == 200) {
        if (!m.packages || m.packages->empty()) {
            closeWith(CloseReason::SyncRejected, "200 to SYNC without Packages");
            return;
        }
        negotiated_ = *m.packages;
        peerSupported_ = m.supported.value_or(std::vector<std::string>{});
        keepAlive_ = m.keepAlive.value_or(config_.keepAliveSeconds);
        becomeUp(now);
        handler_.onUp(negotiated_);
        return;
    }
    if (m.status == 481) {
        closeWith(CloseReason::DialogUnknown, "server does not know Dialog-ID " + dialogId_);
    } else if (m.status == 422) {
        std::string list;
        for (const auto& p : m.supported.value_or(std::vector<std::string>{})) {
            list += (list.empty() ? "" : ",") + p;
        }
        peerSupported_ = m.supported.value_or(std::vector<std::string>{});
        closeWith(CloseReason::NoCommonPackage, "no package in common; server supports: " + list);
    } else {
        closeWith(CloseReason::SyncRejected, "SYNC answered " + std::to_string(m.status));
    }
}

void Channel::handleKeepAliveResponse(const Message& m, TimePoint now) {
    if (m.status != 200) {
        closeWith(CloseReason::KeepAliveUnanswered, "K-ALIVE answered " + std::to_string(m.status));
        return;
    }
    lastKeepAlive_ = now;
    if (state_ == ChannelState::Up && keepAlive_ > 0) nextKeepAliveAt_ = now + fourFifthsOf(keepAlive_);
}

// --- upper-layer API -------------------------------------------------------------------

common::Result<std::string> Channel::sendControl(OutgoingControl request, TimePoint now,
                                                 ControlCompletion done, ControlProgressFn progress) {
    if (state_ != ChannelState::Up) {
        return Error(403, "channel is " + std::string(channelStateName(state_)));
    }
    if (!isNegotiated(request.package)) {
        return Error(420, "package " + request.package + " not negotiated on this channel");
    }
    if (!request.body.empty() && request.contentType.empty()) {
        return Error(400, "a body needs a Content-Type");
    }
    Message m = Message::request(newTransId(), Method::Control);
    m.controlPackage = std::move(request.package);
    if (!request.contentType.empty()) m.contentType = std::move(request.contentType);
    m.body = std::move(request.body);
    client_.start(m.transId, RequestKind::Control, now + 2 * config_.transactionTimeout,
                  std::move(done), std::move(progress));
    send(m);
    return m.transId;
}

common::Result<std::string> Channel::sendEvent(OutgoingControl event, TimePoint now,
                                               ControlCompletion done) {
    if (config_.role != Role::Server) return Error(405, "events are sent by the server role");
    return sendControl(std::move(event), now, std::move(done));
}

common::Status Channel::respond(std::string_view transId, int status, TimePoint now,
                                std::string_view contentType, std::string_view body) {
    if (state_ == ChannelState::Closed) return Error(403, "channel closed");
    auto m = server_.respond(transId, status, contentType, body, now);
    if (!m) return m.error();
    send(*m);
    return {};
}

common::Status Channel::accept(std::string_view transId, std::uint32_t timeoutSeconds,
                               TimePoint now) {
    if (state_ == ChannelState::Closed) return Error(403, "channel closed");
    auto m = server_.accept(transId, timeoutSeconds, now);
    if (!m) return m.error();
    send(*m);
    return {};
}

common::Status Channel::report(std::string_view transId, ReportStatus status, TimePoint now,
                               std::string_view contentType, std::string_view body) {
    if (state_ == ChannelState::Closed) return Error(403, "channel closed");
    auto m = server_.report(transId, status, contentType, body, now);
    if (!m) return m.error();
    send(*m);
    return {};
}

}  // namespace parley::proto::cfw

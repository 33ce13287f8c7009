#pragma once
// One Media Control Channel (RFC 6230) as a sans-I/O state machine: no sockets, no threads,
// no clock of its own. Both binaries use it: parley-as in the Client role (the COMEDIA active
// side that sends SYNC and K-ALIVE), parley-ms in the Server role (passive).
//
// Contract for the owner:
// - Feed every received byte to onBytes(bytes, now) and call onTick(now) whenever the time
//   returned by nextDeadline() has come (nullopt: no timer). `now` must never go backwards.
// - Everything to be written goes through ChannelHandler::sendBytes(); the owner writes it to
//   the connection in order.
// - When the channel decides to close (keep-alive expiry, SYNC failure, a non-SYNC first
//   message...), it calls ChannelHandler::onClosed() once; the owner then closes the TCP
//   connection and sends BYE on the SIP control dialog. close() is the owner's own close
//   (connection lost, BYE received): it does not call onClosed().
// - Every ControlCompletion passed to sendControl()/sendEvent() is called exactly once,
//   including when the channel closes with the transaction pending.
// - Handlers may call back into the channel (respond, sendControl, close...) from inside a
//   callback. They must not destroy the Channel from inside a callback.
// - Bad input never throws and never crashes: it is answered with the CFW status the RFC
//   gives (400, 403, 406, 420, 421, 422, 423, 481, 500), logged once and counted in stats().
//
// Decisions (see docs/cfw-wire.md):
// - Server: a SYNC with no package in common gets 422 + Supported and the channel stays
//   unsynchronised (the client may SYNC again until the SYNC wait expires).
// - Server: a later SYNC renegotiates the package set (Keep-Alive ignored) unless
//   ChannelConfig::allowRenegotiation is false (then 421). A later SYNC with another
//   Dialog-ID gets 481 and the channel stays up on the original dialog.
// - Client: a SYNC from the server is answered 421 (the client does not renegotiate).
// - A SYNC without Keep-Alive disables the keep-alive timers on both sides.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "proto/cfw/client_transactions.hpp"
#include "proto/cfw/message.hpp"
#include "proto/cfw/parser.hpp"
#include "proto/cfw/server_transactions.hpp"
#include "proto/cfw/trans_id.hpp"
#include "proto/cfw/writer.hpp"

namespace parley::proto::cfw {

enum class Role { Client, Server };

// Idle: constructed, start() not called. Syncing: client sent SYNC / server awaits a valid
// SYNC. Up: packages negotiated. Closed: terminal.
enum class ChannelState { Idle, Syncing, Up, Closed };

enum class CloseReason {
    Local,                // the owner called close()
    NotSynced,            // server: first message was not SYNC (answered 403)
    DialogUnknown,        // 481 to the SYNC (sent or received)
    NoCommonPackage,      // client: 422 to the SYNC
    SyncRejected,         // client: other error answer to the SYNC
    SyncTimeout,          // client: no answer to SYNC; server: no SYNC within syncWait
    KeepAliveExpired,     // server: no traffic for Keep-Alive seconds
    KeepAliveUnanswered,  // client: K-ALIVE not answered 200 within Transaction-Timeout
    ProtocolError,        // server: a response arrived before any SYNC
};

std::string_view roleName(Role r);
std::string_view channelStateName(ChannelState s);
std::string_view closeReasonName(CloseReason r);

struct CloseInfo {
    CloseReason reason = CloseReason::Local;
    std::string detail;
};

// A CONTROL received: a command in the Server role, an event in the Client role.
struct IncomingControl {
    std::string transId;
    std::string package;
    std::string contentType;
    std::string body;
};

struct OutgoingControl {
    std::string package;
    std::string contentType;  // required when body is not empty
    std::string body;
};

class ChannelHandler {
public:
    virtual ~ChannelHandler() = default;

    virtual void sendBytes(std::string_view bytes) = 0;
    virtual void onClosed(const CloseInfo& info) = 0;

    // The SYNC exchange succeeded (and, for the server, after each renegotiation).
    virtual void onUp(const std::vector<std::string>& packages) { (void)packages; }
    // Server role: is this the cfw-id of a live SIP control dialog? (false -> 481 + close)
    virtual bool acceptDialogId(std::string_view dialogId) {
        (void)dialogId;
        return true;
    }
    // Server role: answer later with Channel::respond(), or accept() + report().
    virtual void onControl(const IncomingControl& request) { (void)request; }
    // Client role: a package event; the channel has already answered it 200.
    virtual void onEvent(const IncomingControl& event) { (void)event; }
    // Server role: an open transaction ended abnormally (REPORT refused or unacknowledged).
    virtual void onServerTransactionFailed(std::string_view transId, std::string_view reason) {
        (void)transId;
        (void)reason;
    }
};

struct ChannelConfig {
    Role role = Role::Client;
    std::string dialogId;                 // client: the Dialog-ID sent in SYNC (own cfw-id)
    std::vector<std::string> packages;    // client: requested; server: supported
    std::uint32_t keepAliveSeconds = 100; // client: Keep-Alive sent in SYNC (0: none)
    Duration transactionTimeout = std::chrono::seconds(kTransactionTimeoutSeconds);
    Duration syncWait = std::chrono::seconds(2 * kTransactionTimeoutSeconds);  // server
    bool autoAccept = true;               // server: 202 on its own at 80 % of the timeout
    std::uint32_t autoAcceptTimeout = 10; // server: the Timeout of that 202
    bool allowRenegotiation = true;       // server: false -> 421 to a later SYNC
    Limits limits;
    WriteOptions write;
    TransIdGenerator transIds;            // empty: randomTransIds()
};

struct ChannelStats {
    std::uint64_t messagesIn = 0;
    std::uint64_t messagesOut = 0;
    std::uint64_t parseErrors = 0;          // malformed input of any kind
    std::uint64_t errorResponsesSent = 0;   // 4xx/5xx we answered
    std::uint64_t errorResponsesReceived = 0;
    std::uint64_t timeouts = 0;             // our requests that got no answer in time
    std::uint64_t unknownTransactions = 0;  // responses/REPORTs for no live transaction
    std::uint64_t keepAlivesSent = 0;
    std::uint64_t keepAlivesReceived = 0;
};

class Channel {
public:
    Channel(ChannelConfig config, ChannelHandler& handler);
    Channel(const Channel&) = delete;
    Channel& operator=(const Channel&) = delete;

    // Client: sends SYNC. Server: starts waiting for the SYNC. Call once, after TCP is up.
    void start(TimePoint now);
    void onBytes(std::string_view bytes, TimePoint now);
    void onTick(TimePoint now);
    std::optional<TimePoint> nextDeadline() const;
    // The owner's close: pending completions get ChannelClosed; onClosed() is not called.
    void close(const std::string& reason);

    // Client role: a CONTROL to the server. Returns the trans-id, or an error (420 package
    // not negotiated, 403 channel not up, 400 body without type) without calling `done`.
    common::Result<std::string> sendControl(OutgoingControl request, TimePoint now,
                                            ControlCompletion done, ControlProgressFn progress = {});

    // Server role: answers to IncomingControl (see ServerTransactions for the rules).
    common::Status respond(std::string_view transId, int status, TimePoint now,
                           std::string_view contentType = {}, std::string_view body = {});
    common::Status accept(std::string_view transId, std::uint32_t timeoutSeconds, TimePoint now);
    common::Status report(std::string_view transId, ReportStatus status, TimePoint now,
                          std::string_view contentType = {}, std::string_view body = {});
    // Server role: a package event (CONTROL to the client), answered 200 by the client.
    common::Result<std::string> sendEvent(OutgoingControl event, TimePoint now,
                                          ControlCompletion done);

    // Introspection.
    Role role() const { return config_.role; }
    ChannelState state() const { return state_; }
    const std::string& dialogId() const { return dialogId_; }
    const std::vector<std::string>& negotiatedPackages() const { return negotiated_; }
    const std::vector<std::string>& peerSupported() const { return peerSupported_; }
    std::uint32_t keepAliveSeconds() const { return keepAlive_; }
    // Client: when the last K-ALIVE was answered 200; server: when the last K-ALIVE arrived.
    std::optional<TimePoint> lastKeepAlive() const { return lastKeepAlive_; }
    const ChannelStats& stats() const { return stats_; }
    std::size_t pendingRequests() const { return client_.size(); }
    std::size_t openServerTransactions() const { return server_.size(); }
    std::size_t bufferedBytes() const { return parser_.bufferedBytes(); }
    const std::optional<CloseInfo>& closeInfo() const { return closeInfo_; }

private:
    void handleMessage(Message&& m, TimePoint now);
    void handleParseError(const ParseError& e, TimePoint now);
    void handleSync(const Message& m, TimePoint now);
    void handleSyncResponse(const Message& m, TimePoint now);
    void handleKeepAliveResponse(const Message& m, TimePoint now);
    void handleControl(Message&& m, TimePoint now);
    void handleResponse(const Message& m, TimePoint now);

    void send(const Message& m);
    void reply(const std::string& transId, int status, const std::string& why);
    void runAll(Notifications& notify);
    void closeWith(CloseReason reason, std::string detail);
    void becomeUp(TimePoint now);
    bool isNegotiated(std::string_view package) const;
    std::string newTransId();
    void sendKeepAlive(TimePoint now);

    ChannelConfig config_;
    ChannelHandler& handler_;
    Parser parser_;
    ClientTransactions client_;
    ServerTransactions server_;
    ChannelState state_ = ChannelState::Idle;
    ChannelStats stats_;

    std::string dialogId_;
    std::vector<std::string> negotiated_;
    std::vector<std::string> peerSupported_;
    std::uint32_t keepAlive_ = 0;
    std::optional<TimePoint> lastKeepAlive_;
    std::optional<TimePoint> syncDeadline_;     // server, while Syncing
    std::optional<TimePoint> peerSilentUntil_;  // server, Up: keep-alive expiry
    std::optional<TimePoint> nextKeepAliveAt_;  // client, Up, none in flight
    std::optional<CloseInfo> closeInfo_;
};

}  // namespace parley::proto::cfw

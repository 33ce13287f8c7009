#pragma once
// The requests a channel has sent and awaits answers to (RFC 6230 sections 6.1, 6.3.2):
// CONTROL (from the AS, or events from the MS), SYNC and K-ALIVE.
//
// Contract:
// - A request waits until its deadline (the channel gives now + 2 x Transaction-Timeout for
//   CONTROL and SYNC, now + Transaction-Timeout for K-ALIVE). A 202 switches a CONTROL to
//   its Timeout header, restarted by every REPORT update.
// - REPORTs are checked against the expected Seq (1, 2, 3...): in order they are answered
//   200 echoing Seq; a gap is answered 406 and ends the transaction; an unknown trans-id
//   is answered 481.
// - Every CONTROL completion is called exactly once: on the final answer, on expiry, on a
//   protocol error, or by failAll() when the channel closes.
// - Sans-I/O and re-entrancy: no method here sends bytes or calls a completion directly.
//   They return the reply to send and the callbacks to run (Notifications); the channel
//   sends the reply first and then runs them, after the table is consistent again, so a
//   completion may start a new transaction.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "proto/cfw/message.hpp"

namespace parley::proto::cfw {

using common::Duration;
using common::TimePoint;

enum class ControlOutcome {
    Completed,      // 200 (possibly with a body), or 202 then REPORT terminate
    Rejected,       // a non-2xx framework status
    TimedOut,       // no answer (or no REPORT) within the timer
    ProtocolError,  // malformed answer, or a REPORT Seq gap (answered 406)
    ChannelClosed,  // the channel closed with the transaction pending
};

std::string_view controlOutcomeName(ControlOutcome o);

struct ControlResult {
    ControlOutcome outcome = ControlOutcome::Completed;
    int status = 0;          // 200 when Completed, the error status when Rejected, else 0
    bool extended = false;   // the answer came as 202 + REPORT terminate
    std::string contentType;
    std::string body;
    std::string reason;      // why it failed (empty when Completed)

    bool ok() const { return outcome == ControlOutcome::Completed; }
};

struct ControlProgress {
    std::string transId;
    std::uint32_t seq = 0;
    std::string contentType;
    std::string body;        // empty for a pure keep-alive update
};

using ControlCompletion = std::function<void(const ControlResult&)>;
using ControlProgressFn = std::function<void(const ControlProgress&)>;
using Notifications = std::vector<std::function<void()>>;

enum class RequestKind { Control, Sync, KeepAlive };

class ClientTransactions {
public:
    void start(std::string transId, RequestKind kind, TimePoint deadline,
               ControlCompletion done = {}, ControlProgressFn progress = {});

    bool contains(std::string_view transId) const;
    std::size_t size() const { return pending_.size(); }

    // A response to one of our requests. Sync and KeepAlive responses are handed back
    // (kind set) for the channel to act on; Control responses are settled here.
    struct ResponseResult {
        std::optional<RequestKind> kind;  // nullopt: no such transaction
        Notifications notify;
    };
    ResponseResult onResponse(const Message& response, TimePoint now);

    // A REPORT request from the peer.
    struct ReportResult {
        Message reply;
        Notifications notify;
    };
    ReportResult onReport(const Message& report, TimePoint now);

    // Ends a pending CONTROL with an error (e.g. its response was malformed). Returns the
    // kind of the transaction that was removed, if any.
    std::optional<RequestKind> fail(std::string_view transId, ControlOutcome outcome,
                                    std::string reason, Notifications& notify);

    // Removes expired transactions; Control ones get TimedOut, the kinds of the others are
    // appended to `expiredOther`. Returns how many expired.
    std::size_t expire(TimePoint now, Notifications& notify, std::vector<RequestKind>& expiredOther);

    void failAll(ControlOutcome outcome, const std::string& reason, Notifications& notify);

    std::optional<TimePoint> nextDeadline() const;

private:
    struct Pending {
        RequestKind kind = RequestKind::Control;
        TimePoint deadline;
        bool extended = false;
        std::uint32_t nextSeq = 1;
        ControlCompletion done;
        ControlProgressFn progress;
    };

    static void settle(Pending& p, ControlResult result, Notifications& notify);

    std::map<std::string, Pending, std::less<>> pending_;
};

}  // namespace parley::proto::cfw

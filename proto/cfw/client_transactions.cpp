#include "proto/cfw/client_transactions.hpp"

#include <algorithm>

namespace parley::proto::cfw {

namespace {

Duration secondsAtLeastOne(std::uint32_t s) { return std::chrono::seconds(std::max<std::uint32_t>(s, 1)); }

}  // namespace

std::string_view controlOutcomeName(ControlOutcome o) {
    switch (o) {
        case ControlOutcome::Completed: return "completed";
        case ControlOutcome::Rejected: return "rejected";
        case ControlOutcome::TimedOut: return "timed-out";
        case ControlOutcome::ProtocolError: return "protocol-error";
        case ControlOutcome::ChannelClosed: return "channel-closed";
    }
    return "unknown";
}

void ClientTransactions::start(std::string transId, RequestKind kind, TimePoint deadline,
                               ControlCompletion done, ControlProgressFn progress) {
    Pending p;
    p.kind = kind;
    p.deadline = deadline;
    p.done = std::move(done);
    p.progress = std::move(progress);
    pending_[std::move(transId)] = std::move(p);
}

bool ClientTransactions::contains(std::string_view transId) const {
    return pending_.find(transId) != pending_.end();
}

void ClientTransactions::settle(Pending& p, ControlResult result, Notifications& notify) {
    if (p.done) notify.push_back([done = std::move(p.done), r = std::move(result)] { done(r); });
}

ClientTransactions::ResponseResult ClientTransactions::onResponse(const Message& response,
                                                                  TimePoint now) {
    ResponseResult out;
    auto it = pending_.find(response.transId);
    if (it == pending_.end()) return out;
    out.kind = it->second.kind;
    if (it->second.kind != RequestKind::Control) {
        pending_.erase(it);
        return out;
    }
    Pending& p = it->second;
    if (response.status == 202) {
        // Extended transaction: wait for REPORTs, each within the announced Timeout.
        p.extended = true;
        p.deadline = now + secondsAtLeastOne(response.timeout.value_or(kTransactionTimeoutSeconds));
        return out;
    }
    ControlResult r;
    r.status = response.status;
    r.contentType = response.contentType.value_or("");
    r.body = response.body;
    if (response.status >= 200 && response.status < 300) {
        r.outcome = ControlOutcome::Completed;
    } else {
        r.outcome = ControlOutcome::Rejected;
        r.reason = "peer answered " + std::to_string(response.status) + " (" +
                   std::string(statusText(response.status)) + ")";
    }
    settle(p, std::move(r), out.notify);
    pending_.erase(it);
    return out;
}

ClientTransactions::ReportResult ClientTransactions::onReport(const Message& report,
                                                              TimePoint now) {
    ReportResult out;
    auto it = pending_.find(report.transId);
    if (it == pending_.end() || it->second.kind != RequestKind::Control) {
        out.reply = Message::response(report.transId, 481);
        return out;
    }
    Pending& p = it->second;
    std::uint32_t seq = report.seq.value_or(0);
    if (seq != p.nextSeq) {
        out.reply = Message::response(report.transId, 406);
        out.reply.seq = seq;
        ControlResult r;
        r.outcome = ControlOutcome::ProtocolError;
        r.reason = "REPORT out of sequence: expected Seq " + std::to_string(p.nextSeq) +
                   ", got " + std::to_string(seq);
        settle(p, std::move(r), out.notify);
        pending_.erase(it);
        return out;
    }
    out.reply = Message::response(report.transId, 200);
    out.reply.seq = seq;
    // A REPORT before any 202 is tolerated: it extends the transaction all the same.
    p.extended = true;
    ++p.nextSeq;
    if (report.reportStatus == ReportStatus::Terminate) {
        ControlResult r;
        r.outcome = ControlOutcome::Completed;
        r.status = 200;
        r.extended = true;
        r.contentType = report.contentType.value_or("");
        r.body = report.body;
        settle(p, std::move(r), out.notify);
        pending_.erase(it);
        return out;
    }
    p.deadline = now + secondsAtLeastOne(report.timeout.value_or(kTransactionTimeoutSeconds));
    if (p.progress) {
        ControlProgress progress{report.transId, seq, report.contentType.value_or(""), report.body};
        out.notify.push_back([fn = p.progress, pr = std::move(progress)] { fn(pr); });
    }
    return out;
}

std::optional<RequestKind> ClientTransactions::fail(std::string_view transId, ControlOutcome outcome,
                                                    std::string reason, Notifications& notify) {
    auto it = pending_.find(transId);
    if (it == pending_.end()) return std::nullopt;
    RequestKind kind = it->second.kind;
    ControlResult r;
    r.outcome = outcome;
    r.reason = std::move(reason);
    settle(it->second, std::move(r), notify);
    pending_.erase(it);
    return kind;
}

std::size_t ClientTransactions::expire(TimePoint now, Notifications& notify,
                                       std::vector<RequestKind>& expiredOther) {
    std::size_t count = 0;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.deadline > now) {
            ++it;
            continue;
        }
        if (it->second.kind == RequestKind::Control) {
            ControlResult r;
            r.outcome = ControlOutcome::TimedOut;
            r.reason = it->second.extended ? "no REPORT within the announced Timeout"
                                           : "no response within 2 x Transaction-Timeout";
            settle(it->second, std::move(r), notify);
        } else {
            expiredOther.push_back(it->second.kind);
        }
        it = pending_.erase(it);
        ++count;
    }
    return count;
}

void ClientTransactions::failAll(ControlOutcome outcome, const std::string& reason,
                                 Notifications& notify) {
    for (auto& [id, p] : pending_) {
        ControlResult r;
        r.outcome = outcome;
        r.reason = reason;
        settle(p, std::move(r), notify);
    }
    pending_.clear();
}

std::optional<TimePoint> ClientTransactions::nextDeadline() const {
    std::optional<TimePoint> best;
    for (const auto& [id, p] : pending_) {
        if (!best || p.deadline < *best) best = p.deadline;
    }
    return best;
}

}  // namespace parley::proto::cfw

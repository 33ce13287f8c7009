#include "proto/cfw/server_transactions.hpp"

#include <algorithm>

namespace parley::proto::cfw {

using common::Error;

namespace {

Duration fourFifths(Duration d) { return d * 4 / 5; }

Error noSuch(std::string_view transId) {
    return Error(481, "no open transaction " + std::string(transId));
}

}  // namespace

ServerTransactions::ServerTransactions(Config config) : config_(config) {}

bool ServerTransactions::contains(std::string_view transId) const {
    return open_.find(transId) != open_.end();
}

void ServerTransactions::open(const std::string& transId, TimePoint now) {
    Open t;
    t.actionAt = now + (config_.autoAccept ? fourFifths(config_.transactionTimeout)
                                           : 2 * config_.transactionTimeout);
    open_[transId] = t;
}

Duration ServerTransactions::refreshDelay(const Open& t) const {
    std::uint32_t s = std::max<std::uint32_t>(t.timeoutSeconds, 1);
    return fourFifths(std::chrono::milliseconds(std::uint64_t{s} * 1000));
}

Message ServerTransactions::makeReport(const std::string& transId, Open& t, ReportStatus status,
                                       std::string_view contentType, std::string_view body,
                                       TimePoint now) {
    Message m = Message::request(transId, Method::Report);
    m.seq = t.nextSeq++;
    m.reportStatus = status;
    m.timeout = t.timeoutSeconds;
    if (!contentType.empty()) m.contentType = std::string(contentType);
    m.body = std::string(body);
    t.unacked.emplace_back(*m.seq, now + 2 * config_.transactionTimeout);
    if (status == ReportStatus::Terminate) {
        t.phase = Phase::Terminated;
    } else {
        t.actionAt = now + refreshDelay(t);
    }
    return m;
}

common::Result<Message> ServerTransactions::respond(std::string_view transId, int status,
                                                    std::string_view contentType,
                                                    std::string_view body, TimePoint now) {
    auto it = open_.find(transId);
    if (it == open_.end()) return noSuch(transId);
    if (status < 100 || status > 999 || status == 202) {
        return Error(400, "respond() takes a final status; use accept() for 202");
    }
    if (!body.empty() && contentType.empty()) return Error(400, "a body needs a Content-Type");
    Open& t = it->second;
    if (t.phase == Phase::Terminated) return Error(406, "transaction already terminated");
    if (t.phase == Phase::Extended) {
        if (status != 200) {
            return Error(400, "a transaction answered 202 can only end with a REPORT terminate");
        }
        return makeReport(it->first, t, ReportStatus::Terminate, contentType, body, now);
    }
    Message m = Message::response(it->first, status);
    if (!contentType.empty()) m.contentType = std::string(contentType);
    m.body = std::string(body);
    open_.erase(it);
    return m;
}

common::Result<Message> ServerTransactions::accept(std::string_view transId,
                                                   std::uint32_t timeoutSeconds, TimePoint now) {
    auto it = open_.find(transId);
    if (it == open_.end()) return noSuch(transId);
    Open& t = it->second;
    if (t.phase != Phase::Pending) return Error(406, "transaction already answered 202");
    if (timeoutSeconds == 0) return Error(400, "Timeout must be at least 1 second");
    t.phase = Phase::Extended;
    t.timeoutSeconds = timeoutSeconds;
    t.actionAt = now + refreshDelay(t);
    Message m = Message::response(it->first, 202);
    m.timeout = timeoutSeconds;
    return m;
}

common::Result<Message> ServerTransactions::report(std::string_view transId, ReportStatus status,
                                                   std::string_view contentType,
                                                   std::string_view body, TimePoint now) {
    auto it = open_.find(transId);
    if (it == open_.end()) return noSuch(transId);
    Open& t = it->second;
    if (t.phase == Phase::Pending) return Error(406, "accept() the transaction before REPORTs");
    if (t.phase == Phase::Terminated) return Error(406, "transaction already terminated");
    if (!body.empty() && contentType.empty()) return Error(400, "a body needs a Content-Type");
    return makeReport(it->first, t, status, contentType, body, now);
}

bool ServerTransactions::onResponse(const Message& response, std::optional<Failure>& failure) {
    auto it = open_.find(response.transId);
    if (it == open_.end() || it->second.unacked.empty()) return false;
    Open& t = it->second;
    auto acked = t.unacked.begin();
    if (response.seq) {
        acked = std::find_if(t.unacked.begin(), t.unacked.end(),
                             [&](const auto& u) { return u.first == *response.seq; });
        if (acked == t.unacked.end()) acked = t.unacked.begin();
    }
    if (response.status < 200 || response.status >= 300) {
        failure = Failure{it->first, "peer answered REPORT Seq " + std::to_string(acked->first) +
                                         " with " + std::to_string(response.status)};
        open_.erase(it);
        return true;
    }
    t.unacked.erase(acked);
    if (t.phase == Phase::Terminated && t.unacked.empty()) open_.erase(it);
    return true;
}

void ServerTransactions::tick(TimePoint now, std::vector<Message>& out,
                              std::vector<Failure>& failures) {
    for (auto it = open_.begin(); it != open_.end();) {
        Open& t = it->second;
        if (!t.unacked.empty() && t.unacked.front().second <= now) {
            failures.push_back({it->first, "REPORT Seq " + std::to_string(t.unacked.front().first) +
                                               " not acknowledged"});
            it = open_.erase(it);
            continue;
        }
        if (t.phase == Phase::Pending && t.actionAt <= now) {
            if (!config_.autoAccept) {
                failures.push_back({it->first, "no answer from the upper layer"});
                it = open_.erase(it);
                continue;
            }
            t.phase = Phase::Extended;
            t.timeoutSeconds = std::max<std::uint32_t>(config_.autoAcceptTimeout, 1);
            t.actionAt = now + refreshDelay(t);
            Message m = Message::response(it->first, 202);
            m.timeout = t.timeoutSeconds;
            out.push_back(std::move(m));
        } else if (t.phase == Phase::Extended && t.actionAt <= now) {
            out.push_back(makeReport(it->first, t, ReportStatus::Update, {}, {}, now));
        }
        ++it;
    }
}

std::optional<TimePoint> ServerTransactions::nextDeadline() const {
    std::optional<TimePoint> best;
    auto consider = [&](TimePoint tp) {
        if (!best || tp < *best) best = tp;
    };
    for (const auto& [id, t] : open_) {
        if (t.phase != Phase::Terminated) consider(t.actionAt);
        if (!t.unacked.empty()) consider(t.unacked.front().second);
    }
    return best;
}

std::vector<std::string> ServerTransactions::clear() {
    std::vector<std::string> ids;
    for (const auto& [id, t] : open_) ids.push_back(id);
    open_.clear();
    return ids;
}

}  // namespace parley::proto::cfw

#pragma once
// The CONTROL requests a server-role channel has received and not finished answering
// (RFC 6230 sections 6.2, 6.3.2).
//
// Contract:
// - open() registers a request; while it is open, a CONTROL with the same trans-id is a
//   duplicate (the channel answers 423).
// - The upper layer ends it with respond() (a final response), or extends it with accept()
//   (202 + Timeout) and then report() updates and a terminate. Seq starts at 1 and grows by
//   one per REPORT. respond(200, body) on an extended transaction becomes a REPORT terminate.
// - tick(): a request left unanswered until 80 % of the Transaction-Timeout is accepted
//   automatically (202 with Config::autoAcceptTimeout) when Config::autoAccept is set, else
//   dropped after 2 x Transaction-Timeout; an extended transaction with no REPORT for 80 % of
//   its Timeout gets a body-less REPORT update; a REPORT not answered by the peer within
//   2 x Transaction-Timeout ends the transaction (reported as failed).
// - onResponse(): the peer's answers to our REPORTs. 2xx acknowledges; any other status
//   ends the transaction (RFC 6230 6.2: non-2xx kills the transaction). After a terminate
//   the transaction closes when every REPORT is acknowledged.
// - Methods return the messages to send; nothing here does I/O.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "proto/cfw/message.hpp"

namespace parley::proto::cfw {

using common::Duration;
using common::TimePoint;

class ServerTransactions {
public:
    struct Config {
        Duration transactionTimeout = std::chrono::seconds(kTransactionTimeoutSeconds);
        bool autoAccept = true;
        std::uint32_t autoAcceptTimeout = 10;
    };

    struct Failure {
        std::string transId;
        std::string reason;
    };

    explicit ServerTransactions(Config config);

    bool contains(std::string_view transId) const;
    std::size_t size() const { return open_.size(); }

    void open(const std::string& transId, TimePoint now);

    common::Result<Message> respond(std::string_view transId, int status,
                                    std::string_view contentType, std::string_view body,
                                    TimePoint now);
    common::Result<Message> accept(std::string_view transId, std::uint32_t timeoutSeconds,
                                   TimePoint now);
    common::Result<Message> report(std::string_view transId, ReportStatus status,
                                   std::string_view contentType, std::string_view body,
                                   TimePoint now);

    // True when the response was for one of our REPORTs (then `failure` is set if it ended
    // the transaction).
    bool onResponse(const Message& response, std::optional<Failure>& failure);

    void tick(TimePoint now, std::vector<Message>& out, std::vector<Failure>& failures);
    std::optional<TimePoint> nextDeadline() const;

    std::vector<std::string> clear();

private:
    enum class Phase { Pending, Extended, Terminated };

    struct Open {
        Phase phase = Phase::Pending;
        TimePoint actionAt;             // Pending: auto-accept/drop; Extended: refresh
        std::uint32_t timeoutSeconds = 0;
        std::uint32_t nextSeq = 1;
        std::deque<std::pair<std::uint32_t, TimePoint>> unacked;  // Seq, deadline
    };

    Message makeReport(const std::string& transId, Open& t, ReportStatus status,
                       std::string_view contentType, std::string_view body, TimePoint now);
    Duration refreshDelay(const Open& t) const;

    Config config_;
    std::map<std::string, Open, std::less<>> open_;
};

}  // namespace parley::proto::cfw

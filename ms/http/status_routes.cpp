#include "ms/http/status_routes.hpp"

#include <algorithm>
#include <sstream>

namespace parley::ms {

std::string healthJson(const MsStatus& s) {
    std::ostringstream os;
    os << "{\"status\":\"ok\""
       << ",\"uptimeSeconds\":" << static_cast<std::uint64_t>(s.uptimeSeconds)
       << ",\"controlDialogs\":" << s.controlDialogs
       << ",\"connections\":" << s.control.connectionsOpen
       << ",\"channelsUp\":" << s.control.channelsUp
       << ",\"cfwMessagesIn\":" << s.control.messagesIn
       << ",\"cfwMessagesOut\":" << s.control.messagesOut
       << ",\"mediaDialogs\":" << s.mediaDialogs.live << ",\"legs\":" << s.media.legs
       << ",\"conferences\":" << s.media.conferences << ",\"joins\":" << s.media.joins
       << ",\"mediaWorkers\":" << s.media.workers.size() << "}";
    return os.str();
}

namespace {

void metric(std::ostringstream& os, const char* name, const char* type, const char* help,
            double value) {
    os << "# HELP parley_ms_" << name << ' ' << help << "\n# TYPE parley_ms_" << name << ' ' << type
       << "\nparley_ms_" << name << ' ' << value << '\n';
}

}  // namespace

std::string metricsText(const MsStatus& s) {
    std::ostringstream os;
    os.precision(15);
    const auto& c = s.control;
    metric(os, "uptime_seconds", "gauge", "Seconds since parley-ms started.", s.uptimeSeconds);
    metric(os, "control_dialogs", "gauge", "Live SIP control dialogs.", double(s.controlDialogs));
    metric(os, "cfw_connections", "gauge", "Open CFW TCP connections, synchronised or not.",
           double(c.connectionsOpen));
    metric(os, "cfw_channels_up", "gauge", "CFW channels past SYNC.", double(c.channelsUp));
    metric(os, "cfw_connections_accepted_total", "counter", "CFW connections accepted.",
           double(c.connectionsAccepted));
    metric(os, "cfw_connections_refused_total", "counter",
           "CFW connections refused over the limit.", double(c.connectionsRefused));
    metric(os, "cfw_messages_in_total", "counter", "CFW messages received.", double(c.messagesIn));
    metric(os, "cfw_messages_out_total", "counter", "CFW messages sent.", double(c.messagesOut));
    metric(os, "cfw_keepalives_in_total", "counter", "K-ALIVE requests received.",
           double(c.keepAlivesReceived));
    metric(os, "cfw_parse_errors_total", "counter", "Malformed CFW input.", double(c.parseErrors));
    metric(os, "cfw_error_responses_total", "counter", "CFW 4xx/5xx answers sent.",
           double(c.errorResponses));
    metric(os, "cfw_keepalive_expiries_total", "counter", "Channels closed for keep-alive expiry.",
           double(c.keepAliveExpiries));
    metric(os, "sip_invites_refused_total", "counter", "INVITEs answered with an error.",
           double(s.invitesRefused));

    const auto& m = s.media;
    const rtp::RtpCounters& ended = m.endedLegs.rtp;
    std::uint64_t ticks = 0, late = 0, skipped = 0, maxTick = 0, rtpIn = ended.packetsIn,
                  rtpOut = ended.packetsOut, malformed = ended.malformed,
                  strangers = ended.strangers + ended.rtcpStrangers,
                  rtcpMalformed = ended.rtcpMalformed, overflow = m.endedLegs.jitterOverflow,
                  trimmed = m.endedLegs.jitterTrimmed, readLimits = ended.readLimitHits,
                  jitterMax = 0, jitterMeanSum = 0;
    for (const auto& w : m.workers) {
        ticks += w.ticks;
        late += w.lateWakeups;
        skipped += w.skippedTicks;
        maxTick = std::max(maxTick, w.maxTickMicros);
        rtpIn += w.rtpIn;
        rtpOut += w.rtpOut;
        malformed += w.malformed;
        strangers += w.strangers;
        rtcpMalformed += w.rtcpMalformed;
        overflow += w.jitterOverflow;
        trimmed += w.jitterTrimmed;
        readLimits += w.readLimitHits;
        jitterMax = std::max(jitterMax, w.jitterDelayMaxMicros);
        jitterMeanSum += w.jitterDelayMeanMicros;
    }
    metric(os, "media_dialogs", "gauge", "Live media dialogs.", double(s.mediaDialogs.live));
    metric(os, "media_dialogs_answered_total", "counter", "Media dialogs answered 200.",
           double(s.mediaDialogs.answered));
    metric(os, "media_reinvites_total", "counter", "re-INVITEs in media dialogs.",
           double(s.mediaDialogs.reinvites));
    metric(os, "media_workers", "gauge", "Media worker threads.", double(m.workers.size()));
    metric(os, "media_workers_io_uring", "gauge",
           "Media worker threads sending RTP through io_uring (the others use sendto).",
           double(std::count_if(m.workers.begin(), m.workers.end(),
                                [](const auto& w) { return w.sendRing; })));
    metric(os, "media_workers_io_uring_receive", "gauge",
           "Media worker threads receiving RTP through io_uring (the others use recvmmsg).",
           double(std::count_if(m.workers.begin(), m.workers.end(),
                                [](const auto& w) { return w.recvRing; })));
    metric(os, "media_legs", "gauge", "RTP legs.", double(m.legs));
    metric(os, "mixer_conferences", "gauge", "Conferences.", double(m.conferences));
    metric(os, "mixer_joins", "gauge", "Joins.", double(m.joins));
    metric(os, "media_leg_moves_total", "counter", "Legs moved between workers.",
           double(m.legMoves));
    metric(os, "media_ticks_total", "counter", "20 ms ticks run, all workers.", double(ticks));
    metric(os, "media_late_wakeups_total", "counter", "Ticks that woke after a later deadline.",
           double(late));
    metric(os, "media_skipped_ticks_total", "counter", "Ticks dropped beyond the catch-up limit.",
           double(skipped));
    metric(os, "media_tick_max_microseconds", "gauge", "Longest tick so far.", double(maxTick));
    metric(os, "rtp_packets_in_total", "counter", "RTP packets received.", double(rtpIn));
    metric(os, "rtp_packets_out_total", "counter", "RTP packets sent.", double(rtpOut));
    metric(os, "rtp_malformed_total", "counter", "Malformed RTP packets dropped.",
           double(malformed));
    metric(os, "rtp_strangers_total", "counter",
           "RTP/RTCP packets from a source other than the latched one.", double(strangers));
    metric(os, "rtcp_malformed_total", "counter", "Malformed RTCP packets dropped.",
           double(rtcpMalformed));
    metric(os, "rtp_read_limit_hits_total", "counter",
           "RTP reads stopped at the per-leg bound of a tick (floods).", double(readLimits));
    metric(os, "media_jitter_delay_max_microseconds", "gauge",
           "Largest jitter-buffer delay of a leg receiving audio.", double(jitterMax));
    metric(os, "media_jitter_delay_mean_microseconds", "gauge",
           "Mean jitter-buffer delay of the legs receiving audio (mean over workers).",
           m.workers.empty() ? 0.0 : double(jitterMeanSum) / double(m.workers.size()));
    metric(os, "rtp_jitter_overflow_total", "counter", "Frames dropped by full jitter buffers.",
           double(overflow));
    metric(os, "rtp_jitter_trimmed_total", "counter",
           "Frames dropped from a standing jitter-buffer backlog (late processing, clock drift).",
           double(trimmed));
    metric(os, "rtp_digits_total", "counter", "RFC 4733 digits received.", double(m.digits));
    return os.str();
}

void addStatusRoutes(common::HttpRouter& router,
                     std::function<std::optional<MsStatus>()> snapshot) {
    router.add("GET", "/health", [snapshot](const common::HttpRequest&) {
        auto s = snapshot();
        if (!s)
            return common::HttpResponse::error(503, "unavailable",
                                               "the control thread does not answer");
        return common::HttpResponse::json(200, healthJson(*s));
    });
    router.add("GET", "/metrics", [snapshot](const common::HttpRequest&) {
        auto s = snapshot();
        if (!s)
            return common::HttpResponse::error(503, "unavailable",
                                               "the control thread does not answer");
        common::HttpResponse r;
        r.status = 200;
        r.contentType = "text/plain; version=0.0.4";
        r.body = metricsText(*s);
        return r;
    });
}

}  // namespace parley::ms

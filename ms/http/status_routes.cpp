#include "ms/http/status_routes.hpp"

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
       << ",\"cfwMessagesOut\":" << s.control.messagesOut << "}";
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

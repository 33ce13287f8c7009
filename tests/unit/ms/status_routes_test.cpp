#include <catch2/catch.hpp>

#include "ms/http/status_routes.hpp"

namespace parley::ms {

TEST_CASE("ms: status: /health JSON and /metrics text carry the counts", "[ms][http]") {
    MsStatus s;
    s.controlDialogs = 3;
    s.control.connectionsOpen = 4;
    s.control.channelsUp = 2;
    s.control.messagesIn = 1234;
    s.control.errorResponses = 5;
    std::string h = healthJson(s);
    CHECK(h.find("\"status\":\"ok\"") != std::string::npos);
    CHECK(h.find("\"controlDialogs\":3") != std::string::npos);
    CHECK(h.find("\"channelsUp\":2") != std::string::npos);
    std::string m = metricsText(s);
    CHECK(m.find("# TYPE parley_ms_cfw_channels_up gauge\nparley_ms_cfw_channels_up 2\n") !=
          std::string::npos);
    CHECK(m.find("parley_ms_cfw_messages_in_total 1234\n") != std::string::npos);
    CHECK(m.find("parley_ms_cfw_error_responses_total 5\n") != std::string::npos);
    CHECK(m.find("parley_ms_control_dialogs 3\n") != std::string::npos);

    // Media workers: read bounds and jitter delay.
    plane::WorkerStats w1, w2;
    w1.readLimitHits = 7;
    w1.jitterDelayMaxMicros = 40000;
    w1.jitterDelayMeanMicros = 20000;
    w2.readLimitHits = 3;
    w2.jitterDelayMaxMicros = 25000;
    w2.jitterDelayMeanMicros = 10000;
    w1.jitterTrimmed = 4;
    w2.jitterTrimmed = 5;
    w1.sendRing = w2.sendRing = true;
    w2.recvRing = true;
    s.media.workers = {w1, w2};
    m = metricsText(s);
    CHECK(m.find("parley_ms_rtp_read_limit_hits_total 10\n") != std::string::npos);
    CHECK(m.find("parley_ms_media_workers_io_uring 2\n") != std::string::npos);
    CHECK(m.find("parley_ms_media_workers_io_uring_receive 1\n") != std::string::npos);
    CHECK(m.find("parley_ms_media_jitter_delay_max_microseconds 40000\n") != std::string::npos);
    CHECK(m.find("parley_ms_media_jitter_delay_mean_microseconds 15000\n") != std::string::npos);
    CHECK(m.find("# TYPE parley_ms_rtp_jitter_trimmed_total counter\nparley_ms_rtp_jitter_trimmed_total 9\n") !=
          std::string::npos);
}

TEST_CASE("ms: status: routes answer 503 when the loop does not", "[ms][http]") {
    common::HttpRouter router;
    bool available = false;
    addStatusRoutes(router, [&]() -> std::optional<MsStatus> {
        if (!available) return std::nullopt;
        return MsStatus{};
    });
    common::HttpRequest req;
    req.method = "GET";
    req.path = "/health";
    CHECK(router.dispatch(req).status == 503);
    available = true;
    CHECK(router.dispatch(req).status == 200);
    req.path = "/metrics";
    auto r = router.dispatch(req);
    CHECK(r.status == 200);
    CHECK(r.contentType.find("text/plain") == 0);
}

}  // namespace parley::ms

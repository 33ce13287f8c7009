#pragma once
// GET /health and GET /metrics of parley-ms.
//
// Both answer from an MsStatus snapshot that the `snapshot` function takes on the loop
// thread (through callOnLoop); when the loop does not answer in time they give 503.
//   /health   {"status":"ok","controlDialogs":N,"connections":N,"channelsUp":N,...}
//   /metrics  Prometheus text exposition format 0.0.4, every name prefixed parley_ms_.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/http_server.hpp"
#include "ms/control/control_server.hpp"
#include "ms/plane/media_plane.hpp"
#include "ms/sip/media_dialogs.hpp"

namespace parley::ms {

struct MsStatus {
    ControlStats control;
    std::uint64_t controlDialogs = 0;
    std::uint64_t invitesRefused = 0;
    double uptimeSeconds = 0;
    plane::PlaneStats media;
    MediaDialogStats mediaDialogs;
};

std::string healthJson(const MsStatus& status);
std::string metricsText(const MsStatus& status);

void addStatusRoutes(common::HttpRouter& router, std::function<std::optional<MsStatus>()> snapshot);

}  // namespace parley::ms

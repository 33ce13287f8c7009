#pragma once
// GET /recordings/{name} on parley-ms's HTTP listener: the recordings the MS named itself
// (recordinfo <mediainfo loc="http://.../recordings/NAME">), so the AS can fetch them.
//
// Only plain file names inside the record directory are served (no '/', no leading '.',
// which also hides uploads in progress); anything else is 404. Files larger than
// kMaxServedBytes get 413 (they stay on disk). Content-Type audio/wav.

#include <cstddef>
#include <string>

#include "common/http_server.hpp"

namespace parley::ms {

inline constexpr std::size_t kMaxServedBytes = 512u << 20;

void addRecordingRoutes(common::HttpRouter& router, const std::string& recordDir);

}  // namespace parley::ms

#include "ms/http/recording_routes.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/log.hpp"

namespace parley::ms {

namespace {

bool plainName(const std::string& name) {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    for (char c : name) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                        c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

void addRecordingRoutes(common::HttpRouter& router, const std::string& recordDir) {
    router.add("GET", "/recordings/{name}", [recordDir](const common::HttpRequest& req) {
        const auto it = req.params.find("name");
        const std::string name = it == req.params.end() ? std::string() : it->second;
        if (!plainName(name))
            return common::HttpResponse::error(404, "not_found", "no such recording");
        const std::filesystem::path path = std::filesystem::path(recordDir) / name;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
            return common::HttpResponse::error(404, "not_found", "no such recording");
        const auto size = std::filesystem::file_size(path, ec);
        if (ec) return common::HttpResponse::error(404, "not_found", "no such recording");
        if (size > kMaxServedBytes)
            return common::HttpResponse::error(413, "too_large",
                                               "recording larger than the HTTP limit");
        std::ifstream in(path, std::ios::binary);
        if (!in) return common::HttpResponse::error(404, "not_found", "no such recording");
        common::HttpResponse r;
        r.contentType = "audio/wav";
        r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (!in && !in.eof()) {
            PARLEY_LOG_WARN(common::logger("ms.http"), "recording " << name << ": read failed");
            return common::HttpResponse::error(500, "read_failed", "cannot read the recording");
        }
        return r;
    });
}

}  // namespace parley::ms

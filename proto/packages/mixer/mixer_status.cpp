#include "proto/packages/mixer/mixer_status.hpp"

#include <algorithm>
#include <utility>

namespace parley::proto::mixer {
namespace {

struct StatusInfo {
    int code;
    std::string_view phrase;
};

// RFC 6505 section 4.6, Table 1 (summaries).
constexpr StatusInfo kStatuses[] = {
    {status::kOk, "OK"},
    {status::kSyntaxError, "Syntax error"},
    {status::kConferenceExists, "Conference already exists"},
    {status::kConferenceNotFound, "Conference does not exist"},
    {status::kIncompatibleStream, "Incompatible stream configuration"},
    {status::kAlreadyJoined, "Joining entities already joined"},
    {status::kNotJoined, "Joining entities not joined"},
    {status::kConferenceFull, "Unable to join - conference full"},
    {status::kJoinOperationFailed, "Unable to perform join mixer operation"},
    {status::kConnectionNotFound, "Connection does not exist"},
    {status::kExecutionError, "Other execution error"},
    {status::kReservationFailed, "Conference reservation failed"},
    {status::kAudioMixUnsupported, "Unable to configure audio mix"},
    {status::kStreamUnsupported, "Unsupported media stream configuration"},
    {status::kVideoLayoutsUnsupported, "Unable to configure video layouts"},
    {status::kVideoSwitchUnsupported, "Unable to configure video switch"},
    {status::kCodecsUnsupported, "Unable to configure codecs"},
    {status::kConnectionMixingUnsupported, "Unable to join - mixing connections not supported"},
    {status::kConferenceMixingUnsupported, "Unable to join - mixing conferences not supported"},
    {status::kUnsupportedForeign, "Unsupported foreign namespace attribute or element"},
    {status::kOtherUnsupported, "Other unsupported capability"},
};

const StatusInfo* find(int code) {
    auto it = std::find_if(std::begin(kStatuses), std::end(kStatuses),
                           [&](const StatusInfo& s) { return s.code == code; });
    return it == std::end(kStatuses) ? nullptr : it;
}

}  // namespace

const std::vector<int>& knownStatuses() {
    static const std::vector<int> codes = [] {
        std::vector<int> v;
        for (const auto& s : kStatuses) v.push_back(s.code);
        return v;
    }();
    return codes;
}

int normalizeStatus(int code) {
    if (find(code)) return code;
    return (code / 100) * 100;
}

std::string_view reasonPhrase(int code) {
    if (const StatusInfo* s = find(normalizeStatus(code))) return s->phrase;
    return {};
}

Response makeResponse(int status, std::string reason, std::optional<std::string> conferenceId,
                      std::optional<std::string> connectionId) {
    Response r;
    r.status = status;
    if (reason.empty()) reason = std::string(reasonPhrase(status));
    if (!reason.empty()) r.reason = std::move(reason);
    r.conferenceId = std::move(conferenceId);
    r.connectionId = std::move(connectionId);
    return r;
}

AuditResponse makeAuditResponse(int status, std::string reason) {
    AuditResponse r;
    r.status = status;
    if (reason.empty()) reason = std::string(reasonPhrase(status));
    if (!reason.empty()) r.reason = std::move(reason);
    return r;
}

CapabilitiesBuilder& CapabilitiesBuilder::codec(std::string name, std::string subtype,
                                                std::vector<Param> params) {
    caps_.codecs.push_back(Codec{std::move(name), std::move(subtype), std::move(params)});
    return *this;
}

}  // namespace parley::proto::mixer

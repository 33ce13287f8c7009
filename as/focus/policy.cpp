#include "as/focus/policy.hpp"

#include <algorithm>
#include <functional>
#include <optional>

namespace parley::as {

namespace {

struct Rule {
    const char* name;
    int status;
    const char* reason;
    std::function<bool(const RoomConfig&, const AdmissionRequest&)> refuses;
};

// A pattern matches the caller's URI as given or without port and parameters: a pattern
// such as "sip:*@example.com" names people, and "sip:alice@example.com:5062;transport=tcp" is
// still alice at example.com.
bool anyMatches(const std::vector<std::string>& patterns, const std::string& uri) {
    std::string identity = callerIdentity(uri);
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
        return uriMatches(p, uri) || uriMatches(p, identity);
    });
}

const std::vector<Rule>& rules() {
    static const std::vector<Rule> kRules{
        {"deny", 403, "Caller not allowed",
         [](const RoomConfig& r, const AdmissionRequest& q) { return anyMatches(r.deny, q.callerUri); }},
        {"allow", 403, "Caller not allowed",
         [](const RoomConfig& r, const AdmissionRequest& q) {
             return !r.allow.empty() && !anyMatches(r.allow, q.callerUri);
         }},
        {"locked", 403, "Conference locked",
         [](const RoomConfig& r, const AdmissionRequest& q) { return r.locked && !q.bypassLock; }},
        {"full", 486, "Conference full",
         [](const RoomConfig& r, const AdmissionRequest& q) {
             return r.maxParticipants != 0 && q.participants >= r.maxParticipants;
         }},
    };
    return kRules;
}

}  // namespace

std::string callerIdentity(std::string_view uri) {
    std::string out(uri.substr(0, uri.find_first_of(";?")));
    auto at = out.find('@');
    auto hostStart = at == std::string::npos ? out.find(':') : at;
    if (hostStart == std::string::npos) return out;
    if (out.size() > hostStart + 1 && out[hostStart + 1] == '[') {  // [v6]:port
        auto close = out.find(']', hostStart);
        if (close != std::string::npos) out.resize(close + 1);
        return out;
    }
    if (auto colon = out.find(':', hostStart + 1); colon != std::string::npos) out.resize(colon);
    return out;
}

Admission admit(const RoomConfig& room, const AdmissionRequest& request) {
    Admission a;
    for (const Rule& rule : rules()) {
        if (rule.refuses(room, request)) {
            a.status = rule.status;
            a.reason = rule.reason;
            a.rule = rule.name;
            return a;
        }
    }
    a.needPin = !request.bypassLock && (!room.pin.empty() || !room.moderatorPin.empty());
    return a;
}

bool isModeratorPin(const RoomConfig& room, std::string_view digits) {
    return !room.moderatorPin.empty() && digits == room.moderatorPin;
}

bool isParticipantPin(const RoomConfig& room, std::string_view digits) {
    if (room.pin.empty()) return true;
    return digits == room.pin;
}

}  // namespace parley::as

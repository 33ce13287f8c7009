#include "as/rest/api_json.hpp"

#include <cmath>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "as/rest/media_servers_api.hpp"

namespace parley::as::api {

namespace {

common::Error fieldError(const std::string& field, const std::string& what) {
    return common::Error(400, field + ": " + what);
}

bool present(const JsonObject& body, const char* name) { return body->has(name) && !body->isNull(name); }

}  // namespace

common::Result<JsonObject> parseObject(const std::string& body, bool emptyIsObject) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
        if (emptyIsObject) return JsonObject(new Poco::JSON::Object);
        return fieldError("body", "a JSON object is required");
    }
    try {
        Poco::JSON::Parser parser;
        parser.setDepth(32);
        Poco::Dynamic::Var v = parser.parse(body);
        if (v.type() != typeid(Poco::JSON::Object::Ptr)) return fieldError("body", "must be a JSON object");
        return v.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        return fieldError("body", "malformed JSON (" + e.message() + ")");
    } catch (const std::exception& e) {
        return fieldError("body", std::string("malformed JSON (") + e.what() + ")");
    }
}

common::Status onlyKnown(const JsonObject& body, std::initializer_list<const char*> known) {
    for (const auto& [name, value] : *body) {
        bool ok = false;
        for (const char* k : known) ok = ok || name == k;
        if (!ok) return fieldError(name.size() > 64 ? name.substr(0, 64) + "..." : name, "unknown member");
    }
    return {};
}

common::Status readBool(const JsonObject& body, const char* name, std::optional<bool>& out) {
    if (!present(body, name)) return {};
    const auto v = body->get(name);
    if (!v.isBoolean()) return fieldError(name, "must be true or false");
    out = v.extract<bool>();
    return {};
}

common::Status readString(const JsonObject& body, const char* name, std::optional<std::string>& out,
                          std::size_t maxBytes) {
    if (!present(body, name)) return {};
    const auto v = body->get(name);
    if (!v.isString()) return fieldError(name, "must be a string");
    std::string s = v.convert<std::string>();
    if (s.size() > maxBytes) return fieldError(name, "longer than " + std::to_string(maxBytes) + " bytes");
    out = std::move(s);
    return {};
}

common::Status readUint(const JsonObject& body, const char* name, std::optional<std::uint64_t>& out,
                        std::uint64_t min, std::uint64_t max) {
    if (!present(body, name)) return {};
    const auto v = body->get(name);
    std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!v.isNumeric() || v.isBoolean()) return fieldError(name, "must be " + range);
    double d = v.convert<double>();
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max))
        return fieldError(name, "must be " + range);
    out = static_cast<std::uint64_t>(d);
    return {};
}

common::Status readNumber(const JsonObject& body, const char* name, std::optional<double>& out, double min,
                          double max) {
    if (!present(body, name)) return {};
    const auto v = body->get(name);
    std::ostringstream range;
    range << "a number from " << min << " to " << max;
    if (!v.isNumeric() || v.isBoolean()) return fieldError(name, "must be " + range.str());
    double d = v.convert<double>();
    if (!std::isfinite(d) || d < min || d > max) return fieldError(name, "must be " + range.str());
    out = d;
    return {};
}

common::Status readStrings(const JsonObject& body, const char* name,
                           std::optional<std::vector<std::string>>& out, std::size_t maxItems,
                           std::size_t maxBytes) {
    if (!present(body, name)) return {};
    const auto v = body->get(name);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) return fieldError(name, "must be an array of strings");
    auto array = v.extract<Poco::JSON::Array::Ptr>();
    if (array->size() > maxItems)
        return fieldError(name, "more than " + std::to_string(maxItems) + " items");
    std::vector<std::string> items;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto item = array->get(static_cast<unsigned>(i));
        std::string field = std::string(name) + "[" + std::to_string(i) + "]";
        if (!item.isString()) return fieldError(field, "must be a string");
        std::string s = item.convert<std::string>();
        if (s.size() > maxBytes) return fieldError(field, "longer than " + std::to_string(maxBytes) + " bytes");
        items.push_back(std::move(s));
    }
    out = std::move(items);
    return {};
}

common::Status queryBool(const common::HttpRequest& r, const char* name, std::optional<bool>& out) {
    auto it = r.query.find(name);
    if (it == r.query.end()) return {};
    if (it->second == "true") out = true;
    else if (it->second == "false") out = false;
    else return fieldError(name, "must be true or false");
    return {};
}

common::Status queryUint(const common::HttpRequest& r, const char* name, std::uint64_t& out,
                         std::uint64_t min, std::uint64_t max) {
    auto it = r.query.find(name);
    if (it == r.query.end()) return {};
    const std::string& s = it->second;
    std::string range = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos)
        return fieldError(name, range);
    std::uint64_t v = std::stoull(s);
    if (v < min || v > max) return fieldError(name, range);
    out = v;
    return {};
}

std::string codeWord(int status) {
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "too_large";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    case 504: return "timeout";
    default: return status >= 500 ? "internal" : "conflict";
    }
}

common::HttpResponse errorResponse(const common::Error& error) {
    int status = error.code;
    switch (status) {
    case 400: case 401: case 403: case 404: case 409: case 413: case 429: case 500: case 503: case 504: break;
    default:
        if (status >= 400 && status < 500) status = 409;      // SIP-only (480, 486, 488...)
        else if (status >= 500 && status < 700) status = 503;  // 5xx/6xx from a peer
        else status = 500;
    }
    return common::HttpResponse::error(status, codeWord(status), error.message);
}

common::HttpResponse loopBusy() {
    return common::HttpResponse::error(503, "loop_busy", "the signalling loop did not answer in time");
}

common::Status applyRoomFields(const JsonObject& body, RoomConfig& room, bool creating) {
    if (!creating && body->has("name")) return fieldError("name", "cannot be changed (create a new conference)");
    if (auto ok = onlyKnown(body, {"name", "displayName", "pin", "moderatorPin", "maxParticipants", "locked",
                                   "waitForModerator", "endWhenModeratorLeaves", "muteOnJoin",
                                   "announceJoinLeave", "recordNames", "recordFromStart", "eventsUrl",
                                   "allow", "deny"});
        !ok)
        return ok;
    std::optional<std::string> s;
    std::optional<bool> b;
    std::optional<std::uint64_t> u;
    std::optional<std::vector<std::string>> list;
#define PARLEY_TAKE_STRING(key, member)                          \
    s.reset();                                                   \
    if (auto ok = readString(body, key, s, 2048); !ok) return ok; \
    if (s) room.member = *s;
#define PARLEY_TAKE_BOOL(key, member)                     \
    b.reset();                                            \
    if (auto ok = readBool(body, key, b); !ok) return ok; \
    if (b) room.member = *b;
    PARLEY_TAKE_STRING("name", name)
    PARLEY_TAKE_STRING("displayName", displayName)
    PARLEY_TAKE_STRING("pin", pin)
    PARLEY_TAKE_STRING("moderatorPin", moderatorPin)
    PARLEY_TAKE_STRING("eventsUrl", eventsUrl)
    PARLEY_TAKE_BOOL("locked", locked)
    PARLEY_TAKE_BOOL("waitForModerator", waitForModerator)
    PARLEY_TAKE_BOOL("endWhenModeratorLeaves", endWhenModeratorLeaves)
    PARLEY_TAKE_BOOL("muteOnJoin", muteOnJoin)
    PARLEY_TAKE_BOOL("announceJoinLeave", announceJoinLeave)
    PARLEY_TAKE_BOOL("recordNames", recordNames)
    PARLEY_TAKE_BOOL("recordFromStart", recordFromStart)
#undef PARLEY_TAKE_STRING
#undef PARLEY_TAKE_BOOL
    if (auto ok = readUint(body, "maxParticipants", u, 0, 100000); !ok) return ok;
    if (u) room.maxParticipants = static_cast<std::uint32_t>(*u);
    if (auto ok = readStrings(body, "allow", list, kMaxPatterns, kMaxPatternLength); !ok) return ok;
    if (list) room.allow = std::move(*list);
    list.reset();
    if (auto ok = readStrings(body, "deny", list, kMaxPatterns, kMaxPatternLength); !ok) return ok;
    if (list) room.deny = std::move(*list);
    // The store's rules (name syntax, PIN digits, URL...) with their field names.
    return validateRoom(room);
}

Poco::Dynamic::Var timeOrNull(std::chrono::system_clock::time_point t) {
    if (t.time_since_epoch().count() == 0) return Poco::Dynamic::Var();
    return formatUtc(t);
}

Poco::JSON::Object roomJson(const RoomConfig& room, const RoomStatus* live, const std::string& uri) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("name", room.name);
    o.set("uri", live && !live->uri.empty() ? live->uri : uri);
    o.set("displayName", room.displayName);
    o.set("active", live != nullptr);
    o.set("participants", static_cast<Poco::UInt64>(live ? live->participants : 0));
    o.set("moderators", static_cast<Poco::UInt64>(live ? live->moderators : 0));
    o.set("adHoc", room.adHoc);
    o.set("hasPin", !room.pin.empty());
    o.set("hasModeratorPin", !room.moderatorPin.empty());
    o.set("maxParticipants", static_cast<Poco::UInt64>(room.maxParticipants));
    o.set("locked", room.locked);
    o.set("waitForModerator", room.waitForModerator);
    o.set("endWhenModeratorLeaves", room.endWhenModeratorLeaves);
    o.set("muteOnJoin", room.muteOnJoin);
    o.set("announceJoinLeave", room.announceJoinLeave);
    o.set("recordNames", room.recordNames);
    o.set("recordFromStart", room.recordFromStart);
    o.set("eventsUrl", room.eventsUrl.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(room.eventsUrl));
    Poco::JSON::Array allow, deny;
    for (const auto& a : room.allow) allow.add(a);
    for (const auto& d : room.deny) deny.add(d);
    o.set("allow", allow);
    o.set("deny", deny);
    return o;
}

Poco::JSON::Object participantJson(const ParticipantInfo& p) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", p.id);
    o.set("conference", p.room);
    o.set("uri", p.uri);
    o.set("displayName", p.displayName);
    o.set("role", p.role);
    o.set("state", p.state);
    o.set("direction", p.direction);
    o.set("muted", p.muted);
    o.set("deaf", p.deaf);
    o.set("talking", p.talking);
    o.set("held", p.held);
    o.set("volumeDb", p.volumeDb);
    Poco::JSON::Array coach;
    for (const auto& c : p.coach) coach.add(c);
    o.set("coach", coach);
    o.set("joinedAt", timeOrNull(p.joinedAt));
    o.set("callId", p.callId);
    o.set("connectionId", p.connectionId);
    return o;
}

Poco::JSON::Object recordingJson(const RecordingRecord& r) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("id", r.id);
    o.set("conference", r.room);
    o.set("participant", r.participant.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.participant));
    o.set("state", r.state);
    o.set("startedAt", timeOrNull(r.startedAt));
    o.set("endedAt", timeOrNull(r.endedAt));
    o.set("durationMs", static_cast<Poco::Int64>(r.duration.count()));
    o.set("media", r.state == "ready" ? Poco::Dynamic::Var("/v1/recordings/" + r.id + "/media")
                                      : Poco::Dynamic::Var());
    return o;
}

std::string stringify(const Poco::JSON::Object& o) {
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

std::string stringify(const Poco::JSON::Array& a) {
    std::ostringstream out;
    a.stringify(out);
    return out.str();
}

}  // namespace parley::as::api

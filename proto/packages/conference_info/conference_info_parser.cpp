// The reader of conference-info documents (see conference_info.hpp for what it refuses).
#include <charconv>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <string>
#include <utility>

#include "proto/packages/conference_info/conference_info.hpp"

namespace parley::proto::confinfo {
namespace {

using common::Error;
using common::Result;
using common::Status;

#define CONFINFO_TRY(expr)             \
    do {                               \
        if (auto st_ = (expr); !st_) { \
            return st_.error();        \
        }                              \
    } while (0)

Error invalid(const xml::Element& e, std::string_view what) {
    return common::makeError(400, "<" + e.local + "> line " + std::to_string(e.line) + ": " +
                                      std::string(what));
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string> splitList(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && isSpace(s[i])) ++i;
        std::size_t start = i;
        while (i < s.size() && !isSpace(s[i])) ++i;
        if (i > start) out.emplace_back(s.substr(start, i - start));
    }
    return out;
}

template <typename E>
using Names = std::span<const std::pair<std::string_view, E>>;

template <typename E>
Result<E> enumValue(const xml::Element& e, std::type_identity_t<Names<E>> names) {
    std::string_view v = trim(e.text);
    for (const auto& [name, value] : names)
        if (name == v) return value;
    return invalid(e, "unknown value '" + std::string(v.substr(0, 40)) + "'");
}

constexpr std::pair<std::string_view, State> kStates[] = {
    {"full", State::Full}, {"partial", State::Partial}, {"deleted", State::Deleted}};
constexpr std::pair<std::string_view, EndpointStatus> kEndpointStatuses[] = {
    {"pending", EndpointStatus::Pending},         {"dialing-out", EndpointStatus::DialingOut},
    {"dialing-in", EndpointStatus::DialingIn},    {"alerting", EndpointStatus::Alerting},
    {"on-hold", EndpointStatus::OnHold},          {"connected", EndpointStatus::Connected},
    {"muted-via-focus", EndpointStatus::MutedViaFocus},
    {"disconnecting", EndpointStatus::Disconnecting},
    {"disconnected", EndpointStatus::Disconnected}};
constexpr std::pair<std::string_view, JoiningMethod> kJoiningMethods[] = {{"dialed-in", JoiningMethod::DialedIn},
                                                  {"dialed-out", JoiningMethod::DialedOut},
                                                  {"focus-owner", JoiningMethod::FocusOwner}};
constexpr std::pair<std::string_view, DisconnectionMethod> kDisconnectionMethods[] = {
    {"departed", DisconnectionMethod::Departed}, {"booted", DisconnectionMethod::Booted},
    {"failed", DisconnectionMethod::Failed},     {"busy", DisconnectionMethod::Busy}};
constexpr std::pair<std::string_view, MediaStatus> kMediaStatuses[] = {{"recvonly", MediaStatus::RecvOnly},
                                               {"sendonly", MediaStatus::SendOnly},
                                               {"sendrecv", MediaStatus::SendRecv},
                                               {"inactive", MediaStatus::Inactive}};

Result<uint32_t> unsignedValue(const xml::Element& e) {
    std::string_view v = trim(e.text);
    if (!v.empty() && v.front() == '+') v.remove_prefix(1);
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size())
        return invalid(e, "not an unsigned 32-bit number");
    return n;
}

Result<bool> boolValue(const xml::Element& e) {
    std::string_view v = trim(e.text);
    if (v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    return invalid(e, "not a boolean");
}

// The state attribute of conference-info, users, user, endpoint (default full).
Result<State> stateAttr(const xml::Element& e) {
    const std::string* s = e.attr("state");
    if (!s) return State::Full;
    std::string_view v = trim(*s);
    for (const auto& [name, value] : kStates)
        if (name == v) return value;
    return invalid(e, "bad state '" + std::string(v.substr(0, 40)) + "'");
}

using ChildHandler = std::function<Status(const xml::Element&)>;

// Runs the handler of each child of the package namespace by local name; skips foreign
// children; refuses unknown ones of the package and repeats of non-repeatable ones.
Status eachChild(const xml::Element& parent,
                 std::initializer_list<std::pair<std::string_view, ChildHandler>> handlers,
                 std::initializer_list<std::string_view> repeatable = {}) {
    std::vector<std::string_view> seen;
    for (const auto& child : parent.children) {
        if (child.ns != kNamespace) continue;  // an extension: ignored
        const ChildHandler* h = nullptr;
        std::string_view name;
        for (const auto& [n, fn] : handlers)
            if (n == child.local) {
                h = &fn;
                name = n;
            }
        if (!h) return invalid(child, "unexpected in <" + parent.local + ">");
        bool repeats = false;
        for (auto r : repeatable) repeats = repeats || r == name;
        if (!repeats) {
            for (auto s : seen)
                if (s == name) return invalid(child, "repeated");
            seen.push_back(name);
        }
        CONFINFO_TRY((*h)(child));
    }
    return {};
}

ChildHandler textInto(std::string& out) {
    return [&out](const xml::Element& e) -> Status {
        out = e.text;
        return {};
    };
}

template <typename E>
ChildHandler enumInto(std::optional<E>& out, std::type_identity_t<Names<E>> names) {
    return [&out, names](const xml::Element& e) -> Status {
        auto v = enumValue<E>(e, names);
        if (!v) return v.error();
        out = *v;
        return {};
    };
}

ChildHandler numberInto(std::optional<uint32_t>& out) {
    return [&out](const xml::Element& e) -> Status {
        auto v = unsignedValue(e);
        if (!v) return v.error();
        out = *v;
        return {};
    };
}

ChildHandler boolInto(std::optional<bool>& out) {
    return [&out](const xml::Element& e) -> Status {
        auto v = boolValue(e);
        if (!v) return v.error();
        out = *v;
        return {};
    };
}

ChildHandler listInto(std::vector<std::string>& out) {
    return [&out](const xml::Element& e) -> Status {
        out = splitList(e.text);
        return {};
    };
}

Status readUris(const xml::Element& list, std::vector<UriEntry>& out) {
    return eachChild(list, {{"entry", [&out](const xml::Element& e) -> Status {
                                 UriEntry entry;
                                 bool hasUri = false;
                                 CONFINFO_TRY(eachChild(
                                     e, {{"uri", [&](const xml::Element& u) -> Status {
                                              entry.uri = std::string(trim(u.text));
                                              hasUri = true;
                                              return {};
                                          }},
                                         {"display-text", textInto(entry.displayText)},
                                         {"purpose", textInto(entry.purpose)},
                                         {"modified", [](const xml::Element&) -> Status { return {}; }}}));
                                 if (!hasUri) return invalid(e, "missing <uri>");
                                 out.push_back(std::move(entry));
                                 return {};
                             }}},
                     {"entry"});
}

ChildHandler urisInto(std::vector<UriEntry>& out) {
    return [&out](const xml::Element& e) { return readUris(e, out); };
}

ChildHandler executionInto(std::optional<Execution>& out) {
    return [&out](const xml::Element& e) -> Status {
        Execution x;
        CONFINFO_TRY(eachChild(e, {{"when", textInto(x.when)},
                                   {"reason", textInto(x.reason)},
                                   {"by", textInto(x.by)}}));
        x.when = std::string(trim(x.when));
        x.by = std::string(trim(x.by));
        out = std::move(x);
        return {};
    };
}

Status readDescription(const xml::Element& e, ConferenceDescription& d) {
    return eachChild(
        e, {{"display-text", textInto(d.displayText)},
            {"subject", textInto(d.subject)},
            {"free-text", textInto(d.freeText)},
            {"keywords", listInto(d.keywords)},
            {"conf-uris", urisInto(d.confUris)},
            {"service-uris", urisInto(d.serviceUris)},
            {"maximum-user-count", numberInto(d.maximumUserCount)},
            {"available-media", [&d](const xml::Element& am) -> Status {
                 return eachChild(am, {{"entry", [&d](const xml::Element& en) -> Status {
                                            AvailableMedia m;
                                            const std::string* label = en.attr("label");
                                            if (!label) return invalid(en, "missing label");
                                            m.label = *label;
                                            bool hasType = false;
                                            CONFINFO_TRY(eachChild(
                                                en, {{"display-text", textInto(m.displayText)},
                                                     {"type", [&](const xml::Element& t) -> Status {
                                                          m.type = std::string(trim(t.text));
                                                          hasType = true;
                                                          return {};
                                                      }},
                                                     {"status", enumInto(m.status, kMediaStatuses)}}));
                                            if (!hasType) return invalid(en, "missing <type>");
                                            d.availableMedia.push_back(std::move(m));
                                            return {};
                                        }}},
                                  {"entry"});
             }}});
}

Status readMedia(const xml::Element& e, std::vector<Media>& out) {
    Media m;
    const std::string* id = e.attr("id");
    if (!id) return invalid(e, "missing id");
    m.id = *id;
    CONFINFO_TRY(eachChild(e, {{"display-text", textInto(m.displayText)},
                               {"type", textInto(m.type)},
                               {"label", textInto(m.label)},
                               {"src-id", textInto(m.srcId)},
                               {"status", enumInto(m.status, kMediaStatuses)}}));
    m.type = std::string(trim(m.type));
    m.label = std::string(trim(m.label));
    m.srcId = std::string(trim(m.srcId));
    out.push_back(std::move(m));
    return {};
}

Status readEndpoint(const xml::Element& e, std::vector<Endpoint>& out) {
    Endpoint ep;
    if (const std::string* entity = e.attr("entity")) ep.entity = *entity;
    auto state = stateAttr(e);
    if (!state) return state.error();
    ep.state = *state;
    CONFINFO_TRY(eachChild(
        e, {{"display-text", textInto(ep.displayText)},
            {"referred", executionInto(ep.referred)},
            {"status", enumInto(ep.status, kEndpointStatuses)},
            {"joining-method", enumInto(ep.joiningMethod, kJoiningMethods)},
            {"joining-info", executionInto(ep.joiningInfo)},
            {"disconnection-method", enumInto(ep.disconnectionMethod, kDisconnectionMethods)},
            {"disconnection-info", executionInto(ep.disconnectionInfo)},
            {"media", [&ep](const xml::Element& m) { return readMedia(m, ep.media); }},
            {"call-info", [&ep](const xml::Element& ci) -> Status {
                 return eachChild(ci, {{"sip", [&ep](const xml::Element& s) -> Status {
                                           SipDialogId id;
                                           CONFINFO_TRY(eachChild(s, {{"display-text", textInto(id.displayText)},
                                                                      {"call-id", textInto(id.callId)},
                                                                      {"from-tag", textInto(id.fromTag)},
                                                                      {"to-tag", textInto(id.toTag)}}));
                                           ep.callInfo = std::move(id);
                                           return {};
                                       }}});
             }}},
        {"media"}));
    out.push_back(std::move(ep));
    return {};
}

Status readUser(const xml::Element& e, std::vector<User>& out) {
    User u;
    if (const std::string* entity = e.attr("entity")) u.entity = *entity;
    auto state = stateAttr(e);
    if (!state) return state.error();
    u.state = *state;
    CONFINFO_TRY(eachChild(
        e, {{"display-text", textInto(u.displayText)},
            {"associated-aors", urisInto(u.associatedAors)},
            {"roles", [&u](const xml::Element& r) -> Status {
                 return eachChild(r, {{"entry", [&u](const xml::Element& en) -> Status {
                                          u.roles.emplace_back(trim(en.text));
                                          return {};
                                      }}},
                                  {"entry"});
             }},
            {"languages", listInto(u.languages)},
            {"cascaded-focus", textInto(u.cascadedFocus)},
            {"endpoint", [&u](const xml::Element& ep) { return readEndpoint(ep, u.endpoints); }}},
        {"endpoint"}));
    u.cascadedFocus = std::string(trim(u.cascadedFocus));
    out.push_back(std::move(u));
    return {};
}

}  // namespace

Result<ConferenceInfo> parse(std::string_view document, const xml::Limits& limits) {
    auto root = xml::parse(document, limits);
    if (!root) return root.error();
    const xml::Element& r = *root;
    if (!r.is(kNamespace, "conference-info"))
        return invalid(r, "not a conference-info document (namespace '" + r.ns + "')");
    ConferenceInfo info;
    const std::string* entity = r.attr("entity");
    if (!entity) return invalid(r, "missing entity");
    info.entity = *entity;
    auto state = stateAttr(r);
    if (!state) return state.error();
    info.state = *state;
    if (const std::string* version = r.attr("version")) {
        xml::Element v;
        v.local = "conference-info";
        v.line = r.line;
        v.text = *version;
        auto n = unsignedValue(v);
        if (!n) return invalid(r, "bad version");
        info.version = *n;
    }
    CONFINFO_TRY(eachChild(
        r, {{"conference-description", [&info](const xml::Element& e) -> Status {
                 info.description.emplace();
                 return readDescription(e, *info.description);
             }},
            {"host-info", [&info](const xml::Element& e) -> Status {
                 HostInfo h;
                 CONFINFO_TRY(eachChild(e, {{"display-text", textInto(h.displayText)},
                                            {"web-page", textInto(h.webPage)},
                                            {"uris", urisInto(h.uris)}}));
                 h.webPage = std::string(trim(h.webPage));
                 info.hostInfo = std::move(h);
                 return {};
             }},
            {"conference-state", [&info](const xml::Element& e) -> Status {
                 ConferenceState s;
                 CONFINFO_TRY(eachChild(e, {{"user-count", numberInto(s.userCount)},
                                            {"active", boolInto(s.active)},
                                            {"locked", boolInto(s.locked)}}));
                 info.conferenceState = s;
                 return {};
             }},
            {"users", [&info](const xml::Element& e) -> Status {
                 Users users;
                 auto st = stateAttr(e);
                 if (!st) return st.error();
                 users.state = *st;
                 CONFINFO_TRY(eachChild(
                     e, {{"user", [&users](const xml::Element& u) { return readUser(u, users.users); }}},
                     {"user"}));
                 info.users = std::move(users);
                 return {};
             }},
            {"sidebars-by-ref", urisInto(info.sidebarsByRef)},
            {"sidebars-by-val", [](const xml::Element&) -> Status { return {}; }}}));
    return info;
}

}  // namespace parley::proto::confinfo

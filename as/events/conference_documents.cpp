#include "as/events/conference_documents.hpp"

#include <algorithm>
#include <ctime>
#include <unordered_map>
#include <utility>

namespace parley::as {

namespace ci = proto::confinfo;

namespace {

constexpr const char* kAnonymousHost = "anonymous.invalid";
constexpr const char* kLegParameter = "parley-leg";
constexpr const char* kMediaId = "audio";
constexpr const char* kTalkingText = "talking";

// Adds ";name=value" to a SIP URI, before its headers ("?...") when it has any.
std::string withUriParameter(const std::string& uri, const std::string& name, const std::string& value) {
    std::string param = ";" + name + "=" + value;
    auto headers = uri.find('?');
    if (headers == std::string::npos) return uri + param;
    return uri.substr(0, headers) + param + uri.substr(headers);
}

bool hasMedia(ci::EndpointStatus s) {
    return s == ci::EndpointStatus::Connected || s == ci::EndpointStatus::MutedViaFocus ||
           s == ci::EndpointStatus::OnHold;
}

// Everything of a user but its endpoints (and its state, which only documents carry).
bool sameUserFields(const ci::User& a, const ci::User& b) {
    return a.entity == b.entity && a.displayText == b.displayText && a.associatedAors == b.associatedAors &&
           a.roles == b.roles && a.languages == b.languages && a.cascadedFocus == b.cascadedFocus;
}

// A user whose endpoints changed but nothing else: state partial, the changed endpoints in
// full, the departed ones deleted.
ci::User endpointDelta(const ci::User& before, const ci::User& after) {
    ci::User out;
    out.entity = after.entity;
    out.state = ci::State::Partial;
    std::unordered_map<std::string, const ci::Endpoint*> old;
    for (const auto& e : before.endpoints) old.emplace(e.entity, &e);
    for (const auto& e : after.endpoints) {
        auto it = old.find(e.entity);
        if (it == old.end() || !(*it->second == e)) out.endpoints.push_back(e);
        if (it != old.end()) old.erase(it);
    }
    for (const auto& e : before.endpoints) {
        if (!old.count(e.entity)) continue;
        ci::Endpoint gone;
        gone.entity = e.entity;
        gone.state = ci::State::Deleted;
        out.endpoints.push_back(std::move(gone));
    }
    return out;
}

}  // namespace

std::string utcDateTime(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm parts{};
    gmtime_r(&secs, &parts);
    char buf[48];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return std::string(buf, n);
}

ConferenceDocuments::ConferenceDocuments(RoomView room) : room_(std::move(room)) { published_ = current(); }

const ParticipantView* ConferenceDocuments::find(const std::string& key) const {
    auto it = participants_.find(key);
    return it == participants_.end() ? nullptr : &it->second.view;
}

void ConferenceDocuments::upsert(const ParticipantView& participant) {
    auto it = participants_.find(participant.key);
    if (it == participants_.end()) {
        Participant p;
        p.view = participant;
        p.seq = nextSeq_++;
        assignEntities(p);
        participants_.emplace(participant.key, std::move(p));
        pending_ = true;
        return;
    }
    Participant& p = it->second;
    if (p.view == participant) return;
    const bool identityChanged =
        p.view.entity != participant.entity ||
        (!participant.entity.empty() && p.view.endpointEntity != participant.endpointEntity);
    p.view = participant;
    if (identityChanged) assignEntities(p);
    pending_ = true;
}

bool ConferenceDocuments::remove(const std::string& key) {
    if (participants_.erase(key) == 0) return false;
    pending_ = true;
    return true;
}

void ConferenceDocuments::setRoom(const RoomView& room) {
    if (room == room_) return;
    room_ = room;
    pending_ = true;
}

void ConferenceDocuments::assignEntities(Participant& p) {
    if (p.view.entity.empty()) {
        p.userEntity = "sip:anonymous" + std::to_string(nextAnonymous_++) + "@" + kAnonymousHost;
        p.endpointEntity = p.userEntity;
        return;
    }
    p.userEntity = p.view.entity;
    const std::string base = p.view.endpointEntity.empty() ? p.view.entity : p.view.endpointEntity;
    auto taken = [&](const std::string& candidate) {
        for (const auto& [key, other] : participants_) {
            if (key != p.view.key && other.userEntity == p.userEntity && other.endpointEntity == candidate)
                return true;
        }
        return false;
    };
    std::string candidate = base;
    while (taken(candidate)) candidate = withUriParameter(base, kLegParameter, std::to_string(nextLeg_++));
    p.endpointEntity = candidate;
}

ci::Endpoint ConferenceDocuments::endpointOf(const Participant& p) const {
    const ParticipantView& v = p.view;
    ci::Endpoint e;
    e.entity = p.endpointEntity;
    ci::EndpointStatus status = v.status;
    if (v.muted && status == ci::EndpointStatus::Connected) status = ci::EndpointStatus::MutedViaFocus;
    e.status = status;
    e.joiningMethod = v.joiningMethod;
    if (v.joinedAt != std::chrono::system_clock::time_point{})
        e.joiningInfo = ci::Execution{utcDateTime(v.joinedAt), "", ""};
    if (hasMedia(status)) {
        ci::Media m;
        m.id = kMediaId;
        m.type = "audio";
        m.label = v.mediaLabel;
        if (status == ci::EndpointStatus::OnHold) {
            m.status = ci::MediaStatus::Inactive;
        } else if (status == ci::EndpointStatus::MutedViaFocus) {
            m.status = ci::MediaStatus::RecvOnly;
        } else {
            m.status = ci::MediaStatus::SendRecv;
            if (v.talking) m.displayText = kTalkingText;
        }
        e.media.push_back(std::move(m));
    }
    if (!v.entity.empty() && !v.callId.empty()) e.callInfo = ci::SipDialogId{"", v.callId, v.fromTag, v.toTag};
    return e;
}

ci::ConferenceInfo ConferenceDocuments::current() const {
    ci::ConferenceInfo info;
    info.entity = room_.uri;
    info.state = ci::State::Full;
    ci::ConferenceDescription d;
    d.displayText = room_.displayText;
    d.confUris = {ci::UriEntry{room_.uri, "", "participation"}};
    d.maximumUserCount = room_.maxUsers;
    info.description = std::move(d);
    info.conferenceState =
        ci::ConferenceState{static_cast<std::uint32_t>(participants_.size()), room_.active, room_.locked};

    std::vector<const Participant*> ordered;
    ordered.reserve(participants_.size());
    for (const auto& [key, p] : participants_) ordered.push_back(&p);
    std::sort(ordered.begin(), ordered.end(), [](const Participant* a, const Participant* b) { return a->seq < b->seq; });

    ci::Users users;
    std::unordered_map<std::string, std::size_t> index;
    for (const Participant* p : ordered) {
        auto [it, added] = index.emplace(p->userEntity, users.users.size());
        if (added) {
            ci::User u;
            u.entity = p->userEntity;
            users.users.push_back(std::move(u));
        }
        ci::User& u = users.users[it->second];
        const bool anonymous = p->view.entity.empty();
        if (u.displayText.empty() && !anonymous) u.displayText = p->view.displayText;
        for (const auto& role : p->view.roles) {
            if (role.empty() || std::find(u.roles.begin(), u.roles.end(), role) != u.roles.end()) continue;
            u.roles.push_back(role);
        }
        u.endpoints.push_back(endpointOf(*p));
    }
    info.users = std::move(users);
    return info;
}

std::optional<ci::ConferenceInfo> ConferenceDocuments::takePartial() {
    ci::ConferenceInfo now = current();
    auto delta = partialBetween(published_, now);
    published_ = std::move(now);
    pending_ = false;
    return delta;
}

ci::ConferenceInfo ConferenceDocuments::deleted() const {
    ci::ConferenceInfo info;
    info.entity = room_.uri;
    info.state = ci::State::Deleted;
    return info;
}

std::optional<ci::ConferenceInfo> ConferenceDocuments::partialBetween(const ci::ConferenceInfo& before,
                                                                      const ci::ConferenceInfo& after) {
    ci::ConferenceInfo out;
    out.entity = after.entity;
    out.state = ci::State::Partial;
    bool changed = false;
    if (before.description != after.description) {
        out.description = after.description;
        changed = true;
    }
    if (before.hostInfo != after.hostInfo) {
        out.hostInfo = after.hostInfo;
        changed = true;
    }
    if (before.conferenceState != after.conferenceState) {
        out.conferenceState = after.conferenceState;
        changed = true;
    }

    static const std::vector<ci::User> kNone;
    const auto& oldUsers = before.users ? before.users->users : kNone;
    const auto& newUsers = after.users ? after.users->users : kNone;
    std::unordered_map<std::string, const ci::User*> old;
    for (const auto& u : oldUsers) old.emplace(u.entity, &u);
    ci::Users delta;
    delta.state = ci::State::Partial;
    for (const auto& u : newUsers) {
        auto it = old.find(u.entity);
        if (it == old.end()) {
            delta.users.push_back(u);
            continue;
        }
        const ci::User& was = *it->second;
        old.erase(it);
        if (was == u) continue;
        delta.users.push_back(sameUserFields(was, u) ? endpointDelta(was, u) : u);
    }
    for (const auto& u : oldUsers) {
        if (!old.count(u.entity)) continue;
        ci::User gone;
        gone.entity = u.entity;
        gone.state = ci::State::Deleted;
        delta.users.push_back(std::move(gone));
    }
    if (!delta.users.empty()) {
        out.users = std::move(delta);
        changed = true;
    }
    if (!changed) return std::nullopt;
    return out;
}

}  // namespace parley::as

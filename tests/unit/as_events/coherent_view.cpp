#include "tests/unit/as_events/coherent_view.hpp"

#include <algorithm>

namespace parley::test::events {

namespace ci = proto::confinfo;

namespace {

ci::Endpoint fullEndpoint(ci::Endpoint e) {
    e.state = ci::State::Full;
    return e;
}

ci::User fullUser(ci::User u) {
    u.state = ci::State::Full;
    std::vector<ci::Endpoint> kept;
    for (auto& e : u.endpoints) {
        if (e.state != ci::State::Deleted) kept.push_back(fullEndpoint(std::move(e)));
    }
    u.endpoints = std::move(kept);
    return u;
}

template <typename T>
typename std::vector<T>::iterator byEntity(std::vector<T>& items, const std::string& entity) {
    return std::find_if(items.begin(), items.end(), [&](const T& x) { return x.entity == entity; });
}

// Step 3 of the procedure for one <user> with state partial: atomic children replace,
// endpoints merge by key.
void mergeUser(ci::User& local, const ci::User& update) {
    if (!update.displayText.empty()) local.displayText = update.displayText;
    if (!update.associatedAors.empty()) local.associatedAors = update.associatedAors;
    if (!update.roles.empty()) local.roles = update.roles;
    if (!update.languages.empty()) local.languages = update.languages;
    if (!update.cascadedFocus.empty()) local.cascadedFocus = update.cascadedFocus;
    for (const auto& e : update.endpoints) {
        auto it = byEntity(local.endpoints, e.entity);
        if (e.state == ci::State::Deleted) {
            if (it != local.endpoints.end()) local.endpoints.erase(it);
        } else if (it == local.endpoints.end()) {
            local.endpoints.push_back(fullEndpoint(e));
        } else {
            // Parley sends changed endpoints whole; a partial endpoint would merge the same
            // way one level down, which these tests never need.
            *it = fullEndpoint(e);
        }
    }
}

}  // namespace

std::string CoherentView::apply(const ci::ConferenceInfo& doc) {
    if (!doc.version) return "no version";
    if (started_ && *doc.version <= version_) return "stale";
    if (doc.state == ci::State::Full || doc.state == ci::State::Deleted) {
        version_ = *doc.version;
        started_ = true;
        state_ = doc;
        state_.version.reset();
        if (state_.users) {
            state_.users->state = ci::State::Full;
            for (auto& u : state_.users->users) u = fullUser(std::move(u));
        }
        ended_ = doc.state == ci::State::Deleted;
        return "";
    }
    if (!started_) return "partial before full";
    if (*doc.version > version_ + 1) return "gap";
    version_ = *doc.version;
    if (doc.description) state_.description = doc.description;
    if (doc.hostInfo) state_.hostInfo = doc.hostInfo;
    if (doc.conferenceState) state_.conferenceState = doc.conferenceState;
    if (doc.users) {
        if (doc.users->state == ci::State::Full) {
            state_.users = doc.users;
            for (auto& u : state_.users->users) u = fullUser(std::move(u));
        } else if (doc.users->state == ci::State::Deleted) {
            state_.users.reset();
        } else {
            if (!state_.users) state_.users = ci::Users{};
            auto& local = state_.users->users;
            for (const auto& u : doc.users->users) {
                auto it = byEntity(local, u.entity);
                if (u.state == ci::State::Deleted) {
                    if (it != local.end()) local.erase(it);
                } else if (u.state == ci::State::Full || it == local.end()) {
                    if (it == local.end()) {
                        local.push_back(fullUser(u));
                    } else {
                        *it = fullUser(u);
                    }
                } else {
                    mergeUser(*it, u);
                }
            }
        }
    }
    return "";
}

ci::ConferenceInfo canonical(ci::ConferenceInfo doc) {
    doc.version.reset();
    doc.state = ci::State::Full;
    if (doc.users) {
        doc.users->state = ci::State::Full;
        for (auto& u : doc.users->users) {
            u = fullUser(std::move(u));
            std::sort(u.endpoints.begin(), u.endpoints.end(),
                      [](const ci::Endpoint& a, const ci::Endpoint& b) { return a.entity < b.entity; });
        }
        std::sort(doc.users->users.begin(), doc.users->users.end(),
                  [](const ci::User& a, const ci::User& b) { return a.entity < b.entity; });
    }
    return doc;
}

}  // namespace parley::test::events

// The writer of conference-info documents and the enumeration names.
#include "proto/packages/conference_info/conference_info.hpp"

#include <string>

namespace parley::proto::confinfo {
namespace {

// Writes optional simple elements and lists in schema order.
class Emitter {
public:
    explicit Emitter(xml::Writer& w) : w_(w) {}

    void textElement(std::string_view name, std::string_view value) {
        if (value.empty()) return;
        w_.open(name).text(value).close();
    }
    void number(std::string_view name, const std::optional<uint32_t>& value) {
        if (value) textElement(name, std::to_string(*value));
    }
    void boolean(std::string_view name, const std::optional<bool>& value) {
        if (value) textElement(name, *value ? "true" : "false");
    }
    void spaceList(std::string_view name, const std::vector<std::string>& items) {
        std::string joined;
        for (const auto& item : items) {
            if (item.empty()) continue;
            if (!joined.empty()) joined += ' ';
            joined += item;
        }
        textElement(name, joined);
    }
    void uris(std::string_view name, const std::vector<UriEntry>& entries) {
        if (entries.empty()) return;
        w_.open(name);
        for (const auto& e : entries) {
            w_.open("entry");
            w_.open("uri").text(e.uri).close();
            textElement("display-text", e.displayText);
            textElement("purpose", e.purpose);
            w_.close();
        }
        w_.close();
    }
    void execution(std::string_view name, const std::optional<Execution>& e) {
        if (!e) return;
        w_.open(name);
        textElement("when", e->when);
        textElement("reason", e->reason);
        textElement("by", e->by);
        w_.close();
    }
    void stateAttr(State s) {
        if (s != State::Full) w_.attr("state", toString(s));
    }

    void description(const ConferenceDescription& d) {
        w_.open("conference-description");
        textElement("display-text", d.displayText);
        textElement("subject", d.subject);
        textElement("free-text", d.freeText);
        spaceList("keywords", d.keywords);
        uris("conf-uris", d.confUris);
        uris("service-uris", d.serviceUris);
        number("maximum-user-count", d.maximumUserCount);
        if (!d.availableMedia.empty()) {
            w_.open("available-media");
            for (const auto& m : d.availableMedia) {
                w_.open("entry").attr("label", m.label);
                textElement("display-text", m.displayText);
                w_.open("type").text(m.type).close();
                if (m.status) textElement("status", toString(*m.status));
                w_.close();
            }
            w_.close();
        }
        w_.close();
    }

    void host(const HostInfo& h) {
        w_.open("host-info");
        textElement("display-text", h.displayText);
        textElement("web-page", h.webPage);
        uris("uris", h.uris);
        w_.close();
    }

    void conferenceState(const ConferenceState& s) {
        w_.open("conference-state");
        number("user-count", s.userCount);
        boolean("active", s.active);
        boolean("locked", s.locked);
        w_.close();
    }

    void media(const Media& m) {
        w_.open("media").attr("id", m.id);
        textElement("display-text", m.displayText);
        textElement("type", m.type);
        textElement("label", m.label);
        textElement("src-id", m.srcId);
        if (m.status) textElement("status", toString(*m.status));
        w_.close();
    }

    void endpoint(const Endpoint& e) {
        w_.open("endpoint");
        if (!e.entity.empty()) w_.attr("entity", e.entity);
        stateAttr(e.state);
        textElement("display-text", e.displayText);
        execution("referred", e.referred);
        if (e.status) textElement("status", toString(*e.status));
        if (e.joiningMethod) textElement("joining-method", toString(*e.joiningMethod));
        execution("joining-info", e.joiningInfo);
        if (e.disconnectionMethod) textElement("disconnection-method", toString(*e.disconnectionMethod));
        execution("disconnection-info", e.disconnectionInfo);
        for (const auto& m : e.media) media(m);
        if (e.callInfo) {
            w_.open("call-info").open("sip");
            textElement("display-text", e.callInfo->displayText);
            w_.open("call-id").text(e.callInfo->callId).close();
            w_.open("from-tag").text(e.callInfo->fromTag).close();
            w_.open("to-tag").text(e.callInfo->toTag).close();
            w_.close().close();
        }
        w_.close();
    }

    void user(const User& u) {
        w_.open("user");
        if (!u.entity.empty()) w_.attr("entity", u.entity);
        stateAttr(u.state);
        textElement("display-text", u.displayText);
        uris("associated-aors", u.associatedAors);
        if (!u.roles.empty()) {
            w_.open("roles");
            for (const auto& r : u.roles) w_.open("entry").text(r).close();
            w_.close();
        }
        spaceList("languages", u.languages);
        textElement("cascaded-focus", u.cascadedFocus);
        for (const auto& e : u.endpoints) endpoint(e);
        w_.close();
    }

private:
    xml::Writer& w_;
};

}  // namespace

const char* toString(State v) {
    switch (v) {
        case State::Full: return "full";
        case State::Partial: return "partial";
        case State::Deleted: return "deleted";
    }
    return "full";
}

const char* toString(EndpointStatus v) {
    switch (v) {
        case EndpointStatus::Pending: return "pending";
        case EndpointStatus::DialingOut: return "dialing-out";
        case EndpointStatus::DialingIn: return "dialing-in";
        case EndpointStatus::Alerting: return "alerting";
        case EndpointStatus::OnHold: return "on-hold";
        case EndpointStatus::Connected: return "connected";
        case EndpointStatus::MutedViaFocus: return "muted-via-focus";
        case EndpointStatus::Disconnecting: return "disconnecting";
        case EndpointStatus::Disconnected: return "disconnected";
    }
    return "pending";
}

const char* toString(JoiningMethod v) {
    switch (v) {
        case JoiningMethod::DialedIn: return "dialed-in";
        case JoiningMethod::DialedOut: return "dialed-out";
        case JoiningMethod::FocusOwner: return "focus-owner";
    }
    return "dialed-in";
}

const char* toString(DisconnectionMethod v) {
    switch (v) {
        case DisconnectionMethod::Departed: return "departed";
        case DisconnectionMethod::Booted: return "booted";
        case DisconnectionMethod::Failed: return "failed";
        case DisconnectionMethod::Busy: return "busy";
    }
    return "departed";
}

const char* toString(MediaStatus v) {
    switch (v) {
        case MediaStatus::RecvOnly: return "recvonly";
        case MediaStatus::SendOnly: return "sendonly";
        case MediaStatus::SendRecv: return "sendrecv";
        case MediaStatus::Inactive: return "inactive";
    }
    return "sendrecv";
}

std::string write(const ConferenceInfo& info) {
    xml::Writer w;
    Emitter e(w);
    w.open("conference-info").attr("xmlns", kNamespace).attr("entity", info.entity);
    w.attr("state", toString(info.state));
    if (info.version) w.attr("version", std::to_string(*info.version));
    if (info.description) e.description(*info.description);
    if (info.hostInfo) e.host(*info.hostInfo);
    if (info.conferenceState) e.conferenceState(*info.conferenceState);
    if (info.users) {
        w.open("users");
        e.stateAttr(info.users->state);
        for (const auto& u : info.users->users) e.user(u);
        w.close();
    }
    e.uris("sidebars-by-ref", info.sidebarsByRef);
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + w.finish() + "\n";
}

}  // namespace parley::proto::confinfo

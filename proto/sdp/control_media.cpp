#include "proto/sdp/control_media.hpp"

#include "proto/sdp/ascii.hpp"

#include <algorithm>

namespace parley::proto::sdp {

namespace {

using detail::equalsIgnoreCase;

using common::Error;
using common::Result;


bool isControlLine(const Media& m) {
    if (!equalsIgnoreCase(m.type, "application")) return false;
    return std::any_of(m.formats.begin(), m.formats.end(),
                       [](const std::string& f) { return equalsIgnoreCase(f, "cfw"); });
}

Setup answerSetup(Setup offered, Setup whenActPass) {
    switch (offered) {
        case Setup::Active: return Setup::Passive;
        case Setup::Passive: return Setup::Active;
        case Setup::ActPass: return whenActPass;
        case Setup::HoldConn: return Setup::HoldConn;
    }
    return Setup::Passive;
}

Media controlLine(std::uint16_t port, ControlTransport transport, Setup setup,
                  ConnectionMode connection, const std::string& cfwId) {
    Media m;
    m.type = "application";
    m.port = port;
    m.proto = std::string(toProto(transport));
    m.formats = {"cfw"};
    m.setup = setup;
    m.connectionMode = connection;
    m.cfwId = cfwId;
    return m;
}

}  // namespace

std::string_view toProto(ControlTransport t) { return t == ControlTransport::Tls ? "TCP/TLS" : "TCP"; }

Result<ControlMedia> findControlMedia(const Session& session) {
    const Media* found = nullptr;
    std::size_t index = 0;
    for (std::size_t i = 0; i < session.media.size(); ++i) {
        if (!isControlLine(session.media[i])) continue;
        if (found) return Error(kNotAcceptable, "more than one control m-line (m=application ... cfw)");
        found = &session.media[i];
        index = i;
    }
    if (!found) return Error(kNotAcceptable, "no control m-line (m=application ... cfw)");
    const Media& m = *found;

    ControlMedia out;
    out.index = index;
    if (equalsIgnoreCase(m.proto, "TCP")) {
        out.transport = ControlTransport::Tcp;
    } else if (equalsIgnoreCase(m.proto, "TCP/TLS")) {
        out.transport = ControlTransport::Tls;
    } else {
        return Error(kNotAcceptable, "control m-line transport '" + m.proto + "' is not TCP or TCP/TLS");
    }
    if (m.rejected()) return Error(kNotAcceptable, "control m-line rejected (port 0)");
    out.port = m.port;
    if (!m.cfwId) return Error(kNotAcceptable, "control m-line has no a=cfw-id");
    out.cfwId = *m.cfwId;
    if (m.attribute("setup")) return Error(kNotAcceptable, "control m-line has an unreadable a=setup");
    if (m.attribute("connection"))
        return Error(kNotAcceptable, "control m-line has an unreadable a=connection");
    out.setup = m.setup.value_or(Setup::Active);
    out.connection = m.connectionMode.value_or(ConnectionMode::New);
    auto address = effectiveConnection(session, m);
    if (!address || address->address.empty())
        return Error(kNotAcceptable, "control m-line has no connection address");
    out.address = *address;
    return out;
}

Session makeControlOffer(const ControlOfferParams& p) {
    Session s;
    s.origin = p.origin;
    s.name = p.sessionName;
    s.connection = p.address;
    s.media.push_back(controlLine(p.port, p.transport, p.setup, p.connection, p.cfwId));
    return s;
}

Result<Session> makeControlAnswer(const Session& offer, const ControlAnswerParams& p) {
    auto control = findControlMedia(offer);
    if (!control) return control.error();
    const ControlMedia& c = control.value();
    if (c.transport == ControlTransport::Tcp && !p.allowTcp)
        return Error(kNotAcceptable, "control channel over plain TCP is not allowed");
    if (c.transport == ControlTransport::Tls && !p.allowTls)
        return Error(kNotAcceptable, "control channel over TLS is not available");

    Session s;
    s.origin = p.origin;
    s.name = p.sessionName;
    s.connection = p.address;
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        if (i == c.index) {
            s.media.push_back(controlLine(p.port, c.transport, answerSetup(c.setup, p.whenActPass),
                                          c.connection, p.cfwId));
        } else {
            s.media.push_back(rejectedAnswer(offer.media[i]));
        }
    }
    return s;
}

}  // namespace parley::proto::sdp

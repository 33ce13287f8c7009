#include "proto/sdp/session.hpp"

#include "proto/sdp/ascii.hpp"

#include <algorithm>

namespace parley::proto::sdp {

namespace {

using detail::equalsIgnoreCase;

const Attribute* findAttribute(const std::vector<Attribute>& list, std::string_view name) {
    for (const auto& a : list) {
        if (equalsIgnoreCase(a.name, name)) return &a;
    }
    return nullptr;
}

// Bit 1 = sends, bit 2 = receives.
unsigned bits(Direction d) {
    switch (d) {
        case Direction::SendRecv: return 3;
        case Direction::SendOnly: return 1;
        case Direction::RecvOnly: return 2;
        case Direction::Inactive: return 0;
    }
    return 0;
}

Direction fromBits(unsigned b) {
    switch (b & 3) {
        case 3: return Direction::SendRecv;
        case 1: return Direction::SendOnly;
        case 2: return Direction::RecvOnly;
        default: return Direction::Inactive;
    }
}

}  // namespace

bool Media::isRtp() const { return equalsIgnoreCase(proto, "RTP/AVP") || equalsIgnoreCase(proto, "RTP/SAVP"); }

const RtpMap* Media::rtpmap(unsigned pt) const {
    for (const auto& r : rtpmaps) {
        if (r.pt == pt) return &r;
    }
    return nullptr;
}

std::optional<std::string> Media::fmtpFor(unsigned pt) const {
    auto it = fmtp.find(pt);
    if (it == fmtp.end()) return std::nullopt;
    return it->second;
}

const Attribute* Media::attribute(std::string_view name) const {
    return findAttribute(attributes, name);
}

const Attribute* Session::attribute(std::string_view name) const {
    return findAttribute(attributes, name);
}

Media rejectedAnswer(const Media& offered) {
    Media m;
    m.type = offered.type;
    m.port = 0;
    m.proto = offered.proto;
    m.formats = offered.formats;
    m.rtpmaps = offered.rtpmaps;
    return m;
}

std::string_view toString(AddrType t) { return t == AddrType::IP6 ? "IP6" : "IP4"; }

std::string_view toString(Direction d) {
    switch (d) {
        case Direction::SendRecv: return "sendrecv";
        case Direction::SendOnly: return "sendonly";
        case Direction::RecvOnly: return "recvonly";
        case Direction::Inactive: return "inactive";
    }
    return "sendrecv";
}

std::string_view toString(Setup s) {
    switch (s) {
        case Setup::Active: return "active";
        case Setup::Passive: return "passive";
        case Setup::ActPass: return "actpass";
        case Setup::HoldConn: return "holdconn";
    }
    return "active";
}

std::string_view toString(ConnectionMode c) {
    return c == ConnectionMode::Existing ? "existing" : "new";
}

std::optional<Direction> parseDirection(std::string_view text) {
    for (Direction d : {Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly,
                        Direction::Inactive}) {
        if (equalsIgnoreCase(text, toString(d))) return d;
    }
    return std::nullopt;
}

std::optional<Setup> parseSetup(std::string_view text) {
    for (Setup s : {Setup::Active, Setup::Passive, Setup::ActPass, Setup::HoldConn}) {
        if (equalsIgnoreCase(text, toString(s))) return s;
    }
    return std::nullopt;
}

std::optional<ConnectionMode> parseConnectionMode(std::string_view text) {
    if (equalsIgnoreCase(text, "new")) return ConnectionMode::New;
    if (equalsIgnoreCase(text, "existing")) return ConnectionMode::Existing;
    return std::nullopt;
}

Direction reverse(Direction d) {
    switch (d) {
        case Direction::SendOnly: return Direction::RecvOnly;
        case Direction::RecvOnly: return Direction::SendOnly;
        default: return d;
    }
}

Direction intersect(Direction a, Direction b) { return fromBits(bits(a) & bits(b)); }

bool sends(Direction d) { return (bits(d) & 1) != 0; }
bool receives(Direction d) { return (bits(d) & 2) != 0; }

std::optional<Connection> effectiveConnection(const Session& s, const Media& m) {
    if (m.connection) return m.connection;
    return s.connection;
}

bool isHold(const Session& s, const Media& m) {
    if (m.rejected()) return false;
    if (m.direction == Direction::SendOnly || m.direction == Direction::Inactive) return true;
    auto c = effectiveConnection(s, m);
    return c && (c->address == "0.0.0.0" || c->address == "::");
}

bool isHold(const Session& s) {
    bool anyActive = false;
    for (const auto& m : s.media) {
        if (m.rejected()) continue;
        anyActive = true;
        if (!isHold(s, m)) return false;
    }
    return anyActive;
}

}  // namespace parley::proto::sdp

#pragma once
// The control-channel m-line of RFC 6230 section 4 (COMEDIA, RFC 4145):
//   m=application <port> TCP cfw        (or TCP/TLS)
//   a=connection:new|existing
//   a=setup:active|passive|actpass|holdconn
//   a=cfw-id:<token>
//
// Contract:
// - findControlMedia() accepts a session with exactly one m=application line whose format
//   is "cfw"; zero or several, another transport than TCP or TCP/TLS, port 0, no a=cfw-id,
//   an unreadable a=setup/a=connection, or no address give Error{kNotAcceptable (488),
//   reason}. Absent a=setup means active and absent a=connection means new (RFC 4145).
// - makeControlOffer() / makeControlAnswer() are pure: they build Session values that
//   print() turns into the SDP body. The answer keeps the offer's m-line count and order
//   (other m-lines come back rejected with port 0), answers a=setup per RFC 4145
//   (active <-> passive, actpass -> the caller's choice, holdconn -> holdconn), echoes
//   a=connection, and uses the caller's own cfw-id (RFC 6230 wants it to differ from the
//   offer's, but peers must accept either, so no check here).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "proto/sdp/session.hpp"

namespace parley::proto::sdp {

inline constexpr std::uint16_t kDefaultCfwPort = 7563;  // IANA "cfw" (RFC 6230 section 13.5)

enum class ControlTransport { Tcp, Tls };
std::string_view toProto(ControlTransport t);  // "TCP" / "TCP/TLS"

struct ControlMedia {
    std::size_t index = 0;  // position of the control m-line in Session::media
    ControlTransport transport = ControlTransport::Tcp;
    std::uint16_t port = 0;
    Connection address;  // the effective c= of that m-line
    Setup setup = Setup::Active;
    ConnectionMode connection = ConnectionMode::New;
    std::string cfwId;
};

common::Result<ControlMedia> findControlMedia(const Session& session);

struct ControlOfferParams {
    Origin origin;
    std::string sessionName = "-";
    Connection address;  // printed as the session-level c=
    std::uint16_t port = kDefaultCfwPort;
    ControlTransport transport = ControlTransport::Tcp;
    Setup setup = Setup::Active;  // the AS normally opens the TCP connection
    ConnectionMode connection = ConnectionMode::New;
    std::string cfwId;
};

Session makeControlOffer(const ControlOfferParams& params);

struct ControlAnswerParams {
    Origin origin;
    std::string sessionName = "-";
    Connection address;
    std::uint16_t port = kDefaultCfwPort;
    std::string cfwId;
    bool allowTcp = true;  // plain TCP may be refused by policy (TLS-only deployments)
    bool allowTls = true;
    Setup whenActPass = Setup::Passive;  // our role when the offer says actpass
};

// Error{kNotAcceptable} when findControlMedia() fails on the offer or its transport is
// not allowed.
common::Result<Session> makeControlAnswer(const Session& offer, const ControlAnswerParams& params);

}  // namespace parley::proto::sdp

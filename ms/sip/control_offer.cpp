#include "ms/sip/control_offer.hpp"

#include <algorithm>

#include "proto/cfw/message.hpp"
#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"

namespace parley::ms {

namespace sdp = proto::sdp;
using common::Error;

namespace {

bool isControlMedia(const sdp::Media& m) {
    if (!proto::cfw::equalsIgnoreCase(m.type, "application")) return false;
    return std::any_of(m.formats.begin(), m.formats.end(),
                       [](const std::string& f) { return proto::cfw::equalsIgnoreCase(f, "cfw"); });
}

std::string_view mediaTypeOf(std::string_view value) {
    value = value.substr(0, value.find(';'));
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return value;
}

}  // namespace

common::Result<ControlOfferAnswer> answerControlOffer(std::string_view contentType,
                                                      std::string_view body,
                                                      const ControlAnswerSettings& settings,
                                                      const std::string& msCfwId) {
    const Error mediaDialog(488, "not a control-channel offer");
    if (body.empty()) return mediaDialog;
    if (!proto::cfw::equalsIgnoreCase(mediaTypeOf(contentType), "application/sdp")) {
        return Error(415, "body is " + std::string(contentType) + ", not application/sdp");
    }
    auto offer = sdp::parse(body);
    if (!offer) return Error(488, "unreadable SDP: " + offer.error().message);
    if (std::none_of(offer->media.begin(), offer->media.end(), isControlMedia)) return mediaDialog;

    auto control = sdp::findControlMedia(*offer);
    if (!control) return Error(488, control.error().message);
    if (control->transport != sdp::ControlTransport::Tcp) {
        return Error(488, "control channel over TCP/TLS is not supported; offer TCP");
    }
    if (control->setup == sdp::Setup::Passive) {
        return Error(488,
                     "a=setup:passive: the media server does not open control connections; "
                     "offer a=setup:active");
    }
    if (control->setup == sdp::Setup::HoldConn) {
        return Error(488, "a=setup:holdconn: no control connection would be set up");
    }
    if (control->connection != sdp::ConnectionMode::New) {
        return Error(488, "a=connection:existing: there is no connection to reuse");
    }
    if (!proto::cfw::isValidToken(control->cfwId)) {
        return Error(488, "a=cfw-id " + control->cfwId + " is not a token usable as a Dialog-ID");
    }

    sdp::ControlAnswerParams params;
    params.origin.username = "parley-ms";
    params.origin.sessionId = settings.sessionId;
    params.origin.version = settings.sessionId;
    bool v6 = settings.address.find(':') != std::string::npos;
    params.origin.addrType = v6 ? sdp::AddrType::IP6 : sdp::AddrType::IP4;
    params.origin.address = settings.address;
    params.address.addrType = params.origin.addrType;
    params.address.address = settings.address;
    params.port = settings.port;
    params.cfwId = msCfwId;
    params.allowTls = false;
    params.whenActPass = sdp::Setup::Passive;
    auto answer = sdp::makeControlAnswer(*offer, params);
    if (!answer) return Error(488, answer.error().message);
    return ControlOfferAnswer{control->cfwId, sdp::print(*answer)};
}

bool isControlOffer(std::string_view contentType, std::string_view body) {
    if (body.empty()) return false;
    if (!proto::cfw::equalsIgnoreCase(mediaTypeOf(contentType), "application/sdp")) return false;
    auto offer = sdp::parse(body);
    if (!offer) return false;
    return std::any_of(offer->media.begin(), offer->media.end(), isControlMedia);
}

std::string warningValue(std::string_view agent, std::string_view text) {
    std::string out = "399 " + std::string(agent) + " \"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\r' || c == '\n' || c == '\0') {
            out += ' ';
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

}  // namespace parley::ms

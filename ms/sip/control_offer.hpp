#pragma once
// What the media server answers to an INVITE, decided from its body alone (pure, no SIP
// stack): the COMEDIA control-channel offer of RFC 6230 section 4 gets the SDP answer that
// points the AS at the CFW listener; everything else gets the SIP refusal with its reason.
//
// Rules:
// - An offer is a control offer when one of its m-lines is "application ... cfw". It must
//   then be exactly what findControlMedia() accepts (one such m-line, TCP, a=cfw-id...),
//   over plain TCP, with a=setup active or actpass (the MS is always the passive, listening
//   side: it never opens control connections) and a=connection:new (there is no connection
//   to reuse on a new dialog). The answer: a=setup:passive, a=connection:new, the CFW
//   address and port, the MS's own cfw-id; other m-lines rejected with port 0.
// - Any other INVITE is a media dialog (isControlOffer() is false): answerControlOffer()
//   refuses it with 488 "not a control-channel offer"; the SIP agent gives it to the media
//   dialogs (ms/sip/media_dialogs.hpp) instead.
// - Refusals: 415 for a body that is not application/sdp, 488 for SDP that cannot be read
//   or a control offer that breaks a rule above. `reason` is for a Warning header.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace parley::ms {

struct ControlAnswerSettings {
    std::string address;          // host written in c= (the advertised CFW address)
    std::uint16_t port = 0;       // the CFW listener's port
    std::uint64_t sessionId = 0;  // o= session id (and version)
};

struct ControlOfferAnswer {
    std::string asCfwId;  // the offer's a=cfw-id
    std::string sdp;      // the answer to send in the 200
};

// Error{415|488, reason}. msCfwId: the cfw-id to answer with.
common::Result<ControlOfferAnswer> answerControlOffer(std::string_view contentType,
                                                      std::string_view body,
                                                      const ControlAnswerSettings& settings,
                                                      const std::string& msCfwId);

// True when the body is SDP with an "m=application ... cfw" line: a control-channel offer
// (valid or not). False for media offers, offerless INVITEs and bodies that are not SDP.
bool isControlOffer(std::string_view contentType, std::string_view body);

// A Warning header value (RFC 3261 section 20.43): 399 <agent> "<text>", text made safe.
std::string warningValue(std::string_view agent, std::string_view text);

}  // namespace parley::ms

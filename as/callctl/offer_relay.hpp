#pragma once
// OfferRelay: an offer that a caller's leg makes mid-dialog, carried to the call's parley-ms
// media dialog and the answer carried back (the focus's participants, the scripted calls'
// callers). Neither the AS nor the MS leg keeps its own copy of the session: the caller and
// parley-ms negotiate through the AS.
// - re-INVITE with an offer: the same offer in a re-INVITE to parley-ms; its final response
//   (answer or error) is the caller's final response.
// - UPDATE with an offer: parley-ms takes offers by re-INVITE only, so it goes there as a
//   re-INVITE and the answer returns in the UPDATE's 200.
// - re-INVITE without an offer (RFC 3261 14.1; the third-party call control flows of RFC
//   3725 send them): an offerless re-INVITE to parley-ms, whose 200 carries its offer to the
//   caller; the caller's ACK carries the answer, which goes to parley-ms in its ACK. A 200
//   without an offer is answered 500 to the caller (and ACKed to parley-ms without a body).
// One offer at a time (busy(): the caller gets 491).
//
// Contract: control thread; the dialogs are the caller's (UAS) and parley-ms's (UAC) legs.

#include <string_view>

#include "common/result.hpp"
#include "proto/sip/dialog.hpp"
#include "proto/sip/sip_types.hpp"

namespace parley::as {

class OfferRelay {
  public:
    enum class State { None, Reinvite, Update, OfferlessReinvite, AwaitAck };
    enum class AckResult {
        NotOurs,   // not the ACK of a relayed offerless re-INVITE
        Relayed,   // its answer went to parley-ms
        NoAnswer,  // it carried no answer: the session is broken, end the call
    };

    State state() const { return state_; }
    bool busy() const { return state_ != State::None; }

    // The caller's re-INVITE (with an offer or none; its SDP already checked to be
    // application/sdp) or UPDATE offer, sent on to parley-ms. An error changes nothing (the
    // leg cannot send a re-INVITE now).
    common::Status startReinvite(proto::sip::Dialog& ms, const proto::sip::SipMessage& invite);
    common::Status startUpdate(proto::sip::Dialog& ms, const proto::sip::SipMessage& update);
    // parley-ms's final response to the relayed re-INVITE, answered to the caller.
    void onMsFinal(proto::sip::Dialog& caller, proto::sip::Dialog& ms,
                   const proto::sip::SipMessage& response);
    // The caller's ACK.
    AckResult onCallerAck(proto::sip::Dialog& ms, const proto::sip::SipMessage& ack);

  private:
    State state_ = State::None;
};

}  // namespace parley::as

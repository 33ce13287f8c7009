#pragma once
// SipHandler: what the SIP layer tells the application. One per SipStack (and optionally
// one per Dialog, see Dialog::setHandler).
//
// Contracts:
// - Called on the loop thread, one event at a time, never re-entrantly for one dialog.
// - Handlers may call any Dialog or SipStack method, including SipStack::stop(), but must
//   not destroy the SipStack from inside a callback.
// - Every dialog passed to any callback gets exactly one onTerminated(), the last event of
//   that dialog (also when the stack shuts down with the dialog up).
// - Incoming BYE and CANCEL are answered (200, and 487 for the INVITE) by the stack
//   before onBye()/onCancel() run; OPTIONS is answered 200 without reaching the handler.

#include <string>

#include "proto/sip/dialog.hpp"
#include "proto/sip/sip_types.hpp"

namespace parley::proto::sip {

class SipHandler {
public:
    virtual ~SipHandler() = default;

    // A dialog-creating INVITE arrived (body: the offer, or empty when offerless). Answer it
    // with dialog->respond(), now or later (the stack sent 100 Trying); the application
    // owns the timing and must answer every INVITE it keeps (hangup() rejects with 480).
    virtual void onIncomingInvite(const DialogRef& dialog, const SipMessage& invite) = 0;

    // A re-INVITE arrived in a confirmed dialog; answer it with dialog->respond(). The
    // default rejects it with 488.
    virtual void onReinvite(const DialogRef& dialog, const SipMessage& invite);

    // A response to our INVITE or re-INVITE (1xx..6xx). On a 2xx to an offerless INVITE
    // the body is the offer and the application must call dialog->ack(answer).
    virtual void onInviteResponse(const DialogRef& dialog, const SipMessage& response);

    // The ACK for our 2xx; its body is the answer when our 2xx carried the offer.
    virtual void onAck(const DialogRef& dialog, const SipMessage& ack);

    // The peer sent BYE (already answered 200). onTerminated follows.
    virtual void onBye(const DialogRef& dialog, const SipMessage& bye);

    // The peer cancelled its INVITE before our final response. onTerminated follows.
    virtual void onCancel(const DialogRef& dialog);

    // The dialog is over. status/reason: the final status that ended it (the BYE's 200,
    // the INVITE's 4xx-6xx, 487 after CANCEL, 0 "stack shut down"...).
    virtual void onTerminated(const DialogRef& dialog, int status, const std::string& reason) = 0;
};

}  // namespace parley::proto::sip

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
// - SUBSCRIBE and REFER are answered with what onSubscribe()/onRefer() return, before the
//   stack sends anything else; bad ones never reach the handler (489 unknown event, 423
//   too brief, 400 REFER without Refer-To, 503 past SipConfig::maxSubscriptions).
// - Every subscription passed to onSubscribe()/onRefer() and accepted gets exactly one
//   onSubscriptionTerminated(), its last event.

#include <string>

#include "proto/sip/dialog.hpp"
#include "proto/sip/sip_types.hpp"
#include "proto/sip/subscription.hpp"

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

    // An UPDATE arrived (RFC 3311), with an offer in its body or without a body (a session
    // refresh). Answer it with dialog->respondUpdate(), now or later. The default answers
    // 200 to a bodiless UPDATE and 488 to an offer.
    virtual void onUpdate(const DialogRef& dialog, const SipMessage& update);

    // The response to our UPDATE (Dialog::update()); a 2xx to an offer carries the answer.
    virtual void onUpdateResponse(const DialogRef& dialog, const SipMessage& response);

    // A SUBSCRIBE for a package in SipConfig::allowEvents created `subscription`. Return a
    // 2xx to accept (then notify() it, see subscription.hpp) or 3xx-6xx to refuse. The
    // default refuses with 489.
    virtual RequestAnswer onSubscribe(const SubscriptionRef& subscription, const SipMessage& subscribe);

    // The subscriber refreshed; grantedExpires() holds the new value.
    virtual void onSubscriptionRefreshed(const SubscriptionRef& subscription, const SipMessage& subscribe);

    // The subscription is over. reason: "unsubscribed", "timeout", "fetch", "terminated"
    // (by terminate() or a final notify), "notify failed: <status>", "dialog ended",
    // "stack shut down".
    virtual void onSubscriptionTerminated(const SubscriptionRef& subscription, const std::string& reason);

    // A REFER arrived, inside `dialog` (an INVITE dialog of this stack) or outside it
    // (dialog null). Return 202 (any 2xx) to accept it: the stack answers, sends NOTIFY
    // "SIP/2.0 100 Trying", and the application reports progress through `progress`
    // (notifyProgress()). 3xx-6xx refuses it and `progress` is dropped. The default refuses
    // with 403.
    virtual RequestAnswer onRefer(const SubscriptionRef& progress, const ReferRequest& refer,
                                  const DialogRef& dialog);

    // The dialog is over. status/reason: the final status that ended it (the BYE's 200,
    // the INVITE's 4xx-6xx, 487 after CANCEL, 0 "stack shut down", 408 "session timer
    // expired" when a session refresh (RFC 4028) failed or never came and the stack sent BYE).
    virtual void onTerminated(const DialogRef& dialog, int status, const std::string& reason) = 0;
};

}  // namespace parley::proto::sip

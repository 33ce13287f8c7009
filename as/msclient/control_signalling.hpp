#pragma once
// ControlSignalling: the SIP side of a control channel as MediaServerClient needs it, an
// INVITE carrying the COMEDIA offer and the dialog it creates (RFC 6230 section 4). The
// production implementation is as/sip/sip_control_signalling.hpp over proto::sip; unit
// tests substitute a fake that answers with SDP of their choosing.
//
// Contracts:
// - Loop thread only.
// - For a dialog created by invite(), the handler hears exactly one of onAnswered() (a 2xx
//   with its body; the dialog is confirmed) or onRefused() (final non-2xx, timeout inside
//   the SIP stack, CANCEL completed, stack gone). After onAnswered() it hears at most one
//   onEnded() (BYE from the peer, dialog terminated by the stack).
// - ControlDialog::hangup() ends the dialog from our side (CANCEL before the answer, BYE
//   after it) and detaches the handler: nothing more is reported after it returns.
//   Destroying a ControlDialog hangs it up.
// - Handlers must not destroy the ControlDialog from inside a callback.

#include <memory>
#include <string>

#include "common/result.hpp"

namespace parley::as {

class ControlDialogHandler {
public:
    virtual ~ControlDialogHandler() = default;
    virtual void onAnswered(const std::string& sdpAnswer) = 0;
    virtual void onRefused(int status, const std::string& reason) = 0;
    virtual void onEnded(const std::string& reason) = 0;
};

class ControlDialog {
public:
    virtual ~ControlDialog() = default;
    virtual void hangup() = 0;
};

class ControlSignalling {
public:
    virtual ~ControlSignalling() = default;
    // Sends INVITE to `uri` with `sdpOffer` (application/sdp).
    virtual common::Result<std::unique_ptr<ControlDialog>> invite(const std::string& uri,
                                                                  const std::string& sdpOffer,
                                                                  ControlDialogHandler& handler) = 0;
    // The address written in our SDP (o= and c=): the host the SIP stack advertises.
    virtual std::string localHost() const = 0;
};

}  // namespace parley::as

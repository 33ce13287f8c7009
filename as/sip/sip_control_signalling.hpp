#pragma once
// SipControlSignalling: ControlSignalling (as/msclient/control_signalling.hpp) over the
// project's SIP stack (proto::sip). Each control dialog gets its own SipHandler that turns
// the dialog's events into ControlDialogHandler calls; once hung up, the dialog's leftover
// events go to the stack's handler (AsSipHandler), which ends any dialog nobody owns.
//
// Contracts: loop thread only; the SipStack must outlive this object, and every
// ControlDialog it made may outlive neither (a dialog outliving the stack is harmless: its
// hangup is then a no-op).

#include <memory>
#include <string>

#include "as/msclient/control_signalling.hpp"
#include "proto/sip/sip_handler.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::as {

// The stack-wide SIP handler of parley-as for what no control dialog claims.
class AsSipHandler final : public proto::sip::SipHandler {
public:
    // parley-as serves no calls of its own yet (conferences come with the focus): 404.
    void onIncomingInvite(const proto::sip::DialogRef& dialog,
                          const proto::sip::SipMessage& invite) override;
    // A 2xx reaching a dialog whose owner already hung up (a CANCEL crossed the 200): BYE.
    void onInviteResponse(const proto::sip::DialogRef& dialog,
                          const proto::sip::SipMessage& response) override;
    void onTerminated(const proto::sip::DialogRef& dialog, int status,
                      const std::string& reason) override;
};

class SipControlSignalling final : public ControlSignalling {
public:
    explicit SipControlSignalling(proto::sip::SipStack& stack) : stack_(stack) {}

    common::Result<std::unique_ptr<ControlDialog>> invite(const std::string& uri,
                                                          const std::string& sdpOffer,
                                                          ControlDialogHandler& handler) override;
    std::string localHost() const override;

private:
    proto::sip::SipStack& stack_;
};

}  // namespace parley::as

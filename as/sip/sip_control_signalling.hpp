#pragma once
// SipControlSignalling: ControlSignalling (as/msclient/control_signalling.hpp) over the
// project's SIP stack (proto::sip). Each control dialog gets its own SipHandler that turns
// the dialog's events into ControlDialogHandler calls; once hung up, the dialog's leftover
// events go to the stack's handler, which has nothing left to do with them: a 2xx that
// crosses our CANCEL is ACKed and ended with BYE by proto/sip itself.
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

// The stack-wide SIP handler of an AS that serves no calls (the benchmarks' and tests'
// control-channel-only AS; parley-as itself runs the Focus).
class AsSipHandler final : public proto::sip::SipHandler {
public:
    // No conference service here: 404.
    void onIncomingInvite(const proto::sip::DialogRef& dialog,
                          const proto::sip::SipMessage& invite) override;
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

#pragma once
// CallRouter: what the focus asks before treating an incoming INVITE as a room call. The
// webhook-scripted calls (as/apps) implement it.
//
// Contract: loop thread only. route() returns true when the router took the call: it then
// answers or ends the dialog itself and has set its own per-dialog SipHandler; false leaves
// the call to the focus untouched (nothing answered, no handler changed).

#include "proto/sip/dialog.hpp"
#include "proto/sip/sip_types.hpp"

namespace parley::as {

class CallRouter {
public:
    virtual ~CallRouter() = default;
    virtual bool route(const proto::sip::DialogRef& dialog, const proto::sip::SipMessage& invite) = 0;
};

}  // namespace parley::as

#pragma once
// SipStack: one SIP user agent (sofia-sip nua) listening on UDP and TCP, sharing its
// thread with a common::EventLoop.
//
// Threading: the stack owns a sofia su_root into which it registers EventLoop::fd(), so
// the one thread that calls run() serves SIP and the EventLoop's timers, posted tasks and
// fd watches alike. Do not call EventLoop::run() as well. A su_root belongs to the thread
// that created it: create() on the thread that will call run()/runOnce(), and keep
// invite(), shutdown(), the destructor and every Dialog call on it too. stop() may be
// called from any thread.
//
// Lifetime:
//   auto stack = SipStack::create(loop, config, handler);   // binds, learns the port
//   stack->run();                                          // until stop()
//   stack->shutdown();                                     // ends dialogs (BYE/CANCEL)
// shutdown() sends BYE or CANCEL for the dialogs still up, waits (config.shutdownTimeout
// at most, while still serving the EventLoop) for sofia to finish, reports onTerminated()
// for every dialog not yet over, and releases sofia. The destructor calls shutdown() if
// it has not run. The EventLoop and the handler must outlive the stack.
//
// Errors: create() returns Error{errno or 500} when the address cannot be parsed or bound;
// invite() returns Error{400} for a bad URI or header and Error{503} after shutdown.

#include <cstdint>
#include <memory>
#include <string>

#include "common/event_loop.hpp"
#include "common/result.hpp"
#include "proto/sip/dialog.hpp"
#include "proto/sip/sip_handler.hpp"
#include "proto/sip/sip_types.hpp"

namespace parley::proto::sip {

namespace detail {
class StackCore;
}

class SipStack {
public:
    static common::Result<std::unique_ptr<SipStack>> create(common::EventLoop& loop,
                                                            SipConfig config,
                                                            SipHandler& handler);
    ~SipStack();
    SipStack(const SipStack&) = delete;
    SipStack& operator=(const SipStack&) = delete;

    // Serves SIP and the EventLoop until stop(). Returns at once after shutdown().
    void run();
    // Any thread: makes run() return soon.
    void stop();
    // Serves SIP and the EventLoop for at most `maxWait` (returns after one round of
    // work). For tests that drive several stacks from one thread, and for embedding.
    void runOnce(common::Duration maxWait);
    // Ends every dialog and releases sofia (see above). Idempotent.
    void shutdown();

    uint16_t boundPort() const;
    // "sip:<user>@<advertised host>:<port>", the Contact of this agent.
    std::string contactUri() const;
    // "<advertised host>:<port>"
    std::string hostPort() const;

    // Sends a dialog-creating INVITE. Events go to `handler` (nullptr: the stack's).
    common::Result<DialogRef> invite(const InviteRequest& request, SipHandler* handler = nullptr);

    // Live dialogs (not yet terminated).
    std::size_t dialogCount() const;

private:
    explicit SipStack(std::unique_ptr<detail::StackCore> core);
    std::unique_ptr<detail::StackCore> core_;
};

}  // namespace parley::proto::sip

#include "proto/sip/sip_stack.hpp"

#include "proto/sip/stack_core.hpp"

namespace parley::proto::sip {

common::Result<std::unique_ptr<SipStack>> SipStack::create(common::EventLoop& loop,
                                                           SipConfig config,
                                                           SipHandler& handler) {
    auto core = std::make_unique<detail::StackCore>(loop, std::move(config), handler);
    auto started = core->start();
    if (!started) return started.error();  // the core's destructor releases what was made
    return std::unique_ptr<SipStack>(new SipStack(std::move(core)));
}

SipStack::SipStack(std::unique_ptr<detail::StackCore> core) : core_(std::move(core)) {}
SipStack::~SipStack() = default;

void SipStack::run() { core_->run(); }
void SipStack::stop() { core_->stop(); }
void SipStack::runOnce(common::Duration maxWait) { core_->runOnce(maxWait); }
void SipStack::shutdown() { core_->shutdown(); }

uint16_t SipStack::boundPort() const { return core_->boundPort(); }

std::string SipStack::hostPort() const {
    return core_->advertisedHost() + ":" + std::to_string(core_->boundPort());
}

std::string SipStack::contactUri() const {
    return "sip:" + core_->config().user + "@" + hostPort();
}

common::Result<DialogRef> SipStack::invite(const InviteRequest& request, SipHandler* handler) {
    return core_->invite(request, handler);
}

std::size_t SipStack::dialogCount() const { return core_->dialogCount(); }

}  // namespace parley::proto::sip

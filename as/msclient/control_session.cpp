#include "as/msclient/control_session.hpp"

namespace parley::as {

using common::Clock;

namespace {

cfw::ChannelConfig asClient(cfw::ChannelConfig config) {
    config.role = cfw::Role::Client;
    return config;
}

}  // namespace

ControlSession::ControlSession(common::EventLoop& loop, cfw::ChannelConfig config, ByteSink& sink,
                               ControlSessionObserver& observer)
    : loop_(loop), sink_(sink), observer_(observer), channel_(asClient(std::move(config)), *this) {}

ControlSession::~ControlSession() {
    if (timer_) loop_.cancelTimer(timer_);
    timer_ = 0;
    channel_.close("session destroyed");
}

void ControlSession::start() {
    channel_.start(Clock::now());
    rearm();
}

void ControlSession::onBytes(std::string_view bytes) {
    channel_.onBytes(bytes, Clock::now());
    rearm();
}

void ControlSession::close(const std::string& reason) {
    channel_.close(reason);
    rearm();
}

common::Result<std::string> ControlSession::sendControl(cfw::OutgoingControl request,
                                                        cfw::ControlCompletion done,
                                                        cfw::ControlProgressFn progress) {
    auto r = channel_.sendControl(std::move(request), Clock::now(), std::move(done),
                                  std::move(progress));
    rearm();
    return r;
}

void ControlSession::sendBytes(std::string_view bytes) { sink_.write(bytes); }

void ControlSession::onClosed(const cfw::CloseInfo& info) { observer_.onSessionClosed(info); }

void ControlSession::onUp(const std::vector<std::string>& packages) {
    observer_.onSessionUp(packages);
}

void ControlSession::onEvent(const cfw::IncomingControl& event) { observer_.onSessionEvent(event); }

void ControlSession::onTimer() {
    timer_ = 0;
    armedFor_.reset();
    channel_.onTick(Clock::now());
    rearm();
}

// Keeps exactly one timer, at the channel's next deadline. Called after every entry into
// the channel, since any of them may move the deadline.
void ControlSession::rearm() {
    auto next = channel_.nextDeadline();
    if (next == armedFor_ && (timer_ != 0 || !next)) return;
    if (timer_) loop_.cancelTimer(timer_);
    timer_ = 0;
    armedFor_ = next;
    if (next) timer_ = loop_.addTimerAt(*next, [this] { onTimer(); });
}

}  // namespace parley::as

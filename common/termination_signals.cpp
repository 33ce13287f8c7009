#include "common/termination_signals.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parley::common {

namespace {

sigset_t terminationMask() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    return mask;
}

}  // namespace

void blockTerminationSignals() {
    const sigset_t mask = terminationMask();
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

Result<std::unique_ptr<TerminationSignals>> TerminationSignals::watch(
    EventLoop& loop, std::function<void(const char*)> onSignal) {
    const sigset_t mask = terminationMask();
    Fd fd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd) return Error(errno, std::string("signalfd: ") + std::strerror(errno));
    std::unique_ptr<TerminationSignals> self(
        new TerminationSignals(loop, std::move(fd), std::move(onSignal)));
    TerminationSignals* raw = self.get();
    if (auto st = loop.watch(raw->fd_.get(), EventLoop::kReadable,
                             [raw](std::uint32_t) { raw->onReadable(); });
        !st)
        return st.error();
    return self;
}

TerminationSignals::TerminationSignals(EventLoop& loop, Fd fd,
                                       std::function<void(const char*)> onSignal)
    : loop_(loop), fd_(std::move(fd)), onSignal_(std::move(onSignal)) {}

TerminationSignals::~TerminationSignals() {
    if (fd_) loop_.unwatch(fd_.get());
}

void TerminationSignals::onReadable() {
    signalfd_siginfo info{};
    while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (onSignal_) onSignal_(info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    }
}

}  // namespace parley::common

#pragma once
// SIGTERM and SIGINT delivered through an EventLoop, for both binaries.
//
//   blockTerminationSignals();          // first thing in main(), before any thread exists
//   auto sig = TerminationSignals::watch(loop, [](const char* name) { ... });
//
// blockTerminationSignals() blocks SIGTERM and SIGINT in the calling thread (every thread
// started later inherits the mask) and ignores SIGPIPE (a peer closing a socket is an error
// return, not a signal). watch() reads them from a signalfd on the loop and calls `onSignal`
// with "SIGTERM" or "SIGINT" on the loop thread, once per signal received; the watch ends
// with the object.

#include <functional>
#include <memory>

#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::common {

void blockTerminationSignals();

class TerminationSignals {
  public:
    static Result<std::unique_ptr<TerminationSignals>> watch(
        EventLoop& loop, std::function<void(const char* name)> onSignal);
    ~TerminationSignals();
    TerminationSignals(const TerminationSignals&) = delete;
    TerminationSignals& operator=(const TerminationSignals&) = delete;

  private:
    TerminationSignals(EventLoop& loop, Fd fd, std::function<void(const char*)> onSignal);
    void onReadable();

    EventLoop& loop_;
    Fd fd_;
    std::function<void(const char*)> onSignal_;
};

}  // namespace parley::common

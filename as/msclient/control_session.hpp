#pragma once
// ControlSession: the AS end (Client role) of one CFW control channel, driven on an
// EventLoop. It owns a proto::cfw::Channel, keeps one loop timer armed at the channel's
// next deadline (SYNC and CONTROL timeouts, K-ALIVE at 80 % of Keep-Alive) and writes what
// the channel produces to a ByteSink. It owns no socket: its owner feeds received bytes to
// onBytes() (TcpStream does it for a TCP connection, tests do it in memory).
//
// Contracts:
// - Loop thread only. start() once, after the transport is connected.
// - Every ControlCompletion given to sendControl() is called exactly once (final answer,
//   timeout, protocol error, or ChannelClosed when the session closes or is destroyed).
//   sendControl() returning an error means the completion is not called.
// - The observer hears onSessionUp() once the SYNC is answered 200, and onSessionClosed()
//   when the channel itself decides to close (SYNC refused or unanswered, K-ALIVE
//   unanswered...). close() and the destructor are the owner's own close: no
//   onSessionClosed(). The observer may call close() but must not destroy the session
//   from inside an observer callback or a completion; defer destruction (loop.post).
// - The ByteSink must outlive the session; write() must not call back into the session.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_loop.hpp"
#include "proto/cfw/channel.hpp"

namespace parley::as {

namespace cfw = proto::cfw;

class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(std::string_view bytes) = 0;
};

class ControlSessionObserver {
public:
    virtual ~ControlSessionObserver() = default;
    virtual void onSessionUp(const std::vector<std::string>& packages) = 0;
    virtual void onSessionClosed(const cfw::CloseInfo& info) = 0;
    // A package event from the MS (already answered 200 by the channel).
    virtual void onSessionEvent(const cfw::IncomingControl& event) = 0;
};

class ControlSession final : private cfw::ChannelHandler {
public:
    ControlSession(common::EventLoop& loop, cfw::ChannelConfig config, ByteSink& sink,
                   ControlSessionObserver& observer);
    ~ControlSession() override;
    ControlSession(const ControlSession&) = delete;
    ControlSession& operator=(const ControlSession&) = delete;

    // Sends SYNC.
    void start();
    void onBytes(std::string_view bytes);
    // The owner's close (transport lost, BYE...): pending completions get ChannelClosed.
    void close(const std::string& reason);

    // A CONTROL request. Errors (channel not up 403, package not negotiated 420, body
    // without type 400) come back at once and `done` is not called.
    common::Result<std::string> sendControl(cfw::OutgoingControl request,
                                            cfw::ControlCompletion done,
                                            cfw::ControlProgressFn progress = {});

    const cfw::Channel& channel() const { return channel_; }
    bool isUp() const { return channel_.state() == cfw::ChannelState::Up; }

private:
    // ChannelHandler
    void sendBytes(std::string_view bytes) override;
    void onClosed(const cfw::CloseInfo& info) override;
    void onUp(const std::vector<std::string>& packages) override;
    void onEvent(const cfw::IncomingControl& event) override;

    void onTimer();
    void rearm();

    common::EventLoop& loop_;
    ByteSink& sink_;
    ControlSessionObserver& observer_;
    cfw::Channel channel_;
    common::EventLoop::TimerId timer_ = 0;
    std::optional<common::TimePoint> armedFor_;
};

}  // namespace parley::as

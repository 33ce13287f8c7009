#pragma once
// ControlChannel: one accepted CFW TCP connection on the media server. It owns the socket,
// drives a proto::cfw::Channel (Server role) with the bytes and the time, dispatches the
// CONTROL requests to package handlers, and holds the resources the channel created.
//
// Contract (loop thread only):
// - The ChannelOwner (the ControlServer) creates it for an accepted socket and calls
//   start(). From then on the channel reads, answers and times out by itself.
// - end(why, hangUp) stops the channel: the cfw::Channel is closed, every resource is
//   released, the owner is told (channelEnding) so it can unbind and, when asked, BYE the
//   control dialog; then what is still buffered is written, the write side is shut and
//   input is discarded until the peer closes or a short linger expires. Only then is the
//   socket closed and channelFinished() called, after which the owner destroys the object
//   (not from inside one of its own callbacks: the owner defers it).
// - Writes never block: output waits in a bounded buffer. Reading pauses while the buffer
//   is above a high-water mark (flow control for pipelining peers); a buffer that reaches
//   its limit, or that the peer does not drain for a while, ends the channel.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "ms/control/package_handler.hpp"
#include "proto/cfw/channel.hpp"

namespace parley::ms {

class ControlChannel;

class ChannelOwner {
  public:
    virtual ~ChannelOwner() = default;
    // SYNC named `dialogId`: bind this connection to that control dialog; the dialog's key.
    virtual common::Result<std::string> claimDialog(ChannelId channel,
                                                    std::string_view dialogId) = 0;
    virtual void channelUp(ControlChannel& channel) = 0;
    // The channel stopped; unbind it from its dialog and BYE the dialog when hangUp is set.
    virtual void channelEnding(ControlChannel& channel, const std::string& why, bool hangUp) = 0;
    // The socket is closed: destroy the channel (later, not inside this call).
    virtual void channelFinished(ChannelId channel) = 0;
    virtual PackageHandler* packageFor(std::string_view packageName) = 0;
};

struct ControlChannelLimits {
    std::size_t maxWriteBuffer = 8u << 20;  // output beyond this ends the channel
    std::size_t readPauseAbove = 1u << 20;  // stop reading while this much is unsent
    std::size_t readChunk = 64u << 10;      // bytes per read()
    int readsPerEvent = 16;                 // fairness between connections
    common::Duration writeStall = std::chrono::seconds(30);  // unsent output, no progress
    common::Duration linger = std::chrono::seconds(2);       // after end(): drain, then close
};

class ControlChannel final : public proto::cfw::ChannelHandler, public ControlContext {
  public:
    ControlChannel(ChannelId id, common::Fd fd, common::SocketAddress peer, common::EventLoop& loop,
                   ChannelOwner& owner, proto::cfw::ChannelConfig config,
                   ControlChannelLimits limits);
    ~ControlChannel() override;
    ControlChannel(const ControlChannel&) = delete;
    ControlChannel& operator=(const ControlChannel&) = delete;

    common::Status start();
    void end(const std::string& why, bool hangUp);

    bool ending() const { return ending_; }
    bool finished() const { return finished_; }
    bool up() const { return channel_.state() == proto::cfw::ChannelState::Up && !ending_; }
    const common::SocketAddress& peer() const { return peer_; }
    const proto::cfw::Channel& cfw() const { return channel_; }
    std::size_t unsentBytes() const { return out_.size() - outPos_; }

    // ControlContext
    ChannelId channelId() const override { return id_; }
    const std::string& controlDialog() const override { return dialogKey_; }
    ResourceOwner& resources() override { return resources_; }
    common::Status respond(std::string_view transId, int status, std::string_view contentType,
                           std::string_view body) override;
    common::Status accept(std::string_view transId, std::uint32_t timeoutSeconds) override;
    common::Status report(std::string_view transId, proto::cfw::ReportStatus status,
                          std::string_view contentType, std::string_view body) override;
    common::Result<std::string> sendEvent(proto::cfw::OutgoingControl event) override;

  private:
    // proto::cfw::ChannelHandler
    void sendBytes(std::string_view bytes) override;
    void onClosed(const proto::cfw::CloseInfo& info) override;
    void onUp(const std::vector<std::string>& packages) override;
    bool acceptDialogId(std::string_view dialogId) override;
    void onControl(const proto::cfw::IncomingControl& request) override;

    void onIo(std::uint32_t events);
    void onTimer();
    void readSome(bool evenIfPaused);
    void flush();
    void finish();
    // After any outside event: write what is pending, set the watch and the timer.
    void settle();
    void updateWatch();
    void rearm();

    // Groups the output of one event into as few writes as possible.
    struct Batch {
        explicit Batch(ControlChannel& c) : c_(c) { ++c_.batchDepth_; }
        ~Batch() {
            if (--c_.batchDepth_ == 0) c_.settle();
        }
        ControlChannel& c_;
    };

    const ChannelId id_;
    common::Fd fd_;
    const common::SocketAddress peer_;
    common::EventLoop& loop_;
    ChannelOwner& owner_;
    const ControlChannelLimits limits_;
    proto::cfw::Channel channel_;
    ResourceOwner resources_;
    std::string dialogKey_;

    std::string out_;
    std::size_t outPos_ = 0;
    common::TimePoint lastWriteProgress_{};
    std::string readBuffer_;

    bool watching_ = false;
    std::uint32_t watchedEvents_ = 0;
    common::EventLoop::TimerId timer_ = 0;
    std::optional<common::TimePoint> timerAt_;
    int batchDepth_ = 0;

    bool ending_ = false;
    bool writeShut_ = false;   // SHUT_WR done, or the connection cannot be written any more
    bool peerClosed_ = false;  // EOF or a broken connection seen on the read side
    bool finished_ = false;
    std::optional<common::TimePoint> lingerUntil_;
};

}  // namespace parley::ms

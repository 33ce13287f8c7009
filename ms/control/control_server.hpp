#pragma once
// ControlServer: the media server's CFW listener (RFC 6230, Server role). Accepts TCP
// connections, gives each a ControlChannel, binds channels to control dialogs on SYNC
// (through the ControlDialogTable), dispatches CONTROL requests to the PackageTable, and
// keeps the counters that /health and /metrics show.
//
// Contract (loop thread only):
// - create() binds the listener (port 0 picks one: localAddress() says which) and starts
//   accepting. At most Config::maxConnections connections exist at once (synchronised or
//   not); more are accepted and closed at once. A connection must SYNC within
//   Config::syncWait or it is closed.
// - When a control dialog ends on the SIP side the table tells the server, which ends the
//   bound channel (its resources are freed). When a bound channel ends for any other reason
//   (keep-alive expiry, TCP loss, unusable peer) the server asks the table to BYE its
//   dialog.
// - A channel's end is told to every package handler (channelEnding()) after the channel
//   released its resources.
// - closeAll() ends every channel (shutdown). The destructor closes what is left at once.
// - The table and the package table must outlive the server.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "ms/control/control_channel.hpp"
#include "ms/control/control_dialog_table.hpp"
#include "ms/control/package_handler.hpp"

namespace parley::ms {

struct ControlStats {
    std::uint64_t connectionsAccepted = 0;
    std::uint64_t connectionsRefused = 0;  // over the connection limit
    std::uint64_t connectionsOpen = 0;     // sockets open now (any state)
    std::uint64_t channelsUp = 0;          // synchronised channels now
    std::uint64_t messagesIn = 0;
    std::uint64_t messagesOut = 0;
    std::uint64_t parseErrors = 0;     // malformed frames
    std::uint64_t errorResponses = 0;  // CFW 4xx/5xx sent
    std::uint64_t keepAliveExpiries = 0;
    std::uint64_t keepAlivesReceived = 0;
};

class ControlServer final : public ChannelOwner, public ChannelDirectory {
  public:
    struct Config {
        common::SocketAddress listen;
        std::size_t maxConnections = 256;
        common::Duration syncWait = std::chrono::seconds(20);
        ControlChannelLimits limits;
    };

    static common::Result<std::unique_ptr<ControlServer>> create(common::EventLoop& loop,
                                                                 ControlDialogTable& dialogs,
                                                                 const PackageTable& packages,
                                                                 Config config);
    ~ControlServer() override;
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    const common::SocketAddress& localAddress() const { return local_; }
    void closeAll(const std::string& why);
    ControlStats stats() const;
    std::size_t connectionCount() const { return channels_.size(); }

    // ChannelOwner
    common::Result<std::string> claimDialog(ChannelId channel, std::string_view dialogId) override;
    void channelUp(ControlChannel& channel) override;
    void channelEnding(ControlChannel& channel, const std::string& why, bool hangUp) override;
    void channelFinished(ChannelId channel) override;
    PackageHandler* packageFor(std::string_view packageName) override;

    // ChannelDirectory: a synchronised channel that is not ending.
    ControlContext* context(ChannelId channel) override;

  private:
    ControlServer(common::EventLoop& loop, ControlDialogTable& dialogs,
                  const PackageTable& packages, Config config, common::Fd listener,
                  common::SocketAddress local);
    void onAcceptable();
    void addStats(const proto::cfw::Channel& channel, ControlStats& into) const;

    common::EventLoop& loop_;
    ControlDialogTable& dialogs_;
    const PackageTable& packages_;
    Config config_;
    common::Fd listener_;
    common::SocketAddress local_;
    bool listening_ = false;
    common::EventLoop::TimerId resumeTimer_ = 0;

    ChannelId nextId_ = 1;
    std::map<ChannelId, std::unique_ptr<ControlChannel>> channels_;
    ControlStats finished_;  // totals of the channels already gone
    std::uint64_t refusedLogged_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // guards posted tasks
};

}  // namespace parley::ms

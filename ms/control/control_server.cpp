#include "ms/control/control_server.hpp"

#include <cerrno>

#include "common/log.hpp"

namespace parley::ms {

namespace cfw = proto::cfw;
using common::Error;
using common::EventLoop;

namespace {
Poco::Logger& log() {
    return common::logger("ms.cfw");
}
}  // namespace

common::Result<std::unique_ptr<ControlServer>> ControlServer::create(EventLoop& loop,
                                                                     ControlDialogTable& dialogs,
                                                                     const PackageTable& packages,
                                                                     Config config) {
    auto fd = common::tcpListen(config.listen);
    if (!fd) return fd.error();
    auto local = common::localAddress(fd->get());
    if (!local) return local.error();
    std::unique_ptr<ControlServer> server(
        new ControlServer(loop, dialogs, packages, std::move(config), std::move(*fd), *local));
    ControlServer* self = server.get();
    auto st = loop.watch(server->listener_.get(), EventLoop::kReadable,
                         [self](std::uint32_t) { self->onAcceptable(); });
    if (!st) return st.error();
    server->listening_ = true;
    return server;
}

ControlServer::ControlServer(EventLoop& loop, ControlDialogTable& dialogs,
                             const PackageTable& packages, Config config, common::Fd listener,
                             common::SocketAddress local)
    : loop_(loop),
      dialogs_(dialogs),
      packages_(packages),
      config_(std::move(config)),
      listener_(std::move(listener)),
      local_(std::move(local)) {
    dialogs_.setOnGone([this](ChannelId id, const std::string& why) {
        auto it = channels_.find(id);
        if (it != channels_.end()) it->second->end(why, false);
    });
}

ControlServer::~ControlServer() {
    *alive_ = false;
    dialogs_.setOnGone({});
    if (resumeTimer_) loop_.cancelTimer(resumeTimer_);
    if (listening_) loop_.unwatch(listener_.get());
    channels_.clear();
}

void ControlServer::onAcceptable() {
    // Bounded per wake-up so one busy listener cannot starve the connections.
    for (int i = 0; i < 64; ++i) {
        common::SocketAddress peer;
        auto fd = common::tcpAccept(listener_.get(), &peer);
        if (!fd) {
            int err = fd.error().code;
            if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
            // Out of descriptors (or another hard error): stop accepting for a moment instead
            // of spinning on a listener that stays readable.
            PARLEY_LOG_ERROR(log(),
                             "CFW accept failed: " << fd.error().message << "; pausing 100 ms");
            loop_.unwatch(listener_.get());
            listening_ = false;
            resumeTimer_ = loop_.addTimer(std::chrono::milliseconds(100), [this] {
                resumeTimer_ = 0;
                if (loop_.watch(listener_.get(), EventLoop::kReadable,
                                [this](std::uint32_t) { onAcceptable(); }))
                    listening_ = true;
            });
            return;
        }
        if (channels_.size() >= config_.maxConnections) {
            ++finished_.connectionsRefused;
            if (refusedLogged_++ % 100 == 0) {
                PARLEY_LOG_WARN(log(), "CFW connection from " << peer.toString() << " refused: "
                                                              << config_.maxConnections
                                                              << " connections open");
            }
            continue;  // the Fd closes here
        }
        (void)common::setNoDelay(fd->get());
        ++finished_.connectionsAccepted;
        ChannelId id = nextId_++;

        cfw::ChannelConfig cc;
        cc.role = cfw::Role::Server;
        cc.packages = packages_.names();
        cc.syncWait = config_.syncWait;
        auto channel = std::make_unique<ControlChannel>(id, std::move(*fd), peer, loop_, *this,
                                                        std::move(cc), config_.limits);
        ControlChannel* raw = channel.get();
        channels_.emplace(id, std::move(channel));
        PARLEY_LOG_INFO(log(), "cfw connection #" << id << " from " << peer.toString());
        if (auto st = raw->start(); !st) {
            PARLEY_LOG_ERROR(log(),
                             "cfw connection #" << id << " not started: " << st.error().message);
            channels_.erase(id);
        }
    }
}

common::Result<std::string> ControlServer::claimDialog(ChannelId channel,
                                                       std::string_view dialogId) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) return Error(481, "connection gone");
    const std::string& current = it->second->controlDialog();
    if (!current.empty()) {
        const ControlDialogInfo* info = dialogs_.find(current);
        bool same = info && (info->asCfwId == dialogId || info->msCfwId == dialogId);
        if (!same) return Error(481, "this connection belongs to control dialog " + current);
    }
    return dialogs_.bind(dialogId, channel);
}

void ControlServer::channelUp(ControlChannel& channel) {
    const auto& c = channel.cfw();
    std::string packages;
    for (const auto& p : c.negotiatedPackages()) packages += (packages.empty() ? "" : ",") + p;
    PARLEY_LOG_INFO(log(), "cfw channel #" << channel.channelId() << " up: control dialog "
                                           << channel.controlDialog() << ", packages " << packages
                                           << ", keep-alive " << c.keepAliveSeconds() << " s");
}

void ControlServer::channelEnding(ControlChannel& channel, const std::string& why, bool hangUp) {
    const auto& info = channel.cfw().closeInfo();
    if (info && info->reason == cfw::CloseReason::KeepAliveExpired) ++finished_.keepAliveExpiries;
    for (PackageHandler* h : packages_.all()) h->channelEnding(channel.channelId());
    const std::string& key = channel.controlDialog();
    if (key.empty()) return;
    dialogs_.unbind(key, channel.channelId());
    if (hangUp) dialogs_.hangUp(key, "its control channel closed (" + why + ")");
}

void ControlServer::channelFinished(ChannelId id) {
    auto it = channels_.find(id);
    if (it == channels_.end()) return;
    addStats(it->second->cfw(), finished_);
    // Not destroyed here: this runs inside one of the channel's own callbacks.
    std::weak_ptr<bool> alive = alive_;
    loop_.post([this, alive, id] {
        if (alive.expired() || !*alive.lock()) return;
        channels_.erase(id);
    });
}

ControlContext* ControlServer::context(ChannelId id) {
    auto it = channels_.find(id);
    if (it == channels_.end() || it->second->ending() || it->second->finished()) return nullptr;
    return it->second.get();
}

PackageHandler* ControlServer::packageFor(std::string_view packageName) {
    return packages_.find(packageName);
}

void ControlServer::closeAll(const std::string& why) {
    std::vector<ChannelId> ids;
    for (const auto& [id, c] : channels_) ids.push_back(id);
    for (ChannelId id : ids) {
        auto it = channels_.find(id);
        if (it != channels_.end()) it->second->end(why, false);
    }
}

void ControlServer::addStats(const cfw::Channel& channel, ControlStats& into) const {
    const auto& s = channel.stats();
    into.messagesIn += s.messagesIn;
    into.messagesOut += s.messagesOut;
    into.parseErrors += s.parseErrors;
    into.errorResponses += s.errorResponsesSent;
    into.keepAlivesReceived += s.keepAlivesReceived;
}

ControlStats ControlServer::stats() const {
    ControlStats s = finished_;
    for (const auto& [id, c] : channels_) {
        if (c->finished()) continue;  // already in finished_, erased soon
        ++s.connectionsOpen;
        if (c->up()) ++s.channelsUp;
        addStats(c->cfw(), s);
    }
    return s;
}

}  // namespace parley::ms

#include "as_test_support.hpp"

#include <algorithm>

#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"

namespace parley::as::test {

using common::Clock;

bool runUntil(common::EventLoop& loop, const std::function<bool()>& done, common::Duration timeout) {
    auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() >= deadline) return false;
        loop.runOnce(5ms);
    }
    return true;
}

void runFor(common::EventLoop& loop, common::Duration d) {
    auto until = Clock::now() + d;
    while (Clock::now() < until) loop.runOnce(2ms);
}

// --- FakeMs ----------------------------------------------------------------------------

struct FakeMs::Conn : TcpStreamHandler, cfw::ChannelHandler {
    FakeMs& ms;
    std::unique_ptr<TcpStream> stream;
    cfw::Channel channel;
    bool frozen = false;
    bool dead = false;

    Conn(FakeMs& owner, cfw::ChannelConfig config) : ms(owner), channel(std::move(config), *this) {}

    // TcpStreamHandler
    void onStreamConnected() override {}
    void onStreamData(std::string_view bytes) override {
        if (!frozen && !dead) channel.onBytes(bytes, Clock::now());
    }
    void onStreamDown(const std::string&) override {
        if (dead) return;
        dead = true;
        ++ms.closedByPeer_;
        channel.close("peer closed");
    }

    // ChannelHandler
    void sendBytes(std::string_view bytes) override {
        if (stream && !dead) stream->write(bytes);
    }
    void onClosed(const cfw::CloseInfo&) override {
        dead = true;
        if (stream) stream->close();
    }
    bool acceptDialogId(std::string_view id) override {
        ms.syncDialogIds.emplace_back(id);
        if (ms.knownDialogs.empty()) return true;
        return std::find(ms.knownDialogs.begin(), ms.knownDialogs.end(), id) != ms.knownDialogs.end();
    }
    void onControl(const cfw::IncomingControl& request) override {
        if (ms.onControl) {
            ms.onControl(channel, request);
        } else {
            (void)channel.respond(request.transId, 200, Clock::now(), request.contentType, request.body);
        }
    }
};

FakeMs::FakeMs(common::EventLoop& loop) : loop_(loop) {
    auto addr = common::SocketAddress::parse("127.0.0.1:0");
    auto fd = common::tcpListen(*addr);
    if (!fd) throw std::runtime_error("listen: " + fd.error().message);
    listener_ = std::move(*fd);
    port_ = common::localAddress(listener_.get())->port();
    (void)loop_.watch(listener_.get(), common::EventLoop::kReadable, [this](std::uint32_t) { onAccept(); });
    tickTimer_ = loop_.addTimer(5ms, [this] { tick(); });
}

FakeMs::~FakeMs() {
    if (tickTimer_) loop_.cancelTimer(tickTimer_);
    closeListener();
    for (auto& c : conns_) {
        c->dead = true;
        c->channel.close("fake MS gone");
        if (c->stream) c->stream->close();
    }
}

void FakeMs::onAccept() {
    for (;;) {
        auto fd = common::tcpAccept(listener_.get(), nullptr);
        if (!fd) return;
        cfw::ChannelConfig config;
        config.role = cfw::Role::Server;
        config.packages = packages;
        auto conn = std::make_unique<Conn>(*this, std::move(config));
        auto stream = TcpStream::adopt(loop_, std::move(*fd), *conn);
        if (!stream) continue;
        conn->stream = std::move(*stream);
        conn->channel.start(Clock::now());
        ++accepted_;
        conns_.push_back(std::move(conn));
    }
}

void FakeMs::tick() {
    tickTimer_ = 0;
    auto now = Clock::now();
    for (auto& c : conns_) {
        if (!c->dead && !c->frozen) c->channel.onTick(now);  // a frozen MS is hung: no timers either
    }
    tickTimer_ = loop_.addTimer(5ms, [this] { tick(); });
}

void FakeMs::freeze() {
    for (auto& c : conns_) c->frozen = true;
}

void FakeMs::dropAll() {
    for (auto& c : conns_) {
        if (c->dead) continue;
        c->dead = true;
        c->channel.close("dropped by test");
        c->stream->close();
    }
}

void FakeMs::closeListener() {
    if (!listener_) return;
    loop_.unwatch(listener_.get());
    listener_.reset();
}

std::size_t FakeMs::liveConnections() const {
    return static_cast<std::size_t>(
        std::count_if(conns_.begin(), conns_.end(), [](const auto& c) { return !c->dead; }));
}

cfw::Channel* FakeMs::channel() {
    for (auto it = conns_.rbegin(); it != conns_.rend(); ++it) {
        if (!(*it)->dead) return &(*it)->channel;
    }
    return nullptr;
}

// --- FakeSignalling --------------------------------------------------------------------

namespace {

class FakeDialog : public ControlDialog {
public:
    explicit FakeDialog(std::shared_ptr<FakeSignalling::Call> call) : call_(std::move(call)) {}
    ~FakeDialog() override { hangup(); }
    void hangup() override {
        if (call_->hungUp) return;
        call_->hungUp = true;
        call_->handler = nullptr;
    }

private:
    std::shared_ptr<FakeSignalling::Call> call_;
};

}  // namespace

common::Result<std::unique_ptr<ControlDialog>> FakeSignalling::invite(const std::string& uri,
                                                                      const std::string& sdpOffer,
                                                                      ControlDialogHandler& handler) {
    if (inviteError) return common::Error(inviteError, "fake invite error");
    auto call = std::make_shared<Call>();
    call->uri = uri;
    call->offer = sdpOffer;
    call->handler = &handler;
    if (auto s = proto::sdp::parse(sdpOffer)) {
        if (auto m = proto::sdp::findControlMedia(*s)) call->cfwId = m->cfwId;
    }
    calls.push_back(call);
    if (loop && (autoAnswerPort || autoRefuse)) {
        std::uint16_t port = autoAnswerPort;
        int refuse = autoRefuse;
        loop->post([call, port, refuse] {
            if (!call->handler) return;
            if (refuse) {
                call->handler->onRefused(refuse, "Busy Here");
            } else {
                answer(*call, passiveAnswer(port));
            }
        });
    }
    return std::unique_ptr<ControlDialog>(std::make_unique<FakeDialog>(call));
}

void FakeSignalling::answer(Call& call, const std::string& sdp) {
    if (!call.handler) return;
    call.answered = true;
    call.handler->onAnswered(sdp);
}

std::string FakeSignalling::passiveAnswer(std::uint16_t port, const std::string& setup) {
    return "v=0\r\no=parley-ms 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=application " +
           std::to_string(port) +
           " TCP cfw\r\na=connection:new\r\na=setup:" + setup + "\r\na=cfw-id:msside1\r\n";
}

}  // namespace parley::as::test

#include "as/msclient/tcp_stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parley::as {

using common::EventLoop;
using common::Fd;

common::Result<std::unique_ptr<TcpStream>> TcpStream::connect(EventLoop& loop,
                                                              const common::SocketAddress& to,
                                                              common::Duration connectTimeout,
                                                              TcpStreamHandler& handler) {
    auto fd = common::tcpConnect(to);
    if (!fd) return fd.error();
    std::unique_ptr<TcpStream> s(new TcpStream(loop, std::move(*fd), false, handler));
    if (auto w = s->watchSocket(); !w) return w.error();
    TcpStream* self = s.get();
    s->connectTimer_ = loop.addTimer(connectTimeout, [self, to] {
        self->connectTimer_ = 0;
        if (!self->connected_) self->fail("TCP connect to " + to.toString() + " timed out");
    });
    return s;
}

common::Result<std::unique_ptr<TcpStream>> TcpStream::adopt(EventLoop& loop, Fd connected,
                                                            TcpStreamHandler& handler) {
    if (auto nb = common::setNonBlocking(connected.get()); !nb) return nb.error();
    std::unique_ptr<TcpStream> s(new TcpStream(loop, std::move(connected), true, handler));
    if (auto w = s->watchSocket(); !w) return w.error();
    return s;
}

TcpStream::TcpStream(EventLoop& loop, Fd fd, bool connected, TcpStreamHandler& handler)
    : loop_(loop), fd_(std::move(fd)), connected_(connected), handler_(handler) {
    wantWrite_ = !connected_;  // writability signals the end of a connect
}

TcpStream::~TcpStream() { close(); }

common::Status TcpStream::watchSocket() {
    std::uint32_t ev = EventLoop::kReadable | (wantWrite_ ? EventLoop::kWritable : 0);
    return loop_.watch(fd_.get(), ev, [this](std::uint32_t events) { onEvents(events); });
}

void TcpStream::close() {
    if (connectTimer_) loop_.cancelTimer(connectTimer_);
    if (failTimer_) loop_.cancelTimer(failTimer_);
    connectTimer_ = failTimer_ = 0;
    if (fd_) {
        loop_.unwatch(fd_.get());
        fd_.reset();
    }
    out_.clear();
    outPos_ = 0;
}

void TcpStream::write(std::string_view bytes) {
    if (!fd_ || !pendingFailure_.empty()) return;
    if (backlog() == 0) {
        out_.clear();
        outPos_ = 0;
    }
    out_.append(bytes);
    if (backlog() > kMaxBacklog) {
        failLater("peer is not reading: more than " + std::to_string(kMaxBacklog) +
                  " bytes unsent");
        return;
    }
    if (!connected_) return;
    if (!flush()) return;
    updateInterest();
}

void TcpStream::onEvents(std::uint32_t events) {
    if (!fd_) return;
    if (!connected_) {
        if (events & (EventLoop::kWritable | EventLoop::kHangup)) finishConnect();
        return;
    }
    if (events & EventLoop::kWritable) {
        if (!flush()) return;
        updateInterest();
    }
    if (events & (EventLoop::kReadable | EventLoop::kHangup)) readAll();
}

void TcpStream::finishConnect() {
    int err = common::socketError(fd_.get());
    if (err != 0) {
        fail(std::string("TCP connect failed: ") + std::strerror(err));
        return;
    }
    connected_ = true;
    if (connectTimer_) loop_.cancelTimer(connectTimer_);
    connectTimer_ = 0;
    if (!flush()) return;
    updateInterest();
    handler_.onStreamConnected();
}

void TcpStream::readAll() {
    char buf[16384];
    // Bounded per wake-up so one busy peer cannot starve the loop.
    for (int round = 0; round < 16 && fd_; ++round) {
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n > 0) {
            handler_.onStreamData(std::string_view(buf, static_cast<std::size_t>(n)));
            continue;
        }
        if (n == 0) {
            fail("TCP connection closed by the peer");
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        fail(std::string("TCP read failed: ") + std::strerror(errno));
        return;
    }
}

bool TcpStream::flush() {
    while (backlog() > 0) {
        ssize_t n = ::send(fd_.get(), out_.data() + outPos_, backlog(), MSG_NOSIGNAL);
        if (n > 0) {
            outPos_ += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        failLater(std::string("TCP write failed: ") + std::strerror(errno));
        return false;
    }
    if (backlog() == 0) {
        out_.clear();
        outPos_ = 0;
    }
    return true;
}

void TcpStream::updateInterest() {
    if (!fd_) return;
    bool want = backlog() > 0;
    if (want == wantWrite_) return;
    wantWrite_ = want;
    (void)loop_.modify(fd_.get(), EventLoop::kReadable | (want ? EventLoop::kWritable : 0));
}

void TcpStream::fail(const std::string& reason) {
    if (!fd_) return;
    close();
    handler_.onStreamDown(reason);
}

// write() may run inside the channel's own call chain: report the failure from a fresh
// loop callback instead.
void TcpStream::failLater(const std::string& reason) {
    if (!pendingFailure_.empty()) return;
    pendingFailure_ = reason;
    if (fd_) loop_.unwatch(fd_.get());
    failTimer_ = loop_.addTimer(common::Duration::zero(), [this] {
        failTimer_ = 0;
        fail(pendingFailure_);
    });
}

}  // namespace parley::as

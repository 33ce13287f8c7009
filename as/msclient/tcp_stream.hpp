#pragma once
// TcpStream: one non-blocking stream socket on an EventLoop, as a ByteSink with callbacks.
// The AS uses it for the TCP connection of a control channel; tests adopt one end of a
// socketpair.
//
// Contracts:
// - Loop thread only. The handler hears onStreamConnected() once (connect() only: an
//   adopted socket is connected already), then onStreamData() for every read, and at most
//   one onStreamDown() (connect refused or timed out, peer closed, read or write error,
//   output backlog over kMaxBacklog). After onStreamDown() the socket is closed and the
//   stream does nothing more.
// - write() never calls the handler: a write error is reported from a later loop
//   callback. Writes before the connection completes are queued.
// - The handler may call close() or write() from a callback, but must not destroy the
//   stream from inside one (defer it with loop.post).
// - close() and the destructor close the socket without calling the handler.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "as/msclient/control_session.hpp"
#include "common/event_loop.hpp"
#include "common/net.hpp"

namespace parley::as {

class TcpStreamHandler {
public:
    virtual ~TcpStreamHandler() = default;
    virtual void onStreamConnected() = 0;
    virtual void onStreamData(std::string_view bytes) = 0;
    virtual void onStreamDown(const std::string& reason) = 0;
};

class TcpStream final : public ByteSink {
public:
    static constexpr std::size_t kMaxBacklog = 8u << 20;  // unsent bytes before giving up

    // Starts a non-blocking connect; `connectTimeout` bounds it.
    static common::Result<std::unique_ptr<TcpStream>> connect(common::EventLoop& loop,
                                                              const common::SocketAddress& to,
                                                              common::Duration connectTimeout,
                                                              TcpStreamHandler& handler);
    // Takes a connected socket (made non-blocking here).
    static common::Result<std::unique_ptr<TcpStream>> adopt(common::EventLoop& loop,
                                                            common::Fd connected,
                                                            TcpStreamHandler& handler);
    ~TcpStream() override;
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;

    void write(std::string_view bytes) override;
    void close();

    bool connected() const { return connected_; }
    bool open() const { return fd_.valid(); }
    std::size_t backlog() const { return out_.size() - outPos_; }

private:
    TcpStream(common::EventLoop& loop, common::Fd fd, bool connected, TcpStreamHandler& handler);
    common::Status watchSocket();
    void onEvents(std::uint32_t events);
    void finishConnect();
    void readAll();
    bool flush();  // false when the stream went down
    void updateInterest();
    void fail(const std::string& reason);
    void failLater(const std::string& reason);

    common::EventLoop& loop_;
    common::Fd fd_;
    bool connected_ = false;
    TcpStreamHandler& handler_;
    std::string out_;
    std::size_t outPos_ = 0;
    bool wantWrite_ = false;
    common::EventLoop::TimerId connectTimer_ = 0;
    common::EventLoop::TimerId failTimer_ = 0;
    std::string pendingFailure_;
};

}  // namespace parley::as

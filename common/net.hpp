#pragma once
// RAII file descriptors and small socket helpers (IPv4 and IPv6, TCP and UDP).
//
// Every socket is created non-blocking and close-on-exec. Errors come back as
// Result/Status with errno in Error::code and a message naming the operation and address.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"

namespace parley::common {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

// An IPv4 or IPv6 socket address.
class SocketAddress {
public:
    SocketAddress() = default;
    SocketAddress(const sockaddr* sa, socklen_t len);

    // "1.2.3.4:5060", "[::1]:5060", "localhost:80" (resolved with getaddrinfo, numeric
    // service). A missing ":PORT" uses defaultPort when it is >= 0, else is an error.
    static Result<SocketAddress> parse(std::string_view hostPort, int defaultPort = -1);
    // Host (numeric or name) and port given separately.
    static Result<SocketAddress> fromHostPort(std::string_view host, std::uint16_t port);

    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss_); }
    sockaddr* sa() { return reinterpret_cast<sockaddr*>(&ss_); }
    socklen_t len() const { return len_; }
    socklen_t* lenPtr() { return &len_; }
    int family() const { return ss_.ss_family; }
    bool valid() const { return len_ > 0; }

    std::string host() const;                  // numeric, without brackets
    std::uint16_t port() const;
    void setPort(std::uint16_t port);
    std::string toString() const;              // "1.2.3.4:5060" or "[::1]:5060"
    bool isAnyAddress() const;                 // 0.0.0.0 or ::

    bool operator==(const SocketAddress& o) const;
    bool operator!=(const SocketAddress& o) const { return !(*this == o); }

private:
    sockaddr_storage ss_{};
    socklen_t len_ = 0;
};

// Splits "host:port" / "[v6]:port" without resolving. Port must be 0..65535.
Result<std::pair<std::string, std::uint16_t>> splitHostPort(std::string_view text, int defaultPort = -1);

Result<Fd> tcpListen(const SocketAddress& addr, int backlog = 128);
// Non-blocking connect: the fd becomes writable when the connection completes; check the
// outcome with socketError().
Result<Fd> tcpConnect(const SocketAddress& addr);
Result<Fd> tcpAccept(int listenFd, SocketAddress* peer);
Result<Fd> udpBind(const SocketAddress& addr);
Result<SocketAddress> localAddress(int fd);
Result<SocketAddress> peerAddress(int fd);
int socketError(int fd);  // SO_ERROR: 0 when the connect succeeded
Status setNonBlocking(int fd);
Status setNoDelay(int fd);

}  // namespace parley::common

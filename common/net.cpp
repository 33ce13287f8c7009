#include "common/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace parley::common {
namespace {

Error sysError(const std::string& what) {
    int e = errno;
    return Error(e, what + ": " + std::strerror(e));
}

}  // namespace

void Fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

SocketAddress::SocketAddress(const sockaddr* sa, socklen_t len) {
    if (len > sizeof ss_) len = sizeof ss_;
    std::memcpy(&ss_, sa, len);
    len_ = len;
}

Result<std::pair<std::string, std::uint16_t>> splitHostPort(std::string_view text, int defaultPort) {
    std::string_view host = text;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return Error(EINVAL, "bad address '" + std::string(text) + "': missing ']'");
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return Error(EINVAL, "bad address '" + std::string(text) + "'");
            port = rest.substr(1);
        }
    } else {
        auto colon = text.rfind(':');
        if (colon != std::string_view::npos) {
            if (text.find(':') != colon)
                return Error(EINVAL, "bad address '" + std::string(text) + "': write IPv6 as [addr]:port");
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
        }
    }
    if (host.empty()) return Error(EINVAL, "bad address '" + std::string(text) + "': no host");
    unsigned value = 0;
    if (port.empty()) {
        if (defaultPort < 0) return Error(EINVAL, "bad address '" + std::string(text) + "': no port");
        value = static_cast<unsigned>(defaultPort);
    } else {
        auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || p != port.data() + port.size() || value > 65535)
            return Error(EINVAL, "bad address '" + std::string(text) + "': port must be 0..65535");
    }
    return std::make_pair(std::string(host), static_cast<std::uint16_t>(value));
}

Result<SocketAddress> SocketAddress::parse(std::string_view hostPort, int defaultPort) {
    auto hp = splitHostPort(hostPort, defaultPort);
    if (!hp) return hp.error();
    return fromHostPort(hp->first, hp->second);
}

Result<SocketAddress> SocketAddress::fromHostPort(std::string_view hostView, std::uint16_t port) {
    std::string host(hostView);
    SocketAddress a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss_);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len_ = sizeof(sockaddr_in);
        return a;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len_ = sizeof(sockaddr_in6);
        return a;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || !res) return Error(EINVAL, "cannot resolve '" + host + "': " + gai_strerror(rc));
    SocketAddress out(res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    out.setPort(port);
    return out;
}

std::string SocketAddress::host() const {
    char buf[INET6_ADDRSTRLEN] = {0};
    if (ss_.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss_)->sin_addr, buf, sizeof buf);
    else if (ss_.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_addr, buf, sizeof buf);
    return buf;
}

std::uint16_t SocketAddress::port() const {
    if (ss_.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss_)->sin_port);
    if (ss_.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_port);
    return 0;
}

void SocketAddress::setPort(std::uint16_t port) {
    if (ss_.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&ss_)->sin_port = htons(port);
    else if (ss_.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&ss_)->sin6_port = htons(port);
}

std::string SocketAddress::toString() const {
    if (ss_.ss_family == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
    return host() + ":" + std::to_string(port());
}

bool SocketAddress::isAnyAddress() const {
    if (ss_.ss_family == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(&ss_)->sin_addr.s_addr == htonl(INADDR_ANY);
    if (ss_.ss_family == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_addr);
    return false;
}

bool SocketAddress::operator==(const SocketAddress& o) const {
    if (ss_.ss_family != o.ss_.ss_family) return false;
    if (ss_.ss_family == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&ss_);
        auto* b = reinterpret_cast<const sockaddr_in*>(&o.ss_);
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (ss_.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&ss_);
        auto* b = reinterpret_cast<const sockaddr_in6*>(&o.ss_);
        return a->sin6_port == b->sin6_port &&
               std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
    }
    return len_ == o.len_;
}

Status setNonBlocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return sysError("fcntl");
    return {};
}

Status setNoDelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) return sysError("TCP_NODELAY");
    return {};
}

Result<Fd> tcpListen(const SocketAddress& addr, int backlog) {
    Fd fd(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return sysError("socket");
    int one = 1;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), addr.sa(), addr.len()) != 0) return sysError("bind " + addr.toString());
    if (::listen(fd.get(), backlog) != 0) return sysError("listen " + addr.toString());
    return fd;
}

Result<Fd> tcpConnect(const SocketAddress& addr) {
    Fd fd(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return sysError("socket");
    if (::connect(fd.get(), addr.sa(), addr.len()) != 0 && errno != EINPROGRESS)
        return sysError("connect " + addr.toString());
    (void)setNoDelay(fd.get());
    return fd;
}

Result<Fd> tcpAccept(int listenFd, SocketAddress* peer) {
    SocketAddress p;
    *p.lenPtr() = sizeof(sockaddr_storage);
    int fd = ::accept4(listenFd, p.sa(), p.lenPtr(), SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return sysError("accept");
    if (peer) *peer = p;
    Fd out(fd);
    (void)setNoDelay(out.get());
    return out;
}

Result<Fd> udpBind(const SocketAddress& addr) {
    Fd fd(::socket(addr.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return sysError("socket");
    if (::bind(fd.get(), addr.sa(), addr.len()) != 0) return sysError("bind " + addr.toString());
    return fd;
}

Result<SocketAddress> localAddress(int fd) {
    SocketAddress a;
    *a.lenPtr() = sizeof(sockaddr_storage);
    if (getsockname(fd, a.sa(), a.lenPtr()) != 0) return sysError("getsockname");
    return a;
}

Result<SocketAddress> peerAddress(int fd) {
    SocketAddress a;
    *a.lenPtr() = sizeof(sockaddr_storage);
    if (getpeername(fd, a.sa(), a.lenPtr()) != 0) return sysError("getpeername");
    return a;
}

int socketError(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

}  // namespace parley::common

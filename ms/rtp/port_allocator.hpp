#pragma once
// RTP/RTCP port pairs from a configured range (--rtp-ports LO-HI).
//
// Contract:
// - allocate() returns a PortPair: an even RTP port P and P+1 for RTCP, both UDP sockets
//   bound on the allocator's local address (non-blocking, close-on-exec), with LO <= P and
//   P+1 <= HI. Ports taken by other processes (EADDRINUSE) are skipped. Allocation walks
//   the range round-robin so a just-released pair is not reused at once (stray packets of
//   the old call). When every pair is in use or busy it fails with EADDRINUSE; other bind
//   errors (address not local...) fail at once with their errno.
// - A PortPair owns its sockets and gives its port back when destroyed (RAII, movable).
// - allocate() and the release done by ~PortPair() may run on different threads (control
//   thread allocates, a media worker drops the leg): they take a mutex, never on the
//   20 ms path. The allocator must outlive every PortPair it handed out.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::ms::rtp {

class PortAllocator;

class PortPair {
  public:
    PortPair() = default;
    PortPair(PortPair&& o) noexcept;
    PortPair& operator=(PortPair&& o) noexcept;
    PortPair(const PortPair&) = delete;
    PortPair& operator=(const PortPair&) = delete;
    ~PortPair();

    bool valid() const { return rtp_.valid(); }
    std::uint16_t rtpPort() const { return port_; }
    std::uint16_t rtcpPort() const { return static_cast<std::uint16_t>(port_ + 1); }
    int rtpFd() const { return rtp_.get(); }
    int rtcpFd() const { return rtcp_.get(); }
    const common::SocketAddress& localRtp() const { return local_; }
    // Gives the port back now (the sockets close).
    void release();

  private:
    friend class PortAllocator;
    PortPair(PortAllocator* owner, std::uint16_t port, common::Fd rtp, common::Fd rtcp,
             common::SocketAddress local);

    PortAllocator* owner_ = nullptr;
    std::uint16_t port_ = 0;
    common::Fd rtp_;
    common::Fd rtcp_;
    common::SocketAddress local_;
};

class PortAllocator {
  public:
    // lo/hi inclusive; lo is rounded up to even. An empty range (no pair fits) is allowed
    // and never allocates.
    PortAllocator(common::SocketAddress localAddress, std::uint16_t lo, std::uint16_t hi);
    // "127.0.0.1", "10000-20000"-style helper for configuration.
    static common::Result<std::pair<std::uint16_t, std::uint16_t>> parseRange(
        std::string_view text);

    common::Result<PortPair> allocate();

    std::size_t pairCount() const { return used_.size(); }
    std::size_t inUse() const;
    const common::SocketAddress& localAddress() const { return local_; }

  private:
    friend class PortPair;
    void release(std::uint16_t port);

    common::SocketAddress local_;
    std::uint16_t lo_;
    mutable std::mutex mutex_;
    std::vector<bool> used_;  // per pair index
    std::size_t next_ = 0;
    std::size_t inUse_ = 0;
};

}  // namespace parley::ms::rtp

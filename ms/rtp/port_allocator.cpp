#include "ms/rtp/port_allocator.hpp"

#include <netinet/ip.h>

#include <cerrno>
#include <charconv>

namespace parley::ms::rtp {

PortPair::PortPair(PortAllocator* owner, std::uint16_t port, common::Fd rtp, common::Fd rtcp,
                   common::SocketAddress local)
    : owner_(owner), port_(port), rtp_(std::move(rtp)), rtcp_(std::move(rtcp)), local_(local) {}

PortPair::PortPair(PortPair&& o) noexcept
    : owner_(std::exchange(o.owner_, nullptr)),
      port_(std::exchange(o.port_, 0)),
      rtp_(std::move(o.rtp_)),
      rtcp_(std::move(o.rtcp_)),
      local_(o.local_) {}

PortPair& PortPair::operator=(PortPair&& o) noexcept {
    if (this != &o) {
        release();
        owner_ = std::exchange(o.owner_, nullptr);
        port_ = std::exchange(o.port_, 0);
        rtp_ = std::move(o.rtp_);
        rtcp_ = std::move(o.rtcp_);
        local_ = o.local_;
    }
    return *this;
}

PortPair::~PortPair() {
    release();
}

void PortPair::release() {
    rtp_.reset();
    rtcp_.reset();
    if (owner_) owner_->release(port_);
    owner_ = nullptr;
    port_ = 0;
}

PortAllocator::PortAllocator(common::SocketAddress localAddress, std::uint16_t lo, std::uint16_t hi)
    : local_(localAddress), lo_(static_cast<std::uint16_t>(lo + (lo & 1u))) {
    // lo_ may have wrapped to 0 when lo was 65535: then nothing fits.
    const std::size_t pairs = (lo_ != 0 && lo_ < hi) ? (std::size_t{hi} - lo_ + 1) / 2 : 0;
    used_.assign(pairs, false);
}

common::Result<std::pair<std::uint16_t, std::uint16_t>> PortAllocator::parseRange(
    std::string_view text) {
    const auto dash = text.find('-');
    auto bad = [&] {
        return common::makeError(EINVAL, "bad port range '" + std::string(text) + "' (want LO-HI)");
    };
    if (dash == std::string_view::npos) return bad();
    unsigned lo = 0, hi = 0;
    const auto a = text.substr(0, dash), b = text.substr(dash + 1);
    if (std::from_chars(a.data(), a.data() + a.size(), lo).ec != std::errc{} ||
        std::from_chars(b.data(), b.data() + b.size(), hi).ec != std::errc{})
        return bad();
    if (a.empty() || b.empty() || lo == 0 || hi > 65535 || lo + 1 > hi) return bad();
    return std::pair<std::uint16_t, std::uint16_t>{static_cast<std::uint16_t>(lo),
                                                   static_cast<std::uint16_t>(hi)};
}

std::size_t PortAllocator::inUse() const {
    std::lock_guard lock(mutex_);
    return inUse_;
}

common::Result<PortPair> PortAllocator::allocate() {
    std::lock_guard lock(mutex_);
    const std::size_t n = used_.size();
    for (std::size_t tried = 0; tried < n; ++tried) {
        const std::size_t idx = (next_ + tried) % n;
        if (used_[idx]) continue;
        const auto port = static_cast<std::uint16_t>(lo_ + idx * 2);
        common::SocketAddress rtpAddr = local_;
        rtpAddr.setPort(port);
        common::SocketAddress rtcpAddr = local_;
        rtcpAddr.setPort(static_cast<std::uint16_t>(port + 1));
        auto rtp = common::udpBind(rtpAddr);
        if (!rtp) {
            if (rtp.error().code == EADDRINUSE) continue;
            return rtp.error();
        }
        auto rtcp = common::udpBind(rtcpAddr);
        if (!rtcp) {
            if (rtcp.error().code == EADDRINUSE) continue;
            return rtcp.error();
        }
        // Expedited forwarding for voice (DSCP 46); best effort.
        if (local_.family() == AF_INET) {
            int tos = 0xB8;
            (void)setsockopt(rtp->get(), IPPROTO_IP, IP_TOS, &tos, sizeof tos);
        }
        used_[idx] = true;
        ++inUse_;
        next_ = (idx + 1) % n;
        return PortPair(this, port, std::move(*rtp), std::move(*rtcp), rtpAddr);
    }
    return common::makeError(EADDRINUSE, "no free RTP port pair in " + std::to_string(lo_) + "-" +
                                             std::to_string(lo_ + n * 2 - 1) + " on " +
                                             local_.host());
}

void PortAllocator::release(std::uint16_t port) {
    std::lock_guard lock(mutex_);
    const std::size_t idx = (port - lo_) / 2u;
    if (port < lo_ || idx >= used_.size() || !used_[idx]) return;
    used_[idx] = false;
    --inUse_;
}

}  // namespace parley::ms::rtp

#include "bench/common/rtp_engine.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace parley::bench {

namespace {

constexpr std::size_t kSendBatch = 256;
constexpr std::size_t kRecvBatch = 64;
constexpr std::size_t kRecvBuf = 2048;
constexpr int kMaxCatchUpPeriods = 5;

std::int64_t timespecNs(const timespec& ts) {
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

std::int64_t realtimeNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return timespecNs(ts);
}

struct RtpEngine::Leg {
    sockaddr_in remote{};
    bool haveRemote = false;
    std::uint8_t header[12] = {};
    std::uint16_t seq = 0;
    std::uint32_t ts = 0;
    bool first = true;
    // receive side
    bool started = false;
    std::uint16_t highSeq = 0;
    std::int64_t lastNs = 0;
    std::uint32_t lastTs = 0;
    std::uint64_t rxInWindow = 0;
};

struct RtpEngine::Batch {
    mmsghdr send[kSendBatch];
    iovec sendIov[kSendBatch * 2];
    mmsghdr recv[kRecvBatch];
    iovec recvIov[kRecvBatch];
    sockaddr_in from[kRecvBatch];
    alignas(cmsghdr) char control[kRecvBatch]
                                 [CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(std::uint32_t))];
    std::uint8_t data[kRecvBatch][kRecvBuf];
};

RtpEngine::RtpEngine(common::EventLoop& loop, RtpEngineConfig config, Media& media)
    : loop_(loop), config_(config), media_(media), legByPort_(65536, -1),
      batch_(std::make_unique<Batch>()) {
    if (config_.slots < 1) config_.slots = 1;
    if (config_.slots > 20) config_.slots = 20;
    slotLegs_.resize(static_cast<std::size_t>(config_.slots));
}

RtpEngine::~RtpEngine() {
    if (timerFd_) loop_.unwatch(timerFd_.get());
    if (fd_ && config_.rxWakeups) loop_.unwatch(fd_.get());
}

common::Result<std::unique_ptr<RtpEngine>> RtpEngine::create(common::EventLoop& loop,
                                                             RtpEngineConfig config, Media& media) {
    std::unique_ptr<RtpEngine> self(new RtpEngine(loop, config, media));
    auto addr = common::SocketAddress::fromHostPort("127.0.0.1", 0);
    if (!addr) return addr.error();
    auto fd = common::udpBind(*addr);
    if (!fd) return fd.error();
    self->fd_ = std::move(*fd);
    const int one = 1;
    const int size = self->config_.socketBufferBytes;
    // FORCE variants pass rmem_max/wmem_max when we may (root); else the plain ones cap.
    if (::setsockopt(self->fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        ::setsockopt(self->fd_.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (::setsockopt(self->fd_.get(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
        ::setsockopt(self->fd_.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (::setsockopt(self->fd_.get(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0 ||
        ::setsockopt(self->fd_.get(), SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) != 0)
        return common::Error(errno, std::string("setsockopt: ") + std::strerror(errno));
    auto local = common::localAddress(self->fd_.get());
    if (!local) return local.error();
    self->port_ = local->port();
    return self;
}

std::size_t RtpEngine::addLeg(bool firstInSlot) {
    Leg leg;
    const std::size_t index = legs_.size();
    const std::uint32_t ssrc = config_.ssrcBase + static_cast<std::uint32_t>(index);
    leg.seq = static_cast<std::uint16_t>(index * 7919u);
    leg.ts = static_cast<std::uint32_t>(index * 104729u);
    leg.header[0] = 0x80;
    leg.header[8] = static_cast<std::uint8_t>(ssrc >> 24);
    leg.header[9] = static_cast<std::uint8_t>(ssrc >> 16);
    leg.header[10] = static_cast<std::uint8_t>(ssrc >> 8);
    leg.header[11] = static_cast<std::uint8_t>(ssrc);
    legs_.push_back(leg);
    auto& slot = slotLegs_[index % slotLegs_.size()];
    if (firstInSlot)
        slot.insert(slot.begin(), index);
    else
        slot.push_back(index);
    return index;
}

std::size_t RtpEngine::legs() const {
    return legs_.size();
}

void RtpEngine::setRemote(std::size_t index, const common::SocketAddress& ms) {
    Leg& leg = legs_.at(index);
    if (ms.family() != AF_INET || ms.len() < static_cast<socklen_t>(sizeof(sockaddr_in))) return;
    std::memcpy(&leg.remote, ms.sa(), sizeof(sockaddr_in));
    leg.haveRemote = true;
    legByPort_[ms.port()] = static_cast<std::int32_t>(index);
}

bool RtpEngine::hasRemote(std::size_t index) const {
    return legs_.at(index).haveRemote;
}

common::Status RtpEngine::start() {
    measureNetwork();
    timerFd_ = common::Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timerFd_) return common::Error(errno, std::string("timerfd: ") + std::strerror(errno));
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    itimerspec spec{};
    spec.it_value = now;
    spec.it_value.tv_sec += 1;  // first expiry on a whole second from now, then periodic
    spec.it_value.tv_nsec = 0;
    spec.it_interval.tv_nsec = static_cast<long>(kRtpFrameNs / config_.slots);
    if (::timerfd_settime(timerFd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
        return common::Error(errno, std::string("timerfd_settime: ") + std::strerror(errno));
    if (auto st = loop_.watch(timerFd_.get(), common::EventLoop::kReadable,
                              [this](std::uint32_t) { onTimer(); });
        !st)
        return st;
    if (!config_.rxWakeups) return {};
    return loop_.watch(fd_.get(), common::EventLoop::kReadable,
                       [this](std::uint32_t) { onReadable(); });
}

void RtpEngine::measureNetwork() {
    // One-way loopback time as this clock sees it: send to a second socket of ours and
    // compare the send time with the kernel's receive timestamp. Median of 101.
    auto addr = common::SocketAddress::fromHostPort("127.0.0.1", 0);
    if (!addr) return;
    auto sink = common::udpBind(*addr);
    if (!sink) return;
    const int one = 1;
    ::setsockopt(sink->get(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    auto to = common::localAddress(sink->get());
    if (!to) return;
    std::vector<std::int64_t> samples;
    std::uint8_t byte = 0;
    for (int i = 0; i < 101; ++i) {
        const std::int64_t t0 = realtimeNs();
        if (::sendto(fd_.get(), &byte, 1, 0, to->sa(), to->len()) != 1) continue;
        pollfd p{sink->get(), POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        std::uint8_t buf[16];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
        iovec iov{buf, sizeof buf};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        if (::recvmsg(sink->get(), &msg, 0) < 0) continue;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts;
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                samples.push_back(timespecNs(ts) - t0);
            }
        }
    }
    if (samples.empty()) return;
    std::sort(samples.begin(), samples.end());
    networkNs_ = std::max<std::int64_t>(samples[samples.size() / 2], 0);
}

void RtpEngine::advanceSlot() {
    if (++slotCursor_ == config_.slots) {
        slotCursor_ = 0;
        ++frame_;
    }
}

void RtpEngine::onTimer() {
    std::uint64_t expirations = 0;
    if (::read(timerFd_.get(), &expirations, sizeof expirations) !=
            static_cast<ssize_t>(sizeof expirations) ||
        expirations == 0)
        return;
    if (!config_.rxWakeups) onReadable();  // what came since the previous slot
    if (expirations > 1 && (measuring_ || config_.countSendsAfterWindow))
        lateSlots_ += expirations - 1;
    const auto cap = static_cast<std::uint64_t>(config_.slots * kMaxCatchUpPeriods);
    std::uint64_t run = std::min(expirations, cap);
    // Past the cap the skipped slots are dropped: their legs simply do not send this time.
    for (std::uint64_t skip = expirations - run; skip > 0; --skip) advanceSlot();
    for (; run > 0; --run) {
        sendSlot(slotCursor_);
        advanceSlot();
    }
}

void RtpEngine::sendSlot(int slot) {
    if (config_.silent) return;
    Batch& b = *batch_;
    const bool count = measuring_ || config_.countSendsAfterWindow;
    std::size_t n = 0;
    RtpSendTime when;
    when.slotNs = realtimeNs();
    when.batchNs = when.slotNs;
    auto flush = [&] {
        std::size_t done = 0;
        while (done < n) {
            const int r =
                ::sendmmsg(fd_.get(), b.send + done, static_cast<unsigned>(n - done), MSG_DONTWAIT);
            if (r <= 0) {
                if (r < 0 && errno == EINTR) continue;
                if (count) sendErrors_ += n - done;
                break;
            }
            done += static_cast<std::size_t>(r);
            if (count) sent_ += static_cast<std::uint64_t>(r);
        }
        n = 0;
        when.batchNs = realtimeNs();
    };
    for (std::size_t index : slotLegs_[static_cast<std::size_t>(slot)]) {
        Leg& leg = legs_[index];
        if (!leg.haveRemote) continue;
        if (n == kSendBatch) flush();
        RtpOut out;
        out.marker = leg.first;
        out.timestamp = leg.ts;
        media_.nextPacket(index, when, out);
        leg.first = false;
        leg.ts += kRtpFrameBytes;  // the media clock runs on whatever was sent
        if (out.payload == nullptr) continue;
        leg.header[1] = static_cast<std::uint8_t>((out.marker ? 0x80 : 0x00) | out.payloadType);
        leg.header[4] = static_cast<std::uint8_t>(out.timestamp >> 24);
        leg.header[5] = static_cast<std::uint8_t>(out.timestamp >> 16);
        leg.header[6] = static_cast<std::uint8_t>(out.timestamp >> 8);
        leg.header[7] = static_cast<std::uint8_t>(out.timestamp);
        for (int c = 0; c < out.copies; ++c) {
            if (n == kSendBatch) flush();
            // The header array is the leg's: with copies each is sent before the next
            // rewrites its sequence number.
            leg.header[2] = static_cast<std::uint8_t>(leg.seq >> 8);
            leg.header[3] = static_cast<std::uint8_t>(leg.seq);
            ++leg.seq;
            iovec* iov = b.sendIov + 2 * n;
            iov[0] = {leg.header, sizeof leg.header};
            iov[1] = {const_cast<std::uint8_t*>(out.payload), out.len};
            msghdr& h = b.send[n].msg_hdr;
            h = msghdr{};
            h.msg_name = &leg.remote;
            h.msg_namelen = sizeof leg.remote;
            h.msg_iov = iov;
            h.msg_iovlen = 2;
            ++n;
            if (out.copies > 1) flush();
            if (c == 0) leg.header[1] &= 0x7F;  // repeated packets carry no marker
        }
    }
    if (n > 0) flush();
}

void RtpEngine::onReadable() {
    Batch& b = *batch_;
    for (int round = 0; round < 64; ++round) {
        for (std::size_t i = 0; i < kRecvBatch; ++i) {
            b.recvIov[i] = {b.data[i], kRecvBuf};
            msghdr& h = b.recv[i].msg_hdr;
            h = msghdr{};
            h.msg_name = &b.from[i];
            h.msg_namelen = sizeof b.from[i];
            h.msg_iov = &b.recvIov[i];
            h.msg_iovlen = 1;
            h.msg_control = b.control[i];
            h.msg_controllen = sizeof b.control[i];
        }
        const int r = ::recvmmsg(fd_.get(), b.recv, kRecvBatch, MSG_DONTWAIT, nullptr);
        if (r <= 0) return;
        for (int i = 0; i < r; ++i) {
            msghdr& h = b.recv[i].msg_hdr;
            std::int64_t arrival = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
                if (c->cmsg_level != SOL_SOCKET) continue;
                if (c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    arrival = timespecNs(ts);
                } else if (c->cmsg_type == SO_RXQ_OVFL) {
                    std::uint32_t drops = 0;
                    std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
                    drops_ = drops;
                }
            }
            if (arrival == 0) arrival = realtimeNs();
            onPacket(b.data[i], std::min<std::size_t>(b.recv[i].msg_len, kRecvBuf),
                     ntohs(b.from[i].sin_port), arrival);
        }
        if (static_cast<std::size_t>(r) < kRecvBatch) return;
    }
}

void RtpEngine::onPacket(const std::uint8_t* data, std::size_t len, std::uint16_t fromPort,
                         std::int64_t arrivalNs) {
    if (len < 12 || (data[0] >> 6) != 2) return;
    const std::int32_t index = legByPort_[fromPort];
    if (index < 0) return;
    Leg& leg = legs_[static_cast<std::size_t>(index)];
    std::size_t offset = 12 + 4u * (data[0] & 0x0F);
    if ((data[0] & 0x10) && len >= offset + 4)
        offset += 4 + 4u * ((static_cast<std::size_t>(data[offset + 2]) << 8) | data[offset + 3]);
    const std::uint16_t seq = static_cast<std::uint16_t>((data[2] << 8) | data[3]);
    const std::uint32_t ts = (static_cast<std::uint32_t>(data[4]) << 24) |
                             (static_cast<std::uint32_t>(data[5]) << 16) |
                             (static_cast<std::uint32_t>(data[6]) << 8) | data[7];
    if (!leg.started) {
        leg.started = true;
    } else {
        const auto ahead = static_cast<std::int16_t>(seq - leg.highSeq);
        if (ahead <= 0) {
            if (measuring_) ++lateOrDup_;
            return;
        }
        if (measuring_) {
            if (ahead == 1) {
                if (ts - leg.lastTs != kRtpFrameBytes) ++tsJumps_;
                const std::int64_t deviation =
                    std::llabs(arrivalNs - leg.lastNs - kRtpFrameNs) / 1000;
                interval_.add(deviation);
                if (stallProbe_) {
                    if (stallProbe_->overlaps(leg.lastNs - kRtpFrameNs, arrivalNs))
                        ++stallTouched_;
                    else
                        calmInterval_.add(deviation);
                }
            } else {
                lost_ += static_cast<std::uint64_t>(ahead - 1);
            }
        }
    }
    leg.highSeq = seq;
    leg.lastNs = arrivalNs;
    leg.lastTs = ts;
    if (measuring_) {
        ++received_;
        ++leg.rxInWindow;
    }
    media_.onMedia(static_cast<std::size_t>(index), data, len, offset, arrivalNs);
}

void RtpEngine::beginMeasure() {
    measuring_ = true;
    measureStartNs_ = realtimeNs();
    received_ = lost_ = lateOrDup_ = tsJumps_ = 0;
    sent_ = sendErrors_ = lateSlots_ = 0;
    dropsAtStart_ = drops_;
    interval_.clear();
    stallTouched_ = 0;
    calmInterval_.clear();
    for (Leg& leg : legs_) leg.rxInWindow = 0;
}

void RtpEngine::endMeasure() {
    measuring_ = false;
    measureEndNs_ = realtimeNs();
}

RtpStreamReport RtpEngine::report() const {
    RtpStreamReport r;
    r.legs = legs_.size();
    r.received = received_;
    r.lost = lost_;
    r.lateOrDup = lateOrDup_;
    r.socketDrops = drops_ - dropsAtStart_;
    const auto due = static_cast<std::uint64_t>((measureEndNs_ - measureStartNs_) / kRtpFrameNs);
    for (const Leg& leg : legs_) {
        if (!leg.haveRemote) continue;
        r.silentStreams += leg.rxInWindow == 0 ? 1 : 0;
        r.due += due;
        if (leg.rxInWindow + 1 < due) {
            ++r.shortStreams;
            r.shortfall += due - leg.rxInWindow;
        }
    }
    r.tsJumps = tsJumps_;
    r.sent = sent_;
    r.sendErrors = sendErrors_;
    r.lateSlots = lateSlots_;
    r.networkMicros = networkNs_ / 1000;
    r.interval = &interval_;
    if (stallProbe_) {
        r.stallTouched = stallTouched_;
        r.calmInterval = &calmInterval_;
    }
    return r;
}

}  // namespace parley::bench

#include "ms/rtp/recv_ring.hpp"

#include <liburing.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "common/net.hpp"
#include "ms/rtp/uring_submit.hpp"

namespace parley::ms::rtp {

namespace {

Poco::Logger& log() {
    return common::logger("ms.rtp");
}

constexpr unsigned kMaxBuffers = 32768;  // the kernel's limit for one buffer ring
constexpr std::uint16_t kBufferGroup = 0;
constexpr int kMaxCollectAttempts = 8;
constexpr std::chrono::nanoseconds kCompletionWait = std::chrono::milliseconds(20);

std::string errorText(int error) {
    return std::strerror(error);
}

unsigned roundUpPow2(unsigned n) {
    unsigned p = 1;
    while (p < n) p <<= 1;
    return p;
}

std::size_t pageRound(std::size_t n) {
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return (n + page - 1) / page * page;
}

// user_data of a receive: its slot, and its place in the submission (its Scratch).
std::uint64_t tagOf(std::uint32_t slot, unsigned position) {
    return (std::uint64_t{position} << 32) | slot;
}

}  // namespace

common::Result<std::unique_ptr<RecvRing>> RecvRing::create(unsigned buffers) {
    std::unique_ptr<RecvRing> self(new RecvRing());
    if (auto st = self->makeReadySet(); !st) return st.error();
    if (auto st = self->setUp(buffers); !st) return st.error();
    self->live_ = true;
    if (auto st = self->probe(); !st)
        return common::Error(st.error().code, "io_uring receive: " + st.error().message);
    return self;
}

common::Result<std::unique_ptr<RecvRing>> RecvRing::withoutRing() {
    std::unique_ptr<RecvRing> self(new RecvRing());
    if (auto st = self->makeReadySet(); !st) return st.error();
    return self;
}

common::Status RecvRing::makeReadySet() {
    readyFd_ = common::Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!readyFd_) return common::Error(errno, "epoll: " + errorText(errno));
    return {};
}

common::Status RecvRing::setUp(unsigned buffers) {
    count_ = roundUpPow2(std::min(std::max(buffers, 1u), kMaxBuffers));
    ring_ = std::make_unique<io_uring>();
    io_uring_params params{};
    // One thread submits and every receive completes while it is submitted (MSG_DONTWAIT), so
    // the kernel has nothing to run for the ring later; a failing entry must not stop the ones
    // after it.
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    int r = io_uring_queue_init_params(kSubmissionEntries, ring_.get(), &params);
    if (r == -EINVAL) {  // a kernel without those flags
        params = io_uring_params{};
        r = io_uring_queue_init_params(kSubmissionEntries, ring_.get(), &params);
    }
    if (r < 0) return common::Error(-r, "io_uring: " + errorText(-r));
    ringUp_ = true;
    scratch_.resize(params.sq_entries);
    for (Scratch& sc : scratch_) {
        sc.iov.iov_base = nullptr;  // the kernel picks the buffer
        sc.iov.iov_len = kBufferSize;
    }

    bufRingBytes_ = pageRound(sizeof(io_uring_buf) * count_);
    void* br = ::mmap(nullptr, bufRingBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (br == MAP_FAILED) {
        bufRingBytes_ = 0;
        return common::Error(errno, "buffer ring: " + errorText(errno));
    }
    bufRing_ = static_cast<io_uring_buf_ring*>(br);
    io_uring_buf_ring_init(bufRing_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(bufRing_);
    reg.ring_entries = count_;
    reg.bgid = kBufferGroup;
    if (r = io_uring_register_buf_ring(ring_.get(), &reg, 0); r != 0)
        return common::Error(-r, "io_uring provided buffer ring (Linux 5.19+): " + errorText(-r));
    bufRingRegistered_ = true;

    areaBytes_ = std::size_t{count_} * kBufferSize;
    void* area = ::mmap(nullptr, areaBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    if (area == MAP_FAILED) {
        areaBytes_ = 0;
        return common::Error(errno, "receive buffers: " + errorText(errno));
    }
    area_ = static_cast<std::uint8_t*>(area);
    heldBy_.assign(count_, Held{});
    for (std::uint32_t bid = 0; bid < count_; ++bid) recycle(bid);
    publishRecycled();
    return {};
}

// Two datagrams to a socket of our own, read through the ring as a worker reads: both must
// come back whole, with their source and a receive stamp, and a third receive must fail at
// once with EAGAIN.
common::Status RecvRing::probe() {
    const auto here = common::SocketAddress::fromHostPort("127.0.0.1", 0).value();
    auto rx = common::udpBind(here);
    if (!rx) return common::Error(rx.error().code, "probe socket: " + rx.error().message);
    auto tx = common::udpBind(here);
    if (!tx) return common::Error(tx.error().code, "probe socket: " + tx.error().message);
    const int on = 1;
    (void)::setsockopt(rx->get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    sockaddr_storage to{};
    socklen_t toLen = sizeof to;
    if (::getsockname(rx->get(), reinterpret_cast<sockaddr*>(&to), &toLen) != 0)
        return common::Error(errno, "probe socket: " + errorText(errno));
    static const std::uint8_t bytes[3] = {0x80, 0x00, 0x01};
    for (int i = 0; i < 2; ++i)
        if (::sendto(tx->get(), bytes, sizeof bytes, 0, reinterpret_cast<sockaddr*>(&to), toLen) !=
            static_cast<ssize_t>(sizeof bytes))
            return common::Error(errno, "probe send: " + errorText(errno));

    io_uring* ring = ring_.get();
    for (int round = 0; round < 3; ++round) {
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        if (sqe == nullptr) return common::Error(EBUSY, "no submission entry");
        Scratch& sc = scratch_[0];
        prepareReceive(sqe, rx->get(), sc, 0);
        if (const int r = io_uring_submit(ring); r != 1)
            return common::Error(r < 0 ? -r : EIO, "submit: " + errorText(r < 0 ? -r : EIO));
        // It must complete while submitted (a kernel that parks a MSG_DONTWAIT receive until
        // data comes would stall the worker): a short bounded look, never a blocking wait.
        io_uring_cqe* cqe = nullptr;
        for (int look = 0; look < 100 && io_uring_peek_cqe(ring, &cqe) != 0; ++look) {
            (void)io_uring_get_events(ring);
            if (io_uring_peek_cqe(ring, &cqe) == 0) break;
            ::usleep(1000);
        }
        if (cqe == nullptr)
            return common::Error(ETIMEDOUT, "a MSG_DONTWAIT RECVMSG did not complete at once");
        const int res = cqe->res;
        const unsigned flags = cqe->flags;
        io_uring_cqe_seen(ring, cqe);
        if (round == 2) {  // the socket is empty now
            if (res != -EAGAIN)
                return common::Error(EIO, "RECVMSG on an empty socket: " +
                                              (res < 0 ? errorText(-res) : "a datagram"));
            break;
        }
        if ((flags & IORING_CQE_F_BUFFER) == 0)
            return common::Error(res < 0 ? -res : EIO,
                                 "RECVMSG with a provided buffer (Linux 5.19+): " +
                                     errorText(res < 0 ? -res : EIO));
        const auto bid = static_cast<std::uint32_t>(flags >> IORING_CQE_BUFFER_SHIFT);
        const bool whole = res == sizeof bytes && std::memcmp(buffer(bid), bytes, sizeof bytes) == 0 &&
                           sc.msg.msg_namelen == sizeof(sockaddr_in);
        bool stamped = false;
        for (cmsghdr* c = CMSG_FIRSTHDR(&sc.msg); c != nullptr; c = CMSG_NXTHDR(&sc.msg, c))
            stamped = stamped || (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS);
        recycle(bid);
        publishRecycled();
        if (!whole || !stamped)
            return common::Error(EIO, "RECVMSG with a provided buffer: datagram, source or stamp "
                                      "missing");
    }
    return {};
}

RecvRing::~RecvRing() {
    if (bufRingRegistered_) (void)io_uring_unregister_buf_ring(ring_.get(), kBufferGroup);
    if (ringUp_) io_uring_queue_exit(ring_.get());
    if (bufRing_ != nullptr) ::munmap(bufRing_, bufRingBytes_);
    if (area_ != nullptr) ::munmap(area_, areaBytes_);
}

common::Result<std::uint32_t> RecvRing::watch(RtpSession& session) {
    std::uint32_t index;
    if (!freeSlots_.empty()) {
        index = freeSlots_.back();
        freeSlots_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    ::epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = index;
    if (::epoll_ctl(readyFd_.get(), EPOLL_CTL_ADD, session.rtpFd(), &ev) != 0) {
        const int err = errno;
        freeSlots_.push_back(index);
        return common::Error(err, "cannot watch RTP: " + errorText(err));
    }
    // One epoll_wait() lists every ready socket: room for all of them.
    if (readyEvents_.size() < slots_.size()) readyEvents_.resize(slots_.size() + 64);
    slots_[index] = Slot{};
    slots_[index].session = &session;
    return index;
}

void RecvRing::unwatch(std::uint32_t index, common::TimePoint now) {
    if (index >= slots_.size() || slots_[index].session == nullptr) return;
    Slot& s = slots_[index];
    (void)::epoll_ctl(readyFd_.get(), EPOLL_CTL_DEL, s.session->rtpFd(), nullptr);
    handOver(s, now);  // what was read for it is its session's
    s = Slot{};
    freeSlots_.push_back(index);
}

void RecvRing::reap() {
    ++reaps_;
    haveClocks_ = false;
    // Round after round: the ready sockets, then those still ready (they had more than one
    // datagram), each until its session's bound. kMaxRounds only guards against a socket that
    // stays ready without giving datagrams (its failed reads count towards its bound too).
    for (unsigned round = 0; round < kMaxRounds; ++round) {
        if (queueReady() == 0) break;  // with the ring down, this only marks the ready sockets
        submitQueued();
        if (!live_) {  // it failed just now: deliver() reads what it did not
            (void)queueReady();
            break;
        }
        if (buffersOut_) break;
    }
    buffersOut_ = false;
}

// Queues a receive for each socket the set calls ready and below its bound; returns how many.
unsigned RecvRing::queueReady() {
    const int n = ::epoll_wait(readyFd_.get(), readyEvents_.data(),
                               static_cast<int>(readyEvents_.size()), 0);
    unsigned queued = 0;
    for (int i = 0; i < n; ++i) {  // n < 0 (EINTR): the next reap() reads them
        const std::uint32_t index = readyEvents_[static_cast<std::size_t>(i)].data.u32;
        if (index >= slots_.size() || slots_[index].session == nullptr) continue;
        Slot& s = slots_[index];
        if (!live_) {
            s.ready = true;  // no ring: deliver() reads it
            continue;
        }
        if (s.reap != reaps_) {
            s.reap = reaps_;
            s.reads = 0;
        }
        const std::size_t bound = s.session->maxPacketsPerRead();
        if (s.reads >= bound) {
            if (s.reads == bound) {
                s.session->onRtpReadLimit();  // the rest waits in the socket for the next tick
                ++s.reads;
            }
            continue;
        }
        ++s.reads;
        queue(index);
        if (!live_) break;
        ++queued;
    }
    return queued;
}

void RecvRing::queue(std::uint32_t index) {
    if (queued_ == scratch_.size()) submitQueued();
    if (!live_) return;
    io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
    if (sqe == nullptr) {
        fail(EBUSY);
        return;
    }
    prepareReceive(sqe, slots_[index].session->rtpFd(), scratch_[queued_], tagOf(index, queued_));
    ++queued_;
}

// One RECVMSG: never waits (MSG_DONTWAIT), a buffer of the ring for the datagram, the length
// on the wire (MSG_TRUNC); source and stamp into the scratch's msghdr.
void RecvRing::prepareReceive(io_uring_sqe* sqe, int fd, Scratch& sc, std::uint64_t tag) {
    sc.msg = msghdr{};
    sc.msg.msg_name = &sc.name;
    sc.msg.msg_namelen = sizeof sc.name;
    sc.msg.msg_iov = &sc.iov;
    sc.msg.msg_iovlen = 1;
    sc.msg.msg_control = sc.control;
    sc.msg.msg_controllen = sizeof sc.control;
    io_uring_prep_recvmsg(sqe, fd, &sc.msg, MSG_DONTWAIT | MSG_TRUNC);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(sqe, tag);
}

// Submits the queued receives and takes their completions: each one completes while it is
// submitted (MSG_DONTWAIT; create() checked that this kernel does so), so they are all there
// when the submission returns. One missing after kCompletionWait is a broken ring.
void RecvRing::submitQueued() {
    if (queued_ == 0 || !live_) return;
    io_uring* ring = ring_.get();
    const unsigned n = queued_;
    queued_ = 0;
    unsigned submitted = 0;
    if (const int failure = submitAll(ring, n, submitted, submissions_); failure != 0) {
        fail(failure);
        return;
    }
    unsigned completed = 0;
    for (int attempt = 0; attempt < kMaxCollectAttempts; ++attempt) {
        unsigned head = 0;
        unsigned seen = 0;
        io_uring_cqe* cqe = nullptr;
        io_uring_for_each_cqe(ring, head, cqe) {
            complete(*cqe);
            ++seen;
        }
        io_uring_cq_advance(ring, seen);
        completed += seen;
        if (completed >= n) break;
        __kernel_timespec wait{};
        wait.tv_nsec = kCompletionWait.count();
        const int r = io_uring_wait_cqes(ring, &cqe, n - completed, &wait, nullptr);
        if (r == -ETIME) break;  // waited kCompletionWait: the ring is not doing its work
        if (r < 0 && r != -EINTR && r != -EAGAIN) {
            fail(-r);
            break;
        }
    }
    publishRecycled();
    if (completed < n) fail(ETIMEDOUT);
}

void RecvRing::complete(const io_uring_cqe& cqe) {
    const std::uint64_t t = io_uring_cqe_get_data64(&cqe);
    const bool withBuffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
    const auto bid = static_cast<std::uint32_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    const auto index = static_cast<std::uint32_t>(t & 0xffffffffu);
    const auto position = static_cast<std::size_t>(t >> 32);
    if (index >= slots_.size() || slots_[index].session == nullptr ||
        position >= scratch_.size()) {
        if (withBuffer) recycle(bid);
        return;
    }
    Slot& s = slots_[index];
    const Scratch& sc = scratch_[position];
    if (cqe.res == 0 && !withBuffer) {
        // An empty datagram (the kernel keeps the buffer): malformed, counted at once.
        const common::SocketAddress from(reinterpret_cast<const sockaddr*>(&sc.name),
                                         std::min<socklen_t>(sc.msg.msg_namelen, sizeof sc.name));
        const common::TimePoint now = common::Clock::now();
        s.session->onRtpDatagram({}, 0, from, now, now);
        ++datagrams_;
        return;
    }
    if (cqe.res < 0 || !withBuffer) {
        if (withBuffer) recycle(bid);
        if (cqe.res == -ENOBUFS) {
            ++shortages_;  // the datagram waits in the socket for the next reap()
            buffersOut_ = true;
        } else if (cqe.res < 0 && cqe.res != -EAGAIN && cqe.res != -EINTR)
            s.session->onRtpReadError();
        return;
    }
    hold(s, bid, sc, static_cast<std::uint32_t>(cqe.res));
}

// A datagram read for the slot: its buffer joins the slot's list with the source, the length
// and the receive time the kernel wrote into the receive's msghdr.
void RecvRing::hold(Slot& s, std::uint32_t bid, const Scratch& sc, std::uint32_t length) {
    Held& h = heldBy_[bid];
    h.next = kNone;
    h.length = length;
    h.cut = (sc.msg.msg_flags & MSG_TRUNC) != 0 || length > kBufferSize;
    h.nameLen = std::min<socklen_t>(sc.msg.msg_namelen, sizeof h.name);
    std::memcpy(&h.name, &sc.name, h.nameLen);
    h.arrival = common::TimePoint{};
    for (const cmsghdr* c = CMSG_FIRSTHDR(&sc.msg); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&sc.msg), const_cast<cmsghdr*>(c))) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
            c->cmsg_len < CMSG_LEN(sizeof(timespec)))
            continue;
        timespec stamp{};
        std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        if (!haveClocks_) {
            reapRealNs_ = realtimeNs();
            reapSteady_ = common::Clock::now();
            haveClocks_ = true;
        }
        h.arrival = arrivalFromStamp(stamp, reapSteady_, reapRealNs_);
        break;
    }
    if (s.tail == kNone)
        s.head = bid;
    else
        heldBy_[s.tail].next = bid;
    s.tail = bid;
    ++s.count;
    ++held_;
    ++datagrams_;
}

void RecvRing::deliver(std::uint32_t index, common::TimePoint now) {
    if (index >= slots_.size() || slots_[index].session == nullptr) return;
    Slot& s = slots_[index];
    handOver(s, now);
    if (s.ready) {  // no ring (or it failed): the socket the set called ready is read here
        s.ready = false;
        s.session->onRtpReadable(now);
    }
}

// The slot's datagrams to its session, in arrival order; their buffers back to the kernel.
void RecvRing::handOver(Slot& s, common::TimePoint now) {
    if (s.count == 0) return;
    RtpSession& session = *s.session;
    for (std::uint32_t bid = s.head; bid != kNone;) {
        const Held& h = heldBy_[bid];
        const std::uint32_t next = h.next;
        const std::size_t kept = std::min<std::size_t>(h.length, kBufferSize);
        const std::size_t size = h.cut ? std::max<std::size_t>(h.length, kept + 1) : h.length;
        const common::SocketAddress from(reinterpret_cast<const sockaddr*>(&h.name), h.nameLen);
        session.onRtpDatagram(std::span<const std::uint8_t>(buffer(bid), kept), size, from,
                              h.arrival == common::TimePoint{} ? now : h.arrival, now);
        recycle(bid);
        bid = next;
    }
    held_ -= s.count;
    s.head = s.tail = kNone;
    s.count = 0;
    publishRecycled();
}

void RecvRing::recycle(std::uint32_t bid) {
    io_uring_buf_ring_add(bufRing_, buffer(bid), kBufferSize, static_cast<unsigned short>(bid),
                          io_uring_buf_ring_mask(count_), static_cast<int>(recycled_));
    ++recycled_;
}

void RecvRing::publishRecycled() {
    if (recycled_ == 0) return;
    io_uring_buf_ring_advance(bufRing_, static_cast<int>(recycled_));
    recycled_ = 0;
}

void RecvRing::fail(int error) {
    if (!live_) return;
    live_ = false;
    PARLEY_LOG_ERROR(log(), "io_uring receive ring failed ("
                                << errorText(error) << "): reading each socket with recvmmsg()");
}

}  // namespace parley::ms::rtp

#include "ms/rtp/send_ring.hpp"

#include <liburing.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

// Waits for the next completion (they are normally all there when the submission returns).
io_uring_cqe* nextCompletion(io_uring* ring) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_peek_cqe(ring, &cqe) == 0) return cqe;
    for (;;) {
        const int r = io_uring_wait_cqe(ring, &cqe);
        if (r == 0) return cqe;
        if (r != -EINTR && r != -EAGAIN) return nullptr;
    }
}

// The kernel takes a SEND with a destination address (sendto) only from Linux 6.0; older ones
// refuse it, or would ignore the address. One datagram to a socket of our own tells.
common::Status sendToSelf(io_uring* ring) {
    auto fd = common::udpBind(common::SocketAddress::fromHostPort("127.0.0.1", 0).value());
    if (!fd) return common::Error(fd.error().code, "probe socket: " + fd.error().message);
    sockaddr_storage self{};
    socklen_t len = sizeof self;
    if (::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&self), &len) != 0)
        return common::Error(errno, std::string("probe socket: ") + std::strerror(errno));
    static const std::uint8_t probe[1] = {0x80};
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (sqe == nullptr) return common::Error(EBUSY, "no submission entry");
    io_uring_prep_send(sqe, fd->get(), probe, sizeof probe, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_prep_send_set_addr(sqe, reinterpret_cast<const sockaddr*>(&self),
                                static_cast<std::uint16_t>(len));
    io_uring_sqe_set_data64(sqe, 0);
    if (const int r = io_uring_submit(ring); r != 1)
        return common::Error(r < 0 ? -r : EIO,
                             std::string("submit: ") + std::strerror(r < 0 ? -r : EIO));
    io_uring_cqe* cqe = nextCompletion(ring);
    if (cqe == nullptr) return common::Error(EIO, "no completion");
    const int res = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    if (res < 0)
        return common::Error(-res, std::string("SEND with an address: ") + std::strerror(-res));
    std::uint8_t got[4];
    if (::recv(fd->get(), got, sizeof got, MSG_DONTWAIT) != 1)
        return common::Error(EIO, "SEND with an address did not arrive");
    return {};
}

}  // namespace

common::Result<std::unique_ptr<SendRing>> SendRing::create(unsigned entries) {
    std::unique_ptr<SendRing> self(new SendRing());
    self->ring_ = std::make_unique<io_uring>();
    if (entries == 0) entries = 1;
    io_uring_params params{};
    // One thread submits; completions are only collected inside flush(), so the kernel need
    // not interrupt the thread for them; a failing entry must not stop the ones after it.
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    int r = io_uring_queue_init_params(entries, self->ring_.get(), &params);
    if (r == -EINVAL) {  // a kernel without those flags
        params = io_uring_params{};
        r = io_uring_queue_init_params(entries, self->ring_.get(), &params);
    }
    if (r < 0) return common::Error(-r, std::string("io_uring: ") + std::strerror(-r));
    self->entries_.resize(params.sq_entries);
    if (auto st = sendToSelf(self->ring_.get()); !st) {
        io_uring_queue_exit(self->ring_.get());
        return common::Error(st.error().code, "io_uring: " + st.error().message);
    }
    self->live_ = true;
    return self;
}

std::unique_ptr<SendRing> SendRing::withoutRing() {
    return std::unique_ptr<SendRing>(new SendRing());
}

SendRing::~SendRing() {
    if (live_) io_uring_queue_exit(ring_.get());
}

void SendRing::add(RtpSession& session) {
    RtpSession::OutgoingPacket packet;
    if (!session.takePrepared(packet)) return;
    if (live_ && queued_ == entries_.size()) flush();  // the queue is full: send what it holds
    io_uring_sqe* sqe = live_ ? io_uring_get_sqe(ring_.get()) : nullptr;
    if (sqe == nullptr) {  // no ring, or it failed (and said so)
        sendDirect(session, packet);
        return;
    }
    io_uring_prep_send(sqe, packet.fd, packet.data.data(), packet.data.size(),
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_prep_send_set_addr(sqe, packet.to->sa(), static_cast<std::uint16_t>(packet.to->len()));
    io_uring_sqe_set_data64(sqe, queued_);
    entries_[queued_] = Entry{&session, packet, false};
    ++queued_;
}

void SendRing::sendDirect(RtpSession& session, const RtpSession::OutgoingPacket& packet) {
    session.sendTaken(packet);
    ++direct_;
}

void SendRing::flush() {
    if (queued_ == 0 || !live_) return;
    io_uring* ring = ring_.get();
    // Entries are consumed in queue order: after `submitted` went in, [submitted, queued_)
    // are still in the submission queue.
    unsigned submitted = 0;
    int failure = submitAll(ring, queued_, submitted, submissions_);
    unsigned completed = 0;
    while (completed < submitted) {
        io_uring_cqe* cqe = nextCompletion(ring);
        if (cqe == nullptr) {
            failure = failure != 0 ? failure : EIO;
            break;
        }
        const auto i = static_cast<std::size_t>(io_uring_cqe_get_data64(cqe));
        if (i < queued_ && !entries_[i].done) {
            entries_[i].done = true;
            entries_[i].session->sendResult(cqe->res);
            if (cqe->res >= 0) ++packets_;
        }
        io_uring_cqe_seen(ring, cqe);
        ++completed;
    }
    if (failure != 0) {
        // The ring cannot be trusted any more: it is closed (what was not submitted never
        // will be: nothing enters the kernel again) and the packets not yet sent go out one
        // system call each, as do all later ones.
        PARLEY_LOG_ERROR(log(), "io_uring send ring failed ("
                                    << std::strerror(failure)
                                    << "): sending with sendto() from now on");
        io_uring_queue_exit(ring);
        live_ = false;
        for (unsigned i = 0; i < queued_; ++i) {
            Entry& e = entries_[i];
            if (e.done) continue;
            if (i >= submitted)
                sendDirect(*e.session, e.packet);
            else  // submitted, never completed: whether it left is unknown
                e.session->sendResult(-EIO);
        }
    }
    queued_ = 0;
}

}  // namespace parley::ms::rtp

#pragma once
// SendRing: the packets of many RtpSessions sent with one system call (io_uring).
//
// A media worker sends one RTP packet per leg every 20 ms, each leg from its own socket
// (symmetric RTP: the port we receive on is the port we send from), so sendmmsg(), which
// takes one socket, cannot batch them. One sendto() per leg makes the send phase a system
// call per leg. A SendRing queues each leg's prepared packet as an io_uring SEND with the
// destination address (sendto semantics) and submits them all at once: the kernel runs the
// same UDP send for each, without a system call entry and exit, an fd lookup and a copy of
// the address per packet.
//
// Use, all on one thread (the ring is created with IORING_SETUP_SINGLE_ISSUER when the kernel
// has it, so create() must run on the thread that uses it):
//   for each leg: ring.add(session);   // takes the session's prepared packet, if any
//   ring.flush();                      // submits, waits for every completion, reports
// Every send is MSG_DONTWAIT: a full socket buffer fails that send with EAGAIN (counted by
// its session, like sendto()) instead of parking it in the kernel, so each send completes
// while it is submitted and flush() returns with nothing in flight: the packets' bytes (the
// sessions' own buffers) are never read after flush(). add() flushes by itself when the
// submission queue is full. Results go back to each session (RtpSession::sendResult()).
//
// No allocation after create(): the queue and the per-entry session pointers are sized
// there. create() fails when the kernel has no io_uring (ENOSYS), forbids it
// (kernel.io_uring_disabled, seccomp: EPERM) or is too old for SEND with an address
// (before Linux 6.0). withoutRing() (for that case, or when io_uring is turned off) and a
// ring that failed (live() false) send each packet at once in add() with sendto(): the
// owner's loop is the same either way.

#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.hpp"
#include "ms/rtp/rtp_session.hpp"

struct io_uring;

namespace parley::ms::rtp {

class SendRing {
  public:
    // `entries`: sends per submission (rounded up to a power of two by the kernel).
    static common::Result<std::unique_ptr<SendRing>> create(unsigned entries);
    // sendto() per packet, no io_uring.
    static std::unique_ptr<SendRing> withoutRing();
    ~SendRing();
    SendRing(const SendRing&) = delete;
    SendRing& operator=(const SendRing&) = delete;

    void add(RtpSession& session);
    void flush();

    // False without a ring, and once the ring failed (an io_uring_enter error other than a
    // retryable one, logged once): every packet is then sent with sendto().
    bool live() const { return live_; }
    // io_uring_enter calls that submitted sends, packets sent through the ring, and packets
    // sent with sendto() (no ring, or it had failed): for tests.
    std::uint64_t submissions() const { return submissions_; }
    std::uint64_t packets() const { return packets_; }
    std::uint64_t direct() const { return direct_; }

  private:
    struct Entry {
        RtpSession* session = nullptr;
        RtpSession::OutgoingPacket packet;
        bool done = false;
    };

    SendRing() = default;
    void sendDirect(RtpSession& session, const RtpSession::OutgoingPacket& packet);

    std::unique_ptr<::io_uring> ring_;
    bool live_ = false;
    std::vector<Entry> entries_;  // by queue position (the entry's user_data)
    unsigned queued_ = 0;
    std::uint64_t submissions_ = 0;
    std::uint64_t packets_ = 0;
    std::uint64_t direct_ = 0;
};

}  // namespace parley::ms::rtp

#pragma once
// RecvRing: the RTP of many RtpSessions read with a system call per 64 sockets (io_uring).
//
// Read one by one, the sockets of a media worker's legs cost a recvmmsg() per leg that
// received (at 1,000 legs, 50,000 system calls a second), and each recvmmsg() tries its
// socket once more after the datagram it got, to learn that it is empty. A RecvRing keeps
// the sessions' RTP sockets in an epoll set of its own (level-triggered, never waited on)
// and at each reap(): asks it which sockets hold datagrams (one epoll_wait, timeout 0),
// queues one RECVMSG per such socket (MSG_DONTWAIT, a buffer from its provided-buffer ring)
// and submits them kSubmissionEntries to an io_uring_enter: the kernel runs the same
// receives back to back, without a system call entry and exit and an fd lookup each, and
// each completes while it is submitted (nothing stays in the kernel between ticks). Then it
// asks the set again: the sockets still ready got two datagrams or more since the last tick
// and are read in a further round, up to the session's maxPacketsPerRead() a tick (the rest
// waits in the socket for the next tick, counted in the session's readLimitHits, as with
// recvmmsg()). Asking the set costs one call for all sockets where trying each socket again
// would cost a failed receive each.
//
// Use, all on one thread (IORING_SETUP_SINGLE_ISSUER where the kernel has it: create() on the
// thread that uses the ring, and destroy it there):
//   slot = ring.watch(session)    // unwatch(slot, now) hands over what it holds, frees it
//   each tick: ring.reap()        // reads every ready socket
//              ring.deliver(slot, now)  // when the session's turn comes: its datagrams to
//                                       // RtpSession::onRtpDatagram(), buffers back
// A datagram's buffer holds its bytes; its source address, its SO_TIMESTAMPNS receive stamp
// (moved onto the steady clock in reap()) and its length are kept beside. Buffers run short
// only when more datagrams wait than there are buffers: the receives that find none fail
// with ENOBUFS and their datagrams stay in the socket for the next tick (bufferShortages()).
// A receive that fails otherwise is its session's read error. withoutRing() (no io_uring
// here, or it is turned off) and a ring whose io_uring_enter failed for good (logged once)
// keep the same set: reap() marks the sockets it calls ready and deliver() reads each with
// RtpSession::onRtpReadable() (recvmmsg): the owner's loop is the same either way.
//
// Memory: `buffers` buffers of kBufferSize bytes (4,096: 6 MiB), mapped at create() and made
// resident as datagrams land in them (the kernel takes them in turn, so once traffic has
// flowed through all of them the whole area is resident); no allocation in reap() and
// deliver() (watch() may grow the slot tables). create() fails where the kernel cannot do
// this (no io_uring, io_uring disabled, before Linux 5.19: no provided-buffer rings; it
// probes with a socket of its own): the owner then reads the sockets itself.

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/clock.hpp"
#include "common/net.hpp"
#include "common/result.hpp"
#include "ms/rtp/rtp_session.hpp"

struct io_uring;
struct io_uring_buf_ring;
struct io_uring_cqe;
struct io_uring_sqe;

namespace parley::ms::rtp {

class RecvRing {
  public:
    static constexpr std::uint32_t kNoSlot = 0xffffffffu;
    static constexpr unsigned kDefaultBuffers = 4096;
    // Room for any datagram parley-ms accepts (kMaxRtpPacket); a longer one arrives cut short
    // and counts as malformed.
    static constexpr unsigned kBufferSize = 1536;
    static_assert(kBufferSize > kMaxRtpPacket);
    static constexpr unsigned kSubmissionEntries = 64;

    // `buffers`: rounded up to a power of two, at most 32,768.
    static common::Result<std::unique_ptr<RecvRing>> create(unsigned buffers = kDefaultBuffers);
    // The epoll set and recvmmsg() per ready socket, no io_uring.
    static common::Result<std::unique_ptr<RecvRing>> withoutRing();
    ~RecvRing();
    RecvRing(const RecvRing&) = delete;
    RecvRing& operator=(const RecvRing&) = delete;

    // The session's slot: it names the session in deliver() and unwatch(). An error (its
    // socket cannot join the epoll set) leaves the session to its owner.
    common::Result<std::uint32_t> watch(RtpSession& session);
    void unwatch(std::uint32_t slot, common::TimePoint now);
    void reap();
    void deliver(std::uint32_t slot, common::TimePoint now);

    // False without a ring, and once io_uring_enter failed for good: deliver() reads the
    // ready sockets itself.
    bool live() const { return live_; }
    // For tests and statistics: io_uring_enter calls that submitted receives, datagrams read,
    // receives that found no buffer, buffers held by slots right now.
    std::uint64_t submissions() const { return submissions_; }
    std::uint64_t datagrams() const { return datagrams_; }
    std::uint64_t bufferShortages() const { return shortages_; }
    unsigned held() const { return held_; }
    unsigned buffers() const { return count_; }

  private:
    static constexpr std::uint32_t kNone = 0xffffffffu;
    static constexpr unsigned kMaxRounds = 64;

    struct Slot {
        RtpSession* session = nullptr;  // null: free
        std::uint32_t head = kNone;     // its datagrams' buffers, in arrival order
        std::uint32_t tail = kNone;
        std::uint32_t count = 0;
        std::uint64_t reap = 0;   // the reap() its `reads` count
        std::uint32_t reads = 0;  // datagrams read for it in that reap()
        bool ready = false;       // the set called it ready and there is no ring to read it
    };
    // A buffer a slot holds: its datagram (from the buffer's start), where from, and when.
    struct Held {
        std::uint32_t next = kNone;
        std::uint32_t length = 0;  // on the wire (MSG_TRUNC): more than the buffer when cut
        bool cut = false;
        socklen_t nameLen = 0;
        sockaddr_in6 name{};
        common::TimePoint arrival{};  // zero: no kernel stamp
    };
    // What one receive in a submission fills besides the buffer: the kernel writes the source,
    // the stamp and the flags back into the msghdr it was given.
    struct Scratch {
        msghdr msg{};
        iovec iov{};
        sockaddr_in6 name{};
        alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(timespec))]{};
    };

    RecvRing() = default;
    common::Status makeReadySet();
    common::Status setUp(unsigned buffers);
    common::Status probe();
    unsigned queueReady();
    void queue(std::uint32_t slot);
    static void prepareReceive(io_uring_sqe* sqe, int fd, Scratch& scratch, std::uint64_t tag);
    void submitQueued();
    void complete(const io_uring_cqe& cqe);
    void hold(Slot& slot, std::uint32_t bid, const Scratch& scratch, std::uint32_t length);
    void handOver(Slot& slot, common::TimePoint now);
    void recycle(std::uint32_t bid);
    void publishRecycled();
    void fail(int error);
    std::uint8_t* buffer(std::uint32_t bid) const { return area_ + std::size_t{bid} * kBufferSize; }

    std::unique_ptr<::io_uring> ring_;
    bool ringUp_ = false;  // io_uring_queue_init succeeded
    bool live_ = false;
    common::Fd readyFd_;                      // epoll set of the watched sockets
    std::vector<::epoll_event> readyEvents_;  // room for every slot
    ::io_uring_buf_ring* bufRing_ = nullptr;
    std::size_t bufRingBytes_ = 0;
    bool bufRingRegistered_ = false;
    std::uint8_t* area_ = nullptr;
    std::size_t areaBytes_ = 0;
    unsigned count_ = 0;
    unsigned recycled_ = 0;  // buffers added to the ring since its tail was last published
    std::vector<Scratch> scratch_;  // by position in the submission
    unsigned queued_ = 0;           // receives in the submission queue
    bool buffersOut_ = false;       // a receive of this reap() found no buffer: no more rounds
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> freeSlots_;
    std::vector<Held> heldBy_;  // by buffer id
    unsigned held_ = 0;
    std::uint64_t reaps_ = 0;
    // One realtime/steady clock pair per reap() for the receive stamps, read when the first
    // stamped datagram comes.
    bool haveClocks_ = false;
    std::int64_t reapRealNs_ = 0;
    common::TimePoint reapSteady_{};
    std::uint64_t submissions_ = 0;
    std::uint64_t datagrams_ = 0;
    std::uint64_t shortages_ = 0;
};

}  // namespace parley::ms::rtp

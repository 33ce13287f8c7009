// bench_udp_batch: what one datagram costs a thread that owns many UDP sockets, sent and
// received the way a media worker could do it. N socket pairs on 127.0.0.1; each round
// sends one 172-byte datagram (a G.711 RTP packet) from every A socket to its B socket,
// then receives at every B socket. Send and receive run in this one thread, so the
// loopback delivery of each datagram is paid here too (as the generator's receive is paid
// by parley-ms's sends in bench_mix_load).
//
//   bench_udp_batch [--sockets N] [--rounds R] --mode sendto|ring-send|ring-both
//
// - sendto:    one sendto() per datagram; receive: epoll_wait (timeout 0) over the B sockets,
//              then one recvmmsg() (16 slots) per ready socket: parley-ms's receive path.
// - ring-send: the sends as io_uring SENDs with the destination address, one submission per
//              round (ms/rtp/send_ring.cpp does this with 64 per submission); receive as in
//              sendto.
// - ring-both: ring-send, and the receives as one multishot RECVMSG per B socket into a
//              provided-buffer ring, completions collected after each round's submission.
//
// Prints the mean time per datagram (send and receive), and how many arrived.
// Results: docs/benchmarks.md, "The send sweep through io_uring".

#include <liburing.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kPacket = 172;
constexpr unsigned kBufferCount = 4096;  // provided buffers (ring-both)
constexpr unsigned kBufferSize = 2048;
constexpr std::uint64_t kRecvTag = 1ULL << 32;

struct Options {
    int sockets = 1000;
    int rounds = 1000;
    std::string mode;
};

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return false;
        if (a == "--sockets")
            o.sockets = std::atoi(argv[++i]);
        else if (a == "--rounds")
            o.rounds = std::atoi(argv[++i]);
        else if (a == "--mode")
            o.mode = argv[++i];
        else
            return false;
    }
    return o.sockets > 0 && o.sockets <= 4000 && o.rounds > 0 &&
           (o.mode == "sendto" || o.mode == "ring-send" || o.mode == "ring-both");
}

int boundSocket(sockaddr_in& addr) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;  // as parley-ms's RTP sockets: kernel receive stamps
    (void)::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    return fd;
}

class Bench {
  public:
    explicit Bench(const Options& o) : o_(o) {}
    ~Bench();
    bool setUp();
    void run();

  private:
    void sendRound();
    void receiveWithEpoll();
    void collectCompletions();
    void armReceive(int index);

    Options o_;
    bool ringSend_ = false;
    bool ringReceive_ = false;
    std::vector<int> a_, b_;
    std::vector<sockaddr_in> bAddr_;
    std::array<std::uint8_t, kPacket> packet_{};
    int epoll_ = -1;
    std::vector<epoll_event> events_;
    // recvmmsg scratch
    static constexpr std::size_t kSlots = 16;
    std::array<mmsghdr, kSlots> msgs_{};
    std::array<iovec, kSlots> iov_{};
    std::array<sockaddr_storage, kSlots> from_{};
    std::vector<std::uint8_t> data_ = std::vector<std::uint8_t>(kSlots * 1500);
    std::array<std::array<std::uint64_t, 8>, kSlots> control_{};
    // io_uring
    io_uring ring_{};
    bool ringUp_ = false;
    io_uring_buf_ring* buffers_ = nullptr;
    std::vector<std::uint8_t> bufferMemory_;
    msghdr recvTemplate_{};
    std::uint64_t received_ = 0;
    std::uint64_t errors_ = 0;
};

Bench::~Bench() {
    if (ringUp_) io_uring_queue_exit(&ring_);
    std::free(buffers_);
    if (epoll_ >= 0) ::close(epoll_);
    for (int fd : a_) ::close(fd);
    for (int fd : b_) ::close(fd);
}

bool Bench::setUp() {
    ringSend_ = o_.mode != "sendto";
    ringReceive_ = o_.mode == "ring-both";
    packet_.fill(0x80);
    const auto n = static_cast<std::size_t>(o_.sockets);
    a_.resize(n);
    b_.resize(n);
    bAddr_.resize(n);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) return false;
    events_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        sockaddr_in ignored{};
        a_[i] = boundSocket(ignored);
        b_[i] = boundSocket(bAddr_[i]);
        if (a_[i] < 0 || b_[i] < 0) return false;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        if (!ringReceive_ && ::epoll_ctl(epoll_, EPOLL_CTL_ADD, b_[i], &ev) != 0) return false;
    }
    for (std::size_t k = 0; k < kSlots; ++k) {
        iov_[k].iov_base = data_.data() + k * 1500;
        iov_[k].iov_len = 1500;
    }
    if (!ringSend_) return true;
    io_uring_params params{};
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE;
    params.cq_entries = 16384;
    if (const int r = io_uring_queue_init_params(4096, &ring_, &params); r < 0) {
        std::fprintf(stderr, "io_uring: %s\n", std::strerror(-r));
        return false;
    }
    ringUp_ = true;
    if (!ringReceive_) return true;
    void* mem = nullptr;
    if (::posix_memalign(&mem, 4096, sizeof(io_uring_buf) * kBufferCount) != 0) return false;
    buffers_ = static_cast<io_uring_buf_ring*>(mem);
    bufferMemory_.resize(std::size_t{kBufferCount} * kBufferSize);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(buffers_);
    reg.ring_entries = kBufferCount;
    reg.bgid = 1;
    if (const int r = io_uring_register_buf_ring(&ring_, &reg, 0); r < 0) {
        std::fprintf(stderr, "provided buffers: %s\n", std::strerror(-r));
        return false;
    }
    io_uring_buf_ring_init(buffers_);
    for (unsigned i = 0; i < kBufferCount; ++i)
        io_uring_buf_ring_add(buffers_, bufferMemory_.data() + std::size_t{i} * kBufferSize,
                              kBufferSize, static_cast<unsigned short>(i),
                              io_uring_buf_ring_mask(kBufferCount), static_cast<int>(i));
    io_uring_buf_ring_advance(buffers_, static_cast<int>(kBufferCount));
    recvTemplate_.msg_namelen = sizeof(sockaddr_in6);
    recvTemplate_.msg_controllen = 64;
    for (int i = 0; i < o_.sockets; ++i) armReceive(i);
    return io_uring_submit(&ring_) >= 0;
}

void Bench::armReceive(int index) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
        (void)io_uring_submit(&ring_);
        sqe = io_uring_get_sqe(&ring_);
    }
    io_uring_prep_recvmsg_multishot(sqe, b_[static_cast<std::size_t>(index)], &recvTemplate_, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 1;
    io_uring_sqe_set_data64(sqe, kRecvTag | static_cast<std::uint64_t>(index));
}

void Bench::sendRound() {
    for (std::size_t i = 0; i < a_.size(); ++i) {
        const auto* to = reinterpret_cast<const sockaddr*>(&bAddr_[i]);
        if (!ringSend_) {
            if (::sendto(a_[i], packet_.data(), packet_.size(), MSG_DONTWAIT | MSG_NOSIGNAL, to,
                         sizeof(sockaddr_in)) < 0)
                ++errors_;
            continue;
        }
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr) {
            (void)io_uring_submit(&ring_);
            collectCompletions();
            sqe = io_uring_get_sqe(&ring_);
        }
        io_uring_prep_send(sqe, a_[i], packet_.data(), packet_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        io_uring_prep_send_set_addr(sqe, to, sizeof(sockaddr_in));
        io_uring_sqe_set_data64(sqe, i);
    }
    if (ringSend_) {
        (void)io_uring_submit(&ring_);
        collectCompletions();
    }
}

void Bench::receiveWithEpoll() {
    const int n = ::epoll_wait(epoll_, events_.data(), static_cast<int>(events_.size()), 0);
    for (int e = 0; e < n; ++e) {
        const int fd = b_[events_[static_cast<std::size_t>(e)].data.u64];
        for (std::size_t k = 0; k < kSlots; ++k) {
            msghdr& h = msgs_[k].msg_hdr;
            h.msg_name = &from_[k];
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_iov = &iov_[k];
            h.msg_iovlen = 1;
            h.msg_control = control_[k].data();
            h.msg_controllen = sizeof(control_[k]);
            h.msg_flags = 0;
        }
        const int got = ::recvmmsg(fd, msgs_.data(), kSlots, MSG_TRUNC | MSG_DONTWAIT, nullptr);
        if (got > 0) received_ += static_cast<std::uint64_t>(got);
    }
}

void Bench::collectCompletions() {
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0;
    unsigned seen = 0;
    int recycled = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
        const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
        if ((tag & kRecvTag) == 0) {
            if (cqe->res < 0) ++errors_;
            continue;
        }
        if (cqe->res >= 0 && (cqe->flags & IORING_CQE_F_BUFFER) != 0) {
            const unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
            std::uint8_t* buf = bufferMemory_.data() + std::size_t{id} * kBufferSize;
            if (io_uring_recvmsg_validate(buf, cqe->res, &recvTemplate_) != nullptr) ++received_;
            io_uring_buf_ring_add(buffers_, buf, kBufferSize, static_cast<unsigned short>(id),
                                  io_uring_buf_ring_mask(kBufferCount), recycled++);
        }
        if ((cqe->flags & IORING_CQE_F_MORE) == 0) armReceive(static_cast<int>(tag & 0xffffffff));
    }
    io_uring_cq_advance(&ring_, seen);
    if (recycled > 0) io_uring_buf_ring_advance(buffers_, recycled);
}

void Bench::run() {
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < o_.rounds; ++r) {
        sendRound();
        if (ringReceive_)
            collectCompletions();  // the receives ran as task work in the submission
        else
            receiveWithEpoll();
    }
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    const double datagrams = static_cast<double>(o_.rounds) * o_.sockets;
    std::printf("RESULT mode=%s sockets=%d rounds=%d us_per_datagram=%.2f received=%llu of %.0f "
                "errors=%llu\n",
                o_.mode.c_str(), o_.sockets, o_.rounds, us / datagrams,
                static_cast<unsigned long long>(received_), datagrams,
                static_cast<unsigned long long>(errors_));
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse(argc, argv, o)) {
        std::fprintf(stderr,
                     "usage: %s [--sockets N (1..4000)] [--rounds R] --mode sendto|ring-send|ring-both\n",
                     argv[0]);
        return 2;
    }
    Bench bench(o);
    if (!bench.setUp()) {
        std::fprintf(stderr, "set-up failed: %s\n", std::strerror(errno));
        return 1;
    }
    bench.run();
    return 0;
}

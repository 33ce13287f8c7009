#pragma once
// What SendRing and RecvRing share: getting every queued entry into the kernel. Included by
// their .cpp files only (nothing outside ms/rtp includes liburing).

#include <liburing.h>

#include <cerrno>
#include <cstdint>

namespace parley::ms::rtp {

// Submits until `count` queued entries went in: io_uring_submit() may take fewer, or be
// interrupted (EINTR, EAGAIN, EBUSY: tried again, 8 calls at most). Returns 0, or the errno
// that stopped it (EIO after 8 calls without progress); `submitted` says how many went in,
// `submissions` counts the calls that took some.
inline int submitAll(io_uring* ring, unsigned count, unsigned& submitted,
                     std::uint64_t& submissions) {
    constexpr int kMaxAttempts = 8;
    submitted = 0;
    for (int attempt = 0; submitted < count; ++attempt) {
        const int r = io_uring_submit(ring);
        if (r > 0) {
            submitted += static_cast<unsigned>(r);
            ++submissions;
            continue;
        }
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) return -r;
        if (attempt + 1 >= kMaxAttempts) return r < 0 ? -r : EIO;
    }
    return 0;
}

}  // namespace parley::ms::rtp

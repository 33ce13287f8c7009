#include "ms/rtp/rtp_session.hpp"

#include <sys/socket.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/log.hpp"

namespace parley::ms::rtp {

RtpCounters& RtpCounters::operator+=(const RtpCounters& c) {
    packetsIn += c.packetsIn;
    bytesIn += c.bytesIn;
    packetsOut += c.packetsOut;
    bytesOut += c.bytesOut;
    payloadBytesOut += c.payloadBytesOut;
    audioIn += c.audioIn;
    malformed += c.malformed;
    strangers += c.strangers;
    relatches += c.relatches;
    unknownPayload += c.unknownPayload;
    notReceiving += c.notReceiving;
    ssrcChanges += c.ssrcChanges;
    sendErrors += c.sendErrors;
    recvErrors += c.recvErrors;
    readLimitHits += c.readLimitHits;
    rtcpIn += c.rtcpIn;
    rtcpOut += c.rtcpOut;
    rtcpMalformed += c.rtcpMalformed;
    rtcpStrangers += c.rtcpStrangers;
    rtcpRelatches += c.rtcpRelatches;
    byeIn += c.byeIn;
    dtmfIn += c.dtmfIn;
    dtmfOut += c.dtmfOut;
    badFrames += c.badFrames;
    return *this;
}
namespace {

constexpr std::uint32_t kClockRate = media::kNarrowbandRate;
constexpr std::uint32_t kSamplesPerTick = media::kNarrowbandSamples;
constexpr std::uint64_t kNtpUnixOffset = 2208988800ull;  // seconds from 1900 to 1970

const char* directionName(MediaDirection d) {
    switch (d) {
        case MediaDirection::SendRecv:
            return "sendrecv";
        case MediaDirection::SendOnly:
            return "sendonly";
        case MediaDirection::RecvOnly:
            return "recvonly";
        case MediaDirection::Inactive:
            return "inactive";
    }
    return "?";
}

std::uint32_t randomNonZero(std::mt19937& rng) {
    std::uint32_t v = 0;
    while (v == 0) v = static_cast<std::uint32_t>(rng());
    return v;
}

}  // namespace

RtpSession::RtpSession(PortPair ports, const MediaParams& media, RtpSessionConfig config,
                       common::TimePoint now)
    : ports_(std::move(ports)),
      config_(std::move(config)),
      log_(common::logger("ms.rtp")),
      rng_(std::random_device{}()),
      ssrc_(config_.ssrc ? config_.ssrc : randomNonZero(rng_)),
      seq_(static_cast<std::uint16_t>(rng_())),
      tsBase_(static_cast<std::uint32_t>(rng_())),
      lastTick_(now),
      dtmfTx_(kSamplesPerTick),
      jitter_(config_.jitter),
      dtmfRx_(kClockRate, config_.dtmfEndTimeout),
      steadyBase_(now) {
    const auto wall = std::chrono::system_clock::now().time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(wall);
    const auto frac = std::chrono::duration_cast<std::chrono::nanoseconds>(wall - secs).count();
    ntpBase_ = ((static_cast<std::uint64_t>(secs.count()) + kNtpUnixOffset) << 32) |
               ((static_cast<std::uint64_t>(frac) << 32) / 1000000000ull);
    if (config_.cname.empty()) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%08x", ssrc_);
        config_.cname = std::string("parley-ms-") + buf + "@" + ports_.localRtp().host();
    }
    if (config_.cname.size() > 255) config_.cname.resize(255);
    if (config_.maxPacketsPerRead == 0) config_.maxPacketsPerRead = 1;
    // Kernel receive times: the owner may read the socket well after the packet came.
    int on = 1;
    (void)::setsockopt(ports_.rtpFd(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    applyMedia(media);
    scheduleRtcp(now);
}

// --- configuration ---

void RtpSession::applyMedia(const MediaParams& media) {
    const bool addressChanged = media.remoteRtp != media_.remoteRtp;
    media_ = media;
    ptCodec_.fill(-1);
    sendPt_ = -1;
    eventPt_ = -1;
    for (const auto& f : media_.formats) {
        if (f.payloadType > 127) continue;
        ptCodec_[f.payloadType] = static_cast<std::int16_t>(f.codec);
        if (f.codec == Codec::TelephoneEvent) {
            if (eventPt_ < 0) eventPt_ = f.payloadType;
        } else if (sendPt_ < 0) {
            sendPt_ = f.payloadType;
            sendLaw_ = f.codec == Codec::Pcma ? G711Law::Alaw : G711Law::Ulaw;
        }
    }
    const auto& r = media_.remoteRtp;
    onHold_ = !r.valid() || r.isAnyAddress() || r.port() == 0;
    if (addressChanged) {
        latched_ = false;
        rtcpLatched_ = false;
    }
    if (!latched_) rtpDest_ = r;
    if (!rtcpLatched_) rtcpDest_ = sdpRtcpAddress();
    if (!sending()) {
        markerPending_ = true;
        dtmfTx_.clear();
    }
}

common::SocketAddress RtpSession::sdpRtcpAddress() const {
    if (media_.remoteRtcp.valid()) return media_.remoteRtcp;
    const auto& r = media_.remoteRtp;
    common::SocketAddress a = r;
    if (r.valid() && r.port() != 0) a.setPort(static_cast<std::uint16_t>(r.port() + 1));
    return a;
}

void RtpSession::updateMedia(const MediaParams& media) {
    applyMedia(media);
    PARLEY_LOG_DEBUG(log_, "rtp " << ports_.rtpPort() << ": media updated, remote "
                                  << media.remoteRtp.toString() << " "
                                  << directionName(media.direction) << (onHold_ ? " (hold)" : ""));
}

bool RtpSession::sending() const {
    return !onHold_ && sendPt_ >= 0 &&
           (media_.direction == MediaDirection::SendRecv ||
            media_.direction == MediaDirection::SendOnly);
}

bool RtpSession::receiving() const {
    return media_.direction == MediaDirection::SendRecv ||
           media_.direction == MediaDirection::RecvOnly;
}

// --- time ---

std::uint64_t RtpSession::ntpAt(common::TimePoint now) const {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - steadyBase_).count();
    const auto secs = static_cast<std::uint64_t>(ns / 1000000000);
    const auto rem = static_cast<std::uint64_t>(ns % 1000000000);
    return ntpBase_ + (secs << 32) + (rem << 32) / 1000000000ull;
}

std::uint32_t RtpSession::clockUnits(common::TimePoint now) const {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(now - steadyBase_).count();
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(us) * kClockRate / 1000000);
}

std::uint32_t RtpSession::currentTimestamp() const {
    return static_cast<std::uint32_t>(tsBase_ + tickCount_ * kSamplesPerTick);
}

// --- the tick ---

void RtpSession::tick(common::TimePoint now) {
    ++tickCount_;
    lastTick_ = now;
    if (auto ev = dtmfRx_.onTick(now)) deliverDigit(*ev);
    if (now >= nextRtcp_) {
        sendReport(now, false);
        scheduleRtcp(now);
    }
}

void RtpSession::scheduleRtcp(common::TimePoint now) {
    common::Duration interval = config_.rtcpInterval;
    if (config_.randomizeRtcp) {
        std::uniform_real_distribution<double> factor(0.5, 1.5);
        interval = std::chrono::duration_cast<common::Duration>(interval * factor(rng_));
    }
    nextRtcp_ = now + interval;
}

void RtpSession::pullFrame(media::AudioFrame& out) {
    jitter_.get(out);
}

void RtpSession::pushFrame(const media::AudioFrame& frame) {
    prepareFrame(frame);
    sendPrepared();
}

void RtpSession::prepareFrame(const media::AudioFrame& frame) {
    sendPrepared();  // one still waiting goes first: a packet prepared is never lost
    if (pushedOnce_ && lastPushTick_ == tickCount_) ++tickCount_;  // no tick() in between
    if (pushedOnce_ && tickCount_ > lastPushTick_ + 1) markerPending_ = true;  // skipped ticks
    pushedOnce_ = true;
    lastPushTick_ = tickCount_;
    if (!sending()) {
        markerPending_ = true;
        return;
    }
    const std::uint32_t ts = currentTimestamp();
    RtpHeader h;
    h.ssrc = ssrc_;
    if (eventPt_ >= 0) {
        if (auto ev = dtmfTx_.onTick(ts)) {
            h.payloadType = static_cast<std::uint8_t>(eventPt_);
            h.marker = ev->marker;
            h.timestamp = ev->timestamp;
            if (ev->marker) ++counters_.dtmfOut;  // a digit's first packet
            prepareRtp(h, ev->payload);
            return;
        }
    }
    if (config_.suppressSilence && frame.silent) {
        markerPending_ = true;
        return;
    }
    std::span<std::uint8_t> payload(payloadBuf_.data(), kSamplesPerTick);
    if (frame.silent) {
        std::fill(payload.begin(), payload.end(), g711Silence(sendLaw_));
    } else if (frame.sampleRate != kClockRate || frame.count != kSamplesPerTick) {
        ++counters_.badFrames;
        std::fill(payload.begin(), payload.end(), g711Silence(sendLaw_));
    } else {
        g711Encode(sendLaw_, std::span<const std::int16_t>(frame.samples.data(), kSamplesPerTick),
                   payload);
    }
    h.payloadType = static_cast<std::uint8_t>(sendPt_);
    h.timestamp = ts;
    h.marker = markerPending_;
    markerPending_ = false;
    prepareRtp(h, payload);
}

bool RtpSession::sendDigit(char digit, std::chrono::milliseconds duration) {
    if (eventPt_ < 0 || !sending()) return false;
    return dtmfTx_.queue(digit, duration);
}

void RtpSession::prepareRtp(const RtpHeader& hdr, std::span<const std::uint8_t> payload) {
    RtpHeader h = hdr;
    h.sequence = seq_++;
    const std::size_t n = buildRtp(h, payload, txBuf_);
    if (n == 0) return;
    lastSentTimestamp_ = h.timestamp;
    sentSinceReport_ = true;
    ++counters_.packetsOut;
    counters_.bytesOut += n;
    counters_.payloadBytesOut += payload.size();
    txPending_ = n;
}

bool RtpSession::takePrepared(OutgoingPacket& packet) {
    if (txPending_ == 0) return false;
    packet.fd = ports_.rtpFd();
    packet.data = std::span<const std::uint8_t>(txBuf_.data(), txPending_);
    packet.to = &rtpDest_;
    txPending_ = 0;
    return true;
}

void RtpSession::sendPrepared() {
    OutgoingPacket p;
    if (takePrepared(p)) sendTaken(p);
}

void RtpSession::sendTaken(const OutgoingPacket& packet) {
    const ssize_t n = ::sendto(packet.fd, packet.data.data(), packet.data.size(),
                               MSG_DONTWAIT | MSG_NOSIGNAL, packet.to->sa(), packet.to->len());
    sendResult(n < 0 ? -static_cast<long>(errno) : static_cast<long>(n));
}

void RtpSession::sendResult(long result) {
    if (result >= 0) return;
    ++counters_.sendErrors;
    if (!loggedSendError_) {
        loggedSendError_ = true;
        PARLEY_LOG_WARN(log_, "rtp " << ports_.rtpPort() << ": send to " << rtpDest_.toString()
                                     << " failed: " << std::strerror(static_cast<int>(-result))
                                     << " (logged once)");
    }
}

// --- receiving RTP ---

namespace {

// Scratch for one recvmmsg() batch: per thread, not per session (a worker reads its legs one
// after the other), zero-initialised static storage, so reading allocates nothing.
struct ReceiveBatch {
    static constexpr std::size_t kSize = 16;
    std::array<mmsghdr, kSize> msgs;
    std::array<iovec, kSize> iov;
    std::array<sockaddr_storage, kSize> from;
    std::array<std::array<std::uint8_t, kMaxRtpPacket>, kSize> data;
    std::array<std::array<std::uint64_t, CMSG_SPACE(sizeof(timespec)) / 8 + 1>, kSize> control;
};

ReceiveBatch& receiveBatch() {
    static thread_local ReceiveBatch batch;
    return batch;
}

// The kernel's receive time (SO_TIMESTAMPNS, CLOCK_REALTIME) of a datagram, if it has one.
bool kernelTimestamp(const msghdr& msg, timespec& ts) {
    for (const cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), const_cast<cmsghdr*>(c))) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return true;
        }
    }
    return false;
}

}  // namespace

std::int64_t realtimeNs() {
    timespec rn{};
    ::clock_gettime(CLOCK_REALTIME, &rn);
    return static_cast<std::int64_t>(rn.tv_sec) * 1000000000 + rn.tv_nsec;
}

common::TimePoint arrivalFromStamp(const timespec& stamp, common::TimePoint now,
                                   std::int64_t realNowNs) {
    const std::int64_t age =
        realNowNs - (static_cast<std::int64_t>(stamp.tv_sec) * 1000000000 + stamp.tv_nsec);
    return age > 0 ? now - std::chrono::nanoseconds(age) : now;
}

void RtpSession::onRtpReadable(common::TimePoint now) {
    ReceiveBatch& b = receiveBatch();
    std::size_t left = config_.maxPacketsPerRead;
    // Arrival times: the kernel's stamp moved onto the steady clock (one realtime reading
    // per call, taken when the first stamped datagram shows up); `now` without a stamp.
    bool haveRealNow = false;
    std::int64_t realNowNs = 0;
    while (left > 0) {
        const std::size_t want = std::min(left, ReceiveBatch::kSize);
        for (std::size_t i = 0; i < want; ++i) {
            b.iov[i].iov_base = b.data[i].data();
            b.iov[i].iov_len = b.data[i].size();
            msghdr& h = b.msgs[i].msg_hdr;
            h.msg_name = &b.from[i];
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_iov = &b.iov[i];
            h.msg_iovlen = 1;
            h.msg_control = b.control[i].data();
            h.msg_controllen = sizeof(b.control[i]);
            h.msg_flags = 0;
            b.msgs[i].msg_len = 0;
        }
        const int got = ::recvmmsg(ports_.rtpFd(), b.msgs.data(), static_cast<unsigned>(want),
                                   MSG_TRUNC | MSG_DONTWAIT, nullptr);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.recvErrors;
            return;
        }
        const auto count = static_cast<std::size_t>(got);
        for (std::size_t i = 0; i < count; ++i) {
            const msghdr& h = b.msgs[i].msg_hdr;
            const std::size_t n = b.msgs[i].msg_len;  // the datagram's length (MSG_TRUNC)
            common::TimePoint at = now;
            timespec ts{};
            if (kernelTimestamp(h, ts)) {
                if (!haveRealNow) {
                    realNowNs = realtimeNs();
                    haveRealNow = true;
                }
                at = arrivalFromStamp(ts, now, realNowNs);
            }
            const common::SocketAddress source(reinterpret_cast<const sockaddr*>(&b.from[i]),
                                               h.msg_namelen);
            const std::size_t kept = std::min(n, b.data[i].size());
            onRtpDatagram(std::span<const std::uint8_t>(b.data[i].data(), kept),
                          (h.msg_flags & MSG_TRUNC) != 0 ? std::max(n, kept + 1) : n, source, at,
                          now);
        }
        left -= count;
        if (count < want) return;  // the socket is empty
    }
    ++counters_.readLimitHits;  // what is left waits for the next call
}

void RtpSession::onRtpDatagram(std::span<const std::uint8_t> data, std::size_t size,
                               const common::SocketAddress& from, common::TimePoint arrival,
                               common::TimePoint now) {
    ++counters_.packetsIn;
    counters_.bytesIn += size;
    if (size > kMaxRtpPacket || size > data.size()) {
        if (!latched_ || from == latchedFrom_)
            ++counters_.malformed;
        else
            ++counters_.strangers;
        return;
    }
    handleRtp(data, from, now, arrival);
}

void RtpSession::onRtpReadLimit() {
    ++counters_.readLimitHits;
}

void RtpSession::onRtpReadError() {
    ++counters_.recvErrors;
}

// --- latching ---

bool RtpSession::mayRelatch(const common::SocketAddress& from, common::TimePoint now) const {
    return config_.relatchAfterQuiet > common::Duration::zero() && !onHold_ &&
           from == media_.remoteRtp && now - lastLatchedRx_ >= config_.relatchAfterQuiet;
}

void RtpSession::relatchToSdp(common::TimePoint now) {
    ++counters_.relatches;
    if (!loggedRelatch_) {
        loggedRelatch_ = true;
        PARLEY_LOG_NOTICE(log_, "rtp " << ports_.rtpPort() << ": latched source "
                                       << latchedFrom_.toString() << " quiet, re-latching to the"
                                       << " SDP address " << media_.remoteRtp.toString()
                                       << " (logged once)");
    }
    latchedFrom_ = media_.remoteRtp;
    rtpDest_ = media_.remoteRtp;
    lastLatchedRx_ = now;
    // RTCP follows signalling too: only the SDP's RTCP address from now on.
    rtcpLatched_ = true;
    rtcpLatchedFrom_ = sdpRtcpAddress();
    rtcpDest_ = rtcpLatchedFrom_;
    lastRtcpLatchedRx_ = now;
}

void RtpSession::handleRtp(std::span<const std::uint8_t> data, const common::SocketAddress& from,
                           common::TimePoint now, common::TimePoint arrival) {
    bool relatch = false;
    if (latched_ && from != latchedFrom_) relatch = mayRelatch(from, now);
    if (latched_ && from != latchedFrom_ && !relatch) {
        ++counters_.strangers;
        if (!loggedStranger_) {
            loggedStranger_ = true;
            PARLEY_LOG_NOTICE(log_, "rtp " << ports_.rtpPort() << ": dropping RTP from "
                                           << from.toString() << ", latched to "
                                           << latchedFrom_.toString() << " (logged once)");
        }
        return;
    }
    RtpPacketView pkt;
    const RtpParseError err = parseRtp(data, pkt);
    if (err != RtpParseError::None) {
        ++counters_.malformed;
        if (!loggedMalformed_) {
            loggedMalformed_ = true;
            PARLEY_LOG_NOTICE(log_, "rtp " << ports_.rtpPort() << ": malformed RTP from "
                                           << from.toString() << ": " << describe(err)
                                           << " (logged once)");
        }
        return;
    }
    const std::int16_t codecValue = ptCodec_[pkt.header.payloadType];
    if (codecValue < 0) {
        ++counters_.unknownPayload;
        if (!loggedUnknownPt_) {
            loggedUnknownPt_ = true;
            PARLEY_LOG_NOTICE(log_, "rtp " << ports_.rtpPort() << ": payload type "
                                           << int(pkt.header.payloadType)
                                           << " not negotiated (logged once)");
        }
        return;
    }
    const auto codec = static_cast<Codec>(codecValue);
    const bool audio = codec != Codec::TelephoneEvent;
    if (audio) {
        const std::size_t n = pkt.payload.size();
        if (n == 0 || n % kSamplesPerTick != 0 || n > pcmBuf_.size()) {
            ++counters_.malformed;  // not whole 20 ms frames: no latching on it either
            return;
        }
    }
    if (relatch) {
        relatchToSdp(now);
    } else if (!latched_ && config_.symmetricRtp) {
        latched_ = true;
        latchedFrom_ = from;
        rtpDest_ = from;
        PARLEY_LOG_DEBUG(log_, "rtp " << ports_.rtpPort() << ": latched to " << from.toString());
    }
    if (latched_) lastLatchedRx_ = now;
    if (!receiving()) {
        ++counters_.notReceiving;
        return;
    }
    if (!haveRemoteSsrc_ || pkt.header.ssrc != remoteSsrc_) {
        if (haveRemoteSsrc_) {
            ++counters_.ssrcChanges;
            jitter_.reset();
            reception_.reset();
            dtmfRx_.reset();
            haveLastSr_ = false;
        }
        haveRemoteSsrc_ = true;
        remoteSsrc_ = pkt.header.ssrc;
    }
    reception_.onPacket(pkt.header.sequence, pkt.header.timestamp, clockUnits(arrival), audio);
    if (!audio) {
        const auto outcome = dtmfRx_.onPacket(pkt.header.timestamp, pkt.payload, now);
        if (outcome.ended) deliverDigit(*outcome.ended);
        if (outcome.alsoEnded) deliverDigit(*outcome.alsoEnded);
        return;
    }
    const G711Law law = codec == Codec::Pcma ? G711Law::Alaw : G711Law::Ulaw;
    const std::size_t samples = g711Decode(law, pkt.payload, pcmBuf_);
    ++counters_.audioIn;
    jitter_.put(pkt.header.timestamp, std::span<const std::int16_t>(pcmBuf_.data(), samples));
}

void RtpSession::deliverDigit(const DigitEvent& ev) {
    ++counters_.dtmfIn;
    if (onDigit_) onDigit_(ev);
}

// --- RTCP ---

void RtpSession::onRtcpReadable(common::TimePoint now) {
    for (std::size_t i = 0; i < config_.maxPacketsPerRead; ++i) {
        sockaddr_storage from{};
        socklen_t fromLen = sizeof from;
        const ssize_t n =
            ::recvfrom(ports_.rtcpFd(), rxBuf_.data(), rxBuf_.size(), MSG_TRUNC | MSG_DONTWAIT,
                       reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) ++counters_.recvErrors;
            return;
        }
        const common::SocketAddress source(reinterpret_cast<const sockaddr*>(&from), fromLen);
        if (static_cast<std::size_t>(n) > rxBuf_.size()) {
            ++counters_.rtcpMalformed;
            continue;
        }
        handleRtcp(std::span<const std::uint8_t>(rxBuf_.data(), static_cast<std::size_t>(n)),
                   source, now);
    }
}

void RtpSession::handleRtcp(std::span<const std::uint8_t> data, const common::SocketAddress& from,
                            common::TimePoint now) {
    bool relatch = false;
    if (rtcpLatched_ && from != rtcpLatchedFrom_) {
        relatch = config_.relatchAfterQuiet > common::Duration::zero() && !onHold_ &&
                  from == sdpRtcpAddress() && now - lastRtcpLatchedRx_ >= config_.relatchAfterQuiet;
        if (!relatch) {
            ++counters_.rtcpStrangers;
            return;
        }
    }
    const RtcpParseError err = parseRtcp(data, rtcpIn_);
    if (err != RtcpParseError::None) {
        ++counters_.rtcpMalformed;
        if (!loggedRtcpMalformed_) {
            loggedRtcpMalformed_ = true;
            PARLEY_LOG_NOTICE(log_, "rtp " << ports_.rtpPort() << ": malformed RTCP from "
                                           << from.toString() << ": " << describe(err)
                                           << " (logged once)");
        }
        return;
    }
    if (relatch) {
        ++counters_.rtcpRelatches;
        rtcpLatchedFrom_ = from;
        rtcpDest_ = from;
    } else if (!rtcpLatched_ && config_.symmetricRtp) {
        rtcpLatched_ = true;
        rtcpLatchedFrom_ = from;
        rtcpDest_ = from;
    }
    if (rtcpLatched_) lastRtcpLatchedRx_ = now;
    ++counters_.rtcpIn;
    const std::uint32_t nowMiddle = ntpMiddle32(ntpAt(now));
    for (std::size_t r = 0; r < rtcpIn_.reportCount; ++r) {
        const RtcpReport& rep = rtcpIn_.reports[r];
        if (rep.isSender && (!haveRemoteSsrc_ || rep.ssrc == remoteSsrc_)) {
            haveLastSr_ = true;
            lastSrMiddle_ = ntpMiddle32(rep.sender.ntpTime);
            lastSrArrival_ = now;
        }
        for (std::size_t b = 0; b < rep.blockCount; ++b) {
            const RtcpReportBlock& blk = rep.blocks[b];
            if (blk.ssrc != ssrc_) continue;
            remoteReport_.valid = true;
            ++remoteReport_.count;
            remoteReport_.fractionLost = blk.fractionLost;
            remoteReport_.cumulativeLost = blk.cumulativeLost;
            remoteReport_.extendedHighestSeq = blk.extendedHighestSeq;
            remoteReport_.jitter = blk.jitter;
            if (blk.lastSr != 0) {
                const auto rtt =
                    static_cast<std::int32_t>(nowMiddle - blk.lastSr - blk.delaySinceLastSr);
                if (rtt >= 0) {
                    remoteReport_.haveRtt = true;
                    remoteReport_.rtt =
                        std::chrono::duration_cast<common::Duration>(std::chrono::microseconds(
                            static_cast<std::int64_t>(rtt) * 1000000 / 65536));
                }
            }
        }
    }
    if (rtcpIn_.hasBye) {
        for (std::size_t i = 0; i < rtcpIn_.byeCount; ++i)
            if (haveRemoteSsrc_ && rtcpIn_.byeSsrcs[i] == remoteSsrc_) ++counters_.byeIn;
    }
}

void RtpSession::sendReport(common::TimePoint now, bool bye) {
    if (onHold_ || !rtcpDest_.valid() || rtcpDest_.port() == 0) return;
    std::array<std::uint8_t, 512> buf;
    RtcpWriter w(buf);
    std::array<RtcpReportBlock, 1> blocks;
    std::size_t blockCount = 0;
    if (haveRemoteSsrc_ && reception_.started()) {
        std::uint32_t dlsr = 0;
        if (haveLastSr_) {
            const auto us =
                std::chrono::duration_cast<std::chrono::microseconds>(now - lastSrArrival_).count();
            dlsr = static_cast<std::uint32_t>(static_cast<std::uint64_t>(us) * 65536 / 1000000);
        }
        blocks[0] = reception_.makeReportBlock(remoteSsrc_, haveLastSr_ ? lastSrMiddle_ : 0, dlsr);
        blockCount = 1;
    }
    const auto blockSpan = std::span<const RtcpReportBlock>(blocks.data(), blockCount);
    if (sentSinceReport_ || sentSincePrevReport_) {
        RtcpSenderInfo info;
        info.ntpTime = ntpAt(now);
        // the RTP time of this instant on our sending clock
        const auto sinceTick =
            std::chrono::duration_cast<std::chrono::microseconds>(now - lastTick_).count();
        info.rtpTimestamp = static_cast<std::uint32_t>(
            currentTimestamp() + static_cast<std::uint64_t>(std::max<std::int64_t>(sinceTick, 0)) *
                                     kClockRate / 1000000);
        info.packetCount = static_cast<std::uint32_t>(counters_.packetsOut);
        info.octetCount = static_cast<std::uint32_t>(counters_.payloadBytesOut);
        w.addSenderReport(ssrc_, info, blockSpan);
    } else {
        w.addReceiverReport(ssrc_, blockSpan);
    }
    w.addSdesCname(ssrc_, config_.cname);
    if (bye) {
        const std::uint32_t self = ssrc_;
        w.addBye(std::span<const std::uint32_t>(&self, 1));
    }
    sentSincePrevReport_ = sentSinceReport_;
    sentSinceReport_ = false;
    if (!w.ok()) return;
    if (::sendto(ports_.rtcpFd(), buf.data(), w.size(), MSG_DONTWAIT | MSG_NOSIGNAL, rtcpDest_.sa(),
                 rtcpDest_.len()) < 0) {
        ++counters_.sendErrors;
        return;
    }
    ++counters_.rtcpOut;
}

void RtpSession::sendBye(common::TimePoint now) {
    sendReport(now, true);
}

}  // namespace parley::ms::rtp

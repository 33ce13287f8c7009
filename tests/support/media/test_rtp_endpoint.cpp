#include "tests/support/media/test_rtp_endpoint.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

namespace parley::test {
namespace {

using common::Clock;
using common::TimePoint;
using std::chrono::milliseconds;

constexpr std::uint32_t kSamplesPerTick = 160;
constexpr auto kTick = milliseconds(20);
constexpr std::size_t kMaxStreams = 64;
constexpr std::size_t kMaxEvents = 10000;
constexpr int kMaxReadsPerWake = 256;
constexpr std::int32_t kMaxGapFill = 8000;  // at most 1 s of zeros between two packets

std::uint32_t randomU32() {
    static std::mutex m;
    static std::mt19937 gen{std::random_device{}()};
    std::lock_guard<std::mutex> lock(m);
    return gen();
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto idx = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    idx = std::clamp<std::size_t>(idx, 1, v.size()) - 1;
    return v[idx];
}

G711Law lawForPt(std::uint8_t pt) {
    return pt == kPayloadPcma ? G711Law::kALaw : G711Law::kMuLaw;
}

}  // namespace

common::Result<std::unique_ptr<TestRtpEndpoint>> TestRtpEndpoint::create(Options options) {
    std::unique_ptr<TestRtpEndpoint> ep(new TestRtpEndpoint(std::move(options)));
    if (auto st = ep->bindPorts(); !st) return st.error();
    ep->start();
    return ep;
}

TestRtpEndpoint::TestRtpEndpoint(Options options)
    : options_(std::move(options)),
      codec_(options_.codec),
      telephoneEventPt_(options_.telephoneEventPt) {
    ssrc_ = options_.ssrc.value_or(randomU32());
    sequence_ = static_cast<std::uint16_t>(randomU32());
    timestamp_ = randomU32();
    maxHistory_ = static_cast<std::size_t>(std::max(1, options_.historySeconds)) * 50;
}

TestRtpEndpoint::~TestRtpEndpoint() {
    loop_.stop();
    if (thread_.joinable()) thread_.join();
}

common::Status TestRtpEndpoint::bindPorts() {
    auto bindAt = [&](std::uint16_t port) -> common::Result<common::Fd> {
        auto addr = common::SocketAddress::fromHostPort(options_.host, port);
        if (!addr) return addr.error();
        return common::udpBind(addr.value());
    };
    if (options_.port != 0) {
        if (options_.port % 2 != 0 || options_.port == 65535)
            return common::makeError(EINVAL,
                                     "RTP port must be even: " + std::to_string(options_.port));
        auto rtp = bindAt(options_.port);
        if (!rtp) return rtp.error();
        auto rtcp = bindAt(static_cast<std::uint16_t>(options_.port + 1));
        if (!rtcp) return rtcp.error();
        rtpFd_ = std::move(rtp.value());
        rtcpFd_ = std::move(rtcp.value());
        rtpPort_ = options_.port;
        return {};
    }
    std::string lastError = "no even port with a free neighbour";
    for (int attempt = 0; attempt < 64; ++attempt) {
        auto rtp = bindAt(0);
        if (!rtp) return rtp.error();
        auto local = common::localAddress(rtp.value().get());
        if (!local) return local.error();
        std::uint16_t port = local.value().port();
        if (port % 2 != 0 || port == 65535) continue;
        auto rtcp = bindAt(static_cast<std::uint16_t>(port + 1));
        if (!rtcp) {
            lastError = rtcp.error().message;
            continue;
        }
        rtpFd_ = std::move(rtp.value());
        rtcpFd_ = std::move(rtcp.value());
        rtpPort_ = port;
        return {};
    }
    return common::makeError(
        EADDRINUSE, "cannot bind an RTP/RTCP port pair on " + options_.host + ": " + lastError);
}

void TestRtpEndpoint::start() {
    // The loop has no thread yet, so setting it up here is setting it up "on" its thread.
    (void)loop_.watch(rtpFd_.get(), common::EventLoop::kReadable,
                      [this](std::uint32_t) { onReadable(rtpFd_.get(), false); });
    (void)loop_.watch(rtcpFd_.get(), common::EventLoop::kReadable,
                      [this](std::uint32_t) { onReadable(rtcpFd_.get(), true); });
    nextTick_ = Clock::now() + kTick;
    scheduleTick(nextTick_);
    thread_ = std::thread([this] { loop_.run(); });
}

void TestRtpEndpoint::scheduleTick(TimePoint when) {
    loop_.addTimerAt(when, [this] { onTick(); });
}

// ---------------------------------------------------------------- sending

void TestRtpEndpoint::onTick() {
    TimePoint now = Clock::now();
    nextTick_ += kTick;
    if (now - nextTick_ > milliseconds(200)) nextTick_ = now + kTick;  // far behind: start over
    {
        std::lock_guard<std::mutex> lock(mutex_);
        bool sentEvent = tickDigit();
        if (!sentEvent) {
            gapLeft_ -= std::min(gapLeft_, kSamplesPerTick);
            if (source_ != Source::kOff && target_) {
                auto pcm = nextAudio();
                auto payload = g711Encode(codec_, pcm);
                RtpHeader h{!talkspurt_, payloadTypeOf(codec_), sequence_, timestamp_, ssrc_};
                if (sendPacket(h, payload)) ++sent_.audioPackets;
                talkspurt_ = true;
            } else {
                talkspurt_ = false;
            }
        } else {
            talkspurt_ = false;
        }
        timestamp_ += kSamplesPerTick;
    }
    scheduleTick(nextTick_);
}

bool TestRtpEndpoint::tickDigit() {
    if (!digitActive_) {
        if (digits_.empty() || gapLeft_ > 0 || !target_) return false;
        digitActive_ = true;
        digitStartTs_ = timestamp_;
        digitElapsed_ = 0;
        endPacketsSent_ = 0;
    }
    const Digit& d = digits_.front();
    TelephoneEvent e;
    e.event = d.event;
    e.volume = d.volume;
    bool first = false;
    if (endPacketsSent_ == 0) {
        first = digitElapsed_ == 0;
        digitElapsed_ = std::min(digitElapsed_ + kSamplesPerTick, d.durationSamples);
        e.end = digitElapsed_ >= d.durationSamples;
    } else {
        e.end = true;
    }
    e.duration = static_cast<std::uint16_t>(digitElapsed_);
    if (e.end) ++endPacketsSent_;
    auto payload = packTelephoneEvent(e);
    RtpHeader h{first, telephoneEventPt_, sequence_, digitStartTs_, ssrc_};
    if (sendPacket(h, payload)) ++sent_.eventPackets;
    if (endPacketsSent_ >= 3) {
        gapLeft_ = d.gapSamples;
        digits_.pop_front();
        digitActive_ = false;
        changed_.notify_all();
    }
    return true;
}

std::vector<std::int16_t> TestRtpEndpoint::nextAudio() {
    switch (source_) {
        case Source::kTone:
            return generator_.next(kSamplesPerTick);
        case Source::kPcm: {
            std::vector<std::int16_t> out;
            out.reserve(kSamplesPerTick);
            while (out.size() < kSamplesPerTick) {
                if (pcmPos_ >= pcm_.size()) {
                    if (!pcmLoop_ || pcm_.empty()) break;
                    pcmPos_ = 0;
                }
                std::size_t take = std::min(kSamplesPerTick - out.size(), pcm_.size() - pcmPos_);
                out.insert(out.end(), pcm_.begin() + static_cast<std::ptrdiff_t>(pcmPos_),
                           pcm_.begin() + static_cast<std::ptrdiff_t>(pcmPos_ + take));
                pcmPos_ += take;
            }
            out.resize(kSamplesPerTick, 0);
            return out;
        }
        case Source::kSilence:
        case Source::kOff:
            break;
    }
    return std::vector<std::int16_t>(kSamplesPerTick, 0);
}

bool TestRtpEndpoint::sendPacket(const RtpHeader& h, std::span<const std::uint8_t> payload) {
    if (!target_) return false;
    auto packet = packRtp(h, payload);
    ++sequence_;
    ssize_t n = ::sendto(rtpFd_.get(), packet.data(), packet.size(), MSG_NOSIGNAL, target_->sa(),
                         target_->len());
    if (n != static_cast<ssize_t>(packet.size())) {
        ++sent_.errors;
        return false;
    }
    ++sent_.packets;
    return true;
}

void TestRtpEndpoint::setTarget(const common::SocketAddress& target) {
    std::lock_guard<std::mutex> lock(mutex_);
    target_ = target;
}

common::Status TestRtpEndpoint::setTarget(const std::string& host, std::uint16_t port) {
    auto addr = common::SocketAddress::fromHostPort(host, port);
    if (!addr) return addr.error();
    setTarget(addr.value());
    return {};
}

void TestRtpEndpoint::clearTarget() {
    std::lock_guard<std::mutex> lock(mutex_);
    target_.reset();
}

std::optional<common::SocketAddress> TestRtpEndpoint::target() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return target_;
}

void TestRtpEndpoint::setCodec(G711Law law) {
    std::lock_guard<std::mutex> lock(mutex_);
    codec_ = law;
}

G711Law TestRtpEndpoint::codec() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return codec_;
}

void TestRtpEndpoint::setTelephoneEventPayloadType(std::uint8_t pt) {
    std::lock_guard<std::mutex> lock(mutex_);
    telephoneEventPt_ = pt & 0x7F;
}

void TestRtpEndpoint::sendTone(double frequencyHz, double levelDbfs) {
    sendTones({{frequencyHz, levelDbfs}});
}

void TestRtpEndpoint::sendTones(std::vector<ToneSpec> tones) {
    std::lock_guard<std::mutex> lock(mutex_);
    generator_ = ToneGenerator(std::move(tones));
    source_ = Source::kTone;
}

void TestRtpEndpoint::sendSilence() {
    std::lock_guard<std::mutex> lock(mutex_);
    source_ = Source::kSilence;
}

void TestRtpEndpoint::sendPcm(std::vector<std::int16_t> pcm, bool loop) {
    std::lock_guard<std::mutex> lock(mutex_);
    pcm_ = std::move(pcm);
    pcmPos_ = 0;
    pcmLoop_ = loop;
    source_ = Source::kPcm;
}

void TestRtpEndpoint::stopSending() {
    std::lock_guard<std::mutex> lock(mutex_);
    source_ = Source::kOff;
}

void TestRtpEndpoint::sendDigits(const std::string& digits, milliseconds duration, milliseconds gap,
                                 int volume) {
    auto samples = [](milliseconds ms, std::uint32_t lo, std::uint32_t hi) {
        auto s = static_cast<std::int64_t>(ms.count()) * 8;
        return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, lo, hi));
    };
    std::lock_guard<std::mutex> lock(mutex_);
    for (char c : digits) {
        auto ev = eventForDigit(c);
        if (!ev) continue;
        Digit d;
        d.event = *ev;
        d.durationSamples = samples(duration, kSamplesPerTick, 65535);
        d.gapSamples = samples(gap, 0, 8000 * 10);
        d.volume = static_cast<std::uint8_t>(std::clamp(volume, 0, 63));
        digits_.push_back(d);
    }
}

bool TestRtpEndpoint::digitsPending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !digits_.empty();
}

SendTotals TestRtpEndpoint::sent() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
}

// ---------------------------------------------------------------- SDP

std::string TestRtpEndpoint::sdpOffer(const std::string& direction,
                                      const std::string& label) const {
    AudioSdpOptions o;
    o.address = options_.host;
    o.port = rtpPort_;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        o.payloadTypes = codec_ == G711Law::kMuLaw ? std::vector<std::uint8_t>{0, 8}
                                                   : std::vector<std::uint8_t>{8, 0};
        o.telephoneEventPt = telephoneEventPt_;
    }
    o.direction = direction;
    o.label = label;
    o.sessionId = ssrc_;
    return buildAudioSdp(o);
}

common::Status TestRtpEndpoint::applyRemoteSdp(std::string_view remoteSdp) {
    auto remote = parseRemoteAudio(remoteSdp);
    if (!remote) return remote.error();
    auto g711 = remote->firstG711();
    if (!g711)
        return common::makeError(EINVAL, "the remote audio m-line offers neither PCMU nor PCMA");
    auto addr = common::SocketAddress::fromHostPort(remote->address, remote->port);
    if (!addr) return addr.error();
    std::lock_guard<std::mutex> lock(mutex_);
    target_ = addr.value();
    // A dynamic PT named PCMU/PCMA is sent as the static one it names.
    auto name = remote->rtpmap.count(*g711) ? remote->rtpmap.at(*g711) : std::string();
    codec_ = (*g711 == kPayloadPcma || name.rfind("PCMA", 0) == 0 || name.rfind("pcma", 0) == 0)
                 ? G711Law::kALaw
                 : G711Law::kMuLaw;
    if (remote->telephoneEventPt) telephoneEventPt_ = *remote->telephoneEventPt;
    return {};
}

common::Result<std::string> TestRtpEndpoint::answerOffer(std::string_view remoteOffer,
                                                         const std::string& direction,
                                                         const std::string& label) {
    if (auto st = applyRemoteSdp(remoteOffer); !st) return st.error();
    bool te = parseRemoteAudio(remoteOffer)->telephoneEventPt.has_value();
    AudioSdpOptions o;
    o.address = options_.host;
    o.port = rtpPort_;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        o.payloadTypes = {payloadTypeOf(codec_)};
        o.telephoneEventPt = te ? std::optional<std::uint8_t>(telephoneEventPt_) : std::nullopt;
    }
    o.direction = direction;
    o.label = label;
    o.sessionId = ssrc_;
    return buildAudioSdp(o);
}

// ---------------------------------------------------------------- receiving

void TestRtpEndpoint::onReadable(int fd, bool rtcpPort) {
    std::uint8_t buf[4096];
    for (int i = 0; i < kMaxReadsPerWake; ++i) {
        common::SocketAddress from;
        *from.lenPtr() = sizeof(sockaddr_storage);
        ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, from.sa(), from.lenPtr());
        if (n < 0) break;  // EAGAIN, or an error the next wake-up will see again
        TimePoint now = Clock::now();
        if (rtcpPort) {
            std::lock_guard<std::mutex> lock(mutex_);
            ++totals_.rtcpPackets;
            continue;
        }
        onPacket(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)), from, now);
    }
}

void TestRtpEndpoint::onPacket(std::span<const std::uint8_t> data,
                               const common::SocketAddress& from, TimePoint now) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (looksLikeRtcp(data)) {
        ++totals_.rtcpPackets;
        return;
    }
    auto rtp = parseRtp(data);
    if (!rtp) {
        ++totals_.malformed;
        return;
    }
    const RtpHeader& h = rtp->header;
    ++totals_.packets;
    const bool audio = h.payloadType == kPayloadPcmu || h.payloadType == kPayloadPcma;

    auto it = streams_.find(h.ssrc);
    if (it == streams_.end() && streams_.size() < kMaxStreams) {
        it = streams_.emplace(h.ssrc, StreamState{}).first;
        it->second.order = streams_.size();
        it->second.stats.ssrc = h.ssrc;
    }
    if (it != streams_.end()) {
        StreamState& s = it->second;
        StreamStats& st = s.stats;
        st.source = from.toString();
        ++st.packets;
        st.bytes += rtp->payload.size();
        st.payloadTypes.insert(h.payloadType);
        if (h.marker) ++st.markers;
        if (!s.started) {
            s.started = true;
            s.baseSeq = h.sequence;
            s.maxSeq = h.sequence;
            s.unique = 1;
        } else {
            auto delta = static_cast<std::uint16_t>(h.sequence - s.maxSeq);
            if (delta == 0) {
                ++st.duplicates;
            } else if (delta < 0x8000) {
                if (delta > 1) ++st.sequenceGaps;
                if (h.sequence < s.maxSeq) ++s.cycles;
                s.maxSeq = h.sequence;
                ++s.unique;
            } else {
                ++st.outOfOrder;
                ++s.unique;
            }
        }
        std::uint64_t extendedMax = (std::uint64_t{s.cycles} << 16) + s.maxSeq;
        st.expected = extendedMax >= s.baseSeq ? extendedMax - s.baseSeq + 1 : 0;
        st.lost = static_cast<std::int64_t>(st.expected) - static_cast<std::int64_t>(s.unique);
        if (audio) {
            double arrivalUnits =
                std::chrono::duration<double>(now.time_since_epoch()).count() * kSampleRate;
            double transit = arrivalUnits - static_cast<double>(h.timestamp);
            if (s.haveTransit) {
                double d = std::abs(transit - s.lastTransit);
                // A timestamp jump larger than a second is a new talk spurt base, not jitter.
                if (d < kSampleRate) s.jitter += (d - s.jitter) / 16.0;
            }
            s.lastTransit = transit;
            s.haveTransit = true;
            st.jitterMs = s.jitter / (kSampleRate / 1000.0);
        }
    }

    HistoryEntry entry;
    entry.arrival = now;
    entry.ssrc = h.ssrc;
    entry.timestamp = h.timestamp;
    entry.payloadType = h.payloadType;
    if (audio) {
        ++totals_.audioPackets;
        entry.pcm = g711Decode(lawForPt(h.payloadType), rtp->payload);
    } else if (h.payloadType == telephoneEventPt_) {
        ++totals_.eventPackets;
        if (auto ev = parseTelephoneEvent(rtp->payload); ev && events_.size() < kMaxEvents)
            events_.push_back(ReceivedEvent{now, h.ssrc, h.timestamp, h.sequence, h.marker, *ev});
    } else {
        ++totals_.otherPackets;
    }
    history_.push_back(std::move(entry));
    while (history_.size() > maxHistory_) history_.pop_front();
    changed_.notify_all();
}

ReceiveTotals TestRtpEndpoint::received() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return totals_;
}

std::vector<StreamStats> TestRtpEndpoint::streams() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<const StreamState*> ordered;
    for (const auto& [ssrc, s] : streams_) ordered.push_back(&s);
    std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->order < b->order; });
    std::vector<StreamStats> out;
    for (auto* s : ordered) out.push_back(s->stats);
    return out;
}

std::vector<ReceivedEvent> TestRtpEndpoint::events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
}

std::string TestRtpEndpoint::receivedDigits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::string out;
    for (const auto& e : events_)
        if (seen.insert({e.ssrc, e.timestamp}).second) out.push_back(digitForEvent(e.event.event));
    return out;
}

std::vector<std::int16_t> TestRtpEndpoint::audioSince(TimePoint since) const {
    std::vector<std::int16_t> out;
    std::optional<std::uint32_t> prevSsrc;
    std::uint32_t expectedTs = 0;
    auto first = std::lower_bound(history_.begin(), history_.end(), since,
                                  [](const HistoryEntry& e, TimePoint t) { return e.arrival < t; });
    for (auto it = first; it != history_.end(); ++it) {
        const HistoryEntry& e = *it;
        if (e.pcm.empty()) continue;
        if (prevSsrc && *prevSsrc == e.ssrc) {
            auto d = static_cast<std::int32_t>(e.timestamp - expectedTs);
            if (d < 0 && d >= -kMaxGapFill)
                continue;  // duplicate or late: its slot is already filled
            if (d > 0 && d <= kMaxGapFill) out.insert(out.end(), static_cast<std::size_t>(d), 0);
        }
        out.insert(out.end(), e.pcm.begin(), e.pcm.end());
        prevSsrc = e.ssrc;
        expectedTs = e.timestamp + static_cast<std::uint32_t>(e.pcm.size());
    }
    return out;
}

std::vector<std::int16_t> TestRtpEndpoint::receivedAudio(milliseconds interval) const {
    TimePoint since = Clock::now() - interval;
    std::lock_guard<std::mutex> lock(mutex_);
    return audioSince(since);
}

ToneReport TestRtpEndpoint::heard(milliseconds interval,
                                  const std::vector<double>& candidates) const {
    return ToneReport(receivedAudio(interval), candidates);
}

bool TestRtpEndpoint::heardSilence(milliseconds interval, double thresholdDbfs) const {
    return isSilence(receivedAudio(interval), thresholdDbfs);
}

ArrivalStats TestRtpEndpoint::arrivalStats(milliseconds interval) const {
    TimePoint since = Clock::now() - interval;
    std::vector<double> gaps;
    ArrivalStats out;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        std::optional<TimePoint> prev;
        for (const auto& e : history_) {
            if (e.arrival < since) continue;
            ++out.packets;
            if (prev)
                gaps.push_back(
                    std::chrono::duration<double, std::milli>(e.arrival - *prev).count());
            prev = e.arrival;
        }
    }
    if (gaps.empty()) return out;
    double sum = 0;
    std::vector<double> deviations;
    for (double g : gaps) {
        sum += g;
        out.maxIntervalMs = std::max(out.maxIntervalMs, g);
        deviations.push_back(std::abs(g - 20.0));
    }
    out.meanIntervalMs = sum / static_cast<double>(gaps.size());
    out.p50IntervalMs = percentile(gaps, 0.50);
    out.p99IntervalMs = percentile(gaps, 0.99);
    out.p99DeviationMs = percentile(deviations, 0.99);
    return out;
}

void TestRtpEndpoint::clearReceived() {
    std::lock_guard<std::mutex> lock(mutex_);
    totals_ = {};
    history_.clear();
    streams_.clear();
    events_.clear();
}

// ---------------------------------------------------------------- waiting

bool TestRtpEndpoint::waitUntil(const std::function<bool()>& condition,
                                milliseconds timeout) const {
    const TimePoint deadline = Clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        TimePoint now = Clock::now();
        if (now >= deadline) return false;
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, std::min<common::Duration>(milliseconds(20), deadline - now));
    }
}

bool TestRtpEndpoint::waitForPackets(std::uint64_t count, milliseconds timeout) const {
    return waitUntil([&] { return packetsReceived() >= count; }, timeout);
}

bool TestRtpEndpoint::waitForTone(double frequencyHz, double minDbfs, milliseconds interval,
                                  milliseconds timeout) const {
    return waitUntil(
        [&] {
            auto audio = receivedAudio(interval);
            // Judge only once the interval is (nearly) full, so a first packet does not decide.
            if (audio.size() < static_cast<std::size_t>(interval.count()) * 8 * 9 / 10)
                return false;
            return ToneReport(std::move(audio), {frequencyHz}).hasTone(frequencyHz, minDbfs);
        },
        timeout);
}

bool TestRtpEndpoint::waitForSilence(milliseconds interval, milliseconds timeout,
                                     double thresholdDbfs) const {
    return waitUntil([&] { return heardSilence(interval, thresholdDbfs); }, timeout);
}

bool TestRtpEndpoint::waitForDigits(std::size_t count, milliseconds timeout) const {
    return waitUntil([&] { return receivedDigits().size() >= count; }, timeout);
}

std::string TestRtpEndpoint::describe() const {
    std::ostringstream os;
    std::lock_guard<std::mutex> lock(mutex_);
    os << options_.name << ' ' << options_.host << ':' << rtpPort_ << " ssrc=" << ssrc_ << ' '
       << encodingNameOf(codec_) << " target=" << (target_ ? target_->toString() : "-")
       << " sent=" << sent_.packets << " (events " << sent_.eventPackets << ", errors "
       << sent_.errors << ")"
       << " received=" << totals_.packets << " (audio " << totals_.audioPackets << ", events "
       << totals_.eventPackets << ", other " << totals_.otherPackets << ", rtcp "
       << totals_.rtcpPackets << ", malformed " << totals_.malformed
       << ") streams=" << streams_.size();
    return os.str();
}

}  // namespace parley::test

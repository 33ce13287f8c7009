#include "bench/common/step_harness.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "common/log.hpp"

#ifndef PARLEY_BUILD_TYPE
#define PARLEY_BUILD_TYPE "unknown"
#endif

namespace parley::bench {

namespace {

char gDeadlineMessage[128] = "bench: deadline or signal: parley-ms killed\n";
std::size_t gDeadlineLength = std::strlen(gDeadlineMessage);

void onDeadline(int) {
    MsProcess::killNow();
    (void)!::write(2, gDeadlineMessage, gDeadlineLength);
    _exit(3);
}

}  // namespace

void setUpGenerator(const char* program, int cpu, int rtPriority, unsigned deadlineSeconds) {
    std::snprintf(gDeadlineMessage, sizeof gDeadlineMessage,
                  "%s: deadline or signal: parley-ms killed\n", program);
    gDeadlineLength = std::strlen(gDeadlineMessage);
    common::setupLogging(common::LogLevel::Warning);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGALRM, onDeadline);
    ::signal(SIGINT, onDeadline);
    ::signal(SIGTERM, onDeadline);
    if (!pinAndPrioritise(cpu, rtPriority)) std::perror("sched_setscheduler");
    ::alarm(deadlineSeconds);
}

void printRunHeader(int argc, char** argv, int msCpu, int cpu, int mediaWorkers,
                    int rtPriority, const std::string& msBin, const std::string& extra) {
    std::printf("command:");
    for (int i = 0; i < argc; ++i) std::printf(" %s", argv[i]);
    std::printf(
        "\nbuild type %s; parley-ms %s on CPU %d, %d media worker(s); generator on CPU %d; "
        "%sscheduling %s\n",
        PARLEY_BUILD_TYPE, msBin.c_str(), msCpu, mediaWorkers, cpu, extra.c_str(),
        rtPriority > 0 ? ("SCHED_FIFO " + std::to_string(rtPriority)).c_str() : "normal");
    std::fflush(stdout);
}

std::vector<std::string> msArguments(const GeneratorOptions& o) {
    std::vector<std::string> args{"--sip-listen", "127.0.0.1:0", "--cfw-listen", "127.0.0.1:0",
                                  "--http-listen", "127.0.0.1:0", "--rtp-ports", "20000-39999",
                                  "--media-workers", std::to_string(o.mediaWorkers),
                                  "--log-level", o.msLogLevel};
    // Only when asked: a parley-ms from before these flags (MS_BIN, before/after runs) still
    // runs.
    if (o.mediaPriority > 0) {
        args.push_back("--media-priority");
        args.push_back(std::to_string(o.mediaPriority));
    }
    if (o.msKeepAwake) {
        args.push_back("--media-keep-awake");
        args.push_back("on");
    }
    return args;
}

common::Result<std::unique_ptr<ControlChannel>> ControlChannel::create(common::EventLoop& loop,
                                                                       std::uint16_t msSipPort) {
    std::unique_ptr<ControlChannel> self(new ControlChannel());
    proto::sip::SipConfig sipConfig;
    sipConfig.listen = "127.0.0.1:0";
    sipConfig.user = "bench";
    sipConfig.shutdownTimeout = std::chrono::milliseconds(500);
    auto stack = proto::sip::SipStack::create(loop, sipConfig, self->handler_);
    if (!stack) return stack.error();
    self->stack_ = std::move(*stack);
    self->signalling_ = std::make_unique<as::SipControlSignalling>(*self->stack_);
    as::MediaServerClientOptions mo;
    mo.uri = "sip:ms@127.0.0.1:" + std::to_string(msSipPort);
    self->client_ = std::make_unique<as::MediaServerClient>(loop, *self->signalling_, mo);
    return self;
}

common::Duration secondsOf(double s) {
    return std::chrono::duration_cast<common::Duration>(std::chrono::duration<double>(s));
}

StepStarter::StepStarter(common::EventLoop& loop, as::MediaServerClient& client, MsProcess& ms,
                         StepMeasures& res, double setupTimeout, double warmup,
                         const bool& stopping, Stages stages)
    : loop_(loop), client_(client), ms_(ms), res_(res), setupTimeout_(setupTimeout),
      warmup_(warmup), stopping_(stopping), stages_(std::move(stages)) {}

void StepStarter::start() {
    started_ = Clock::now();
    client_.start();
    loop_.post([this] { waitUp(); });
}

void StepStarter::waitUp() {
    if (!client_.isUp()) {
        if (Clock::now() - started_ > std::chrono::seconds(15))
            return stages_.finish("control channel did not come up: " +
                                  client_.status().lastError);
        loop_.addTimer(std::chrono::milliseconds(10), [this] { waitUp(); });
        return;
    }
    res_.rssBase = ms_.rssKiB();
    setupStart_ = Clock::now();
    const auto setupDeadline = loop_.addTimer(secondsOf(setupTimeout_),
                                              [this] { stages_.finish(stages_.timeoutWhy()); });
    stages_.setUp([this, setupDeadline](bool ok, const std::string& why) {
        if (stopping_) return;
        loop_.cancelTimer(setupDeadline);
        res_.setupSeconds = std::chrono::duration<double>(Clock::now() - setupStart_).count();
        if (!ok)
            return stages_.finish("set-up failed (" + std::to_string(stages_.failures()) +
                                  " failures): " + why);
        loop_.addTimer(secondsOf(warmup_), [this] { stages_.measureBegin(); });
    });
}

void StepMeasures::setIntervals(const Histogram& h) {
    intervals = h.count();
    p50 = h.percentile(50);
    p99 = h.percentile(99);
    p999 = h.percentile(99.9);
    max = h.max();
}

void StepMeasures::setCalmIntervals(const RtpStreamReport& r) {
    if (!r.calmInterval) return;
    stallTouched = r.stallTouched;
    calmIntervals = r.calmInterval->count();
    calmP50 = r.calmInterval->percentile(50);
    calmP99 = r.calmInterval->percentile(99);
    calmP999 = r.calmInterval->percentile(99.9);
    calmMax = r.calmInterval->max();
}

double StepMeasures::otherOnMsCpuPct() const {
    return std::max(0.0, 100.0 * (msCoreBusy - msRun - msKeepAwake) / window);
}

void WindowMeter::begin(StepMeasures& out, IoReading* io) {
    out.before = readMetrics(httpPort_);
    cpu0_ = ms_.cpu();
    if (io) *io = ms_.io();
    gen0_ = selfCpuSeconds();
    core0_ = msCpu_ >= 0 ? cpuBusySeconds(msCpu_) : 0;
    steal0_ = msCpu_ >= 0 ? cpuStealSeconds(msCpu_) : 0;
    begin0_ = realtimeNs();
}

void WindowMeter::end(StepMeasures& out, IoReading* io) {
    const CpuReading cpu1 = ms_.cpu();
    if (io) *io = ms_.io();
    out.msCpu = cpu1.utimeStimeSeconds - cpu0_.utimeStimeSeconds;
    out.msRun = cpu1.runSeconds - cpu0_.runSeconds;
    out.msKeepAwake = cpu1.keepAwakeSeconds - cpu0_.keepAwakeSeconds;
    out.genCpu = selfCpuSeconds() - gen0_;
    out.msCoreBusy = msCpu_ >= 0 ? cpuBusySeconds(msCpu_) - core0_ : 0;
    out.msCoreSteal = msCpu_ >= 0 ? cpuStealSeconds(msCpu_) - steal0_ : 0;
    if (probe_) {
        out.probed = true;
        out.stalls = probe_->summary(begin0_, realtimeNs());
    }
    out.load = loadAverage();
    out.rssLoaded = ms_.rssKiB();
    out.after = readMetrics(httpPort_);
    // The media worker logs its load every 10 s at debug level: the last such line.
    const std::string log = ms_.log();
    const auto at = log.rfind("jitter delay mean");
    if (at != std::string::npos) {
        const auto begin = log.rfind('\n', at);
        const auto stop = log.find('\n', at);
        out.workerLog = log.substr(begin == std::string::npos ? 0 : begin + 1,
                                   stop == std::string::npos ? std::string::npos : stop - begin - 1);
    }
}

void printIntervals(const StepMeasures& s) {
    std::printf(
        "interval |d-20ms| us over %llu intervals: p50 %lld  p99 %lld  p99.9 %lld  max %lld\n",
        static_cast<unsigned long long>(s.intervals), static_cast<long long>(s.p50),
        static_cast<long long>(s.p99), static_cast<long long>(s.p999),
        static_cast<long long>(s.max));
    if (!s.probed) return;
    printStalls(s);
    const double total = static_cast<double>(std::max<std::uint64_t>(s.intervals, 1));
    std::printf(
        "intervals a stall fell into (or into the 20 ms before): %llu (%.2f %%); the other "
        "%llu: p50 %lld  p99 %lld  p99.9 %lld  max %lld\n",
        static_cast<unsigned long long>(s.stallTouched), 100.0 * s.stallTouched / total,
        static_cast<unsigned long long>(s.calmIntervals), static_cast<long long>(s.calmP50),
        static_cast<long long>(s.calmP99), static_cast<long long>(s.calmP999),
        static_cast<long long>(s.calmMax));
}

void printStalls(const StepMeasures& s) {
    if (!s.probed) return;
    std::printf(
        "parley-ms's CPU taken away (stall probe): %llu stalls over 0.5 ms, %llu over 2 ms, "
        "longest %.1f ms, %.1f ms in all; steal %.0f ms\n",
        static_cast<unsigned long long>(s.stalls.stalls),
        static_cast<unsigned long long>(s.stalls.over2ms), s.stalls.maxNs / 1e6,
        s.stalls.totalNs / 1e6, 1000.0 * s.msCoreSteal);
    if (s.stalls.dropped > 0)
        std::printf("stall probe: %llu stalls not kept (its table was full): the intervals "
                    "after them count as outside stalls\n",
                    static_cast<unsigned long long>(s.stalls.dropped));
}

std::unique_ptr<StallProbe> startStallProbe(const GeneratorOptions& o) {
    if (!o.stallProbe) return nullptr;
    const int top = std::max(o.rtPriority, o.mediaPriority);
    if (top <= 0 || o.msCpu < 0) {
        std::fprintf(stderr, "stall probe: off (needs --rt-priority and --ms-cpu)\n");
        return nullptr;
    }
    auto probe = StallProbe::start(o.msCpu, std::min(top + 1, 99), 1'000'000, 500'000);
    if (!probe) {
        std::fprintf(stderr, "%s\n", probe.error().message.c_str());
        return nullptr;
    }
    return std::move(*probe);
}

void printStreams(const RtpStreamReport& r, const char* shortfallWhat) {
    std::printf(
        "packets back %llu of %llu due, lost %llu, short streams %llu (%llu %s), timestamp "
        "jumps %llu, late/dup %llu, silent streams %llu, our socket drops %llu; sent %llu "
        "(errors %llu, late timer slots %llu)\n",
        static_cast<unsigned long long>(r.received), static_cast<unsigned long long>(r.due),
        static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(r.shortStreams),
        static_cast<unsigned long long>(r.shortfall), shortfallWhat,
        static_cast<unsigned long long>(r.tsJumps), static_cast<unsigned long long>(r.lateOrDup),
        static_cast<unsigned long long>(r.silentStreams),
        static_cast<unsigned long long>(r.socketDrops), static_cast<unsigned long long>(r.sent),
        static_cast<unsigned long long>(r.sendErrors),
        static_cast<unsigned long long>(r.lateSlots));
}

void printCost(const StepMeasures& s) {
    std::printf(
        "parley-ms CPU %.2f s of %.1f s = %.1f %% of a core (schedstat %.1f %%); generator "
        "%.1f %%; other work on parley-ms's CPU %.1f %%; load average %s\n",
        s.msCpu, s.window, s.msCpuPct(), 100.0 * s.msRun / s.window,
        100.0 * s.genCpu / s.window, s.otherOnMsCpuPct(), s.load.c_str());
    if (s.msKeepAwake > 0)
        std::printf("parley-ms keep-awake threads (idle time of its CPU, not counted above): "
                    "%.1f %% of a core\n",
                    100.0 * s.msKeepAwake / s.window);
    std::printf("parley-ms RSS %ld KiB before, %ld KiB loaded\n", s.rssBase, s.rssLoaded);
}

}  // namespace parley::bench

#pragma once
// What one step of a load generator does around its own traffic, shared by bench_mix_load
// and bench_ivr_load:
// - setUpGenerator(): logging, SIGPIPE ignored, SIGALRM/SIGINT/SIGTERM kill parley-ms by
//   PID and exit 3 ("<program>: deadline or signal: parley-ms killed"), the generator
//   pinned to a CPU and optionally SCHED_FIFO, the overall deadline armed;
//   printRunHeader() echoes the command line and the run's set-up (build type, CPUs,
//   workers, scheduling).
// - msArguments(): parley-ms's flags for a step (loopback listeners, RTP ports, workers).
// - ControlChannel: the AS side of a step, parley-as's MediaServerClient over a real SIP
//   control channel from a proto::sip::SipStack on 127.0.0.1.
// - StepMeasures + WindowMeter: parley-ms's CPU (utime+stime and schedstat), the generator's
//   CPU, the busy time of parley-ms's CPU, load average, RSS and /metrics around the
//   measuring window; the interval percentiles.
// - StepStarter: the start of a step as a chain of timers on the loop, each stage with a
//   deadline: the control channel up (15 s), the set-up (its timeout), the warm-up, then
//   the measuring window's start.
// - The report lines both generators print the same way.
//
// Contract: single-threaded; ControlChannel on its loop's thread, created before and
// destroyed after whatever uses its stack or client.

#include <cstddef>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "as/msclient/media_server_client.hpp"
#include "as/sip/sip_control_signalling.hpp"
#include "bench/common/histogram.hpp"
#include "bench/common/ms_process.hpp"
#include "bench/common/ms_readings.hpp"
#include "bench/common/options.hpp"
#include "bench/common/rtp_engine.hpp"
#include "bench/common/stall_probe.hpp"
#include "common/event_loop.hpp"
#include "common/result.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::bench {

// `program` names the deadline message; cpu < 0: not pinned; rtPriority > 0: SCHED_FIFO.
void setUpGenerator(const char* program, int cpu, int rtPriority, unsigned deadlineSeconds);
// "command: <argv>" then "build type T; parley-ms BIN on CPU N, W media worker(s);
// generator on CPU N; <extra>scheduling S" (extra: "" or ending in "; ").
void printRunHeader(int argc, char** argv, int msCpu, int cpu, int mediaWorkers,
                    int rtPriority, const std::string& msBin, const std::string& extra);

std::vector<std::string> msArguments(const GeneratorOptions& o);

class ControlChannel {
  public:
    // The error is the SIP stack's (it could not bind).
    static common::Result<std::unique_ptr<ControlChannel>> create(common::EventLoop& loop,
                                                                  std::uint16_t msSipPort);
    proto::sip::SipStack& stack() { return *stack_; }
    as::MediaServerClient& client() { return *client_; }

  private:
    ControlChannel() = default;
    as::AsSipHandler handler_;
    std::unique_ptr<proto::sip::SipStack> stack_;
    std::unique_ptr<as::SipControlSignalling> signalling_;
    std::unique_ptr<as::MediaServerClient> client_;
};

// `s` seconds as the loop's timer duration.
common::Duration secondsOf(double s);

// What every step measures besides its own traffic (seconds over the window).
struct StepMeasures {
    double setupSeconds = 0;
    double window = 0;
    std::uint64_t intervals = 0;
    std::int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;  // |interval - 20 ms|, us
    double msCpu = 0, msRun = 0;  // without its keep-awake threads
    double msKeepAwake = 0;       // its keep-awake threads' run time
    double genCpu = 0;
    double msCoreBusy = 0;  // all work on parley-ms's CPU
    double msCoreSteal = 0;  // of which steal (the hypervisor ran something else)
    std::string load;       // 1-minute load average at the end of the window
    long rssBase = 0, rssLoaded = 0;
    MsMetrics before, after;
    // The media worker's last load line (wake-up lateness, read and tick maxima, jitter
    // delay over its last 10 s), when parley-ms runs with --ms-log-level debug.
    std::string workerLog;

    // With a stall probe on parley-ms's CPU: its stalls in the window, the intervals they
    // touched and the percentiles of the others (the timing parley-ms gave when its CPU was
    // there).
    bool probed = false;
    StallProbe::Summary stalls;
    std::uint64_t stallTouched = 0;
    std::uint64_t calmIntervals = 0;
    std::int64_t calmP50 = 0, calmP99 = 0, calmP999 = 0, calmMax = 0;

    void setIntervals(const Histogram& h);
    // From the engine's report when it had a probe (calmInterval set); else nothing.
    void setCalmIntervals(const RtpStreamReport& r);
    double msCpuPct() const { return 100.0 * msCpu / window; }
    double otherOnMsCpuPct() const;  // busy time of parley-ms's CPU not parley-ms's, %
};

class WindowMeter {
  public:
    // msCpu < 0: parley-ms not pinned (no per-CPU busy time). io: also /proc/PID/io.
    WindowMeter(MsProcess& ms, int msCpu, std::uint16_t httpPort) :
        ms_(ms), msCpu_(msCpu), httpPort_(httpPort) {}
    // The probe's stalls inside the window go into StepMeasures::stalls (probed = true).
    void setStallProbe(const StallProbe* probe) { probe_ = probe; }
    void begin(StepMeasures& out, IoReading* io = nullptr);
    void end(StepMeasures& out, IoReading* io = nullptr);

  private:
    MsProcess& ms_;
    int msCpu_;
    std::uint16_t httpPort_;
    const StallProbe* probe_ = nullptr;
    CpuReading cpu0_;
    double gen0_ = 0;
    double core0_ = 0;
    double steal0_ = 0;
    std::int64_t begin0_ = 0;
};

// start(): starts the client and posts the chain. Once the client is up (else, after 15 s,
// finish("control channel did not come up: <last error>")) it takes parley-ms's RSS as the
// base, calls setUp(done) with a setupTimeout deadline (finish(timeoutWhy())), and when done
// comes (ignored once `stopping` is true): setupSeconds, then finish("set-up failed (N
// failures): why") or, after `warmup` seconds, measureBegin(). The starter must outlive the
// loop's run.
class StepStarter {
  public:
    using Done = std::function<void(bool ok, const std::string& why)>;
    struct Stages {
        std::function<void(Done)> setUp;
        std::function<std::string()> timeoutWhy;
        std::function<std::size_t()> failures;
        std::function<void(const std::string&)> finish;
        std::function<void()> measureBegin;
    };

    StepStarter(common::EventLoop& loop, as::MediaServerClient& client, MsProcess& ms,
                StepMeasures& res, double setupTimeout, double warmup, const bool& stopping,
                Stages stages);
    void start();

  private:
    using Clock = std::chrono::steady_clock;
    void waitUp();

    common::EventLoop& loop_;
    as::MediaServerClient& client_;
    MsProcess& ms_;
    StepMeasures& res_;
    double setupTimeout_;
    double warmup_;
    const bool& stopping_;
    Stages stages_;
    Clock::time_point started_;
    Clock::time_point setupStart_;
};

// "interval |d-20ms| us over N intervals: p50 ..." and, when probed, the stalls and the
// intervals outside them.
void printIntervals(const StepMeasures& s);
// "parley-ms's CPU taken away (stall probe): ..." when probed (printIntervals prints it too).
void printStalls(const StepMeasures& s);
// The probe for a step: on parley-ms's CPU one above the highest priority of parley-ms's
// threads, a 1 ms period, stalls over 0.5 ms. Null (and a line on stderr saying why) when
// there is no RT priority to rise above or the thread cannot be started.
std::unique_ptr<StallProbe> startStallProbe(const GeneratorOptions& o);
// "packets back ... short streams N (M <shortfallWhat>), ..."
void printStreams(const RtpStreamReport& r, const char* shortfallWhat);
// "parley-ms CPU ..." and "parley-ms RSS ..."
void printCost(const StepMeasures& s);

}  // namespace parley::bench

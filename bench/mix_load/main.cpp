// bench_mix_load: conferences of G.711 participants against a real parley-ms process.
//
// For each participant count in --participants (a fresh parley-ms per step, pinned with
// --ms-cpu, --media-workers 1 by default): start parley-ms, bring up one control channel
// with parley-as's MediaServerClient, create participants/10 conferences, INVITE and join
// every leg (ConferenceSetup), let the streams settle for --warmup seconds, then measure
// for --seconds what parley-ms sends back (RtpLoad): |inter-packet interval - 20 ms|
// p50/p99/max, sequence gaps, the mixer's added delay (probe tone onset -> arrival in the
// other legs' streams, minus loopback time), parley-ms's CPU (utime+stime from /proc over
// the window) and RSS (after set-up minus before). Prints one RESULT line per step and a
// table; a step passes when p99 < 2 ms and nothing was lost.
//
// --mode idle: --conferences N conferences with no legs; --mode silent: legs joined that
// send nothing. Both report parley-ms's CPU over --seconds (30 by default there).
//
// Bounded: every step has a deadline (set-up --setup-timeout, then warm-up + measure);
// SIGALRM at the overall deadline, SIGINT and SIGTERM kill parley-ms by PID and exit.
//
//   bench_mix_load [--participants 100,200,...] [--seconds 10] [--warmup 3]
//                  [--mode load|idle|silent] [--conferences N] [--ms-bin PATH]
//                  [--ms-cpu 1] [--cpu 0] [--media-workers 1] [--slots 10] [--rt-priority N]
//                  [--media-priority N] [--rx-wakeups]
//
// Receiving: by default the generator reads its socket on its send timer (every 2 ms),
// stamped by the kernel, so parley-ms's sendto() does not also pay for waking the
// generator per packet (on loopback the sender runs the receiver's delivery and wake-up;
// a NIC would not). --rx-wakeups watches the socket in epoll instead (the first method).
// --rt-priority N runs parley-ms and the generator SCHED_FIFO (as `chrt -f N`): on a
// machine shared with other work this keeps that work off the measured path; the report
// prints how much other work ran on parley-ms's CPU during each window either way.
// --media-priority N gives parley-ms `--media-priority N`: its media threads SCHED_FIFO N,
// above the rest of the process (its control thread), which a busy control thread (set-up,
// keep-alives, HTTP) then cannot delay.

#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "as/msclient/media_server_client.hpp"
#include "as/sip/sip_control_signalling.hpp"
#include "bench/mix_load/conference_setup.hpp"
#include "bench/mix_load/ms_process.hpp"
#include "bench/mix_load/ms_readings.hpp"
#include "bench/mix_load/rtp_load.hpp"
#include "common/event_loop.hpp"
#include "common/log.hpp"
#include "proto/sip/sip_stack.hpp"

#ifndef PARLEY_BUILD_TYPE
#define PARLEY_BUILD_TYPE "unknown"
#endif

namespace {

using namespace parley;
using namespace parley::bench;
using Clock = std::chrono::steady_clock;

enum class Mode { Load, Idle, Silent };

struct Options {
    std::vector<std::size_t> participants{100, 200, 400, 600, 800, 1000, 1200};
    std::size_t perConference = 10;
    std::size_t conferences = 100;  // idle mode
    double seconds = -1;            // default by mode
    double warmup = 3;
    double setupTimeout = 90;
    Mode mode = Mode::Load;
    std::string msBin;
    int msCpu = 1;
    int cpu = 0;
    int mediaWorkers = 1;
    int slots = 10;
    int rtPriority = 0;  // > 0: SCHED_FIFO for parley-ms and the generator
    int mediaPriority = 0;  // > 0: parley-ms --media-priority
    std::size_t window = 32;
    std::string msLogLevel = "notice";
    bool rxWakeups = false;  // watch the generator's socket instead of reading it on the timer
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "bench_mix_load: " << why
              << "\nusage: bench_mix_load [--participants N,N,...] [--per-conference 10] "
                 "[--seconds S] [--warmup S] [--mode load|idle|silent] [--conferences N] "
                 "[--ms-bin PATH] [--ms-cpu N] [--cpu N] [--media-workers N] [--slots N] "
                 "[--window N] [--setup-timeout S] [--ms-log-level LEVEL] [--rt-priority N] "
                 "[--media-priority N] [--rx-wakeups]\n";
    std::exit(2);
}

Options parseArgs(int argc, char** argv) {
    Options o;
    o.msBin = (std::filesystem::absolute(argv[0]).parent_path() / "parley-ms").string();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage("missing value for " + a);
            return argv[++i];
        };
        try {
            if (a == "--participants") {
                o.participants.clear();
                std::stringstream ss(value());
                std::string item;
                while (std::getline(ss, item, ',')) o.participants.push_back(std::stoul(item));
            } else if (a == "--per-conference")
                o.perConference = std::stoul(value());
            else if (a == "--conferences")
                o.conferences = std::stoul(value());
            else if (a == "--seconds")
                o.seconds = std::stod(value());
            else if (a == "--warmup")
                o.warmup = std::stod(value());
            else if (a == "--setup-timeout")
                o.setupTimeout = std::stod(value());
            else if (a == "--mode") {
                const std::string m = value();
                if (m == "load")
                    o.mode = Mode::Load;
                else if (m == "idle")
                    o.mode = Mode::Idle;
                else if (m == "silent")
                    o.mode = Mode::Silent;
                else
                    usage("unknown mode " + m);
            } else if (a == "--ms-bin")
                o.msBin = value();
            else if (a == "--ms-cpu")
                o.msCpu = std::stoi(value());
            else if (a == "--cpu")
                o.cpu = std::stoi(value());
            else if (a == "--media-workers")
                o.mediaWorkers = std::stoi(value());
            else if (a == "--slots")
                o.slots = std::stoi(value());
            else if (a == "--rt-priority")
                o.rtPriority = std::stoi(value());
            else if (a == "--media-priority")
                o.mediaPriority = std::stoi(value());
            else if (a == "--window")
                o.window = std::stoul(value());
            else if (a == "--ms-log-level")
                o.msLogLevel = value();
            else if (a == "--rx-wakeups")
                o.rxWakeups = true;
            else
                usage("unknown option " + a);
        } catch (const std::exception&) {
            usage("bad value for " + a);
        }
    }
    if (o.seconds < 0) o.seconds = o.mode == Mode::Load ? 10 : 30;
    if (o.seconds <= 0 || o.seconds > 600 || o.warmup < 0 || o.warmup > 60 || o.setupTimeout <= 0 ||
        o.setupTimeout > 600)
        usage("durations out of range");
    if (o.rtPriority < 0 || o.rtPriority > 99) usage("--rt-priority must be 0..99");
    if (o.mediaPriority < 0 || o.mediaPriority > 99) usage("--media-priority must be 0..99");
    if (o.perConference < 2 || o.perConference > 10) usage("--per-conference must be 2..10");
    if (o.participants.empty() || o.participants.size() > 20) usage("1..20 participant steps");
    for (std::size_t n : o.participants)
        if (n < o.perConference || n > 5000) usage("participants must be per-conference..5000");
    return o;
}

void onDeadline(int) {
    MsProcess::killNow();
    static const char msg[] = "bench_mix_load: deadline or signal: parley-ms killed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    _exit(3);
}

// The media worker logs its legs' jitter delay every 10 s at debug level: the last such line.
std::string lastWorkerLoadLine(const std::string& log) {
    const auto at = log.rfind("jitter delay mean");
    if (at == std::string::npos) return {};
    const auto begin = log.rfind('\n', at);
    const auto end = log.find('\n', at);
    return log.substr(begin == std::string::npos ? 0 : begin + 1,
                      end == std::string::npos ? std::string::npos : end - begin - 1);
}

struct StepResult {
    std::size_t participants = 0;
    std::size_t conferences = 0;
    bool ok = false;
    std::string why;
    double setupSeconds = 0;
    double window = 0;
    RtpLoadReport rtp;
    std::uint64_t intervals = 0, delays = 0;
    std::int64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
    std::int64_t d50 = 0, d99 = 0, dmax = 0;
    double msCpu = 0, msRun = 0;  // seconds over the window
    double genCpu = 0;
    double msCoreBusy = 0;  // all work on parley-ms's CPU over the window
    std::string load;       // 1-minute load average at the end of the window
    std::string workerLog;  // the worker's last load line (jitter delay), --ms-log-level debug
    long rssBase = 0, rssLoaded = 0;
    MsMetrics before, after;
    bool pass() const {
        return ok && p99 < 2000 && rtp.lost == 0 && rtp.silentStreams == 0 && rtp.shortStreams == 0;
    }
};

StepResult runStep(const Options& opt, std::size_t participants) {
    StepResult res;
    res.participants = participants;
    const bool withLegs = opt.mode != Mode::Idle;
    res.conferences = withLegs ? participants / opt.perConference : opt.conferences;
    if (!withLegs) res.participants = 0;

    std::vector<std::string> msArgs{"--sip-listen", "127.0.0.1:0", "--cfw-listen", "127.0.0.1:0",
                                    "--http-listen", "127.0.0.1:0", "--rtp-ports", "20000-39999",
                                    "--media-workers", std::to_string(opt.mediaWorkers),
                                    "--log-level", opt.msLogLevel};
    // Only when asked: a parley-ms from before the flag (MS_BIN, before/after runs) still runs.
    if (opt.mediaPriority > 0) {
        msArgs.push_back("--media-priority");
        msArgs.push_back(std::to_string(opt.mediaPriority));
    }
    MsProcess ms(opt.msBin, msArgs, opt.msCpu, opt.rtPriority);
    auto ports = ms.waitReady(std::chrono::seconds(20));
    if (!ports) {
        res.why = "parley-ms did not start: " + ms.log();
        return res;
    }
    std::printf("step: parley-ms pid %d, %zu participants\n", static_cast<int>(ms.pid()),
                participants);
    std::fflush(stdout);

    common::EventLoop loop;
    as::AsSipHandler sipHandler;
    proto::sip::SipConfig sipConfig;
    sipConfig.listen = "127.0.0.1:0";
    sipConfig.user = "bench";
    sipConfig.shutdownTimeout = std::chrono::milliseconds(500);
    auto stack = proto::sip::SipStack::create(loop, sipConfig, sipHandler);
    if (!stack) {
        res.why = "SIP stack: " + stack.error().message;
        return res;
    }
    as::SipControlSignalling signalling(**stack);
    as::MediaServerClientOptions mo;
    mo.uri = "sip:ms@127.0.0.1:" + std::to_string(ports->sip);
    as::MediaServerClient client(loop, signalling, mo);

    RtpLoadConfig lc;
    lc.slots = opt.slots;
    lc.silent = opt.mode == Mode::Silent;
    lc.rxWakeups = opt.rxWakeups;
    auto load = RtpLoad::create(loop, lc);
    if (!load) {
        res.why = "RTP socket: " + load.error().message;
        return res;
    }
    SetupPlan plan;
    plan.conferences = res.conferences;
    plan.legsPerConference = withLegs ? opt.perConference : 0;
    plan.window = opt.window;
    ConferenceSetup setup(**stack, client, **load, ports->sip, plan);
    setup.addLegs();
    if (auto st = (*load)->start(); !st) {
        res.why = "RTP load: " + st.error().message;
        return res;
    }

    // The step as a chain of timers on the loop; each stage has a deadline.
    const auto started = Clock::now();
    Clock::time_point setupStart;
    CpuReading cpu0;
    double gen0 = 0;
    double core0 = 0;
    bool stopping = false;
    auto finish = [&](const std::string& why) {
        res.why = why;
        (*stack)->stop();
    };
    std::function<void()> measureEnd = [&] {
        (*load)->endMeasure();
        const CpuReading cpu1 = ms.cpu();
        res.msCpu = cpu1.utimeStimeSeconds - cpu0.utimeStimeSeconds;
        res.msRun = cpu1.runSeconds - cpu0.runSeconds;
        res.genCpu = selfCpuSeconds() - gen0;
        res.msCoreBusy = opt.msCpu >= 0 ? cpuBusySeconds(opt.msCpu) - core0 : 0;
        res.load = loadAverage();
        res.rssLoaded = ms.rssKiB();
        res.after = readMetrics(ports->http);
        res.workerLog = lastWorkerLoadLine(ms.log());
        res.ok = ms.running();
        finish(res.ok ? "" : "parley-ms died");
    };
    std::function<void()> measureBegin = [&] {
        res.before = readMetrics(ports->http);
        cpu0 = ms.cpu();
        gen0 = selfCpuSeconds();
        core0 = opt.msCpu >= 0 ? cpuBusySeconds(opt.msCpu) : 0;
        (*load)->beginMeasure();
        res.window = opt.seconds;
        loop.addTimer(std::chrono::duration_cast<common::Duration>(
                          std::chrono::duration<double>(opt.seconds)),
                      measureEnd);
    };
    std::function<void()> waitUp;
    waitUp = [&] {
        if (!client.isUp()) {
            if (Clock::now() - started > std::chrono::seconds(15))
                return finish("control channel did not come up: " + client.status().lastError);
            loop.addTimer(std::chrono::milliseconds(10), waitUp);
            return;
        }
        res.rssBase = ms.rssKiB();
        setupStart = Clock::now();
        const auto setupDeadline =
            loop.addTimer(std::chrono::duration_cast<common::Duration>(
                              std::chrono::duration<double>(opt.setupTimeout)),
                          [&] { finish("set-up did not finish in time"); });
        setup.start([&, setupDeadline](bool ok, const std::string& why) {
            if (stopping) return;
            loop.cancelTimer(setupDeadline);
            res.setupSeconds = std::chrono::duration<double>(Clock::now() - setupStart).count();
            if (!ok)
                return finish("set-up failed (" + std::to_string(setup.failures()) +
                              " failures): " + why);
            loop.addTimer(std::chrono::duration_cast<common::Duration>(
                              std::chrono::duration<double>(opt.warmup)),
                          measureBegin);
        });
    };
    client.start();
    loop.post(waitUp);
    (*stack)->run();
    stopping = true;

    client.stop();
    (*stack)->shutdown();  // BYEs the media dialogs (bounded by shutdownTimeout)
    ms.stop();             // by PID
    if (res.ok) {
        const RtpLoadReport r = (*load)->report();
        res.rtp = r;
        res.rtp.interval = nullptr;  // the load goes away with this step
        res.rtp.delay = nullptr;
        res.intervals = r.interval->count();
        res.delays = r.delay->count();
        res.p50 = r.interval->percentile(50);
        res.p99 = r.interval->percentile(99);
        res.p999 = r.interval->percentile(99.9);
        res.max = r.interval->max();
        res.d50 = r.delay->percentile(50);
        res.d99 = r.delay->percentile(99);
        res.dmax = r.delay->max();
    }
    return res;
}

void printStep(const Options& opt, const StepResult& s) {
    if (!s.ok) {
        std::printf("step %zu participants: FAILED: %s\n", s.participants, s.why.c_str());
        return;
    }
    const double n = static_cast<double>(std::max<std::size_t>(s.participants, 1));
    const double pct = 100.0 * s.msCpu / s.window;
    std::printf("--- %zu participants in %zu conferences (set-up %.1f s)\n", s.participants,
                s.conferences, s.setupSeconds);
    if (opt.mode == Mode::Load) {
        std::printf(
            "interval |d-20ms| us over %llu intervals: p50 %lld  p99 %lld  p99.9 %lld  max %lld\n",
            static_cast<unsigned long long>(s.intervals), static_cast<long long>(s.p50),
            static_cast<long long>(s.p99), static_cast<long long>(s.p999),
            static_cast<long long>(s.max));
        std::printf(
            "packets back %llu of %llu due, lost %llu, short streams %llu (%llu packets "
            "never sent), timestamp jumps %llu, late/dup %llu, silent streams %llu, our socket "
            "drops %llu; sent "
            "%llu (errors %llu, late timer slots %llu)\n",
            static_cast<unsigned long long>(s.rtp.received),
            static_cast<unsigned long long>(s.rtp.due), static_cast<unsigned long long>(s.rtp.lost),
            static_cast<unsigned long long>(s.rtp.shortStreams),
            static_cast<unsigned long long>(s.rtp.shortfall),
            static_cast<unsigned long long>(s.rtp.tsJumps),
            static_cast<unsigned long long>(s.rtp.lateOrDup),
            static_cast<unsigned long long>(s.rtp.silentStreams),
            static_cast<unsigned long long>(s.rtp.socketDrops),
            static_cast<unsigned long long>(s.rtp.sent),
            static_cast<unsigned long long>(s.rtp.sendErrors),
            static_cast<unsigned long long>(s.rtp.lateSlots));
        std::printf(
            "mixer delay ms (onset -> other legs, minus %lld us loopback) over %llu: "
            "p50 %.1f  p99 %.1f  max %.1f; missed %llu\n",
            static_cast<long long>(s.rtp.networkMicros), static_cast<unsigned long long>(s.delays),
            s.d50 / 1000.0, s.d99 / 1000.0, s.dmax / 1000.0,
            static_cast<unsigned long long>(s.rtp.missedOnsets));
    }
    std::printf(
        "parley-ms CPU %.2f s of %.1f s = %.1f %% of a core (schedstat %.1f %%); "
        "generator %.1f %%; other work on parley-ms's CPU %.1f %%; load average %s\n",
        s.msCpu, s.window, pct, 100.0 * s.msRun / s.window, 100.0 * s.genCpu / s.window,
        std::max(0.0, 100.0 * (s.msCoreBusy - s.msRun) / s.window), s.load.c_str());
    std::printf("parley-ms RSS %ld KiB before, %ld KiB loaded\n", s.rssBase, s.rssLoaded);
    if (opt.mode == Mode::Idle) {
        const double c = static_cast<double>(std::max<std::size_t>(s.conferences, 1));
        std::printf(
            "idle: parley-ms ran %.4f s (schedstat) in %.1f s = %.3f %% of a core; "
            "%.1f KiB RSS per conference\n",
            s.msRun, s.window, 100.0 * s.msRun / s.window,
            static_cast<double>(s.rssLoaded - s.rssBase) / c);
    }
    std::printf(
        "parley-ms workers: ticks +%.0f, late wake-ups +%.0f, skipped ticks +%.0f, longest "
        "tick %.0f us, jitter overflow +%.0f, strangers +%.0f (since start: late wake-ups "
        "%.0f, skipped ticks %.0f)\n",
        s.after.ticks - s.before.ticks, s.after.lateWakeups - s.before.lateWakeups,
        s.after.skippedTicks - s.before.skippedTicks, s.after.maxTickMicros,
        s.after.jitterOverflow - s.before.jitterOverflow, s.after.strangers - s.before.strangers,
        s.after.lateWakeups, s.after.skippedTicks);
    if (!s.workerLog.empty()) std::printf("parley-ms log: %s\n", s.workerLog.c_str());
    std::printf(
        "RESULT mode=%s participants=%zu conferences=%zu p50_us=%lld p99_us=%lld max_us=%lld "
        "lost=%llu short=%llu silent=%llu delay_p50_ms=%.1f delay_p99_ms=%.1f delay_max_ms=%.1f "
        "missed=%llu ms_cpu_pct=%.2f cpu_us_per_participant_s=%.1f rss_kib_per_participant=%.1f "
        "other_on_ms_cpu_pct=%.1f load=%s pass=%s\n",
        opt.mode == Mode::Load   ? "load"
        : opt.mode == Mode::Idle ? "idle"
                                 : "silent",
        s.participants, s.conferences, static_cast<long long>(s.p50), static_cast<long long>(s.p99),
        static_cast<long long>(s.max), static_cast<unsigned long long>(s.rtp.lost),
        static_cast<unsigned long long>(s.rtp.shortStreams),
        static_cast<unsigned long long>(s.rtp.silentStreams), s.d50 / 1000.0, s.d99 / 1000.0,
        s.dmax / 1000.0, static_cast<unsigned long long>(s.rtp.missedOnsets), pct,
        1e6 * s.msCpu / s.window / n, static_cast<double>(s.rssLoaded - s.rssBase) / n,
        std::max(0.0, 100.0 * (s.msCoreBusy - s.msRun) / s.window), s.load.c_str(),
        s.pass() ? "yes" : "no");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parseArgs(argc, argv);
    common::setupLogging(common::LogLevel::Warning);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGALRM, onDeadline);
    ::signal(SIGINT, onDeadline);
    ::signal(SIGTERM, onDeadline);
    if (opt.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(opt.cpu, &set);
        ::sched_setaffinity(0, sizeof set, &set);
    }
    if (opt.rtPriority > 0) {
        sched_param sp{};
        sp.sched_priority = opt.rtPriority;
        if (::sched_setscheduler(0, SCHED_FIFO, &sp) != 0) std::perror("sched_setscheduler");
    }
    const double perStep = 25 + opt.setupTimeout + opt.warmup + opt.seconds;
    ::alarm(static_cast<unsigned>(perStep * static_cast<double>(opt.participants.size())) + 10);

    std::printf("command:");
    for (int i = 0; i < argc; ++i) std::printf(" %s", argv[i]);
    std::printf(
        "\nbuild type %s; parley-ms %s on CPU %d, %d media worker(s); generator on CPU %d; "
        "%zu per conference; scheduling %s\n",
        PARLEY_BUILD_TYPE, opt.msBin.c_str(), opt.msCpu, opt.mediaWorkers, opt.cpu,
        opt.perConference,
        opt.rtPriority > 0 ? ("SCHED_FIFO " + std::to_string(opt.rtPriority)).c_str() : "normal");
    std::fflush(stdout);

    std::vector<StepResult> results;
    const std::vector<std::size_t> steps =
        opt.mode == Mode::Idle ? std::vector<std::size_t>{opt.conferences} : opt.participants;
    for (std::size_t n : steps) {
        results.push_back(runStep(opt, n));
        printStep(opt, results.back());
    }
    if (opt.mode != Mode::Load) return results.back().ok ? 0 : 1;

    std::printf(
        "\n| participants | p50 us | p99 us | max us | lost | delay p50/p99 ms | "
        "parley-ms CPU | CPU us/participant/s | RSS KiB/participant | other on its CPU | "
        "load | pass |\n");
    std::size_t best = 0;
    bool allOk = true;
    for (const auto& s : results) {
        allOk = allOk && s.ok;
        if (!s.ok) {
            std::printf("| %zu | failed: %s |\n", s.participants, s.why.c_str());
            continue;
        }
        const double n = static_cast<double>(s.participants);
        std::printf(
            "| %zu | %lld | %lld | %lld | %llu | %.1f / %.1f | %.1f %% | %.1f | %.1f | %.1f %% | "
            "%s | %s |\n",
            s.participants, static_cast<long long>(s.p50), static_cast<long long>(s.p99),
            static_cast<long long>(s.max), static_cast<unsigned long long>(s.rtp.lost),
            s.d50 / 1000.0, s.d99 / 1000.0, 100.0 * s.msCpu / s.window,
            1e6 * s.msCpu / s.window / n, static_cast<double>(s.rssLoaded - s.rssBase) / n,
            std::max(0.0, 100.0 * (s.msCoreBusy - s.msRun) / s.window), s.load.c_str(),
            s.pass() ? "yes" : "no");
        if (s.pass()) best = std::max(best, s.participants);
    }
    std::printf(
        "largest passing count (p99 < 2 ms, no loss, no stream short) with %d media worker(s) on "
        "one core: %zu\n",
        opt.mediaWorkers, best);
    return allOk ? 0 : 1;
}

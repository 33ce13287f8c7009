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
//                  [--media-priority N] [--rx-wakeups] [--no-stall-probe] [--ms-keep-awake]
//
// Receiving: by default the generator reads its socket on its send timer (every 2 ms),
// stamped by the kernel, so parley-ms's sendto() does not also pay for waking the
// generator per packet (on loopback the sender runs the receiver's delivery and wake-up;
// a NIC would not). --rx-wakeups watches the socket in epoll instead (the first method).
// --rt-priority N runs parley-ms and the generator SCHED_FIFO (as `chrt -f N`): on a
// machine shared with other work this keeps that work off the measured path; the report
// prints how much other work ran on parley-ms's CPU during each window either way.
// With an RT priority a stall probe (bench/common/stall_probe.hpp) runs on parley-ms's CPU
// one priority above it: its late wake-ups are the times the CPU was taken away from
// parley-ms (the hypervisor, interrupts). Each step then also reports those stalls, the
// /proc/stat steal of that CPU, the intervals a stall fell into, and the percentiles and
// pass/fail over the other intervals; the pass column itself stays over all intervals.
// --no-stall-probe leaves it out.
// --media-priority N gives parley-ms `--media-priority N`: its media threads SCHED_FIFO N,
// above the rest of the process (its control thread), which a busy control thread (set-up,
// keep-alives, HTTP) then cannot delay.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "bench/common/ms_process.hpp"
#include "bench/common/ms_readings.hpp"
#include "bench/common/options.hpp"
#include "bench/common/step_harness.hpp"
#include "bench/mix_load/conference_setup.hpp"
#include "bench/mix_load/rtp_load.hpp"
#include "common/event_loop.hpp"

namespace {

using namespace parley;
using namespace parley::bench;

enum class Mode { Load, Idle, Silent };

struct Options : GeneratorOptions {
    std::vector<std::size_t> participants{100, 200, 400, 600, 800, 1000, 1200};
    std::size_t perConference = 10;
    std::size_t conferences = 100;  // idle mode
    Mode mode = Mode::Load;
    bool rxWakeups = false;  // watch the generator's socket instead of reading it on the timer
    Options() { seconds = -1; }  // default by mode
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "bench_mix_load: " << why
              << "\nusage: bench_mix_load [--participants N,N,...] [--per-conference 10] "
                 "[--seconds S] [--warmup S] [--mode load|idle|silent] [--conferences N] "
                 "[--ms-bin PATH] [--ms-cpu N] [--cpu N] [--media-workers N] [--slots N] "
                 "[--window N] [--setup-timeout S] [--ms-log-level LEVEL] [--rt-priority N] "
                 "[--media-priority N] [--rx-wakeups] [--no-stall-probe] [--ms-keep-awake]\n";
    std::exit(2);
}

Options parseArgs(int argc, char** argv) {
    Options o;
    o.msBin = siblingBinary(argv[0], "parley-ms");
    ArgReader args(argc, argv, usage);
    while (args.next()) {
        const std::string& a = args.flag();
        if (readGeneratorFlag(args, o)) continue;
        if (a == "--participants")
            o.participants = args.counts();
        else if (a == "--per-conference")
            o.perConference = args.count();
        else if (a == "--conferences")
            o.conferences = args.count();
        else if (a == "--mode") {
            const std::string m = args.text();
            if (m == "load")
                o.mode = Mode::Load;
            else if (m == "idle")
                o.mode = Mode::Idle;
            else if (m == "silent")
                o.mode = Mode::Silent;
            else
                usage("unknown mode " + m);
        } else if (a == "--rx-wakeups")
            o.rxWakeups = true;
        else
            args.unknown();
    }
    if (o.seconds < 0) o.seconds = o.mode == Mode::Load ? 10 : 30;
    if (o.seconds <= 0 || o.seconds > 600 || o.warmup < 0 || o.warmup > 60 || o.setupTimeout <= 0 ||
        o.setupTimeout > 600)
        usage("durations out of range");
    checkPriorities(args, o);
    if (o.perConference < 2 || o.perConference > 10) usage("--per-conference must be 2..10");
    if (o.participants.empty() || o.participants.size() > 20) usage("1..20 participant steps");
    for (std::size_t n : o.participants)
        if (n < o.perConference || n > 5000) usage("participants must be per-conference..5000");
    return o;
}

struct StepResult : StepMeasures {
    std::size_t participants = 0;
    std::size_t conferences = 0;
    bool ok = false;
    std::string why;
    RtpLoadReport rtp;
    std::uint64_t delays = 0;
    std::int64_t d50 = 0, d99 = 0, dmax = 0;
    bool complete() const {
        return ok && rtp.lost == 0 && rtp.silentStreams == 0 && rtp.shortStreams == 0;
    }
    bool pass() const { return complete() && p99 < 2000; }
    // The same criteria over the intervals no stall of parley-ms's CPU fell into.
    bool passOutsideStalls() const { return probed && complete() && calmP99 < 2000; }
};

StepResult runStep(const Options& opt, std::size_t participants) {
    StepResult res;
    res.participants = participants;
    const bool withLegs = opt.mode != Mode::Idle;
    res.conferences = withLegs ? participants / opt.perConference : opt.conferences;
    if (!withLegs) res.participants = 0;

    MsProcess ms(opt.msBin, msArguments(opt),
                 opt.msCpu, opt.rtPriority);
    auto ports = ms.waitReady(std::chrono::seconds(20));
    if (!ports) {
        res.why = "parley-ms did not start: " + ms.log();
        return res;
    }
    std::printf("step: parley-ms pid %d, %zu participants\n", static_cast<int>(ms.pid()),
                participants);
    std::fflush(stdout);

    common::EventLoop loop;
    auto channel = ControlChannel::create(loop, ports->sip);
    if (!channel) {
        res.why = "SIP stack: " + channel.error().message;
        return res;
    }
    proto::sip::SipStack& stack = (*channel)->stack();
    as::MediaServerClient& client = (*channel)->client();

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
    ConferenceSetup setup(stack, client, **load, ports->sip, plan);
    setup.addLegs();
    if (auto st = (*load)->start(); !st) {
        res.why = "RTP load: " + st.error().message;
        return res;
    }

    // The step as a chain of timers on the loop; each stage has a deadline.
    const std::unique_ptr<StallProbe> probe = startStallProbe(opt);
    (*load)->setStallProbe(probe.get());
    WindowMeter meter(ms, opt.msCpu, ports->http);
    meter.setStallProbe(probe.get());
    bool stopping = false;
    auto finish = [&](const std::string& why) {
        res.why = why;
        stack.stop();
    };
    std::function<void()> measureEnd = [&] {
        (*load)->endMeasure();
        meter.end(res);
        res.ok = ms.running();
        finish(res.ok ? "" : "parley-ms died");
    };
    std::function<void()> measureBegin = [&] {
        meter.begin(res);
        (*load)->beginMeasure();
        res.window = opt.seconds;
        loop.addTimer(secondsOf(opt.seconds), measureEnd);
    };
    StepStarter starter(loop, client, ms, res, opt.setupTimeout, opt.warmup, stopping,
                        {[&](StepStarter::Done done) { setup.start(std::move(done)); },
                         [] { return std::string("set-up did not finish in time"); },
                         [&] { return setup.failures(); }, finish, measureBegin});
    starter.start();
    stack.run();
    stopping = true;

    client.stop();
    stack.shutdown();  // BYEs the media dialogs (bounded by shutdownTimeout)
    ms.stop();             // by PID
    if (res.ok) {
        const RtpLoadReport r = (*load)->report();
        res.rtp = r;
        res.rtp.interval = nullptr;  // the load goes away with this step
        res.rtp.delay = nullptr;
        res.setIntervals(*r.interval);
        res.setCalmIntervals(r);
        res.rtp.calmInterval = nullptr;
        res.delays = r.delay->count();
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
        printIntervals(s);
        printStreams(s.rtp, "packets never sent");
        std::printf(
            "mixer delay ms (onset -> other legs, minus %lld us loopback) over %llu: "
            "p50 %.1f  p99 %.1f  max %.1f; missed %llu\n",
            static_cast<long long>(s.rtp.networkMicros), static_cast<unsigned long long>(s.delays),
            s.d50 / 1000.0, s.d99 / 1000.0, s.dmax / 1000.0,
            static_cast<unsigned long long>(s.rtp.missedOnsets));
    } else {
        printStalls(s);
    }
    printCost(s);
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
        "other_on_ms_cpu_pct=%.1f steal_ms=%.0f stalls_over_2ms=%llu stall_max_ms=%.1f "
        "stall_touched_pct=%.2f p99_outside_stalls_us=%lld load=%s pass=%s "
        "pass_outside_stalls=%s\n",
        opt.mode == Mode::Load   ? "load"
        : opt.mode == Mode::Idle ? "idle"
                                 : "silent",
        s.participants, s.conferences, static_cast<long long>(s.p50), static_cast<long long>(s.p99),
        static_cast<long long>(s.max), static_cast<unsigned long long>(s.rtp.lost),
        static_cast<unsigned long long>(s.rtp.shortStreams),
        static_cast<unsigned long long>(s.rtp.silentStreams), s.d50 / 1000.0, s.d99 / 1000.0,
        s.dmax / 1000.0, static_cast<unsigned long long>(s.rtp.missedOnsets), pct,
        1e6 * s.msCpu / s.window / n, static_cast<double>(s.rssLoaded - s.rssBase) / n,
        s.otherOnMsCpuPct(), 1000.0 * s.msCoreSteal,
        static_cast<unsigned long long>(s.stalls.over2ms), s.stalls.maxNs / 1e6,
        100.0 * static_cast<double>(s.stallTouched) /
            static_cast<double>(std::max<std::uint64_t>(s.intervals, 1)),
        static_cast<long long>(s.calmP99), s.load.c_str(), s.pass() ? "yes" : "no",
        !s.probed ? "n/a" : s.passOutsideStalls() ? "yes" : "no");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const Options opt = parseArgs(argc, argv);
    const double perStep = 25 + opt.setupTimeout + opt.warmup + opt.seconds;
    setUpGenerator("bench_mix_load", opt.cpu, opt.rtPriority,
                   static_cast<unsigned>(perStep * static_cast<double>(opt.participants.size())) +
                       10);
    printRunHeader(argc, argv, opt.msCpu, opt.cpu, opt.mediaWorkers, opt.rtPriority, opt.msBin,
                   std::to_string(opt.perConference) + " per conference; ");

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
        "load | pass | stalls > 2 ms (longest) | intervals touched | p99 us outside stalls | "
        "pass outside stalls |\n");
    std::size_t best = 0;
    std::size_t bestOutside = 0;
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
            "%s | %s | %llu (%.1f ms) | %.2f %% | %lld | %s |\n",
            s.participants, static_cast<long long>(s.p50), static_cast<long long>(s.p99),
            static_cast<long long>(s.max), static_cast<unsigned long long>(s.rtp.lost),
            s.d50 / 1000.0, s.d99 / 1000.0, 100.0 * s.msCpu / s.window,
            1e6 * s.msCpu / s.window / n, static_cast<double>(s.rssLoaded - s.rssBase) / n,
            s.otherOnMsCpuPct(), s.load.c_str(), s.pass() ? "yes" : "no",
            static_cast<unsigned long long>(s.stalls.over2ms), s.stalls.maxNs / 1e6,
            100.0 * static_cast<double>(s.stallTouched) /
                static_cast<double>(std::max<std::uint64_t>(s.intervals, 1)),
            static_cast<long long>(s.calmP99), !s.probed ? "n/a" : s.passOutsideStalls() ? "yes" : "no");
        if (s.pass()) best = std::max(best, s.participants);
        if (s.passOutsideStalls()) bestOutside = std::max(bestOutside, s.participants);
    }
    std::printf(
        "largest passing count (p99 < 2 ms, no loss, no stream short) with %d media worker(s) on "
        "one core: %zu\n",
        opt.mediaWorkers, best);
    if (!results.empty() && results.front().probed)
        std::printf(
            "largest count passing over the intervals no stall of parley-ms's CPU fell into: %zu\n",
            bestOutside);
    return allOk ? 0 : 1;
}

// bench_ivr_load: msc-ivr dialogs and recordings per core against a real parley-ms process
// (issue 5's benchmark). The generator is the AS (parley-as's MediaServerClient over a real
// SIP/CFW control channel, media INVITEs from a proto::sip::SipStack) and the callers
// (IvrRtp: one UDP socket, sendmmsg/recvmmsg, kernel receive stamps) in one thread.
//
// For each leg count in --legs a fresh parley-ms (--media-workers 1, pinned with --ms-cpu,
// its --media-root/--record-dir a temp dir) is started and stopped by PID.
//
// --mode dialogs: a prompt WAV is written into the media root (20 s: four 1 s tones, 500,
//   650, 900 and 1100 Hz, over and over; the <prompt> lists it --prompt-repeats times, so it
//   plays for the whole step; parley-ms's fetcher admits 512 fetches at once, so the window
//   times the repeats must stay below that), then every leg gets <dialogstart> with that prompt and a <collect maxdigits="4">
//   with 600 s timeouts, subscribed to dtmfnotify (matchmode all). Every caller sends a
//   400 Hz tone. After --warmup, for --seconds: |inter-packet interval - 20 ms| p50/p99/max
//   of the streams parley-ms sends, loss (sequence gaps, short streams), frames without a
//   prompt tone, parley-ms CPU and RSS. --digit-legs of the legs (spread over the range)
//   send "1234" as RFC 4733 events during the window, one leg after another: each digit
//   must come back as a dtmfnotify and the collect must exit with collectinfo dtmf="1234"
//   termmode="match"; latency = event arrival - the send of the digit's first end packet.
//   Such a leg then gets a new dialog (the load stays N dialogs). A step passes when
//   p99 < 2 ms, nothing is lost or short, no prompt frame is missing, every digit leg
//   got its digits and no other dialog exited.
// --mode record: every leg gets a <record> dialog (no VAD, no beep, maxtime 600 s, dtmfterm
//   off); callers send silence; after --warmup every caller sends a 400 Hz tone for --seconds
//   (the generator counts the tone frames of each leg), then silence again; 0.6 s later a
//   non-immediate <dialogterminate> for every dialog; each dialogexit must carry status 0
//   and a mediainfo, and each file in the record dir must be a valid 8 kHz PCM16 WAV of the
//   reported size whose tone run is the tone frames sent within 2 frames with no frame
//   missing inside it; parley-ms's log must show no ring overflow. The files are deleted
//   after the check. Reported: parley-ms CPU and its write rate (/proc/PID/io) over the
//   window.
//
// Bounded: set-up --setup-timeout, the step's stages their own deadlines, SIGALRM at the
// overall deadline, SIGINT and SIGTERM: parley-ms killed by PID.
//
//   bench_ivr_load [--mode dialogs|record] [--legs 200,400,...] [--seconds 10] [--warmup 3]
//                  [--digit-legs 20] [--prompt-repeats 8] [--ms-bin PATH] [--ms-cpu 1]
//                  [--cpu 0] [--media-workers 1] [--slots 10] [--window 32]
//                  [--setup-timeout 90] [--rt-priority N] [--media-priority N]
//                  [--no-stall-probe] [--ms-keep-awake]
// With an RT priority a stall probe runs on parley-ms's CPU (see bench_mix_load): each step
// also reports the times that CPU was taken away and the intervals outside them.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "bench/common/options.hpp"
#include "bench/common/step_harness.hpp"
#include "bench/ivr_load/ivr_step.hpp"

namespace {

using namespace parley;
using namespace parley::bench;

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "bench_ivr_load: " << why
              << "\nusage: bench_ivr_load [--mode dialogs|record] [--legs N,N,...] [--seconds S] "
                 "[--warmup S] [--digit-legs N] [--prompt-repeats N] [--ms-bin PATH] "
                 "[--ms-cpu N] [--cpu N] [--media-workers N] [--slots N] [--window N] "
                 "[--setup-timeout S] [--rt-priority N] [--media-priority N] [--no-stall-probe] "
                 "[--ms-keep-awake] "
                 "[--ms-log-level LEVEL]\n";
    std::exit(2);
}

IvrOptions parseArgs(int argc, char** argv) {
    IvrOptions o;
    o.msBin = siblingBinary(argv[0], "parley-ms");
    ArgReader args(argc, argv, usage);
    while (args.next()) {
        const std::string& a = args.flag();
        if (readGeneratorFlag(args, o)) continue;
        if (a == "--mode") {
            const std::string m = args.text();
            if (m == "dialogs")
                o.mode = IvrMode::Dialogs;
            else if (m == "record")
                o.mode = IvrMode::Record;
            else
                usage("unknown mode " + m);
        } else if (a == "--legs")
            o.legs = args.counts();
        else if (a == "--digit-legs")
            o.digitLegs = args.count();
        else if (a == "--prompt-repeats")
            o.promptRepeats = args.integer();
        else
            args.unknown();
    }
    if (o.legs.empty())
        o.legs = o.mode == IvrMode::Dialogs ? std::vector<std::size_t>{200, 400, 800, 1200, 1600, 2000}
                                         : std::vector<std::size_t>{100, 200, 400, 800, 1600};
    if (o.seconds < 3 || o.seconds > 600 || o.warmup < 0 || o.warmup > 60 ||
        o.setupTimeout <= 0 || o.setupTimeout > 600)
        usage("durations out of range (--seconds 3..600)");
    checkPriorities(args, o);
    if (o.promptRepeats < 1 || o.promptRepeats > 100) usage("--prompt-repeats must be 1..100");
    if (o.window < 1 || o.window > 256) usage("--window must be 1..256");
    if (o.mode == IvrMode::Dialogs && o.window * static_cast<std::size_t>(o.promptRepeats) >= 512)
        usage("--window x --prompt-repeats must stay below parley-ms's 512 pending fetches");
    if (o.legs.size() > 20) usage("at most 20 steps");
    for (std::size_t n : o.legs)
        if (n < 1 || n > 5000) usage("legs must be 1..5000");
    return o;
}

void printStep(const IvrOptions& opt, const IvrStepResult& s) {
    const bool dialogs = opt.mode == IvrMode::Dialogs;
    const char* unit = dialogs ? "dialogs" : "recordings";
    if (!s.ok) {
        std::printf("step %zu %s: FAILED: %s\n", s.legs, unit, s.why.c_str());
        if (!s.firstUnexpected.empty()) std::printf("  first unexpected exit: %s\n", s.firstUnexpected.c_str());
        if (!s.firstRecordProblem.empty()) std::printf("  first problem: %s\n", s.firstRecordProblem.c_str());
        std::fflush(stdout);
        return;
    }
    const double n = static_cast<double>(std::max<std::size_t>(s.legs, 1));
    const double pct = 100.0 * s.msCpu / s.window;
    std::printf("--- %zu %s (set-up %.1f s)\n", s.legs, unit, s.setupSeconds);
    printIntervals(s);
    printStreams(s.rtp, "packets");
    if (dialogs) {
        std::printf("prompt: %llu frames checked, %llu without a prompt tone\n",
                    static_cast<unsigned long long>(s.rtp.promptFrames),
                    static_cast<unsigned long long>(s.rtp.promptGaps));
        std::printf(
            "digits: %zu of %zu legs got dtmfnotify 1,2,3,4 and collectinfo 1234/match; "
            "dtmfnotify after the digit's end packet p50 %.1f ms max %.1f ms; dialogexit after "
            "the last digit p50 %.1f ms max %.1f ms (loopback %lld us included)\n",
            s.digitLegsOk, s.digitLegs, s.notifyP50 / 1000.0, s.notifyMax / 1000.0,
            s.exitP50 / 1000.0, s.exitMax / 1000.0, static_cast<long long>(s.rtp.networkMicros));
        if (!s.firstDigitProblem.empty())
            std::printf("  first digit problem: %s\n", s.firstDigitProblem.c_str());
    } else {
        const double mb = static_cast<double>(s.io1.wchar - s.io0.wchar) / s.window / 1e6;
        const double blk = static_cast<double>(s.io1.writeBytes - s.io0.writeBytes) / s.window / 1e6;
        std::printf(
            "recordings: %zu exits (%zu status 0 with mediainfo), %zu files valid; tone frames "
            "sent %llu, recorded %llu; runs off by more than 2 frames %zu (worst %+lld), files "
            "with gaps %zu (%llu frames); overflow lines in parley-ms's log %zu\n",
            s.exits, s.exitsOk, s.filesOk, static_cast<unsigned long long>(s.toneFramesSent),
            static_cast<unsigned long long>(s.toneFramesRecorded), s.lengthOff,
            static_cast<long long>(s.worstLengthDiff), s.gapFiles,
            static_cast<unsigned long long>(s.gapFrames), s.overflowLines);
        std::printf("parley-ms writes %.2f MB/s (write(2) bytes; %.2f MB/s reached the block layer); "
                    "the audio itself is %.2f MB/s\n",
                    mb, blk, 16000.0 * n / 1e6);
        if (!s.firstRecordProblem.empty())
            std::printf("  first recording problem: %s\n", s.firstRecordProblem.c_str());
    }
    if (!s.firstUnexpected.empty())
        std::printf("  unexpected exits %zu, first: %s\n", s.unexpectedExits,
                    s.firstUnexpected.c_str());
    printCost(s);
    std::printf(
        "parley-ms workers: ticks +%.0f, late wake-ups +%.0f, skipped ticks +%.0f, longest "
        "tick %.0f us, jitter overflow +%.0f, RFC 4733 digits %.0f\n",
        s.after.ticks - s.before.ticks, s.after.lateWakeups - s.before.lateWakeups,
        s.after.skippedTicks - s.before.skippedTicks, s.after.maxTickMicros,
        s.after.jitterOverflow - s.before.jitterOverflow, s.after.digits);
    if (!s.workerLog.empty()) std::printf("parley-ms log: %s\n", s.workerLog.c_str());
    std::printf(
        "RESULT mode=%s legs=%zu p50_us=%lld p99_us=%lld max_us=%lld lost=%llu short=%llu "
        "prompt_gaps=%llu digit_legs_ok=%zu/%zu files_ok=%zu/%zu length_off=%zu gap_files=%zu "
        "ms_cpu_pct=%.2f cpu_us_per_leg_s=%.1f rss_kib_per_leg=%.1f write_mb_s=%.2f "
        "other_on_ms_cpu_pct=%.1f load=%s pass=%s\n",
        dialogs ? "dialogs" : "record", s.legs, static_cast<long long>(s.p50),
        static_cast<long long>(s.p99), static_cast<long long>(s.max),
        static_cast<unsigned long long>(s.rtp.lost),
        static_cast<unsigned long long>(s.rtp.shortStreams),
        static_cast<unsigned long long>(s.rtp.promptGaps), s.digitLegsOk, s.digitLegs, s.filesOk,
        dialogs ? 0 : s.legs, s.lengthOff, s.gapFiles, pct, 1e6 * s.msCpu / s.window / n,
        static_cast<double>(s.rssLoaded - s.rssBase) / n,
        static_cast<double>(s.io1.wchar - s.io0.wchar) / s.window / 1e6,
        s.otherOnMsCpuPct(), s.load.c_str(),
        s.pass(opt.mode) ? "yes" : "no");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    const IvrOptions opt = parseArgs(argc, argv);
    const double perStep = 30 + opt.setupTimeout + opt.warmup + opt.seconds + 35;
    setUpGenerator("bench_ivr_load", opt.cpu, opt.rtPriority,
                   static_cast<unsigned>(perStep * static_cast<double>(opt.legs.size())) + 10);
    printRunHeader(argc, argv, opt.msCpu, opt.cpu, opt.mediaWorkers, opt.rtPriority, opt.msBin,
                   "");

    std::vector<IvrStepResult> results;
    for (std::size_t n : opt.legs) {
        results.push_back(runIvrStep(opt, n));
        printStep(opt, results.back());
    }

    const bool dialogs = opt.mode == IvrMode::Dialogs;
    if (dialogs)
        std::printf(
            "\n| dialogs | p50 us | p99 us | max us | lost / short | prompt frames missing | "
            "digit legs ok | dtmfnotify p50 / max ms | dialogexit p50 / max ms | parley-ms CPU | "
            "CPU us/dialog/s | RSS KiB/dialog | other on its CPU | pass |\n");
    else
        std::printf(
            "\n| recordings | files ok | tone run off > 2 frames | files with gaps | overflow | "
            "interval p99 us | parley-ms CPU | CPU us/recording/s | write MB/s | RSS "
            "KiB/recording | other on its CPU | pass |\n");
    std::size_t best = 0;
    bool allOk = true;
    for (const auto& s : results) {
        allOk = allOk && s.ok;
        if (!s.ok) {
            std::printf("| %zu | failed: %s |\n", s.legs, s.why.c_str());
            continue;
        }
        const double n = static_cast<double>(s.legs);
        const double other = s.otherOnMsCpuPct();
        if (dialogs)
            std::printf(
                "| %zu | %lld | %lld | %lld | %llu / %llu | %llu | %zu / %zu | %.1f / %.1f | "
                "%.1f / %.1f | %.1f %% | %.1f | %.1f | %.1f %% | %s |\n",
                s.legs, static_cast<long long>(s.p50), static_cast<long long>(s.p99),
                static_cast<long long>(s.max), static_cast<unsigned long long>(s.rtp.lost),
                static_cast<unsigned long long>(s.rtp.shortStreams),
                static_cast<unsigned long long>(s.rtp.promptGaps), s.digitLegsOk, s.digitLegs,
                s.notifyP50 / 1000.0, s.notifyMax / 1000.0, s.exitP50 / 1000.0, s.exitMax / 1000.0,
                100.0 * s.msCpu / s.window, 1e6 * s.msCpu / s.window / n,
                static_cast<double>(s.rssLoaded - s.rssBase) / n, other,
                s.pass(opt.mode) ? "yes" : "no");
        else
            std::printf(
                "| %zu | %zu | %zu | %zu | %zu | %lld | %.1f %% | %.1f | %.2f | %.1f | %.1f %% | "
                "%s |\n",
                s.legs, s.filesOk, s.lengthOff, s.gapFiles, s.overflowLines,
                static_cast<long long>(s.p99), 100.0 * s.msCpu / s.window,
                1e6 * s.msCpu / s.window / n,
                static_cast<double>(s.io1.wchar - s.io0.wchar) / s.window / 1e6,
                static_cast<double>(s.rssLoaded - s.rssBase) / n, other,
                s.pass(opt.mode) ? "yes" : "no");
        if (s.pass(opt.mode)) best = std::max(best, s.legs);
    }
    if (dialogs)
        std::printf(
            "largest passing count (p99 < 2 ms, no loss, no stream short, prompt whole, digits "
            "all back) with %d media worker(s) on one core: %zu\n",
            opt.mediaWorkers, best);
    else
        std::printf(
            "largest passing count (every recording whole: no lost audio) with %d media "
            "worker(s) on one core: %zu\n",
            opt.mediaWorkers, best);
    return allOk ? 0 : 1;
}

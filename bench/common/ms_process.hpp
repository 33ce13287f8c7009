#pragma once
// MsProcess: a parley-ms child for a benchmark run, pinned to one CPU (as `taskset -c N`
// does: sched_setaffinity before exec), with its output in a log file under a temp dir.
// It dies with the benchmark (PR_SET_PDEATHSIG) and is stopped by PID: SIGTERM, then
// SIGKILL after 2 s. killNow() is async-signal-safe, for the benchmark's own deadline.
//
// Readings from /proc: CPU time (utime + stime of all threads, and the sum of the
// threads' schedstat run time in ns for finer resolution) and VmRSS.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::bench {

// Pins the calling process to `cpu` (< 0: not pinned) and, with rtPriority > 0, makes it
// SCHED_FIFO at that priority (as `taskset -c` and `chrt -f`). False when the scheduling
// class could not be set (errno tells why). Only system calls: safe in a forked child.
bool pinAndPrioritise(int cpu, int rtPriority);

struct MsPorts {
    std::uint16_t sip = 0;
    std::uint16_t cfw = 0;
    std::uint16_t http = 0;
};

// /proc/PID/io: bytes passed to write(2) (wchar) and bytes sent to the block layer
// (write_bytes, counted when pages are dirtied).
struct IoReading {
    std::uint64_t wchar = 0;
    std::uint64_t writeBytes = 0;
};

// parley-ms's CPU time without its keep-awake threads (--media-keep-awake: they only fill
// the media CPU's idle time), which are counted apart.
struct CpuReading {
    double utimeStimeSeconds = 0;  // /proc/PID/stat fields 14 + 15 (clock ticks)
    double runSeconds = 0;         // sum of /proc/PID/task/*/schedstat run time
    double keepAwakeSeconds = 0;   // schedstat run time of the parley-awake* threads
};

class MsProcess {
  public:
    // args: the flags after the binary (--media-root and --record-dir are added, pointing
    // at the temp dir). cpu < 0: not pinned. rtPriority > 0: SCHED_FIFO at that priority
    // (as `chrt -f N`), so other work on the machine cannot preempt it.
    MsProcess(const std::string& binary, const std::vector<std::string>& args, int cpu,
              int rtPriority = 0);
    ~MsProcess();
    MsProcess(const MsProcess&) = delete;
    MsProcess& operator=(const MsProcess&) = delete;

    pid_t pid() const { return pid_; }
    const std::string& dir() const { return dir_; }
    // Waits for the "SIP/CFW/HTTP listening on" lines; nullopt when it died or timed out.
    std::optional<MsPorts> waitReady(std::chrono::seconds timeout);
    bool running();
    std::string log() const;

    CpuReading cpu() const;
    long rssKiB() const;
    IoReading io() const;

    void stop();
    // For a signal handler: SIGKILL the running child, if any.
    static void killNow();

  private:
    pid_t pid_ = -1;
    std::string dir_;
    std::string logPath_;
};

}  // namespace parley::bench

#pragma once
// Readings a load generator takes around parley-ms while it measures: busy time of one CPU
// (/proc/stat), the 1-minute load average, the generator's own CPU time, and a few of
// parley-ms's /metrics counters (blocking GET on 127.0.0.1, 2 s at most: call it outside
// the measuring window's packet path).

#include <cstdint>
#include <string>

namespace parley::bench {

// Busy seconds of one CPU from /proc/stat (user+nice+system+irq+softirq+steal).
double cpuBusySeconds(int cpu);
// Of which steal: time the hypervisor ran something else while this virtual CPU had work
// (clock ticks, so 10 ms steps).
double cpuStealSeconds(int cpu);
// The 1-minute load average as /proc/loadavg prints it.
std::string loadAverage();
// utime + stime of this process (getrusage).
double selfCpuSeconds();

struct MsMetrics {
    double lateWakeups = 0, skippedTicks = 0, maxTickMicros = 0, jitterOverflow = 0, strangers = 0,
           legs = 0, ticks = 0;
    double rtpIn = 0, rtpOut = 0, digits = 0;
};

// GET /metrics from parley-ms's HTTP listener; zeros when it does not answer.
MsMetrics readMetrics(std::uint16_t httpPort);

}  // namespace parley::bench

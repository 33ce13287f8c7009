#include "bench/common/ms_readings.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace parley::bench {

namespace {

// One CPU's line of /proc/stat, in clock ticks.
struct CpuTicks {
    unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0,
                       softirq = 0, steal = 0;
};

CpuTicks cpuTicks(int cpu) {
    std::ifstream in("/proc/stat");
    std::string line;
    const std::string want = "cpu" + std::to_string(cpu) + " ";
    CpuTicks t;
    while (std::getline(in, line)) {
        if (line.rfind(want, 0) != 0) continue;
        std::istringstream f(line.substr(want.size()));
        f >> t.user >> t.nice >> t.system >> t.idle >> t.iowait >> t.irq >> t.softirq >> t.steal;
        break;
    }
    return t;
}

double ticksToSeconds(unsigned long long ticks) {
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

double cpuBusySeconds(int cpu) {
    const CpuTicks t = cpuTicks(cpu);
    return ticksToSeconds(t.user + t.nice + t.system + t.irq + t.softirq + t.steal);
}

double cpuStealSeconds(int cpu) {
    return ticksToSeconds(cpuTicks(cpu).steal);
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string one;
    in >> one;
    return one;
}

double selfCpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

MsMetrics readMetrics(std::uint16_t port) {
    MsMetrics m;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return m;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string text;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        const std::string req =
            "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
            char buf[8192];
            ssize_t n;
            while ((n = ::read(fd, buf, sizeof buf)) > 0)
                text.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    auto get = [&](const std::string& name) {
        std::smatch s;
        const std::regex re("\n" + name + " ([0-9.e+]+)");
        return std::regex_search(text, s, re) ? std::stod(s[1].str()) : 0.0;
    };
    m.lateWakeups = get("parley_ms_media_late_wakeups_total");
    m.skippedTicks = get("parley_ms_media_skipped_ticks_total");
    m.maxTickMicros = get("parley_ms_media_tick_max_microseconds");
    m.jitterOverflow = get("parley_ms_rtp_jitter_overflow_total");
    m.strangers = get("parley_ms_rtp_strangers_total");
    m.legs = get("parley_ms_media_legs");
    m.ticks = get("parley_ms_media_ticks_total");
    m.rtpIn = get("parley_ms_rtp_packets_in_total");
    m.rtpOut = get("parley_ms_rtp_packets_out_total");
    m.digits = get("parley_ms_rtp_digits_total");
    return m;
}

}  // namespace parley::bench

#include "bench/common/ms_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace parley::bench {

namespace {

std::atomic<pid_t> gChild{-1};

std::string readWhole(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

bool pinAndPrioritise(int cpu, int rtPriority) {
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        ::sched_setaffinity(0, sizeof set, &set);
    }
    if (rtPriority <= 0) return true;
    sched_param sp{};
    sp.sched_priority = rtPriority;
    return ::sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
}

MsProcess::MsProcess(const std::string& binary, const std::vector<std::string>& args, int cpu,
                     int rtPriority) {
    char dir[] = "/tmp/parley-mixload-XXXXXX";
    if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    logPath_ = dir_ + "/ms.log";
    std::vector<std::string> argv{binary};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const char* flag : {"--media-root", "--record-dir"}) {
        argv.push_back(flag);
        argv.push_back(dir_);
    }
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) _exit(126);
        (void)pinAndPrioritise(cpu, rtPriority);
        rlimit nofile{};
        if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
            nofile.rlim_cur = nofile.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &nofile);
        }
        const int fd = ::open(logPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execv(cargv[0], cargv.data());
        _exit(127);
    }
    gChild.store(pid_);
}

MsProcess::~MsProcess() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void MsProcess::killNow() {
    const pid_t p = gChild.load();
    if (p > 0) ::kill(p, SIGKILL);
}

bool MsProcess::running() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        gChild.store(-1);
        return false;
    }
    return true;
}

void MsProcess::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 40 && ::waitpid(pid_, &st, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::waitpid(pid_, &st, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
    }
    pid_ = -1;
    gChild.store(-1);
}

std::string MsProcess::log() const {
    return readWhole(logPath_);
}

std::optional<MsPorts> MsProcess::waitReady(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string text = log();
        if (text.find("HTTP listening on") != std::string::npos) {
            auto portOf = [&](const std::string& what) -> std::uint16_t {
                std::smatch m;
                const std::regex re(what + " listening on 127\\.0\\.0\\.1:([0-9]+)");
                if (!std::regex_search(text, m, re)) return 0;
                return static_cast<std::uint16_t>(std::stoi(m[1].str()));
            };
            MsPorts p{portOf("SIP"), portOf("CFW"), portOf("HTTP")};
            if (p.sip && p.cfw) return p;
            return std::nullopt;
        }
        if (!running()) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

CpuReading MsProcess::cpu() const {
    CpuReading r;
    if (pid_ <= 0) return r;
    const std::string base = "/proc/" + std::to_string(pid_);
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    // utime (14) + stime (15) of a /proc stat line: after the ")" that closes the command
    // name, state is field 3, so they are the 12th and 13th fields.
    auto utimeStime = [](const std::string& stat) {
        const auto close = stat.rfind(')');
        unsigned long long utime = 0, stime = 0;
        if (close == std::string::npos) return 0ULL;
        std::istringstream in(stat.substr(close + 2));
        std::string field;
        for (int i = 3; i <= 15 && in >> field; ++i) {
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        }
        return utime + stime;
    };
    unsigned long long ticks = utimeStime(readWhole(base + "/stat"));
    if (DIR* d = ::opendir((base + "/task").c_str())) {
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            const std::string task = base + "/task/" + e->d_name;
            std::istringstream in(readWhole(task + "/schedstat"));
            unsigned long long runNs = 0;
            if (!(in >> runNs)) continue;
            if (readWhole(task + "/comm").rfind("parley-awake", 0) == 0) {
                r.keepAwakeSeconds += static_cast<double>(runNs) / 1e9;
                const unsigned long long own = utimeStime(readWhole(task + "/stat"));
                ticks -= std::min(ticks, own);
            } else {
                r.runSeconds += static_cast<double>(runNs) / 1e9;
            }
        }
        ::closedir(d);
    }
    r.utimeStimeSeconds = static_cast<double>(ticks) / tick;
    return r;
}

long MsProcess::rssKiB() const {
    if (pid_ <= 0) return 0;
    std::istringstream in(readWhole("/proc/" + std::to_string(pid_) + "/status"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

IoReading MsProcess::io() const {
    IoReading r;
    if (pid_ <= 0) return r;
    std::istringstream in(readWhole("/proc/" + std::to_string(pid_) + "/io"));
    std::string key;
    std::uint64_t value = 0;
    while (in >> key >> value) {
        if (key == "wchar:") r.wchar = value;
        if (key == "write_bytes:") r.writeBytes = value;
    }
    return r;
}

}  // namespace parley::bench

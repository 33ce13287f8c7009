// bench_control_rtt: CONTROL round trip over one control channel on loopback.
//
// Starts a parley-ms process (or uses --ms-sip of one already running), brings up one
// control channel with the AS's own MediaServerClient (the production SIP, COMEDIA, TCP and
// SYNC path), then sends msc-mixer <audit/> requests paced at --rate per second for
// --seconds (after --warmup seconds not counted) and reports the round-trip latency from
// the moment each CONTROL was written to the moment its final answer was parsed: p50, p90,
// p99, p99.9, max. It also reports how late the pacing timer fired (schedule lag), so a
// stalled sender cannot hide behind good round trips.
//
//   bench_control_rtt [--rate 1000] [--seconds 10] [--warmup 1] [--ms-bin PATH | --ms-sip HOST:PORT]

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "as/msclient/media_server_client.hpp"
#include "as/sip/sip_control_signalling.hpp"
#include "common/event_loop.hpp"
#include "common/log.hpp"
#include "proto/sip/sip_stack.hpp"

#ifndef PARLEY_BUILD_TYPE
#define PARLEY_BUILD_TYPE "unknown"
#endif

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;
using std::chrono::duration;
using std::chrono::microseconds;

constexpr const char* kAudit =
    "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/></mscmixer>";

struct Options {
    int rate = 1000;
    double seconds = 10;
    double warmup = 1;
    std::string msBin;
    std::string msSip;
};

[[noreturn]] void usage(const char* why) {
    std::cerr << "bench_control_rtt: " << why
              << "\nusage: bench_control_rtt [--rate N] [--seconds S] [--warmup S] "
                 "[--ms-bin PATH | --ms-sip HOST:PORT]\n";
    std::exit(2);
}

Options parseArgs(int argc, char** argv) {
    Options o;
    std::filesystem::path self = std::filesystem::absolute(argv[0]);
    o.msBin = (self.parent_path() / "parley-ms").string();
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + a).c_str());
            return argv[++i];
        };
        try {
            if (a == "--rate") o.rate = std::stoi(value());
            else if (a == "--seconds") o.seconds = std::stod(value());
            else if (a == "--warmup") o.warmup = std::stod(value());
            else if (a == "--ms-bin") o.msBin = value();
            else if (a == "--ms-sip") o.msSip = value();
            else usage(("unknown option " + a).c_str());
        } catch (const std::exception&) {
            usage(("bad value for " + a).c_str());
        }
    }
    if (o.rate < 1 || o.rate > 100000) usage("--rate must be 1..100000");
    if (o.seconds <= 0 || o.seconds > 3600 || o.warmup < 0 || o.warmup > 60) usage("bad duration");
    return o;
}

// A parley-ms child with its output in a temp file, killed when this object dies.
class MsProcess {
public:
    explicit MsProcess(const std::string& bin) {
        char dir[] = "/tmp/parley-bench-XXXXXX";
        if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
        dir_ = dir;
        log_ = dir_ + "/ms.log";
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            execl(bin.c_str(), bin.c_str(), "--sip-listen", "127.0.0.1:0", "--cfw-listen", "127.0.0.1:0",
                  "--http-listen", "127.0.0.1:0", "--media-root", dir_.c_str(), "--record-dir",
                  dir_.c_str(), "--log-level", "notice", static_cast<char*>(nullptr));
            _exit(127);
        }
    }
    ~MsProcess() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int st = 0;
            for (int i = 0; i < 100 && waitpid(pid_, &st, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (waitpid(pid_, &st, WNOHANG) == 0) {
                kill(pid_, SIGKILL);
                waitpid(pid_, &st, 0);
            }
        }
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    // The address after "SIP listening on " in its log.
    std::optional<std::string> sipAddress(std::chrono::seconds timeout) {
        auto deadline = Clock::now() + timeout;
        const std::string needle = "SIP listening on ";
        while (Clock::now() < deadline) {
            std::ifstream in(log_);
            std::stringstream ss;
            ss << in.rdbuf();
            std::string text = ss.str();
            auto at = text.find(needle);
            if (at != std::string::npos && text.find("CFW listening on ") != std::string::npos) {
                std::istringstream rest(text.substr(at + needle.size()));
                std::string addr;
                rest >> addr;
                return addr;
            }
            int st = 0;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                pid_ = -1;
                std::cerr << text;
                return std::nullopt;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return std::nullopt;
    }

private:
    pid_t pid_ = -1;
    std::string dir_;
    std::string log_;
};

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(idx, sorted.size() - 1)];
}

struct Run {
    std::vector<Clock::time_point> sentAt;
    std::vector<double> rttUs;       // measured requests only
    std::vector<double> lagUs;       // timer lateness of measured requests
    std::map<std::string, int> outcomes;
    std::size_t completed = 0;
    std::size_t sendErrors = 0;
};

}  // namespace

int main(int argc, char** argv) {
    Options opt = parseArgs(argc, argv);
    common::setupLogging(common::LogLevel::Warning);

    std::cout << "command: ";
    for (int i = 0; i < argc; ++i) std::cout << (i ? " " : "") << argv[i];
    std::cout << "\nbuild type: " << PARLEY_BUILD_TYPE << ", cores: " << std::thread::hardware_concurrency()
              << "\n";

    std::optional<MsProcess> ms;
    std::string msSip = opt.msSip;
    if (msSip.empty()) {
        ms.emplace(opt.msBin);
        auto addr = ms->sipAddress(std::chrono::seconds(15));
        if (!addr) {
            std::cerr << "parley-ms (" << opt.msBin << ") did not start\n";
            return 1;
        }
        msSip = *addr;
        std::cout << "parley-ms: " << opt.msBin << " (SIP " << msSip << ")\n";
    }

    common::EventLoop loop;
    as::AsSipHandler sipHandler;
    proto::sip::SipConfig sipConfig;
    sipConfig.listen = "127.0.0.1:0";
    sipConfig.user = "bench";
    auto stack = proto::sip::SipStack::create(loop, sipConfig, sipHandler);
    if (!stack) {
        std::cerr << "SIP stack: " << stack.error().message << "\n";
        return 1;
    }
    as::SipControlSignalling signalling(**stack);
    as::MediaServerClientOptions mo;
    mo.uri = "sip:ms@" + msSip;
    as::MediaServerClient client(loop, signalling, mo);
    client.start();

    const auto period = std::chrono::nanoseconds(1'000'000'000LL / opt.rate);
    const std::size_t warm = static_cast<std::size_t>(opt.warmup * opt.rate);
    const std::size_t total = warm + static_cast<std::size_t>(opt.seconds * opt.rate);
    Run run;
    run.sentAt.resize(total);
    std::size_t next = 0;
    Clock::time_point start;
    Clock::time_point upDeadline = Clock::now() + std::chrono::seconds(10);
    bool failed = false;

    std::function<void()> pace;
    auto sendOne = [&](std::size_t i, Clock::time_point scheduled) {
        auto now = Clock::now();
        run.sentAt[i] = now;
        auto r = client.sendControl(
            {"msc-mixer/1.0", "application/msc-mixer+xml", kAudit},
            [&run, i, warm](const proto::cfw::ControlResult& res) {
                auto done = Clock::now();
                ++run.completed;
                std::string key = std::string(proto::cfw::controlOutcomeName(res.outcome));
                if (res.status) key += " " + std::to_string(res.status);
                ++run.outcomes[key];
                if (i >= warm && res.ok())
                    run.rttUs.push_back(duration<double, std::micro>(done - run.sentAt[i]).count());
            });
        if (!r) {
            ++run.sendErrors;
            ++run.completed;
            ++run.outcomes["not sent: " + r.error().message];
        } else if (i >= warm) {
            run.lagUs.push_back(duration<double, std::micro>(now - scheduled).count());
        }
    };
    pace = [&] {
        auto now = Clock::now();
        while (next < total && start + period * next <= now) {
            sendOne(next, start + period * next);
            ++next;
        }
        if (next < total) loop.addTimerAt(start + period * next, pace);
    };

    // Wait for the channel, then pace; stop when everything is answered (or 25 s later).
    std::function<void()> watch;
    watch = [&] {
        if (next == 0 && !client.isUp()) {
            if (Clock::now() > upDeadline) {
                std::cerr << "control channel did not come up: " << client.status().lastError << "\n";
                failed = true;
                (*stack)->stop();
                return;
            }
            loop.addTimer(std::chrono::milliseconds(10), watch);
            return;
        }
        if (next == 0) {
            start = Clock::now();
            pace();
        }
        bool allDone = next == total && run.completed == total;
        bool tooLong = Clock::now() - start > std::chrono::duration<double>(opt.warmup + opt.seconds + 25);
        if (allDone || tooLong) {
            (*stack)->stop();
            return;
        }
        loop.addTimer(std::chrono::milliseconds(50), watch);
    };
    loop.post(watch);
    (*stack)->run();
    auto elapsed = duration<double>(Clock::now() - start).count();
    client.stop();
    (*stack)->shutdown();
    if (failed) return 1;

    std::sort(run.rttUs.begin(), run.rttUs.end());
    std::sort(run.lagUs.begin(), run.lagUs.end());
    std::printf("requests: %zu sent (%zu warm-up not counted) at %d/s over %.1f s; %zu answered\n",
                next, warm, opt.rate, elapsed, run.completed);
    for (const auto& [k, n] : run.outcomes) std::printf("  outcome %-24s %d\n", k.c_str(), n);
    std::printf("round trip (us), %zu measured: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
                run.rttUs.size(), percentile(run.rttUs, 50), percentile(run.rttUs, 90),
                percentile(run.rttUs, 99), percentile(run.rttUs, 99.9),
                run.rttUs.empty() ? 0.0 : run.rttUs.back());
    std::printf("schedule lag (us): p50 %.0f  p99 %.0f  max %.0f\n", percentile(run.lagUs, 50),
                percentile(run.lagUs, 99), run.lagUs.empty() ? 0.0 : run.lagUs.back());
    bool target = !run.rttUs.empty() && percentile(run.rttUs, 99) < 1000.0;
    std::printf("target p99 < 1 ms: %s\n", target ? "met" : "NOT met");
    return run.rttUs.size() + warm == total ? 0 : 1;
}

#include "tests/support/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/spec_files.hpp"

namespace parley::test {

TempDir::TempDir(const std::string& prefix) {
    std::random_device rd;
    for (int i = 0; i < 100; ++i) {
        auto p = std::filesystem::temp_directory_path() /
                 (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000));
        std::error_code ec;
        if (std::filesystem::create_directory(p, ec)) {
            path_ = p;
            return;
        }
    }
    throw std::runtime_error("cannot create a temp dir");
}

TempDir::~TempDir() {
    std::error_code ec;
    if (std::getenv("PARLEY_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(path_, ec);
}

Process Process::start(const std::vector<std::string>& argv, const std::string& name,
                       const std::filesystem::path& logDir, const std::vector<std::string>& extraEnv,
                       const std::filesystem::path& workDir) {
    if (argv.empty()) throw std::runtime_error("empty argv");
    Process p;
    std::filesystem::path dir = logDir;
    if (dir.empty()) {
        auto tmp = std::filesystem::temp_directory_path() /
                   ("parley-proc-" + std::to_string(::getpid()) + "-" + name + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000));
        std::filesystem::create_directories(tmp);
        dir = tmp;
        p.ownedDir_ = tmp;
    }
    p.log_ = dir / (name + ".log");
    int fd = ::open(p.log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open " + p.log_.string());

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fd);
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        for (const auto& e : extraEnv) ::putenv(const_cast<char*>(e.c_str()));
        if (!workDir.empty() && ::chdir(workDir.c_str()) != 0) ::_exit(126);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(fd);
    p.pid_ = pid;
    return p;
}

Process::Process(Process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), status_(o.status_), log_(std::move(o.log_)),
      ownedDir_(std::exchange(o.ownedDir_, std::nullopt)) {}

Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0) stop(SIGKILL);
        pid_ = std::exchange(o.pid_, -1);
        status_ = o.status_;
        log_ = std::move(o.log_);
        ownedDir_ = std::exchange(o.ownedDir_, std::nullopt);
    }
    return *this;
}

Process::~Process() {
    if (pid_ > 0) stop(SIGTERM, std::chrono::seconds(3));
    if (ownedDir_ && std::getenv("PARLEY_KEEP_TEST_DIRS") == nullptr) {
        std::error_code ec;
        std::filesystem::remove_all(*ownedDir_, ec);
    }
}

bool Process::running() {
    if (pid_ <= 0) return false;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        pid_ = -1;
        return false;
    }
    return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (!running()) return status_;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

int Process::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return status_;
    ::kill(pid_, signal);
    if (auto st = wait(timeout)) return *st;
    ::kill(-pid_, SIGKILL);  // the whole process group
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    pid_ = -1;
    return status_;
}

std::string Process::output() const {
    std::ifstream in(log_);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool Process::waitForOutput(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (output().find(needle) != std::string::npos) return true;
        if (!running()) return output().find(needle) != std::string::npos;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int freePort(bool udp) {
    int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::filesystem::path binPath(const std::string& name) { return binaryDir() / "bin" / name; }

bool haveProgram(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (!path) return false;
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':'))
        if (::access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0) return true;
    return false;
}

}  // namespace parley::test

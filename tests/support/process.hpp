#pragma once
// Child processes for component and end-to-end tests: the parley binaries and peers the
// project did not write (sipp, baresip). Every child is killed by PID when its Process
// object dies, so a failing test leaves nothing running.
//
//   auto ms = Process::start({binDir() / "parley-ms", "--sip-listen", "127.0.0.1:0"}, "ms");
//   REQUIRE(ms.waitForOutput("control channel listener on", 5s));
//
// stdout and stderr go to one log file in a per-test temp directory; waitForOutput() polls
// that file. freePort() binds port 0 to find a port that was free a moment ago (for peers
// that cannot report the port they picked).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace parley::test {

class TempDir {
public:
    explicit TempDir(const std::string& prefix = "parley-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

class Process {
public:
    // Starts argv[0] with the arguments; output to <logDir>/<name>.log (a fresh temp dir
    // when logDir is empty), in workDir when given (sipp writes its files there). Throws
    // std::runtime_error when fork fails; a failed exec exits 127.
    static Process start(const std::vector<std::string>& argv, const std::string& name,
                         const std::filesystem::path& logDir = {},
                         const std::vector<std::string>& extraEnv = {},
                         const std::filesystem::path& workDir = {});
    Process(Process&&) noexcept;
    Process& operator=(Process&&) noexcept;
    ~Process();

    pid_t pid() const { return pid_; }
    bool running();
    // Sends `signal` and waits up to `timeout` for exit; then SIGKILL. Returns exit status
    // (128+signal when killed by a signal), or -1 when it had already been reaped.
    int stop(int signal = 15, std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Waits for exit up to `timeout`; nullopt when still running.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // Polls the log until `needle` appears (true) or the time is up / the process died.
    bool waitForOutput(const std::string& needle, std::chrono::milliseconds timeout);
    std::string output() const;
    const std::filesystem::path& logPath() const { return log_; }

private:
    Process() = default;
    pid_t pid_ = -1;
    int status_ = -1;
    std::filesystem::path log_;
    std::optional<std::filesystem::path> ownedDir_;
};

// A TCP or UDP port on 127.0.0.1 that was free when asked.
int freePort(bool udp = false);
// Path of a built binary: binaryDir()/bin/<name>.
std::filesystem::path binPath(const std::string& name);
// True when `program` is on PATH.
bool haveProgram(const std::string& program);

}  // namespace parley::test
